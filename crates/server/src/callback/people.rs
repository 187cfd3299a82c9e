//! People acting in the inbox, as API calls (the composer and the buttons use them, and so can
//! tests of bots):
//!
//! - `POST /api/v1/chats/{chatid}/messages` `{from, msgtype: text|image|mixed, text: {content} |
//!   image: {base64} | mixed: {items: [{type: text, content} | {type: image, base64}]},
//!   post_id?}` → 201 `{message, callbacks: [{id, bot_id, status}]}`.
//! - `POST /api/v1/messages/{id}/actions` (`click.rs`): a click on a markdown button.
//! - `GET /pictures/{token}`: a person's picture, where callbacks point (public and unguessable,
//!   like WeCom's picture servers, so the bot can fetch it without the admin token).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use hookpit_protocol::ImageFormat;
use hookpit_protocol::limit::{IMAGE_MAX_BYTES, TEXT_CONTENT_MAX_BYTES};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::notify::{self, Audience, Scene};
use super::payload::Origin;
use crate::api::error::{ApiError, ApiResult, ErrorBody, JsonBody, PathParams};
use crate::api::item::{Item, Page};
use crate::api::ui::DOWNLOAD_POLICY;
use crate::app::AppState;
use crate::domain::{ChatKind, OutboxStatus, PersonImage, PersonItem, PersonMessage};
use crate::store::random_id;

/// Most parts of a mixed message.
const MAX_ITEMS: usize = 20;

/// The guarded routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(write_message))
        .merge(super::click::router())
}

/// The public route of people's pictures.
pub fn public_router() -> Router<AppState> {
    Router::new().route("/pictures/{token}", get(picture))
}

/// `POST /chats/{chatid}/messages`: the part named by `msgtype` must be given.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WriteMessage {
    /// The userid of the person who writes (a member of the chat).
    from: String,
    /// `text`, `image` or `mixed`.
    #[schema(example = "text")]
    msgtype: String,
    text: Option<TextBody>,
    image: Option<ImageBody>,
    mixed: Option<MixedBody>,
    /// On a blackboard: the post replied to (absent: a new post).
    post_id: Option<String>,
}

/// Text, up to the send API's 5120 bytes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WriteText)]
struct TextBody {
    content: String,
}

/// A JPG or PNG picture up to 2 MB.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WriteImage)]
struct ImageBody {
    /// The picture's bytes, in Base64.
    #[schema(content_encoding = "base64")]
    base64: String,
}

/// Text and pictures in one message (图文混排).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WriteMixed)]
struct MixedBody {
    /// 1 to 20 parts, in order.
    items: Vec<MixedPart>,
}

/// One part of a mixed message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "lowercase")]
#[schema(as = WriteMixedPart)]
enum MixedPart {
    Text {
        content: String,
    },
    Image {
        /// The picture's bytes (JPG or PNG), in Base64.
        #[schema(content_encoding = "base64")]
        base64: String,
    },
}

/// A queued callback, as the answers list them.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedCallback {
    /// Its id in the callback log (`GET /api/v1/callbacks/{id}`).
    pub id: i64,
    pub bot_id: String,
    #[schema(value_type = OutboxStatus)]
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
#[schema(as = WrittenMessage)]
struct Written<'a> {
    message: Item<'a>,
    callbacks: Vec<QueuedCallback>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = QueuedCallbacks)]
pub struct Queued {
    pub callbacks: Vec<QueuedCallback>,
}

/// The ids the outbox gave `entries`, as the answer lists them.
pub fn queued(ids: &[i64], bot_ids: impl IntoIterator<Item = String>) -> Vec<QueuedCallback> {
    ids.iter()
        .zip(bot_ids)
        .map(|(id, bot_id)| QueuedCallback {
            id: *id,
            bot_id,
            status: "pending",
        })
        .collect()
}

/// Writes a message in a chat as a person (text, a picture, or both mixed).
///
/// The chat's bots with a callback are called back as WeCom calls them: in a group or on a
/// blackboard when the message mentions them, in a single chat always.
#[utoipa::path(
    post,
    path = "/chats/{chatid}/messages",
    tag = "people",
    params(("chatid" = String, Path, description = "The chat's id")),
    request_body = WriteMessage,
    responses(
        (
            status = 201,
            description = "The message, and the callbacks it queued",
            body = Written<'static>
        ),
        (
            status = 400,
            description = "A bad part, or `from` is not a user (or not a member)",
            body = ErrorBody
        ),
        (status = 404, description = "No such chat", body = ErrorBody),
    )
)]
async fn write_message(
    State(state): State<AppState>,
    PathParams(chatid): PathParams<String>,
    JsonBody(body): JsonBody<WriteMessage>,
) -> ApiResult<Response> {
    let raw_request = serde_json::json!({
        "from": body.from, "msgtype": body.msgtype, "post_id": body.post_id,
    });
    let items = items_of(&body)?;
    let chat = state.store.chat_summary(&chatid).await?;
    let author = state
        .store
        .get_user(&body.from)
        .await
        .map_err(|_| ApiError::bad_request(format!("from: user {} not found", body.from)))?;
    let single_chat_bot = match chat.kind {
        ChatKind::Single => chat.bots.first().cloned(),
        _ => None,
    };
    let now = state.clock.now_millis();
    let reply = body.post_id.is_some();
    let post_id = match chat.kind {
        // A new post's id is chosen here, so the callback can carry it.
        ChatKind::Blackboard => Some(body.post_id.clone().unwrap_or_else(|| random_id("bpk", 29))),
        _ => body.post_id.clone(),
    };
    let audience = Audience::load(&state, &chat.bots).await?;
    let origin = Origin {
        base_url: &state.base_url,
        now,
    };
    let scene = Scene {
        chatid: &chatid,
        kind: chat.kind,
        single_chat_bot: single_chat_bot.as_deref(),
        post_id: post_id.as_deref(),
        reply,
    };
    let tokens: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            PersonItem::Image(image) => Some(image.public_token.clone()),
            PersonItem::Text(_) => None,
        })
        .collect();
    let image_url = |n: usize| {
        format!(
            "{}/pictures/{}",
            state.base_url,
            tokens.get(n).map_or("", String::as_str)
        )
    };
    let entries = notify::person_message(&origin, &audience, &scene, &author, &items, &image_url);
    let bot_ids: Vec<String> = entries.iter().map(|entry| entry.bot_id.clone()).collect();
    let message = PersonMessage {
        request_id: uuid::Uuid::now_v7().to_string(),
        userid: author.userid.clone(),
        chatid: chatid.clone(),
        // A new post is stored under the id its callback carries.
        post_id: post_id.filter(|_| chat.kind == ChatKind::Blackboard),
        new_post: chat.kind == ChatKind::Blackboard && !reply,
        items,
        mentions: Vec::new(),
        raw_request: raw_request.to_string(),
        now,
    };
    let (stored, ids) = state.store.post_person_message(message, entries).await?;
    state.metrics.add_stored(1);
    super::announce(&state, &ids).await;
    let stored = Arc::new(stored);
    state.announce_message(Arc::clone(&stored));
    let page = Page::load(&state, &[stored.as_ref()]).await?;
    let written = Written {
        message: page.item(&stored),
        callbacks: queued(&ids, bot_ids),
    };
    Ok((StatusCode::CREATED, Json(written)).into_response())
}

/// The parts of a written message, checked: text up to the send API's 5120 bytes, pictures
/// JPG or PNG up to 2 MB (what WeCom takes from bots too).
fn items_of(body: &WriteMessage) -> ApiResult<Vec<PersonItem>> {
    let items = match body.msgtype.as_str() {
        "text" => {
            let text = body
                .text
                .as_ref()
                .ok_or_else(|| ApiError::bad_request("msgtype text needs text: {content}"))?;
            vec![text_item(&text.content)?]
        }
        "image" => {
            let image = body
                .image
                .as_ref()
                .ok_or_else(|| ApiError::bad_request("msgtype image needs image: {base64}"))?;
            vec![image_item(&image.base64)?]
        }
        "mixed" => {
            let mixed = body
                .mixed
                .as_ref()
                .ok_or_else(|| ApiError::bad_request("msgtype mixed needs mixed: {items}"))?;
            if mixed.items.is_empty() || mixed.items.len() > MAX_ITEMS {
                return Err(ApiError::bad_request(format!(
                    "mixed.items must have 1 to {MAX_ITEMS} parts"
                )));
            }
            mixed
                .items
                .iter()
                .map(|part| match part {
                    MixedPart::Text { content } => text_item(content),
                    MixedPart::Image { base64 } => image_item(base64),
                })
                .collect::<ApiResult<Vec<_>>>()?
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "msgtype {other:?}: people write text, image or mixed"
            )));
        }
    };
    Ok(items)
}

fn text_item(content: &str) -> ApiResult<PersonItem> {
    if content.trim().is_empty() {
        return Err(ApiError::bad_request("text content is empty"));
    }
    if content.len() > TEXT_CONTENT_MAX_BYTES {
        return Err(ApiError::bad_request(format!(
            "text content is longer than {TEXT_CONTENT_MAX_BYTES} bytes"
        )));
    }
    Ok(PersonItem::Text(content.to_owned()))
}

fn image_item(base64: &str) -> ApiResult<PersonItem> {
    let compact: String = base64.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| ApiError::bad_request("image base64 is not valid base64"))?;
    if bytes.len() > IMAGE_MAX_BYTES {
        return Err(ApiError::bad_request(format!(
            "the picture is larger than {IMAGE_MAX_BYTES} bytes"
        )));
    }
    let format = ImageFormat::sniff(&bytes)
        .ok_or_else(|| ApiError::bad_request("the picture is neither JPG nor PNG"))?;
    Ok(PersonItem::Image(PersonImage {
        mime: format.mime().to_owned(),
        bytes,
        public_token: random_id("", 32),
    }))
}

async fn picture(
    State(state): State<AppState>,
    PathParams(token): PathParams<String>,
) -> ApiResult<Response> {
    let not_found = || ApiError::not_found("no such picture");
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(not_found());
    }
    let (mime, bytes) = state
        .store
        .picture_by_token(&token)
        .await?
        .ok_or_else(not_found)?;
    let content_type =
        HeaderValue::from_str(&mime).unwrap_or(HeaderValue::from_static("image/png"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOWNLOAD_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400"),
            ),
        ],
        bytes,
    )
        .into_response())
}
