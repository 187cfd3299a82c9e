//! An async Rust SDK for WeCom message-push webhooks ("群机器人", renamed "消息推送" in 2025),
//! that works against real WeCom and against any Hookpit.
//!
//! - Every message type, with typed builders in [`message`] and the 2025 envelope fields
//!   (`chatid`, `visible_to_user`, `post_id`).
//! - [`Webhook::send`], [`Webhook::upload_file`] (streamed from disk, with progress if you
//!   want it) and [`Webhook::upload_media`], and [`Webhook::send_file`] /
//!   [`Webhook::send_voice`] / [`Webhook::send_image`], which upload or encode for you.
//! - [`markdown`] helpers: `<@userid>` mentions, the three `<font>` colours, and tables for
//!   `markdown_v2`.
//! - Local validation with the server's own rules ([`hookpit_protocol::parse_send`]), so an
//!   invalid message fails with the same errcode before anything is sent.
//! - Retries with exponential backoff and jitter ([`RetryPolicy`]), an optional client-side rate
//!   limiter ([`RateLimits`]), and a splitter for long text and markdown ([`split`]).
//! - [`Inbox`], for tests against a Hookpit: list the messages your code sent, wait for them
//!   ([`Inbox::wait_for`], [`Inbox::wait_for_count`], [`Inbox::wait_until`]), see the refused
//!   calls and clear the inbox.
//! - With the `blocking` feature, `blocking::Webhook`, for code without an async runtime.
//! - Errors never carry the bot's key: URLs in them show its first 4 characters only.
//!
//! ```no_run
//! use hookpit_client::{RateLimits, Webhook, message};
//!
//! # async fn run() -> Result<(), hookpit_client::Error> {
//! let bot = Webhook::new("693a91f6-7xxx")
//!     .base_url("http://127.0.0.1:8080") // a Hookpit; omit for WeCom
//!     .rate_limit(RateLimits::INTERNAL);
//! bot.send(message::text("hello world")).await?;
//! bot.send(message::markdown("**bold** and <@zhangsan>").chatid("wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw")).await?;
//! bot.send_file("report.pdf").await?;
//! # Ok(()) }
//! ```
//!
//! This crate depends on `hookpit-protocol` and never on the server.
//!
//! # Layout
//! - [`webhook`]: [`Webhook`] and its calls.
//! - [`message`]: the builders; [`markdown`]: helpers for their markdown.
//! - [`error`]: the error type, [`Error`].
//! - [`retry`]: the retry policy, [`RetryPolicy`].
//! - [`limit`]: [`RateLimits`] and the limiter.
//! - [`split`]: the splitter, and [`split_request`] for whole requests.
//! - [`callback`]: [`CallbackHandler`], for bots that receive WeCom's callbacks and reply.
//! - [`inbox`]: [`Inbox`], [`MessageFilter`], [`MessageItem`] and [`InboxError`]: a Hookpit's
//!   `/api/v1` messages, for tests.
//! - `blocking` (feature `blocking`): the blocking [`Webhook`] wrapper.

#[cfg(feature = "blocking")]
pub mod blocking;
pub mod callback;
pub mod error;
pub mod inbox;
pub mod limit;
pub mod markdown;
pub mod message;
pub mod retry;
pub mod split;
pub mod webhook;

pub use callback::CallbackHandler;
pub use error::Error;
pub use hookpit_protocol::{self as protocol, MediaKind, SendReply, SendRequest, UploadReply};
pub use inbox::{Inbox, InboxError, MessageFilter, MessageItem, Rejection};
pub use limit::RateLimits;
pub use message::{Draft, Envelope};
pub use retry::RetryPolicy;
pub use split::split_request;
pub use webhook::{DEFAULT_BASE_URL, UploadProgress, Uploaded, Webhook};

// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
