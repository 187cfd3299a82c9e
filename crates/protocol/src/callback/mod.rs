//! WeCom's bot callbacks (spec §8), pure: the crypto, the HTTP bodies, the decrypted payloads and
//! passive replies, for both ends — the side that sends callbacks (WeCom, or a Hookpit) and the
//! bot that receives them.
//!
//! Like the rest of the crate this does no IO: the caller passes in the random bytes of a
//! ciphertext, the timestamp and the nonce.
//!
//! A callback, end to end: the sender serializes a [`Callback`] ([`Callback::to_plaintext`]),
//! encrypts and signs it ([`CallbackCrypto::encrypt`], [`CallbackCrypto::signature`]), wraps the
//! ciphertext ([`CallbackEnvelope::to_body`]) and posts it with a [`CallbackQuery`]. The bot
//! reverses each step and may answer with an encrypted [`PassiveReply`] in a [`ReplyEnvelope`],
//! which the sender reads back with [`parse_passive_reply`].
//!
//! ```
//! use hookpit_protocol::callback::{
//!     Callback, CallbackBody, CallbackCrypto, CallbackEnvelope, CallbackFormat, ReplyEnvelope,
//!     parse_passive_reply,
//! };
//!
//! let crypto = CallbackCrypto::new("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")?;
//! let format = CallbackFormat::from_url("https://bot.example/cb?robot_callback_format=json");
//!
//! // The sender (the random bytes and the timestamp come from the caller).
//! let payload = r#"{"chatid":"CHATID","chattype":"single","msgtype":"text","text":{"content":"hi"}}"#;
//! let encrypt = crypto.encrypt(payload.as_bytes(), *b"0123456789abcdef")?;
//! let signature = crypto.signature("1409659813", "nonce", &encrypt);
//! let body = CallbackEnvelope { encrypt }.to_body(format);
//!
//! // The bot.
//! let envelope = CallbackEnvelope::parse(format, body.as_bytes())?;
//! let plaintext = crypto.decrypt_message(&signature, "1409659813", "nonce", &envelope.encrypt)?;
//! let callback = Callback::parse(format, &plaintext)?;
//! assert_eq!(callback.body, CallbackBody::Text { content: "hi".to_owned() });
//! let reply = r#"{"msgtype":"text","text":{"content":"hello"}}"#;
//! let encrypt = crypto.encrypt(reply.as_bytes(), *b"fedcba9876543210")?;
//! let msg_signature = crypto.signature("1409659813", "nonce", &encrypt);
//! let timestamp = "1409659813".to_owned();
//! let nonce = "nonce".to_owned();
//! let reply = ReplyEnvelope { encrypt, msg_signature, timestamp, nonce }.to_body(format);
//!
//! // The sender again: the reply is a send to the callback's chat.
//! let envelope = ReplyEnvelope::parse(format, reply.as_bytes())?;
//! let plaintext = crypto.decrypt_message(
//!     &envelope.msg_signature, &envelope.timestamp, &envelope.nonce, &envelope.encrypt,
//! )?;
//! let send = parse_passive_reply(format, &plaintext)?.expect("a reply");
//! assert_eq!(send.msgtype().as_str(), "text");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//! - [`crypto`]: [`CallbackCrypto`] (WXBizMsgCrypt) and [`CryptoError`].
//! - [`credential`]: the Token and EncodingAESKey rules, and generators.
//! - [`query`]: [`CallbackQuery`], the `msg_signature`, `timestamp`, `nonce`, `echostr` parameters.
//! - [`envelope`]: [`CallbackFormat`], [`CallbackEnvelope`], [`ReplyEnvelope`].
//! - [`event`]: [`Callback`] and its bodies, in XML and JSON.
//! - [`passive`]: [`PassiveReply`] and [`parse_passive_reply`].
//! - `xml` (private): the small XML reader and writer both formats share; [`XmlError`].

pub mod credential;
pub mod crypto;
pub mod envelope;
pub mod event;
pub mod passive;
pub mod query;
mod xml;

pub use credential::{
    encoding_aes_key_from_random, token_from_random, validate_encoding_aes_key, validate_token,
};
pub use crypto::{CallbackCrypto, CryptoError};
pub use envelope::{CallbackEnvelope, CallbackFormat, EnvelopeError, ReplyEnvelope};
pub use event::{
    AttachmentAction, Callback, CallbackBody, ChatType, EventType, MixedItem, PayloadError, Sender,
};
pub use passive::{PassiveError, PassiveMessage, PassiveReply, parse_passive_reply};
pub use query::{CallbackQuery, MissingParameter};
pub use xml::XmlError;
