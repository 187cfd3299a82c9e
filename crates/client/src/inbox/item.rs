//! The typed answers of Hookpit's `/api/v1`: [`MessageItem`] (what a sender's message became)
//! and [`Rejection`] (a refused webhook call).
//!
//! Both keep fields this SDK does not know in `extra`, so that a newer server (say, one adding
//! a `from` field for messages people write) never breaks an older SDK, and so that
//! re-serializing an item prints everything the server said.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One stored message, as `GET /api/v1/messages` and the long-poll answer it.
///
/// A request to `@all_group` or to several chats is stored once per chat it reached, so one
/// send can give several items (same `request_id`).
///
/// # Examples
/// ```
/// use hookpit_client::MessageItem;
///
/// let item: MessageItem = serde_json::from_str(r#"{
///     "id": 7, "request_id": "r1", "bot": {"id": "demo", "name": "Demo"}, "from": {"kind": "bot"},
///     "chatid": "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw", "chat_type": "group",
///     "msgtype": "text", "content": {"content": "Deploy done"},
///     "visible_to": [], "mentions": [], "created_at": "2025-01-06T11:22:39.128Z",
///     "html": "<div>Deploy done</div>", "lints": []
/// }"#)?;
/// assert_eq!(item.text(), Some("Deploy done"));
/// assert!(item.contains("deploy"));
/// assert_eq!(item.bot.as_ref().map(|bot| bot.id.as_str()), Some("demo"));
/// assert_eq!(item.extra["from"]["kind"], "bot");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageItem {
    /// The message id: increasing, never reused (also after a clear).
    pub id: i64,
    /// The webhook request the message came from (empty for a message a person wrote).
    #[serde(default)]
    pub request_id: String,
    /// The bot that sent it; `None` for a message a person wrote in the inbox (a server that
    /// stores those says who in `extra["from"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<BotRef>,
    /// The chat it was delivered to.
    pub chatid: String,
    /// `group`, `blackboard` or `single`.
    pub chat_type: String,
    /// The blackboard post it replies to or started, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<String>,
    /// The wire `msgtype` (`text`, `markdown_v2`, `template_card`, ...); a string, so that a
    /// type this SDK does not know (a person's `mixed` message) still parses.
    pub msgtype: String,
    /// The accepted `<msgtype>` object, e.g. `{"content": "hello world"}` for text. An image
    /// holds its `md5`, `format` and `size` instead of the base64.
    pub content: Value,
    /// The members who alone see it (`visible_to_user`); empty means everyone in the chat.
    #[serde(default)]
    pub visible_to: Vec<String>,
    /// The userids it @-mentions (`@all` included).
    #[serde(default)]
    pub mentions: Vec<String>,
    /// When it was stored, RFC 3339 in UTC with milliseconds.
    pub created_at: String,
    /// The message rendered as a WeCom client shows it (safe HTML).
    #[serde(default)]
    pub html: String,
    /// How WeCom would display it differently from what the sender may expect.
    #[serde(default)]
    pub lints: Vec<Lint>,
    /// Fields this version of the SDK does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The bot of a [`MessageItem`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BotRef {
    /// The bot's id (`demo` for the demo bot).
    pub id: String,
    /// Its display name.
    pub name: String,
}

/// A display lint of a message (see `hookpit lint`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Lint {
    /// A stable snake_case code, e.g. `text_cut_for_display`.
    pub code: String,
    /// What WeCom would show, in a sentence.
    pub message: String,
}

/// A webhook call the server refused (non-zero errcode), kept so that the developers of
/// senders that ignore errcodes can see what went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Rejection {
    /// When, RFC 3339 in UTC with milliseconds.
    pub at: String,
    /// The key, masked: its first 4 characters and `…`.
    pub key: String,
    /// `send` or `upload_media`.
    pub endpoint: String,
    /// WeCom's errcode, e.g. 40058.
    pub errcode: i64,
    /// WeCom's errmsg, as the sender got it.
    pub errmsg: String,
    /// The start of the request body (lossy UTF-8).
    #[serde(default)]
    pub body_excerpt: String,
    /// The caller's address.
    #[serde(default)]
    pub from_ip: String,
    /// Fields this version of the SDK does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessageItem {
    /// The text of a text, markdown or markdown_v2 message (`content.content`); `None` for
    /// the other types.
    pub fn text(&self) -> Option<&str> {
        self.content.get("content")?.as_str()
    }

    /// Whether any string of the content holds `needle`, ignoring ASCII case: the match of the
    /// inbox search (`GET /api/v1/messages?q=`), so that a wait and a list agree. It looks at
    /// every string (text, markdown, article titles and descriptions, card fields, URLs).
    pub fn contains(&self, needle: &str) -> bool {
        hookpit_protocol::searchable_text(&self.content)
            .to_ascii_lowercase()
            .contains(&needle.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(content: Value) -> MessageItem {
        serde_json::from_value(json!({
            "id": 1, "request_id": "r", "bot": {"id": "b", "name": "B"}, "chatid": "g",
            "chat_type": "group", "msgtype": "news", "content": content,
            "created_at": "2025-01-06T11:22:39.128Z"
        }))
        .unwrap()
    }

    #[test]
    fn contains_looks_at_every_string_and_ignores_ascii_case() {
        let news = item(json!({"articles": [
            {"title": "Release 2.0", "url": "https://example.com/r", "description": "中秋节"}
        ]}));
        assert!(news.contains("release"));
        assert!(news.contains("EXAMPLE.com"));
        assert!(news.contains("中秋"));
        assert!(!news.contains("3.0"));
        assert_eq!(news.text(), None);
    }

    #[test]
    fn an_item_without_the_optional_fields_parses_and_round_trips_unknown_ones() {
        let mut value = serde_json::to_value(item(json!({"content": "hi"}))).unwrap();
        value["from"] = json!({"kind": "user", "userid": "zhangsan"});
        let parsed: MessageItem = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(parsed.extra["from"]["userid"], "zhangsan");
        assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
        assert!(value.get("post_id").is_none());
    }

    #[test]
    fn a_message_a_person_wrote_has_no_bot_and_may_have_a_type_of_its_own() {
        let person: MessageItem = serde_json::from_value(json!({
            "id": 2, "request_id": "", "from": {"kind": "user", "userid": "lisi", "name": "李四"},
            "chatid": "g", "chat_type": "group", "msgtype": "mixed",
            "content": {"items": [{"type": "text", "content": "收到"}]},
            "created_at": "2025-01-06T11:22:39.128Z"
        }))
        .unwrap();
        assert_eq!(person.bot, None);
        assert!(person.contains("收到"));
        assert!(serde_json::to_value(&person).unwrap().get("bot").is_none());
    }
}
