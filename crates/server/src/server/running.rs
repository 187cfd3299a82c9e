//! The handle of a started server: where it listens, the banner, and a clean shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::ServeError;
use crate::app::AppState;

/// A started server. Dropping it without [`RunningServer::shutdown`] leaves it running until the
/// runtime ends.
#[derive(Debug)]
pub struct RunningServer {
    pub(super) addr: SocketAddr,
    pub(super) demo_key: String,
    pub(super) base_url: String,
    pub(super) state: AppState,
    pub(super) shutdown: watch::Sender<bool>,
    pub(super) serving: JoinHandle<std::io::Result<()>>,
    pub(super) maintenance: JoinHandle<()>,
    /// The callback deliveries.
    pub(super) deliveries: JoinHandle<()>,
    /// The relay to real WeCom.
    pub(super) relaying: JoinHandle<()>,
    /// On a shared store: the live updates from every instance (`app/feed.rs`).
    pub(super) following: Option<JoinHandle<()>>,
    /// The `--metrics-listen` server, if any.
    pub(super) ops_serving: Option<JoinHandle<std::io::Result<()>>>,
    pub(super) ops_addr: Option<SocketAddr>,
    /// The capture proxy and the HTTPS listener, if any.
    pub(super) capture: super::capture::Capture,
}

impl RunningServer {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of `--metrics-listen`, once bound.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.ops_addr
    }

    /// The address of `--proxy-listen`, once bound.
    pub fn proxy_addr(&self) -> Option<SocketAddr> {
        self.capture.proxy_addr
    }

    /// The address of `--tls-listen`, once bound.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.capture.tls_addr
    }

    /// Where Hookpit's CA certificate is (with `--proxy-listen` or `--tls-listen`).
    pub fn ca_path(&self) -> Option<&std::path::Path> {
        self.capture.ca_path.as_deref()
    }

    /// The key of the demo bot (stable across restarts of the same data directory); empty with
    /// `--no-demo`.
    pub fn demo_key(&self) -> &str {
        &self.demo_key
    }

    /// `http://ADDR` (or `--public-url`), without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The demo bot's send URL.
    pub fn webhook_url(&self) -> String {
        self.state.webhook_url(&self.demo_key)
    }

    /// The demo bot's upload URL (type `file`).
    pub fn upload_url(&self) -> String {
        self.state.upload_url(&self.demo_key)
    }

    /// The inbox URL.
    pub fn inbox_url(&self) -> String {
        format!("{}/", self.base_url)
    }

    /// The shared state: store, clock, limiter, events (for tests and embedders).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The banner lines `hookpit serve` prints: the demo bot's webhook, the inbox, a curl line
    /// to paste (the official document's own example), and what else listens.
    pub fn banner(&self) -> String {
        let mut banner = if self.demo_key.is_empty() {
            format!(
                "inbox: {}\nno demo workspace (--no-demo): add bots in the inbox or with POST {}/api/v1/bots",
                self.inbox_url(),
                self.base_url
            )
        } else {
            format!(
                "webhook: {}\ninbox: {}\ntry: curl '{}/cgi-bin/webhook/send?key={}' -H 'Content-Type: application/json' -d '{{\"chatid\": \"{}\", \"msgtype\": \"text\", \"text\": {{\"content\": \"hello world\"}}}}'",
                self.webhook_url(),
                self.inbox_url(),
                self.base_url,
                crate::store::DEMO_DOCUMENT_KEYS[0],
                crate::store::DEMO_CURL_GROUP,
            )
        };
        if let Some(addr) = self.ops_addr {
            banner.push_str(&format!("\nmetrics: http://{addr}/metrics"));
        }
        if let Some(addr) = self.capture.proxy_addr {
            banner.push_str(&format!(
                "\nproxy: http://{addr} (HTTPS_PROXY for senders of qyapi.weixin.qq.com)"
            ));
        }
        if let Some(addr) = self.capture.tls_addr {
            banner.push_str(&format!("\nhttps: https://{addr}"));
        }
        if let Some(path) = &self.capture.ca_path {
            banner.push_str(&format!(
                "\nCA: {} (trust it in the sender)",
                path.display()
            ));
        }
        banner
    }

    /// Stops accepting connections, lets in-flight requests finish (bounded by
    /// `--request-timeout`), then flushes and closes the store.
    ///
    /// # Errors
    /// The listener failed while serving.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        let _ = self.shutdown.send(true);
        // Requests are cut off after --request-timeout, so draining takes no longer than that;
        // the bound also covers a response body that never ends (a stream that ignores the
        // shutdown signal).
        let drain = self.state.config.request_timeout + Duration::from_secs(1);
        let mut serving = self.serving;
        let served = match tokio::time::timeout(drain, &mut serving).await {
            Ok(served) => served,
            Err(_) => {
                tracing::warn!(
                    ?drain,
                    "connections still open after draining; closing them"
                );
                serving.abort();
                serving.await
            }
        };
        for task in self.capture.tasks {
            let _ = tokio::time::timeout(drain, task).await;
        }
        if let Some(ops) = self.ops_serving {
            // Probes hold no long requests: it ends with the shutdown signal.
            let _ = tokio::time::timeout(drain, ops).await;
        }
        self.maintenance.abort();
        let _ = self.maintenance.await;
        // An attempt in flight is cut off; its callback is still pending in the outbox and is
        // delivered after the next start.
        self.deliveries.abort();
        let _ = self.deliveries.await;
        // The same for a relay attempt: the request stays queued.
        self.relaying.abort();
        let _ = self.relaying.await;
        if let Some(following) = self.following {
            following.abort();
            let _ = following.await;
        }
        // Never "flushed" after a failed final checkpoint: say what happened instead.
        if let Err(error) = self.state.store.close().await {
            tracing::error!(
                error = %error,
                "hookpit stopped, but the store could not be flushed; every acknowledged \
                 message is in its write-ahead log, which is replayed at the next start"
            );
            return Err(ServeError::Flush(error));
        }
        tracing::info!("hookpit stopped; store flushed");
        match served {
            Ok(result) => result.map_err(ServeError::Io),
            Err(_) => Ok(()),
        }
    }
}
