//! The callback log: `GET /api/v1/callbacks?bot_id&chatid&limit` and `GET /api/v1/callbacks/{id}`
//! — each callback with its attempts, the request as sent (and decrypted), the bot's response
//! (and its decrypted reply) and what became of the reply. The view bot developers lack.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::error::{ApiError, ApiResult, PathParams, QueryParams};
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::domain::{Attempt, CallbackJob, Consumer, OutboxRecord};
use crate::store::OutboxQuery;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

/// The routes, relative to `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/callbacks", get(list_callbacks))
        .route("/callbacks/{id}", get(get_callback))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    bot_id: Option<String>,
    chatid: Option<String>,
    limit: Option<u32>,
}

/// One callback as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CallbackView {
    pub id: i64,
    pub bot_id: String,
    pub chatid: String,
    pub msgid: String,
    pub event: String,
    pub format: String,
    pub status: &'static str,
    pub attempts: Vec<Attempt>,
    pub created_at: String,
    /// When the next attempt is due (pending callbacks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    /// The person's message that caused it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i64>,
    /// `{url, body, plaintext}`: the last request sent (before any: the URL and plaintext).
    pub request: Value,
    /// `{status, body, plaintext}` of the last response, or `null`.
    pub response: Value,
    /// `{message_id}` (a passive reply was posted), `{error}` (it was refused) or `null`.
    pub reply: Value,
}

impl CallbackView {
    /// The view of an outbox entry of the callback consumer.
    pub fn of(record: &OutboxRecord) -> CallbackView {
        let job: CallbackJob = serde_json::from_value(record.item.clone()).unwrap_or(CallbackJob {
            event: String::new(),
            msgid: String::new(),
            format: String::new(),
            url: String::new(),
            plaintext: String::new(),
            message_id: None,
        });
        let outcome = |key: &str| record.outcome.get(key).cloned().unwrap_or(Value::Null);
        let request = match outcome("request") {
            Value::Null => json!({"url": job.url, "body": null, "plaintext": job.plaintext}),
            sent => sent,
        };
        CallbackView {
            id: record.id,
            bot_id: record.bot_id.clone(),
            chatid: record.chatid.clone(),
            msgid: job.msgid,
            event: job.event,
            format: job.format,
            status: record.status.as_str(),
            attempts: record.attempts.clone(),
            created_at: rfc3339(record.created_at),
            next_attempt_at: (record.status == crate::domain::OutboxStatus::Pending)
                .then(|| rfc3339(record.next_attempt_at)),
            message_id: job.message_id,
            request,
            response: outcome("response"),
            reply: outcome("reply"),
        }
    }
}

#[derive(Serialize)]
struct CallbackList {
    callbacks: Vec<CallbackView>,
}

async fn list_callbacks(
    State(state): State<AppState>,
    QueryParams(params): QueryParams<ListQuery>,
) -> ApiResult<Json<CallbackList>> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let query = OutboxQuery {
        bot_id: params.bot_id.filter(|id| !id.is_empty()),
        chatid: params.chatid.filter(|id| !id.is_empty()),
        limit,
    };
    let records = state.store.list_outbox(Consumer::Callback, query).await?;
    Ok(Json(CallbackList {
        callbacks: records.iter().map(CallbackView::of).collect(),
    }))
}

async fn get_callback(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<CallbackView>> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::bad_request("a callback id is a positive integer"))?;
    let record = state.store.outbox_record(id).await?;
    if record.consumer != Consumer::Callback {
        return Err(ApiError::not_found(format!("callback {id} not found")));
    }
    Ok(Json(CallbackView::of(&record)))
}
