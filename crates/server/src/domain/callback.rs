//! Callbacks as the store keeps them: a bot's callback configuration, the durable outbox that
//! delivers to it, and what people do that WeCom calls back about.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A bot's callback settings (WeCom's bot settings page: URL, Token, EncodingAESKey).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackConfig {
    pub bot_id: String,
    /// Where WeCom POSTs; `robot_callback_format=json|xml` on it picks the format.
    pub url: String,
    /// 3–32 letters and digits. A secret.
    pub token: String,
    /// 43 characters, the Base64 of the AES key. A secret.
    pub encoding_aes_key: String,
    /// `xml` or `json`.
    pub format: String,
    /// Unix milliseconds of the URL verification that let it be saved.
    pub verified_at: i64,
}

/// Which consumer of the outbox an entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Consumer {
    /// A callback to a bot's URL.
    Callback,
    /// A message forwarded to real WeCom.
    Relay,
}

impl Consumer {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Consumer::Callback => "callback",
            Consumer::Relay => "relay",
        }
    }
}

/// Where an outbox entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    Pending,
    Delivered,
    Failed,
}

impl OutboxStatus {
    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Delivered => "delivered",
            OutboxStatus::Failed => "failed",
        }
    }

    /// Parses [`OutboxStatus::as_str`].
    pub fn parse(text: &str) -> Option<OutboxStatus> {
        match text {
            "pending" => Some(OutboxStatus::Pending),
            "delivered" => Some(OutboxStatus::Delivered),
            "failed" => Some(OutboxStatus::Failed),
            _ => None,
        }
    }
}

/// Something to deliver, queued in the same transaction as what caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutboxEntry {
    pub consumer: Consumer,
    pub bot_id: String,
    pub chatid: String,
    /// The consumer's own description of the work (for callbacks: [`CallbackJob`]).
    pub item: Value,
    /// A `get_chat_info` code the entry's payload carries, stored with it.
    pub chat_info_code: Option<ChatInfoCode>,
    /// What the entry is about, to find it by (the relay: the request id).
    pub reference: Option<String>,
    /// When it is first due (Unix ms); `None`: at once. `i64::MAX` holds it until released.
    pub due_at: Option<i64>,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attempt {
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub at: String,
    /// The HTTP status, when a response was read.
    pub http_status: Option<u16>,
    pub latency_ms: u64,
    /// Why it failed (`None`: delivered).
    pub error: Option<String>,
}

/// An outbox entry with its history.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRecord {
    pub id: i64,
    pub consumer: Consumer,
    /// See [`NewOutboxEntry::reference`].
    pub reference: Option<String>,
    pub bot_id: String,
    pub chatid: String,
    pub status: OutboxStatus,
    pub attempts: Vec<Attempt>,
    /// Unix milliseconds.
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub item: Value,
    /// The consumer's record of the outcome (for callbacks: request, response, reply).
    pub outcome: Value,
}

/// The end of one attempt, as the consumer reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptDone {
    pub id: i64,
    pub attempt: Attempt,
    /// `Pending` to try again at `next_attempt_at`, or where the entry ends.
    pub status: OutboxStatus,
    pub next_attempt_at: i64,
    /// Unix milliseconds of the attempt's end.
    pub now: i64,
    pub outcome: Value,
}

/// A callback to deliver: the payload is built when the event happens, so every retry carries
/// the same `MsgId` and the same content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackJob {
    /// What happened: `text`, `image`, `mixed`, `attachment`, `enter_chat`, `add_to_chat`,
    /// `delete_from_chat`.
    pub event: String,
    pub msgid: String,
    /// `xml` or `json`: the format of the URL when the event happened.
    pub format: String,
    /// The URL when the event happened (the delivery uses the configuration current then).
    pub url: String,
    /// The decrypted payload, in `format`.
    pub plaintext: String,
    /// The person's message that caused it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i64>,
}

/// A `get_chat_info` code (spec §8.8): valid 5 minutes, usable once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatInfoCode {
    pub code: String,
    pub bot_id: String,
    pub chatid: String,
    /// `group`, `single`, `blackboard` or `blackboard_reply`.
    pub chattype: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// What a person writes in the inbox (or through the API).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonMessage {
    pub request_id: String,
    pub userid: String,
    pub chatid: String,
    /// On a blackboard: the post replied to, or the id of the post this message opens.
    pub post_id: Option<String>,
    /// Whether `post_id` is a new post this message opens (rather than one it replies to).
    pub new_post: bool,
    pub items: Vec<PersonItem>,
    /// Users and bots the text mentions, for the message item (`@all` not included).
    pub mentions: Vec<String>,
    /// The API request, kept as the message's raw request.
    pub raw_request: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// A piece of a person's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonItem {
    Text(String),
    Image(PersonImage),
}

/// A picture a person sent, with the token of its public URL (callbacks point at it, as
/// WeCom's point at its picture servers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonImage {
    pub mime: String,
    pub bytes: Vec<u8>,
    pub public_token: String,
}
