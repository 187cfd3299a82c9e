//! [`Error`]: every way a call to a webhook can fail, with WeCom's `errcode` kept as a number.

use std::path::PathBuf;

use hookpit_protocol::ErrorCode;

/// A failed webhook call.
///
/// The variants say who refused: [`Error::Invalid`] is this SDK refusing before anything was
/// sent (with the errcode the server would have answered), [`Error::Api`] is the server's own
/// answer, [`Error::Network`] and [`Error::Status`] mean no WeCom answer was read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a non-zero `errcode`.
    #[error("errcode {code}: {errmsg}")]
    Api {
        /// WeCom's `errcode`, e.g. 93000 (bad key) or 45009 (rate limit).
        code: i64,
        /// WeCom's `errmsg`, with its `hint: [...]` and `from ip:` suffix.
        errmsg: String,
    },
    /// The message breaks a rule WeCom checks, found locally before sending
    /// (see [`Webhook::validate`](crate::Webhook::validate)).
    // Not a `#[source]`: the display already says all of it, and error chains would repeat it.
    #[error("invalid request, errcode {}: {}", .0.code(), .0.text())]
    Invalid(ErrorCode),
    /// The request did not complete: DNS, connect, TLS, timeout or a broken connection.
    #[error("request to the webhook failed")]
    Network(#[source] reqwest::Error),
    /// An HTTP status other than 200 (WeCom answers every business error with 200), so
    /// likely a proxy or an overloaded server.
    #[error("the webhook answered HTTP {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The start of the body, for diagnostics.
        body: String,
    },
    /// A 200 answer that is not WeCom's JSON reply.
    #[error("the webhook answered something that is not a WeCom reply: {body}")]
    Reply {
        /// The start of the body, for diagnostics.
        body: String,
        #[source]
        source: serde_json::Error,
    },
    /// The request could not be serialized as JSON.
    #[error("cannot encode the request as JSON")]
    Encode(#[source] serde_json::Error),
    /// A webhook URL that has no `key` query parameter or is not http(s).
    #[error("invalid webhook url {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A file to send or upload could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The WeCom errcode, from the server ([`Error::Api`]) or from local validation
    /// ([`Error::Invalid`]).
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } => Some(*code),
            Error::Invalid(error) => Some(error.code()),
            _ => None,
        }
    }

    /// Whether the server never answered with a WeCom reply (network failure or HTTP error).
    pub fn is_network(&self) -> bool {
        matches!(self, Error::Network(_) | Error::Status { .. })
    }

    /// Whether trying again later may succeed: rate limits (45009), WeCom's transient system
    /// error (-1), concurrent identical bodies (45033), network failures and 5xx answers.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Api { code, .. } => is_transient_code(*code),
            Error::Network(_) => true,
            Error::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// The errcodes worth retrying: WeCom's system error (-1), 45009 `api freq out of limit`
/// (spec §5) and 45033 `api concurrent out of limit` (spec §2.10).
pub(crate) fn is_transient_code(code: i64) -> bool {
    matches!(code, -1 | 45009 | 45033)
}

/// The first `max` bytes of a body, cut on a char boundary, for error messages.
pub(crate) fn excerpt(body: &str) -> String {
    const MAX: usize = 200;
    hookpit_protocol::truncate_utf8(body, MAX).to_owned()
}
