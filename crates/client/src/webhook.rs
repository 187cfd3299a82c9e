//! [`Webhook`]: one bot's key and base URL, and the calls `send` and `upload_media`.
//!
//! This module holds the bot, its settings and `send`; the retry loop and the reading of
//! WeCom's reply are in `call`, the media calls in `upload`, and the streamed upload body with
//! its no-progress rule in `body`.
//!
//! # Timeouts
//! A send is a small JSON body: [`Webhook::timeout`] bounds each attempt as a whole. An upload
//! may be 20 MB over a slow link, so it has no overall limit; it fails when nothing moves for
//! that long instead (see [`Error::Stalled`]). Both are applied per request, never by building
//! a new HTTP client, so a client given to [`Webhook::http_client`] is kept.

mod body;
mod call;
mod upload;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hookpit_protocol::{MediaKind, SendReply, SendRequest};
use reqwest::Url;

use crate::error::{Error, mask_key, network};
use crate::limit::{Limiter, RateLimits, targets};
use crate::retry::RetryPolicy;
use crate::split::split_request;
use call::{api_result, read_reply};
pub use upload::{UploadProgress, Uploaded};

/// WeCom's API host, where real bots live.
pub const DEFAULT_BASE_URL: &str = "https://qyapi.weixin.qq.com";

/// The path of the send endpoint under the base URL.
const SEND_PATH: &str = "/cgi-bin/webhook/send";
/// The path of the upload endpoint under the base URL.
const UPLOAD_PATH: &str = "/cgi-bin/webhook/upload_media";

/// The default time allowed for one send attempt, and the longest an upload may go without
/// progress.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A WeCom message-push bot ("群机器人"): its key, where its server is, and how to deliver.
///
/// Cheap to clone; clones share the HTTP connection pool and the rate limiter.
///
/// # Examples
/// ```no_run
/// use hookpit_client::{Webhook, message};
///
/// # async fn run() -> Result<(), hookpit_client::Error> {
/// let bot = Webhook::from_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx")?;
/// bot.send(message::text("deploy finished").mention("zhangsan")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Webhook {
    http: reqwest::Client,
    base: String,
    key: String,
    validate: bool,
    retry: RetryPolicy,
    limiter: Option<Arc<Limiter>>,
    timeout: Duration,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is the bot's only credential: never print it whole.
        f.debug_struct("Webhook")
            .field("base", &self.base)
            .field("key", &mask_key(&self.key))
            .field("validate", &self.validate)
            .field("retry", &self.retry)
            .field("rate_limited", &self.limiter.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Webhook {
    /// The bot with this key on WeCom ([`DEFAULT_BASE_URL`]); see [`Webhook::base_url`] for
    /// another server such as Hookpit.
    ///
    /// Local validation is on, retries use [`RetryPolicy::default`], and there is no client-side
    /// rate limit until [`Webhook::rate_limit`].
    ///
    /// # Examples
    /// ```
    /// use hookpit_client::Webhook;
    ///
    /// let bot = Webhook::new("693a91f6-7xxx").base_url("http://127.0.0.1:8080/");
    /// assert_eq!(bot.send_url(), "http://127.0.0.1:8080/cgi-bin/webhook/send?key=693a91f6-7xxx");
    /// ```
    pub fn new(key: impl Into<String>) -> Self {
        // No overall timeout on the client: sends get theirs per request, and uploads must be
        // able to take longer than any fixed limit (see the module docs).
        let http = reqwest::Client::builder()
            .user_agent(concat!("hookpit-client/", env!("CARGO_PKG_VERSION")))
            .build()
            // Building only fails when the TLS backend cannot initialise; the default client
            // reports the same failure on first use.
            .unwrap_or_default();
        Webhook {
            http,
            base: DEFAULT_BASE_URL.to_owned(),
            key: key.into(),
            validate: true,
            retry: RetryPolicy::default(),
            limiter: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The bot of a full webhook URL, as WeCom shows it:
    /// `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`. The base URL is everything
    /// before `/cgi-bin/webhook/`, so Hookpit URLs work the same way.
    ///
    /// # Errors
    /// [`Error::Url`] when the URL does not parse, is not http(s), or has no `key` (the URL in
    /// the error has its key masked).
    ///
    /// # Examples
    /// ```
    /// use hookpit_client::Webhook;
    ///
    /// let bot = Webhook::from_url("http://localhost:8080/cgi-bin/webhook/send?key=abc")?;
    /// assert_eq!(bot.key(), "abc");
    /// assert!(Webhook::from_url("https://example.com/?token=abc").is_err());
    /// # Ok::<(), hookpit_client::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<Self, Error> {
        let invalid = |reason| Error::Url {
            url: crate::error::mask_url(url),
            reason,
        };
        let parsed = Url::parse(url).map_err(|_| invalid("not a URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("not an http or https URL"));
        }
        let key = parsed
            .query_pairs()
            .find(|(name, _)| name == "key")
            .map(|(_, value)| value.into_owned())
            .filter(|key| !key.is_empty())
            .ok_or_else(|| invalid("no key=... query parameter"))?;
        let path = parsed.path();
        let prefix = path
            .find("/cgi-bin/webhook/")
            .map_or(path.trim_end_matches('/'), |at| &path[..at]);
        let origin = parsed.origin().ascii_serialization();
        Ok(Webhook::new(key).base_url(format!("{origin}{prefix}")))
    }

    /// Sends to another server with the same API, e.g. a Hookpit at `http://127.0.0.1:8080`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Whether to check each message with the server's rules before sending it (on by default).
    ///
    /// With validation on, a message WeCom would refuse fails with [`Error::Invalid`] and the
    /// same errcode, without using the network or the rate limit. Turn it off to test how a
    /// server answers invalid requests.
    pub fn validate(mut self, on: bool) -> Self {
        self.validate = on;
        self
    }

    /// How failures are retried (see [`RetryPolicy`]; [`RetryPolicy::none`] to never retry).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Waits before any send that would exceed `limits`, so this client alone never triggers
    /// 45009 (see [`crate::limit`]). Clones made afterwards share the limiter.
    ///
    /// # Examples
    /// ```
    /// use hookpit_client::{RateLimits, Webhook};
    ///
    /// let bot = Webhook::new("KEY").rate_limit(RateLimits::PUBLIC);
    /// ```
    pub fn rate_limit(mut self, limits: RateLimits) -> Self {
        self.limiter = Some(Arc::new(Limiter::new(limits)));
        self
    }

    /// The time allowed for each attempt of a send, and the longest an upload may go without
    /// progress (30 s by default; see [`Error::Stalled`]).
    ///
    /// Applied to each request, so it combines with [`Webhook::http_client`] in either order.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use hookpit_client::Webhook;
    ///
    /// let bot = Webhook::new("KEY").timeout(Duration::from_secs(10));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Uses this HTTP client (proxies, custom TLS roots, default headers).
    ///
    /// [`Webhook::timeout`] still applies, per request, whether it is set before or after. A
    /// timeout built into the client also applies, to uploads too: leave it unset to upload big
    /// files over slow links.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use hookpit_client::Webhook;
    ///
    /// # fn main() -> Result<(), reqwest::Error> {
    /// let http = reqwest::Client::builder()
    ///     .proxy(reqwest::Proxy::https("http://proxy.internal:3128")?)
    ///     .build()?;
    /// let bot = Webhook::new("KEY").http_client(http).timeout(Duration::from_secs(10));
    /// # Ok(()) }
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    /// The bot's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The full send URL, `<base>/cgi-bin/webhook/send?key=<key>`.
    pub fn send_url(&self) -> String {
        self.endpoint(SEND_PATH, None)
    }

    /// The full upload URL for `kind`.
    pub fn upload_url(&self, kind: MediaKind) -> String {
        self.endpoint(UPLOAD_PATH, Some(kind))
    }

    fn endpoint(&self, path: &str, kind: Option<MediaKind>) -> String {
        let mut url = format!("{}{path}?key=", self.base);
        encode_query_value(&self.key, &mut url);
        if let Some(kind) = kind {
            url.push_str("&type=");
            url.push_str(kind.as_str());
        }
        url
    }

    /// Sends one message and returns WeCom's reply (always `errcode` 0).
    ///
    /// Takes a [`message`](crate::message) builder or a [`SendRequest`]. The request is validated first (unless
    /// [`Webhook::validate`] is off), waits for the rate limiter (if any), and is retried
    /// according to the [`RetryPolicy`].
    ///
    /// # Errors
    /// [`Error::Invalid`] for a message WeCom would refuse (nothing is sent); [`Error::Api`] when
    /// the server refuses it (93000 bad key, 45009 rate limit after the retries, ...);
    /// [`Error::Network`] or [`Error::Status`] when no reply could be read (a timeout is a
    /// [`Error::Network`] whose source [`is_timeout`](reqwest::Error::is_timeout)).
    ///
    /// # Examples
    /// ```no_run
    /// use hookpit_client::{Error, Webhook, message};
    ///
    /// # async fn run() -> Result<(), Error> {
    /// let bot = Webhook::new("693a91f6-7xxx");
    /// match bot.send(message::markdown("**build** <font color=\"warning\">failed</font>")).await {
    ///     Ok(_) => {}
    ///     Err(Error::Api { code: 93000, .. }) => eprintln!("wrong key"),
    ///     Err(error) => return Err(error),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send(&self, request: impl Into<SendRequest>) -> Result<SendReply, Error> {
        let request = request.into();
        let body = serde_json::to_vec(&request).map_err(Error::Encode)?;
        if self.validate {
            hookpit_protocol::parse_send(&body).map_err(Error::Invalid)?;
        }
        self.post_send(body, targets(request.chatid.as_deref()))
            .await
    }

    /// Sends a request body byte for byte as given, e.g. a JSON file written by hand or another
    /// program, keeping its field order and any field the typed model does not know.
    ///
    /// Validation (unless off), the rate limiter and retries apply as for [`Webhook::send`].
    /// With validation off the body may be anything, which is how a server's answers to
    /// malformed requests are tested.
    ///
    /// # Errors
    /// As [`Webhook::send`].
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run() -> Result<(), hookpit_client::Error> {
    /// let bot = hookpit_client::Webhook::new("KEY");
    /// bot.send_raw(r#"{"msgtype":"text","text":{"content":"hello world"}}"#).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_raw(&self, body: impl Into<Vec<u8>>) -> Result<SendReply, Error> {
        let body = body.into();
        let chatid = if self.validate {
            hookpit_protocol::parse_send(&body)
                .map_err(Error::Invalid)?
                .request
                .chatid
        } else {
            // Best effort, only to pick the limiter's windows: the server judges the body.
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|value| value.get("chatid")?.as_str().map(str::to_owned))
        };
        self.post_send(body, targets(chatid.as_deref())).await
    }

    /// Posts an encoded send body, through the limiter and the retries.
    async fn post_send(&self, body: Vec<u8>, targets: Vec<String>) -> Result<SendReply, Error> {
        let url = self.send_url();
        // Shared by the attempts: a retry costs no copy of the body.
        let body = bytes::Bytes::from(body);
        self.with_retries("send", Some(targets), || async {
            let response = self
                .http
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .timeout(self.timeout)
                .send()
                .await
                .map_err(|source| network(&url, source))?;
            let reply: SendReply = read_reply(response, &url).await?;
            api_result(reply.errcode, &reply.errmsg)?;
            Ok(reply)
        })
        .await
    }

    /// Sends a long text or markdown as several messages, each under WeCom's limit (see
    /// [`split`](crate::split)); any other message, or one that fits, is sent as is.
    ///
    /// Messages go out in order, one after the other; the first failure stops the rest and is
    /// returned (the replies of the chunks already sent are lost with it).
    ///
    /// # Errors
    /// As [`Webhook::send`], for the first chunk that fails.
    ///
    /// # Examples
    /// ```no_run
    /// use hookpit_client::{Webhook, message};
    ///
    /// # async fn run() -> Result<(), hookpit_client::Error> {
    /// let log = std::fs::read_to_string("build.log").unwrap_or_default();
    /// let replies = Webhook::new("KEY").send_split(message::text(log)).await?;
    /// println!("sent {} messages", replies.len());
    /// # Ok(()) }
    /// ```
    pub async fn send_split(
        &self,
        request: impl Into<SendRequest>,
    ) -> Result<Vec<SendReply>, Error> {
        let mut replies = Vec::new();
        for request in split_request(request.into()) {
            replies.push(self.send(request).await?);
        }
        Ok(replies)
    }
}

/// Percent-encodes a query value (keys are UUID-like, but a pasted URL must not break the query).
fn encode_query_value(value: &str, out: &mut String) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message;

    #[test]
    fn a_full_url_gives_its_key_and_base() {
        let bot = Webhook::from_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123")
            .unwrap();
        assert_eq!((bot.base(), bot.key()), (DEFAULT_BASE_URL, "abc-123"));
        let hookpit =
            Webhook::from_url("http://127.0.0.1:9/prefix/cgi-bin/webhook/send?x=1&key=k").unwrap();
        assert_eq!(
            hookpit.send_url(),
            "http://127.0.0.1:9/prefix/cgi-bin/webhook/send?key=k"
        );
        assert_eq!(
            hookpit.upload_url(MediaKind::Voice),
            "http://127.0.0.1:9/prefix/cgi-bin/webhook/upload_media?key=k&type=voice"
        );
    }

    #[test]
    fn a_url_without_a_key_is_refused() {
        for url in [
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=",
            "ftp://host/cgi-bin/webhook/send?key=k",
            "not a url",
        ] {
            assert!(
                matches!(Webhook::from_url(url), Err(Error::Url { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn a_pasted_url_as_key_is_percent_encoded_not_spliced_into_the_query() {
        let bot = Webhook::new("https://x/?key=k&type=file");
        assert_eq!(
            bot.send_url(),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=https%3A%2F%2Fx%2F%3Fkey%3Dk%26type%3Dfile"
        );
    }

    #[test]
    fn a_url_refused_by_from_url_has_its_key_masked() {
        let error = Webhook::from_url("ftp://host/cgi-bin/webhook/send?key=693a91f6-secret")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "invalid webhook url \"ftp://host/cgi-bin/webhook/send?key=693a…\": not an http or https URL"
        );
    }

    #[test]
    fn debug_output_masks_the_key() {
        let debug = format!("{:?}", Webhook::new("693a91f6-secret"));
        assert!(!debug.contains("secret"), "{debug}");
    }

    #[tokio::test]
    async fn an_invalid_message_fails_locally_with_the_server_errcode() {
        // Port 9 (discard) is never contacted: validation fails first.
        let bot = Webhook::new("k").base_url("http://127.0.0.1:9");
        let error = bot.send(message::text("")).await.unwrap_err();
        assert_eq!(error.code(), Some(44004));
        let long = message::markdown("x".repeat(4097));
        assert_eq!(bot.send(long).await.unwrap_err().code(), Some(40058));
    }
}
