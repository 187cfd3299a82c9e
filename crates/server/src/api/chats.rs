//! `/api/v1/chats`, `/groups`, `/blackboards`: conversations, read marks and blackboard posts.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult, JsonBody, PathParams, QueryParams, non_blank};
use crate::app::AppState;
use crate::domain::{Chat, ChatKind, ChatPatch, NewChat, Post};

/// `POST /groups` and `POST /blackboards`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateChat {
    chatid: Option<String>,
    name: String,
    #[serde(default)]
    members: Vec<String>,
}

/// `PATCH /chats/{chatid}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchChat {
    name: Option<String>,
    members: Option<Vec<String>>,
}

/// `POST /chats/{chatid}/posts`: a post opened by a user (bots open posts by sending).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreatePost {
    post_id: Option<String>,
    title: String,
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    kind: Option<String>,
}

#[derive(Serialize)]
struct ChatList {
    chats: Vec<Chat>,
}

#[derive(Serialize)]
struct PostList {
    posts: Vec<Post>,
}

/// The routes, relative to `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chats", get(list_chats))
        .route("/groups", post(create_group))
        .route("/blackboards", post(create_blackboard))
        .route(
            "/chats/{chatid}",
            get(get_chat).patch(update_chat).delete(delete_chat),
        )
        .route("/chats/{chatid}/read", post(mark_read))
        .route("/chats/{chatid}/posts", get(list_posts).post(create_post))
}

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

async fn get_chat(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
) -> ApiResult<Json<Chat>> {
    Ok(Json(state.store.chat_summary(&chatid).await?))
}

async fn create_group(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateChat>,
) -> ApiResult<(StatusCode, Json<Chat>)> {
    create(&state, ChatKind::Group, body).await
}

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

async fn delete_chat(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.store.delete_chat(&chatid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn mark_read(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.store.mark_read(&chatid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_posts(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
) -> ApiResult<Json<PostList>> {
    let posts = state.store.list_posts_with_replies(&chatid).await?;
    Ok(Json(PostList { posts }))
}

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
