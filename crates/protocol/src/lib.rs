//! The WeCom message-push webhook protocol: wire types, validation with WeCom's exact answers,
//! error codes and the reply format.
//!
//! This crate is the single definition of "a valid message" shared by the server, the SDK and the
//! CLI, so that they can never disagree. It does no IO: no clock, no randomness, no network, no
//! tokio. Callers pass in what it needs (the time for an errmsg hint, the bytes of an upload).
//!
//! # Layout
//! - [`message`]: the send request envelope and the nine message bodies.
//! - [`card`]: `template_card` and its blocks.
//! - [`error`]: [`ErrorCode`] and the `errmsg` wire format.
//! - [`reply`]: the JSON replies of `send` and `upload_media`.

pub mod card;
pub mod error;
pub mod message;
pub mod reply;

pub use card::TemplateCard;
pub use error::{ErrorCode, Hint};
pub use message::{Message, MsgType, SendRequest};
pub use reply::{SendReply, UploadReply};
pub mod target;
pub mod validate;

pub use target::{ChatTarget, ChatTargets};
pub use validate::{ImageData, ImageFormat, ValidSend, parse_send};
