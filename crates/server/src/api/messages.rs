//! `/api/v1/messages`: the message list (filters, cursor pagination), one message with its
//! request, clearing, and the picture of an image message.
//!
//! The list maps onto one indexed SQL statement in the store: with `chatid` it is a range scan
//! of `messages_by_chat` from the newest id down, so the first page of a chat costs the same
//! whether it holds a hundred messages or a million. No request counts all messages.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult, PathParams, QueryParams, message_id};
use super::item::{Item, Page};
use super::ui::DOWNLOAD_POLICY;
use crate::app::{AppState, Event};
use crate::domain::{MessageQuery, MessageType};

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page: a page is rendered in one go.
pub const MAX_LIMIT: u32 = 500;

/// `GET /messages` parameters.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// A bot's key.
    pub key: Option<String>,
    pub chatid: Option<String>,
    pub msgtype: Option<String>,
    pub as_user: Option<String>,
    pub q: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

#[derive(Serialize)]
struct MessageList<'a> {
    messages: Vec<Item<'a>>,
    /// The `before` of the next (older) page; `null` on the last page.
    next_cursor: Option<i64>,
}

#[derive(Serialize)]
struct Cleared {
    deleted: u64,
}

/// The routes, relative to `/api/v1` (`/messages/wait` is in [`super::wait`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/messages", get(list_messages).delete(clear_messages))
        .route("/messages/{id}", get(get_message))
        .route("/messages/{id}/image", get(message_image))
}

/// An empty string means "no filter": forms and query builders send `?q=` for an empty box.
pub fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|text| !text.is_empty())
}

/// Parses `msgtype` exactly as the wire spells it (the send API's nine, or `mixed`).
pub fn parse_msgtype(value: Option<String>) -> ApiResult<Option<MessageType>> {
    match non_empty(value) {
        None => Ok(None),
        Some(text) => MessageType::from_wire(&text).map(Some).ok_or_else(|| {
            ApiError::bad_request(format!("msgtype {text:?} is not a WeCom message type"))
        }),
    }
}

async fn list_messages(
    State(state): State<AppState>,
    QueryParams(params): QueryParams<ListQuery>,
) -> ApiResult<Response> {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let msgtype = parse_msgtype(params.msgtype)?;
    let bot_id = match non_empty(params.key) {
        None => None,
        Some(key) => match state.store.bot_identity(&key).await? {
            Some(bot) => Some(bot.id),
            // No bot holds this key, so no message can match.
            None => {
                return Ok(Json(MessageList {
                    messages: Vec::new(),
                    next_cursor: None,
                })
                .into_response());
            }
        },
    };
    let query = MessageQuery {
        bot_id,
        chatid: non_empty(params.chatid),
        msgtype,
        as_user: non_empty(params.as_user),
        text: non_empty(params.q),
        before: params.before,
        after: None,
        limit,
        ascending: false,
    };
    let viewer = query.as_user.clone();
    let messages = state.store.list_messages(query).await?;
    let references: Vec<_> = messages.iter().collect();
    let page = Page::load(&state, &references)
        .await?
        .with_clicks_of(&state, viewer.as_deref(), &references)
        .await?;
    let full = u32::try_from(messages.len()).unwrap_or(u32::MAX) >= limit;
    let next_cursor = messages.last().filter(|_| full).map(|last| last.id);
    let items = messages.iter().map(|message| page.item(message)).collect();
    Ok(Json(MessageList {
        messages: items,
        next_cursor,
    })
    .into_response())
}

async fn get_message(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<Response> {
    let detail = state.store.get_message(message_id(&id)?).await?;
    let page = Page::load(&state, &[&detail.message]).await?;
    Ok(Json(page.detail(&detail)).into_response())
}

async fn clear_messages(State(state): State<AppState>) -> ApiResult<Json<Cleared>> {
    let deleted = state.store.clear_messages().await?;
    // Nobody may be listening: a send error only means no subscriber.
    let _ = state.events.send(Event::Cleared);
    Ok(Json(Cleared { deleted }))
}

/// `GET /messages/{id}/image?n=`: the picture of an image message, or the `n`-th (from 0) of a
/// person's mixed message.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PictureQuery {
    n: Option<usize>,
}

async fn message_image(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<PictureQuery>,
) -> ApiResult<Response> {
    let (mime, bytes) = state
        .store
        .message_picture(message_id(&id)?, query.n.unwrap_or(0))
        .await?;
    let content_type = HeaderValue::from_str(&mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            // A message's picture never changes (ids are never reused).
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOWNLOAD_POLICY),
            ),
        ],
        bytes,
    )
        .into_response())
}
