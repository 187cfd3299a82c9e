//! The relay consumer of the outbox: forwards each queued request to its bot's upstream, in
//! order per chat, within WeCom's limits, and retries until it is delivered or refused for good.
//!
//! - **Order**: of the requests queued for one chat (as their `chatid` reads), only the oldest is
//!   ever in flight; the next waits until it is delivered or failed. (A held request of a
//!   `manual` relay does not block the ones released after it.)
//! - **Pacing**: before each attempt the request is charged to sliding windows of the upstream
//!   bot and of its chats, with the numbers of `--relay-limits` (the same profiles as
//!   `--limits`); a full window delays it by a second without an attempt, so the upstream never
//!   sees a 45009 storm from Hookpit.
//! - **Retries** by WeCom's answer ([`super::upstream::classify`]): 45009/45033 back off from
//!   10 s, -1, HTTP 5xx, timeouts and connection errors from 1 s, doubling up to a minute with
//!   ±20% jitter `[U]`, until `--relay-max-age` has passed since the request arrived; a
//!   permanent refusal fails at once, keeping the upstream's errcode and errmsg.
//! - **Media** (`body.rs`): a file, voice, mini-program cover or card attachment is uploaded
//!   to the upstream first, once; its upstream media id is kept for WeCom's 3 days.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hookpit_protocol::ChatTargets;
use serde_json::{Value, json};

use super::body::{forwarded_body, merged_body};
use super::upstream::{Outcome, Upstream};
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::domain::{Attempt, AttemptDone, Consumer, OutboxRecord, OutboxStatus, RelayConfig};
use crate::limit::{Limits, RateLimiter};

/// How often the queue is looked at (the clock may be a test's manual one).
const RECHECK: Duration = Duration::from_millis(100);
/// Pending entries read per look.
const WINDOW: u32 = 2000;
/// A chat whose window is full is looked at again after this long.
const PACE: Duration = Duration::from_secs(1);
/// At most this many queued messages are looked at for one merged message.
const MERGE_MAX: usize = 200;

/// One chat's queue: the bot, and the chat as the requests' `chatid` reads.
type Lane = (String, String);

/// Runs the relay until shutdown.
pub async fn run(state: AppState) {
    let client = match reqwest::Client::builder()
        .timeout(state.config.relay_timeout)
        .user_agent(concat!("Hookpit/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(error = %error, "relay: cannot build the HTTP client; nothing will be forwarded");
            return;
        }
    };
    let pacing = Arc::new(RateLimiter::new(Limits::of_profile(
        state.config.relay_limits,
    )));
    seed_pacing(&state, &pacing).await;
    let busy: Arc<Mutex<HashSet<Lane>>> = Arc::new(Mutex::new(HashSet::new()));
    let mut not_before: HashMap<Lane, i64> = HashMap::new();
    // Lanes that were held back by their limit and still have a backlog: they merge
    // (`--relay-merge`) until the backlog is gone.
    let mut congested: HashSet<Lane> = HashSet::new();
    let mut stop = state.shutdown.clone();
    loop {
        if *stop.borrow() {
            return;
        }
        let now = state.clock.now_millis();
        // The lanes in flight, taken BEFORE the queue is read: an attempt commits before it
        // leaves `busy`, so a lane not in flight now has its last outcome in what is read next,
        // while one that finishes during the read may be stale in it and is left for the next
        // look.
        let taken: HashSet<Lane> = busy.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let pending = match state.store.pending_outbox(Consumer::Relay, WINDOW).await {
            Ok(pending) => pending,
            Err(error) => {
                tracing::warn!(error = %error, "relay: cannot read the outbox");
                Vec::new()
            }
        };
        let lanes = lanes(pending);
        congested.retain(|lane| lanes.iter().any(|(queued, _)| queued == lane));
        for (lane, queue) in lanes {
            let head = &queue[0];
            if taken.contains(&lane)
                || head.next_attempt_at > now
                || not_before.get(&lane).is_some_and(|at| *at > now)
            {
                continue;
            }
            let Some(config) = state.relays.get(&head.bot_id) else {
                give_up(&state, head, "the bot does not relay any more").await;
                continue;
            };
            let targets = ChatTargets::parse_unchecked(Some(&lane.1));
            if pacing
                .check_send(&config.upstream_key(), &targets, state.clock.now())
                .await
                .is_err()
            {
                let pace = i64::try_from(PACE.as_millis()).unwrap_or(1000);
                not_before.insert(lane.clone(), now + pace);
                congested.insert(lane);
                continue;
            }
            not_before.remove(&lane);
            if queue.len() == 1 {
                congested.remove(&lane);
            }
            let held_back = congested.contains(&lane);
            let mut queue = queue.into_iter();
            let Some(record) = queue.next() else { continue };
            let followers: Vec<OutboxRecord> = match state.config.relay_merge {
                Some(window) if held_back => mergeable(&record, queue, window, now),
                _ => Vec::new(),
            };
            busy.lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(lane.clone());
            state.relays.set_in_flight(record.id, true);
            announce(&state, &record);
            let (state, client, busy) = (state.clone(), client.clone(), Arc::clone(&busy));
            tokio::spawn(async move {
                attempt(&state, &client, &config, record, followers).await;
                busy.lock().unwrap_or_else(|e| e.into_inner()).remove(&lane);
                state.relay_wakeup.wake();
            });
        }
        tokio::select! {
            () = state.relay_wakeup.woken() => {}
            () = tokio::time::sleep(RECHECK) => {}
            _ = stop.changed() => {}
        }
    }
}

/// The pending entries by chat, each chat's in queue order, chats in the order of their oldest.
/// Held entries (manual, not released) are left out: they do not block the ones after them.
fn lanes(pending: Vec<OutboxRecord>) -> Vec<(Lane, Vec<OutboxRecord>)> {
    let mut lanes: Vec<(Lane, Vec<OutboxRecord>)> = Vec::new();
    let mut index: HashMap<Lane, usize> = HashMap::new();
    for record in pending {
        if record.next_attempt_at == i64::MAX {
            continue;
        }
        let lane: Lane = (record.bot_id.clone(), record.chatid.clone());
        match index.get(&lane) {
            Some(at) => lanes[*at].1.push(record),
            None => {
                index.insert(lane.clone(), lanes.len());
                lanes.push((lane, vec![record]));
            }
        }
    }
    lanes
}

/// The entries after `head` that may travel with it (`--relay-merge`): due, never tried, and
/// arrived within `window` of it. Whether their bodies can be joined is [`merge`]'s to say.
fn mergeable(
    head: &OutboxRecord,
    rest: impl Iterator<Item = OutboxRecord>,
    window: Duration,
    now: i64,
) -> Vec<OutboxRecord> {
    let window = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    rest.take_while(|record| {
        record.next_attempt_at <= now
            && record.attempts.is_empty()
            && record.created_at.saturating_sub(head.created_at) <= window
    })
    .take(MERGE_MAX)
    .collect()
}

/// Charges the pacing windows with what was delivered in the last minute, so that a restart
/// does not make the relay forget what the upstream's windows still count.
async fn seed_pacing(state: &AppState, pacing: &RateLimiter) {
    let since = state.clock.now_millis() - 61_000;
    let delivered = match state.store.delivered_since(Consumer::Relay, since).await {
        Ok(delivered) => delivered,
        Err(error) => {
            tracing::warn!(error = %error, "relay: cannot read the last minute's deliveries");
            return;
        }
    };
    for (bot_id, chat, at) in delivered {
        let Some(config) = state.relays.get(&bot_id) else {
            continue;
        };
        let at = std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(at).unwrap_or(0));
        let targets = ChatTargets::parse_unchecked(Some(&chat));
        let _ = pacing
            .check_send(&config.upstream_key(), &targets, at)
            .await;
    }
}

/// Fails `record` for good, without an attempt at the upstream.
async fn give_up(state: &AppState, record: &OutboxRecord, why: &str) {
    let now = state.clock.now_millis();
    finish(
        state,
        record,
        now,
        OutboxStatus::Failed,
        now,
        Attempt {
            at: rfc3339(now),
            http_status: None,
            latency_ms: 0,
            error: Some(why.to_owned()),
        },
        json!({"upstream_errmsg": why}),
    )
    .await;
}

/// Records one attempt and announces the entry's new state.
async fn finish(
    state: &AppState,
    record: &OutboxRecord,
    now: i64,
    status: OutboxStatus,
    next_attempt_at: i64,
    attempt: Attempt,
    outcome: Value,
) {
    let done = AttemptDone {
        id: record.id,
        attempt,
        status,
        next_attempt_at,
        now,
        outcome,
    };
    let finished = state.store.finish_attempt(done).await;
    state.relays.set_in_flight(record.id, false);
    match finished {
        Ok(record) => announce(state, &record),
        Err(error) => tracing::error!(error = %error, "relay: cannot record an attempt"),
    }
}

/// Sends `record`'s state to the event stream.
fn announce(state: &AppState, record: &OutboxRecord) {
    state.announce_relay(record);
}

/// One attempt at forwarding `record` to `config`'s upstream — with as many of `followers`
/// as can be merged into it (`--relay-merge`; none otherwise).
async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    config: &RelayConfig,
    record: OutboxRecord,
    followers: Vec<OutboxRecord>,
) {
    let started = Instant::now();
    let upstream = Upstream {
        client,
        send_url: &config.upstream,
    };
    let (body, carried) = match merged_body(state, &record, followers).await {
        Some((body, carried)) => (Ok(body), carried),
        None => (
            forwarded_body(state, &upstream, config, &record).await,
            Vec::new(),
        ),
    };
    let outcome = match body {
        Ok(body) => upstream.send(body).await,
        Err(outcome) => outcome,
    };
    let now = state.clock.now_millis();
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let tries = record.attempts.len() + 1;
    let (status, next, error, errcode, errmsg, http_status) = match &outcome {
        Outcome::Delivered => (
            OutboxStatus::Delivered,
            now,
            None,
            Some(0),
            "ok".to_owned(),
            Some(200),
        ),
        Outcome::Permanent {
            errcode,
            errmsg,
            http_status,
        } => (
            OutboxStatus::Failed,
            now,
            Some(errmsg.clone()),
            *errcode,
            errmsg.clone(),
            *http_status,
        ),
        Outcome::Transient {
            errcode,
            errmsg,
            http_status,
            slow_down,
        } => {
            let wait = backoff(tries, *slow_down);
            let max_age = i64::try_from(state.config.relay_max_age.as_millis()).unwrap_or(i64::MAX);
            let next = now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
            if next.saturating_sub(record.created_at) > max_age {
                let why = format!(
                    "gave up after {}: {errmsg}",
                    humantime::format_duration(state.config.relay_max_age)
                );
                (
                    OutboxStatus::Failed,
                    now,
                    Some(why.clone()),
                    *errcode,
                    why,
                    *http_status,
                )
            } else {
                (
                    OutboxStatus::Pending,
                    next,
                    Some(errmsg.clone()),
                    *errcode,
                    errmsg.clone(),
                    *http_status,
                )
            }
        }
    };
    state
        .metrics
        .relay_attempt(status == OutboxStatus::Delivered, errcode);
    if let Some(error) = &error {
        tracing::info!(
            upstream = %config.masked_upstream(),
            request = %record.reference.as_deref().unwrap_or(""),
            status = status.as_str(),
            error = %error,
            "relay attempt"
        );
    }
    let delivered_at = (status == OutboxStatus::Delivered).then(|| rfc3339(now));
    let attempt = Attempt {
        at: rfc3339(now),
        http_status,
        latency_ms,
        error,
    };
    // The merged originals end with the message that carried them; when it did not get
    // through they stay queued as they were, to be merged (or sent) again.
    if status == OutboxStatus::Delivered {
        for follower in &carried {
            let outcome = json!({
                "upstream_errcode": 0,
                "upstream_errmsg": "ok",
                "http_status": http_status,
                "delivered_at": delivered_at,
                "carried_by": record.reference,
            });
            finish(state, follower, now, status, now, attempt.clone(), outcome).await;
        }
    }
    let carried: Vec<&str> = carried
        .iter()
        .filter_map(|follower| follower.reference.as_deref())
        .collect();
    let mut outcome = json!({
        "upstream_errcode": errcode,
        "upstream_errmsg": errmsg,
        "http_status": http_status,
        "delivered_at": delivered_at,
    });
    if !carried.is_empty() {
        outcome["carried"] = json!(carried);
    }
    finish(state, &record, now, status, next, attempt, outcome).await;
}

/// The wait before retry number `tries` (1 = the first retry): from 1 s (10 s when the
/// upstream asks to slow down), doubling, at most a minute, ±20%.
fn backoff(tries: usize, slow_down: bool) -> Duration {
    // [U] Relay retry spacing: not WeCom's; what keeps a burst from hammering it.
    let base = if slow_down { 10_000_u64 } else { 1_000 };
    let exponent = u32::try_from(tries.saturating_sub(1).min(10)).unwrap_or(10);
    let wait = base
        .saturating_mul(2_u64.saturating_pow(exponent))
        .min(60_000);
    let jitter = wait / 5;
    Duration::from_millis(wait - jitter + fastrand::u64(..=2 * jitter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_minute_with_jitter() {
        for (tries, slow, middle) in [
            (1, false, 1_000),
            (2, false, 2_000),
            (1, true, 10_000),
            (3, true, 40_000),
            (9, false, 60_000),
        ] {
            let wait = backoff(tries, slow).as_millis();
            assert!(
                wait >= middle * 8 / 10 && wait <= middle * 12 / 10,
                "{tries} {slow}: {wait}"
            );
        }
    }
}
