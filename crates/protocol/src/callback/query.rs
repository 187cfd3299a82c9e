//! The query string of a callback request: `msg_signature`, `timestamp`, `nonce`, and for the URL
//! verification `echostr` (spec §8.3, §8.5).
//!
//! The values are percent-encoded on the wire (`echostr` is Base64, with `+`, `/` and `=`), and
//! must be decoded exactly once before the signature is checked: [`CallbackQuery::parse`] does
//! that, [`CallbackQuery::to_query_string`] does the reverse for the side that sends callbacks.
//! The struct also derives serde, so a web framework's query extractor can fill it.

use serde::{Deserialize, Serialize};

/// The parameters WeCom adds to the callback URL.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CallbackQuery {
    /// The signature of the ciphertext ([`super::CallbackCrypto::signature`]).
    pub msg_signature: String,
    /// Unix seconds, as the signed decimal string.
    pub timestamp: String,
    /// A random string.
    pub nonce: String,
    /// The encrypted challenge of a URL verification (a `GET`); absent on callbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echostr: Option<String>,
}

/// A query string without a parameter a callback needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the callback query has no {0} parameter")]
pub struct MissingParameter(pub &'static str);

impl CallbackQuery {
    /// Reads a query string (without the `?`; unknown parameters ignored, the first of a
    /// repeated one kept), decoding `%XX` and `+` as a form does.
    ///
    /// # Errors
    /// [`MissingParameter`] for a missing `msg_signature`, `timestamp` or `nonce`.
    pub fn parse(query: &str) -> Result<CallbackQuery, MissingParameter> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let find = |name: &str| {
            query.split('&').find_map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(key) == name).then(|| decode(value))
            })
        };
        Ok(CallbackQuery {
            msg_signature: find("msg_signature").ok_or(MissingParameter("msg_signature"))?,
            timestamp: find("timestamp").ok_or(MissingParameter("timestamp"))?,
            nonce: find("nonce").ok_or(MissingParameter("nonce"))?,
            echostr: find("echostr"),
        })
    }

    /// `msg_signature=…&timestamp=…&nonce=…[&echostr=…]`, every value percent-encoded.
    pub fn to_query_string(&self) -> String {
        let mut query = format!(
            "msg_signature={}&timestamp={}&nonce={}",
            encode(&self.msg_signature),
            encode(&self.timestamp),
            encode(&self.nonce)
        );
        if let Some(echostr) = &self.echostr {
            query.push_str("&echostr=");
            query.push_str(&encode(echostr));
        }
        query
    }

    /// `url` with these parameters appended (after `?`, or `&` when it already has a query, as
    /// a callback URL with `robot_callback_format=json` does).
    pub fn append_to(&self, url: &str) -> String {
        let (base, fragment) = url
            .split_once('#')
            .map_or((url, None), |(b, f)| (b, Some(f)));
        let separator = match base.find('?') {
            None => "?",
            Some(at) if at + 1 == base.len() || base.ends_with('&') => "",
            Some(_) => "&",
        };
        let mut out = format!("{base}{separator}{}", self.to_query_string());
        if let Some(fragment) = fragment {
            out.push('#');
            out.push_str(fragment);
        }
        out
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Form decoding: `+` is a space, `%XX` a byte; a malformed escape is kept as it is, and bytes
/// that are not UTF-8 become U+FFFD.
fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = match (byte, bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => std::str::from_utf8(hex)
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok()),
            _ => None,
        };
        match (byte, escaped) {
            (_, Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (other, None) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_string_round_trips_with_base64_characters() {
        let query = CallbackQuery {
            msg_signature: "39301d8d60dbee16fb1cb8bbddfede4c9f54478c".to_owned(),
            timestamp: "1409659813".to_owned(),
            nonce: "1372623149".to_owned(),
            echostr: Some("ZA4+HuQ/y==".to_owned()),
        };
        let string = query.to_query_string();
        assert!(string.ends_with("&echostr=ZA4%2BHuQ%2Fy%3D%3D"), "{string}");
        assert_eq!(CallbackQuery::parse(&string), Ok(query));
    }

    #[test]
    fn an_unencoded_plus_reads_as_a_space_as_in_every_form_decoder() {
        let query =
            CallbackQuery::parse("?msg_signature=s&timestamp=1&nonce=n&echostr=a+b%zz").unwrap();
        assert_eq!(query.echostr.as_deref(), Some("a b%zz"));
        assert_eq!(
            CallbackQuery::parse("timestamp=1&nonce=n"),
            Err(MissingParameter("msg_signature"))
        );
    }

    #[test]
    fn parameters_are_appended_to_a_url_with_or_without_a_query() {
        let query = CallbackQuery {
            msg_signature: "s".to_owned(),
            timestamp: "1".to_owned(),
            nonce: "n".to_owned(),
            echostr: None,
        };
        assert_eq!(
            query.append_to("https://bot.example/cb"),
            "https://bot.example/cb?msg_signature=s&timestamp=1&nonce=n"
        );
        assert_eq!(
            query.append_to("https://bot.example/cb?robot_callback_format=json#top"),
            "https://bot.example/cb?robot_callback_format=json&msg_signature=s&timestamp=1&nonce=n#top"
        );
    }
}
