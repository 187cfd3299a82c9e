//! Starting and stopping the server: [`serve`] (the whole of `hookpit serve`) and, for tests and
//! embedders, [`Server::builder`] → [`RunningServer`].
//!
//! The caller may bind the socket itself (tests bind port 0), and may inject the clock, so that
//! rate windows and media expiry are tested without sleeping.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::app::{self, AppState, Inner};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::limit::{Limits, RateLimiter};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// How many live events a slow subscriber may fall behind before it misses some.
const EVENT_BUFFER: usize = 4096;

/// Why the server could not start or did not stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration is refused (e.g. a non-loopback address without `--admin-token`).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The socket failed.
    #[error("socket error")]
    Io(#[from] std::io::Error),
    /// The store could not be opened or prepared.
    #[error("cannot open the store")]
    Store(#[from] StoreError),
    /// The store's final checkpoint failed at shutdown (nothing acknowledged is lost: it is in
    /// the WAL).
    #[error("cannot flush the store at shutdown")]
    Flush(#[source] StoreError),
}

/// A listening socket handed to [`ServerBuilder::listener`]: std or tokio.
#[derive(Debug)]
pub enum Listener {
    Std(std::net::TcpListener),
    Tokio(tokio::net::TcpListener),
}

impl From<std::net::TcpListener> for Listener {
    fn from(listener: std::net::TcpListener) -> Listener {
        Listener::Std(listener)
    }
}

impl From<tokio::net::TcpListener> for Listener {
    fn from(listener: tokio::net::TcpListener) -> Listener {
        Listener::Tokio(listener)
    }
}

impl Listener {
    fn into_tokio(self) -> std::io::Result<tokio::net::TcpListener> {
        match self {
            Listener::Tokio(listener) => Ok(listener),
            Listener::Std(listener) => {
                listener.set_nonblocking(true)?;
                tokio::net::TcpListener::from_std(listener)
            }
        }
    }
}

/// Entry point of the builder.
#[derive(Debug)]
pub struct Server;

impl Server {
    /// A builder for a server running `config`.
    pub fn builder(config: Config) -> ServerBuilder {
        ServerBuilder {
            config,
            listener: None,
            clock: Arc::new(SystemClock),
        }
    }
}

/// Configures and starts a server; see [`Server::builder`].
#[derive(Debug)]
pub struct ServerBuilder {
    config: Config,
    listener: Option<Listener>,
    clock: Arc<dyn Clock>,
}

impl ServerBuilder {
    /// Serves on this already bound socket instead of binding `config.listen`.
    pub fn listener(mut self, listener: impl Into<Listener>) -> ServerBuilder {
        self.listener = Some(listener.into());
        self
    }

    /// Takes the time from `clock` (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> ServerBuilder {
        self.clock = clock;
        self
    }

    /// Validates the configuration, opens the store, ensures the demo workspace and starts
    /// serving in the background.
    ///
    /// # Errors
    /// [`ServeError::Config`] for a refused configuration (checked against the address actually
    /// bound), [`ServeError::Bind`] if binding fails, [`ServeError::Store`] if the store cannot be
    /// opened.
    pub async fn start(self) -> Result<RunningServer, ServeError> {
        let ServerBuilder {
            mut config,
            listener,
            clock,
        } = self;
        config.load_admin_token().map_err(ServeError::Config)?;
        // Refuse before binding when we bind ourselves, so a refused start never opens a port.
        if listener.is_none() {
            config.validate(config.listen).map_err(ServeError::Config)?;
        }
        let listener = match listener {
            Some(listener) => listener.into_tokio()?,
            None => tokio::net::TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: config.listen,
                    source,
                })?,
        };
        let addr = listener.local_addr()?;
        config.validate(addr).map_err(ServeError::Config)?;

        let data = config.data.clone();
        {
            let data = data.clone();
            tokio::task::spawn_blocking(move || crate::config::check_data_dir(&data))
                .await
                .map_err(|_| ServeError::Config("cannot check --data".to_owned()))?
                .map_err(ServeError::Config)?;
        }
        let sync = config.sync;
        let store = tokio::task::spawn_blocking(move || Store::open(&data, sync))
            .await
            .map_err(|_| ServeError::Store(StoreError::Closed))??;
        let store = Arc::new(store);
        let relays = load_relays(&store, &config, clock.now_millis()).await?;
        let demo_key = if config.no_demo {
            store.remove_demo_keys().await?;
            None
        } else {
            Some(store.ensure_demo(clock.now_millis()).await?.key)
        };

        let base_url = config
            .public_url
            .as_deref()
            .map(|url| url.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{addr}"));
        let (shutdown_sender, shutdown) = watch::channel(false);
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let limiter = RateLimiter::new(Limits::from_config(&config));
        let state = AppState(Arc::new(Inner {
            proxy_trust: config.proxy_trust(),
            faults: crate::fault::Faults::from_specs(&config.faults, clock.now())
                .map_err(ServeError::Config)?,
            callbacks: crate::callback::Wakeup::default(),
            relays,
            relay_wakeup: crate::callback::Wakeup::default(),
            body_budget: crate::webhook::BodyBudget::new(
                config.body_memory_mib.saturating_mul(1024 * 1024),
            ),
            config,
            store: Arc::clone(&store),
            clock,
            limiter,
            events,
            rejections: Mutex::new(VecDeque::new()),
            metrics: Metrics::default(),
            base_url: base_url.clone(),
            started: std::time::Instant::now(),
            shutdown,
        }));

        let maintenance = tokio::spawn(crate::ops::maintenance(state.clone()));
        let deliveries = tokio::spawn(crate::callback::worker::run(state.clone()));
        let relaying = tokio::spawn(crate::relay::worker::run(state.clone()));
        let app = app::router(state.clone());
        let capture = start_capture(&state, &app).await?;
        let mut ops_addr_bound = None;
        let ops_serving = match state.config.metrics_listen {
            Some(ops_addr) => {
                let ops_listener =
                    tokio::net::TcpListener::bind(ops_addr)
                        .await
                        .map_err(|source| ServeError::Bind {
                            addr: ops_addr,
                            source,
                        })?;
                let ops_addr = ops_listener.local_addr()?;
                ops_addr_bound = Some(ops_addr);
                tracing::info!(%ops_addr, "metrics and health endpoints listening");
                Some(tokio::spawn(crate::http::serve(
                    ops_listener,
                    app::ops_router(state.clone()),
                    crate::http::ConnectionLimits {
                        header_timeout: state.config.header_timeout,
                        write_stall: state.config.write_timeout,
                    },
                    state.clone(),
                    state.shutdown.clone(),
                )))
            }
            None => None,
        };
        let limits = crate::http::ConnectionLimits {
            header_timeout: state.config.header_timeout,
            write_stall: state.config.write_timeout,
        };
        let serving = tokio::spawn(crate::http::serve(
            listener,
            app,
            limits,
            state.clone(),
            state.shutdown.clone(),
        ));
        tracing::info!(%addr, demo = demo_key.is_some(), "hookpit listening");
        Ok(RunningServer {
            addr,
            demo_key: demo_key.unwrap_or_default(),
            base_url,
            state,
            shutdown: shutdown_sender,
            serving,
            maintenance,
            deliveries,
            relaying,
            ops_serving,
            ops_addr: ops_addr_bound,
            capture,
        })
    }
}

/// A started server. Dropping it without [`RunningServer::shutdown`] leaves it running until the
/// runtime ends.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    demo_key: String,
    base_url: String,
    state: AppState,
    shutdown: watch::Sender<bool>,
    serving: JoinHandle<std::io::Result<()>>,
    maintenance: JoinHandle<()>,
    /// The callback deliveries.
    deliveries: JoinHandle<()>,
    /// The relay to real WeCom.
    relaying: JoinHandle<()>,
    /// The `--metrics-listen` server, if any.
    ops_serving: Option<JoinHandle<std::io::Result<()>>>,
    ops_addr: Option<SocketAddr>,
    /// The capture proxy and the HTTPS listener, if any.
    capture: Capture,
}

/// The relays of the store, with those of `--relay` saved over them (a flag names the bot by
/// its key; a key no bot has is refused, unless `--accept-any-key` makes its bot).
async fn load_relays(
    store: &Store,
    config: &Config,
    now: i64,
) -> Result<crate::relay::Relays, ServeError> {
    for spec in &config.relays {
        let (key, upstream, mode) = crate::relay::parse_flag(spec).map_err(ServeError::Config)?;
        let bot = match store.bot_identity(&key).await? {
            Some(bot) => bot.id,
            None if config.accept_any_key => store.create_sandbox_bot(&key, now).await?.id,
            None => {
                return Err(ServeError::Config(format!(
                    "--relay {}…: no bot has this key (create it first, or use --accept-any-key)",
                    key.chars().take(4).collect::<String>()
                )));
            }
        };
        store
            .set_relay(crate::domain::RelayConfig {
                bot_id: bot,
                upstream,
                mode,
                created_at: now,
            })
            .await?;
    }
    Ok(crate::relay::Relays::new(store.relays().await?))
}

/// What `--proxy-listen` and `--tls-listen` started.
#[derive(Debug, Default)]
struct Capture {
    proxy_addr: Option<SocketAddr>,
    tls_addr: Option<SocketAddr>,
    ca_path: Option<std::path::PathBuf>,
    tasks: Vec<JoinHandle<()>>,
}

/// Binds and starts the capture proxy and the HTTPS listener that the configuration asks for,
/// with the certificate of Hookpit's CA (created on first use).
async fn start_capture(state: &AppState, app: &axum::Router) -> Result<Capture, ServeError> {
    let config = &state.config;
    if config.proxy_listen.is_none() && config.tls_listen.is_none() {
        return Ok(Capture::default());
    }
    let data = config.data.clone();
    let now = state.clock.now();
    let ca = tokio::task::spawn_blocking(move || crate::proxy::ca::Ca::load_or_create(&data, now))
        .await
        .map_err(|_| ServeError::Config("cannot prepare the CA".to_owned()))?
        .map_err(|error| ServeError::Config(format!("{error}")))?;
    let tls = crate::proxy::acceptor(&ca, now).map_err(ServeError::Config)?;
    let limits = crate::http::ConnectionLimits {
        header_timeout: config.header_timeout,
        write_stall: config.write_timeout,
    };
    let mut capture = Capture {
        ca_path: Some(ca.cert_path().to_owned()),
        ..Capture::default()
    };
    let bind = |addr: SocketAddr| async move {
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })
    };
    if let Some(addr) = config.proxy_listen {
        let listener = bind(addr).await?;
        capture.proxy_addr = Some(listener.local_addr()?);
        capture.tasks.push(tokio::spawn(crate::proxy::serve_proxy(
            listener,
            app.clone(),
            tls.clone(),
            limits,
            state.clone(),
        )));
    }
    if let Some(addr) = config.tls_listen {
        let listener = bind(addr).await?;
        capture.tls_addr = Some(listener.local_addr()?);
        capture.tasks.push(tokio::spawn(crate::proxy::serve_tls(
            listener,
            app.clone(),
            tls,
            limits,
            state.clone(),
        )));
    }
    Ok(capture)
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

/// Runs `hookpit serve`: binds `config.listen`, prints the banner
/// (`webhook: http://ADDR/cgi-bin/webhook/send?key=KEY` and `inbox: http://ADDR/`, each on its
/// own line), serves until Ctrl-C or SIGTERM, then drains in-flight requests and flushes the
/// store.
///
/// # Errors
/// See [`ServerBuilder::start`]; also a failure of the listener while serving.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let server = Server::builder(config).start().await?;
    // Listening for the signals starts before the banner: a supervisor that reads the banner
    // and stops the server at once must not kill it before its handler is in place.
    let stop = shutdown_signal();
    println!("{}", server.banner());
    stop.await;
    tracing::info!("shutting down: draining requests");
    server.shutdown().await
}

/// Listens for Ctrl-C, or SIGTERM on Unix, from the call on; the future resolves on either.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        let terminate = async {
            match terminate {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {}
            () = terminate => {}
        }
    }
}
