//! The relay's API, relative to `/api/v1`:
//!
//! - `PUT /bots/{bot_id}/relay` `{upstream, mode?: "all"|"manual"}` → 200, `GET` → 200 or 404,
//!   `DELETE` → 204: a bot's upstream (its key shown masked).
//! - `POST /messages/{id}/release` → 200: a held message (manual mode) is forwarded.
//! - `POST /messages/{id}/retry` → 200: a failed message is queued again.
//! - `GET /relay/queues` → `{queues: [...]}`: per relaying bot, the depth of its queue, the age
//!   of the oldest waiting message, and what was delivered and failed in the last minute.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{RelayView, check_upstream};
use crate::api::error::{ApiError, ApiResult, ErrorBody, JsonBody, PathParams, message_id};
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::domain::{Consumer, OutboxStatus, RelayConfig, RelayMode};

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_relay, get_relay, delete_relay))
        .routes(routes!(release))
        .routes(routes!(retry))
        .routes(routes!(queues))
}

/// `PUT` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RelaySettings)]
struct SetRelay {
    /// The real WeCom bot's webhook send URL, `…/cgi-bin/webhook/send?key=KEY`.
    upstream: String,
    /// `all` (the default): every message is forwarded; `manual`: each waits to be released.
    mode: Option<String>,
}

/// A bot's upstream as the API shows it: the key masked.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RelayConfig)]
struct RelayConfigView {
    bot_id: String,
    /// The upstream URL with its key shown as its first 4 characters and `…`.
    upstream: String,
    /// `all` or `manual`.
    mode: &'static str,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<&RelayConfig> for RelayConfigView {
    fn from(config: &RelayConfig) -> RelayConfigView {
        RelayConfigView {
            bot_id: config.bot_id.clone(),
            upstream: config.masked_upstream(),
            mode: config.mode.as_str(),
            created_at: rfc3339(config.created_at),
        }
    }
}

/// Relays a bot to a real WeCom bot: its messages are forwarded there, within WeCom's limits,
/// retrying until delivered (docs/RELAY.md).
#[utoipa::path(
    put,
    path = "/bots/{bot_id}/relay",
    tag = "relay",
    operation_id = "set_relay",
    params(("bot_id" = String, Path, description = "The bot's id")),
    request_body = SetRelay,
    responses(
        (status = 200, description = "Saved; messages accepted from now on are relayed", body = RelayConfigView),
        (status = 400, description = "Not a WeCom webhook send URL with a key, or an unknown mode", body = ErrorBody),
        (status = 404, description = "No such bot", body = ErrorBody),
    )
)]
async fn set_relay(
    State(state): State<AppState>,
    PathParams(bot_id): PathParams<String>,
    JsonBody(body): JsonBody<SetRelay>,
) -> ApiResult<Json<RelayConfigView>> {
    state.store.get_bot(&bot_id).await?;
    check_upstream(&body.upstream).map_err(ApiError::bad_request)?;
    let mode = match body.mode.as_deref() {
        None => RelayMode::All,
        Some(text) => RelayMode::parse(text)
            .ok_or_else(|| ApiError::bad_request(format!("mode {text:?}: all or manual")))?,
    };
    let config = RelayConfig {
        bot_id: bot_id.clone(),
        upstream: body.upstream.trim().to_owned(),
        mode,
        created_at: state.clock.now_millis(),
    };
    let config = state.store.set_relay(config).await?;
    state.relays.set(config.clone());
    tracing::info!(bot = %bot_id, upstream = %config.masked_upstream(), mode = mode.as_str(), "relay configured");
    Ok(Json((&config).into()))
}

/// A bot's upstream, its key masked.
#[utoipa::path(
    get,
    path = "/bots/{bot_id}/relay",
    tag = "relay",
    operation_id = "get_relay",
    params(("bot_id" = String, Path, description = "The bot's id")),
    responses(
        (status = 200, description = "The upstream", body = RelayConfigView),
        (status = 404, description = "No such bot, or it does not relay", body = ErrorBody),
    )
)]
async fn get_relay(
    State(state): State<AppState>,
    PathParams(bot_id): PathParams<String>,
) -> ApiResult<Json<RelayConfigView>> {
    state.store.get_bot(&bot_id).await?;
    let config = state
        .relays
        .get(&bot_id)
        .ok_or_else(|| ApiError::not_found(format!("bot {bot_id} does not relay")))?;
    Ok(Json((&config).into()))
}

/// Stops relaying a bot (what is queued already fails as "the bot does not relay any more").
#[utoipa::path(
    delete,
    path = "/bots/{bot_id}/relay",
    tag = "relay",
    operation_id = "delete_relay",
    params(("bot_id" = String, Path, description = "The bot's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such bot, or it does not relay", body = ErrorBody),
    )
)]
async fn delete_relay(
    State(state): State<AppState>,
    PathParams(bot_id): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.store.get_bot(&bot_id).await?;
    if !state.store.delete_relay(&bot_id).await? {
        return Err(ApiError::not_found(format!("bot {bot_id} does not relay")));
    }
    state.relays.remove(&bot_id);
    Ok(StatusCode::NO_CONTENT)
}

/// The relay entry of message `id`.
async fn entry_of(state: &AppState, id: &str) -> ApiResult<crate::domain::OutboxRecord> {
    let id = message_id(id)?;
    let detail = state.store.get_message(id).await?;
    let request_id = detail.message.request_id.clone();
    state
        .store
        .outbox_by_refs(Consumer::Relay, vec![request_id.clone()])
        .await?
        .remove(&request_id)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "not_relayed",
                format!("message {id} is not relayed (its bot had no upstream when it arrived)"),
            )
        })
}

/// Releases a held message of a `manual` relay: it is forwarded now.
#[utoipa::path(
    post,
    path = "/messages/{id}/release",
    tag = "relay",
    operation_id = "release_message",
    params(("id" = i64, Path, description = "The message's id")),
    responses(
        (status = 200, description = "Released: queued for the upstream", body = RelayView),
        (status = 404, description = "No such message", body = ErrorBody),
        (status = 409, description = "Not relayed (`not_relayed`) or not held (`not_held`)", body = ErrorBody),
    )
)]
async fn release(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<RelayView>> {
    let entry = entry_of(&state, &id).await?;
    if !(entry.status == OutboxStatus::Pending && entry.next_attempt_at == i64::MAX) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_held",
            format!(
                "message {id} is not held: it is {}",
                state.relays.view(&entry).status
            ),
        ));
    }
    state
        .store
        .defer_outbox(entry.id, state.clock.now_millis())
        .await?;
    state.relay_wakeup.wake();
    let entry = state.store.outbox_record(entry.id).await?;
    Ok(Json(state.relays.view(&entry)))
}

/// Queues a failed relayed message again, its attempts kept.
#[utoipa::path(
    post,
    path = "/messages/{id}/retry",
    tag = "relay",
    operation_id = "retry_message",
    params(("id" = i64, Path, description = "The message's id")),
    responses(
        (status = 200, description = "Queued again", body = RelayView),
        (status = 404, description = "No such message", body = ErrorBody),
        (status = 409, description = "Not relayed (`not_relayed`) or not failed (`not_failed`)", body = ErrorBody),
    )
)]
async fn retry(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<RelayView>> {
    let entry = entry_of(&state, &id).await?;
    if !state
        .store
        .requeue_outbox(entry.id, state.clock.now_millis())
        .await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_failed",
            format!(
                "message {id} has not failed: it is {}",
                state.relays.view(&entry).status
            ),
        ));
    }
    state.relay_wakeup.wake();
    let entry = state.store.outbox_record(entry.id).await?;
    Ok(Json(state.relays.view(&entry)))
}

/// One relaying bot's queue.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RelayQueue)]
struct QueueView {
    bot_id: String,
    /// The upstream URL, its key masked.
    upstream: String,
    /// `all` or `manual`.
    mode: &'static str,
    /// Messages not yet delivered or failed (held ones included).
    depth: u64,
    /// How long the oldest of them has waited; absent when none waits.
    oldest_age_seconds: Option<f64>,
    delivered_last_minute: u64,
    failed_last_minute: u64,
}

/// Every relaying bot's queue.
#[derive(Serialize, ToSchema)]
#[schema(as = RelayQueues)]
struct Queues {
    queues: Vec<QueueView>,
}

/// The relay's queues, per relaying bot: depth, the oldest message's age, and the last
/// minute's deliveries and failures.
#[utoipa::path(
    get,
    path = "/relay/queues",
    tag = "relay",
    operation_id = "relay_queues",
    responses((status = 200, description = "The queues", body = Queues))
)]
async fn queues(State(state): State<AppState>) -> ApiResult<Json<Queues>> {
    let now = state.clock.now_millis();
    let depths = state.store.outbox_depth(Consumer::Relay).await?;
    let recent = state
        .store
        .outbox_finished_since(Consumer::Relay, now - 60_000)
        .await?;
    let queues = state
        .relays
        .all()
        .into_iter()
        .map(|config| {
            let depth = depths.iter().find(|(bot, ..)| *bot == config.bot_id);
            let finished = |status: OutboxStatus| {
                recent
                    .iter()
                    .filter(|(bot, s, _)| *bot == config.bot_id && *s == status)
                    .map(|(_, _, count)| *count)
                    .sum()
            };
            QueueView {
                bot_id: config.bot_id.clone(),
                upstream: config.masked_upstream(),
                mode: config.mode.as_str(),
                depth: depth.map_or(0, |(_, depth, _)| *depth),
                oldest_age_seconds: depth.map(|(_, _, oldest)| {
                    u64::try_from(now.saturating_sub(*oldest)).unwrap_or(0) as f64 / 1000.0
                }),
                delivered_last_minute: finished(OutboxStatus::Delivered),
                failed_last_minute: finished(OutboxStatus::Failed),
            }
        })
        .collect();
    Ok(Json(Queues { queues }))
}
