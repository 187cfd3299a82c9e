//! The domain: users, chats (groups, blackboards, single chats), posts, bots, messages and media,
//! as the store takes and returns them; callbacks and their outbox in [`callback`]. These are
//! neither rows nor wire types.

pub mod callback;
pub mod relay;

use hookpit_protocol::{MediaKind, MsgType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use callback::{
    Attempt, AttemptDone, CallbackConfig, CallbackJob, ChatInfoCode, Consumer, NewOutboxEntry,
    OutboxRecord, OutboxStatus, PersonImage, PersonItem, PersonMessage,
};
pub use relay::{RelayConfig, RelayJob, RelayMode};

/// A member of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub userid: String,
    pub name: String,
    /// Mobile number, for `mentioned_mobile_list`; empty when unknown.
    #[serde(default)]
    pub mobile: String,
}

/// The three kinds of conversation a bot message lands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    Group,
    Blackboard,
    Single,
}

impl ChatKind {
    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Group => "group",
            ChatKind::Blackboard => "blackboard",
            ChatKind::Single => "single",
        }
    }

    /// Parses the stored and API spelling.
    pub fn parse(text: &str) -> Option<ChatKind> {
        match text {
            "group" => Some(ChatKind::Group),
            "blackboard" => Some(ChatKind::Blackboard),
            "single" => Some(ChatKind::Single),
            _ => None,
        }
    }

    /// The renderer's view of this kind.
    pub fn render_kind(self) -> hookpit_render::ChatKind {
        match self {
            ChatKind::Group => hookpit_render::ChatKind::Group,
            ChatKind::Blackboard => hookpit_render::ChatKind::Blackboard,
            ChatKind::Single => hookpit_render::ChatKind::Single,
        }
    }

    /// WeCom: only text, markdown and image may be posted on a blackboard
    /// ([`MsgType::supports_blackboard`]).
    pub fn accepts(self, msgtype: MsgType) -> bool {
        self != ChatKind::Blackboard || msgtype.supports_blackboard()
    }
}

/// A conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Chat {
    pub chatid: String,
    pub kind: ChatKind,
    pub name: String,
    /// Userids of the members (the one user of a single chat).
    pub members: Vec<String>,
    /// Ids of the bots in the chat.
    pub bots: Vec<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339; `null` before the first message.
    #[schema(format = DateTime)]
    pub last_message_at: Option<String>,
    pub message_count: u64,
    /// Messages since the chat was last marked read; stops at 999 (kept cheap).
    pub unread: u64,
}

/// A new group or blackboard.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewChat {
    /// Generated (`wrk...`) when absent.
    pub chatid: Option<String>,
    pub name: String,
    #[serde(default)]
    pub members: Vec<String>,
}

/// A change to a chat: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChatPatch {
    pub name: Option<String>,
    pub members: Option<Vec<String>>,
}

/// A blackboard post: created by a message without `post_id`, or by the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Post {
    pub post_id: String,
    pub chatid: String,
    pub title: String,
    /// The message that opened the post, if a bot created it.
    pub message_id: Option<i64>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    pub reply_count: u64,
}

/// A webhook bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Bot {
    pub id: String,
    pub name: String,
    pub key: String,
    /// Chat ids of the groups and blackboards the bot is in.
    pub chats: Vec<String>,
    /// Userids in the bot's subscription scope (it may start single chats with them).
    pub subscription: Vec<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// What the webhook needs of the bot holding a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    pub id: String,
    pub name: String,
    /// On a store other instances share, the bots' epoch this was read at, which the delivery
    /// confirms in its transaction (`store/key_map.rs`); `None` where the answer is exact.
    pub key_epoch: Option<i64>,
}

/// A new bot.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewBot {
    pub name: String,
    /// Generated (a UUID) when absent.
    pub key: Option<String>,
    #[serde(default)]
    pub chats: Vec<String>,
    #[serde(default)]
    pub subscription: Vec<String>,
}

/// A change to a bot.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BotPatch {
    pub name: Option<String>,
}

/// A bot and user's single chat, and how many proactive messages remain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SingleChat {
    pub chatid: String,
    pub bot_id: String,
    pub userid: String,
    /// WeCom: 3 proactive messages after the user acted (ignored for subscribed users).
    pub quota_remaining: u32,
}

/// The type of a stored message: one of the types bots send, or a person's mixed (图文混排)
/// message, which only people write (spec §8.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum MessageType {
    /// A type of the send API (a person's text and image are these too).
    Push(MsgType),
    /// Text and pictures in one message, written by a person.
    Mixed,
}

impl MessageType {
    /// The wire and stored spelling: the send API's name, or `mixed`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Push(msgtype) => msgtype.as_str(),
            MessageType::Mixed => "mixed",
        }
    }

    /// Parses [`MessageType::as_str`].
    pub fn from_wire(text: &str) -> Option<MessageType> {
        match text {
            "mixed" => Some(MessageType::Mixed),
            other => MsgType::from_wire(other).map(MessageType::Push),
        }
    }
}

impl From<MessageType> for &'static str {
    fn from(kind: MessageType) -> &'static str {
        kind.as_str()
    }
}

impl PartialEq<MsgType> for MessageType {
    fn eq(&self, other: &MsgType) -> bool {
        *self == MessageType::Push(*other)
    }
}

/// One delivered message: a request's message in one chat, or what a person wrote in the inbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMessage {
    pub id: i64,
    pub request_id: String,
    /// The bot that sent it; empty for a person's message.
    pub bot_id: String,
    pub bot_name: String,
    /// The person who wrote it, for messages people write (`None`: a bot's message).
    pub from_user: Option<String>,
    pub chatid: String,
    pub chat_kind: ChatKind,
    pub post_id: Option<String>,
    pub msgtype: MessageType,
    /// The accepted `<msgtype>` object (an image's base64 is replaced by its size and format).
    pub content: serde_json::Value,
    /// Userids who alone see it; empty = everyone.
    pub visible_to: Vec<String>,
    /// Resolved mentions: userids, and `@all`.
    pub mentions: Vec<String>,
    /// Lints of the raw request body (`hookpit_render::lint_request`), found when it was
    /// accepted: the stored content no longer holds the fields they are about.
    pub request_lints: Vec<MessageLint>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A lint as stored with a message and shown in its item (`{code, message}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageLint {
    pub code: String,
    pub message: String,
}

impl From<hookpit_render::Lint> for MessageLint {
    fn from(lint: hookpit_render::Lint) -> MessageLint {
        MessageLint {
            code: lint.code.to_owned(),
            message: lint.message,
        }
    }
}

/// A message with what its request carried: the raw body and the reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageDetail {
    pub message: StoredMessage,
    pub raw_request: String,
    pub reply: String,
    pub from_ip: String,
}

/// Filters of the message list; `None` = any.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub bot_id: Option<String>,
    pub chatid: Option<String>,
    pub msgtype: Option<MessageType>,
    /// Only messages this user may see (`visible_to_user`, single chats of other users).
    pub as_user: Option<String>,
    /// A search in the syntax of `GET /api/v1/messages?q=` (words, `"phrases"`, `msgtype:`,
    /// `-term`, ...: `store/search.rs`); a bad one is [`crate::store::StoreError::Invalid`].
    pub text: Option<String>,
    /// Only ids below this (the cursor of the next page).
    pub before: Option<i64>,
    /// Only ids above this (long-poll).
    pub after: Option<i64>,
    pub limit: u32,
    /// Oldest first instead of newest first.
    pub ascending: bool,
}

/// An uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub media_id: String,
    pub bot_id: String,
    pub kind: MediaKind,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; WeCom: valid 3 days.
    pub expires_at: i64,
    pub voice_duration_ms: Option<u32>,
    /// One of the official document's placeholder ids in the demo workspace (`MEDIA_ID`, ...):
    /// it never expires and stands for any kind, so every example of the document works.
    pub placeholder: bool,
}
