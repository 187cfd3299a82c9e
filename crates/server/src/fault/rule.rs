//! A fault rule: which webhook calls it matches, what it does to them, and when.
//!
//! Rules are the same whether they come from `POST /api/v1/faults` (JSON) or `--fault SPEC` at
//! start-up ([`parse_spec`]: `key=value` pairs separated by commas).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hookpit_protocol::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which calls a rule applies to; every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = FaultMatch)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// The bot's key, as in the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<String>,
    /// `send`, `upload_media` or `get_chat_info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The message type of a send (or the `type` of an upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msgtype: Option<String>,
    /// A chat id the send's `chatid` names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chatid: Option<String>,
}

/// What a matching call gets instead of (or before) its normal answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = FaultEffect)]
#[serde(untagged, deny_unknown_fields)]
pub enum Effect {
    /// WeCom's answer with this errcode, its exact errmsg and hint.
    Errcode { errcode: i64 },
    /// This HTTP status with a gateway's HTML page, as a proxy in front of WeCom answers.
    HttpStatus { http_status: u16 },
    /// Waits, then processes the call normally (it is stored).
    Delay { delay_ms: u64 },
    /// Closes the connection without an answer.
    Drop { drop: bool },
    /// Never answers, until the client gives up.
    Hang { hang: bool },
}

impl Effect {
    /// A short name, for metrics and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Effect::Errcode { .. } => "errcode",
            Effect::HttpStatus { .. } => "http_status",
            Effect::Delay { .. } => "delay",
            Effect::Drop { .. } => "drop",
            Effect::Hang { .. } => "hang",
        }
    }

    fn check(&self) -> Result<(), String> {
        match self {
            Effect::Errcode { errcode } => {
                if *errcode == 40058 || ErrorCode::from_code(*errcode).is_some() {
                    Ok(())
                } else {
                    let known: Vec<String> = ErrorCode::CATALOGUE
                        .iter()
                        .map(|e| e.code().to_string())
                        .collect();
                    Err(format!(
                        "errcode {errcode} is not in Hookpit's catalogue; known: 40058, {}",
                        known.join(", ")
                    ))
                }
            }
            Effect::HttpStatus { http_status } => {
                if (400..600).contains(http_status) {
                    Ok(())
                } else {
                    Err(format!(
                        "http_status {http_status}: give an error status (400–599), e.g. 502"
                    ))
                }
            }
            Effect::Delay { delay_ms } if *delay_ms > 600_000 => {
                Err("delay_ms is at most 600000 (10 minutes)".to_owned())
            }
            Effect::Drop { drop: false } | Effect::Hang { hang: false } => {
                Err("drop and hang take true".to_owned())
            }
            _ => Ok(()),
        }
    }
}

/// A rule as it is asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = NewFaultRule)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    #[serde(default, rename = "match")]
    pub matches: Match,
    pub effect: Effect,
    /// Only the next N matching calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Only every Nth matching call (the Nth, the 2Nth, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Each matching call with this probability (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// The seed of `probability`, so that a test is repeatable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Only until this time: RFC 3339, or a duration from now (`90s`, `5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

impl NewRule {
    /// Checks the numbers, and resolves `until` against `now`.
    ///
    /// # Errors
    /// A sentence naming the field that is wrong.
    pub fn validate(&self, now: SystemTime) -> Result<Option<SystemTime>, String> {
        self.effect.check()?;
        if self.times == Some(0) {
            return Err("times must be at least 1".to_owned());
        }
        if self.every == Some(0) {
            return Err("every must be at least 1".to_owned());
        }
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err("probability must be between 0 and 1".to_owned());
        }
        if let Some(endpoint) = &self.matches.endpoint
            && !matches!(endpoint.as_str(), "send" | "upload_media" | "get_chat_info")
        {
            return Err(format!(
                "match.endpoint {endpoint:?}: send, upload_media or get_chat_info"
            ));
        }
        match &self.until {
            None => Ok(None),
            Some(text) => parse_until(text, now).map(Some),
        }
    }
}

/// `until`: an RFC 3339 time, or a duration from `now`.
fn parse_until(text: &str, now: SystemTime) -> Result<SystemTime, String> {
    if let Ok(duration) = humantime::parse_duration(text) {
        return Ok(now + duration);
    }
    humantime::parse_rfc3339_weak(text).map_err(|_| {
        format!("until {text:?}: give an RFC 3339 time (2026-01-01T12:00:00Z) or a duration (90s)")
    })
}

/// What a webhook call is, for matching.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub key: &'a str,
    pub bot_id: &'a str,
    pub endpoint: &'static str,
    pub msgtype: &'a str,
    /// The ids the call's `chatid` names.
    pub chatids: &'a [String],
}

impl Match {
    /// Whether `call` is one of the calls this matches.
    pub fn matches(&self, call: &Call<'_>) -> bool {
        self.key.as_deref().is_none_or(|key| key == call.key)
            && self.bot_id.as_deref().is_none_or(|id| id == call.bot_id)
            && self.endpoint.as_deref().is_none_or(|e| e == call.endpoint)
            && self.msgtype.as_deref().is_none_or(|t| t == call.msgtype)
            && self
                .chatid
                .as_deref()
                .is_none_or(|chatid| call.chatids.iter().any(|c| c == chatid))
    }
}

/// `--fault SPEC`: comma-separated `key=value` pairs, e.g.
/// `errcode=45009,times=3,endpoint=send` or `http_status=502,probability=0.3,seed=7`.
///
/// # Errors
/// A sentence naming the pair that is wrong.
pub fn parse_spec(spec: &str) -> Result<NewRule, String> {
    let mut matches = Match::default();
    let mut effect: Option<Effect> = None;
    let mut rule = NewRule {
        matches: Match::default(),
        effect: Effect::Drop { drop: true },
        times: None,
        every: None,
        probability: None,
        seed: None,
        until: None,
    };
    let mut set_effect = |new: Effect| -> Result<(), String> {
        if effect.replace(new).is_some() {
            return Err("give one effect: errcode, http_status, delay_ms, drop or hang".to_owned());
        }
        Ok(())
    };
    for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, "true"));
        let number = |what: &str| -> Result<u64, String> {
            value
                .parse()
                .map_err(|_| format!("{what}={value}: not a whole number"))
        };
        match name {
            "errcode" => set_effect(Effect::Errcode {
                errcode: value
                    .parse()
                    .map_err(|_| format!("errcode={value}: not a number"))?,
            })?,
            "http_status" => set_effect(Effect::HttpStatus {
                http_status: value
                    .parse()
                    .map_err(|_| format!("http_status={value}: not a status"))?,
            })?,
            "delay_ms" => set_effect(Effect::Delay {
                delay_ms: number("delay_ms")?,
            })?,
            "delay" => set_effect(Effect::Delay {
                delay_ms: humantime::parse_duration(value)
                    .map_err(|_| format!("delay={value}: a duration such as 2s"))?
                    .as_millis()
                    .try_into()
                    .unwrap_or(u64::MAX),
            })?,
            "drop" => set_effect(Effect::Drop { drop: true })?,
            "hang" => set_effect(Effect::Hang { hang: true })?,
            "times" => rule.times = Some(number("times")?),
            "every" => rule.every = Some(number("every")?),
            "probability" => {
                rule.probability = Some(
                    value
                        .parse()
                        .map_err(|_| format!("probability={value}: a number from 0 to 1"))?,
                );
            }
            "seed" => rule.seed = Some(number("seed")?),
            "until" => rule.until = Some(value.to_owned()),
            "key" => matches.key = Some(value.to_owned()),
            "bot_id" | "bot" => matches.bot_id = Some(value.to_owned()),
            "endpoint" => matches.endpoint = Some(value.to_owned()),
            "msgtype" => matches.msgtype = Some(value.to_owned()),
            "chatid" => matches.chatid = Some(value.to_owned()),
            other => {
                return Err(format!(
                    "{other:?} is not a fault setting (effects: errcode, http_status, delay_ms, \
                     delay, drop, hang; triggers: times, every, probability, seed, until; \
                     match: key, bot_id, endpoint, msgtype, chatid)"
                ));
            }
        }
    }
    rule.effect = effect.ok_or_else(|| {
        "no effect: give errcode=N, http_status=N, delay_ms=N, drop or hang".to_owned()
    })?;
    rule.matches = matches;
    Ok(rule)
}

/// The draw of a `probability` rule with `seed` for its `match_number`th matching call (from 1),
/// in `[0, 1)`: the first 32 bits of SHA-1 of `"SEED:N"`. A function of the two numbers rather
/// than a generator's state, so that instances sharing a rule through Redis draw from the
/// cluster-wide match number and pick the calls one instance would; `cluster/faults.rs` computes
/// the same in Lua with `redis.sha1hex`.
pub fn draw(seed: u64, match_number: u64) -> f64 {
    use sha1::{Digest, Sha1};
    let digest = Sha1::digest(format!("{seed}:{match_number}").as_bytes());
    let high = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    f64::from(high) / 4_294_967_296.0
}

/// Unix milliseconds of `time`.
pub(super) fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
        .try_into()
        .unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_reads_as_the_json_rule_would() {
        let rule = parse_spec("errcode=45009, times=3, endpoint=send, chatid=wrk1").unwrap();
        assert_eq!(rule.effect, Effect::Errcode { errcode: 45009 });
        assert_eq!(rule.times, Some(3));
        assert_eq!(rule.matches.endpoint.as_deref(), Some("send"));
        let json: NewRule = serde_json::from_value(serde_json::json!({
            "match": {"endpoint": "send", "chatid": "wrk1"},
            "effect": {"errcode": 45009},
            "times": 3
        }))
        .unwrap();
        assert_eq!(json, rule);
        assert_eq!(
            parse_spec("delay=1500ms").unwrap().effect,
            Effect::Delay { delay_ms: 1500 }
        );
        assert_eq!(
            parse_spec("hang").unwrap().effect,
            Effect::Hang { hang: true }
        );
    }

    #[test]
    fn a_bad_spec_says_what_is_wrong() {
        assert!(parse_spec("times=3").unwrap_err().contains("no effect"));
        assert!(parse_spec("drop,hang").unwrap_err().contains("one effect"));
        assert!(
            parse_spec("errcode=x")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            parse_spec("colour=red")
                .unwrap_err()
                .contains("not a fault setting")
        );
    }

    #[test]
    fn rules_check_their_numbers() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let mut rule = parse_spec("errcode=12345").unwrap();
        assert!(
            rule.validate(now)
                .unwrap_err()
                .contains("not in Hookpit's catalogue")
        );
        rule.effect = Effect::HttpStatus { http_status: 200 };
        assert!(rule.validate(now).is_err());
        rule.effect = Effect::HttpStatus { http_status: 503 };
        rule.until = Some("90s".to_owned());
        assert_eq!(
            rule.validate(now).unwrap(),
            Some(now + Duration::from_secs(90))
        );
        rule.probability = Some(1.5);
        assert!(rule.validate(now).is_err());
    }

    #[test]
    fn a_draw_is_the_first_32_bits_of_sha1_of_seed_and_match_number() {
        // sha1("42:1") = e495b0e6..., as `redis.sha1hex("42:1")` and `sha1sum` say.
        assert_eq!(draw(42, 1), f64::from(0xe495_b0e6_u32) / 4_294_967_296.0);
        let draws: Vec<f64> = (1..=1000).map(|n| draw(7, n)).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        let below = draws.iter().filter(|d| **d < 0.3).count();
        assert!((250..350).contains(&below), "{below} of 1000 below 0.3");
    }

    #[test]
    fn matching_needs_every_field_given() {
        let chats = vec!["wrk1".to_owned()];
        let call = Call {
            key: "k",
            bot_id: "b",
            endpoint: "send",
            msgtype: "text",
            chatids: &chats,
        };
        assert!(Match::default().matches(&call));
        let only_markdown = Match {
            msgtype: Some("markdown".to_owned()),
            ..Match::default()
        };
        assert!(!only_markdown.matches(&call));
        let this_chat = Match {
            chatid: Some("wrk1".to_owned()),
            endpoint: Some("send".to_owned()),
            ..Match::default()
        };
        assert!(this_chat.matches(&call));
    }
}
