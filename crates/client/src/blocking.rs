//! A blocking [`Webhook`], for scripts and programs without an async runtime (feature
//! `blocking`, off by default).
//!
//! It wraps the async [`crate::Webhook`] and runs each call to completion on a current-thread
//! tokio runtime of its own, started at the first call and shared by clones. Everything else is
//! the async client's: validation, retries, the rate limiter, streamed uploads, the errors.
//!
//! ```toml
//! [dependencies]
//! hookpit-client = { version = "0.1", features = ["blocking"] }
//! ```
//!
//! Do not use it from async code: a call made inside a tokio runtime fails with
//! [`Error::Runtime`] rather than block the runtime's thread, and dropping the last clone there
//! panics, as dropping any tokio runtime inside another does. Use the async client instead.
//!
//! ```no_run
//! use hookpit_client::blocking::Webhook;
//! use hookpit_client::message;
//!
//! fn main() -> Result<(), hookpit_client::Error> {
//!     let bot = Webhook::from_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY")?;
//!     bot.send(message::text("nightly backup finished"))?;
//!     bot.send_file("backup.log")?;
//!     Ok(())
//! }
//! ```

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hookpit_protocol::{MediaKind, SendReply, SendRequest};

use crate::error::Error;
use crate::limit::RateLimits;
use crate::message::Envelope;
use crate::retry::RetryPolicy;
use crate::webhook::{UploadProgress, Uploaded};

/// A WeCom bot whose calls block until they are done; see the [module docs](self).
///
/// Cheap to clone; clones share the runtime, the connection pool and the rate limiter.
#[derive(Clone)]
pub struct Webhook {
    inner: crate::Webhook,
    runtime: Arc<OnceLock<tokio::runtime::Runtime>>,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The async client's Debug masks the key.
        f.debug_tuple("blocking::Webhook")
            .field(&self.inner)
            .finish()
    }
}

impl From<crate::Webhook> for Webhook {
    /// The blocking version of an async bot, with all its settings.
    fn from(inner: crate::Webhook) -> Self {
        Webhook {
            inner,
            runtime: Arc::new(OnceLock::new()),
        }
    }
}

impl Webhook {
    /// The bot with this key on WeCom; see [`crate::Webhook::new`].
    ///
    /// # Examples
    /// ```
    /// use hookpit_client::blocking::Webhook;
    ///
    /// let bot = Webhook::new("693a91f6-7xxx").base_url("http://127.0.0.1:8765");
    /// assert_eq!(bot.send_url(), "http://127.0.0.1:8765/cgi-bin/webhook/send?key=693a91f6-7xxx");
    /// ```
    pub fn new(key: impl Into<String>) -> Self {
        Webhook::from(crate::Webhook::new(key))
    }

    /// The bot of a full webhook URL; see [`crate::Webhook::from_url`].
    ///
    /// # Errors
    /// [`Error::Url`] when the URL does not parse, is not http(s), or has no `key`.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        crate::Webhook::from_url(url).map(Webhook::from)
    }

    /// See [`crate::Webhook::base_url`].
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.map(|inner| inner.base_url(url))
    }

    /// See [`crate::Webhook::validate`].
    pub fn validate(self, on: bool) -> Self {
        self.map(|inner| inner.validate(on))
    }

    /// See [`crate::Webhook::retry`].
    pub fn retry(self, policy: RetryPolicy) -> Self {
        self.map(|inner| inner.retry(policy))
    }

    /// See [`crate::Webhook::rate_limit`].
    pub fn rate_limit(self, limits: RateLimits) -> Self {
        self.map(|inner| inner.rate_limit(limits))
    }

    /// See [`crate::Webhook::timeout`].
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|inner| inner.timeout(timeout))
    }

    /// See [`crate::Webhook::http_client`].
    pub fn http_client(self, client: reqwest::Client) -> Self {
        self.map(|inner| inner.http_client(client))
    }

    fn map(self, change: impl FnOnce(crate::Webhook) -> crate::Webhook) -> Self {
        Webhook {
            inner: change(self.inner),
            runtime: self.runtime,
        }
    }

    /// The async bot inside, e.g. to hand to async code.
    pub fn as_async(&self) -> &crate::Webhook {
        &self.inner
    }

    /// The bot's key.
    pub fn key(&self) -> &str {
        self.inner.key()
    }

    /// The full send URL.
    pub fn send_url(&self) -> String {
        self.inner.send_url()
    }

    /// Sends one message; see [`crate::Webhook::send`].
    ///
    /// # Errors
    /// As [`crate::Webhook::send`], and [`Error::Runtime`] when called from async code.
    ///
    /// # Examples
    /// ```no_run
    /// use hookpit_client::blocking::Webhook;
    /// use hookpit_client::message;
    ///
    /// let bot = Webhook::new("KEY");
    /// bot.send(message::markdown("**deploy** <font color=\"info\">done</font>"))?;
    /// # Ok::<(), hookpit_client::Error>(())
    /// ```
    pub fn send(&self, request: impl Into<SendRequest>) -> Result<SendReply, Error> {
        let request = request.into();
        self.block_on(self.inner.send(request))
    }

    /// Sends a body byte for byte; see [`crate::Webhook::send_raw`].
    ///
    /// # Errors
    /// As [`Webhook::send`].
    pub fn send_raw(&self, body: impl Into<Vec<u8>>) -> Result<SendReply, Error> {
        let body = body.into();
        self.block_on(self.inner.send_raw(body))
    }

    /// Sends long text or markdown as several messages; see [`crate::Webhook::send_split`].
    ///
    /// # Errors
    /// As [`Webhook::send`], for the first chunk that fails.
    pub fn send_split(&self, request: impl Into<SendRequest>) -> Result<Vec<SendReply>, Error> {
        let request = request.into();
        self.block_on(self.inner.send_split(request))
    }

    /// Uploads bytes held in memory; see [`crate::Webhook::upload_media`].
    ///
    /// # Errors
    /// As [`crate::Webhook::upload_media`], and [`Error::Runtime`].
    pub fn upload_media(
        &self,
        kind: MediaKind,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<Uploaded, Error> {
        self.block_on(self.inner.upload_media(kind, filename, bytes))
    }

    /// Uploads a file streamed from disk; see [`crate::Webhook::upload_file`].
    ///
    /// # Errors
    /// As [`crate::Webhook::upload_file`], and [`Error::Runtime`].
    ///
    /// # Examples
    /// ```no_run
    /// use hookpit_client::MediaKind;
    /// use hookpit_client::blocking::Webhook;
    ///
    /// let uploaded = Webhook::new("KEY").upload_file(MediaKind::File, "report.pdf")?;
    /// println!("{}", uploaded.media_id);
    /// # Ok::<(), hookpit_client::Error>(())
    /// ```
    pub fn upload_file(&self, kind: MediaKind, path: impl AsRef<Path>) -> Result<Uploaded, Error> {
        self.block_on(self.inner.upload_file(kind, path))
    }

    /// [`Webhook::upload_file`] with progress; see
    /// [`crate::Webhook::upload_file_with_progress`].
    ///
    /// # Errors
    /// As [`Webhook::upload_file`].
    pub fn upload_file_with_progress(
        &self,
        kind: MediaKind,
        path: impl AsRef<Path>,
        on_progress: impl Fn(UploadProgress) + Send + Sync + 'static,
    ) -> Result<Uploaded, Error> {
        self.block_on(
            self.inner
                .upload_file_with_progress(kind, path, on_progress),
        )
    }

    /// Uploads a file and sends it; see [`crate::Webhook::send_file`].
    ///
    /// # Errors
    /// As [`crate::Webhook::send_file`], and [`Error::Runtime`].
    pub fn send_file(&self, path: impl AsRef<Path>) -> Result<SendReply, Error> {
        self.block_on(self.inner.send_file(path))
    }

    /// [`Webhook::send_file`] with envelope fields.
    ///
    /// # Errors
    /// As [`Webhook::send_file`].
    pub fn send_file_to(
        &self,
        path: impl AsRef<Path>,
        envelope: &Envelope,
    ) -> Result<SendReply, Error> {
        self.block_on(self.inner.send_file_to(path, envelope))
    }

    /// Uploads an AMR voice and sends it; see [`crate::Webhook::send_voice`].
    ///
    /// # Errors
    /// As [`Webhook::send_file`].
    pub fn send_voice(&self, path: impl AsRef<Path>) -> Result<SendReply, Error> {
        self.block_on(self.inner.send_voice(path))
    }

    /// Sends a JPG or PNG file as an `image` message; see [`crate::Webhook::send_image`].
    ///
    /// # Errors
    /// As [`Webhook::send_file`].
    pub fn send_image(&self, path: impl AsRef<Path>) -> Result<SendReply, Error> {
        self.block_on(self.inner.send_image(path))
    }

    /// Runs `call` to completion on this bot's runtime, starting it at the first call.
    fn block_on<T>(&self, call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            // Blocking here would stall every task of the caller's runtime (and tokio panics
            // rather than nest runtimes): say so instead.
            return Err(Error::Runtime(std::io::Error::other(
                "called from async code: use hookpit_client::Webhook there",
            )));
        }
        let runtime = match self.runtime.get() {
            Some(runtime) => runtime,
            None => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(Error::Runtime)?;
                // Two threads may race to start it: one wins, the other's is dropped unused.
                let _ = self.runtime.set(runtime);
                self.runtime
                    .get()
                    .ok_or_else(|| Error::Runtime(std::io::Error::other("no runtime")))?
            }
        };
        runtime.block_on(call)
    }
}
