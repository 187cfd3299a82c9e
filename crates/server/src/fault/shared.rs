//! The rules of `/api/v1/faults` shared by every instance through Redis (`--redis`), seen from
//! one instance: added, listed and removed in Redis (`cluster/faults.rs`), and decided for each
//! webhook call by one atomic script there.
//!
//! What a rule matches is judged here, against a copy of the rules cached with Redis's version
//! token; the script counts the call against the matching rules only if that token is still
//! Redis's, and answers "stale" otherwise (the copy is then reloaded and the call asked again).
//! So a rule added through one instance applies to the very next call on any other, exactly,
//! and a call when no rule exists anywhere costs one round trip of a script that reads one key
//! (measured in `docs/PERFORMANCE.md`) — never the rules themselves.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::rule::{self, Call, Effect, NewRule};
use super::{FaultError, RuleView};
use crate::clock::rfc3339;
use crate::cluster::{Candidate, Cluster, FaultSnapshot, Pick, Trigger};

/// How often one call reloads a stale copy before it gives up on the shared rules (rules that
/// change faster than a call can read them are being changed by a script, not a person).
const RELOADS: usize = 3;

/// What Redis holds of a rule, as JSON (the `body` of `cluster::StoredFault`).
#[derive(Debug, Serialize, Deserialize)]
struct Body {
    rule: NewRule,
    /// `until`, resolved by the instance that added the rule (Unix milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until_ms: Option<i64>,
}

/// One shared rule, parsed, with its counters when it was read.
#[derive(Debug)]
struct Shared {
    id: u64,
    body: Body,
    matched: u64,
    injected: u64,
}

impl Shared {
    fn until(&self) -> Option<SystemTime> {
        self.body
            .until_ms
            .map(|ms| UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
    }
}

/// The shared rules at one version token.
#[derive(Debug)]
struct Snapshot {
    version: String,
    rules: Vec<Shared>,
}

/// The shared rules, through `cluster`, and this instance's copy of them.
#[derive(Debug)]
pub(super) struct SharedRules {
    cluster: Arc<Cluster>,
    // A std Mutex: held to swap an Arc, never across an await.
    copy: Mutex<Arc<Snapshot>>,
}

impl SharedRules {
    pub(super) fn new(cluster: Arc<Cluster>) -> SharedRules {
        SharedRules {
            cluster,
            // What Redis holds before any rule was ever added (no version key): the first call
            // on an empty Redis needs no reload.
            copy: Mutex::new(Arc::new(Snapshot {
                version: String::new(),
                rules: Vec::new(),
            })),
        }
    }

    /// Adds a rule for every instance.
    pub(super) async fn add(&self, new: NewRule, now: SystemTime) -> Result<RuleView, FaultError> {
        let until = new.validate(now).map_err(FaultError::Invalid)?;
        let trigger = Trigger {
            times: new.times,
            every: new.every,
            probability: new.probability,
            seed: new.seed,
        };
        let body = Body {
            rule: new,
            until_ms: until.map(rule::millis),
        };
        let json = serde_json::to_string(&body).map_err(|_| FaultError::Unavailable)?;
        let id = self
            .cluster
            .add_fault(&json, &trigger)
            .await
            .ok_or(FaultError::Unavailable)?;
        Ok(view(&Shared {
            id,
            body,
            matched: 0,
            injected: 0,
        }))
    }

    /// Every shared rule with its counters (of every instance), in the order they are tried.
    pub(super) async fn list(&self) -> Result<Vec<RuleView>, FaultError> {
        let stored = self
            .cluster
            .fault_rules()
            .await
            .ok_or(FaultError::Unavailable)?;
        Ok(self.keep(stored).rules.iter().map(view).collect())
    }

    /// Removes shared rule `id` everywhere; whether it existed.
    pub(super) async fn remove(&self, id: u64) -> Result<bool, FaultError> {
        self.cluster
            .remove_fault(id)
            .await
            .ok_or(FaultError::Unavailable)
    }

    /// Removes every shared rule; how many there were.
    pub(super) async fn clear(&self) -> Result<usize, FaultError> {
        self.cluster
            .clear_faults()
            .await
            .ok_or(FaultError::Unavailable)
    }

    /// The effect for `call` from the first shared rule that matches it and fires, counted
    /// cluster-wide; `None` too when Redis is unavailable (the shared rules are suspended).
    pub(super) async fn decide(&self, call: &Call<'_>, now: SystemTime) -> Option<Effect> {
        let mut snapshot = self.copy();
        for _ in 0..RELOADS {
            let candidates: Vec<Candidate> = snapshot
                .rules
                .iter()
                .filter(|rule| rule.body.rule.matches.matches(call))
                .map(|rule| Candidate {
                    id: rule.id,
                    expired: rule.until().is_some_and(|until| now >= until),
                    draw: fastrand::f64(),
                })
                .collect();
            match self
                .cluster
                .pick_fault(&snapshot.version, &candidates)
                .await?
            {
                Pick::Fired(id) => {
                    return id.and_then(|id| {
                        snapshot
                            .rules
                            .iter()
                            .find(|rule| rule.id == id)
                            .map(|rule| rule.body.rule.effect.clone())
                    });
                }
                Pick::Stale => snapshot = self.keep(self.cluster.fault_rules().await?),
            }
        }
        None
    }

    fn copy(&self) -> Arc<Snapshot> {
        Arc::clone(&self.copy.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Parses `stored` and keeps it as the copy.
    fn keep(&self, stored: FaultSnapshot) -> Arc<Snapshot> {
        let rules = stored
            .rules
            .into_iter()
            .filter_map(|rule| match serde_json::from_str(&rule.body) {
                Ok(body) => Some(Shared {
                    id: rule.id,
                    body,
                    matched: rule.matched,
                    injected: rule.injected,
                }),
                Err(error) => {
                    // Written by another version of Hookpit sharing this Redis: not applied here.
                    tracing::warn!(fault = rule.id, %error, "a shared fault rule does not parse");
                    None
                }
            })
            .collect();
        let snapshot = Arc::new(Snapshot {
            version: stored.version,
            rules,
        });
        // Concurrent reloads may finish in any order; each holds a version Redis had, and a
        // stale one is only ever answered "stale" again.
        *self.copy.lock().unwrap_or_else(|e| e.into_inner()) = Arc::clone(&snapshot);
        snapshot
    }
}

fn view(rule: &Shared) -> RuleView {
    RuleView {
        id: rule.id,
        rule: rule.body.rule.clone(),
        until_at: rule.body.until_ms.map(rfc3339),
        source: "api",
        matched: rule.matched,
        injected: rule.injected,
    }
}
