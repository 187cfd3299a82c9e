//! Receiving WeCom's bot callbacks in a Rust bot: verify the callback URL, read what members
//! write to the bot, and answer with a passive reply (spec §8).
//!
//! [`CallbackHandler`] does the crypto (WXBizMsgCrypt: SHA-1 signature, AES-256-CBC) and the
//! parsing, on top of [`hookpit_protocol::callback`]; it works the same against real WeCom and
//! against a Hookpit, and needs no web framework. Its inputs are what every framework has: the
//! query parameters (the serde-derived [`CallbackQuery`] fits axum's `Query` extractor; or
//! [`CallbackQuery::parse`] a raw query string) and the body bytes. Replies are built with the
//! SDK's own [`message::text`](crate::message::text) and
//! [`message::markdown`](crate::message::markdown) builders.
//!
//! A bot answers three kinds of request on its callback URL:
//! - `GET` when the URL is saved in WeCom's console: answer [`CallbackHandler::verify_url`]'s
//!   string as the whole body, within a second.
//! - `POST` for each message or event: [`CallbackHandler::parse`], then answer HTTP 200 with an
//!   empty body, or with [`CallbackHandler::reply_to`]'s encrypted reply; WeCom waits 5 s and
//!   retries otherwise, so dedupe on [`Callback::msgid`].
//!
//! `examples/echo_bot.rs` is a whole bot in fifty lines of axum.

use std::fmt::Display;

pub use hookpit_protocol::callback::{
    AttachmentAction, Callback, CallbackBody, CallbackFormat, CallbackQuery, ChatType, EventType,
    MixedItem, PassiveMessage, PassiveReply, Sender,
};
use hookpit_protocol::callback::{
    CallbackCrypto, CallbackEnvelope, CryptoError, EnvelopeError, PassiveError, PayloadError,
    ReplyEnvelope, parse_passive_reply,
};
use hookpit_protocol::message::{Markdown, Text};

use crate::message::Draft;

/// Why a callback could not be verified, read or answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The Token or EncodingAESKey given to [`CallbackHandler::new`] is not valid.
    #[error("invalid callback credentials")]
    Credentials(#[source] CryptoError),
    /// A URL verification without an `echostr` parameter.
    #[error("the URL verification has no echostr parameter")]
    MissingEchostr,
    /// The decrypted `echostr` is not text, so it cannot be the answer.
    #[error("the decrypted echostr is not UTF-8")]
    EchostrNotUtf8,
    /// The signature does not match or the ciphertext does not decrypt: not from WeCom, or
    /// another Token or EncodingAESKey.
    #[error("the callback does not verify or decrypt")]
    Crypto(#[source] CryptoError),
    /// The body is not the XML or JSON envelope of a callback.
    #[error("the callback body is not a callback envelope")]
    Envelope(#[source] EnvelopeError),
    /// The body is in the other format than the handler's, which must match the callback URL.
    #[error(
        "the callback is {found} but the handler is set up for {expected}: the callback URL \
         decides (robot_callback_format=json means JSON), so call .format(CallbackFormat::{})",
        variant(.found)
    )]
    FormatMismatch {
        /// The handler's format.
        expected: CallbackFormat,
        /// The body's format.
        found: CallbackFormat,
    },
    /// The decrypted payload is not a callback this SDK knows (e.g. a new `msgtype`); the
    /// plaintext is still available from [`CallbackHandler::decrypt`].
    #[error("the decrypted callback cannot be read")]
    Payload(#[source] PayloadError),
    /// The reply breaks a rule of passive replies (the same answer Hookpit or WeCom would give).
    #[error("invalid passive reply")]
    InvalidReply(#[source] PassiveError),
}

/// The Rust name of a format, for the hint of [`CallbackError::FormatMismatch`].
fn variant(format: &CallbackFormat) -> &'static str {
    match format {
        CallbackFormat::Xml => "Xml",
        CallbackFormat::Json => "Json",
    }
}

impl CallbackError {
    /// The code Tencent's sample library gives the same failure (-40001 signature, -40002
    /// parse, ...), when there is one.
    pub fn code(&self) -> Option<i32> {
        match self {
            CallbackError::Credentials(error) | CallbackError::Crypto(error) => Some(error.code()),
            CallbackError::Envelope(error) => Some(error.code()),
            CallbackError::FormatMismatch { .. } | CallbackError::Payload(_) => Some(-40002),
            _ => None,
        }
    }
}

/// The callback side of one bot: its Token, EncodingAESKey and callback format.
///
/// Cheap to clone, and `Debug` prints no secret.
#[derive(Debug, Clone)]
pub struct CallbackHandler {
    crypto: CallbackCrypto,
    format: CallbackFormat,
}

impl CallbackHandler {
    /// A handler for a bot with this Token and EncodingAESKey (from the bot's callback settings),
    /// expecting XML, WeCom's default format.
    ///
    /// # Errors
    /// [`CallbackError::Credentials`] for a Token that is not 3–32 letters and digits or a key
    /// that is not 43 letters and digits.
    ///
    /// # Examples
    /// ```
    /// use hookpit_client::callback::{CallbackFormat, CallbackHandler};
    ///
    /// let handler = CallbackHandler::new("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")?
    ///     .format(CallbackFormat::from_url("https://bot.example/cb?robot_callback_format=json"));
    /// assert_eq!(handler.callback_format(), CallbackFormat::Json);
    /// assert!(CallbackHandler::new("QDG6eK", "too-short").is_err());
    /// # Ok::<(), hookpit_client::callback::CallbackError>(())
    /// ```
    pub fn new(token: &str, encoding_aes_key: &str) -> Result<Self, CallbackError> {
        hookpit_protocol::callback::validate_token(token).map_err(CallbackError::Credentials)?;
        let crypto =
            CallbackCrypto::new(token, encoding_aes_key).map_err(CallbackError::Credentials)?;
        Ok(CallbackHandler {
            crypto,
            format: CallbackFormat::Xml,
        })
    }

    /// Sets the format of callbacks and replies; it must match `robot_callback_format` in the
    /// callback URL ([`CallbackFormat::from_url`]).
    pub fn format(mut self, format: CallbackFormat) -> Self {
        self.format = format;
        self
    }

    /// The format of callbacks and replies.
    pub fn callback_format(&self) -> CallbackFormat {
        self.format
    }

    /// The crypto underneath, for what this handler does not cover.
    pub fn crypto(&self) -> &CallbackCrypto {
        &self.crypto
    }

    /// Answers the URL verification (`GET ?msg_signature&timestamp&nonce&echostr`): the
    /// decrypted `echostr`, to send back as the whole body (no quotes, no newline).
    ///
    /// # Errors
    /// [`CallbackError::MissingEchostr`], [`CallbackError::Crypto`] for a bad signature or
    /// ciphertext, [`CallbackError::EchostrNotUtf8`].
    ///
    /// # Examples
    /// ```
    /// use hookpit_client::callback::{CallbackHandler, CallbackQuery};
    ///
    /// let handler = CallbackHandler::new("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")?;
    /// // What WeCom sends, built here with the same crypto.
    /// let echostr = handler.crypto().encrypt(b"1616140317555161061", [7; 16]).unwrap();
    /// let query = CallbackQuery {
    ///     msg_signature: handler.crypto().signature("1409659813", "1372623149", &echostr),
    ///     timestamp: "1409659813".to_owned(),
    ///     nonce: "1372623149".to_owned(),
    ///     echostr: Some(echostr),
    /// };
    /// assert_eq!(handler.verify_url(&query)?, "1616140317555161061");
    /// # Ok::<(), hookpit_client::callback::CallbackError>(())
    /// ```
    pub fn verify_url(&self, query: &CallbackQuery) -> Result<String, CallbackError> {
        let echostr = query
            .echostr
            .as_deref()
            .ok_or(CallbackError::MissingEchostr)?;
        let plaintext = self
            .crypto
            .verify_url(
                &query.msg_signature,
                &query.timestamp,
                &query.nonce,
                echostr,
            )
            .map_err(CallbackError::Crypto)?;
        String::from_utf8(plaintext).map_err(|_| CallbackError::EchostrNotUtf8)
    }

    /// Verifies and decrypts a callback (`POST ?msg_signature&timestamp&nonce` with the
    /// envelope as body) into its plaintext, for payloads [`CallbackHandler::parse`] does not
    /// know.
    ///
    /// # Errors
    /// [`CallbackError::FormatMismatch`], [`CallbackError::Envelope`], [`CallbackError::Crypto`].
    pub fn decrypt(&self, query: &CallbackQuery, body: &[u8]) -> Result<Vec<u8>, CallbackError> {
        if let Some(found) = CallbackFormat::detect(body)
            && found != self.format
        {
            return Err(CallbackError::FormatMismatch {
                expected: self.format,
                found,
            });
        }
        let envelope =
            CallbackEnvelope::parse(self.format, body).map_err(CallbackError::Envelope)?;
        self.crypto
            .decrypt_message(
                &query.msg_signature,
                &query.timestamp,
                &query.nonce,
                &envelope.encrypt,
            )
            .map_err(CallbackError::Crypto)
    }

    /// Verifies, decrypts and reads a callback.
    ///
    /// # Errors
    /// Those of [`CallbackHandler::decrypt`], then [`CallbackError::Payload`].
    ///
    /// # Examples
    /// ```
    /// use hookpit_client::callback::{CallbackBody, CallbackFormat, CallbackHandler, CallbackQuery};
    /// use hookpit_client::protocol::callback::CallbackEnvelope;
    ///
    /// let handler = CallbackHandler::new("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")?
    ///     .format(CallbackFormat::Json);
    /// // What WeCom sends, built here with the same crypto.
    /// let payload = r#"{"chatid":"CHATID","chattype":"group","msgtype":"text","text":{"content":"@bot hi"}}"#;
    /// let encrypt = handler.crypto().encrypt(payload.as_bytes(), [7; 16]).unwrap();
    /// let query = CallbackQuery {
    ///     msg_signature: handler.crypto().signature("1409659813", "1372623149", &encrypt),
    ///     timestamp: "1409659813".to_owned(),
    ///     nonce: "1372623149".to_owned(),
    ///     echostr: None,
    /// };
    /// let body = CallbackEnvelope { encrypt }.to_body(CallbackFormat::Json);
    ///
    /// let callback = handler.parse(&query, body.as_bytes())?;
    /// assert_eq!(callback.chatid, "CHATID");
    /// assert_eq!(callback.body, CallbackBody::Text { content: "@bot hi".to_owned() });
    /// # Ok::<(), hookpit_client::callback::CallbackError>(())
    /// ```
    pub fn parse(&self, query: &CallbackQuery, body: &[u8]) -> Result<Callback, CallbackError> {
        let plaintext = self.decrypt(query, body)?;
        Callback::parse(self.format, &plaintext).map_err(CallbackError::Payload)
    }

    /// The encrypted body of a passive reply, signed with this `timestamp` and `nonce` (the
    /// sample libraries reuse the callback's) and encrypted with the caller's 16 random bytes.
    ///
    /// The reply is checked first with the rules Hookpit and WeCom apply, so a broken one fails
    /// here. A text with empty content is no reply: the body is then empty.
    ///
    /// # Errors
    /// [`CallbackError::InvalidReply`], with the errcode the server would answer.
    ///
    /// # Examples
    /// ```
    /// use hookpit_client::callback::CallbackHandler;
    /// use hookpit_client::message;
    ///
    /// let handler = CallbackHandler::new("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")?;
    /// let reply = message::text("hello").mention("zhangsan");
    /// let body = handler.reply(reply, 1409659813, "1372623149", [7; 16])?;
    /// assert!(body.starts_with("<xml><Encrypt><![CDATA["));
    /// assert!(body.contains("<TimeStamp>1409659813</TimeStamp>"));
    ///
    /// let too_long = message::text("x".repeat(5121));
    /// assert!(handler.reply(too_long, 1409659813, "n", [7; 16]).is_err());
    /// # Ok::<(), hookpit_client::callback::CallbackError>(())
    /// ```
    pub fn reply(
        &self,
        reply: impl Into<PassiveReply>,
        timestamp: impl Display,
        nonce: &str,
        random16: [u8; 16],
    ) -> Result<String, CallbackError> {
        let plaintext = reply.into().to_plaintext(self.format);
        let checked = parse_passive_reply(self.format, plaintext.as_bytes())
            .map_err(CallbackError::InvalidReply)?;
        if checked.is_none() {
            return Ok(String::new());
        }
        let encrypt = self
            .crypto
            .encrypt(plaintext.as_bytes(), random16)
            .map_err(CallbackError::Crypto)?;
        let timestamp = timestamp.to_string();
        let msg_signature = self.crypto.signature(&timestamp, nonce, &encrypt);
        let envelope = ReplyEnvelope {
            encrypt,
            msg_signature,
            timestamp,
            nonce: nonce.to_owned(),
        };
        Ok(envelope.to_body(self.format))
    }

    /// [`CallbackHandler::reply`] with the callback's own timestamp and nonce, as the sample
    /// libraries do, and fresh random bytes.
    ///
    /// The random bytes come from `fastrand`: they only make two equal replies encrypt
    /// differently, while the secrecy rests on the EncodingAESKey. Use
    /// [`CallbackHandler::reply`] to supply your own.
    ///
    /// # Errors
    /// As [`CallbackHandler::reply`].
    pub fn reply_to(
        &self,
        query: &CallbackQuery,
        reply: impl Into<PassiveReply>,
    ) -> Result<String, CallbackError> {
        let random16 = fastrand::u128(..).to_le_bytes();
        self.reply(reply, &query.timestamp, &query.nonce, random16)
    }
}

/// A text draft as a passive reply: its body and `visible_to_user`. `chatid` and `post_id` do
/// not apply (the reply goes to the callback's conversation) and are dropped.
impl From<Draft<Text>> for PassiveReply {
    fn from(draft: Draft<Text>) -> PassiveReply {
        let text = draft.body().clone();
        PassiveReply {
            visible_to_user: draft.into_request().visible_to_user,
            message: PassiveMessage::Text(text),
        }
    }
}

/// A markdown draft as a passive reply, like a text draft; a button's `replace_text` may be
/// empty here ("不填则点击后不替换").
impl From<Draft<Markdown>> for PassiveReply {
    fn from(draft: Draft<Markdown>) -> PassiveReply {
        let markdown = draft.body().clone();
        PassiveReply {
            visible_to_user: draft.into_request().visible_to_user,
            message: PassiveMessage::Markdown(markdown),
        }
    }
}

/// The text after the leading `@BotName` that WeCom keeps in group messages; other text is
/// returned as it is. A bot name with a space in it is cut at the space.
///
/// # Examples
/// ```
/// use hookpit_client::callback::strip_leading_mention;
///
/// assert_eq!(strip_leading_mention("@RobotA  hello robot"), "hello robot");
/// assert_eq!(strip_leading_mention("hello"), "hello");
/// assert_eq!(strip_leading_mention("@RobotA"), "");
/// ```
pub fn strip_leading_mention(content: &str) -> &str {
    match content.strip_prefix('@') {
        Some(rest) => rest
            .split_once(char::is_whitespace)
            .map_or("", |(_, text)| text.trim_start()),
        None => content,
    }
}
