//! Operations: `/livez`, `/readyz`, `/metrics`, and the periodic maintenance task (retention
//! `--max-messages` / `--max-age`, expiry of 3-day-old media, idle rate windows).
//!
//! `/livez` says only "the process is up" and is open to anyone. `/readyz` and `/metrics` tell
//! more (store errors, traffic by key), so on the main listener they sit behind the admin guard
//! (loopback callers, or the admin token); `--metrics-listen` serves all three on an address of
//! their own without it, for scrapers and probes that cannot send a token.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::app::AppState;
use crate::clock::unix_millis;

/// How often maintenance runs (real time; the clock decides what is old).
const MAINTENANCE_EVERY: Duration = Duration::from_secs(30);

/// `/livez`, open to anyone.
pub fn public_router() -> Router<AppState> {
    Router::new().route("/livez", get(livez))
}

/// `/readyz` and `/metrics`; the caller decides who may reach them.
pub fn detail_router() -> Router<AppState> {
    Router::new()
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up.
async fn livez() -> &'static str {
    "ok\n"
}

/// Below this much free space under the data directory, `/readyz` says not ready: sends may
/// still fit in space SQLite's files already hold, but the next that needs new space fails with
/// -1, and a load balancer should move traffic away before that, not after.
const READY_FREE_BYTES: u64 = 1024 * 1024;

/// The store answers a read and a write, and its disk has room. With `--redis`, an unreachable
/// Redis makes the instance `degraded`: still ready (it accepts sends, under per-instance
/// limits), so a load balancer keeps it, but a probe or a person can see it.
async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    let unavailable = |why: String| (StatusCode::SERVICE_UNAVAILABLE, why);
    let store = std::sync::Arc::clone(&state.store);
    match tokio::task::spawn_blocking(move || store.available_bytes()).await {
        Ok(Ok(free)) if free < READY_FREE_BYTES => {
            tracing::warn!(
                free,
                "readiness check failed: the data directory's disk is full"
            );
            return unavailable(format!(
                "disk full: {} KiB free under the data directory, {} KiB needed\n",
                free / 1024,
                READY_FREE_BYTES / 1024
            ));
        }
        Ok(Ok(_)) => {}
        // A file system that cannot say how full it is does not make the instance unready:
        // the write below still shows whether the store works.
        Ok(Err(error)) => tracing::debug!(error = %error, "readiness: statvfs failed"),
        Err(error) => tracing::debug!(error = %error, "readiness: statvfs task failed"),
    }
    if let Err(error) = state.store.ping().await {
        tracing::warn!(error = %error, "readiness check failed");
        return unavailable("store unavailable\n".to_owned());
    }
    match state.limiter.cluster() {
        Some(cluster) if !cluster.ping().await => (
            StatusCode::OK,
            "degraded: Redis unavailable, rate limits and fault rules are per instance\n"
                .to_owned(),
        ),
        _ => (StatusCode::OK, "ok\n".to_owned()),
    }
}

/// Prometheus text exposition.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.count_messages().await {
        Ok(count) => state.metrics.set_stored(count),
        Err(error) => tracing::warn!(error = %error, "metrics: cannot count messages"),
    }
    let store = std::sync::Arc::clone(&state.store);
    let bytes = tokio::task::spawn_blocking(move || store.size_bytes())
        .await
        .unwrap_or(0);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        {
            let mut process = crate::metrics::Process::now(state.started);
            let now = state.clock.now_millis();
            if let Ok(queues) = state
                .store
                .outbox_depth(crate::domain::Consumer::Relay)
                .await
            {
                process.relay_queues = queues
                    .into_iter()
                    .map(|(bot, depth, oldest)| {
                        let age = u64::try_from(now.saturating_sub(oldest)).unwrap_or(0);
                        (bot, depth, Duration::from_millis(age).as_secs_f64())
                    })
                    .collect();
            }
            let mut text = state.metrics.render(bytes, &process);
            if let Some(cluster) = state.limiter.cluster() {
                cluster.render_metrics(&mut text);
            }
            text
        },
    )
}

/// What one maintenance pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub messages: u64,
    pub media: u64,
}

/// One maintenance pass at the clock's current time: deletes messages beyond `--max-messages`
/// or older than `--max-age`, forgets expired media and their files, drops idle rate windows.
/// On a shared store only one instance deletes (the leader, `store/leader.rs`); every instance
/// drops its own idle windows.
///
/// # Errors
/// The store refused the deletes.
pub async fn prune(state: &AppState) -> Result<Pruned, crate::store::StoreError> {
    let now = state.clock.now();
    state.limiter.sweep(now);
    if !state.store.lead().await? {
        return Ok(Pruned::default());
    }
    let now_millis = unix_millis(now);
    let older_than = state
        .config
        .max_age
        .and_then(|age| now.checked_sub(age))
        .map(unix_millis);
    let messages = if older_than.is_some() || state.config.max_messages.is_some() {
        state
            .store
            .prune(older_than, state.config.max_messages)
            .await?
    } else {
        0
    };
    let media = state.store.prune_media(now_millis).await?;
    if messages > 0 || media > 0 {
        state.metrics.add_pruned(messages, media);
        tracing::info!(messages, media, "pruned");
    }
    Ok(Pruned { messages, media })
}

/// One info line for the webhook calls refused since the last (each is logged at debug only).
fn log_refusals(state: &AppState) {
    let refusals = state.metrics.take_refusals();
    if refusals.is_empty() {
        return;
    }
    let total: u64 = refusals.values().sum();
    let by_code: Vec<String> = refusals
        .iter()
        .map(|(code, count)| format!("{code}×{count}"))
        .collect();
    tracing::info!(
        total,
        errcodes = %by_code.join(" "),
        "webhook calls refused in the last {}s (each at debug level; see /api/v1/rejections)",
        MAINTENANCE_EVERY.as_secs()
    );
}

/// Runs [`prune`] every [`MAINTENANCE_EVERY`] until shutdown.
pub(crate) async fn maintenance(state: AppState) {
    let mut interval = tokio::time::interval(MAINTENANCE_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stop = state.shutdown.clone();
    loop {
        tokio::select! {
            _ = interval.tick() => {
                if let Err(error) = prune(&state).await {
                    tracing::warn!(error = %error, "maintenance failed");
                }
                log_refusals(&state);
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
    }
}
