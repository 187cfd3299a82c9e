//! [`SlidingWindow`]: at most N events in any span of W, with the time passed in.
//!
//! WeCom's rate limits are "N messages per minute" (spec §5) with undocumented window semantics;
//! a sliding window never lets a burst straddle a minute boundary to reach 2N, so it is the
//! stricter, safer reading. The caller supplies `now`, so the server can use its injectable clock
//! and tests run minute-long windows in microseconds. Memory is bounded by N: the window keeps the
//! timestamps of the admitted events still inside it and nothing else.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

/// A point in time a [`SlidingWindow`] can measure spans between.
///
/// Implemented for [`Instant`], [`SystemTime`] and [`Duration`] (a duration since any epoch the
/// caller picks, e.g. an injectable clock's).
pub trait Timestamp: Copy {
    /// How long after `earlier` this is; zero if it is not after it (clocks may step back).
    fn saturating_since(self, earlier: Self) -> Duration;
}

impl Timestamp for Instant {
    fn saturating_since(self, earlier: Self) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl Timestamp for SystemTime {
    fn saturating_since(self, earlier: Self) -> Duration {
        self.duration_since(earlier).unwrap_or(Duration::ZERO)
    }
}

impl Timestamp for Duration {
    fn saturating_since(self, earlier: Self) -> Duration {
        self.saturating_sub(earlier)
    }
}

/// Refusal from [`SlidingWindow::try_acquire`]: how long until a slot frees up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate limited, retry after {} ms", self.0.as_millis())
    }
}

impl std::error::Error for RetryAfter {}

/// A sliding-window counter: at most `capacity` events in any `window`.
// [U] sliding rather than fixed windows: WeCom does not say which (spec §5).
#[derive(Debug, Clone)]
pub struct SlidingWindow<T: Timestamp = Instant> {
    capacity: usize,
    window: Duration,
    /// Admission times still inside the window, oldest first; never longer than `capacity`.
    admitted: VecDeque<T>,
}

impl<T: Timestamp> SlidingWindow<T> {
    /// A window admitting at most `capacity` events per `window`. A capacity of 0 admits nothing.
    pub fn new(capacity: usize, window: Duration) -> Self {
        SlidingWindow {
            capacity,
            window,
            // Allocated lazily: most windows (one per bot and chat) see few events.
            admitted: VecDeque::new(),
        }
    }

    /// The N of "N per W".
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The W of "N per W".
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Admits one event at `now`, or says how long until one would be admitted.
    ///
    /// # Errors
    /// [`RetryAfter`] when `capacity` events were admitted within the last `window`.
    pub fn try_acquire(&mut self, now: T) -> Result<(), RetryAfter> {
        self.expire(now);
        if self.admitted.len() < self.capacity {
            self.admitted.push_back(now);
            return Ok(());
        }
        Err(RetryAfter(self.retry_after(now)))
    }

    /// How many more events would be admitted at `now`.
    pub fn remaining(&mut self, now: T) -> usize {
        self.expire(now);
        self.capacity - self.admitted.len()
    }

    /// Whether nothing admitted is still inside the window at `now`, so the caller may drop this
    /// window to reclaim memory (e.g. a map of one window per chat).
    pub fn is_idle(&mut self, now: T) -> bool {
        self.expire(now);
        self.admitted.is_empty()
    }

    /// Forgets admissions that left the window: an event at `t` counts during `[t, t + window)`.
    fn expire(&mut self, now: T) {
        while let Some(&oldest) = self.admitted.front() {
            if now.saturating_since(oldest) < self.window {
                break;
            }
            self.admitted.pop_front();
        }
    }

    fn retry_after(&self, now: T) -> Duration {
        match self.admitted.front() {
            Some(&oldest) => self.window - now.saturating_since(oldest),
            // Capacity 0: nothing will ever be admitted; a full window is the honest answer.
            None => self.window,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn admits_up_to_capacity_within_the_window() {
        let mut window = SlidingWindow::new(3, MINUTE);
        assert_eq!(window.try_acquire(secs(0)), Ok(()));
        assert_eq!(window.try_acquire(secs(1)), Ok(()));
        assert_eq!(window.try_acquire(secs(2)), Ok(()));
        assert_eq!(window.try_acquire(secs(3)), Err(RetryAfter(secs(57))));
    }

    #[test]
    fn a_slot_frees_exactly_one_window_after_the_oldest_event() {
        let mut window = SlidingWindow::new(2, MINUTE);
        window.try_acquire(secs(10)).unwrap();
        window.try_acquire(secs(20)).unwrap();
        assert_eq!(
            window.try_acquire(secs(69)),
            Err(RetryAfter(secs(1))),
            "the event at 10 s still counts at 69 s"
        );
        assert_eq!(window.try_acquire(secs(70)), Ok(()));
        assert_eq!(window.try_acquire(secs(75)), Err(RetryAfter(secs(5))));
    }

    #[test]
    fn a_burst_cannot_straddle_a_minute_boundary_to_double_the_rate() {
        let mut window = SlidingWindow::new(20, MINUTE);
        for _ in 0..20 {
            window.try_acquire(secs(59)).unwrap();
        }
        assert!(window.try_acquire(secs(61)).is_err());
        assert_eq!(window.remaining(secs(119)), 20);
    }

    #[test]
    fn refused_attempts_do_not_consume_slots() {
        let mut window = SlidingWindow::new(1, MINUTE);
        window.try_acquire(secs(0)).unwrap();
        for s in 1..60 {
            assert!(window.try_acquire(secs(s)).is_err());
        }
        assert_eq!(window.try_acquire(secs(60)), Ok(()));
    }

    #[test]
    fn memory_is_bounded_by_capacity() {
        let mut window = SlidingWindow::new(5, MINUTE);
        for millis in 0..10_000 {
            let _ = window.try_acquire(Duration::from_millis(millis));
            assert!(window.admitted.len() <= 5);
        }
    }

    #[test]
    fn zero_capacity_refuses_everything() {
        let mut window = SlidingWindow::new(0, MINUTE);
        assert_eq!(window.try_acquire(secs(0)), Err(RetryAfter(MINUTE)));
    }

    #[test]
    fn a_clock_stepping_back_neither_panics_nor_frees_slots() {
        let mut window = SlidingWindow::new(1, MINUTE);
        window.try_acquire(secs(100)).unwrap();
        assert_eq!(window.try_acquire(secs(50)), Err(RetryAfter(MINUTE)));
    }

    #[test]
    fn works_with_instants() {
        let start = Instant::now();
        let mut window = SlidingWindow::new(1, MINUTE);
        window.try_acquire(start).unwrap();
        assert_eq!(
            window.try_acquire(start + secs(30)),
            Err(RetryAfter(secs(30)))
        );
        assert!(window.is_idle(start + MINUTE));
        assert_eq!(window.try_acquire(start + MINUTE), Ok(()));
    }
}
