//! `text`: plain text in a bubble, `<@userid>` mentions, the `mentioned_list` and
//! `mentioned_mobile_list` shown after the text, and WeCom's 2048-byte display cut.

use hookpit_protocol::limit::TEXT_DISPLAY_MAX_BYTES;
use hookpit_protocol::message::Text;
use hookpit_protocol::text::display_text;

use crate::context::{ChatKind, Context};
use crate::lint::code;
use crate::{Output, mention};

/// What WeCom shows for `@all` in either list.
const EVERYONE: &str = "所有人";

pub(crate) fn render(text: &Text, context: &Context<'_>, out: &mut Output) {
    // WeCom accepts up to 5120 bytes but displays only the first 2048 (spec §2.2). Mentions are
    // parsed after the cut, so a mention cut in half shows literally, as it would in WeCom.
    let shown = display_text(&text.content);
    if shown.len() < text.content.len() {
        out.lint(
            code::TEXT_TRUNCATED,
            format!(
                "text.content is {} bytes; WeCom displays only the first {TEXT_DISPLAY_MAX_BYTES}",
                text.content.len()
            ),
        );
    }
    if let Some(syntax) = markdown_syntax(&text.content) {
        out.lint(
            code::UNSUPPORTED_SYNTAX,
            format!(
                "text does not render markdown ({syntax}): WeCom shows it literally; use msgtype \
                 markdown"
            ),
        );
    }
    out.raw("<div class=\"hp-bubble hp-text\">");
    write_linked(shown, context, out);
    write_mention_lists(text, context, out);
    out.raw("</div>");
}

/// Writes plain text as WeCom clients show it: `http(s)://` URLs become links (the clients
/// link them on sight), and `<@userid>` mentions become mention elements.
fn write_linked(text: &str, context: &Context<'_>, out: &mut Output) {
    let mut rest = text;
    while let Some((start, end)) = next_url(rest) {
        mention::write_text(&rest[..start], context, out);
        let url = &rest[start..end];
        out.open_link("hp-text-link", url);
        out.text(url);
        out.raw("</a>");
        rest = &rest[end..];
    }
    mention::write_text(rest, context, out);
}

/// The byte range of the first `http://` or `https://` URL in `text`: a run of URL characters
/// (RFC 3986, ASCII only, so CJK text right after a URL is not swallowed), without trailing
/// sentence punctuation or an unbalanced `)`.
fn next_url(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(found) = text[from..].find("http") {
        let start = from + found;
        let after_scheme = ["https://", "http://"]
            .iter()
            .find(|scheme| text[start..].starts_with(**scheme))
            .map(|scheme| start + scheme.len());
        // `xhttp://` is not a URL start: a URL begins after a non-alphanumeric character.
        let at_boundary = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if let (Some(host), true) = (after_scheme, at_boundary) {
            let length = text[host..]
                .find(|c: char| !is_url_char(c))
                .unwrap_or(text.len() - host);
            let mut end = host + length;
            while end > host {
                let last = text.as_bytes()[end - 1];
                let unbalanced_paren = last == b')'
                    && text[start..end].matches('(').count()
                        < text[start..end].matches(')').count();
                if b".,;:!?'".contains(&last) || unbalanced_paren {
                    end -= 1;
                } else {
                    break;
                }
            }
            if end > host {
                return Some((start, end));
            }
        }
        from = start + 4;
    }
    None
}

/// The characters a URL may contain (RFC 3986 unreserved, reserved and `%`).
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// The first markdown construct in `content` that a sender plainly meant to be rendered:
/// a `# heading`, `**bold**`, a `[link](http…)` or a `<font color>`. Lone stars and hashes are
/// common in plain text, so only these unambiguous shapes count.
fn markdown_syntax(content: &str) -> Option<&'static str> {
    let heading = content.lines().any(|line| {
        let hashes = line.bytes().take_while(|&byte| byte == b'#').count();
        (1..=6).contains(&hashes) && line[hashes..].starts_with(' ')
    });
    if heading {
        return Some("# headings");
    }
    if let Some(open) = content.find("**")
        && content[open + 2..]
            .find("**")
            .is_some_and(|length| length > 0)
    {
        return Some("**bold**");
    }
    if content.contains("](http://") || content.contains("](https://") {
        return Some("[links](url)");
    }
    let lower = content.to_ascii_lowercase();
    lower.contains("<font color").then_some("<font color>")
}

/// One entry of the mention lists, resolved.
#[derive(PartialEq)]
enum Mentioned {
    Everyone,
    User(String),
    UnknownMobile(String),
}

/// The two lists as WeCom shows them after the text: userids first, then mobiles, each person and
/// `@所有人` once.
fn write_mention_lists(text: &Text, context: &Context<'_>, out: &mut Output) {
    let userids = text.mentioned_list.as_deref().unwrap_or_default();
    let mobiles = text.mentioned_mobile_list.as_deref().unwrap_or_default();
    if userids.is_empty() && mobiles.is_empty() {
        return;
    }
    if context.chat == ChatKind::Blackboard {
        // "目前 mentioned_list 暂不支持小黑板": WeCom drops them, so the inbox does too.
        out.lint(
            code::MENTION_ON_BLACKBOARD,
            "mentioned_list and mentioned_mobile_list are not supported on blackboards: WeCom \
             mentions nobody",
        );
        return;
    }
    let mut mentioned: Vec<Mentioned> = Vec::new();
    let from_userids = userids.iter().map(|userid| {
        if userid == "@all" {
            Mentioned::Everyone
        } else {
            Mentioned::User(userid.clone())
        }
    });
    let from_mobiles = mobiles.iter().map(|mobile| {
        if mobile == "@all" {
            Mentioned::Everyone
        } else {
            match context.users.userid_by_mobile(mobile) {
                Some(userid) => Mentioned::User(userid),
                None => Mentioned::UnknownMobile(mobile.clone()),
            }
        }
    });
    for entry in from_userids.chain(from_mobiles) {
        if !mentioned.contains(&entry) {
            mentioned.push(entry);
        }
    }
    out.raw("<div class=\"hp-mentions\">");
    for (index, entry) in mentioned.iter().enumerate() {
        if index > 0 {
            out.raw(" ");
        }
        match entry {
            Mentioned::Everyone => {
                out.raw("<span class=\"hp-mention hp-mention-all\">@");
                out.raw(EVERYONE);
                out.raw("</span>");
            }
            Mentioned::User(userid) => mention::write(userid, context, out),
            Mentioned::UnknownMobile(mobile) => {
                out.lint(
                    code::UNKNOWN_MOBILE,
                    format!("mentioned_mobile_list: no user has mobile {mobile:?}"),
                );
                mention::write_unknown("data-mobile", mobile, out);
            }
        }
    }
    out.raw("</div>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{MemoryUsers, NoMedia};

    fn render_in(text: Text, chat: ChatKind) -> Output {
        let users = MemoryUsers::new()
            .with("zhangsan", "张三", "13800001111")
            .with("wangqing", "王青", "");
        let context = Context {
            users: &users,
            media: &NoMedia,
            image_url: None,
            chat,
        };
        let mut out = Output::default();
        render(&text, &context, &mut out);
        out
    }

    fn text(content: &str) -> Text {
        Text {
            content: content.to_owned(),
            ..Text::default()
        }
    }

    #[test]
    fn plain_text_is_escaped_in_a_bubble() {
        let out = render_in(text("a < b & \"c\"\nline 2"), ChatKind::Group);
        assert_eq!(
            out.html,
            "<div class=\"hp-bubble hp-text\">a &lt; b &amp; &quot;c&quot;\nline 2</div>"
        );
        assert!(out.lints.is_empty());
    }

    #[test]
    fn text_over_2048_bytes_is_shown_cut_with_a_lint() {
        let out = render_in(text(&"字".repeat(700)), ChatKind::Group);
        assert_eq!(out.html.matches('字').count(), 682);
        assert_eq!(out.lints[0].code, code::TEXT_TRUNCATED);
    }

    #[test]
    fn text_of_exactly_2048_bytes_is_shown_whole() {
        let out = render_in(text(&"a".repeat(2048)), ChatKind::Group);
        assert_eq!(out.html.matches('a').count(), 2048 + 1); // + the `a` of "hp-bubble"
        assert!(out.lints.is_empty());
    }

    #[test]
    fn urls_in_text_are_links_up_to_the_first_non_url_character() {
        let out = render_in(
            text("详情见https://ci.example/run?id=1&x=2，或 (http://a.example/p_(1)). 谢谢"),
            ChatKind::Group,
        );
        assert_eq!(
            out.html,
            "<div class=\"hp-bubble hp-text\">详情见<a class=\"hp-text-link\" \
             href=\"https://ci.example/run?id=1&amp;x=2\" rel=\"noopener noreferrer\" \
             target=\"_blank\">https://ci.example/run?id=1&amp;x=2</a>，或 (<a \
             class=\"hp-text-link\" href=\"http://a.example/p_(1)\" rel=\"noopener noreferrer\" \
             target=\"_blank\">http://a.example/p_(1)</a>). 谢谢</div>"
        );
    }

    #[test]
    fn things_that_only_look_like_urls_stay_text() {
        for content in [
            "https://",
            "xhttps://a.example",
            "http:/a",
            "ftp://a.example",
            "HTTPS",
        ] {
            let out = render_in(text(content), ChatKind::Group);
            assert!(!out.html.contains("<a"), "{content}: {}", out.html);
        }
    }

    #[test]
    fn a_url_ends_before_a_mention() {
        let out = render_in(text("https://a.example<@zhangsan>"), ChatKind::Group);
        assert!(
            out.html
                .contains(">https://a.example</a><span class=\"hp-mention\""),
            "{}",
            out.html
        );
    }

    #[test]
    fn markdown_in_text_is_shown_literally_with_a_lint() {
        for (content, syntax) in [
            ("## 日报\n内容", "# headings"),
            ("构建 **失败**", "**bold**"),
            ("详情 [链接](https://a.example)", "[links](url)"),
            ("<font color=\"warning\">告警</font>", "<font color>"),
        ] {
            let out = render_in(text(content), ChatKind::Group);
            assert_eq!(out.lints.len(), 1, "{content}");
            assert_eq!(out.lints[0].code, code::UNSUPPORTED_SYNTAX);
            assert!(out.lints[0].message.contains(syntax), "{:?}", out.lints[0]);
            assert!(!out.html.contains("<strong>") && !out.html.contains("<h2"));
        }
    }

    #[test]
    fn ordinary_stars_and_hashes_in_text_are_not_markdown() {
        for content in [
            "a * b",
            "#1 issue",
            "**",
            "****",
            "C# 与 F#",
            "[x](ftp://a)",
        ] {
            assert!(
                render_in(text(content), ChatKind::Group).lints.is_empty(),
                "{content}"
            );
        }
    }

    #[test]
    fn mention_lists_follow_the_text_with_everyone_once() {
        let out = render_in(
            Text {
                content: "hi".into(),
                mentioned_list: Some(vec!["wangqing".into(), "@all".into()]),
                mentioned_mobile_list: Some(vec!["13800001111".into(), "@all".into()]),
            },
            ChatKind::Group,
        );
        assert_eq!(
            out.html,
            "<div class=\"hp-bubble hp-text\">hi<div class=\"hp-mentions\">\
             <span class=\"hp-mention\" data-userid=\"wangqing\">@王青</span> \
             <span class=\"hp-mention hp-mention-all\">@所有人</span> \
             <span class=\"hp-mention\" data-userid=\"zhangsan\">@张三</span></div></div>"
        );
        assert!(out.lints.is_empty());
    }

    #[test]
    fn an_unknown_mobile_is_shown_and_linted() {
        let out = render_in(
            Text {
                content: "hi".into(),
                mentioned_mobile_list: Some(vec!["13900000000".into()]),
                ..Text::default()
            },
            ChatKind::Group,
        );
        assert!(out.html.contains("@13900000000"));
        assert_eq!(out.lints[0].code, code::UNKNOWN_MOBILE);
    }

    #[test]
    fn mention_lists_on_a_blackboard_are_dropped_with_a_lint() {
        let out = render_in(
            Text {
                content: "hi".into(),
                mentioned_list: Some(vec!["@all".into()]),
                ..Text::default()
            },
            ChatKind::Blackboard,
        );
        assert_eq!(out.html, "<div class=\"hp-bubble hp-text\">hi</div>");
        assert_eq!(out.lints[0].code, code::MENTION_ON_BLACKBOARD);
    }
}
