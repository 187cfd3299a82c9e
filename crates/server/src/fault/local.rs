//! The rules one instance holds in memory: every rule without `--redis`, and with it the
//! instance's own `--fault` rules (a restart clears the API's rules and brings back the flags).
//!
//! [`Rule::fires`] is the reference of the triggers' semantics; `cluster/faults.rs` runs the same
//! steps in Lua over counters shared by every instance.

use std::sync::Mutex;
use std::time::SystemTime;

use super::RuleView;
use super::rule::{self, Call, Effect, NewRule};
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
    /// Draws of a `probability` without a `seed`.
    rng: fastrand::Rng,
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

    /// Whether this matching call is one the trigger picks (and counts it): every matching call
    /// counts as matched, then `until`, `times`, `every` and `probability` must all agree.
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
        if let Some(probability) = self.new.probability {
            let draw = match self.new.seed {
                Some(seed) => rule::draw(seed, self.matched),
                None => self.rng.f64(),
            };
            if draw >= probability {
                return false;
            }
        }
        self.injected += 1;
        true
    }
}

/// The rules in force on this instance.
#[derive(Debug, Default)]
pub(super) struct LocalRules {
    // A std Mutex: held for a scan of a few rules, never across an await.
    rules: Mutex<Vec<Rule>>,
    next_id: Mutex<u64>,
}

impl LocalRules {
    /// Adds a rule; returns it.
    pub(super) fn add(
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
        let rule = Rule {
            id,
            new,
            until,
            source,
            matched: 0,
            injected: 0,
            rng: fastrand::Rng::new(),
        };
        let view = rule.view();
        self.rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(rule);
        Ok(view)
    }

    /// The effect for `call`, from the first rule that matches it and fires.
    pub(super) fn decide(&self, call: &Call<'_>, now: SystemTime) -> Option<Effect> {
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
    pub(super) fn list(&self) -> Vec<RuleView> {
        self.rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(Rule::view)
            .collect()
    }

    /// Removes rule `id`; whether it existed.
    pub(super) fn remove(&self, id: u64) -> bool {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let before = rules.len();
        rules.retain(|rule| rule.id != id);
        rules.len() < before
    }

    /// Removes every rule; how many there were.
    pub(super) fn clear(&self) -> usize {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let count = rules.len();
        rules.clear();
        count
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::fault::parse_spec;

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

    fn rules(specs: &[&str]) -> LocalRules {
        let rules = LocalRules::default();
        for spec in specs {
            rules.add(parse_spec(spec).unwrap(), "flag", NOW).unwrap();
        }
        rules
    }

    fn fired(rules: &LocalRules, calls: usize, now: SystemTime) -> Vec<bool> {
        (0..calls)
            .map(|_| rules.decide(&call(&[]), now).is_some())
            .collect()
    }

    #[test]
    fn times_every_and_until_pick_the_calls() {
        let faults = rules(&["errcode=45009,times=2"]);
        assert_eq!(fired(&faults, 4, NOW), [true, true, false, false]);
        let faults = rules(&["errcode=-1,every=3"]);
        assert_eq!(
            fired(&faults, 6, NOW),
            [false, false, true, false, false, true]
        );
        let faults = rules(&["drop,until=10s"]);
        assert_eq!(fired(&faults, 1, NOW), [true]);
        assert_eq!(fired(&faults, 1, NOW + Duration::from_secs(10)), [false]);
    }

    #[test]
    fn a_seeded_probability_repeats_itself_and_follows_the_draws_of_its_match_numbers() {
        let spec = "http_status=502,probability=0.5,seed=42";
        let first = fired(&rules(&[spec]), 50, NOW);
        let second = fired(&rules(&[spec]), 50, NOW);
        assert_eq!(first, second);
        let hits = first.iter().filter(|hit| **hit).count();
        assert!((10..40).contains(&hits), "{hits} of 50");
        let expected: Vec<bool> = (1..=50).map(|n| rule::draw(42, n) < 0.5).collect();
        assert_eq!(first, expected);
    }

    #[test]
    fn the_first_rule_that_fires_wins_and_rules_can_be_removed() {
        let faults = rules(&["errcode=45009,times=1", "errcode=-1"]);
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
