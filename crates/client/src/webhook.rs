//! [`Webhook`]: one bot's key and base URL, and the calls `send` and `upload_media`.
//!
//! This module holds the bot, its settings, `send` and the retry loop; the media calls are in
//! `upload`.

mod upload;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hookpit_protocol::{MediaKind, SendReply, SendRequest};
use reqwest::Url;
use serde::de::DeserializeOwned;

use crate::error::{Error, excerpt};
use crate::limit::{Limiter, RateLimits, targets};
use crate::retry::RetryPolicy;
use crate::split::split_request;
pub use upload::Uploaded;

/// WeCom's API host, where real bots live.
pub const DEFAULT_BASE_URL: &str = "https://qyapi.weixin.qq.com";

/// The path of the send endpoint under the base URL.
const SEND_PATH: &str = "/cgi-bin/webhook/send";
/// The path of the upload endpoint under the base URL.
const UPLOAD_PATH: &str = "/cgi-bin/webhook/upload_media";

/// The default time allowed for one HTTP attempt (uploads of 20 MB included).
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
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is the bot's only credential: never print it whole.
        f.debug_struct("Webhook")
            .field("base", &self.base)
            .field("key", &mask(&self.key))
            .field("validate", &self.validate)
            .field("retry", &self.retry)
            .field("rate_limited", &self.limiter.is_some())
            .finish()
    }
}

/// The first 4 characters of a key, the rest masked.
fn mask(key: &str) -> String {
    let shown: String = key.chars().take(4).collect();
    format!("{shown}…")
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
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
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
        }
    }

    /// The bot of a full webhook URL, as WeCom shows it:
    /// `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`. The base URL is everything
    /// before `/cgi-bin/webhook/`, so Hookpit URLs work the same way.
    ///
    /// # Errors
    /// [`Error::Url`] when the URL does not parse, is not http(s), or has no `key`.
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
            url: url.to_owned(),
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

    /// The time allowed for one HTTP attempt (30 s by default). Replaces the HTTP client.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("hookpit-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        self
    }

    /// Uses this HTTP client (proxies, custom TLS roots, timeouts).
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
    /// [`Error::Network`] or [`Error::Status`] when no reply could be read.
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
        self.with_retries(Some(targets), || async {
            let response = self
                .http
                .post(self.send_url())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await
                .map_err(Error::Network)?;
            let reply: SendReply = read_reply(response).await?;
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

    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up. Each attempt
    /// waits for the rate limiter first when `targets` is given.
    async fn with_retries<T, F, Fut>(
        &self,
        targets: Option<Vec<String>>,
        attempt: F,
    ) -> Result<T, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut retry = 0;
        loop {
            let permit = match (&self.limiter, &targets) {
                (Some(limiter), Some(targets)) => Some(limiter.acquire(targets.clone()).await),
                _ => None,
            };
            let result = attempt().await;
            // Counted now that the server has seen it (see `limit`).
            drop(permit);
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let Some(delay) = self.retry.delay(retry, &error) else {
                return Err(error);
            };
            tracing::warn!(%error, ?delay, retry = retry + 1, "webhook call failed, retrying");
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }
}

/// Reads a 200 answer as WeCom JSON.
async fn read_reply<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, Error> {
    let status = response.status();
    let body = response.text().await.map_err(Error::Network)?;
    if status != reqwest::StatusCode::OK {
        return Err(Error::Status {
            status: status.as_u16(),
            body: excerpt(&body),
        });
    }
    serde_json::from_str(&body).map_err(|source| Error::Reply {
        body: excerpt(&body),
        source,
    })
}

fn api_result(code: i64, errmsg: &str) -> Result<(), Error> {
    if code == 0 {
        Ok(())
    } else {
        Err(Error::Api {
            code,
            errmsg: errmsg.to_owned(),
        })
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
