//! The blocks of a template card, one function each, and the click targets they share.

use hookpit_protocol::card::{
    CardAction, CardImage, CardSource, EmphasisContent, HorizontalContent, ImageTextArea, Jump,
    MainTitle, QuoteArea, VerticalContent,
};
use hookpit_protocol::limit::{
    CARD_ASPECT_RATIO_DEFAULT, CARD_ASPECT_RATIO_MAX, CARD_ASPECT_RATIO_MIN,
};

use super::lint_length;
use crate::Output;
use crate::context::Context;
use crate::html::{server_url, web_url};
use crate::lint::code;
use crate::picture::{Picture, slot};

/// Where a click on a block goes, from its `type`, `url`, `appid` and `pagepath`.
struct Target<'a> {
    kind: Option<i64>,
    url: Option<&'a str>,
    appid: Option<&'a str>,
    pagepath: Option<&'a str>,
}

/// Opens the element of a clickable block: an `<a>` for type 1 with an http(s) URL, a `<span>`
/// carrying the mini-program for type 2 (a browser cannot open one), and a `<span>` otherwise.
/// Returns the tag to close.
fn open_target(class: &str, field: &str, target: &Target<'_>, out: &mut Output) -> &'static str {
    match target.kind {
        Some(1) => match target.url.and_then(web_url) {
            Some(url) => {
                out.open_link(class, url);
                return "a";
            }
            None => out.lint(
                code::UNSAFE_URL,
                format!(
                    "{field}.url {:?} is not an http(s) URL: the block opens nothing",
                    target.url.unwrap_or_default()
                ),
            ),
        },
        Some(2) => {
            out.open("span", &format!("{class} hp-card-miniprogram"));
            let appid = target.appid.unwrap_or_default();
            let pagepath = target.pagepath.unwrap_or_default();
            out.attr("data-appid", appid);
            out.attr("data-pagepath", pagepath);
            out.attr("title", &format!("小程序 {appid} {pagepath}"));
            out.raw(">");
            return "span";
        }
        _ => {}
    }
    out.open("span", class);
    out.raw(">");
    "span"
}

/// The whole-card click: an empty, labelled anchor that render.css stretches over the card.
pub(super) fn card_action(action: &CardAction, out: &mut Output) {
    let target = Target {
        kind: action.kind,
        url: action.url.as_deref(),
        appid: action.appid.as_deref(),
        pagepath: action.pagepath.as_deref(),
    };
    let tag = open_target("hp-card-action", "card_action", &target, out);
    out.raw("<span class=\"hp-sr\">打开卡片</span>");
    out.close(tag);
}

pub(super) fn source(source: &CardSource, out: &mut Output) {
    out.raw("<div class=\"hp-card-source\">");
    if let Some(url) = source.icon_url.as_deref().filter(|url| !url.is_empty()) {
        match Picture::from_sender(url) {
            Some(icon) => slot(
                out,
                "span",
                "hp-card-source-icon",
                &[],
                Some(icon),
                None,
                "",
            ),
            None => unsafe_image(url, "source.icon_url", out),
        }
    }
    if let Some(desc) = &source.desc {
        lint_length("source.desc", desc, 13, out);
        // 0 grey (default), 1 black, 2 red, 3 green; anything else is the default.
        let colour = match source.desc_color {
            Some(1) => "hp-card-source-desc hp-desc-color-1",
            Some(2) => "hp-card-source-desc hp-desc-color-2",
            Some(3) => "hp-card-source-desc hp-desc-color-3",
            _ => "hp-card-source-desc hp-desc-color-0",
        };
        out.element("span", colour, desc);
    }
    out.raw("</div>");
}

pub(super) fn main_title(title: &MainTitle, out: &mut Output) {
    out.raw("<div class=\"hp-card-main\">");
    if let Some(text) = &title.title {
        lint_length("main_title.title", text, 26, out);
        out.element("div", "hp-card-title", text);
    }
    if let Some(desc) = &title.desc {
        lint_length("main_title.desc", desc, 30, out);
        out.element("div", "hp-card-title-desc", desc);
    }
    out.raw("</div>");
}

pub(super) fn emphasis(emphasis: &EmphasisContent, out: &mut Output) {
    out.raw("<div class=\"hp-card-emphasis\">");
    if let Some(title) = &emphasis.title {
        lint_length("emphasis_content.title", title, 10, out);
        out.element("div", "hp-card-emphasis-title", title);
    }
    if let Some(desc) = &emphasis.desc {
        lint_length("emphasis_content.desc", desc, 15, out);
        out.element("div", "hp-card-emphasis-desc", desc);
    }
    out.raw("</div>");
}

pub(super) fn quote(quote: &QuoteArea, out: &mut Output) {
    let target = Target {
        kind: quote.kind,
        url: quote.url.as_deref(),
        appid: quote.appid.as_deref(),
        pagepath: quote.pagepath.as_deref(),
    };
    let tag = open_target("hp-card-quote", "quote_area", &target, out);
    if let Some(title) = &quote.title {
        out.element("span", "hp-card-quote-title", title);
    }
    if let Some(text) = &quote.quote_text {
        // Kept with its `\n`s ("支持\n换行"); render.css preserves them.
        out.element("span", "hp-card-quote-text", text);
    }
    out.close(tag);
}

pub(super) fn sub_title(text: &str, out: &mut Output) {
    lint_length("sub_title_text", text, 112, out);
    out.element("div", "hp-card-subtitle", text);
}

pub(super) fn card_image(image: &CardImage, out: &mut Output) {
    let ratio = match image.aspect_ratio {
        None => CARD_ASPECT_RATIO_DEFAULT,
        Some(ratio) if (CARD_ASPECT_RATIO_MIN..=CARD_ASPECT_RATIO_MAX).contains(&ratio) => ratio,
        Some(ratio) => {
            out.lint(
                code::CARD_ASPECT_RATIO,
                format!(
                    "card_image.aspect_ratio {ratio} is outside [1.3, 2.25]: shown at the default \
                     {CARD_ASPECT_RATIO_DEFAULT}"
                ),
            );
            CARD_ASPECT_RATIO_DEFAULT
        }
    };
    let picture = image.url.as_deref().and_then(|url| {
        let picture = Picture::from_sender(url);
        if picture.is_none() {
            unsafe_image(url, "card_image.url", out);
        }
        picture
    });
    slot(
        out,
        "div",
        &format!("hp-card-image {}", aspect_ratio_class(ratio)),
        &[("data-aspect-ratio", &ratio.to_string())],
        picture,
        None,
        "",
    );
}

/// The class giving the image box its aspect ratio: the ratio rounded to the nearest 0.05
/// (`hp-ar-130` … `hp-ar-225`). A class rather than a `style` attribute, so that the inbox's CSP
/// needs no `'unsafe-inline'`; the exact value is in `data-aspect-ratio`.
fn aspect_ratio_class(ratio: f64) -> String {
    let twentieths = (26u32..=45)
        .min_by(|a, b| {
            let distance = |n: u32| (f64::from(n) / 20.0 - ratio).abs();
            distance(*a).total_cmp(&distance(*b))
        })
        .unwrap_or(26);
    format!("hp-ar-{}", twentieths * 5)
}

pub(super) fn image_text(area: &ImageTextArea, out: &mut Output) {
    let target = Target {
        kind: area.kind,
        url: area.url.as_deref(),
        appid: area.appid.as_deref(),
        pagepath: area.pagepath.as_deref(),
    };
    let tag = open_target("hp-card-imagetext", "image_text_area", &target, out);
    if let Some(url) = area.image_url.as_deref() {
        match Picture::from_sender(url) {
            Some(picture) => slot(
                out,
                "span",
                "hp-card-imagetext-img",
                &[],
                Some(picture),
                None,
                "",
            ),
            None => unsafe_image(url, "image_text_area.image_url", out),
        }
    }
    out.raw("<span class=\"hp-card-imagetext-body\">");
    if let Some(title) = &area.title {
        out.element("span", "hp-card-imagetext-title", title);
    }
    if let Some(desc) = &area.desc {
        out.element("span", "hp-card-imagetext-desc", desc);
    }
    out.raw("</span>");
    out.close(tag);
}

pub(super) fn vertical_list(rows: &[VerticalContent], out: &mut Output) {
    out.raw("<div class=\"hp-card-vlist\">");
    for (index, row) in rows.iter().enumerate() {
        out.raw("<div class=\"hp-card-vrow\">");
        if let Some(title) = &row.title {
            lint_length(
                &format!("vertical_content_list[{index}].title"),
                title,
                26,
                out,
            );
            out.element("div", "hp-card-vtitle", title);
        }
        if let Some(desc) = &row.desc {
            lint_length(
                &format!("vertical_content_list[{index}].desc"),
                desc,
                112,
                out,
            );
            out.element("div", "hp-card-vdesc", desc);
        }
        out.raw("</div>");
    }
    out.raw("</div>");
}

pub(super) fn horizontal_list(rows: &[HorizontalContent], context: &Context<'_>, out: &mut Output) {
    out.raw("<div class=\"hp-card-hlist\">");
    for (index, row) in rows.iter().enumerate() {
        let field = format!("horizontal_content_list[{index}]");
        out.raw("<div class=\"hp-card-hrow\">");
        let keyname = row.keyname.as_deref().unwrap_or_default();
        lint_length(&format!("{field}.keyname"), keyname, 5, out);
        out.element("span", "hp-card-hkey", keyname);
        let value = row.value.as_deref().unwrap_or_default();
        lint_length(&format!("{field}.value"), value, 26, out);
        match row.kind {
            Some(1) => {
                let target = Target {
                    kind: Some(1),
                    url: row.url.as_deref(),
                    appid: None,
                    pagepath: None,
                };
                let tag = open_target("hp-card-hvalue hp-card-hlink", &field, &target, out);
                out.text(value);
                out.close(tag);
            }
            Some(2) => file_value(row, value, &field, context, out),
            Some(3) => user_value(row, value, context, out),
            _ => out.element("span", "hp-card-hvalue", value),
        }
        out.raw("</div>");
    }
    out.raw("</div>");
}

/// A type-2 value: the file name, downloading the uploaded `media_id`.
fn file_value(
    row: &HorizontalContent,
    value: &str,
    field: &str,
    context: &Context<'_>,
    out: &mut Output,
) {
    let media_id = row.media_id.as_deref().unwrap_or_default();
    let download = context.media.media(media_id);
    let url = download
        .as_ref()
        .and_then(|info| server_url(&info.download_url));
    if download.is_none() {
        out.lint(
            code::UNKNOWN_MEDIA,
            format!("{field}.media_id {media_id:?} is not a known upload (unknown, expired or another bot's)"),
        );
    }
    match url {
        Some(url) => {
            out.open("a", "hp-card-hvalue hp-card-hfile");
            out.attr("href", url);
            out.attr("download", value);
            out.raw(" rel=\"noopener noreferrer\" target=\"_blank\">");
            out.text(value);
            out.raw("</a>");
        }
        None => out.element("span", "hp-card-hvalue hp-card-hfile", value),
    }
}

/// A type-3 value: a member, shown by `value` or else by name, opening their profile in WeCom.
fn user_value(row: &HorizontalContent, value: &str, context: &Context<'_>, out: &mut Output) {
    let userid = row.userid.as_deref().unwrap_or_default();
    let name = context.users.display_name(userid);
    if name.is_none() {
        out.lint(
            code::UNKNOWN_USER,
            format!("horizontal_content_list member {userid:?} is not a known user"),
        );
    }
    out.open("span", "hp-card-hvalue hp-card-huser");
    out.attr("data-userid", userid);
    out.raw(">");
    let shown = if value.is_empty() {
        name.as_deref().unwrap_or(userid)
    } else {
        value
    };
    out.text(shown);
    out.raw("</span>");
}

pub(super) fn jump_list(jumps: &[Jump], out: &mut Output) {
    out.raw("<div class=\"hp-card-jumps\">");
    for (index, jump) in jumps.iter().enumerate() {
        let field = format!("jump_list[{index}]");
        let title = jump.title.as_deref().unwrap_or_default();
        lint_length(&format!("{field}.title"), title, 13, out);
        let target = Target {
            kind: jump.kind,
            url: jump.url.as_deref(),
            appid: jump.appid.as_deref(),
            pagepath: jump.pagepath.as_deref(),
        };
        let tag = open_target("hp-card-jump", &field, &target, out);
        out.text(title);
        out.close(tag);
    }
    out.raw("</div>");
}

fn unsafe_image(url: &str, field: &str, out: &mut Output) {
    out.lint(
        code::UNSAFE_URL,
        format!("{field} {url:?} is not an http(s) URL: no picture is shown"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aspect_ratios_round_to_the_nearest_class() {
        assert_eq!(aspect_ratio_class(1.3), "hp-ar-130");
        assert_eq!(aspect_ratio_class(2.25), "hp-ar-225");
        assert_eq!(aspect_ratio_class(1.777), "hp-ar-180");
        assert_eq!(aspect_ratio_class(1.51), "hp-ar-150");
    }

    #[test]
    fn a_url_target_is_a_link_and_a_miniprogram_target_is_not() {
        let mut out = Output::default();
        let url = Target {
            kind: Some(1),
            url: Some("https://work.weixin.qq.com"),
            appid: None,
            pagepath: None,
        };
        let tag = open_target("hp-card-jump", "jump_list[0]", &url, &mut out);
        out.close(tag);
        let program = Target {
            kind: Some(2),
            url: None,
            appid: Some("APPID"),
            pagepath: Some("PAGEPATH"),
        };
        let tag = open_target("hp-card-jump", "jump_list[1]", &program, &mut out);
        out.close(tag);
        assert_eq!(
            out.html,
            "<a class=\"hp-card-jump\" href=\"https://work.weixin.qq.com\" rel=\"noopener \
             noreferrer\" target=\"_blank\"></a><span class=\"hp-card-jump hp-card-miniprogram\" \
             data-appid=\"APPID\" data-pagepath=\"PAGEPATH\" title=\"小程序 APPID PAGEPATH\"></span>"
        );
    }

    #[test]
    fn an_out_of_range_aspect_ratio_falls_back_to_1_3_with_a_lint() {
        let mut out = Output::default();
        card_image(
            &CardImage {
                url: Some("https://a.example/i.png".into()),
                aspect_ratio: Some(3.0),
            },
            &mut out,
        );
        assert!(out.html.starts_with(
            "<div class=\"hp-card-image hp-ar-130 hp-remote\" data-aspect-ratio=\"1.3\">"
        ));
        assert_eq!(out.lints[0].code, code::CARD_ASPECT_RATIO);
    }

    #[test]
    fn card_pictures_wait_in_their_slots_without_a_src() {
        let mut out = Output::default();
        card_image(
            &CardImage {
                url: Some("https://a.example/i.png".into()),
                aspect_ratio: Some(2.25),
            },
            &mut out,
        );
        source(
            &CardSource {
                icon_url: Some("https://a.example/icon.png".into()),
                desc: None,
                desc_color: None,
            },
            &mut out,
        );
        let note = "<span class=\"hp-remote-note\"><span class=\"hp-remote-what\">图片未加载 · \
                    </span>点击加载</span>";
        assert_eq!(
            out.html,
            format!(
                "<div class=\"hp-card-image hp-ar-225 hp-remote\" data-aspect-ratio=\"2.25\">\
                 <img class=\"hp-remote-img\" data-remote-src=\"https://a.example/i.png\" alt=\"\" \
                 referrerpolicy=\"no-referrer\">{note}</div><div class=\"hp-card-source\">\
                 <span class=\"hp-card-source-icon hp-remote\"><img class=\"hp-remote-img\" \
                 data-remote-src=\"https://a.example/icon.png\" alt=\"\" \
                 referrerpolicy=\"no-referrer\">{note}</span></div>"
            )
        );
    }

    #[test]
    fn source_colours_are_classes_and_unknown_ones_are_grey() {
        let mut out = Output::default();
        source(
            &CardSource {
                icon_url: None,
                desc: Some("企业微信".into()),
                desc_color: Some(99),
            },
            &mut out,
        );
        assert_eq!(
            out.html,
            "<div class=\"hp-card-source\"><span class=\"hp-card-source-desc hp-desc-color-0\">\
             企业微信</span></div>"
        );
    }

    #[test]
    fn recommended_lengths_count_characters_not_bytes() {
        let mut out = Output::default();
        // 13 Chinese characters are 39 bytes but within the recommendation.
        lint_length("source.desc", &"字".repeat(13), 13, &mut out);
        assert!(out.lints.is_empty());
        lint_length("source.desc", &"字".repeat(14), 13, &mut out);
        assert_eq!(out.lints[0].code, code::CARD_TEXT_TOO_LONG);
    }
}
