//! The callback consumer of the outbox: POSTs each queued callback to its bot's URL as WeCom
//! does (spec §8.5), records every attempt, retries, and hands a passive reply to `passive.rs`.
//!
//! - Each attempt encrypts the stored payload anew (fresh random bytes, timestamp and nonce) and
//!   POSTs `?msg_signature&timestamp&nonce` with the envelope in the bot's format. The payload —
//!   and so its `MsgId` — is the same on every attempt, so receivers can dedupe.
//! - WeCom waits 5 s (`--callback-timeout`); a timeout, a connection error or any status but
//!   200 is a failed attempt. Three attempts in all, 1 s and then 3 s apart on the server's
//!   clock `[U]` (WeCom's "总共重试三次" does not say whether the first counts, nor the spacing).
//! - The response is read up to [`MAX_REPLY_BYTES`]: a receiver that answers 10 MB, garbage,
//!   slowly or never costs a failed attempt or a refused reply, nothing more.
//! - Deliveries run beside everything else (at most [`PARALLEL`] at once); the webhook path and
//!   the inbox never wait for them. One chat's callbacks go one at a time, in order (`lanes.rs`).
//!   Entries pending at shutdown are due again at the next start.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hookpit_protocol::callback::{CallbackCrypto, CallbackEnvelope, CallbackFormat, CallbackQuery};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::lanes::{Lanes, lane_of};
use super::passive;
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::domain::{Attempt, AttemptDone, CallbackJob, Consumer, OutboxRecord, OutboxStatus};

/// Attempts in all, and the wait before each retry.
const RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(3)];
/// Most bytes of a response read; anything longer is not a reply WeCom would take.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;
/// Deliveries in flight at once.
const PARALLEL: usize = 16;
/// How often pending entries are looked at while some wait for a later time (the clock may be a
/// test's manual one, which no timer can wait for).
const RECHECK: Duration = Duration::from_millis(100);
/// How long to sleep when nothing is pending and nobody wakes the worker (a safety net).
const IDLE: Duration = Duration::from_secs(5);

/// Runs the callback deliveries until shutdown.
pub async fn run(state: AppState) {
    let client = match reqwest::Client::builder()
        .timeout(state.config.callback_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Hookpit/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(error = %error, "callbacks: cannot build the HTTP client; no callback will be delivered");
            return;
        }
    };
    let busy: Arc<Mutex<HashSet<i64>>> = Arc::new(Mutex::new(HashSet::new()));
    let slots = Arc::new(Semaphore::new(PARALLEL));
    let lanes = Arc::new(Lanes::default());
    let mut stop = state.shutdown.clone();
    loop {
        if *stop.borrow() {
            return;
        }
        let taken: Vec<i64> = busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect();
        // Entries waiting in a lane count against the slots: at most PARALLEL are held at once.
        let free = slots.available_permits().saturating_sub(lanes.waiting());
        let free = u32::try_from(free).unwrap_or(0);
        let now = state.clock.now_millis();
        let due = if free == 0 {
            Vec::new()
        } else {
            match state
                .store
                .due_outbox(Consumer::Callback, now, taken, free)
                .await
            {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(error = %error, "callbacks: cannot read the outbox");
                    Vec::new()
                }
            }
        };
        for record in due {
            busy.lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(record.id);
            let Some(first) = lanes.enter(record) else {
                continue;
            };
            let (state, client) = (state.clone(), client.clone());
            let (busy, slots, lanes) = (Arc::clone(&busy), Arc::clone(&slots), Arc::clone(&lanes));
            tokio::spawn(async move {
                let lane = lane_of(&first);
                let mut next = Some(first);
                while let Some(record) = next {
                    let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                        return;
                    };
                    let id = record.id;
                    deliver(&state, &client, record).await;
                    busy.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                    drop(slot);
                    state.callbacks.wake();
                    next = lanes.next(&lane);
                }
            });
        }
        let pending = state
            .store
            .next_due_at(Consumer::Callback)
            .await
            .ok()
            .flatten();
        let wait = if pending.is_some() { RECHECK } else { IDLE };
        tokio::select! {
            () = state.callbacks.woken() => {}
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
}

/// One attempt at `record`, recorded in the store and announced.
async fn deliver(state: &AppState, client: &reqwest::Client, record: OutboxRecord) {
    let started = Instant::now();
    let outcome = attempt(state, client, &record).await;
    let now = state.clock.now_millis();
    let number = record.attempts.len();
    let status = match (&outcome.error, outcome.permanent) {
        (None, _) => OutboxStatus::Delivered,
        (Some(_), true) => OutboxStatus::Failed,
        (Some(_), false) if number < RETRY_DELAYS.len() => OutboxStatus::Pending,
        (Some(_), false) => OutboxStatus::Failed,
    };
    let next_attempt_at = match status {
        OutboxStatus::Pending => now.saturating_add(
            i64::try_from(RETRY_DELAYS[number.min(RETRY_DELAYS.len() - 1)].as_millis())
                .unwrap_or(i64::MAX),
        ),
        _ => now,
    };
    let done = AttemptDone {
        id: record.id,
        attempt: Attempt {
            at: rfc3339(now),
            http_status: outcome.http_status,
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            error: outcome.error.clone(),
        },
        status,
        next_attempt_at,
        now,
        outcome: outcome.record,
    };
    match state.store.finish_attempt(done).await {
        Ok(record) => {
            if let Some(error) = &outcome.error {
                tracing::info!(callback = record.id, bot = %record.bot_id, error = %error, status = record.status.as_str(), "callback attempt failed");
            }
            state.announce_callback(record);
        }
        Err(error) => tracing::error!(error = %error, "callbacks: cannot record an attempt"),
    }
}

/// What one attempt came to.
struct Outcome {
    /// Why it failed; `None`: delivered (HTTP 200).
    error: Option<String>,
    /// Failed for good: retrying cannot help (the configuration is gone).
    permanent: bool,
    http_status: Option<u16>,
    /// `{request, response, reply}` for the callback log.
    record: Value,
}

impl Outcome {
    fn permanent(error: String, record: Value) -> Outcome {
        Outcome {
            error: Some(error),
            permanent: true,
            http_status: None,
            record,
        }
    }
}

async fn attempt(state: &AppState, client: &reqwest::Client, record: &OutboxRecord) -> Outcome {
    let Ok(job) = serde_json::from_value::<CallbackJob>(record.item.clone()) else {
        return Outcome::permanent("the queued callback is unreadable".to_owned(), json!({}));
    };
    let config = match state.store.callback_config(&record.bot_id).await {
        Ok(Some(config)) => config,
        Ok(None) => {
            return Outcome::permanent(
                "the bot has no callback configuration any more".to_owned(),
                json!({}),
            );
        }
        Err(error) => {
            return Outcome {
                error: Some(format!("cannot read the callback configuration: {error}")),
                permanent: false,
                http_status: None,
                record: json!({}),
            };
        }
    };
    let crypto = match CallbackCrypto::new(&config.token, &config.encoding_aes_key) {
        Ok(crypto) => crypto,
        Err(error) => return Outcome::permanent(format!("bad configuration: {error}"), json!({})),
    };
    let format = CallbackFormat::from_url(&config.url);
    let timestamp = (state.clock.now_millis() / 1000).to_string();
    let nonce = fastrand::u64(1_000_000_000..10_000_000_000).to_string();
    let Ok(encrypt) = crypto.encrypt(job.plaintext.as_bytes(), random16()) else {
        return Outcome::permanent("the payload cannot be encrypted".to_owned(), json!({}));
    };
    let query = CallbackQuery {
        msg_signature: crypto.signature(&timestamp, &nonce, &encrypt),
        timestamp,
        nonce,
        echostr: None,
    };
    let url = query.append_to(&config.url);
    let body = CallbackEnvelope { encrypt }.to_body(format);
    let request = json!({"url": url, "body": body, "plaintext": job.plaintext});
    // [U] The callback's Content-Type (WeCom's headers are undocumented): the body's format.
    let content_type = match format {
        CallbackFormat::Xml => "text/xml; charset=utf-8",
        CallbackFormat::Json => "application/json; charset=utf-8",
    };
    let sent = client
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            return Outcome {
                error: Some(network_error(error, state.config.callback_timeout)),
                permanent: false,
                http_status: None,
                record: json!({"request": request}),
            };
        }
    };
    let status = response.status().as_u16();
    let read = read_capped(response).await;
    let (reply_body, too_long, read_error) = match read {
        Ok((bytes, too_long)) => (bytes, too_long, None),
        Err(error) => (
            Vec::new(),
            false,
            Some(network_error(error, state.config.callback_timeout)),
        ),
    };
    let shown = String::from_utf8_lossy(&reply_body).into_owned();
    if status != 200 {
        return Outcome {
            error: Some(format!("the bot answered HTTP {status}, not 200")),
            permanent: false,
            http_status: Some(status),
            record: json!({"request": request, "response": {"status": status, "body": shown}}),
        };
    }
    if let Some(error) = read_error {
        return Outcome {
            error: Some(error),
            permanent: false,
            http_status: Some(status),
            record: json!({"request": request, "response": {"status": status, "body": shown}}),
        };
    }
    // Delivered. What the body says is the passive reply's business.
    let reply = passive::handle(state, record, &job, &crypto, format, &reply_body, too_long).await;
    Outcome {
        error: None,
        permanent: false,
        http_status: Some(status),
        record: json!({
            "request": request,
            "response": {"status": status, "body": shown, "plaintext": reply.plaintext},
            "reply": reply.summary,
        }),
    }
}

/// Reads at most [`MAX_REPLY_BYTES`] of the body; `true` when there was more.
async fn read_capped(response: reqwest::Response) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let room = MAX_REPLY_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// A network failure in a sentence, without the URL (it may carry a secret in its query).
fn network_error(error: reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        format!("no answer within {}", humantime::format_duration(timeout))
    } else if error.is_connect() {
        "cannot connect to the callback URL".to_owned()
    } else {
        format!("the connection failed: {}", error.without_url())
    }
}

/// The 16 random bytes that start every ciphertext.
pub fn random16() -> [u8; 16] {
    let mut bytes = [0_u8; 16];
    for byte in &mut bytes {
        *byte = fastrand::u8(..);
    }
    bytes
}
