//! Fault rules shared by every instance in Redis: the rules, their counters, and the pick of a
//! call's rule as one Lua script, so that counting a match and deciding whether it fires is one
//! atomic step cluster-wide (`times: 3` injects exactly 3 calls however they are spread).
//!
//! What a rule matches and does is the fault module's business: here a rule is an id, an opaque
//! `body` (the fault module's JSON) and the numbers of its trigger. The trigger's steps are those
//! of `fault/local.rs` (`Rule::fires`), in Lua: every matching call counts as matched; then
//! `until` (judged by the calling instance's clock, passed in), `times` (against the injected
//! counter), `every` (against the matched counter) and `probability` (a seeded draw from
//! SHA-1 of `"SEED:MATCH_NUMBER"`, as `fault::rule::draw`; an unseeded one from the caller's
//! draw) must all agree.
//!
//! Keys, all with the hash tag `{faults}` (one Redis Cluster slot, so one script may touch them):
//! `hookpit:{faults}:version` (a random token replaced by every change: an instance's cached
//! copy of the rules is current exactly when its token matches, even across a Redis restart that
//! empties everything and counts ids again), `…:next_id`, and the hashes `…:rules` (id → body),
//! `…:triggers` (id → `"TIMES EVERY PROBABILITY SEED"`, `-` for none), `…:matched` and
//! `…:injected` (id → count).

use std::sync::LazyLock;

use super::Cluster;

/// The first id of a shared rule: ids below it are an instance's own `--fault` rules, so that
/// one listing never shows two rules with the same id.
pub const FIRST_SHARED_FAULT_ID: u64 = 1001;

const VERSION: &str = "hookpit:{faults}:version";
const NEXT_ID: &str = "hookpit:{faults}:next_id";
const RULES: &str = "hookpit:{faults}:rules";
const TRIGGERS: &str = "hookpit:{faults}:triggers";
const MATCHED: &str = "hookpit:{faults}:matched";
const INJECTED: &str = "hookpit:{faults}:injected";

/// KEYS: version, next_id, rules, triggers. ARGV: body, trigger, first id, new version.
/// Answers the new rule's id.
const ADD: &str = r"
local id = redis.call('INCR', KEYS[2])
if id < tonumber(ARGV[3]) then
  id = tonumber(ARGV[3])
  redis.call('SET', KEYS[2], id)
end
redis.call('HSET', KEYS[3], id, ARGV[1])
redis.call('HSET', KEYS[4], id, ARGV[2])
redis.call('SET', KEYS[1], ARGV[4])
return id
";

/// KEYS: version, rules, matched, injected. Answers the version then, per rule in id order,
/// id, body, matched and injected (all strings).
const LIST: &str = r"
local out = {redis.call('GET', KEYS[1]) or ''}
local ids = redis.call('HKEYS', KEYS[2])
table.sort(ids, function(a, b) return tonumber(a) < tonumber(b) end)
for _, id in ipairs(ids) do
  table.insert(out, id)
  table.insert(out, redis.call('HGET', KEYS[2], id))
  table.insert(out, redis.call('HGET', KEYS[3], id) or '0')
  table.insert(out, redis.call('HGET', KEYS[4], id) or '0')
end
return out
";

/// KEYS: version, rules, triggers, matched, injected. ARGV: id, new version. Answers 1 if the
/// rule existed.
const REMOVE: &str = r"
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then
  return 0
end
for i = 3, 5 do
  redis.call('HDEL', KEYS[i], ARGV[1])
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
";

/// KEYS: version, rules, triggers, matched, injected. ARGV: new version. Answers how many
/// rules there were. `next_id` stays: an id is never given twice while Redis keeps its data.
const CLEAR: &str = r"
local count = redis.call('HLEN', KEYS[2])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('SET', KEYS[1], ARGV[1])
return count
";

/// KEYS: version, triggers, matched, injected. ARGV: the caller's version, then per candidate
/// (the rules that match the call, in the order they are tried) id, expired (`1` when past its
/// `until`), draw (for an unseeded probability). Answers `{0, ''}` when the caller's copy of the
/// rules is stale (nothing counted), else `{1, ID}` for the rule that fires or `{1, ''}`.
const PICK: &str = r"
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then
  return {0, ''}
end
for i = 2, #ARGV, 3 do
  local id = ARGV[i]
  local trigger = redis.call('HGET', KEYS[2], id)
  if trigger then
    local matched = redis.call('HINCRBY', KEYS[3], id, 1)
    local times, every, probability, seed = string.match(trigger, '^(%S+) (%S+) (%S+) (%S+)$')
    local fires = ARGV[i + 1] == '0'
    if fires and times ~= '-' then
      fires = tonumber(redis.call('HGET', KEYS[4], id) or '0') < tonumber(times)
    end
    if fires and every ~= '-' then
      fires = matched % tonumber(every) == 0
    end
    if fires and probability ~= '-' then
      local draw = tonumber(ARGV[i + 2])
      if seed ~= '-' then
        draw = tonumber(string.sub(redis.sha1hex(seed .. ':' .. matched), 1, 8), 16) / 4294967296
      end
      fires = draw < tonumber(probability)
    end
    if fires then
      redis.call('HINCRBY', KEYS[4], id, 1)
      return {1, id}
    end
  end
end
return {1, ''}
";

// Loaded by SHA (EVALSHA) and sent whole only when Redis does not know it yet.
static ADD_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(ADD));
static LIST_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(LIST));
static REMOVE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(REMOVE));
static CLEAR_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(CLEAR));
static PICK_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(PICK));

/// The numbers of a shared rule's trigger (its `until` is judged by each instance).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Trigger {
    pub times: Option<u64>,
    pub every: Option<u64>,
    pub probability: Option<f64>,
    pub seed: Option<u64>,
}

impl Trigger {
    /// `"TIMES EVERY PROBABILITY SEED"`, `-` for none (Rust's shortest round-trip spelling of
    /// the probability, which Lua's `tonumber` reads back to the same double).
    fn encode(&self) -> String {
        fn or_dash<T: ToString>(value: Option<T>) -> String {
            value.map_or_else(|| "-".to_owned(), |value| value.to_string())
        }
        format!(
            "{} {} {} {}",
            or_dash(self.times),
            or_dash(self.every),
            or_dash(self.probability),
            or_dash(self.seed)
        )
    }
}

/// A shared rule as Redis holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFault {
    pub id: u64,
    /// The fault module's description of the rule.
    pub body: String,
    /// Calls that matched it, on every instance.
    pub matched: u64,
    /// Calls it was applied to, on every instance.
    pub injected: u64,
}

/// Every shared rule at one version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultSnapshot {
    /// The token [`Cluster::pick_fault`] compares with Redis's.
    pub version: String,
    /// In id order, the order they are tried.
    pub rules: Vec<StoredFault>,
}

/// A rule that matches a call, as [`Cluster::pick_fault`] needs it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub id: u64,
    /// Past its `until` on the calling instance's clock: it counts the match, never fires.
    pub expired: bool,
    /// In `[0, 1)`: the draw of an unseeded `probability`.
    pub draw: f64,
}

/// What [`Cluster::pick_fault`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The caller's snapshot is not Redis's: nothing was counted; reload and ask again.
    Stale,
    /// The rule that fires, if any (every candidate before it counted a match).
    Fired(Option<u64>),
}

fn new_version() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Cluster {
    /// Adds a shared rule; its id, or `None` when Redis is unavailable.
    pub async fn add_fault(&self, body: &str, trigger: &Trigger) -> Option<u64> {
        let trigger = trigger.encode();
        let version = new_version();
        self.run(|mut connection| {
            let (body, trigger, version) = (body, &trigger, &version);
            async move {
                ADD_SCRIPT
                    .key(VERSION)
                    .key(NEXT_ID)
                    .key(RULES)
                    .key(TRIGGERS)
                    .arg(body)
                    .arg(trigger)
                    .arg(FIRST_SHARED_FAULT_ID)
                    .arg(version)
                    .invoke_async::<u64>(&mut connection)
                    .await
            }
        })
        .await
    }

    /// Every shared rule with its counters, or `None` when Redis is unavailable.
    pub async fn fault_rules(&self) -> Option<FaultSnapshot> {
        let fields = self
            .run(|mut connection| async move {
                LIST_SCRIPT
                    .key(VERSION)
                    .key(RULES)
                    .key(MATCHED)
                    .key(INJECTED)
                    .invoke_async::<Vec<String>>(&mut connection)
                    .await
            })
            .await?;
        let mut fields = fields.into_iter();
        let version = fields.next().unwrap_or_default();
        let mut rules = Vec::new();
        let number = |text: Option<String>| text.and_then(|t| t.parse().ok()).unwrap_or(0);
        while let Some(id) = fields.next() {
            rules.push(StoredFault {
                id: number(Some(id)),
                body: fields.next().unwrap_or_default(),
                matched: number(fields.next()),
                injected: number(fields.next()),
            });
        }
        Some(FaultSnapshot { version, rules })
    }

    /// Removes shared rule `id`: whether it existed, or `None` when Redis is unavailable.
    pub async fn remove_fault(&self, id: u64) -> Option<bool> {
        let version = new_version();
        self.run(|mut connection| {
            let version = &version;
            async move {
                REMOVE_SCRIPT
                    .key(VERSION)
                    .key(RULES)
                    .key(TRIGGERS)
                    .key(MATCHED)
                    .key(INJECTED)
                    .arg(id)
                    .arg(version)
                    .invoke_async::<i64>(&mut connection)
                    .await
                    .map(|removed| removed == 1)
            }
        })
        .await
    }

    /// Removes every shared rule: how many there were, or `None` when Redis is unavailable.
    pub async fn clear_faults(&self) -> Option<usize> {
        let version = new_version();
        self.run(|mut connection| {
            let version = &version;
            async move {
                CLEAR_SCRIPT
                    .key(VERSION)
                    .key(RULES)
                    .key(TRIGGERS)
                    .key(MATCHED)
                    .key(INJECTED)
                    .arg(version)
                    .invoke_async::<usize>(&mut connection)
                    .await
            }
        })
        .await
    }

    /// Counts a call against `candidates` (the rules of the snapshot at `version` that match it,
    /// in order) and picks the one that fires, in one atomic step; `None` when Redis is
    /// unavailable (the call is then decided by the instance's own rules, and counted in
    /// `hookpit_redis_fallbacks_total`).
    pub async fn pick_fault(&self, version: &str, candidates: &[Candidate]) -> Option<Pick> {
        let mut invocation = PICK_SCRIPT.prepare_invoke();
        invocation
            .key(VERSION)
            .key(TRIGGERS)
            .key(MATCHED)
            .key(INJECTED)
            .arg(version);
        for candidate in candidates {
            invocation
                .arg(candidate.id)
                .arg(i64::from(candidate.expired))
                .arg(candidate.draw);
        }
        let picked = self
            .run(|mut connection| {
                let invocation = &invocation;
                async move {
                    invocation
                        .invoke_async::<(i64, String)>(&mut connection)
                        .await
                }
            })
            .await;
        let Some((current, id)) = picked else {
            self.fell_back();
            return None;
        };
        Some(if current == 0 {
            Pick::Stale
        } else {
            Pick::Fired(id.parse().ok())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_is_spelled_with_a_dash_for_each_number_it_lacks() {
        assert_eq!(Trigger::default().encode(), "- - - -");
        let trigger = Trigger {
            times: Some(3),
            every: None,
            probability: Some(0.1),
            seed: Some(u64::MAX),
        };
        assert_eq!(trigger.encode(), "3 - 0.1 18446744073709551615");
    }
}
