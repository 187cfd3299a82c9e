//! The WeCom endpoints: `POST /cgi-bin/webhook/send` (`send.rs`),
//! `POST /cgi-bin/webhook/upload_media` (`upload.rs`) and `GET /cgi-bin/webhook/get_chat_info`
//! (`chat_info.rs`, for the codes callbacks carry), answering exactly as WeCom does.
//!
//! Wire rules shared by both (spec §1.1): HTTP 200 for every outcome, compact JSON with
//! `errcode` first, `Content-Type: application/json; charset=UTF-8`, and `Error-Code` /
//! `Error-Msg` headers mirroring the body. Every refusal is also remembered for
//! `/api/v1/rejections` and counted in the metrics.
//!
//! Both endpoints answer any method (see `send.rs`). Any other path under `/cgi-bin/` is not a
//! webhook URL: it gets `93000 invalid webhook url` in WeCom's shape, with HTTP 404 (`[U]`:
//! what WeCom answers there is not documented).

mod body;
mod chat_info;
mod injected;
mod query;
mod reply;
mod send;
mod upload;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::any;
use hookpit_protocol::ErrorCode;

use crate::app::{AppState, Caller, mask_key};
use crate::domain::BotIdentity;
use query::WebhookQuery;
use reply::Call;

pub use body::{BodyBudget, DRAIN_CAP};
pub use reply::send_body_limit;

/// The routes of the webhook endpoints.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cgi-bin/webhook/send", any(send::send))
        .route(
            "/cgi-bin/webhook/upload_media",
            // The handler streams the form to disk and enforces every cap itself (and drains
            // what it refuses), so axum's buffering limit stays out of the way.
            any(upload::upload_media).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/cgi-bin/webhook/get_chat_info",
            any(chat_info::get_chat_info),
        )
        .route("/cgi-bin", any(unknown_path))
        .route("/cgi-bin/", any(unknown_path))
        .route("/cgi-bin/{*path}", any(unknown_path))
}

/// The `key` of a webhook URL, if it has exactly one.
pub fn key_of(uri: &Uri) -> Option<String> {
    WebhookQuery::from_uri(uri).key
}

/// Whether `path` is one the webhook answers (in WeCom's shape), rather than the inbox or API.
pub fn is_webhook_path(path: &str) -> bool {
    path == "/cgi-bin" || path.starts_with("/cgi-bin/")
}

/// A refusal decided around the handler rather than in it (the request took too long, its head
/// is too large): answered in WeCom's shape, counted and listed like any other refusal. The
/// connection closes after it, since the request may not have been read to its end.
pub fn refuse_outside(state: &AppState, caller: Caller, uri: &Uri, error: &ErrorCode) -> Response {
    let endpoint = match uri.path() {
        "/cgi-bin/webhook/send" => "send",
        "/cgi-bin/webhook/upload_media" => "upload_media",
        _ => "unknown",
    };
    let key = WebhookQuery::from_uri(uri).key;
    let mut response = Call::for_caller(state, endpoint, caller, key).refuse(state, error, b"");
    body::close_after(&mut response);
    response
}

/// Any other `/cgi-bin/` path: not a webhook URL. The body is not read and the key not looked up
/// (the URL is wrong whatever they are); the key is kept, masked, for the rejection list.
async fn unknown_path(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: WebhookQuery,
) -> Response {
    let key = query.key;
    let call = Call::new(&state, "unknown", peer, &headers, key);
    // [U] an unknown /cgi-bin/ path: 93000 `invalid webhook url` in WeCom's shape, HTTP 404.
    let mut response = call.refuse(&state, &ErrorCode::INVALID_WEBHOOK_URL, b"");
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// Answers a call whose body could not be read: larger than the endpoint takes (`too_large`),
/// over the memory budget (-1, the busy answer), or stalled / broken off (-1). What is left of
/// the body is drained when that can still help the sender read the answer.
async fn refuse_unread(
    state: &AppState,
    call: Call,
    reader: &mut body::BodyReader,
    error: body::BodyError,
    too_large: ErrorCode,
) -> Response {
    use body::BodyError;
    let code = match error {
        BodyError::TooLarge => too_large,
        // [U] -1 (system busy) when the bodies held at once would exceed --body-memory, and when
        // the sender stalls longer than --body-timeout.
        BodyError::Busy | BodyError::TimedOut | BodyError::Broken => ErrorCode::SYSTEM_ERROR,
    };
    let response = call.refuse(state, &code, b"");
    match error {
        BodyError::TooLarge | BodyError::Busy => reader.finish(response).await,
        BodyError::TimedOut | BodyError::Broken => {
            let mut response = response;
            body::close_after(&mut response);
            response
        }
    }
}

/// The bot holding `key`. Missing or unknown keys are 93000 (spec §1.3), except that in
/// sandbox mode (`--accept-any-key`) an unknown non-empty key gets a bot of its own.
async fn resolve_bot(state: &AppState, key: &str, now: i64) -> Result<BotIdentity, ErrorCode> {
    if key.is_empty() {
        return Err(ErrorCode::INVALID_WEBHOOK_URL);
    }
    match state.store.bot_identity(key).await {
        Ok(Some(bot)) => Ok(bot),
        Ok(None) if state.config.accept_any_key => {
            match state.store.create_sandbox_bot(key, now).await {
                Ok(bot) => {
                    tracing::info!(key = %mask_key(key), bot = %bot.id, "sandbox bot created");
                    Ok(BotIdentity {
                        id: bot.id,
                        name: bot.name,
                        // Made by this call; a deletion racing it is as if it came after.
                        key_epoch: None,
                    })
                }
                Err(error) => {
                    tracing::error!(error = %error, "cannot create a sandbox bot");
                    Err(ErrorCode::SYSTEM_ERROR)
                }
            }
        }
        Ok(None) => Err(ErrorCode::INVALID_WEBHOOK_URL),
        Err(error) => {
            tracing::error!(error = %error, "cannot look up a webhook key");
            Err(ErrorCode::SYSTEM_ERROR)
        }
    }
}
