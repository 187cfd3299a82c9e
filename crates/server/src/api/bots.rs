//! `/api/v1/bots`: webhook bots, their chats, their subscription scope, and single chats opened
//! by users.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult, JsonBody, PathParams, non_blank};
use crate::app::AppState;
use crate::domain::{Bot, BotPatch, NewBot, SingleChat};
use crate::store::StoreError;

/// Longest bot key accepted (WeCom's keys are 36-character UUIDs).
const MAX_KEY_LEN: usize = 128;

/// `POST /bots`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBot {
    name: String,
    key: Option<String>,
    #[serde(default)]
    chats: Vec<String>,
    #[serde(default)]
    subscription: Vec<String>,
}

/// `PATCH /bots/{bot_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBot {
    name: Option<String>,
}

/// `POST /bots/{bot_id}/single-chats`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenSingleChat {
    userid: String,
}

/// A bot as the API shows it: with its ready-to-use URLs.
#[derive(Debug, Serialize)]
struct BotView {
    #[serde(flatten)]
    bot: Bot,
    webhook_url: String,
    upload_url: String,
}

#[derive(Serialize)]
struct BotList {
    bots: Vec<BotView>,
}

fn view(state: &AppState, bot: Bot) -> BotView {
    BotView {
        webhook_url: state.webhook_url(&bot.key),
        upload_url: state.upload_url(&bot.key),
        bot,
    }
}

/// The routes, relative to `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bots", get(list_bots).post(create_bot))
        .route(
            "/bots/{bot_id}",
            get(get_bot).patch(update_bot).delete(delete_bot),
        )
        .route(
            "/bots/{bot_id}/chats/{chatid}",
            put(join_chat).delete(leave_chat),
        )
        .route(
            "/bots/{bot_id}/subscription/{userid}",
            put(subscribe).delete(unsubscribe),
        )
        .route("/bots/{bot_id}/single-chats", post(open_single_chat))
}

async fn list_bots(State(state): State<AppState>) -> ApiResult<Json<BotList>> {
    let bots = state.store.list_bots().await?;
    let bots = bots.into_iter().map(|bot| view(&state, bot)).collect();
    Ok(Json(BotList { bots }))
}

async fn get_bot(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<BotView>> {
    let bot = state.store.get_bot(&id).await?;
    Ok(Json(view(&state, bot)))
}

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
fn referenced(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound { kind, id } => {
            ApiError::bad_request(format!("{kind} {id} not found"))
        }
        other => other.into(),
    }
}

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

async fn delete_bot(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.store.delete_bot(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn join_chat(
    State(state): State<AppState>,
    PathParams((id, chatid)): PathParams<(String, String)>,
) -> ApiResult<Json<BotView>> {
    let bot = state.store.set_bot_chat(&id, &chatid, true).await?;
    Ok(Json(view(&state, bot)))
}

async fn leave_chat(
    State(state): State<AppState>,
    PathParams((id, chatid)): PathParams<(String, String)>,
) -> ApiResult<Json<BotView>> {
    let bot = state.store.set_bot_chat(&id, &chatid, false).await?;
    Ok(Json(view(&state, bot)))
}

async fn subscribe(
    State(state): State<AppState>,
    PathParams((id, userid)): PathParams<(String, String)>,
) -> ApiResult<Json<BotView>> {
    let bot = state.store.set_subscription(&id, &userid, true).await?;
    Ok(Json(view(&state, bot)))
}

async fn unsubscribe(
    State(state): State<AppState>,
    PathParams((id, userid)): PathParams<(String, String)>,
) -> ApiResult<Json<BotView>> {
    let bot = state.store.set_subscription(&id, &userid, false).await?;
    Ok(Json(view(&state, bot)))
}

async fn open_single_chat(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<OpenSingleChat>,
) -> ApiResult<Json<SingleChat>> {
    let chat = state
        .store
        .open_single_chat(&id, &body.userid, state.clock.now_millis())
        .await?;
    Ok(Json(chat))
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
