//! [`Inbox`]: a Hookpit's stored messages, for tests that assert on what their code sent.
//!
//! Programs that post to WeCom bots often ignore the errcode; pointed at a Hookpit, what they
//! sent lands in its inbox, and a test asks the inbox. [`Inbox::wait_for`] and friends are
//! built on the server's long-poll `GET /api/v1/messages/wait` (no sleep-and-retry loops): each
//! poll is capped by the server, so a wait polls again until its own timeout, continuing after
//! the last message id it saw, so that no message is missed or counted twice between polls.
//!
//! A wait counts the messages already stored unless the filter says
//! [`after`](MessageFilter::after): "run the code, then wait" can never miss a message that
//! landed first. To wait for new messages only, take [`Inbox::latest_id`] before the code runs
//! and wait `after` it (or [`Inbox::clear`] first).
//!
//! This module holds the client, the list and clear calls; the waits are in `wait`, the answers'
//! types in `item`, the filter in `filter` and the error in `error`.

mod error;
mod filter;
mod item;
mod wait;

use std::fmt;
use std::time::Duration;

use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::excerpt;
pub use error::InboxError;
pub use filter::MessageFilter;
pub use item::{BotRef, Lint, MessageItem, Rejection};

/// Where `hookpit serve` listens by default.
pub const LOCAL_BASE_URL: &str = "http://127.0.0.1:8765";

/// Time allowed for a call that does not wait (lists, clear).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The server's largest page (`GET /api/v1/messages?limit`, 1 to 500).
const PAGE: usize = 500;

/// A Hookpit's inbox API: list, wait for, and clear the messages senders posted.
///
/// Cheap to clone (clones share the connection pool).
///
/// # Examples
/// ```no_run
/// use std::time::Duration;
/// use hookpit_client::{Inbox, MessageFilter, Webhook, message};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let inbox = Inbox::new("http://127.0.0.1:8765").admin_token("s3cret");
/// let mark = inbox.latest_id().await?;
/// // The code under test, which posts to the Hookpit:
/// Webhook::new("ci-key").base_url("http://127.0.0.1:8765").send(message::text("deploy done")).await?;
/// let item = inbox
///     .wait_for(&MessageFilter::new().after(mark).key("ci-key"), Duration::from_secs(5))
///     .await?;
/// assert_eq!(item.text(), Some("deploy done"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Inbox {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    timeout: Duration,
}

impl fmt::Debug for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The admin token opens the whole API: never print it.
        f.debug_struct("Inbox")
            .field("base", &self.base)
            .field("admin_token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[derive(Deserialize)]
struct Page {
    messages: Vec<MessageItem>,
    next_cursor: Option<i64>,
}

#[derive(Deserialize)]
struct Cleared {
    deleted: u64,
}

#[derive(Deserialize)]
struct Rejections {
    rejections: Vec<Rejection>,
}

/// The API's error body.
#[derive(Deserialize)]
struct ApiErrorBody {
    code: String,
    message: String,
}

impl Inbox {
    /// The inbox of the Hookpit at `base_url`, e.g. [`LOCAL_BASE_URL`] (a trailing slash is
    /// dropped). Nothing is contacted until the first call.
    ///
    /// # Examples
    /// ```
    /// use hookpit_client::Inbox;
    /// use hookpit_client::inbox::LOCAL_BASE_URL;
    ///
    /// let inbox = Inbox::new(format!("{LOCAL_BASE_URL}/"));
    /// assert_eq!(inbox.base(), "http://127.0.0.1:8765");
    /// ```
    pub fn new(base_url: impl Into<String>) -> Inbox {
        let http = reqwest::Client::builder()
            .user_agent(concat!("hookpit-client/", env!("CARGO_PKG_VERSION")))
            .build()
            // Building only fails when the TLS backend cannot initialise; the default client
            // reports the same failure on first use.
            .unwrap_or_default();
        Inbox {
            http,
            base: base_url.into().trim_end_matches('/').to_owned(),
            token: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Sends `Authorization: Bearer TOKEN`, for a server started with `--admin-token`.
    pub fn admin_token(mut self, token: impl Into<String>) -> Inbox {
        self.token = Some(token.into());
        self
    }

    /// The time allowed for a call that does not wait (30 s by default). Waits take the time
    /// they are given.
    pub fn timeout(mut self, timeout: Duration) -> Inbox {
        self.timeout = timeout;
        self
    }

    /// Uses this HTTP client (proxies, custom TLS roots). Its own timeout, if any, must leave
    /// room for long polls of 25 s.
    pub fn http_client(mut self, client: reqwest::Client) -> Inbox {
        self.http = client;
        self
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Up to `limit` stored messages matching `filter`, newest first (pages of 500 are fetched
    /// as needed).
    ///
    /// # Errors
    /// [`InboxError::Network`] when the server cannot be reached, [`InboxError::Api`] when it
    /// refuses (a wrong admin token, a remote caller without one), [`InboxError::Status`] or
    /// [`InboxError::Reply`] when the URL is not a Hookpit.
    ///
    /// # Examples
    /// ```no_run
    /// use hookpit_client::{Inbox, MessageFilter};
    ///
    /// # async fn run() -> Result<(), hookpit_client::InboxError> {
    /// let inbox = Inbox::new("http://127.0.0.1:8765");
    /// let recent = inbox.messages(&MessageFilter::new().contains("disk full"), 10).await?;
    /// for item in &recent {
    ///     println!("#{} {} {}", item.id, item.chatid, item.text().unwrap_or(&item.msgtype));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn messages(
        &self,
        filter: &MessageFilter,
        limit: usize,
    ) -> Result<Vec<MessageItem>, InboxError> {
        let mut items = Vec::new();
        let mut before = None;
        while items.len() < limit {
            let mut query = filter.query(true);
            query.push(("limit", (limit - items.len()).min(PAGE).to_string()));
            if let Some(before) = before {
                query.push(("before", format!("{before}")));
            }
            let page: Page = self
                .call(Method::GET, "/api/v1/messages", &query, self.timeout)
                .await?;
            for item in page.messages {
                // Newest first: the first message at or below `after` ends the list.
                if filter.after.is_some_and(|after| item.id <= after) {
                    return Ok(items);
                }
                // The server filtered already, but not by a text it cannot quote (`"`).
                if filter.matches(&item) {
                    items.push(item);
                }
            }
            match page.next_cursor {
                Some(cursor) => before = Some(cursor),
                None => break,
            }
        }
        Ok(items)
    }

    /// The id of the newest stored message (0 when there is none): a mark to wait
    /// [`after`](MessageFilter::after), so that only messages sent from now on count.
    ///
    /// # Errors
    /// As [`Inbox::messages`].
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run() -> Result<(), hookpit_client::InboxError> {
    /// let inbox = hookpit_client::Inbox::new("http://127.0.0.1:8765");
    /// let mark = inbox.latest_id().await?;
    /// let new = hookpit_client::MessageFilter::new().after(mark);
    /// # Ok(()) }
    /// ```
    pub async fn latest_id(&self) -> Result<i64, InboxError> {
        let newest = self.messages(&MessageFilter::new(), 1).await?;
        Ok(newest.first().map_or(0, |item| item.id))
    }

    /// Deletes every stored message (and the requests and pictures behind them); returns how
    /// many messages there were. Bots, chats and users stay; ids are never reused.
    ///
    /// # Errors
    /// As [`Inbox::messages`].
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run() -> Result<(), hookpit_client::InboxError> {
    /// let deleted = hookpit_client::Inbox::new("http://127.0.0.1:8765").clear().await?;
    /// println!("deleted {deleted} messages");
    /// # Ok(()) }
    /// ```
    pub async fn clear(&self) -> Result<u64, InboxError> {
        let cleared: Cleared = self
            .call(Method::DELETE, "/api/v1/messages", &[], self.timeout)
            .await?;
        Ok(cleared.deleted)
    }

    /// The most recent webhook calls the server refused (up to 100, newest first): what a
    /// sender that ignores errcodes never saw.
    ///
    /// # Errors
    /// As [`Inbox::messages`].
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run() -> Result<(), hookpit_client::InboxError> {
    /// let inbox = hookpit_client::Inbox::new("http://127.0.0.1:8765");
    /// for rejection in inbox.rejections().await? {
    ///     eprintln!("{} errcode {}: {}", rejection.at, rejection.errcode, rejection.errmsg);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn rejections(&self) -> Result<Vec<Rejection>, InboxError> {
        let list: Rejections = self
            .call(Method::GET, "/api/v1/rejections", &[], self.timeout)
            .await?;
        Ok(list.rejections)
    }

    /// One call to the API, answered with JSON.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        timeout: Duration,
    ) -> Result<T, InboxError> {
        let url = self.url(path)?;
        let mut request = self.http.request(method, url).query(query).timeout(timeout);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(network)?;
        let status = response.status();
        let body = response.text().await.map_err(network)?;
        if !status.is_success() {
            return Err(match serde_json::from_str::<ApiErrorBody>(&body) {
                Ok(error) => InboxError::Api {
                    status: status.as_u16(),
                    code: error.code,
                    message: error.message,
                },
                Err(_) => InboxError::Status {
                    status: status.as_u16(),
                    body: excerpt(&body),
                },
            });
        }
        serde_json::from_str(&body).map_err(|source| InboxError::Reply {
            body: excerpt(&body),
            source,
        })
    }

    fn url(&self, path: &str) -> Result<Url, InboxError> {
        let invalid = |reason| InboxError::Url {
            url: self.base.clone(),
            reason,
        };
        let url = Url::parse(&format!("{}{path}", self.base)).map_err(|_| invalid("not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("not an http or https URL"));
        }
        Ok(url)
    }
}

/// A network error, its URL without the query: the filters (a bot's key among them) stay out
/// of error messages and CI logs.
fn network(mut error: reqwest::Error) -> InboxError {
    if let Some(url) = error.url_mut() {
        url.set_query(None);
    }
    InboxError::Network(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_admin_token() {
        let debug = format!("{:?}", Inbox::new(LOCAL_BASE_URL).admin_token("s3cret"));
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }

    #[tokio::test]
    async fn a_base_that_is_not_http_fails_before_any_request() {
        let error = Inbox::new("ftp://127.0.0.1:9").clear().await.unwrap_err();
        assert!(matches!(error, InboxError::Url { .. }), "{error:?}");
        let error = Inbox::new("127.0.0.1:8765").clear().await.unwrap_err();
        assert!(matches!(error, InboxError::Url { .. }), "{error:?}");
    }

    #[tokio::test]
    async fn a_wait_for_nothing_returns_at_once() {
        // Port 9 (discard) is never contacted.
        let inbox = Inbox::new("http://127.0.0.1:9");
        let found = inbox
            .wait_for_count(&MessageFilter::new(), 0, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(found.is_empty());
    }
}
