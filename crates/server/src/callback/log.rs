//! The callback log: `GET /api/v1/callbacks?bot_id&chatid&limit` and `GET /api/v1/callbacks/{id}`
//! — each callback with its attempts, the request as sent (and decrypted), the bot's response
//! (and its decrypted reply) and what became of the reply. The view bot developers lack.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::{ApiError, ApiResult, ErrorBody, PathParams, QueryParams};
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::domain::{Attempt, CallbackJob, Consumer, OutboxRecord, OutboxStatus};
use crate::store::OutboxQuery;

const DEFAULT_LIMIT: u32 = 50;
/// Largest page (the contract's `maximum` of `limit` says the same; a test compares them).
pub(crate) const MAX_LIMIT: u32 = 500;

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_callbacks))
        .routes(routes!(get_callback))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only the callbacks of this bot.
    bot_id: Option<String>,
    /// Only the callbacks about this chat.
    chatid: Option<String>,
    /// How many, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// One callback as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallbackView {
    pub id: i64,
    pub bot_id: String,
    pub chatid: String,
    /// The callback's `MsgId` (the same in every retry).
    pub msgid: String,
    /// What happened: `text`, `image`, `mixed`, `attachment`, `enter_chat`, `add_to_chat` or
    /// `delete_from_chat`.
    pub event: String,
    /// `xml` or `json`.
    pub format: String,
    #[schema(value_type = OutboxStatus)]
    pub status: &'static str,
    pub attempts: Vec<Attempt>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the next attempt is due (pending callbacks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, nullable = false)]
    pub next_attempt_at: Option<String>,
    /// The person's message that caused it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub message_id: Option<i64>,
    /// `{url, body, plaintext}`: the last request sent (before any: the URL and plaintext).
    #[schema(value_type = CallbackRequest)]
    pub request: Value,
    /// `{status, body, plaintext}` of the last response, or `null`.
    #[schema(value_type = Option<CallbackResponse>)]
    pub response: Value,
    /// `{message_id}` (a passive reply was posted), `{error}` (it was refused) or `null`.
    #[schema(value_type = Option<CallbackReply>)]
    pub reply: Value,
}

// The three `Value`s of a view are the outcome the delivery recorded (`worker.rs`), kept as
// JSON in the outbox; these types describe them for the contract only and are never built.

/// The last request sent to the bot's URL (before any: the URL and the plaintext).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct CallbackRequest {
    /// The URL with `msg_signature`, `timestamp` and `nonce`.
    url: String,
    /// The encrypted envelope, as POSTed (`null` before the first attempt).
    body: Option<String>,
    /// The decrypted payload, in `format`.
    plaintext: String,
}

/// The bot's last answer.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct CallbackResponse {
    /// Its HTTP status.
    status: u16,
    /// Its body (lossy UTF-8).
    body: String,
    /// The decrypted passive reply, when the answer was a 200 with an envelope.
    #[serde(skip_serializing_if = "Option::is_none")]
    plaintext: Option<String>,
}

/// What became of the bot's passive reply.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum CallbackReply {
    /// It was posted into the chat as this message.
    Posted { message_id: i64 },
    /// It was refused, for this reason.
    Refused { error: String },
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

#[derive(Serialize, ToSchema)]
struct CallbackList {
    callbacks: Vec<CallbackView>,
}

/// The callbacks sent (or to be sent) to bots, newest first.
#[utoipa::path(
    get,
    path = "/callbacks",
    tag = "callbacks",
    params(ListQuery),
    responses(
        (status = 200, description = "The callback log", body = CallbackList),
        (status = 400, description = "A bad `limit`", body = ErrorBody),
    )
)]
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

/// One callback, with its attempts, request, response and reply.
#[utoipa::path(
    get,
    path = "/callbacks/{id}",
    tag = "callbacks",
    params(("id" = i64, Path, description = "The callback's id", minimum = 1)),
    responses(
        (status = 200, description = "The callback", body = CallbackView),
        (status = 400, description = "The id is not a positive integer", body = ErrorBody),
        (status = 404, description = "No such callback", body = ErrorBody),
    )
)]
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
