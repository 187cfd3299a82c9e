//! `/api/v1/bots`: webhook bots, their chats, their subscription scope, and single chats opened
//! by users.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hookpit_protocol::callback::EventType;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody, JsonBody, PathParams, QueryParams, non_blank};
use crate::app::AppState;
use crate::callback::notify;
use crate::callback::payload::{Origin, Place};
use crate::callback::people::{QueuedCallback, queued};
use crate::domain::{Bot, BotPatch, ChatKind, NewBot, SingleChat, User};
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

/// `POST /bots/{bot_id}/single-chats`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OpenSingleChat {
    /// The user who opens the chat.
    userid: String,
}

/// A bot as the API shows it: with its ready-to-use URLs.
#[derive(Debug, Serialize, ToSchema)]
struct BotView {
    #[serde(flatten)]
    bot: Bot,
    /// The bot's send URL (`.../cgi-bin/webhook/send?key=KEY`).
    webhook_url: String,
    /// The bot's upload URL (`.../cgi-bin/webhook/upload_media?key=KEY`).
    upload_url: String,
}

/// A bot after a change that may have called it back (`add_to_chat`, `delete_from_chat`).
#[derive(Debug, Serialize, ToSchema)]
struct BotChanged {
    #[serde(flatten)]
    bot: BotView,
    callbacks: Vec<QueuedCallback>,
}

/// A single chat just opened, and the `enter_chat` callback it caused.
#[derive(Debug, Serialize, ToSchema)]
struct SingleChatOpened {
    #[serde(flatten)]
    chat: SingleChat,
    callbacks: Vec<QueuedCallback>,
}

/// `?by=USERID`: who added or removed the bot.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ByQuery {
    /// The userid of who did it (the callback's `From`); default: the chat's first member.
    by: Option<String>,
}

#[derive(Serialize, ToSchema)]
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

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_bots, create_bot))
        .routes(routes!(get_bot, update_bot, delete_bot))
        .routes(routes!(join_chat, leave_chat))
        .routes(routes!(subscribe, unsubscribe))
        .routes(routes!(open_single_chat))
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
fn referenced(error: StoreError) -> ApiError {
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

/// Adds a bot to a group or blackboard (its callback gets `add_to_chat`).
#[utoipa::path(
    put,
    path = "/bots/{bot_id}/chats/{chatid}",
    tag = "bots",
    params(
        ("bot_id" = String, Path, description = "The bot's id"),
        ("chatid" = String, Path, description = "A group's or blackboard's id"),
        ByQuery
    ),
    responses(
        (status = 200, description = "The bot, and the callbacks queued", body = BotChanged),
        (
            status = 400,
            description = "No such chat, a single chat, or no such user in `by`",
            body = ErrorBody
        ),
        (status = 404, description = "No such bot", body = ErrorBody),
    )
)]
async fn join_chat(
    State(state): State<AppState>,
    PathParams((id, chatid)): PathParams<(String, String)>,
    QueryParams(query): QueryParams<ByQuery>,
) -> ApiResult<Json<BotChanged>> {
    change_membership(&state, &id, &chatid, query.by, true).await
}

/// Removes a bot from a group or blackboard (its callback gets `delete_from_chat`).
#[utoipa::path(
    delete,
    path = "/bots/{bot_id}/chats/{chatid}",
    tag = "bots",
    params(
        ("bot_id" = String, Path, description = "The bot's id"),
        ("chatid" = String, Path, description = "A group's or blackboard's id"),
        ByQuery
    ),
    responses(
        (status = 200, description = "The bot, and the callbacks queued", body = BotChanged),
        (
            status = 400,
            description = "No such chat, a single chat, or no such user in `by`",
            body = ErrorBody
        ),
        (status = 404, description = "No such bot", body = ErrorBody),
    )
)]
async fn leave_chat(
    State(state): State<AppState>,
    PathParams((id, chatid)): PathParams<(String, String)>,
    QueryParams(query): QueryParams<ByQuery>,
) -> ApiResult<Json<BotChanged>> {
    change_membership(&state, &id, &chatid, query.by, false).await
}

/// Adds the bot to the chat or removes it; when that changes anything and the bot has a
/// callback, queues its `add_to_chat` / `delete_from_chat` in the same transaction.
async fn change_membership(
    state: &AppState,
    id: &str,
    chatid: &str,
    by: Option<String>,
    member: bool,
) -> ApiResult<Json<BotChanged>> {
    let bot = state.store.get_bot(id).await?;
    let chat = state.store.chat_summary(chatid).await.map_err(referenced)?;
    if chat.kind == ChatKind::Single {
        return Err(ApiError::bad_request(
            "a single chat belongs to its bot; bots join groups and blackboards",
        ));
    }
    let by = actor(state, by, &chat.members).await?;
    let config = state.store.callback_config(id).await?;
    let now = state.clock.now_millis();
    let origin = Origin {
        base_url: &state.base_url,
        now,
    };
    let place = Place {
        chatid,
        chat_type: notify::chat_type_of(chat.kind),
        post_id: None,
    };
    let event_type = if member {
        EventType::AddToChat
    } else {
        EventType::DeleteFromChat
    };
    let entries = notify::event(&origin, &bot, config.as_ref(), &place, &by, event_type);
    let bot_ids: Vec<String> = entries.iter().map(|e| e.bot_id.clone()).collect();
    let (bot, ids) = state
        .store
        .set_bot_chat_notify(id, chatid, member, now, move |_| entries)
        .await?;
    crate::callback::announce(state, &ids).await;
    Ok(Json(BotChanged {
        bot: view(state, bot),
        callbacks: queued(&ids, bot_ids),
    }))
}

/// Who did it: `by`, or else a member of the chat `[U]`, or else Hookpit itself.
async fn actor(state: &AppState, by: Option<String>, members: &[String]) -> ApiResult<User> {
    if let Some(userid) = by.filter(|userid| !userid.is_empty()) {
        return state
            .store
            .get_user(&userid)
            .await
            .map_err(|_| ApiError::bad_request(format!("by: user {userid} not found")));
    }
    // [U] add_to_chat / delete_from_chat without ?by=: the first member of the chat did it.
    if let Some(first) = members.first()
        && let Ok(user) = state.store.get_user(first).await
    {
        return Ok(user);
    }
    Ok(User {
        userid: "hookpit".to_owned(),
        name: "Hookpit".to_owned(),
        mobile: String::new(),
    })
}

/// Adds a user to a bot's subscription scope (the bot may then message them unprompted).
#[utoipa::path(
    put,
    path = "/bots/{bot_id}/subscription/{userid}",
    tag = "bots",
    params(
        ("bot_id" = String, Path, description = "The bot's id"),
        ("userid" = String, Path, description = "A user's id")
    ),
    responses(
        (status = 200, description = "The bot, changed", body = BotView),
        (status = 404, description = "No such bot or user", body = ErrorBody),
    )
)]
async fn subscribe(
    State(state): State<AppState>,
    PathParams((id, userid)): PathParams<(String, String)>,
) -> ApiResult<Json<BotView>> {
    let bot = state.store.set_subscription(&id, &userid, true).await?;
    Ok(Json(view(&state, bot)))
}

/// Removes a user from a bot's subscription scope.
#[utoipa::path(
    delete,
    path = "/bots/{bot_id}/subscription/{userid}",
    tag = "bots",
    params(
        ("bot_id" = String, Path, description = "The bot's id"),
        ("userid" = String, Path, description = "A user's id")
    ),
    responses(
        (status = 200, description = "The bot, changed", body = BotView),
        (status = 404, description = "No such bot", body = ErrorBody),
    )
)]
async fn unsubscribe(
    State(state): State<AppState>,
    PathParams((id, userid)): PathParams<(String, String)>,
) -> ApiResult<Json<BotView>> {
    let bot = state.store.set_subscription(&id, &userid, false).await?;
    Ok(Json(view(&state, bot)))
}

/// Opens a user's single chat with a bot, as the user does (resets the 3-message quota).
///
/// The bot's callback gets `enter_chat`.
#[utoipa::path(
    post,
    path = "/bots/{bot_id}/single-chats",
    tag = "bots",
    params(("bot_id" = String, Path, description = "The bot's id")),
    request_body = OpenSingleChat,
    responses(
        (
            status = 200,
            description = "The single chat, and the callbacks queued",
            body = SingleChatOpened
        ),
        (status = 400, description = "No such user", body = ErrorBody),
        (status = 404, description = "No such bot", body = ErrorBody),
    )
)]
async fn open_single_chat(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<OpenSingleChat>,
) -> ApiResult<Json<SingleChatOpened>> {
    let bot = state.store.get_bot(&id).await?;
    let user = state
        .store
        .get_user(&body.userid)
        .await
        .map_err(referenced)?;
    let config = state.store.callback_config(&id).await?;
    let base_url = state.base_url.clone();
    let now = state.clock.now_millis();
    let (chat, ids) = state
        .store
        .open_single_chat_notify(&id, &body.userid, now, move |chat| {
            let origin = Origin {
                base_url: &base_url,
                now,
            };
            let place = Place {
                chatid: &chat.chatid,
                chat_type: hookpit_protocol::callback::ChatType::Single,
                post_id: None,
            };
            notify::event(
                &origin,
                &bot,
                config.as_ref(),
                &place,
                &user,
                EventType::EnterChat,
            )
        })
        .await?;
    crate::callback::announce(&state, &ids).await;
    let bot_ids = ids.iter().map(|_| id.clone()).collect::<Vec<_>>();
    Ok(Json(SingleChatOpened {
        callbacks: queued(&ids, bot_ids),
        chat,
    }))
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
