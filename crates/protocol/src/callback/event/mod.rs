//! The decrypted payload of a callback (spec §8.6) as a typed value, with both serializations
//! (for the side that sends callbacks) and both parsers (for the bot that receives them).
//!
//! Writing emits every common field in every payload, since receivers fail on a missing one,
//! and `PostId`/`postid` and `AppVersion`/`app_version` only when set. Reading takes what WeCom
//! sends: any order, CDATA or not, whitespace around values, character references; a common
//! string field that is absent reads as empty, while what decides the shape of the value (the
//! message type, the chat type, the body of the type, an event's type, a mixed item's type)
//! must be there.

mod json;
mod xml;

use super::envelope::CallbackFormat;
use super::xml::XmlError;

/// A decrypted callback: where it happened, who did it, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The bot's push URL (`…/cgi-bin/webhook/send?key=…`), to answer asynchronously.
    pub webhook_url: String,
    /// Unique per message: WeCom retries, so receivers dedupe on it.
    pub msgid: String,
    /// The conversation: a group, a single chat or a blackboard.
    pub chatid: String,
    /// The blackboard post, for blackboard replies.
    pub post_id: Option<String>,
    /// What kind of conversation `chatid` is.
    pub chat_type: ChatType,
    /// The member who wrote, clicked or joined.
    pub from: Sender,
    /// A one-shot URL (5 minutes, single use) for the chat's name and members (spec §8.8).
    pub get_chat_info_url: String,
    /// The client version, when WeCom sends one.
    pub app_version: Option<String>,
    /// The message or event itself.
    pub body: CallbackBody,
}

/// The four kinds of conversation (`chattype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatType {
    /// A single chat between a member and the bot.
    Single,
    /// A group chat.
    Group,
    /// A blackboard (小黑板).
    Blackboard,
    /// A reply under a blackboard post.
    BlackboardReply,
}

impl ChatType {
    /// Every chat type, in the order of the document.
    pub const ALL: [ChatType; 4] = [
        ChatType::Single,
        ChatType::Group,
        ChatType::Blackboard,
        ChatType::BlackboardReply,
    ];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatType::Single => "single",
            ChatType::Group => "group",
            ChatType::Blackboard => "blackboard",
            ChatType::BlackboardReply => "blackboard_reply",
        }
    }

    /// Parses a wire value, case-sensitive.
    pub fn from_wire(name: &str) -> Option<ChatType> {
        ChatType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// The member behind a callback (`From` / `from`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sender {
    /// Their userid, usable in `mentioned_list` and `visible_to_user`.
    pub userid: String,
    /// Their display name.
    pub name: String,
    /// Their alias (English name).
    pub alias: String,
}

/// What happened: a message of one of the four types, or an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackBody {
    /// Text; in groups it starts with the bot's `@name`.
    Text {
        /// The text as written.
        content: String,
    },
    /// A picture (single chat only); the URL is hotlink-protected.
    Image {
        /// Where to download it.
        image_url: String,
    },
    /// Text and pictures mixed (图文混排).
    Mixed {
        /// The parts, in order.
        items: Vec<MixedItem>,
    },
    /// The bot joined or left a group, or a member opened its single chat.
    Event {
        /// Which of the three.
        event_type: EventType,
    },
    /// A member clicked a button of a markdown message's attachment.
    Attachment {
        /// The attachment's `callback_id`, as sent.
        callback_id: String,
        /// The clicked button (WeCom sends one).
        actions: Vec<AttachmentAction>,
    },
}

impl CallbackBody {
    /// The wire `msgtype`.
    pub fn msgtype(&self) -> &'static str {
        match self {
            CallbackBody::Text { .. } => "text",
            CallbackBody::Image { .. } => "image",
            CallbackBody::Mixed { .. } => "mixed",
            CallbackBody::Event { .. } => "event",
            CallbackBody::Attachment { .. } => "attachment",
        }
    }
}

/// One part of a mixed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MixedItem {
    /// A run of text.
    Text {
        /// The text.
        content: String,
    },
    /// A picture.
    Image {
        /// Where to download it.
        image_url: String,
    },
}

/// The three events (`event_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// The bot was added to a group.
    AddToChat,
    /// The bot was removed from a group.
    DeleteFromChat,
    /// A member opened the bot's single chat.
    EnterChat,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 3] = [
        EventType::AddToChat,
        EventType::DeleteFromChat,
        EventType::EnterChat,
    ];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::AddToChat => "add_to_chat",
            EventType::DeleteFromChat => "delete_from_chat",
            EventType::EnterChat => "enter_chat",
        }
    }

    /// Parses a wire value, case-sensitive.
    pub fn from_wire(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// The clicked button of an attachment, with the values the markdown message gave it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttachmentAction {
    /// The action's `name`.
    pub name: String,
    /// The action's `value`.
    pub value: String,
    /// The action's `type` (`button`).
    pub kind: String,
}

/// Why a decrypted payload is not a callback this crate knows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// An XML payload that is not well-formed.
    #[error("the callback is not XML: {0}")]
    NotXml(#[from] XmlError),
    /// A JSON payload that is not JSON, or has a field of the wrong JSON type.
    #[error("the callback is not the expected JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// A field that decides the shape of the callback is absent (the wire name is given).
    #[error("the callback has no {0}")]
    Missing(&'static str),
    /// A value outside the documented ones (a future `msgtype` such as `command`, say).
    #[error("the callback's {field} {value:?} is not one this crate knows")]
    Unknown {
        /// The wire name of the field.
        field: &'static str,
        /// The value found.
        value: String,
    },
}

impl Callback {
    /// The plaintext of this callback in `format`, ready for [`super::CallbackCrypto::encrypt`].
    pub fn to_plaintext(&self, format: CallbackFormat) -> String {
        match format {
            CallbackFormat::Xml => self.to_xml(),
            CallbackFormat::Json => self.to_json(),
        }
    }

    /// The XML plaintext: CamelCase elements under `<xml>`, every string in CDATA.
    pub fn to_xml(&self) -> String {
        xml::write(self)
    }

    /// The JSON plaintext: snake_case keys in the order of the document's examples.
    pub fn to_json(&self) -> String {
        json::write(self)
    }

    /// Reads a decrypted payload in `format`.
    ///
    /// # Errors
    /// [`PayloadError`] for a payload that is not `format`, lacks what decides its shape, or
    /// has a type this crate does not know.
    pub fn parse(format: CallbackFormat, plaintext: &[u8]) -> Result<Callback, PayloadError> {
        match format {
            CallbackFormat::Xml => Callback::parse_xml(plaintext),
            CallbackFormat::Json => Callback::parse_json(plaintext),
        }
    }

    /// Reads an XML payload.
    ///
    /// # Errors
    /// As [`Callback::parse`].
    pub fn parse_xml(plaintext: &[u8]) -> Result<Callback, PayloadError> {
        xml::parse(plaintext)
    }

    /// Reads a JSON payload.
    ///
    /// # Errors
    /// As [`Callback::parse`].
    pub fn parse_json(plaintext: &[u8]) -> Result<Callback, PayloadError> {
        json::parse(plaintext)
    }
}

/// The value of a shape-deciding field, or the error naming it.
fn known<T>(
    field: &'static str,
    value: Option<&str>,
    from_wire: impl FnOnce(&str) -> Option<T>,
) -> Result<T, PayloadError> {
    let value = value.ok_or(PayloadError::Missing(field))?;
    from_wire(value).ok_or_else(|| PayloadError::Unknown {
        field,
        value: value.to_owned(),
    })
}
