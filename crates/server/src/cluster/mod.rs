//! What several Hookpit instances share through Redis (`--redis redis://…`): the sliding-window
//! rate limits and the identical-body rule (`limits.rs`), so that the rules hold across every
//! instance behind a load balancer, as they do across WeCom's own front ends; and the fault
//! rules of `/api/v1/faults` with their counters (`faults.rs`), so that a rule added through one
//! instance applies to calls arriving at any, with triggers counted cluster-wide.
//!
//! # When Redis is unreachable
//! Webhook calls are never refused because of Redis: the limiter falls back to its per-instance
//! windows (`limit.rs`) and fault injection to the instance's own `--fault` rules (the shared
//! rules are suspended: their counters are in Redis), a warning is logged once per outage,
//! `hookpit_redis_fallbacks_total` counts the checks done locally and `/readyz` says `degraded`.
//! After a failure Redis is left alone for [`RETRY_AFTER`] (a call must not wait for a
//! connection attempt each time), then the next call tries again; the first call that succeeds
//! ends the outage and shared limits and rules resume.
//!
//! The connection is `redis`'s `ConnectionManager`: one multiplexed connection that reconnects
//! by itself, so many concurrent sends share one socket with no pool to size.

mod faults;
mod limits;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::config::redact_password;

pub use faults::{Candidate, FIRST_SHARED_FAULT_ID, FaultSnapshot, Pick, StoredFault, Trigger};
pub use limits::{BodyClaim, Window};

/// How long Redis is left alone after a failed call.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How long one call to Redis may take before it counts as a failure: on loopback or a LAN a
/// call takes well under a millisecond, and a send waits for it.
const CALL_TIMEOUT: Duration = Duration::from_millis(250);

/// The Redis that several instances share.
pub struct Cluster {
    connection: ConnectionManager,
    /// The URL without its password, for logs.
    shown: String,
    health: Health,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("redis", &self.shown)
            .field("up", &self.is_up())
            .finish_non_exhaustive()
    }
}

/// Whether Redis answers, and what its outages cost.
#[derive(Debug)]
struct Health {
    down: AtomicBool,
    /// While down: when the next call may try Redis again.
    retry_at: Mutex<Instant>,
    fallbacks: AtomicU64,
}

impl Cluster {
    /// A cluster on the Redis at `url` (`redis://[:PASSWORD@]HOST[:PORT][/DB]`). Nothing is
    /// connected yet: an instance starts, and accepts sends, while Redis is down.
    ///
    /// # Errors
    /// The URL is not a Redis URL.
    pub fn new(url: &str) -> Result<Cluster, String> {
        let shown = redact_password(url);
        let client = redis::Client::open(url)
            .map_err(|error| format!("--redis {shown}: not a Redis URL ({error})"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            // A reconnection is tried when a call finds the connection broken; one quick retry,
            // then the call fails and `Health` keeps the next ones away for RETRY_AFTER.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(Duration::from_millis(100));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|error| format!("--redis {shown}: {error}"))?;
        Ok(Cluster {
            connection,
            shown,
            health: Health {
                down: AtomicBool::new(false),
                retry_at: Mutex::new(Instant::now()),
                fallbacks: AtomicU64::new(0),
            },
        })
    }

    /// The Redis URL without its password.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    /// Whether the last call to Redis succeeded (true before the first).
    pub fn is_up(&self) -> bool {
        !self.health.down.load(Ordering::Relaxed)
    }

    /// Checks done per instance because Redis was unavailable, since the start.
    pub fn fallbacks(&self) -> u64 {
        self.health.fallbacks.load(Ordering::Relaxed)
    }

    /// Whether Redis answers a `PING` now (for `/readyz`). Within [`RETRY_AFTER`] of a failure
    /// it is not asked again.
    pub async fn ping(&self) -> bool {
        self.run(|mut connection| async move {
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        })
        .await
        .is_some()
    }

    /// Counts a check done per instance because [`Cluster::run`] answered `None`.
    fn fell_back(&self) {
        self.health.fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `call` on the shared connection, or answers `None` when Redis is down or fails now:
    /// the caller then applies its per-instance rule.
    async fn run<T, F, Fut>(&self, call: F) -> Option<T>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if !self.may_try() {
            return None;
        }
        let attempt = || tokio::time::timeout(CALL_TIMEOUT, call(self.connection.clone()));
        let mut outcome = attempt().await;
        if let Ok(Err(error)) = &outcome
            && error.is_connection_dropped()
        {
            // The connection broke since the last call (Redis restarted, say): the failed call
            // made the manager reconnect, and the second try finds out whether Redis is back.
            outcome = attempt().await;
        }
        match outcome {
            Ok(Ok(value)) => {
                if self.health.down.swap(false, Ordering::Relaxed) {
                    tracing::info!(redis = %self.shown, "Redis is back: rate limits and fault rules are shared again");
                }
                Some(value)
            }
            Ok(Err(error)) => {
                self.failed(&error.to_string());
                None
            }
            Err(_) => {
                self.failed("no answer in time");
                None
            }
        }
    }

    fn may_try(&self) -> bool {
        !self.health.down.load(Ordering::Relaxed)
            || *self
                .health
                .retry_at
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                <= Instant::now()
    }

    fn failed(&self, error: &str) {
        *self
            .health
            .retry_at
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Instant::now() + RETRY_AFTER;
        // Once per outage: a busy instance would otherwise log every send.
        if !self.health.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                redis = %self.shown,
                error,
                "Redis is unavailable: rate limits and fault rules are per instance until it is back"
            );
        }
    }

    /// The Prometheus lines of what is shared through Redis.
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write;
        out.push_str(
            "# HELP hookpit_redis_up Whether the last call to Redis (--redis) succeeded.\n",
        );
        out.push_str("# TYPE hookpit_redis_up gauge\n");
        let _ = writeln!(out, "hookpit_redis_up {}", u8::from(self.is_up()));
        out.push_str(
            "# HELP hookpit_redis_fallbacks_total Rate-limit and fault checks done per instance because Redis was unavailable.\n",
        );
        out.push_str("# TYPE hookpit_redis_fallbacks_total counter\n");
        let _ = writeln!(out, "hookpit_redis_fallbacks_total {}", self.fallbacks());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_in_the_url_is_never_shown() {
        assert_eq!(
            redact_password("redis://:s3cret@10.0.0.5:6379/2"),
            "redis://:***@10.0.0.5:6379/2"
        );
        assert_eq!(
            redact_password("rediss://hookpit:s3cret@redis.internal"),
            "rediss://hookpit:***@redis.internal"
        );
        assert_eq!(
            redact_password("redis://10.0.0.7:6379"),
            "redis://10.0.0.7:6379"
        );
        let cluster = Cluster::new("redis://:s3cret@127.0.0.1:1/0").unwrap();
        assert!(!format!("{cluster:?}").contains("s3cret"));
    }

    /// A `tracing` writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn an_outage_is_logged_once_without_the_password() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        // Nothing listens on port 1.
        let cluster = Cluster::new("redis://:s3cret@127.0.0.1:1").unwrap();
        for _ in 0..3 {
            assert!(!cluster.ping().await, "no Redis there");
            // As if RETRY_AFTER had passed: the next call tries Redis again.
            *cluster.health.retry_at.lock().unwrap() = Instant::now();
        }
        assert!(!cluster.is_up());
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(log.matches("Redis is unavailable").count(), 1, "{log}");
        assert!(!log.contains("s3cret"), "{log}");
        // A failed call within RETRY_AFTER does not even try.
        *cluster.health.retry_at.lock().unwrap() = Instant::now() + RETRY_AFTER;
        assert!(!cluster.may_try());
    }

    #[tokio::test]
    async fn a_url_of_another_scheme_is_refused_with_the_flag_named() {
        let error = Cluster::new("http://:s3cret@10.0.0.7:6379").unwrap_err();
        assert!(
            error.starts_with("--redis http://:***@10.0.0.7:6379"),
            "{error}"
        );
    }
}
