//! `<@userid>` mentions, shared by `text` and `markdown` (v1), and the `@Name` element they become.

use crate::Output;
use crate::context::Context;
use crate::lint::code;

/// WeCom userids are at most 64 bytes ("长度为1~64个字节").
const USERID_MAX_BYTES: usize = 64;

/// If `input` starts with a `<@userid>` mention, the userid and the length of the whole mention.
///
/// A userid is what WeCom allows: letters, digits and `_-@.`, starting with a letter or digit,
/// at most 64 bytes. Anything else (`<@ x>`, `<@>`) is not a mention and is shown literally.
pub(crate) fn parse(input: &str) -> Option<(&str, usize)> {
    let rest = input.strip_prefix("<@")?;
    let end = rest.find('>')?;
    let userid = &rest[..end];
    let valid = !userid.is_empty()
        && userid.len() <= USERID_MAX_BYTES
        && userid.starts_with(|c: char| c.is_ascii_alphanumeric())
        && userid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@' | '.'));
    valid.then_some((userid, end + 3))
}

/// Whether `input` contains anything [`parse`] accepts (for lints on types without mentions).
pub(crate) fn contains(input: &str) -> bool {
    input
        .match_indices("<@")
        .any(|(at, _)| parse(&input[at..]).is_some())
}

/// Writes `@Name` for `userid`, or `@userid` and an `unknown_user` lint if no such user exists.
pub(crate) fn write(userid: &str, context: &Context<'_>, out: &mut Output) {
    match context.users.display_name(userid) {
        Some(name) => {
            out.open("span", "hp-mention");
            out.attr("data-userid", userid);
            out.raw(">@");
            out.text(&name);
            out.close("span");
        }
        None => {
            out.lint(
                code::UNKNOWN_USER,
                format!("mention of unknown user {userid:?}: WeCom mentions nobody"),
            );
            write_unknown("data-userid", userid, out);
        }
    }
}

/// Writes `@id` for a mention that resolves to nobody, keeping `id` in `attribute` for the inbox.
pub(crate) fn write_unknown(attribute: &str, id: &str, out: &mut Output) {
    out.open("span", "hp-mention hp-mention-unknown");
    out.attr(attribute, id);
    out.raw(">@");
    out.text(id);
    out.close("span");
}

/// Writes `text` escaped, with every `<@userid>` replaced by its mention element.
pub(crate) fn write_text(text: &str, context: &Context<'_>, out: &mut Output) {
    let mut rest = text;
    while let Some(at) = rest.find("<@") {
        out.text(&rest[..at]);
        match parse(&rest[at..]) {
            Some((userid, length)) => {
                write(userid, context, out);
                rest = &rest[at + length..];
            }
            None => {
                out.text("<@");
                rest = &rest[at + 2..];
            }
        }
    }
    out.text(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::with_zhangsan;

    fn rendered(text: &str) -> Output {
        let mut out = Output::default();
        with_zhangsan(|context| write_text(text, context, &mut out));
        out
    }

    #[test]
    fn a_mention_is_parsed_with_its_length() {
        assert_eq!(parse("<@zhangsan>广州"), Some(("zhangsan", 11)));
        assert_eq!(parse("<@li.si-2@corp>"), Some(("li.si-2@corp", 15)));
    }

    #[test]
    fn things_that_are_not_userids_are_not_mentions() {
        assert_eq!(parse("<@>"), None);
        assert_eq!(parse("<@ zhangsan>"), None);
        assert_eq!(parse("<@_x>"), None);
        assert_eq!(parse("<@a\"onclick=x>"), None);
        assert_eq!(parse("<@zhangsan"), None);
        assert_eq!(parse(&format!("<@{}>", "a".repeat(65))), None);
    }

    #[test]
    fn a_known_user_is_shown_by_name() {
        let out = rendered("<@zhangsan>你好");
        assert_eq!(
            out.html,
            r#"<span class="hp-mention" data-userid="zhangsan">@张三</span>你好"#
        );
        assert!(out.lints.is_empty());
    }

    #[test]
    fn an_unknown_user_is_shown_by_userid_with_a_lint() {
        let out = rendered("hi <@wangwu>");
        assert_eq!(
            out.html,
            r#"hi <span class="hp-mention hp-mention-unknown" data-userid="wangwu">@wangwu</span>"#
        );
        assert_eq!(out.lints[0].code, code::UNKNOWN_USER);
    }

    #[test]
    fn a_broken_mention_is_shown_literally_and_escaped() {
        let out = rendered("a <@ b> <@<script>");
        assert_eq!(out.html, "a &lt;@ b&gt; &lt;@&lt;script&gt;");
    }
}
