//! The WeCom endpoints: `POST /cgi-bin/webhook/send` (`send.rs`) and
//! `POST /cgi-bin/webhook/upload_media` (`upload.rs`), answering exactly as WeCom does.
//!
//! Wire rules shared by both (spec §1.1): HTTP 200 for every outcome, compact JSON with
//! `errcode` first, `Content-Type: application/json; charset=UTF-8`, and `Error-Code` /
//! `Error-Msg` headers mirroring the body. Every refusal is also remembered for
//! `/api/v1/rejections` and counted in the metrics.
//!
//! Both endpoints answer any method (see `send.rs`). Any other path under `/cgi-bin/` is not a
//! webhook URL: it gets `93000 invalid webhook url` in WeCom's shape, with HTTP 404 (`[U]`:
//! what WeCom answers there is not documented).

mod reply;
mod send;
mod upload;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::any;
use hookpit_protocol::ErrorCode;

use crate::app::{AppState, mask_key};
use crate::domain::BotIdentity;
use reply::{Call, WebhookQuery};

pub use reply::{send_body_limit, upload_body_limit};

/// The routes of the webhook endpoints.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cgi-bin/webhook/send", any(send::send))
        .route(
            "/cgi-bin/webhook/upload_media",
            // The multipart reader enforces this cap while streaming, so a huge post is cut off
            // rather than buffered.
            any(upload::upload_media).layer(DefaultBodyLimit::max(upload_body_limit())),
        )
        .route("/cgi-bin/{*path}", any(unknown_path))
}

/// Any other `/cgi-bin/` path: not a webhook URL. The body is not read and the key not looked up
/// (the URL is wrong whatever they are); the key is kept, masked, for the rejection list.
async fn unknown_path(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<WebhookQuery>, QueryRejection>,
) -> Response {
    let key = query.ok().and_then(|Query(query)| query.key);
    let call = Call::new(&state, "unknown", peer, &headers, key);
    // [U] an unknown /cgi-bin/ path: 93000 `invalid webhook url` in WeCom's shape, HTTP 404.
    let mut response = call.refuse(&state, &ErrorCode::INVALID_WEBHOOK_URL, b"");
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
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
