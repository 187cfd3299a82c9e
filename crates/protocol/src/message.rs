//! The request body of `POST /cgi-bin/webhook/send`: the envelope and the nine message bodies.
//!
//! These are wire types: they mirror WeCom's JSON field for field, so that every example of the
//! official document parses and serializes back without losing a field. Unknown extra fields are
//! ignored on input, as WeCom ignores them. Required string fields default to empty when absent so
//! that [`crate::validate`] can answer with WeCom's own code for the omission (44004, 41016, ...)
//! instead of a generic parse error. A struct-typed field takes a JSON object and nothing else
//! (`object.rs`): `"articles": [[]]` is a type error, not an empty article.

use serde::{Deserialize, Serialize};

use crate::card::TemplateCard;

/// A whole send request: where it goes (`chatid`, `post_id`, `visible_to_user`) and what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    /// Up to 100 targets joined by `|`; absent means `@all_group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chatid: Option<String>,
    /// A blackboard post to reply to; only effective when `chatid` is exactly one blackboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<String>,
    /// `|`-separated userids who alone may see the message; only effective for one group or blackboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_to_user: Option<String>,
    /// `msgtype` and the object named after it.
    #[serde(flatten)]
    pub message: Message,
}

impl SendRequest {
    /// A request with no envelope fields: WeCom sends it to `@all_group`.
    pub fn new(message: impl Into<Message>) -> Self {
        SendRequest {
            chatid: None,
            post_id: None,
            visible_to_user: None,
            message: message.into(),
        }
    }
}

/// One message body, tagged on the wire by `msgtype` with the body under the key of the same name.
///
/// The template card is boxed: unboxed it made every `Message` about 830 bytes (it is 96 now),
/// and a send's futures, which hold one, were copied whole on each move (a 7 KB handler
/// future, measured in docs/PERFORMANCE.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "msgtype")]
pub enum Message {
    #[serde(rename = "text")]
    Text { text: Text },
    #[serde(rename = "markdown")]
    Markdown { markdown: Markdown },
    #[serde(rename = "markdown_v2")]
    MarkdownV2 { markdown_v2: MarkdownV2 },
    #[serde(rename = "image")]
    Image { image: Image },
    #[serde(rename = "news")]
    News { news: News },
    #[serde(rename = "file")]
    File { file: MediaRef },
    #[serde(rename = "voice")]
    Voice { voice: MediaRef },
    #[serde(rename = "template_card")]
    TemplateCard { template_card: Box<TemplateCard> },
    #[serde(rename = "miniprogram")]
    Miniprogram { miniprogram: Miniprogram },
}

impl Message {
    /// The wire name of this message's type, as sent in `msgtype`.
    pub fn msgtype(&self) -> MsgType {
        match self {
            Message::Text { .. } => MsgType::Text,
            Message::Markdown { .. } => MsgType::Markdown,
            Message::MarkdownV2 { .. } => MsgType::MarkdownV2,
            Message::Image { .. } => MsgType::Image,
            Message::News { .. } => MsgType::News,
            Message::File { .. } => MsgType::File,
            Message::Voice { .. } => MsgType::Voice,
            Message::TemplateCard { .. } => MsgType::TemplateCard,
            Message::Miniprogram { .. } => MsgType::Miniprogram,
        }
    }

    /// The body object alone (the value under the `<msgtype>` key), as JSON.
    pub fn body_json(&self) -> serde_json::Value {
        let result = match self {
            Message::Text { text } => serde_json::to_value(text),
            Message::Markdown { markdown } => serde_json::to_value(markdown),
            Message::MarkdownV2 { markdown_v2 } => serde_json::to_value(markdown_v2),
            Message::Image { image } => serde_json::to_value(image),
            Message::News { news } => serde_json::to_value(news),
            Message::File { file } => serde_json::to_value(file),
            Message::Voice { voice } => serde_json::to_value(voice),
            Message::TemplateCard { template_card } => serde_json::to_value(template_card),
            Message::Miniprogram { miniprogram } => serde_json::to_value(miniprogram),
        };
        // Serializing plain structs of strings, numbers and vectors into a Value cannot fail.
        result.unwrap_or(serde_json::Value::Null)
    }
}

/// The nine values of `msgtype`, case-sensitive on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MsgType {
    Text,
    Markdown,
    #[serde(rename = "markdown_v2")]
    MarkdownV2,
    Image,
    News,
    File,
    Voice,
    TemplateCard,
    Miniprogram,
}

impl MsgType {
    /// Every message type, in the order of the official document.
    pub const ALL: [MsgType; 9] = [
        MsgType::Text,
        MsgType::Markdown,
        MsgType::MarkdownV2,
        MsgType::Image,
        MsgType::News,
        MsgType::File,
        MsgType::Voice,
        MsgType::TemplateCard,
        MsgType::Miniprogram,
    ];

    /// The exact wire name (`"markdown_v2"`, `"template_card"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            MsgType::Text => "text",
            MsgType::Markdown => "markdown",
            MsgType::MarkdownV2 => "markdown_v2",
            MsgType::Image => "image",
            MsgType::News => "news",
            MsgType::File => "file",
            MsgType::Voice => "voice",
            MsgType::TemplateCard => "template_card",
            MsgType::Miniprogram => "miniprogram",
        }
    }

    /// Whether this type may be posted to a blackboard: the official document names text,
    /// markdown and image ("支持消息推送在小黑板中发text，markdown和image类型消息的帖子和帖子回复") and
    /// excludes markdown_v2 ("该消息类型不支持发送到小黑板中").
    pub fn supports_blackboard(self) -> bool {
        matches!(self, MsgType::Text | MsgType::Markdown | MsgType::Image)
    }

    /// Whether `visible_to_user` also takes effect when the single target is a blackboard: the
    /// document says so for text and markdown ("该消息只有指定的群成员或小黑板成员可见"); for the
    /// other types it names groups only. On a group it takes effect for every type.
    pub fn visible_to_on_blackboard(self) -> bool {
        matches!(self, MsgType::Text | MsgType::Markdown)
    }

    /// Parses a wire name exactly as WeCom does: case-sensitive, no trimming.
    pub fn from_wire(name: &str) -> Option<MsgType> {
        MsgType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for MsgType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `text`: plain text with optional @-mentions by userid or mobile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Text {
    #[serde(default)]
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentioned_list: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentioned_mobile_list: Option<Vec<String>>,
}

/// `markdown` (v1): WeCom's small markdown subset, with `<@userid>` mentions and button attachments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Markdown {
    #[serde(default)]
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_short_name: Option<bool>,
    #[serde(
        default,
        deserialize_with = "crate::object::optional_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub attachments: Option<Vec<Attachment>>,
}

/// A group of buttons under a markdown message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(default)]
    pub callback_id: String,
    #[serde(default, deserialize_with = "crate::object::list")]
    pub actions: Vec<Action>,
}

/// One button of an attachment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Action {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub text: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub replace_text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub border_color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
}

/// `markdown_v2`: fuller markdown (lists, tables, code blocks), no colours and no mentions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MarkdownV2 {
    #[serde(default)]
    pub content: String,
}

/// `image`: the picture itself, base64-encoded, with the md5 of the raw bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Image {
    #[serde(default)]
    pub base64: String,
    #[serde(default)]
    pub md5: String,
}

/// `news`: one to eight link cards.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct News {
    #[serde(default, deserialize_with = "crate::object::list")]
    pub articles: Vec<Article>,
}

/// One card of a `news` message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Article {
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picurl: Option<String>,
}

/// `file` and `voice`: a media id from `upload_media` of the same bot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaRef {
    #[serde(default)]
    pub media_id: String,
}

/// `miniprogram`: a mini-program card (internal document only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Miniprogram {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub pic_media_id: String,
    #[serde(default)]
    pub appid: String,
    #[serde(default)]
    pub page: String,
}

macro_rules! into_message {
    ($($body:ty => $variant:ident { $field:ident }),* $(,)?) => {
        $(impl From<$body> for Message {
            fn from($field: $body) -> Self {
                Message::$variant { $field }
            }
        })*
    };
}

into_message! {
    Text => Text { text },
    Markdown => Markdown { markdown },
    MarkdownV2 => MarkdownV2 { markdown_v2 },
    Image => Image { image },
    News => News { news },
    Miniprogram => Miniprogram { miniprogram },
}

impl From<TemplateCard> for Message {
    fn from(template_card: TemplateCard) -> Self {
        Message::TemplateCard {
            template_card: Box::new(template_card),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_stays_small_because_the_template_card_is_boxed() {
        // Every send's futures hold a `Message`; an unboxed card made it 856 bytes.
        let size = std::mem::size_of::<Message>();
        assert!(size <= 160, "Message is {size} bytes");
    }

    #[test]
    fn wire_names_round_trip_and_are_case_sensitive() {
        for msgtype in MsgType::ALL {
            assert_eq!(MsgType::from_wire(msgtype.as_str()), Some(msgtype));
            let quoted = serde_json::to_string(&msgtype).unwrap();
            assert_eq!(quoted, format!("\"{msgtype}\""));
        }
        assert_eq!(MsgType::from_wire("Markdown_v2"), None);
    }

    #[test]
    fn blackboards_take_text_markdown_and_image_and_visibility_only_for_the_first_two() {
        let blackboard: Vec<MsgType> = MsgType::ALL
            .into_iter()
            .filter(|t| t.supports_blackboard())
            .collect();
        assert_eq!(
            blackboard,
            [MsgType::Text, MsgType::Markdown, MsgType::Image]
        );
        let visible: Vec<MsgType> = MsgType::ALL
            .into_iter()
            .filter(|t| t.visible_to_on_blackboard())
            .collect();
        assert_eq!(visible, [MsgType::Text, MsgType::Markdown]);
    }
}
