//! The client-side rate limiter: waits before a send that WeCom would refuse with 45009.
//!
//! WeCom counts messages per bot per target per minute (spec §5): 20 per minute in the public
//! document, 100 per group, blackboard, user or broadcast in the 2025 internal one, and 10 000
//! calls per minute per bot overall. [`RateLimits`] holds one such profile; a
//! [`Webhook`](crate::Webhook) with [`Webhook::rate_limit`](crate::Webhook::rate_limit) keeps one
//! [`SlidingWindow`] per target (each id of `chatid`, and one shared by the broadcast specials
//! `@all_group`, `@all_blackboard` and `@all`; an absent `chatid` is `@all_group`) plus one for
//! the bot, and makes each send wait until every window it touches has room.
//!
//! A send is counted when its answer arrives, not when it leaves: the server counts it when it
//! receives it, which is later than the send started, so counting at the start would free our
//! slot a little before the server's and the next send could be refused. While a request is in
//! flight its slot is reserved, so concurrent sends on clones of one `Webhook` never overshoot.
//! The limiter only knows about its own sends: other processes using the same key share WeCom's
//! budget, which is why retries on 45009 remain the backstop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hookpit_protocol::ChatTarget;
use hookpit_protocol::limit::{
    RATE_PER_BOT_PER_MINUTE, RATE_PER_CHAT_PER_MINUTE, RATE_PUBLIC_PER_MINUTE, RATE_WINDOW,
};
use hookpit_protocol::window::SlidingWindow;
use tokio::sync::Notify;

/// How many messages a bot may send per window, per target and overall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    per_target: usize,
    per_bot: usize,
    window: Duration,
}

impl RateLimits {
    /// WeCom's public document: 20 messages per minute per bot, whatever the targets.
    pub const PUBLIC: RateLimits = RateLimits {
        per_target: RATE_PUBLIC_PER_MINUTE,
        per_bot: RATE_PUBLIC_PER_MINUTE,
        window: RATE_WINDOW,
    };

    /// WeCom's 2025 internal document: 100 messages per minute per group, blackboard, user or
    /// broadcast, 10 000 calls per minute per bot.
    pub const INTERNAL: RateLimits = RateLimits {
        per_target: RATE_PER_CHAT_PER_MINUTE,
        per_bot: RATE_PER_BOT_PER_MINUTE,
        window: RATE_WINDOW,
    };

    /// Custom limits: at most `per_target` sends to one target and `per_bot` sends overall in any
    /// `window`.
    pub fn new(per_target: usize, per_bot: usize, window: Duration) -> Self {
        RateLimits {
            per_target,
            per_bot,
            window,
        }
    }

    /// Sends allowed per target per window.
    pub fn per_target(&self) -> usize {
        self.per_target
    }

    /// Sends allowed per bot per window.
    pub fn per_bot(&self) -> usize {
        self.per_bot
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// The shared state of one bot's limiter.
#[derive(Debug)]
pub(crate) struct Limiter {
    limits: RateLimits,
    // A std Mutex: it is never held across an await, and each critical section is a few map
    // operations, so an async mutex would only add overhead.
    state: Mutex<State>,
    /// Woken when a send completes, so waiters blocked only by in-flight sends re-check.
    freed: Notify,
}

#[derive(Debug)]
struct State {
    bot: Slot,
    targets: HashMap<String, Slot>,
}

#[derive(Debug)]
struct Slot {
    window: SlidingWindow<Instant>,
    /// Sends started and not yet counted in `window`.
    in_flight: usize,
}

impl Slot {
    fn new(capacity: usize, window: Duration) -> Self {
        Slot {
            window: SlidingWindow::new(capacity, window),
            in_flight: 0,
        }
    }

    /// Turns one in-flight reservation into a counted send at `now`.
    fn record(&mut self, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        // Cannot be refused: the reservation kept this slot free.
        let _ = self.window.try_acquire(now);
    }

    /// `None` when one more send fits, else how long to wait at most before checking again.
    fn wait(&mut self, now: Instant) -> Option<Duration> {
        let remaining = self.window.remaining(now);
        if remaining > self.in_flight {
            return None;
        }
        if remaining == 0 {
            // Full: refused without consuming a slot, and told when the oldest send expires.
            return self.window.try_acquire(now).err().map(|after| after.0);
        }
        // Room only once an in-flight send completes (we are woken then) or, should it be
        // recorded at once, a whole window later.
        Some(self.window.window())
    }
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Limiter {
            limits,
            state: Mutex::new(State {
                bot: Slot::new(limits.per_bot, limits.window),
                targets: HashMap::new(),
            }),
            freed: Notify::new(),
        }
    }

    /// Waits until one more send to every one of `targets` fits, and reserves it.
    pub(crate) async fn acquire(self: &Arc<Self>, targets: Vec<String>) -> Permit {
        loop {
            // Created before checking so that a completion between the check and the wait is
            // not missed (`notify_waiters` reaches every `Notified` already created).
            let freed = self.freed.notified();
            let wait = match self.try_reserve(&targets) {
                Ok(()) => {
                    return Permit {
                        limiter: Arc::clone(self),
                        targets,
                    };
                }
                Err(wait) => wait,
            };
            tracing::debug!(?wait, ?targets, "client-side rate limit: waiting");
            tokio::select! {
                () = freed => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    fn try_reserve(&self, targets: &[String]) -> Result<(), Duration> {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let State {
            bot,
            targets: slots,
        } = &mut *state;
        // Forget targets nobody has sent to for a whole window, to bound memory.
        slots.retain(|_, slot| slot.in_flight > 0 || !slot.window.is_idle(now));
        let mut wait = bot.wait(now);
        for target in targets {
            let slot = slots
                .entry(target.clone())
                .or_insert_with(|| Slot::new(self.limits.per_target, self.limits.window));
            wait = wait.max(slot.wait(now));
        }
        if let Some(wait) = wait {
            return Err(wait);
        }
        bot.in_flight += 1;
        for target in targets {
            if let Some(slot) = slots.get_mut(target) {
                slot.in_flight += 1;
            }
        }
        Ok(())
    }

    fn complete(&self, targets: &[String]) {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let State {
            bot,
            targets: slots,
        } = &mut *state;
        bot.record(now);
        for target in targets {
            if let Some(slot) = slots.get_mut(target) {
                slot.record(now);
            }
        }
        drop(state);
        self.freed.notify_waiters();
    }
}

/// A reserved send; dropping it (when the answer arrived, or the send was abandoned) counts it.
#[derive(Debug)]
pub(crate) struct Permit {
    limiter: Arc<Limiter>,
    targets: Vec<String>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.complete(&self.targets);
    }
}

/// The one limiter key of every broadcast special (`@all_group`, `@all_blackboard`, `@all`):
/// WeCom counts them together, "≤ 100 broadcast messages per minute" (spec §5). Not a valid
/// chat id, so it cannot collide with one.
const BROADCAST: &str = "@broadcast";

/// The limiter keys of a request's `chatid`: each chat or user once, and [`BROADCAST`] once for
/// any special (an absent `chatid` means `@all_group`).
pub(crate) fn targets(chatid: Option<&str>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for target in hookpit_protocol::validate::parse_chatid(chatid).iter() {
        let key = match target {
            ChatTarget::Id(id) => id.as_str(),
            _ => BROADCAST,
        };
        if !keys.iter().any(|known| known == key) {
            keys.push(key.to_owned());
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_target_does_not_block_other_targets() {
        let limiter = Arc::new(Limiter::new(RateLimits::new(
            2,
            100,
            Duration::from_secs(60),
        )));
        for _ in 0..2 {
            drop(limiter.acquire(vec!["g".to_owned()]).await);
        }
        let wait = limiter.try_reserve(&["g".to_owned()]).unwrap_err();
        assert!(wait > Duration::from_secs(59) && wait <= Duration::from_secs(60));
        assert!(limiter.try_reserve(&["other".to_owned()]).is_ok());
    }

    #[tokio::test]
    async fn in_flight_sends_hold_their_slot_until_they_complete() {
        let limiter = Arc::new(Limiter::new(RateLimits::new(
            1,
            100,
            Duration::from_secs(60),
        )));
        let first = limiter.acquire(vec!["g".to_owned()]).await;
        assert!(limiter.try_reserve(&["g".to_owned()]).is_err());
        drop(first);
        // Completed and counted: the window is now full for a minute.
        assert!(limiter.try_reserve(&["g".to_owned()]).is_err());
    }

    #[tokio::test]
    async fn the_bot_limit_applies_across_targets() {
        let limiter = Arc::new(Limiter::new(RateLimits::new(
            10,
            2,
            Duration::from_secs(60),
        )));
        drop(limiter.acquire(vec!["a".to_owned()]).await);
        drop(limiter.acquire(vec!["b".to_owned()]).await);
        assert!(limiter.try_reserve(&["c".to_owned()]).is_err());
    }

    #[tokio::test]
    async fn a_waiting_send_proceeds_once_the_window_frees() {
        let window = Duration::from_millis(200);
        let limiter = Arc::new(Limiter::new(RateLimits::new(1, 100, window)));
        let start = Instant::now();
        drop(limiter.acquire(vec!["g".to_owned()]).await);
        drop(limiter.acquire(vec!["g".to_owned()]).await);
        assert!(start.elapsed() >= window);
    }

    #[test]
    fn every_broadcast_special_counts_against_one_broadcast_window() {
        assert_eq!(targets(None), vec![BROADCAST]);
        assert_eq!(
            targets(Some("@all|@all_blackboard|a")),
            vec![BROADCAST, "a"]
        );
        assert_eq!(targets(Some("a|b|a")), vec!["a", "b"]);
    }

    #[test]
    fn the_public_profile_counts_every_target_against_20_per_bot() {
        assert_eq!(RateLimits::PUBLIC.per_bot(), 20);
    }
}
