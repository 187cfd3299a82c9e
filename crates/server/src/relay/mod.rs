//! The relay: Hookpit in front of real WeCom. A bot with an upstream (a WeCom webhook URL)
//! accepts at once, stores and shows each message, and forwards it to WeCom within WeCom's
//! limits, retrying until it is delivered or refused for good — so a burst of alerts or a
//! network blip loses nothing. Mailpit's relay and release are the pattern.
//!
//! - Configuration: `--relay KEY=URL[,manual]` at start-up, and `PUT/GET/DELETE
//!   /api/v1/bots/{id}/relay` (`{upstream, mode: all|manual}`). The upstream key is a secret:
//!   logs, the API and the inbox show its first 4 characters only.
//! - Queue: an accepted request of a relaying bot joins the outbox in the transaction that
//!   stores it (the same outbox as callbacks, another consumer), so a restart or a crash
//!   resumes it. What goes upstream is the request's own body (only media ids are swapped for
//!   the upstream's), so WeCom's identical-body rule sees what the sender sent.
//! - [`worker`]: pacing per upstream bot and per chat with `--relay-limits`, one request per
//!   chat at a time in order, retries by errcode ([`upstream::classify`]), media uploaded once
//!   per upstream and remembered for WeCom's 3 days.
//! - [`merge`] (`--relay-merge WINDOW`): a chat held back by its limit forwards its waiting
//!   text or markdown messages as one, each original shown delivered and carried by it.
//! - In `manual` mode a message waits until `POST /api/v1/messages/{id}/release`; a failed one
//!   goes back with `POST /api/v1/messages/{id}/retry`.

pub mod api;
mod body;
pub mod merge;
pub mod upstream;
pub mod worker;

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, RwLock};

use serde_json::json;

use crate::domain::{Consumer, NewOutboxEntry, OutboxRecord, RelayConfig, RelayJob, RelayMode};

/// The upstreams in force, by bot id (mirrors the store; read on every send of a relaying bot).
#[derive(Debug, Default)]
pub struct Relays {
    // A std RwLock: held for a lookup or a swap, never across an await.
    by_bot: RwLock<HashMap<String, RelayConfig>>,
    /// The outbox entries being sent upstream now (shown `delivering`).
    in_flight: Mutex<HashSet<i64>>,
}

impl Relays {
    /// The upstreams of `configs`.
    pub fn new(configs: Vec<RelayConfig>) -> Relays {
        Relays {
            by_bot: RwLock::new(
                configs
                    .into_iter()
                    .map(|config| (config.bot_id.clone(), config))
                    .collect(),
            ),
            in_flight: Mutex::default(),
        }
    }

    /// The state of relay entry `record`, as the API and the event stream show it.
    pub fn view(&self, record: &OutboxRecord) -> RelayView {
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&record.id);
        RelayView::of(record, in_flight)
    }

    /// Entry `id` is being sent (`true`) or its attempt has been recorded (`false`).
    pub fn set_in_flight(&self, id: i64, in_flight: bool) {
        let mut set = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if in_flight {
            set.insert(id);
        } else {
            set.remove(&id);
        }
    }

    /// The upstream of `bot_id`, if it relays.
    pub fn get(&self, bot_id: &str) -> Option<RelayConfig> {
        self.by_bot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(bot_id)
            .cloned()
    }

    /// Every upstream.
    pub fn all(&self) -> Vec<RelayConfig> {
        let mut all: Vec<RelayConfig> = self
            .by_bot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| a.bot_id.cmp(&b.bot_id));
        all
    }

    /// Sets or replaces `config`.
    pub fn set(&self, config: RelayConfig) {
        self.by_bot
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(config.bot_id.clone(), config);
    }

    /// Stops relaying `bot_id`.
    pub fn remove(&self, bot_id: &str) {
        self.by_bot
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(bot_id);
    }

    /// The outbox entry forwarding request `request_id` of `bot_id` (whose `chatid` reads
    /// `chat`), if the bot relays: held in `manual` mode, due at once otherwise.
    pub fn entry_for(&self, bot_id: &str, request_id: &str, chat: &str) -> Option<NewOutboxEntry> {
        let config = self.get(bot_id)?;
        let held = config.mode == RelayMode::Manual;
        let job = RelayJob {
            request_id: request_id.to_owned(),
            held,
        };
        Some(NewOutboxEntry {
            consumer: Consumer::Relay,
            bot_id: bot_id.to_owned(),
            chatid: chat.to_owned(),
            item: serde_json::to_value(&job).unwrap_or(json!({})),
            chat_info_code: None,
            reference: Some(request_id.to_owned()),
            due_at: held.then_some(i64::MAX),
        })
    }
}

/// A relayed request's state, as message items and the `relay` SSE event show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = RelayState)]
pub struct RelayView {
    /// The request forwarded.
    pub request_id: String,
    pub bot_id: String,
    /// `held` (manual, not released), `queued`, `delivering` (an attempt in flight),
    /// `delivered`, `failed`.
    #[schema(value_type = String, example = "queued")]
    pub status: &'static str,
    pub attempts: usize,
    /// RFC 3339; only while queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    /// WeCom's last answer (absent without one: a connection error, a timeout).
    pub upstream_errcode: Option<i64>,
    pub upstream_errmsg: Option<String>,
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
    /// The request whose merged message carried this one (`--relay-merge`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carried_by: Option<String>,
}

impl RelayView {
    /// The view of a relay outbox entry; `in_flight` while an attempt at it is under way.
    fn of(record: &OutboxRecord, in_flight: bool) -> RelayView {
        use crate::domain::OutboxStatus;
        let held = record.status == OutboxStatus::Pending && record.next_attempt_at == i64::MAX;
        let status = match record.status {
            OutboxStatus::Pending if held => "held",
            OutboxStatus::Pending if in_flight => "delivering",
            OutboxStatus::Pending => "queued",
            OutboxStatus::Delivered => "delivered",
            OutboxStatus::Failed => "failed",
        };
        let text = |key: &str| {
            record
                .outcome
                .get(key)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        RelayView {
            request_id: record.reference.clone().unwrap_or_default(),
            bot_id: record.bot_id.clone(),
            status,
            attempts: record.attempts.len(),
            next_attempt_at: (status == "queued")
                .then(|| crate::clock::rfc3339(record.next_attempt_at)),
            upstream_errcode: record
                .outcome
                .get("upstream_errcode")
                .and_then(serde_json::Value::as_i64),
            upstream_errmsg: text("upstream_errmsg"),
            delivered_at: text("delivered_at"),
            carried_by: text("carried_by"),
        }
    }
}

/// `--relay KEY=URL[,manual]`: the bot holding KEY forwards to the WeCom webhook URL.
///
/// # Errors
/// A sentence naming what is wrong.
pub fn parse_flag(spec: &str) -> Result<(String, String, RelayMode), String> {
    let (key, rest) = spec.split_once('=').ok_or_else(|| {
        format!("--relay {spec:?}: give KEY=URL (the bot's key = the WeCom webhook URL)")
    })?;
    let (url, mode) = match rest.rsplit_once(',') {
        Some((url, "manual")) => (url, RelayMode::Manual),
        Some((url, "all")) => (url, RelayMode::All),
        _ => (rest, RelayMode::All),
    };
    check_upstream(url).map_err(|why| format!("--relay {}: {why}", crate::app::mask_key(key)))?;
    Ok((key.trim().to_owned(), url.trim().to_owned(), mode))
}

/// An upstream must be a webhook send URL with a key.
///
/// # Errors
/// What is wrong with it.
pub fn check_upstream(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|error| format!("the upstream is not a URL ({error})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("the upstream must be an http(s) URL".to_owned());
    }
    if !parsed.path().ends_with("/cgi-bin/webhook/send") {
        return Err(
            "the upstream must be a WeCom webhook send URL (…/cgi-bin/webhook/send?key=KEY)"
                .to_owned(),
        );
    }
    if crate::domain::relay::url_key(url).is_none_or(|key| key.is_empty()) {
        return Err("the upstream URL has no key=".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relay_flag_names_a_key_a_url_and_a_mode() {
        let (key, url, mode) =
            parse_flag("local-key=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K,manual")
                .unwrap();
        assert_eq!(key, "local-key");
        assert_eq!(
            url,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"
        );
        assert_eq!(mode, RelayMode::Manual);
        assert!(parse_flag("nokey").unwrap_err().contains("KEY=URL"));
        assert!(parse_flag("k=https://qyapi.weixin.qq.com/other?key=K").is_err());
        assert!(parse_flag("k=https://qyapi.weixin.qq.com/cgi-bin/webhook/send").is_err());
    }

    #[test]
    fn a_manual_relay_holds_its_entries() {
        let relays = Relays::new(vec![RelayConfig {
            bot_id: "b".to_owned(),
            upstream: "http://x/cgi-bin/webhook/send?key=k".to_owned(),
            mode: RelayMode::Manual,
            created_at: 0,
        }]);
        let entry = relays.entry_for("b", "r1", "@all_group").unwrap();
        assert_eq!(entry.due_at, Some(i64::MAX));
        assert_eq!(entry.reference.as_deref(), Some("r1"));
        assert!(relays.entry_for("other", "r1", "").is_none());
    }
}
