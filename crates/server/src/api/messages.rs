//! `/api/v1/messages`: the message list (filters, cursor pagination), one message with its
//! request, clearing, and the picture of an image message.
//!
//! The list maps onto one indexed SQL statement in the store: with `chatid` it is a range scan
//! of `messages_by_chat` from the newest id down, so the first page of a chat costs the same
//! whether it holds a hundred messages or a million. No request counts all messages.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody, PathParams, QueryParams, message_id};
use super::item::{DetailItem, Item, Page};
use super::openapi::Binary;
use super::ui::DOWNLOAD_POLICY;
use crate::app::AppState;
use crate::domain::{MessageQuery, MessageType};

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page: a page is rendered in one go.
pub const MAX_LIMIT: u32 = 500;

/// `GET /messages` parameters (an empty value is no filter). Any other parameter is a 400: a
/// misspelt filter must not quietly list everything.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A bot's key: only that bot's messages.
    pub key: Option<String>,
    /// Only the messages of this chat.
    pub chatid: Option<String>,
    /// Only messages of this type.
    #[param(value_type = Option<MessageType>)]
    pub msgtype: Option<String>,
    /// Only the messages this user may see (`visible_to`, single chats of other users).
    pub as_user: Option<String>,
    /// Search: space-separated parts that must all hold. `word` or `"a phrase"`: the text
    /// occurs in a string of the content (a substring, ASCII case ignored; `告警`, `disk`).
    /// `msgtype:TYPE` (the send API's types, or `mixed`); `bot:ID-or-name`;
    /// `chat:ID-or-name`; `from:USERID-or-name` (a person's message);
    /// `mention:USERID-or-name` (`mention:all`: `@all`); `has:file`, `has:image`,
    /// `has:buttons`; `is:unread` (past its chat's read mark); `before:DATE` (created before
    /// that day, UTC) and `after:DATE` (on or after it), a `DATE` being `YYYY-MM-DD` or an
    /// RFC 3339 time. A value may be quoted (`chat:"Ops team"`). `-` before a part excludes
    /// what it matches (`-heartbeat`, `-msgtype:text`). Any other `name:value` is text; a
    /// known name with a bad value is a 400.
    #[param(example = "告警 -msgtype:text after:2026-12-01")]
    pub q: Option<String>,
    /// Only ids below this: the `next_cursor` of the previous page.
    pub before: Option<i64>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The admin token of a GET (see the security schemes); taken by the access guard.
    #[param(ignore)]
    #[serde(rename = "access_token")]
    _access_token: Option<String>,
    /// The same, under its short name.
    #[param(ignore)]
    #[serde(rename = "token")]
    _token: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct MessageList<'a> {
    /// Newest first.
    messages: Vec<Item<'a>>,
    /// The `before` of the next (older) page; `null` on the last page.
    next_cursor: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = MessagesCleared)]
struct Cleared {
    deleted: u64,
}

/// The routes, relative to `/api/v1` (`/messages/wait` is in [`super::wait`]), with their
/// contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages, clear_messages))
        .routes(routes!(get_message))
        .routes(routes!(message_image))
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

/// The messages, newest first, a page at a time.
///
/// `next_cursor` is the `before` of the next (older) page, `null` on the last. A `key` no bot
/// holds matches nothing. `q` is a search (its syntax: the parameter); words of three or more
/// characters, and two-character words with a CJK character, are answered from an index, so
/// the first page costs about the same at a million stored messages as at a thousand; a query
/// of shorter words or of fields alone scans from the newest message until the page is full.
#[utoipa::path(
    get,
    path = "/messages",
    tag = "messages",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of message items", body = MessageList<'static>),
        (
            status = 400,
            description = "A bad `limit`, `msgtype` or `q`, or a parameter not listed here",
            body = ErrorBody
        ),
    )
)]
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

/// One message item, with its raw request, the reply and the sender's address.
#[utoipa::path(
    get,
    path = "/messages/{id}",
    tag = "messages",
    params(("id" = i64, Path, description = "The message id", minimum = 1)),
    responses(
        (status = 200, description = "The message", body = DetailItem<'static>),
        (status = 400, description = "The id is not a positive integer", body = ErrorBody),
        (status = 404, description = "No such message", body = ErrorBody),
    )
)]
async fn get_message(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<Response> {
    let detail = state.store.get_message(message_id(&id)?).await?;
    let page = Page::load(&state, &[&detail.message]).await?;
    Ok(Json(page.detail(&detail)).into_response())
}

/// Deletes every message (live inboxes get a `cleared` event).
#[utoipa::path(
    delete,
    path = "/messages",
    tag = "messages",
    responses((status = 200, description = "How many were deleted", body = Cleared))
)]
async fn clear_messages(State(state): State<AppState>) -> ApiResult<Json<Cleared>> {
    let deleted = state.store.clear_messages().await?;
    // Nobody may be listening: a send error only means no subscriber.
    state.announce_cleared();
    Ok(Json(Cleared { deleted }))
}

/// `GET /messages/{id}/image?n=`: the picture of an image message, or the `n`-th (from 0) of a
/// person's mixed message.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PictureQuery {
    /// Which picture of a person's message, from 0 (default 0).
    n: Option<usize>,
}

/// The picture of an image message, or the `n`-th picture of a person's message.
#[utoipa::path(
    get,
    path = "/messages/{id}/image",
    tag = "messages",
    params(("id" = i64, Path, description = "The message id", minimum = 1), PictureQuery),
    responses(
        (
            status = 200,
            description = "The picture (JPG or PNG), served under a sandboxing policy",
            content(
                (inline(Binary) = "image/png"),
                (inline(Binary) = "image/jpeg")
            )
        ),
        (status = 400, description = "The id is not a positive integer", body = ErrorBody),
        (
            status = 404,
            description = "No such message, or it has no such picture",
            body = ErrorBody
        ),
    )
)]
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
