//! [`RetryPolicy`]: which failures are tried again, and how long to wait between attempts.
//!
//! Retried: 45009 `api freq out of limit`, -1 `system error`, 45033 `api concurrent out of
//! limit`, network failures and HTTP 5xx/429 (see [`Error::is_transient`]). Never retried:
//! every other errcode (a bad key or an invalid message fails the same way every time).
//!
//! # Duplicates
//! A retry after a timeout or a dropped connection can deliver a message twice: the server may
//! have accepted the first attempt before the connection failed, and WeCom has no idempotency
//! key. Use [`RetryPolicy::none`] (or [`RetryPolicy::network`]`(false)`) where a duplicate is
//! worse than a lost message.

use std::time::Duration;

use crate::error::Error;

/// Exponential backoff with jitter.
///
/// Attempt `n` (counting retries from 0) waits a random duration in
/// `[d/2, d]` where `d = min(initial_delay × 2ⁿ, max_delay)` ("equal jitter"), so that many
/// senders refused together do not retry together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
    network: bool,
}

impl Default for RetryPolicy {
    /// 3 retries, starting at 1 s and capped at 30 s, network failures included.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            network: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// At most `max_retries` retries after the first attempt.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The delay before the first retry (before jitter).
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The longest delay between two attempts (before jitter).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Whether network failures and HTTP 5xx are retried (they may duplicate a message, see the
    /// module docs); on by default.
    pub fn network(mut self, retry: bool) -> Self {
        self.network = retry;
        self
    }

    /// The number of retries allowed.
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    /// How long to wait before retry number `retry` (0-based) after `error`, or `None` when the
    /// error is not retried or the retries are used up.
    pub fn delay(&self, retry: u32, error: &Error) -> Option<Duration> {
        if retry >= self.max_retries || !error.is_transient() {
            return None;
        }
        if error.is_network() && !self.network {
            return None;
        }
        let factor = 2_u32.saturating_pow(retry.min(31));
        let full = self
            .initial_delay
            .saturating_mul(factor)
            .min(self.max_delay);
        let half = full / 2;
        // Equal jitter: half fixed, half random.
        let jitter = half.mul_f64(fastrand::f64());
        Some(half + jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate_limited() -> Error {
        Error::Api {
            code: 45009,
            errmsg: "api freq out of limit".to_owned(),
        }
    }

    #[test]
    fn delays_double_within_jitter_bounds_and_stop_at_the_cap() {
        let policy = RetryPolicy::default()
            .max_retries(10)
            .initial_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(1000));
        for (retry, full) in [(0, 100), (1, 200), (2, 400), (3, 800), (4, 1000), (9, 1000)] {
            let delay = policy.delay(retry, &rate_limited()).unwrap();
            let full = Duration::from_millis(full);
            assert!(delay >= full / 2 && delay <= full, "{retry}: {delay:?}");
        }
    }

    #[test]
    fn retries_stop_after_the_maximum() {
        let policy = RetryPolicy::default().max_retries(2);
        assert!(policy.delay(1, &rate_limited()).is_some());
        assert!(policy.delay(2, &rate_limited()).is_none());
        assert!(RetryPolicy::none().delay(0, &rate_limited()).is_none());
    }

    #[test]
    fn a_bad_key_or_an_invalid_message_is_never_retried() {
        let policy = RetryPolicy::default();
        let bad_key = Error::Api {
            code: 93000,
            errmsg: "invalid webhook url".to_owned(),
        };
        assert!(policy.delay(0, &bad_key).is_none());
        let invalid = Error::Invalid(hookpit_protocol::ErrorCode::EMPTY_CONTENT);
        assert!(policy.delay(0, &invalid).is_none());
    }

    #[test]
    fn server_errors_are_retried_unless_network_retries_are_off() {
        let overloaded = Error::Status {
            status: 503,
            body: String::new(),
        };
        assert!(RetryPolicy::default().delay(0, &overloaded).is_some());
        assert!(
            RetryPolicy::default()
                .network(false)
                .delay(0, &overloaded)
                .is_none()
        );
    }
}
