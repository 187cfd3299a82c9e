//! [`WebhookQuery`]: the `key` and `type` of a webhook URL, read the way a wary server must.
//!
//! A parameter given twice (`?key=A&key=B`) is ambiguous: which bot was meant cannot be known,
//! and taking either one would let a URL that works here fail at WeCom or the other way round.
//! So a repeated `key` counts as no key (93000) and a repeated `type` as no type (40005) `[U]`.
//! Other parameters (`debug=1`, trackers' `utm_*`) are ignored, as WeCom ignores them.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::Uri;
use axum::http::request::Parts;

/// The query string of the webhook endpoints.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WebhookQuery {
    /// `key`, when given exactly once.
    pub key: Option<String>,
    /// `type` (uploads), when given exactly once.
    pub kind: Option<String>,
}

impl WebhookQuery {
    /// Reads the query of `uri`.
    pub fn from_uri(uri: &Uri) -> WebhookQuery {
        let mut key = Parameter::Absent;
        let mut kind = Parameter::Absent;
        let query = uri.query().unwrap_or_default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "key" => key.see(value.into_owned()),
                "type" => kind.see(value.into_owned()),
                _ => {}
            }
        }
        WebhookQuery {
            key: key.once(),
            kind: kind.once(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebhookQuery {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(WebhookQuery::from_uri(&parts.uri))
    }
}

/// How often a parameter was seen.
enum Parameter {
    Absent,
    Once(String),
    Repeated,
}

impl Parameter {
    fn see(&mut self, value: String) {
        *self = match self {
            Parameter::Absent => Parameter::Once(value),
            Parameter::Once(_) | Parameter::Repeated => Parameter::Repeated,
        };
    }

    fn once(self) -> Option<String> {
        match self {
            Parameter::Once(value) => Some(value),
            // [U] A repeated `key` or `type`: as if absent (93000, 40005).
            Parameter::Absent | Parameter::Repeated => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(uri: &str) -> WebhookQuery {
        WebhookQuery::from_uri(&uri.parse().unwrap())
    }

    #[test]
    fn key_and_type_are_read_and_other_parameters_ignored() {
        assert_eq!(
            query("/cgi-bin/webhook/upload_media?key=abc&type=file&debug=1"),
            WebhookQuery {
                key: Some("abc".to_owned()),
                kind: Some("file".to_owned()),
            }
        );
        assert_eq!(query("/cgi-bin/webhook/send").key, None);
        assert_eq!(query("/s?key=a%2Bb").key.as_deref(), Some("a+b"));
    }

    #[test]
    fn a_repeated_key_or_type_counts_as_none() {
        assert_eq!(query("/s?key=a&key=b").key, None);
        assert_eq!(query("/s?key=a&key=a").key, None);
        assert_eq!(query("/s?key=a&type=file&type=voice").kind, None);
        assert_eq!(
            query("/s?key=a&type=file&type=voice").key.as_deref(),
            Some("a")
        );
    }
}
