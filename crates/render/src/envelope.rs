//! Lints on a valid request as a whole, from what it says without the server's state: fields its
//! `chatid` makes ineffective, and media ids that only Hookpit's demo workspace answers.
//!
//! - `visible_to_user` takes effect only when `chatid` names exactly one group (or blackboard,
//!   for text and markdown); `post_id` only when it names exactly one blackboard, and only for
//!   text, markdown and image (spec §2.1). Outside that WeCom ignores them rather than refusing
//!   the request, so the message reaches everyone, or is not a reply. Whether the one id is a
//!   group or a blackboard only the server knows; these lints catch what the request alone shows.
//! - The official document's examples use placeholder media ids (`MEDIA_ID`, `MEDIAID`,
//!   `3a8asd892asd8asd`). Hookpit's demo workspace holds media under them so that the examples
//!   answer 0, but real WeCom knows no such upload.

use hookpit_protocol::{ChatTarget, MsgType, ValidSend};

use crate::lint::{Lint, code};

/// The placeholder media ids of WeCom's official document: the file example's, the voice and
/// mini-program examples', and the template card's `horizontal_content_list` attachment's. The
/// server's demo workspace (`store/demo.rs`) holds media under the same ids.
pub const PLACEHOLDER_MEDIA_IDS: [&str; 3] = ["3a8asd892asd8asd", "MEDIA_ID", "MEDIAID"];

/// Lints `send` for what WeCom would ignore or refuse that validation cannot see: a
/// `visible_to_user` or `post_id` its `chatid` makes ineffective, and placeholder media ids.
///
/// # Examples
/// ```
/// let body = br#"{"msgtype":"text","text":{"content":"hi"},"visible_to_user":"zhangsan"}"#;
/// let send = hookpit_protocol::parse_send(body).unwrap();
/// let lints = hookpit_render::lint_send(&send);
/// assert_eq!(lints[0].code, "visible_to_ignored");
/// ```
pub fn lint_send(send: &ValidSend) -> Vec<Lint> {
    let mut lints = Vec::new();
    let msgtype = send.msgtype();
    let why_not_one = || reason_not_one(send);
    if !send.visible_to.is_empty()
        && send.effective_visible_to().is_empty()
        && let Some(reason) = why_not_one()
    {
        lints.push(Lint {
            code: code::VISIBLE_TO_IGNORED,
            message: format!(
                "visible_to_user: WeCom applies it only when chatid names exactly one group (or \
                 blackboard, for text and markdown), and {reason}: everyone in the chats sees \
                 the message"
            ),
        });
    }
    let post_id = send.request.post_id.as_deref().unwrap_or_default();
    if !post_id.is_empty() && send.effective_post_id().is_none() {
        let message = if msgtype.supports_blackboard() {
            let reason = why_not_one().unwrap_or_else(|| "it does not".to_owned());
            format!(
                "post_id: WeCom applies it only when chatid is exactly one blackboard, and \
                 {reason}: the message is not a reply to post {post_id:?}"
            )
        } else {
            format!(
                "post_id: WeCom posts only text, markdown and image to a blackboard, so a \
                 {msgtype} message ignores it"
            )
        };
        lints.push(Lint {
            code: code::POST_ID_IGNORED,
            message,
        });
    }
    for need in send.media_needs() {
        if PLACEHOLDER_MEDIA_IDS.contains(&need.media_id.as_str()) {
            let upload = if msgtype == MsgType::Miniprogram {
                "an image upload (hookpit upload --type image)"
            } else {
                "an upload (hookpit upload)"
            };
            lints.push(Lint {
                code: code::PLACEHOLDER_MEDIA_ID,
                message: format!(
                    "{}: {:?} is a placeholder of WeCom's official document; Hookpit's demo \
                     workspace answers it, real WeCom will not: use the media_id of {upload}",
                    need.path, need.media_id
                ),
            });
        }
    }
    lints
}

/// Why `chatid` does not name exactly one conversation, as a clause; `None` when it does.
fn reason_not_one(send: &ValidSend) -> Option<String> {
    let targets = send.targets.0.as_slice();
    let absent = send
        .request
        .chatid
        .as_deref()
        .is_none_or(|chatid| chatid.split('|').all(|id| id.trim().is_empty()));
    match targets {
        [ChatTarget::Id(_)] => None,
        _ if absent => Some("chatid is absent (so @all_group, every group of the bot)".to_owned()),
        [special] => Some(format!("chatid is {}", special.as_str())),
        several => Some(format!("chatid names {} targets", several.len())),
    }
}

#[cfg(test)]
mod tests {
    use hookpit_protocol::parse_send;

    use super::*;

    fn lints(body: &str) -> Vec<String> {
        let send = parse_send(body.as_bytes()).expect("a valid request");
        lint_send(&send)
            .into_iter()
            .map(|lint| format!("{}: {}", lint.code, lint.message))
            .collect()
    }

    #[test]
    fn visible_to_user_without_exactly_one_chat_is_linted_with_the_reason() {
        assert_eq!(
            lints(r#"{"msgtype":"text","text":{"content":"x"},"visible_to_user":"zhangsan"}"#),
            [
                "visible_to_ignored: visible_to_user: WeCom applies it only when chatid names \
              exactly one group (or blackboard, for text and markdown), and chatid is absent (so \
              @all_group, every group of the bot): everyone in the chats sees the message"
            ]
        );
        let several = lints(
            r#"{"chatid":"wrkA|wrkB","msgtype":"markdown","markdown":{"content":"x"},"visible_to_user":"zhangsan|lisi"}"#,
        );
        assert!(
            several[0].contains("and chatid names 2 targets:"),
            "{several:?}"
        );
        let special = lints(
            r#"{"chatid":"@all","msgtype":"text","text":{"content":"x"},"visible_to_user":"lisi"}"#,
        );
        assert!(special[0].contains("and chatid is @all:"), "{special:?}");
    }

    #[test]
    fn post_id_is_linted_off_a_single_chat_and_on_types_a_blackboard_does_not_take() {
        let broadcast = lints(
            r#"{"chatid":"@all_blackboard","post_id":"bpk1","msgtype":"text","text":{"content":"x"}}"#,
        );
        assert_eq!(
            broadcast,
            [
                "post_id_ignored: post_id: WeCom applies it only when chatid is exactly one \
              blackboard, and chatid is @all_blackboard: the message is not a reply to post \
              \"bpk1\""
            ]
        );
        let news = lints(
            r#"{"chatid":"wrkA","post_id":"bpk1","msgtype":"news","news":{"articles":[{"title":"t","url":"https://example.com"}]}}"#,
        );
        assert_eq!(
            news,
            [
                "post_id_ignored: post_id: WeCom posts only text, markdown and image to a \
              blackboard, so a news message ignores it"
            ]
        );
    }

    #[test]
    fn one_chat_and_empty_fields_are_not_linted() {
        for body in [
            r#"{"chatid":"wrkA","visible_to_user":"zhangsan","post_id":"bpk1","msgtype":"text","text":{"content":"x"}}"#,
            r#"{"chatid":"wrkA|wrkA","visible_to_user":"zhangsan","msgtype":"markdown","markdown":{"content":"x"}}"#,
            r#"{"visible_to_user":"","post_id":"","msgtype":"text","text":{"content":"x"}}"#,
            r#"{"msgtype":"file","file":{"media_id":"MEDIA_ID_OF_MINE"}}"#,
        ] {
            let send = parse_send(body.as_bytes()).expect("a valid request");
            assert!(lint_send(&send).is_empty(), "{body}");
        }
    }

    #[test]
    fn the_documents_placeholder_media_ids_are_linted_where_a_media_id_goes() {
        assert_eq!(
            lints(r#"{"msgtype":"file","file":{"media_id":"3a8asd892asd8asd"}}"#),
            [
                "placeholder_media_id: file.media_id: \"3a8asd892asd8asd\" is a placeholder of \
              WeCom's official document; Hookpit's demo workspace answers it, real WeCom will \
              not: use the media_id of an upload (hookpit upload)"
            ]
        );
        let cover = lints(
            r#"{"msgtype":"miniprogram","miniprogram":{"title":"t","pic_media_id":"MEDIA_ID","appid":"wx1","page":"/p"}}"#,
        );
        assert!(
            cover[0].starts_with("placeholder_media_id: miniprogram.pic_media_id: \"MEDIA_ID\"")
                && cover[0].ends_with("(hookpit upload --type image)"),
            "{cover:?}"
        );
        let voice = lints(r#"{"msgtype":"voice","voice":{"media_id":"MEDIAID"}}"#);
        assert_eq!(voice.len(), 1, "{voice:?}");
    }
}
