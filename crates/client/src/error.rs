//! [`Error`]: every way a call to a webhook can fail, with WeCom's `errcode` kept as a number.
//!
//! The key in a webhook URL is the bot's only credential, and errors end up in CI logs: no
//! error carries it. URLs in errors have the key masked as Hookpit masks it (its first 4
//! characters, then `…`), and network errors drop the URL that reqwest keeps in them.

use std::path::PathBuf;
use std::time::Duration;

use hookpit_protocol::ErrorCode;

/// A failed webhook call.
///
/// The variants say who refused: [`Error::Invalid`] is this SDK refusing before anything was
/// sent (with the errcode the server would have answered), [`Error::Api`] is the server's own
/// answer, [`Error::Network`], [`Error::Stalled`] and [`Error::Status`] mean no WeCom answer was
/// read at all.
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
    #[error("request to {url} failed")]
    Network {
        /// The URL called, with the key masked (`…/send?key=693a…`).
        url: String,
        /// What went wrong, without the URL (reqwest's copy holds the key); see
        /// [`reqwest::Error::is_timeout`] and [`reqwest::Error::is_connect`].
        #[source]
        source: reqwest::Error,
    },
    /// An upload that went this long without progress: no byte of it taken by the connection,
    /// or no answer once it was all sent. Uploads have no overall time limit (a 20 MB file over
    /// a slow link may take minutes), only this one; see [`Webhook::timeout`](crate::Webhook::timeout).
    #[error("upload to {url} made no progress for {idle:?}")]
    Stalled {
        /// The URL called, with the key masked.
        url: String,
        /// How long nothing moved.
        idle: Duration,
    },
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
        /// The URL as given, with the value of any `key` masked.
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
    /// The blocking client could not run its runtime: it failed to start, or was called from
    /// async code (use the async [`Webhook`](crate::Webhook) there).
    #[error("the blocking client cannot run")]
    Runtime(#[source] std::io::Error),
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

    /// Whether the server never answered with a WeCom reply (network failure, a stalled upload
    /// or an HTTP error).
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            Error::Network { .. } | Error::Stalled { .. } | Error::Status { .. }
        )
    }

    /// Whether trying again later may succeed: rate limits (45009), WeCom's transient system
    /// error (-1), concurrent identical bodies (45033), network failures and 5xx answers.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Api { code, .. } => is_transient_code(*code),
            Error::Network { .. } | Error::Stalled { .. } => true,
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

/// A network error for a call to `url` (which holds the key): the URL masked in ours, and
/// dropped from reqwest's.
pub(crate) fn network(url: &str, source: reqwest::Error) -> Error {
    Error::Network {
        url: mask_url(url),
        source: source.without_url(),
    }
}

/// A key as Hookpit masks it in logs and pages: its first 4 characters, then `…`.
pub(crate) fn mask_key(key: &str) -> String {
    let shown: String = key.chars().take(4).collect();
    format!("{shown}…")
}

/// `url` with the value of every `key` query parameter masked by [`mask_key`].
pub(crate) fn mask_url(url: &str) -> String {
    let Some((before, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("key", value)) if !value.is_empty() => format!("key={}", mask_key(value)),
            _ => pair.to_owned(),
        })
        .collect();
    let mut masked = format!("{before}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        masked.push('#');
        masked.push_str(fragment);
    }
    masked
}

/// The first `max` bytes of a body, cut on a char boundary, for error messages.
pub(crate) fn excerpt(body: &str) -> String {
    const MAX: usize = 200;
    hookpit_protocol::truncate_utf8(body, MAX).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_show_only_the_first_four_characters_of_the_key() {
        assert_eq!(
            mask_url("http://h:1/cgi-bin/webhook/upload_media?key=693a91f6-secret&type=file"),
            "http://h:1/cgi-bin/webhook/upload_media?key=693a…&type=file"
        );
        assert_eq!(
            mask_url("ftp://h/?x=1&key=secret#frag"),
            "ftp://h/?x=1&key=secr…#frag"
        );
        assert_eq!(mask_url("http://h/no-query"), "http://h/no-query");
        assert_eq!(mask_url("http://h/?key="), "http://h/?key=");
    }

    #[test]
    fn a_stalled_upload_is_retried_like_a_network_failure() {
        let stalled = Error::Stalled {
            url: String::new(),
            idle: Duration::from_secs(30),
        };
        assert!(stalled.is_network() && stalled.is_transient());
    }
}
