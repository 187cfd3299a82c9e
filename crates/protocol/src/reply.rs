//! The JSON replies of the webhook endpoints, byte for byte as WeCom sends them: compact, with
//! `errcode` first, `errmsg` second, then any extra fields.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ErrorCode, Hint};

/// The success body of `send`: exactly `{"errcode":0,"errmsg":"ok"}` (27 bytes).
pub const SEND_OK_BODY: &str = r#"{"errcode":0,"errmsg":"ok"}"#;

/// The reply of `send`, and the common head of every webhook reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReply {
    pub errcode: i64,
    pub errmsg: String,
}

impl SendReply {
    /// The reply for `error` (or success), with the errmsg suffix filled in.
    pub fn from_error(error: &ErrorCode, hint: Hint, from_ip: &str) -> SendReply {
        SendReply {
            errcode: error.code(),
            errmsg: error.errmsg(hint, from_ip),
        }
    }

    /// Compact JSON, as WeCom sends it.
    pub fn to_json(&self) -> String {
        let mut json = head(self.errcode, &self.errmsg);
        json.push('}');
        json
    }
}

/// The reply of `upload_media`. `created_at` is a JSON **string** of Unix seconds, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReply {
    pub errcode: i64,
    pub errmsg: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

impl UploadReply {
    /// A successful upload.
    pub fn ok(kind: &str, media_id: &str, created_at_unix_seconds: u64) -> UploadReply {
        UploadReply {
            errcode: 0,
            errmsg: "ok".to_owned(),
            kind: Some(kind.to_owned()),
            media_id: Some(media_id.to_owned()),
            created_at: Some(created_at_unix_seconds.to_string()),
        }
    }

    /// Compact JSON, as WeCom sends it.
    pub fn to_json(&self) -> String {
        let mut json = head(self.errcode, &self.errmsg);
        for (key, value) in [
            ("type", &self.kind),
            ("media_id", &self.media_id),
            ("created_at", &self.created_at),
        ] {
            if let Some(value) = value {
                json.push_str(&format!(",\"{key}\":{}", Value::from(value.as_str())));
            }
        }
        json.push('}');
        json
    }
}

/// `{"errcode":N,"errmsg":"..."` without the closing brace, in WeCom's key order. Written by
/// hand because `serde_json::to_string` is fallible in its signature and a reply must always be
/// produced; a `Value`'s `Display` escapes the string exactly as serde_json does and cannot fail.
fn head(errcode: i64, errmsg: &str) -> String {
    format!("{{\"errcode\":{errcode},\"errmsg\":{}", Value::from(errmsg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_reply_is_the_exact_27_byte_body() {
        let json = SendReply::from_error(&ErrorCode::OK, Hint::new(0, 0), "1.2.3.4").to_json();
        assert_eq!(json, SEND_OK_BODY);
        assert_eq!(json.len(), 27);
    }

    #[test]
    fn replies_are_the_same_bytes_as_serde_would_write() {
        let error = ErrorCode::invalid_parameter("text.content", "has \"quotes\" and 中文\n");
        let reply = SendReply::from_error(&error, Hint::new(1, 2), "::1");
        assert_eq!(reply.to_json(), serde_json::to_string(&reply).unwrap());
        let upload = UploadReply {
            errcode: 44001,
            errmsg: "empty media data".to_owned(),
            kind: None,
            media_id: Some("a\\b".to_owned()),
            created_at: None,
        };
        assert_eq!(upload.to_json(), serde_json::to_string(&upload).unwrap());
    }

    #[test]
    fn upload_reply_carries_created_at_as_a_string() {
        let json = UploadReply::ok("file", "abc", 1_380_000_000).to_json();
        assert_eq!(
            json,
            r#"{"errcode":0,"errmsg":"ok","type":"file","media_id":"abc","created_at":"1380000000"}"#
        );
    }
}
