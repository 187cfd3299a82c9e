//! A throwaway Hookpit for tests (feature `testing`): bound to `127.0.0.1:0`, with its own
//! temporary data directory (removed afterwards) and a [`ManualClock`] stopped at
//! 2026-01-01T00:00:00Z, so that minute-long rate windows and 3-day media expiry are tested in
//! milliseconds. The server's, the SDK's and the CLI's test suites all start theirs here.
//!
//! With `HOOKPIT_TEST_DATABASE=postgres://USER@HOST:PORT/DB` set (as `scripts/test` does, on a
//! throwaway cluster it starts), each sandbox gets a fresh database of its own on that server
//! instead of SQLite, so the same suites run on both stores. Tests of several instances on one
//! database start a cluster of their own ([`Postgres`]).
//!
//! ```no_run
//! # async fn demo() {
//! use hookpit_server::testing::Sandbox;
//!
//! let sandbox = Sandbox::start().await;
//! println!("send to {}", sandbox.server.webhook_url());
//! sandbox.clock.advance(std::time::Duration::from_secs(60));
//! sandbox.stop().await;
//! # }
//! ```

mod postgres_cluster;

pub use postgres_cluster::Postgres;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::clock::ManualClock;
use crate::config::{Config, SyncMode};
use crate::server::{RunningServer, Server};

/// The PostgreSQL server the sandboxes use instead of SQLite, if any.
pub const TEST_DATABASE_VARIABLE: &str = "HOOKPIT_TEST_DATABASE";

/// A new, empty database on the server `HOOKPIT_TEST_DATABASE` names (its URL), or `None` when
/// the variable is not set.
///
/// # Panics
/// The server refuses: a suite asked to run on PostgreSQL must not fall back to SQLite.
pub async fn fresh_test_database() -> Option<String> {
    let base = std::env::var(TEST_DATABASE_VARIABLE)
        .ok()
        .filter(|url| !url.is_empty())?;
    let name = format!("hookpit_test_{}", uuid::Uuid::new_v4().simple());
    let admin = base.clone();
    let create = name.clone();
    tokio::task::spawn_blocking(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("{TEST_DATABASE_VARIABLE}: cannot connect: {e}"));
        client
            .batch_execute(&format!("CREATE DATABASE {create}"))
            .unwrap_or_else(|e| panic!("{TEST_DATABASE_VARIABLE}: CREATE DATABASE: {e}"));
    })
    .await
    .expect("the database is created");
    Some(with_database(&base, &name))
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (before_query, query) = url
        .split_once('?')
        .map_or((url, None), |(a, q)| (a, Some(q)));
    let after_scheme = before_query.find("://").map_or(0, |at| at + 3);
    let base = match before_query[after_scheme..].find('/') {
        Some(slash) => &before_query[..after_scheme + slash],
        None => before_query,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// 2026-01-01T00:00:00Z: where every sandbox's clock starts, so tests never depend on the date.
pub fn epoch() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

/// A running test server and what it runs on.
#[derive(Debug)]
pub struct Sandbox {
    pub server: RunningServer,
    pub clock: Arc<ManualClock>,
    config: Config,
    // Kept for its Drop (removes the directory); `None` when the caller owns the directory.
    dir: Option<tempfile::TempDir>,
}

/// What [`Sandbox::split`] keeps to start again on the same directory and clock.
#[derive(Debug)]
pub struct Relaunch {
    config: Config,
    clock: Arc<ManualClock>,
    dir: Option<tempfile::TempDir>,
}

impl Relaunch {
    /// A new server on the same data directory and clock.
    pub async fn start(self) -> Sandbox {
        Sandbox::boot(self.config, self.clock, self.dir).await
    }

    /// [`Relaunch::start`] with the configuration changed by `adjust`.
    pub async fn start_with(mut self, adjust: impl FnOnce(&mut Config)) -> Sandbox {
        adjust(&mut self.config);
        Sandbox::boot(self.config, self.clock, self.dir).await
    }
}

impl Sandbox {
    /// A server with the default configuration.
    ///
    /// # Panics
    /// If it cannot start: a test cannot go on without it.
    pub async fn start() -> Sandbox {
        Sandbox::start_with(|_| {}).await
    }

    /// A server whose configuration `adjust` changes (its `data` is the temporary directory
    /// unless `adjust` sets another; commits skip fsync unless `adjust` asks for it, since
    /// tests of anything but durability do not need it).
    ///
    /// # Panics
    /// If it cannot start.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Sandbox {
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let mut config = Config::new(dir.path());
        config.sync = SyncMode::Normal;
        config.database = fresh_test_database().await;
        adjust(&mut config);
        Sandbox::boot(config, Arc::new(ManualClock::new(epoch())), Some(dir)).await
    }

    async fn boot(
        config: Config,
        clock: Arc<ManualClock>,
        dir: Option<tempfile::TempDir>,
    ) -> Sandbox {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let server = Server::builder(config.clone())
            .listener(listener)
            .clock(clock.clone())
            .start()
            .await
            .expect("the test server starts");
        Sandbox {
            server,
            clock,
            config,
            dir,
        }
    }

    /// Shuts down (flushing the store) and starts a new server on the same data directory and
    /// clock.
    ///
    /// # Panics
    /// If the shutdown is not clean or the new server does not start.
    pub async fn restart(self) -> Sandbox {
        let (server, relaunch) = self.split();
        server.shutdown().await.expect("a clean shutdown");
        relaunch.start().await
    }

    /// Takes the running server out, keeping what is needed to start another on the same data
    /// directory and clock (for tests that shut down while requests run).
    pub fn split(self) -> (RunningServer, Relaunch) {
        (
            self.server,
            Relaunch {
                config: self.config,
                clock: self.clock,
                dir: self.dir,
            },
        )
    }

    /// Shuts down.
    ///
    /// # Panics
    /// If the shutdown is not clean.
    pub async fn stop(self) {
        self.server.shutdown().await.expect("a clean shutdown");
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Its data directory.
    pub fn data_dir(&self) -> &Path {
        &self.config.data
    }
}
