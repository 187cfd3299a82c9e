//! The rate limits in Redis: sliding windows as sorted sets checked and charged by one Lua
//! script (atomic: two instances can never both take the last slot), and the identical-body
//! rule as a key set with `NX`.
//!
//! The semantics are those of `hookpit_protocol::SlidingWindow`, which the per-instance limiter
//! uses: an admission at `t` counts during `[t, t + window)`, every window a request needs is
//! checked before any is charged, and a refused request charges nothing. Times come from the
//! calling instance's clock (so tests can move it); instances behind one load balancer are
//! expected to keep their clocks in sync (NTP), as the windows are a minute long.
//!
//! Keys: `hookpit:{BOT}:rate:…` and `hookpit:{BOT}:body:…`. The braces are a Redis Cluster hash
//! tag: every key of one bot lives in one slot, so the script may touch several of them.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::Cluster;

/// Checks every window in `KEYS` (`ARGV[3 + i]` is the capacity of `KEYS[i]`) at `ARGV[1]`
/// (milliseconds) for a window of `ARGV[2]` milliseconds; charges all of them with the member
/// `ARGV[3]` if none is full. Answers 1 (admitted) or 0 (refused, nothing charged).
const CHECK_AND_CHARGE: &str = r"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) then
    return 0
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
end
return 1
";

/// Deletes `KEYS[1]` if it still holds `ARGV[1]`: a slot that expired and was claimed by another
/// request is not released by the first.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

// Loaded by SHA (EVALSHA) and sent whole only when Redis does not know it yet.
static CHECK_AND_CHARGE_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(CHECK_AND_CHARGE));
static RELEASE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(RELEASE));

/// One window a send needs: its scope within the bot (`bot`, `broadcast`, `chat:ID`) and its
/// capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub scope: String,
    pub capacity: usize,
}

/// A claimed identical-body slot in Redis, released on drop.
#[derive(Debug)]
pub struct BodyClaim {
    cluster: Arc<Cluster>,
    key: String,
    token: String,
}

impl Drop for BodyClaim {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime (shutting down): the key expires by itself.
            return;
        };
        let cluster = Arc::clone(&self.cluster);
        let key = std::mem::take(&mut self.key);
        let token = std::mem::take(&mut self.token);
        runtime.spawn(async move {
            // Not released (Redis is down): it expires on its own, after the claim's time to live.
            let _ = cluster
                .run(|mut connection| {
                    let (key, token) = (&key, &token);
                    async move {
                        RELEASE_SCRIPT
                            .key(key)
                            .arg(token)
                            .invoke_async::<i64>(&mut connection)
                            .await
                    }
                })
                .await;
        });
    }
}

fn key(bot_id: &str, rest: &str) -> String {
    format!("hookpit:{{{bot_id}}}:{rest}")
}

impl Cluster {
    /// Checks and charges `windows` of `bot_id` at `now` (since the Unix epoch): `Some(true)`
    /// admitted, `Some(false)` refused (a window is full; nothing charged), `None` when Redis is
    /// unavailable (the caller decides per instance).
    pub async fn check_windows(
        &self,
        bot_id: &str,
        windows: &[Window],
        window: Duration,
        now: Duration,
    ) -> Option<bool> {
        let mut invocation = CHECK_AND_CHARGE_SCRIPT.prepare_invoke();
        for w in windows {
            invocation.key(key(bot_id, &format!("rate:{}", w.scope)));
        }
        let now_ms = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
        invocation
            .arg(now_ms)
            .arg(u64::try_from(window.as_millis()).unwrap_or(u64::MAX))
            // Unique, so two admissions in the same millisecond are two members.
            .arg(format!("{now_ms}-{}", uuid::Uuid::new_v4().simple()));
        for w in windows {
            invocation.arg(w.capacity);
        }
        let admitted = self
            .run(|mut connection| {
                let invocation = &invocation;
                async move {
                    invocation
                        .invoke_async::<i64>(&mut connection)
                        .await
                        .map(|admitted| admitted == 1)
                }
            })
            .await;
        if admitted.is_none() {
            self.fell_back();
        }
        admitted
    }

    /// Claims the identical-body slot of (`bot_id`, `body`) for at most `ttl`: `Some(Some(_))`
    /// claimed (released when dropped), `Some(None)` another request holds it, `None` when Redis
    /// is unavailable.
    pub async fn claim_body(
        self: &Arc<Self>,
        bot_id: &str,
        body: &[u8],
        ttl: Duration,
    ) -> Option<Option<BodyClaim>> {
        let digest = Sha256::digest(body);
        let key = key(bot_id, &format!("body:{}", hex(&digest)));
        let token = uuid::Uuid::new_v4().simple().to_string();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let claimed = self
            .run(|mut connection| {
                let (key, token) = (&key, &token);
                async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(token)
                        .arg("NX")
                        .arg("PX")
                        .arg(ttl_ms)
                        .query_async::<Option<String>>(&mut connection)
                        .await
                }
            })
            .await;
        let Some(claimed) = claimed else {
            self.fell_back();
            return None;
        };
        Some(claimed.map(|_| BodyClaim {
            cluster: Arc::clone(self),
            key,
            token,
        }))
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}
