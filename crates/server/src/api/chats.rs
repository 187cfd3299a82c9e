//! `/api/v1/chats`, `/groups`, `/blackboards`: conversations, read marks and blackboard posts.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody, JsonBody, PathParams, QueryParams, non_blank};
use crate::app::AppState;
use crate::domain::{Chat, ChatKind, ChatPatch, NewChat, Post};

/// `POST /groups` and `POST /blackboards`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewChat)]
struct CreateChat {
    /// Generated (`wrk...`) when absent.
    chatid: Option<String>,
    name: String,
    /// Userids; each must be a user.
    #[serde(default)]
    members: Vec<String>,
}

/// `PATCH /chats/{chatid}`: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChatPatch)]
struct PatchChat {
    name: Option<String>,
    /// The new members (userids), replacing the old; not for a single chat.
    members: Option<Vec<String>>,
}

/// `POST /chats/{chatid}/posts`: a post opened by a user (bots open posts by sending).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewPost)]
struct CreatePost {
    /// Generated when absent; must not contain `|`.
    post_id: Option<String>,
    title: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only chats of this kind (empty: all).
    #[param(value_type = Option<ChatKind>)]
    kind: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct ChatList {
    chats: Vec<Chat>,
}

#[derive(Serialize, ToSchema)]
struct PostList {
    posts: Vec<Post>,
}

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_chats))
        .routes(routes!(create_group))
        .routes(routes!(create_blackboard))
        .routes(routes!(get_chat, update_chat, delete_chat))
        .routes(routes!(mark_read))
        .routes(routes!(list_posts, create_post))
}

/// Every chat, most recently active first.
#[utoipa::path(
    get,
    path = "/chats",
    tag = "chats",
    params(ListQuery),
    responses(
        (status = 200, description = "The chats", body = ChatList),
        (status = 400, description = "An unknown `kind`", body = ErrorBody),
    )
)]
async fn list_chats(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<ChatList>> {
    let kind = match query.kind.as_deref() {
        None | Some("") => None,
        Some(text) => Some(ChatKind::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "kind must be group, blackboard or single, not {text:?}"
            ))
        })?),
    };
    let chats = state.store.list_chat_summaries(kind).await?;
    Ok(Json(ChatList { chats }))
}

/// One chat.
#[utoipa::path(
    get,
    path = "/chats/{chatid}",
    tag = "chats",
    params(("chatid" = String, Path, description = "The chat's id")),
    responses(
        (status = 200, description = "The chat", body = Chat),
        (status = 404, description = "No such chat", body = ErrorBody),
    )
)]
async fn get_chat(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
) -> ApiResult<Json<Chat>> {
    Ok(Json(state.store.chat_summary(&chatid).await?))
}

/// Creates a group (its id generated when absent).
#[utoipa::path(
    post,
    path = "/groups",
    tag = "chats",
    request_body = CreateChat,
    responses(
        (status = 201, description = "The group, created", body = Chat),
        (status = 400, description = "A blank name, or an unknown member", body = ErrorBody),
        (status = 409, description = "The chat id is taken", body = ErrorBody),
    )
)]
async fn create_group(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateChat>,
) -> ApiResult<(StatusCode, Json<Chat>)> {
    create(&state, ChatKind::Group, body).await
}

/// Creates a blackboard (its id generated when absent).
#[utoipa::path(
    post,
    path = "/blackboards",
    tag = "chats",
    request_body = CreateChat,
    responses(
        (status = 201, description = "The blackboard, created", body = Chat),
        (status = 400, description = "A blank name, or an unknown member", body = ErrorBody),
        (status = 409, description = "The chat id is taken", body = ErrorBody),
    )
)]
async fn create_blackboard(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateChat>,
) -> ApiResult<(StatusCode, Json<Chat>)> {
    create(&state, ChatKind::Blackboard, body).await
}

async fn create(
    state: &AppState,
    kind: ChatKind,
    body: CreateChat,
) -> ApiResult<(StatusCode, Json<Chat>)> {
    check_members(state, &body.members).await?;
    let new = NewChat {
        chatid: body.chatid,
        name: body.name,
        members: body.members,
    };
    let chat = state
        .store
        .create_chat(kind, new, state.clock.now_millis())
        .await?;
    Ok((StatusCode::CREATED, Json(chat)))
}

/// Renames a chat and/or replaces its members (only the fields given).
#[utoipa::path(
    patch,
    path = "/chats/{chatid}",
    tag = "chats",
    params(("chatid" = String, Path, description = "The chat's id")),
    request_body = PatchChat,
    responses(
        (status = 200, description = "The chat, changed", body = Chat),
        (
            status = 400,
            description = "A blank name, a member who is not a user, or members for a single chat",
            body = ErrorBody
        ),
        (status = 404, description = "No such chat", body = ErrorBody),
    )
)]
async fn update_chat(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
    JsonBody(body): JsonBody<PatchChat>,
) -> ApiResult<Json<Chat>> {
    non_blank("name", body.name.as_deref())?;
    if let Some(members) = &body.members {
        if state.store.chat_summary(&chatid).await?.kind == ChatKind::Single {
            return Err(ApiError::bad_request(
                "the member of a single chat is its user; it cannot change",
            ));
        }
        check_members(&state, members).await?;
    }
    let patch = ChatPatch {
        name: body.name,
        members: body.members,
    };
    state.store.update_chat(&chatid, patch).await?;
    Ok(Json(state.store.chat_summary(&chatid).await?))
}

/// Removes a chat with its messages.
#[utoipa::path(
    delete,
    path = "/chats/{chatid}",
    tag = "chats",
    params(("chatid" = String, Path, description = "The chat's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such chat", body = ErrorBody),
    )
)]
async fn delete_chat(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.store.delete_chat(&chatid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks a chat read (its `unread` count starts again from 0).
#[utoipa::path(
    post,
    path = "/chats/{chatid}/read",
    tag = "chats",
    params(("chatid" = String, Path, description = "The chat's id")),
    responses(
        (status = 204, description = "Marked read"),
        (status = 404, description = "No such chat", body = ErrorBody),
    )
)]
async fn mark_read(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.store.mark_read(&chatid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The posts of a blackboard, with their reply counts.
#[utoipa::path(
    get,
    path = "/chats/{chatid}/posts",
    tag = "chats",
    params(("chatid" = String, Path, description = "The chat's id")),
    responses(
        (status = 200, description = "The posts", body = PostList),
        (status = 404, description = "No such blackboard", body = ErrorBody),
    )
)]
async fn list_posts(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
) -> ApiResult<Json<PostList>> {
    let posts = state.store.list_posts_with_replies(&chatid).await?;
    Ok(Json(PostList { posts }))
}

/// Opens a post on a blackboard, as a user does (bots open posts by sending).
#[utoipa::path(
    post,
    path = "/chats/{chatid}/posts",
    tag = "chats",
    params(("chatid" = String, Path, description = "The chat's id")),
    request_body = CreatePost,
    responses(
        (status = 201, description = "The post, created", body = Post),
        (status = 400, description = "A blank title, or an unusable post id", body = ErrorBody),
        (status = 404, description = "No such blackboard", body = ErrorBody),
        (status = 409, description = "The post id is taken", body = ErrorBody),
    )
)]
async fn create_post(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
    JsonBody(body): JsonBody<CreatePost>,
) -> ApiResult<(StatusCode, Json<Post>)> {
    non_blank("title", Some(&body.title))?;
    if let Some(id) = &body.post_id
        && (id.trim().is_empty() || id.contains('|'))
    {
        return Err(ApiError::bad_request(
            "post_id must be non-empty and must not contain '|'",
        ));
    }
    let post = state
        .store
        .create_post(&chatid, body.post_id, body.title, state.clock.now_millis())
        .await?;
    Ok((StatusCode::CREATED, Json(post)))
}

/// Members must be known users: a chat of unknown people could never be seen by anyone.
async fn check_members(state: &AppState, members: &[String]) -> ApiResult<()> {
    if members.is_empty() {
        return Ok(());
    }
    let known: HashSet<String> = state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|user| user.userid)
        .collect();
    match members.iter().find(|userid| !known.contains(*userid)) {
        Some(unknown) => Err(ApiError::bad_request(format!(
            "member {unknown} is not a known user (create it with POST /api/v1/users)"
        ))),
        None => Ok(()),
    }
}
