//! `text`: plain text in a bubble, `<@userid>` mentions, the `mentioned_list` and
//! `mentioned_mobile_list` shown after the text, and WeCom's 2048-byte display cut.

use hookpit_protocol::message::Text;
use hookpit_protocol::limit::TEXT_DISPLAY_MAX_BYTES;
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
    out.raw("<div class=\"hp-bubble hp-text\">");
    mention::write_text(shown, context, out);
    write_mention_lists(text, context, out);
    out.raw("</div>");
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
                out.open("span", "hp-mention hp-mention-unknown");
                out.attr("data-mobile", mobile);
                out.raw(">@");
                out.text(mobile);
                out.close("span");
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
