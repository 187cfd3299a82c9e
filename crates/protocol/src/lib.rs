//! The WeCom message-push webhook protocol: wire types, validation with WeCom's exact answers,
//! error codes and the reply format.
//!
//! This crate is the single definition of "a valid message" shared by the server, the SDK and the
//! CLI, so that they can never disagree. It does no IO: no clock, no randomness, no network, no
//! tokio. Callers pass in what it needs (the time for an errmsg hint, the bytes of an upload, the
//! random bytes of a callback ciphertext).
//!
//! # Layout
//! - [`message`]: the send request envelope and the nine message bodies.
//! - [`card`]: `template_card` and its blocks.
//! - [`validate`]: [`parse_send`], every check that needs no server state, in WeCom's order.
//! - [`target`]: the parsed `chatid`.
//! - [`media`]: media kinds and the media ids a request refers to.
//! - [`upload`]: the `type` parameter and the rules of `upload_media`.
//! - [`error`]: [`ErrorCode`] and the `errmsg` wire format.
//! - [`reply`]: the JSON replies of `send` and `upload_media`.
//! - [`limit`]: every numeric limit, each citing its rule.
//! - [`text`]: byte-based truncation helpers.
//! - [`window`]: [`SlidingWindow`], the rate-limit counter.
//! - [`callback`]: bot callbacks (spec §8): WXBizMsgCrypt, envelopes, payloads, passive replies.
//! - [`uncertain`]: the table of every choice made where WeCom's behaviour is unknown (`[U]`).

pub mod callback;
pub mod card;
pub mod error;
pub mod limit;
pub mod media;
pub mod message;
mod object;
pub mod reply;
pub mod target;
pub mod text;
pub mod uncertain;
pub mod upload;
pub mod validate;
pub mod window;

pub use card::TemplateCard;
pub use error::{ErrorCode, Hint};
pub use media::{MediaKind, MediaNeed};
pub use message::{Message, MsgType, SendRequest};
pub use reply::{SendReply, UploadReply};
pub use target::{ChatTarget, ChatTargets};
pub use text::{display_text, searchable_text, truncate_utf8};
pub use upload::{UploadPolicy, ValidUpload, validate_upload, validate_upload_parts};
pub use validate::{ImageData, ImageFormat, ValidSend, parse_send};
pub use window::{RetryAfter, SlidingWindow};
