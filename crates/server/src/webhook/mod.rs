//! The WeCom endpoints: `POST /cgi-bin/webhook/send` (`send.rs`) and
//! `POST /cgi-bin/webhook/upload_media` (`upload.rs`), answering exactly as WeCom does.
//!
//! Wire rules shared by both (spec §1.1): HTTP 200 for every outcome, compact JSON with
//! `errcode` first, `Content-Type: application/json; charset=UTF-8`, and `Error-Code` /
//! `Error-Msg` headers mirroring the body. Every refusal is also remembered for
//! `/api/v1/rejections` and counted in the metrics.

mod reply;
mod send;
mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;

use crate::app::AppState;

pub use reply::{send_body_limit, upload_body_limit};

/// The routes of the webhook endpoints.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cgi-bin/webhook/send", post(send::send))
        .route(
            "/cgi-bin/webhook/upload_media",
            // The multipart reader enforces this cap while streaming, so a huge post is cut off
            // rather than buffered.
            post(upload::upload_media).layer(DefaultBodyLimit::max(upload_body_limit())),
        )
}

/// The bot holding `key`. Missing or unknown keys are 93000 (spec §1.3), except that in
/// sandbox mode (`--accept-any-key`) an unknown non-empty key gets a bot of its own.
async fn resolve_bot(
    state: &AppState,
    key: &str,
    now: i64,
) -> Result<crate::domain::BotIdentity, hookpit_protocol::ErrorCode> {
    use hookpit_protocol::ErrorCode;
    if key.is_empty() {
        return Err(ErrorCode::INVALID_WEBHOOK_URL);
    }
    match state.store.bot_identity(key).await {
        Ok(Some(bot)) => Ok(bot),
        Ok(None) if state.config.accept_any_key => {
            match state.store.create_sandbox_bot(key, now).await {
                Ok(bot) => {
                    tracing::info!(key = %crate::app::mask_key(key), bot = %bot.id, "sandbox bot created");
                    Ok(crate::domain::BotIdentity {
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
