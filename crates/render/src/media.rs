//! `image`, `file`, `voice` and `miniprogram`: the messages whose content lives elsewhere (an
//! uploaded media or the picture the server stored), resolved through the [`Context`].

use hookpit_protocol::message::{MediaRef, Miniprogram};

use crate::Output;
use crate::context::{Context, MediaInfo};
use crate::html::server_url;
use crate::lint::code;
use crate::picture::{Picture, slot};

/// The picture of an `image` message, from `context.image_url`.
pub(crate) fn render_image(context: &Context<'_>, out: &mut Output) {
    match context.image_url.and_then(Picture::from_server) {
        Some(picture) => slot(
            out,
            "div",
            "hp-image",
            &[],
            Some(picture),
            Some("hp-image-img"),
            "图片",
        ),
        // Offline (`hookpit lint`) there is no stored picture: a placeholder, as WeCom shows
        // while a picture loads.
        None => out.raw("<div class=\"hp-image hp-image-missing\">[图片]</div>"),
    }
}

/// A file row as WeCom shows it: name and size on the left, a file-type icon on the right, the
/// whole row a download link.
pub(crate) fn render_file(file: &MediaRef, context: &Context<'_>, out: &mut Output) {
    let Some(info) = lookup(&file.media_id, "file.media_id", context, out) else {
        out.raw("<div class=\"hp-file hp-file-unknown\"><span class=\"hp-file-info\">");
        out.element("span", "hp-file-name", &file.media_id);
        out.raw("<span class=\"hp-file-size\">文件不存在或已过期</span></span>");
        out.raw("<span class=\"hp-file-icon hp-file-icon-other\"></span></div>");
        return;
    };
    let tag = open_download("hp-file", &info, out);
    out.raw("<span class=\"hp-file-info\">");
    out.element("span", "hp-file-name", &info.filename);
    out.element("span", "hp-file-size", &human_size(info.size));
    out.raw("</span>");
    let extension = extension(&info.filename);
    out.open(
        "span",
        &format!("hp-file-icon hp-file-icon-{}", icon_kind(&extension)),
    );
    out.raw(">");
    out.text(&extension.to_ascii_uppercase());
    out.raw("</span>");
    out.close(tag);
}

/// A voice bubble: a speaker icon and the duration (`7″`), wider for longer voices as in WeCom,
/// and a download link (AMR does not play in browsers).
pub(crate) fn render_voice(voice: &MediaRef, context: &Context<'_>, out: &mut Output) {
    let Some(info) = lookup(&voice.media_id, "voice.media_id", context, out) else {
        out.raw("<div class=\"hp-voice hp-voice-unknown hp-voice-len-1\">");
        out.raw("<span class=\"hp-voice-icon\"></span>");
        out.raw("<span class=\"hp-voice-duration\">语音不存在或已过期</span></div>");
        return;
    };
    let seconds = info.voice_duration_ms.map(|ms| ms.div_ceil(1000).max(1));
    let length = match seconds {
        None | Some(0..=2) => 1,
        Some(3..=5) => 2,
        Some(6..=10) => 3,
        Some(11..=20) => 4,
        Some(21..=40) => 5,
        Some(_) => 6,
    };
    let class = format!("hp-voice hp-voice-len-{length}");
    let tag = open_download(&class, &info, out);
    out.raw("<span class=\"hp-voice-icon\"></span><span class=\"hp-voice-duration\">");
    match seconds {
        Some(seconds) => out.text(&format!("{seconds}\u{2033}")),
        None => out.raw("语音"),
    }
    out.raw("</span>");
    out.close(tag);
}

/// A mini-program card: the appid where WeCom shows the program's name, the title, the cover
/// (or a placeholder) and the "小程序" footer with the page path.
pub(crate) fn render_miniprogram(program: &Miniprogram, context: &Context<'_>, out: &mut Output) {
    out.open("div", "hp-miniprogram");
    out.attr("data-appid", &program.appid);
    out.attr("data-page", &program.page);
    out.raw("><div class=\"hp-miniprogram-head\"><span class=\"hp-miniprogram-logo\"></span>");
    out.element("span", "hp-miniprogram-appid", &program.appid);
    out.raw("</div>");
    out.element("div", "hp-miniprogram-title", &program.title);
    let cover = lookup(
        &program.pic_media_id,
        "miniprogram.pic_media_id",
        context,
        out,
    );
    match cover
        .as_ref()
        .and_then(|info| Picture::from_server(&info.download_url))
    {
        Some(picture) => slot(
            out,
            "div",
            "hp-miniprogram-cover",
            &[],
            Some(picture),
            None,
            "",
        ),
        None => out.raw("<div class=\"hp-miniprogram-cover hp-miniprogram-cover-missing\"></div>"),
    }
    out.raw(
        "<div class=\"hp-miniprogram-foot\"><span class=\"hp-miniprogram-badge\"></span>小程序",
    );
    out.element("span", "hp-miniprogram-page", &program.page);
    out.raw("</div></div>");
}

/// Looks `media_id` up, linting an unknown one.
fn lookup(
    media_id: &str,
    field: &str,
    context: &Context<'_>,
    out: &mut Output,
) -> Option<MediaInfo> {
    let info = context.media.media(media_id);
    if info.is_none() {
        out.lint(
            code::UNKNOWN_MEDIA,
            format!(
                "{field} {media_id:?} is not a known upload (unknown, expired or another bot's)"
            ),
        );
    }
    info
}

/// Opens the download element for `info`: an `<a download>` when its URL is usable, else a
/// `<div>`. Returns the tag to close.
fn open_download(class: &str, info: &MediaInfo, out: &mut Output) -> &'static str {
    match server_url(&info.download_url) {
        Some(url) => {
            out.open("a", class);
            out.attr("href", url);
            out.attr("download", &info.filename);
            out.raw(" rel=\"noopener noreferrer\" target=\"_blank\">");
            "a"
        }
        None => {
            out.open("div", class);
            out.raw(">");
            "div"
        }
    }
}

/// A size as WeCom writes it: `6 B`, `1.5 KB`, `20 MB` (binary units, one decimal at most).
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// The extension of a file name, lowercased, at most 5 characters (longer ones are not types).
fn extension(filename: &str) -> String {
    match filename.rsplit_once('.') {
        Some((stem, extension))
            if !stem.is_empty()
                && (1..=5).contains(&extension.chars().count())
                && extension.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            extension.to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

/// The icon family WeCom uses for an extension (its colour comes from render.css).
fn icon_kind(extension: &str) -> &'static str {
    match extension {
        "doc" | "docx" | "wps" | "rtf" => "doc",
        "xls" | "xlsx" | "csv" | "et" => "xls",
        "ppt" | "pptx" | "dps" | "key" => "ppt",
        "pdf" => "pdf",
        "zip" | "rar" | "7z" | "gz" | "tgz" | "tar" | "bz2" | "xz" => "zip",
        "png" | "jpg" | "jpeg" | "gif" | "bmp" | "webp" | "svg" | "heic" => "img",
        "mp3" | "amr" | "wav" | "m4a" | "aac" | "flac" | "ogg" => "audio",
        "mp4" | "mov" | "avi" | "mkv" | "wmv" | "webm" => "video",
        "txt" | "md" | "log" | "json" | "xml" | "yaml" | "yml" => "txt",
        "apk" | "ipa" | "exe" | "dmg" | "msi" => "app",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{ChatKind, MemoryMedia, NoUsers};

    fn with_media(render: impl Fn(&Context<'_>, &mut Output)) -> Output {
        let media = MemoryMedia::new()
            .with(
                "m-file",
                MediaInfo {
                    filename: "季度报告.pdf".into(),
                    size: 1_572_864,
                    download_url: "/api/v1/media/m-file".into(),
                    voice_duration_ms: None,
                },
            )
            .with(
                "m-voice",
                MediaInfo {
                    filename: "voice.amr".into(),
                    size: 6_000,
                    download_url: "/api/v1/media/m-voice".into(),
                    voice_duration_ms: Some(7_200),
                },
            );
        let context = Context {
            users: &NoUsers,
            media: &media,
            image_url: Some("/api/v1/messages/7/image"),
            chat: ChatKind::Group,
        };
        let mut out = Output::default();
        render(&context, &mut out);
        out
    }

    fn media_ref(media_id: &str) -> MediaRef {
        MediaRef {
            media_id: media_id.into(),
        }
    }

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_size(6), "6 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1 KB");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(20 * 1024 * 1024), "20 MB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3 GB");
    }

    #[test]
    fn extensions_are_short_alphanumeric_suffixes() {
        assert_eq!(extension("a.PDF"), "pdf");
        assert_eq!(extension("企业微信.apk"), "apk");
        assert_eq!(extension(".bashrc"), "");
        assert_eq!(extension("x.verylongext"), "");
        assert_eq!(extension("x.p\"df"), "");
    }

    #[test]
    fn a_file_is_a_download_row_with_name_size_and_icon() {
        let out = with_media(|context, out| render_file(&media_ref("m-file"), context, out));
        assert_eq!(
            out.html,
            "<a class=\"hp-file\" href=\"/api/v1/media/m-file\" download=\"季度报告.pdf\" \
             rel=\"noopener noreferrer\" target=\"_blank\"><span class=\"hp-file-info\">\
             <span class=\"hp-file-name\">季度报告.pdf</span><span class=\"hp-file-size\">1.5 MB</span>\
             </span><span class=\"hp-file-icon hp-file-icon-pdf\">PDF</span></a>"
        );
        assert!(out.lints.is_empty());
    }

    #[test]
    fn an_unknown_file_is_shown_with_a_lint() {
        let out = with_media(|context, out| render_file(&media_ref("gone"), context, out));
        assert!(
            out.html
                .starts_with("<div class=\"hp-file hp-file-unknown\">")
        );
        assert_eq!(out.lints[0].code, code::UNKNOWN_MEDIA);
    }

    #[test]
    fn a_voice_shows_its_duration_rounded_up() {
        let out = with_media(|context, out| render_voice(&media_ref("m-voice"), context, out));
        assert!(out.html.starts_with("<a class=\"hp-voice hp-voice-len-3\""));
        assert!(
            out.html
                .contains("<span class=\"hp-voice-duration\">8″</span>")
        );
    }

    #[test]
    fn an_image_comes_from_the_context() {
        let out = with_media(render_image);
        assert_eq!(
            out.html,
            "<div class=\"hp-image\"><img class=\"hp-image-img\" src=\"/api/v1/messages/7/image\" \
             alt=\"图片\" loading=\"lazy\"></div>"
        );
    }

    #[test]
    fn a_miniprogram_without_a_known_cover_shows_a_placeholder() {
        let program = Miniprogram {
            title: "小程序测试消息".into(),
            pic_media_id: "MEDIA_ID".into(),
            appid: "wx8bd80126147dfAAA".into(),
            page: "/path/index.html".into(),
        };
        let out = with_media(|context, out| render_miniprogram(&program, context, out));
        assert!(out.html.contains("hp-miniprogram-cover-missing"));
        assert!(
            out.html
                .contains("<span class=\"hp-miniprogram-page\">/path/index.html</span>")
        );
        assert_eq!(out.lints[0].code, code::UNKNOWN_MEDIA);
    }
}
