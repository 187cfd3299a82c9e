//! Fault injection, off unless asked for: rules that make matching webhook calls fail the way
//! WeCom (or a gateway in front of it) fails — an errcode with its exact errmsg, a 502, a delay,
//! a dropped connection, a hang — so that a sender's handling of 45009 and -1 can be seen and
//! tested. Mailpit's chaos triggers and slack-mock's `injectFault` are the anchors.
//!
//! - [`rule`]: what a rule matches, does and when (`times`, `every`, `probability` + `seed`,
//!   `until`), and the `--fault SPEC` syntax.
//! - Here: [`Faults`], the rules in force (in memory: a restart clears the API's rules and
//!   brings back the `--fault` ones), and `/api/v1/faults`.
//! - The webhook endpoints ask [`Faults::decide`] once they know the bot, the type and the chats
//!   of a call, and apply the effect (`webhook/injected.rs`). A faulted call is not stored (a
//!   delay is, after the delay), is listed among the rejections with `"injected": true`, and is
//!   counted in `/metrics`.

pub mod rule;

use std::sync::Mutex;
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use rule::{Call, Effect, Match, NewRule, parse_spec};

use crate::api::error::{ApiError, ApiResult, ErrorBody, JsonBody, PathParams};
use crate::app::AppState;
use crate::clock::rfc3339;

/// One rule in force, with its counters.
#[derive(Debug)]
struct Rule {
    id: u64,
    new: NewRule,
    until: Option<SystemTime>,
    /// `api` or `flag`.
    source: &'static str,
    /// Calls that matched.
    matched: u64,
    /// Calls it was applied to.
    injected: u64,
    rng: fastrand::Rng,
}

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
    /// Calls that matched.
    pub matched: u64,
    /// Calls it was applied to.
    pub injected: u64,
}

impl Rule {
    fn view(&self) -> RuleView {
        RuleView {
            id: self.id,
            rule: self.new.clone(),
            until_at: self.until.map(|until| rfc3339(rule::millis(until))),
            source: self.source,
            matched: self.matched,
            injected: self.injected,
        }
    }

    /// Whether this matching call is one the trigger picks (and counts it).
    fn fires(&mut self, now: SystemTime) -> bool {
        self.matched += 1;
        if self.until.is_some_and(|until| now >= until) {
            return false;
        }
        if self.new.times.is_some_and(|times| self.injected >= times) {
            return false;
        }
        if self
            .new
            .every
            .is_some_and(|every| !self.matched.is_multiple_of(every))
        {
            return false;
        }
        if let Some(probability) = self.new.probability
            && self.rng.f64() >= probability
        {
            return false;
        }
        self.injected += 1;
        true
    }
}

/// The rules in force.
#[derive(Debug, Default)]
pub struct Faults {
    // A std Mutex: held for a scan of a few rules, never across an await.
    rules: Mutex<Vec<Rule>>,
    next_id: Mutex<u64>,
}

impl Faults {
    /// The rules of `--fault`.
    ///
    /// # Errors
    /// A spec that does not parse or validate, with the spec quoted.
    pub fn from_specs(specs: &[String], now: SystemTime) -> Result<Faults, String> {
        let faults = Faults::default();
        for spec in specs {
            let rule = parse_spec(spec).map_err(|why| format!("--fault {spec:?}: {why}"))?;
            faults
                .add(rule, "flag", now)
                .map_err(|why| format!("--fault {spec:?}: {why}"))?;
        }
        Ok(faults)
    }

    /// Adds a rule; returns it.
    ///
    /// # Errors
    /// The rule is not valid.
    pub fn add(
        &self,
        new: NewRule,
        source: &'static str,
        now: SystemTime,
    ) -> Result<RuleView, String> {
        let until = new.validate(now)?;
        let id = {
            let mut next = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            *next
        };
        let rng = match new.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        let rule = Rule {
            id,
            new,
            until,
            source,
            matched: 0,
            injected: 0,
            rng,
        };
        let view = rule.view();
        self.rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(rule);
        Ok(view)
    }

    /// The effect for `call`, from the first rule that matches it and fires.
    pub fn decide(&self, call: &Call<'_>, now: SystemTime) -> Option<Effect> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        if rules.is_empty() {
            return None;
        }
        rules
            .iter_mut()
            .filter(|rule| rule.new.matches.matches(call))
            .find_map(|rule| rule.fires(now).then(|| rule.new.effect.clone()))
    }

    /// Every rule, in the order they are tried.
    pub fn list(&self) -> Vec<RuleView> {
        self.rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(Rule::view)
            .collect()
    }

    /// Removes rule `id`; whether it existed.
    pub fn remove(&self, id: u64) -> bool {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let before = rules.len();
        rules.retain(|rule| rule.id != id);
        rules.len() < before
    }

    /// Removes every rule; how many there were.
    pub fn clear(&self) -> usize {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let count = rules.len();
        rules.clear();
        count
    }
}

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_faults, add_fault, clear_faults))
        .routes(routes!(remove_fault))
}

#[derive(Serialize, ToSchema)]
struct FaultList {
    faults: Vec<RuleView>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = FaultsCleared)]
struct Cleared {
    deleted: usize,
}

/// The fault rules in force, in the order they are tried.
#[utoipa::path(
    get,
    path = "/faults",
    tag = "faults",
    responses((status = 200, description = "The rules", body = FaultList))
)]
async fn list_faults(State(state): State<AppState>) -> Json<FaultList> {
    Json(FaultList {
        faults: state.faults.list(),
    })
}

/// Adds a fault rule: matching webhook calls fail as it says (the first rule that fires wins).
#[utoipa::path(
    post,
    path = "/faults",
    tag = "faults",
    request_body = NewRule,
    responses(
        (status = 201, description = "The rule, in force", body = RuleView),
        (status = 400, description = "A bad rule (the field is named)", body = ErrorBody),
    )
)]
async fn add_fault(
    State(state): State<AppState>,
    JsonBody(rule): JsonBody<NewRule>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    let view = state
        .faults
        .add(rule, "api", state.clock.now())
        .map_err(ApiError::bad_request)?;
    tracing::info!(
        fault = view.id,
        effect = view.rule.effect.name(),
        "fault rule added"
    );
    Ok((StatusCode::CREATED, Json(view)))
}

/// Removes a fault rule.
#[utoipa::path(
    delete,
    path = "/faults/{id}",
    tag = "faults",
    params(("id" = u64, Path, description = "The rule's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "The id is not a whole number", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
    )
)]
async fn remove_fault(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<StatusCode> {
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("a fault id is a whole number"))?;
    if state.faults.remove(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("fault {id} not found")))
    }
}

/// Removes every fault rule (those of `--fault` too).
#[utoipa::path(
    delete,
    path = "/faults",
    tag = "faults",
    responses((status = 200, description = "How many were removed", body = Cleared))
)]
async fn clear_faults(State(state): State<AppState>) -> Json<Cleared> {
    Json(Cleared {
        deleted: state.faults.clear(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    const NOW: SystemTime = UNIX_EPOCH;

    fn call(chats: &[String]) -> Call<'_> {
        Call {
            key: "k",
            bot_id: "b",
            endpoint: "send",
            msgtype: "text",
            chatids: chats,
        }
    }

    fn fired(faults: &Faults, calls: usize, now: SystemTime) -> Vec<bool> {
        (0..calls)
            .map(|_| faults.decide(&call(&[]), now).is_some())
            .collect()
    }

    #[test]
    fn times_every_and_until_pick_the_calls() {
        let faults = Faults::from_specs(&["errcode=45009,times=2".to_owned()], NOW).unwrap();
        assert_eq!(fired(&faults, 4, NOW), [true, true, false, false]);
        let faults = Faults::from_specs(&["errcode=-1,every=3".to_owned()], NOW).unwrap();
        assert_eq!(
            fired(&faults, 6, NOW),
            [false, false, true, false, false, true]
        );
        let faults = Faults::from_specs(&["drop,until=10s".to_owned()], NOW).unwrap();
        assert_eq!(fired(&faults, 1, NOW), [true]);
        assert_eq!(fired(&faults, 1, NOW + Duration::from_secs(10)), [false]);
    }

    #[test]
    fn a_seeded_probability_repeats_itself() {
        let spec = "http_status=502,probability=0.5,seed=42".to_owned();
        let first = fired(
            &Faults::from_specs(std::slice::from_ref(&spec), NOW).unwrap(),
            50,
            NOW,
        );
        let second = fired(&Faults::from_specs(&[spec], NOW).unwrap(), 50, NOW);
        assert_eq!(first, second);
        let hits = first.iter().filter(|hit| **hit).count();
        assert!((10..40).contains(&hits), "{hits} of 50");
    }

    #[test]
    fn the_first_rule_that_fires_wins_and_rules_can_be_removed() {
        let faults = Faults::from_specs(
            &["errcode=45009,times=1".to_owned(), "errcode=-1".to_owned()],
            NOW,
        )
        .unwrap();
        assert_eq!(
            faults.decide(&call(&[]), NOW),
            Some(Effect::Errcode { errcode: 45009 })
        );
        assert_eq!(
            faults.decide(&call(&[]), NOW),
            Some(Effect::Errcode { errcode: -1 })
        );
        let views = faults.list();
        assert_eq!((views[0].matched, views[0].injected), (2, 1));
        assert!(faults.remove(views[1].id));
        assert_eq!(faults.decide(&call(&[]), NOW), None);
        assert_eq!(faults.clear(), 1);
    }
}
