//! `/api/v1/bots`: webhook bots (their chats, subscription scope and single chats are in
//! `bot_reach.rs`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody, JsonBody, PathParams, non_blank};
use crate::app::AppState;
use crate::domain::{Bot, BotPatch, NewBot};
use crate::store::StoreError;

/// Longest bot key accepted (WeCom's keys are 36-character UUIDs).
const MAX_KEY_LEN: usize = 128;

/// `POST /bots`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewBot)]
struct CreateBot {
    name: String,
    /// The webhook key (1 to 128 of `A-Z a-z 0-9 - _ . ~`); a UUID is generated when absent.
    key: Option<String>,
    /// Ids of the groups and blackboards the bot is in.
    #[serde(default)]
    chats: Vec<String>,
    /// Userids in its subscription scope.
    #[serde(default)]
    subscription: Vec<String>,
}

/// `PATCH /bots/{bot_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BotPatch)]
struct PatchBot {
    name: Option<String>,
}

/// A bot as the API shows it: with its ready-to-use URLs.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct BotView {
    #[serde(flatten)]
    bot: Bot,
    /// The bot's send URL (`.../cgi-bin/webhook/send?key=KEY`).
    webhook_url: String,
    /// The bot's upload URL (`.../cgi-bin/webhook/upload_media?key=KEY`).
    upload_url: String,
}

#[derive(Serialize, ToSchema)]
struct BotList {
    bots: Vec<BotView>,
}

/// `bot` with its URLs.
pub(super) fn view(state: &AppState, bot: Bot) -> BotView {
    BotView {
        webhook_url: state.webhook_url(&bot.key),
        upload_url: state.upload_url(&bot.key),
        bot,
    }
}

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_bots, create_bot))
        .routes(routes!(get_bot, update_bot, delete_bot))
        .merge(super::bot_reach::router())
}

/// Every bot, with its webhook and upload URLs.
#[utoipa::path(
    get,
    path = "/bots",
    tag = "bots",
    responses((status = 200, description = "The bots", body = BotList))
)]
async fn list_bots(State(state): State<AppState>) -> ApiResult<Json<BotList>> {
    let bots = state.store.list_bots().await?;
    let bots = bots.into_iter().map(|bot| view(&state, bot)).collect();
    Ok(Json(BotList { bots }))
}

/// One bot.
#[utoipa::path(
    get,
    path = "/bots/{bot_id}",
    tag = "bots",
    params(("bot_id" = String, Path, description = "The bot's id")),
    responses(
        (status = 200, description = "The bot", body = BotView),
        (status = 404, description = "No such bot", body = ErrorBody),
    )
)]
async fn get_bot(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<BotView>> {
    let bot = state.store.get_bot(&id).await?;
    Ok(Json(view(&state, bot)))
}

/// Creates a bot (its key generated when absent).
#[utoipa::path(
    post,
    path = "/bots",
    tag = "bots",
    request_body = CreateBot,
    responses(
        (status = 201, description = "The bot, created", body = BotView),
        (
            status = 400,
            description = "A blank name, an unusable key, or a chat or user that does not exist",
            body = ErrorBody
        ),
        (status = 409, description = "The key is taken", body = ErrorBody),
    )
)]
async fn create_bot(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateBot>,
) -> ApiResult<(StatusCode, Json<BotView>)> {
    non_blank("name", Some(&body.name))?;
    if let Some(key) = &body.key {
        check_key(key)?;
    }
    let new = NewBot {
        name: body.name,
        key: body.key,
        chats: body.chats,
        subscription: body.subscription,
    };
    let bot = state
        .store
        .create_bot(new, state.clock.now_millis())
        .await
        .map_err(referenced)?;
    Ok((StatusCode::CREATED, Json(view(&state, bot))))
}

/// A key goes into the webhook URL's query string as is, so it must need no escaping.
fn check_key(key: &str) -> ApiResult<()> {
    let url_safe = key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
    if key.is_empty() || key.len() > MAX_KEY_LEN || !url_safe {
        return Err(ApiError::bad_request(format!(
            "key must be 1 to {MAX_KEY_LEN} characters of A-Z a-z 0-9 - _ . ~"
        )));
    }
    Ok(())
}

/// A chat or user named in a request body that does not exist is a bad request, not a missing
/// resource at the URL.
pub(super) fn referenced(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound { kind, id } => {
            ApiError::bad_request(format!("{kind} {id} not found"))
        }
        other => other.into(),
    }
}

/// Renames a bot.
#[utoipa::path(
    patch,
    path = "/bots/{bot_id}",
    tag = "bots",
    params(("bot_id" = String, Path, description = "The bot's id")),
    request_body = PatchBot,
    responses(
        (status = 200, description = "The bot, changed", body = BotView),
        (status = 400, description = "A blank name", body = ErrorBody),
        (status = 404, description = "No such bot", body = ErrorBody),
    )
)]
async fn update_bot(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<PatchBot>,
) -> ApiResult<Json<BotView>> {
    non_blank("name", body.name.as_deref())?;
    let bot = state
        .store
        .update_bot(&id, BotPatch { name: body.name })
        .await?;
    Ok(Json(view(&state, bot)))
}

/// Removes a bot (its key stops working).
#[utoipa::path(
    delete,
    path = "/bots/{bot_id}",
    tag = "bots",
    params(("bot_id" = String, Path, description = "The bot's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such bot", body = ErrorBody),
    )
)]
async fn delete_bot(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.store.delete_bot(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_url_safe() {
        assert!(check_key("693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa").is_ok());
        assert!(check_key("a&b").is_err());
        assert!(check_key("").is_err());
        assert!(check_key(&"k".repeat(MAX_KEY_LEN + 1)).is_err());
    }
}
