//! The HTTP bodies around a ciphertext (spec §8.5, §8.7), and which of the two formats a callback
//! URL asks for.
//!
//! - A callback (WeCom → bot): XML `<xml><Encrypt><![CDATA[…]]></Encrypt></xml>` or JSON
//!   `{"encrypt":"…"}`: [`CallbackEnvelope`].
//! - A passive reply (bot → WeCom): the ciphertext with its signature, timestamp and nonce:
//!   [`ReplyEnvelope`]. Tencent's JSON sample library writes `timestamp` as a string where the
//!   document shows a number, so both are read.

use serde::{Deserialize, Serialize};

use super::xml::{self, XmlError, XmlWriter};

/// The two formats of callbacks, chosen by the callback URL (spec §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CallbackFormat {
    /// CamelCase elements under `<xml>`; WeCom's default.
    #[default]
    Xml,
    /// snake_case keys.
    Json,
}

impl CallbackFormat {
    /// The format a callback URL asks for: `robot_callback_format=json` or `=xml` in its query,
    /// XML when absent or anything else, as WeCom does.
    pub fn from_url(url: &str) -> CallbackFormat {
        let query = url.split_once('?').map_or("", |(_, query)| query);
        let query = query.split_once('#').map_or(query, |(query, _)| query);
        let value = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("robot_callback_format="));
        // [U] anything but exactly `json` is XML, WeCom's default.
        match value {
            Some("json") => CallbackFormat::Json,
            _ => CallbackFormat::Xml,
        }
    }

    /// The format of a body from its first character other than whitespace: `<` is XML, `{` is
    /// JSON, anything else (an empty body too) is `None`.
    pub fn detect(body: &[u8]) -> Option<CallbackFormat> {
        let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
        match body.iter().find(|byte| !byte.is_ascii_whitespace()) {
            Some(b'<') => Some(CallbackFormat::Xml),
            Some(b'{') => Some(CallbackFormat::Json),
            _ => None,
        }
    }

    /// The value of `robot_callback_format`: `"xml"` or `"json"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackFormat::Xml => "xml",
            CallbackFormat::Json => "json",
        }
    }
}

impl std::fmt::Display for CallbackFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an envelope could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// An XML envelope that is not well-formed XML.
    #[error("the envelope is not XML: {0}")]
    NotXml(#[from] XmlError),
    /// A JSON envelope that is not a JSON object of strings (and a numeric `timestamp`).
    #[error("the envelope is not the expected JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// A field the envelope must have is absent or empty.
    #[error("the envelope has no {0}")]
    Missing(&'static str),
}

impl EnvelopeError {
    /// The sample library's code for it: -40002, its "parse" error.
    pub fn code(&self) -> i32 {
        -40002
    }
}

/// The body of a callback request (WeCom → bot): the ciphertext alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackEnvelope {
    /// The Base64 ciphertext (the plaintext is a [`super::Callback`]).
    pub encrypt: String,
}

#[derive(Serialize, Deserialize)]
struct JsonCallbackEnvelope {
    encrypt: Option<String>,
}

impl CallbackEnvelope {
    /// The request body in `format`.
    pub fn to_body(&self, format: CallbackFormat) -> String {
        match format {
            CallbackFormat::Xml => {
                let mut writer = XmlWriter::new();
                writer.cdata("Encrypt", &self.encrypt);
                writer.finish()
            }
            CallbackFormat::Json => json(&JsonCallbackEnvelope {
                encrypt: Some(self.encrypt.clone()),
            }),
        }
    }

    /// Reads a request body in `format`; other elements or keys are ignored.
    ///
    /// # Errors
    /// [`EnvelopeError`] for a body that is not `format` or has no ciphertext.
    pub fn parse(format: CallbackFormat, body: &[u8]) -> Result<CallbackEnvelope, EnvelopeError> {
        let encrypt = match format {
            CallbackFormat::Xml => xml::parse(body)?.text_of("Encrypt").map(str::to_owned),
            CallbackFormat::Json => serde_json::from_slice::<JsonCallbackEnvelope>(body)?.encrypt,
        };
        let encrypt = encrypt
            .filter(|encrypt| !encrypt.is_empty())
            .ok_or(EnvelopeError::Missing(encrypt_name(format)))?;
        Ok(CallbackEnvelope { encrypt })
    }
}

/// The body of a passive reply (bot → WeCom): the ciphertext and what signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyEnvelope {
    /// The Base64 ciphertext (the plaintext is a passive reply, [`super::parse_passive_reply`]).
    pub encrypt: String,
    /// `sha1_hex(sorted([token, timestamp, nonce, encrypt]))`.
    pub msg_signature: String,
    /// Unix seconds, as the decimal string that was signed.
    pub timestamp: String,
    /// A string that must not repeat within two hours.
    pub nonce: String,
}

#[derive(Serialize, Deserialize)]
struct JsonReplyEnvelope {
    encrypt: Option<String>,
    msgsignature: Option<String>,
    timestamp: Option<Timestamp>,
    nonce: Option<String>,
}

/// A JSON `timestamp`: the document shows a number, the JSON sample library sends a string.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Timestamp {
    Number(u64),
    Text(String),
}

impl ReplyEnvelope {
    /// The reply body in `format`; in JSON the timestamp is a number, as the document shows,
    /// whenever it is one.
    pub fn to_body(&self, format: CallbackFormat) -> String {
        match format {
            CallbackFormat::Xml => {
                let mut writer = XmlWriter::new();
                writer
                    .cdata("Encrypt", &self.encrypt)
                    .cdata("MsgSignature", &self.msg_signature);
                match canonical_number(&self.timestamp) {
                    Some(seconds) => writer.plain("TimeStamp", seconds),
                    None => writer.cdata("TimeStamp", &self.timestamp),
                };
                writer.cdata("Nonce", &self.nonce);
                writer.finish()
            }
            CallbackFormat::Json => json(&JsonReplyEnvelope {
                encrypt: Some(self.encrypt.clone()),
                msgsignature: Some(self.msg_signature.clone()),
                timestamp: Some(match canonical_number(&self.timestamp) {
                    Some(seconds) => Timestamp::Number(seconds),
                    None => Timestamp::Text(self.timestamp.clone()),
                }),
                nonce: Some(self.nonce.clone()),
            }),
        }
    }

    /// Reads a reply body in `format`: elements in any order, with or without CDATA; a JSON
    /// `timestamp` as a number or a string. An empty body means "no reply" and is the caller's
    /// to check first.
    ///
    /// # Errors
    /// [`EnvelopeError`] for a body that is not `format` or lacks one of the four fields.
    pub fn parse(format: CallbackFormat, body: &[u8]) -> Result<ReplyEnvelope, EnvelopeError> {
        let (encrypt, msg_signature, timestamp, nonce) = match format {
            CallbackFormat::Xml => {
                let root = xml::parse(body)?;
                let text = |name: &str| root.text_of(name).map(str::to_owned);
                (
                    text("Encrypt"),
                    text("MsgSignature"),
                    text("TimeStamp"),
                    text("Nonce"),
                )
            }
            CallbackFormat::Json => {
                let envelope: JsonReplyEnvelope = serde_json::from_slice(body)?;
                let timestamp = envelope.timestamp.map(|timestamp| match timestamp {
                    Timestamp::Number(seconds) => seconds.to_string(),
                    Timestamp::Text(text) => text,
                });
                (
                    envelope.encrypt,
                    envelope.msgsignature,
                    timestamp,
                    envelope.nonce,
                )
            }
        };
        let xml = format == CallbackFormat::Xml;
        let required = |value: Option<String>, xml_name, json_name| {
            value
                .filter(|value| !value.is_empty())
                .ok_or(EnvelopeError::Missing(if xml {
                    xml_name
                } else {
                    json_name
                }))
        };
        Ok(ReplyEnvelope {
            encrypt: required(encrypt, "Encrypt", "encrypt")?,
            msg_signature: required(msg_signature, "MsgSignature", "msgsignature")?,
            timestamp: required(timestamp, "TimeStamp", "timestamp")?,
            nonce: required(nonce, "Nonce", "nonce")?,
        })
    }
}

fn encrypt_name(format: CallbackFormat) -> &'static str {
    match format {
        CallbackFormat::Xml => "Encrypt",
        CallbackFormat::Json => "encrypt",
    }
}

/// `timestamp` as a number when writing it as one reads back as the same string.
fn canonical_number(timestamp: &str) -> Option<u64> {
    timestamp
        .parse::<u64>()
        .ok()
        .filter(|seconds| seconds.to_string() == timestamp)
}

fn json(value: &impl Serialize) -> String {
    // Structs of strings and integers always serialize.
    serde_json::to_string(value).unwrap_or_default()
}
