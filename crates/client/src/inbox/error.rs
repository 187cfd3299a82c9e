//! [`InboxError`]: every way a call to Hookpit's `/api/v1` can fail, a wait's timeout included.

use std::time::Duration;

use super::item::MessageItem;

/// A failed call to a Hookpit's inbox API.
///
/// [`InboxError::TimedOut`] is the one a test usually meets: what it waited for did not
/// arrive, and `found` holds what did match before the time was up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// A wait ended before `wanted` matching messages had arrived.
    #[error("timed out after {:?}: {} of {wanted} message{} {}arrived", rounded(*waited), found.len(), plural(*wanted), waiting_for(what))]
    TimedOut {
        /// How long it waited.
        waited: Duration,
        /// How many messages it waited for.
        wanted: usize,
        /// The matching messages that did arrive, oldest first (fewer than `wanted`).
        found: Vec<MessageItem>,
        /// What it waited for, e.g. `chatid wrk…, containing "deploy"` (the filter's display).
        what: String,
    },
    /// The request did not complete: DNS, connect, timeout or a broken connection.
    #[error("request to Hookpit failed")]
    Network(#[source] reqwest::Error),
    /// Hookpit refused the request with its `{code, message}` error: `unauthorized` (the
    /// admin token is missing or wrong), `forbidden` (not a loopback caller), `bad_request`, ...
    #[error("Hookpit answered HTTP {status} {code}: {message}")]
    Api {
        /// The HTTP status code.
        status: u16,
        /// The API's stable snake_case code.
        code: String,
        /// Its explanation.
        message: String,
    },
    /// An HTTP error without Hookpit's error body: the URL is not a Hookpit, or a proxy
    /// answered.
    #[error("the server answered HTTP {status}, not as Hookpit does: {body}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The start of the body, for diagnostics.
        body: String,
    },
    /// A success answer that is not the JSON Hookpit sends.
    #[error("the server answered something that is not Hookpit's JSON: {body}")]
    Reply {
        /// The start of the body, for diagnostics.
        body: String,
        #[source]
        source: serde_json::Error,
    },
    /// A base URL that does not parse or is not http(s).
    #[error("invalid Hookpit URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl InboxError {
    /// Whether this is a wait's timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, InboxError::TimedOut { .. })
    }
}

/// A measured duration to the millisecond, for messages (`301ms`, not `301.234567ms`).
fn rounded(duration: Duration) -> Duration {
    Duration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn waiting_for(what: &str) -> String {
    if what.is_empty() || what == "every message" {
        String::new()
    } else {
        format!("({what}) ")
    }
}
