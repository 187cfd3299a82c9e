//! Fault injection, off unless asked for: rules that make matching webhook calls fail the way
//! WeCom (or a gateway in front of it) fails — an errcode with its exact errmsg, a 502, a delay,
//! a dropped connection, a hang — so that a sender's handling of 45009 and -1 can be seen and
//! tested. Mailpit's chaos triggers and slack-mock's `injectFault` are the anchors.
//!
//! - [`rule`]: what a rule matches, does and when (`times`, `every`, `probability` + `seed`,
//!   `until`), and the `--fault SPEC` syntax.
//! - `local.rs`: the rules an instance holds in memory (a restart clears the API's rules and
//!   brings back the `--fault` ones); `shared.rs`: with `--redis`, the API's rules in Redis,
//!   one set for every instance, counted cluster-wide (`crate::cluster`).
//! - Here: [`Faults`], both of them as one list; `api.rs`: `/api/v1/faults`.
//! - The webhook endpoints ask [`Faults::decide`] once they know the bot, the type and the chats
//!   of a call, and apply the effect (`webhook/injected.rs`). A faulted call is not stored (a
//!   delay is, after the delay), is listed among the rejections with `"injected": true`, and is
//!   counted in `/metrics`.
//!
//! # With `--redis`
//! Rules added through `/api/v1/faults` (or [`Faults::add`]) live in Redis: they apply to calls
//! on every instance, any instance lists them with counters summed over all, and a delete on any
//! removes them everywhere; their triggers count cluster-wide matches (`times: 3` injects 3
//! calls in all, `every: 3` every third call the cluster gets, a seeded `probability` draws from
//! the cluster-wide match number). They outlive an instance's restart, not Redis's.
//! `--fault` rules stay the instance's own (source `flag`, ids below
//! [`crate::cluster::FIRST_SHARED_FAULT_ID`]): they are its configuration, like its other flags,
//! they hold while Redis is down, and their triggers count that instance's calls. They are tried
//! first. While Redis is unreachable, calls are decided by the `--fault` rules alone (a shared
//! rule cannot be counted exactly without Redis, so it is suspended rather than guessed) and the
//! admin API's changes answer 503; when Redis is back the shared rules apply again.

mod api;
mod local;
pub mod rule;
mod shared;

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use utoipa::ToSchema;

pub use api::router;
pub use rule::{Call, Effect, Match, NewRule, parse_spec};

use crate::cluster::{Cluster, FIRST_SHARED_FAULT_ID};
use local::LocalRules;
use shared::SharedRules;

/// A rule as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = FaultRule)]
pub struct RuleView {
    pub id: u64,
    #[serde(flatten)]
    pub rule: NewRule,
    /// `until`, resolved (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, nullable = false)]
    pub until_at: Option<String>,
    /// `api` (`POST /api/v1/faults`) or `flag` (`--fault`).
    pub source: &'static str,
    /// Calls that matched (on every instance, for a rule shared through Redis).
    pub matched: u64,
    /// Calls it was applied to (on every instance, for a rule shared through Redis).
    pub injected: u64,
}

/// Why a change to the rules, or a listing, failed.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// The rule is not valid: a sentence naming the field.
    #[error("{0}")]
    Invalid(String),
    /// `--redis`: Redis does not answer, so the shared rules cannot be read or changed.
    #[error(
        "Redis is unavailable: the shared fault rules cannot be read or changed now (until it is \
         back, calls are decided by this instance's --fault rules alone)"
    )]
    Unavailable,
}

/// The rules in force: this instance's, and with `--redis` those every instance shares.
#[derive(Debug, Default)]
pub struct Faults {
    local: LocalRules,
    shared: Option<SharedRules>,
}

impl Faults {
    /// The rules of `--fault`.
    ///
    /// # Errors
    /// A spec that does not parse or validate, with the spec quoted.
    pub fn from_specs(specs: &[String], now: SystemTime) -> Result<Faults, String> {
        // Their ids must stay below the shared rules'.
        let most = usize::try_from(FIRST_SHARED_FAULT_ID - 1).unwrap_or(usize::MAX);
        if specs.len() > most {
            return Err(format!("at most {most} --fault rules"));
        }
        let faults = Faults::default();
        for spec in specs {
            let rule = parse_spec(spec).map_err(|why| format!("--fault {spec:?}: {why}"))?;
            faults
                .local
                .add(rule, "flag", now)
                .map_err(|why| format!("--fault {spec:?}: {why}"))?;
        }
        Ok(faults)
    }

    /// These rules, with those of the API shared through `cluster`'s Redis.
    pub fn shared(self, cluster: Arc<Cluster>) -> Faults {
        Faults {
            shared: Some(SharedRules::new(cluster)),
            ..self
        }
    }

    /// Adds a rule as `POST /api/v1/faults` does (shared with every instance under `--redis`);
    /// returns it.
    ///
    /// # Errors
    /// The rule is not valid, or (`--redis`) Redis is unavailable.
    pub async fn add(&self, new: NewRule, now: SystemTime) -> Result<RuleView, FaultError> {
        match &self.shared {
            Some(shared) => shared.add(new, now).await,
            None => self.local.add(new, "api", now).map_err(FaultError::Invalid),
        }
    }

    /// The effect for `call`, from the first rule that matches it and fires: this instance's
    /// rules first, then the shared ones. Never fails: without Redis, only the former apply.
    pub async fn decide(&self, call: &Call<'_>, now: SystemTime) -> Option<Effect> {
        if let Some(effect) = self.local.decide(call, now) {
            return Some(effect);
        }
        match &self.shared {
            Some(shared) => shared.decide(call, now).await,
            None => None,
        }
    }

    /// Every rule, in the order they are tried.
    ///
    /// # Errors
    /// (`--redis`) Redis is unavailable.
    pub async fn list(&self) -> Result<Vec<RuleView>, FaultError> {
        let mut rules = self.local.list();
        if let Some(shared) = &self.shared {
            rules.extend(shared.list().await?);
        }
        Ok(rules)
    }

    /// Removes rule `id` (a shared one everywhere); whether it existed.
    ///
    /// # Errors
    /// (`--redis`) Redis is unavailable.
    pub async fn remove(&self, id: u64) -> Result<bool, FaultError> {
        match &self.shared {
            Some(shared) if id >= FIRST_SHARED_FAULT_ID => shared.remove(id).await,
            _ => Ok(self.local.remove(id)),
        }
    }

    /// Removes every rule: the shared ones and this instance's `--fault` ones; how many there
    /// were.
    ///
    /// # Errors
    /// (`--redis`) Redis is unavailable; nothing was removed.
    pub async fn clear(&self) -> Result<usize, FaultError> {
        let shared = match &self.shared {
            Some(shared) => shared.clear().await?,
            None => 0,
        };
        Ok(shared + self.local.clear())
    }
}
