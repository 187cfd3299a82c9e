//! [`MessageFilter`]: which stored messages a list or a wait is about.

use std::fmt;

use hookpit_protocol::MsgType;

use super::item::MessageItem;

/// Which messages to list or wait for. Every filter is optional; they combine with AND.
///
/// `key`, `chatid`, `msgtype` and `as_user` are the server's own filters. `contains` is the
/// inbox search (every string of the content, ignoring ASCII case): the list passes it to the
/// server as `q`; the long-poll has no such parameter, so waits apply it to each message that
/// arrives. `after` starts from a message id, e.g. one from [`Inbox::latest_id`] taken before
/// the code under test ran.
///
/// [`Inbox::latest_id`]: crate::Inbox::latest_id
///
/// # Examples
/// ```
/// use hookpit_client::MessageFilter;
/// use hookpit_client::protocol::MsgType;
///
/// let filter = MessageFilter::new()
///     .chatid("wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw")
///     .msgtype(MsgType::Markdown)
///     .contains("deploy");
/// assert_eq!(filter.to_string(), "chatid wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw, msgtype markdown, containing \"deploy\"");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    pub(crate) key: Option<String>,
    pub(crate) chatid: Option<String>,
    pub(crate) msgtype: Option<MsgType>,
    pub(crate) as_user: Option<String>,
    pub(crate) contains: Option<String>,
    pub(crate) after: Option<i64>,
}

impl MessageFilter {
    /// Every message.
    pub fn new() -> MessageFilter {
        MessageFilter::default()
    }

    /// Only messages of the bot with this key (it may not exist yet: with `--accept-any-key`
    /// a wait for a new key ends when its first message lands).
    pub fn key(mut self, key: impl Into<String>) -> MessageFilter {
        self.key = Some(key.into());
        self
    }

    /// Only messages delivered to this chat.
    pub fn chatid(mut self, chatid: impl Into<String>) -> MessageFilter {
        self.chatid = Some(chatid.into());
        self
    }

    /// Only messages of this type.
    pub fn msgtype(mut self, msgtype: MsgType) -> MessageFilter {
        self.msgtype = Some(msgtype);
        self
    }

    /// Only messages this member sees (not those `visible_to` others alone).
    pub fn as_user(mut self, userid: impl Into<String>) -> MessageFilter {
        self.as_user = Some(userid.into());
        self
    }

    /// Only messages with this text in any string of their content, ignoring ASCII case (see
    /// [`MessageItem::contains`]).
    pub fn contains(mut self, text: impl Into<String>) -> MessageFilter {
        self.contains = Some(text.into());
        self
    }

    /// Only messages with an id above `id` (0 means every message).
    pub fn after(mut self, id: i64) -> MessageFilter {
        self.after = Some(id);
        self
    }

    /// Whether `item` passes every filter this side can check (all but `key`, which only the
    /// server can map to a bot).
    pub fn matches(&self, item: &MessageItem) -> bool {
        self.after.is_none_or(|after| item.id > after)
            && self.chatid.as_ref().is_none_or(|id| *id == item.chatid)
            && self.msgtype.is_none_or(|t| t.as_str() == item.msgtype)
            && self
                .as_user
                .as_ref()
                .is_none_or(|user| item.visible_to.is_empty() || item.visible_to.contains(user))
            && self
                .contains
                .as_ref()
                .is_none_or(|text| item.contains(text))
    }

    /// The server's filters as query parameters (`contains` as `q` when `with_text`).
    pub(crate) fn query(&self, with_text: bool) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        let mut push = |name, value: Option<&str>| {
            if let Some(value) = value.filter(|value| !value.is_empty()) {
                query.push((name, value.to_owned()));
            }
        };
        push("key", self.key.as_deref());
        push("chatid", self.chatid.as_deref());
        push("msgtype", self.msgtype.map(MsgType::as_str));
        push("as_user", self.as_user.as_deref());
        if with_text && let Some(phrase) = self.contains.as_deref().and_then(quoted_phrase) {
            query.push(("q", phrase));
        }
        query
    }
}

/// `text` as one quoted phrase of the server's search syntax, so that `disk full`, `-x` or
/// `msgtype:text` are looked for as they are written, not as words, exclusions or fields.
/// `None` for empty text, and for text holding `"`, which the syntax cannot quote: the server
/// then lists without it and [`MessageFilter::matches`] does the filtering.
fn quoted_phrase(text: &str) -> Option<String> {
    (!text.is_empty() && !text.contains('"')).then(|| format!("\"{text}\""))
}

/// What the filter selects, for messages such as "timed out waiting for ...": `every
/// message`, or the filters joined with commas. The key is masked.
impl fmt::Display for MessageFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(key) = &self.key {
            let shown: String = key.chars().take(4).collect();
            parts.push(format!("key {shown}…"));
        }
        if let Some(chatid) = &self.chatid {
            parts.push(format!("chatid {chatid}"));
        }
        if let Some(msgtype) = self.msgtype {
            parts.push(format!("msgtype {}", msgtype.as_str()));
        }
        if let Some(user) = &self.as_user {
            parts.push(format!("visible to {user}"));
        }
        if let Some(text) = &self.contains {
            parts.push(format!("containing {text:?}"));
        }
        if let Some(after) = self.after.filter(|after| *after > 0) {
            parts.push(format!("after #{after}"));
        }
        if parts.is_empty() {
            f.write_str("every message")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_filter_says_every_message_and_sends_no_parameters() {
        let filter = MessageFilter::new();
        assert_eq!(filter.to_string(), "every message");
        assert!(filter.query(true).is_empty());
    }

    #[test]
    fn the_key_is_masked_and_contains_becomes_q_only_for_lists() {
        let filter = MessageFilter::new()
            .key("693a91f6-secret")
            .contains("disk")
            .after(4);
        assert_eq!(
            filter.to_string(),
            "key 693a…, containing \"disk\", after #4"
        );
        assert_eq!(
            filter.query(true),
            [
                ("key", "693a91f6-secret".to_owned()),
                ("q", "\"disk\"".to_owned())
            ]
        );
        assert_eq!(filter.query(false), [("key", "693a91f6-secret".to_owned())]);
    }

    #[test]
    fn contains_is_sent_as_one_phrase_or_left_to_this_side() {
        let q = |text: &str| {
            MessageFilter::new()
                .contains(text)
                .query(true)
                .into_iter()
                .find(|(name, _)| *name == "q")
                .map(|(_, value)| value)
        };
        assert_eq!(q("disk full").as_deref(), Some("\"disk full\""));
        assert_eq!(q("-x msgtype:text").as_deref(), Some("\"-x msgtype:text\""));
        assert_eq!(q("say \"hi\""), None);
        assert_eq!(q(""), None);
    }
}
