//! Starting and stopping the server: [`serve`] (the whole of `hookpit serve`) and, for tests and
//! embedders, [`Server::builder`] → [`RunningServer`].
//!
//! The caller may bind the socket itself (tests bind port 0), and may inject the clock, so that
//! rate windows and media expiry are tested without sleeping.
//!
//! # Layout
//! - here: the builder, which opens the store and starts every task;
//! - `running`: the handle it returns (addresses, banner, shutdown);
//! - `capture`: the `--proxy-listen` and `--tls-listen` listeners;
//! - `listener`: the sockets a caller may hand in;
//! - `serve`: `hookpit serve` itself, with its signal handling.

mod capture;
mod listener;
mod running;
mod serve;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, watch};

use crate::app::{self, AppState, Inner};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::limit::{Limits, RateLimiter};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

pub use listener::Listener;
pub use running::RunningServer;
pub use serve::serve;

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
        // Before the store is touched: a mistyped URL changes nothing on disk.
        let cluster = match &config.redis {
            Some(url) => Some(Arc::new(
                crate::cluster::Cluster::new(url).map_err(ServeError::Config)?,
            )),
            None => None,
        };

        let data = config.data.clone();
        {
            let data = data.clone();
            tokio::task::spawn_blocking(move || crate::config::check_data_dir(&data))
                .await
                .map_err(|_| ServeError::Config("cannot check --data".to_owned()))?
                .map_err(ServeError::Config)?;
        }
        let sync = config.sync;
        let database = config.database.clone();
        let store = tokio::task::spawn_blocking(move || match database {
            Some(url) => Store::open_postgres(&url, &data),
            None => Store::open(&data, sync),
        })
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
        let mut limiter = RateLimiter::new(Limits::from_config(&config));
        let mut faults = crate::fault::Faults::from_specs(&config.faults, clock.now())
            .map_err(ServeError::Config)?;
        if let Some(cluster) = cluster {
            faults = faults.shared(Arc::clone(&cluster));
            tracing::info!(redis = %cluster.shown_url(), "rate limits and fault rules shared through Redis");
            // A slot outlives the longest request it can guard, then expires by itself.
            limiter = limiter.shared(cluster, config.request_timeout * 2);
        }
        let state = AppState(Arc::new(Inner {
            proxy_trust: config.proxy_trust(),
            faults,
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
            announcer: store
                .is_shared()
                .then(|| crate::app::feed::Announcer::start(Arc::clone(&store))),
            base_url: base_url.clone(),
            started: std::time::Instant::now(),
            shutdown,
        }));

        let following = store
            .listen()?
            .map(|notices| tokio::spawn(crate::app::feed::follow(state.clone(), notices)));
        let maintenance = tokio::spawn(crate::ops::maintenance(state.clone()));
        let deliveries = tokio::spawn(crate::callback::worker::run(state.clone()));
        let relaying = tokio::spawn(crate::relay::worker::run(state.clone()));
        let app = app::router(state.clone());
        let capture = capture::start(&state, &app).await?;
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
            following,
            ops_serving,
            ops_addr: ops_addr_bound,
            capture,
        })
    }
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
