//! Where a bot reaches: `PUT/DELETE /api/v1/bots/{bot_id}/chats/{chatid}` (membership, which
//! calls it back with `add_to_chat` / `delete_from_chat`), `PUT/DELETE
//! /bots/{bot_id}/subscription/{userid}` (its subscription scope) and `POST
//! /bots/{bot_id}/single-chats` (a user opens a single chat: `enter_chat`).

use axum::Json;
use axum::extract::State;
use hookpit_protocol::callback::EventType;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bots::{BotView, referenced, view};
use super::error::{ApiError, ApiResult, ErrorBody, JsonBody, PathParams, QueryParams};
use crate::app::AppState;
use crate::callback::notify;
use crate::callback::payload::{Origin, Place};
use crate::callback::people::{QueuedCallback, queued};
use crate::domain::{ChatKind, SingleChat, User};

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(join_chat, leave_chat))
        .routes(routes!(subscribe, unsubscribe))
        .routes(routes!(open_single_chat))
}

/// `POST /bots/{bot_id}/single-chats`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OpenSingleChat {
    /// The user who opens the chat.
    userid: String,
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
