//! Rate limits (spec §5): sliding windows per bot, per bot and chat, per bot for broadcasts,
//! and the identical-body rule (45033), in the profiles `internal`, `public` and `off`.
//!
//! Windows are keyed by the target as written in `chatid` (a chat id or a userid): the limit is
//! checked before routing (spec §6 precedence), which is when the kind of an id is not yet known.
//! The send endpoint first rewrites single-chat ids to their user's id, so that one user has one
//! window whichever way `chatid` names them.
//! All windows a request needs are checked before any is charged, so a refused request spends
//! nothing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hookpit_protocol::limit::{
    RATE_BROADCAST_PER_MINUTE, RATE_PER_BOT_PER_MINUTE, RATE_PER_CHAT_PER_MINUTE,
    RATE_PUBLIC_PER_MINUTE, RATE_WINDOW,
};
use hookpit_protocol::{ChatTarget, ChatTargets, ErrorCode, SlidingWindow};

use crate::cluster::{BodyClaim, Cluster, Window};
use crate::config::{Config, LimitProfile};

/// The numbers of one profile; `None` = unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_bot: Option<usize>,
    pub per_chat: Option<usize>,
    pub broadcast: Option<usize>,
    /// The identical-body rule.
    pub identical_body: bool,
}

impl Limits {
    /// The numbers of `profile`, without overrides (the relay's `--relay-limits`).
    pub fn of_profile(profile: LimitProfile) -> Limits {
        Limits::profile(profile)
    }

    /// The limits `config` asks for: its profile, with any per-limit override.
    pub fn from_config(config: &Config) -> Limits {
        if config.limits == LimitProfile::Off {
            return Limits::profile(LimitProfile::Off);
        }
        let base = Limits::profile(config.limits);
        Limits {
            per_bot: config.rate_per_bot.or(base.per_bot),
            per_chat: config.rate_per_chat.or(base.per_chat),
            broadcast: config.rate_broadcast.or(base.broadcast),
            ..base
        }
    }

    fn profile(profile: LimitProfile) -> Limits {
        match profile {
            // WeCom internal document (S1).
            LimitProfile::Internal => Limits {
                per_bot: Some(RATE_PER_BOT_PER_MINUTE),
                per_chat: Some(RATE_PER_CHAT_PER_MINUTE),
                broadcast: Some(RATE_BROADCAST_PER_MINUTE),
                identical_body: true,
            },
            // WeCom public document: 20 messages per minute per bot.
            LimitProfile::Public => Limits {
                per_bot: Some(RATE_PUBLIC_PER_MINUTE),
                per_chat: None,
                broadcast: None,
                identical_body: true,
            },
            LimitProfile::Off => Limits {
                per_bot: None,
                per_chat: None,
                broadcast: None,
                identical_body: false,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Scope {
    Bot,
    Broadcast,
    Chat(String),
}

/// The rate limiter of the send endpoint: per instance, or shared by every instance through
/// Redis (`--redis`, [`crate::cluster`]) with the per-instance windows as the fallback while
/// Redis is unavailable.
#[derive(Debug)]
pub struct RateLimiter {
    limits: Limits,
    // A std Mutex: held for a few map operations, never across an await.
    windows: Mutex<HashMap<(String, Scope), SlidingWindow<Duration>>>,
    in_flight: Arc<Mutex<HashSet<u64>>>,
    shared: Option<Shared>,
}

#[derive(Debug)]
struct Shared {
    cluster: Arc<Cluster>,
    /// How long a claimed identical-body slot lives in Redis if its instance dies before
    /// releasing it.
    body_ttl: Duration,
}

impl RateLimiter {
    /// A per-instance limiter enforcing `limits`.
    pub fn new(limits: Limits) -> RateLimiter {
        RateLimiter {
            limits,
            windows: Mutex::new(HashMap::new()),
            in_flight: Arc::new(Mutex::new(HashSet::new())),
            shared: None,
        }
    }

    /// This limiter with its windows and identical-body slots in `cluster`'s Redis; a claimed
    /// slot left behind by a dead instance expires after `body_ttl`.
    pub fn shared(self, cluster: Arc<Cluster>, body_ttl: Duration) -> RateLimiter {
        RateLimiter {
            shared: Some(Shared { cluster, body_ttl }),
            ..self
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The Redis the limits are shared through, if any.
    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.shared.as_ref().map(|shared| &shared.cluster)
    }

    /// Charges one send by `bot_id` to `targets` at `now`.
    ///
    /// # Errors
    /// 45009 `api freq out of limit` if any window is full; nothing is charged then.
    pub async fn check_send(
        &self,
        bot_id: &str,
        targets: &ChatTargets,
        now: SystemTime,
    ) -> Result<(), ErrorCode> {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        let scopes = self.scopes(targets);
        if scopes.is_empty() {
            return Ok(());
        }
        if let Some(shared) = &self.shared {
            let windows: Vec<Window> = scopes
                .iter()
                .map(|(scope, capacity)| Window {
                    scope: scope.redis_name(),
                    capacity: *capacity,
                })
                .collect();
            match shared
                .cluster
                .check_windows(bot_id, &windows, RATE_WINDOW, now)
                .await
            {
                Some(true) => return Ok(()),
                Some(false) => return Err(ErrorCode::API_FREQ_OUT_OF_LIMIT),
                // Redis is unavailable: this instance's own windows decide.
                None => {}
            }
        }
        self.check_locally(bot_id, scopes, now)
    }

    /// The windows a send to `targets` needs, with their capacities.
    fn scopes(&self, targets: &ChatTargets) -> Vec<(Scope, usize)> {
        let mut scopes: Vec<(Scope, usize)> = Vec::new();
        if let Some(n) = self.limits.per_bot {
            scopes.push((Scope::Bot, n));
        }
        for target in targets {
            match target {
                ChatTarget::Id(id) => {
                    if let Some(n) = self.limits.per_chat {
                        scopes.push((Scope::Chat(id.clone()), n));
                    }
                }
                _ => {
                    if let Some(n) = self.limits.broadcast
                        && !scopes.iter().any(|(s, _)| *s == Scope::Broadcast)
                    {
                        scopes.push((Scope::Broadcast, n));
                    }
                }
            }
        }
        scopes
    }

    fn check_locally(
        &self,
        bot_id: &str,
        scopes: Vec<(Scope, usize)>,
        now: Duration,
    ) -> Result<(), ErrorCode> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        for (scope, capacity) in &scopes {
            let window = windows
                .entry((bot_id.to_owned(), scope.clone()))
                .or_insert_with(|| SlidingWindow::new(*capacity, RATE_WINDOW));
            if window.remaining(now) == 0 {
                return Err(ErrorCode::API_FREQ_OUT_OF_LIMIT);
            }
        }
        for (scope, _) in scopes {
            if let Some(window) = windows.get_mut(&(bot_id.to_owned(), scope)) {
                // Checked above under the same lock: cannot fail.
                let _ = window.try_acquire(now);
            }
        }
        Ok(())
    }

    /// Claims the identical-body slot of (`bot_id`, `body`) for the life of the returned guard.
    ///
    /// # Errors
    /// 45033 `api concurrent out of limit` while another request with the same bot and body is
    /// in flight (on any instance, when the limits are shared).
    pub async fn claim_body(
        &self,
        bot_id: &str,
        body: &[u8],
    ) -> Result<Option<InFlight>, ErrorCode> {
        if !self.limits.identical_body {
            return Ok(None);
        }
        if let Some(shared) = &self.shared {
            match shared
                .cluster
                .claim_body(bot_id, body, shared.body_ttl)
                .await
            {
                Some(Some(claim)) => {
                    return Ok(Some(InFlight {
                        _slot: Slot::Shared(claim),
                    }));
                }
                Some(None) => return Err(ErrorCode::API_CONCURRENT_OUT_OF_LIMIT),
                None => {}
            }
        }
        let hash = body_key(bot_id, body);
        let mut set = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if !set.insert(hash) {
            return Err(ErrorCode::API_CONCURRENT_OUT_OF_LIMIT);
        }
        Ok(Some(InFlight {
            _slot: Slot::Local(LocalSlot {
                set: Arc::clone(&self.in_flight),
                hash,
            }),
        }))
    }

    /// Drops windows with nothing left in them (called periodically). Shared windows expire in
    /// Redis by themselves.
    pub fn sweep(&self, now: SystemTime) {
        let now = now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, window| !window.is_idle(now));
    }
}

impl Scope {
    /// The scope's part of its Redis key.
    fn redis_name(&self) -> String {
        match self {
            Scope::Bot => "bot".to_owned(),
            Scope::Broadcast => "broadcast".to_owned(),
            Scope::Chat(id) => format!("chat:{id}"),
        }
    }
}

/// An identical-body slot, released on drop (when the request finishes).
#[derive(Debug)]
pub struct InFlight {
    _slot: Slot,
}

#[derive(Debug)]
#[allow(dead_code, reason = "each slot is held for its Drop")]
enum Slot {
    Local(LocalSlot),
    Shared(BodyClaim),
}

#[derive(Debug)]
struct LocalSlot {
    set: Arc<Mutex<HashSet<u64>>>,
    hash: u64,
}

impl Drop for LocalSlot {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.hash);
    }
}

/// The key of (`bot_id`, `body`) among this instance's requests in flight: XXH3 of the body,
/// seeded by the bot's. Not keyed against collisions, nor was the SipHash before it (fixed
/// keys): two bodies only collide on purpose, and then only the same bot's sender is refused.
fn body_key(bot_id: &str, body: &[u8]) -> u64 {
    use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};
    xxh3_64_with_seed(body, xxh3_64(bot_id.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(profile: LimitProfile) -> RateLimiter {
        let mut config = Config::new("d");
        config.limits = profile;
        RateLimiter::new(Limits::from_config(&config))
    }

    #[tokio::test]
    async fn a_second_identical_body_in_flight_is_45033_until_the_first_finishes() {
        let limiter = limiter(LimitProfile::Internal);
        let first = limiter.claim_body("k", b"body").await.unwrap();
        assert_eq!(
            limiter.claim_body("k", b"body").await.unwrap_err().code(),
            45033
        );
        assert!(limiter.claim_body("other", b"body").await.is_ok());
        drop(first);
        assert!(limiter.claim_body("k", b"body").await.is_ok());
    }

    #[tokio::test]
    async fn a_picture_that_differs_in_its_last_byte_is_another_body() {
        let limiter = limiter(LimitProfile::Internal);
        let mut body = vec![b'A'; 137 * 1024];
        let _first = limiter.claim_body("k", &body).await.unwrap();
        *body.last_mut().unwrap() = b'B';
        assert!(limiter.claim_body("k", &body).await.is_ok());
        body.push(b'B');
        assert!(limiter.claim_body("k", &body).await.is_ok());
    }

    #[tokio::test]
    async fn profile_off_disables_the_identical_body_rule() {
        let limiter = limiter(LimitProfile::Off);
        let _first = limiter.claim_body("k", b"body").await.unwrap();
        assert!(limiter.claim_body("k", b"body").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_internal_profile_allows_10_000_sends_per_bot_per_minute() {
        let limiter = limiter(LimitProfile::Internal);
        let start = SystemTime::now();
        // 100 chats × 100 messages: no chat window is full, the bot window is.
        for chat in 0..100 {
            let target = ChatTargets::parse(Some(&format!("wrk{chat}"))).unwrap();
            for _ in 0..100 {
                limiter.check_send("bot", &target, start).await.unwrap();
            }
        }
        let fresh = ChatTargets::parse(Some("wrkFresh")).unwrap();
        let refused = limiter.check_send("bot", &fresh, start).await.unwrap_err();
        assert_eq!(refused.code(), 45009);
        assert!(limiter.check_send("other bot", &fresh, start).await.is_ok());
        let later = start + RATE_WINDOW;
        assert!(limiter.check_send("bot", &fresh, later).await.is_ok());
    }

    #[tokio::test]
    async fn sweeping_forgets_only_idle_windows() {
        let limiter = limiter(LimitProfile::Public);
        let start = SystemTime::now();
        let target = ChatTargets::parse(None).unwrap();
        for _ in 0..20 {
            limiter.check_send("bot", &target, start).await.unwrap();
        }
        limiter.sweep(start);
        assert!(
            limiter.check_send("bot", &target, start).await.is_err(),
            "a busy window is kept"
        );
        limiter.sweep(start + RATE_WINDOW);
        assert!(
            limiter
                .check_send("bot", &target, start + RATE_WINDOW)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_refused_send_charges_no_window() {
        let limiter = limiter(LimitProfile::Internal);
        let now = SystemTime::now();
        let a = ChatTargets::parse(Some("a")).unwrap();
        let ab = ChatTargets::parse(Some("a|b")).unwrap();
        for _ in 0..100 {
            limiter.check_send("bot", &a, now).await.unwrap();
        }
        assert_eq!(
            limiter
                .check_send("bot", &ab, now)
                .await
                .unwrap_err()
                .code(),
            45009
        );
        let b = ChatTargets::parse(Some("b")).unwrap();
        for _ in 0..100 {
            limiter.check_send("bot", &b, now).await.unwrap();
        }
    }
}
