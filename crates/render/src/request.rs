//! Lints on the raw request body: fields WeCom silently ignores, which the typed [`Message`]
//! cannot show because it drops them on parsing.
//!
//! The commonest case is `mentioned_list` / `mentioned_mobile_list` on a `markdown` message:
//! WeCom honours the lists only for `text` (spec §2.3, §7) and mentions nobody, so the sender
//! should use `<@userid>` in the content instead.
//!
//! [`Message`]: hookpit_protocol::Message

use serde_json::{Map, Value};

use crate::lint::{Lint, code};

/// The two mention lists, honoured by WeCom only inside a `text` body.
const MENTION_LISTS: [&str; 2] = ["mentioned_list", "mentioned_mobile_list"];

/// Lints `body` (the bytes of a send request) for fields WeCom ignores.
///
/// Returns no lint for a body that is not a JSON object: validation answers for those.
///
/// # Examples
/// ```
/// let body = br#"{"msgtype":"markdown","markdown":{"content":"hi","mentioned_list":["@all"]}}"#;
/// let lints = hookpit_render::lint_request(body);
/// assert_eq!(lints[0].code, "mention_list_ignored");
/// ```
pub fn lint_request(body: &[u8]) -> Vec<Lint> {
    if !may_name_a_mention_list(body) {
        return Vec::new();
    }
    // serde_json's recursion limit bounds the work on hostile bodies.
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let msgtype = request.get("msgtype").and_then(Value::as_str).unwrap_or("");
    let mut lints = Vec::new();
    for list in MENTION_LISTS {
        if present(&request, list) {
            lints.push(Lint {
                code: code::MENTION_LIST_IGNORED,
                message: format!(
                    "top-level {list}: WeCom ignores it and mentions nobody (it belongs inside \
                     the text object of a text message)"
                ),
            });
        }
    }
    if msgtype != "text"
        && let Some(Value::Object(content)) = request.get(msgtype)
    {
        for list in MENTION_LISTS {
            if present(content, list) {
                let hint = if msgtype == "markdown" {
                    " (use <@userid> in the content)"
                } else {
                    ""
                };
                lints.push(Lint {
                    code: code::MENTION_LIST_IGNORED,
                    message: format!(
                        "{msgtype}.{list}: WeCom honours mention lists only on text messages and \
                         mentions nobody{hint}"
                    ),
                });
            }
        }
    }
    lints
}

/// Whether `body` can hold a mention list's key: spelled out, or with `\u` escapes (JSON lets a
/// key be written so). Most bodies cannot, and skip a second parse into a [`Value`] — for an
/// image, a copy of its 130 KB of Base64 only to find no key.
fn may_name_a_mention_list(body: &[u8]) -> bool {
    memchr::memmem::find(body, b"mentioned").is_some()
        || memchr::memmem::find(body, b"\\u").is_some()
}

/// Whether `object` has a non-empty `key` (an empty list or `null` does no harm).
fn present(object: &Map<String, Value>, key: &str) -> bool {
    match object.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_and_messages(body: &str) -> Vec<String> {
        lint_request(body.as_bytes())
            .into_iter()
            .map(|lint| format!("{}: {}", lint.code, lint.message))
            .collect()
    }

    #[test]
    fn mention_lists_on_markdown_are_linted_with_the_inline_syntax_as_the_fix() {
        assert_eq!(
            codes_and_messages(
                r#"{"msgtype":"markdown","markdown":{"content":"x","mentioned_list":["zhangsan"],
                    "mentioned_mobile_list":["13800001111"]}}"#
            ),
            [
                "mention_list_ignored: markdown.mentioned_list: WeCom honours mention lists only \
                 on text messages and mentions nobody (use <@userid> in the content)",
                "mention_list_ignored: markdown.mentioned_mobile_list: WeCom honours mention \
                 lists only on text messages and mentions nobody (use <@userid> in the content)",
            ]
        );
    }

    #[test]
    fn mention_lists_on_other_types_are_linted() {
        let lints = codes_and_messages(
            r#"{"msgtype":"news","news":{"articles":[],"mentioned_list":["@all"]}}"#,
        );
        assert_eq!(
            lints,
            [
                "mention_list_ignored: news.mentioned_list: WeCom honours mention lists only on text \
              messages and mentions nobody"
            ]
        );
    }

    #[test]
    fn a_mention_list_outside_the_text_object_is_linted() {
        let lints = codes_and_messages(
            r#"{"msgtype":"text","text":{"content":"x"},"mentioned_list":["@all"]}"#,
        );
        assert_eq!(lints.len(), 1);
        assert_eq!(
            lints[0],
            "mention_list_ignored: top-level mentioned_list: WeCom ignores it and mentions nobody \
             (it belongs inside the text object of a text message)"
        );
    }

    #[test]
    fn a_mention_list_key_written_with_escapes_is_linted_too() {
        let lints = codes_and_messages(
            r#"{"msgtype":"markdown","markdown":{"content":"x","mention\u0065d_list":["a"]}}"#,
        );
        assert_eq!(lints.len(), 1, "{lints:?}");
        assert!(lints[0].starts_with("mention_list_ignored: markdown.mentioned_list"));
    }

    #[test]
    fn mention_lists_on_text_and_empty_lists_are_fine() {
        for body in [
            r#"{"msgtype":"text","text":{"content":"x","mentioned_list":["@all"]}}"#,
            r#"{"msgtype":"markdown","markdown":{"content":"x","mentioned_list":[]}}"#,
            r#"{"msgtype":"markdown","markdown":{"content":"x","mentioned_list":null}}"#,
            "not json",
            "[]",
        ] {
            assert!(lint_request(body.as_bytes()).is_empty(), "{body}");
        }
    }
}
