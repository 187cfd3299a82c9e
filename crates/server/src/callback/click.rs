//! `POST /api/v1/messages/{id}/actions` `{user, callback_id, name}` → 201 `{callbacks}`: a
//! person clicks a button of a bot's markdown message. The bot's callback gets the `attachment`
//! event (the clicked action only), and that person then sees the action's `replace_text`, as
//! WeCom shows it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hookpit_protocol::Message;
use hookpit_protocol::callback::AttachmentAction;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::notify;
use super::payload::{Origin, Place};
use super::people::{Queued, queued};
use crate::api::error::{ApiError, ApiResult, ErrorBody, JsonBody, PathParams, message_id};
use crate::app::AppState;
use crate::store::Click;

/// The route, relative to `/api/v1`, with its contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(click))
}

/// `POST /messages/{id}/actions`: which button, and who clicks it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ButtonClick)]
struct ClickBody {
    /// The userid of who clicks (they must see the message).
    user: String,
    /// The attachment's `callback_id`.
    callback_id: String,
    /// The action's `name`.
    name: String,
}

/// Clicks a button of a bot's markdown message as a person.
///
/// The bot's callback gets the `attachment` event; that person then sees the action's
/// `replace_text` (the message item's `chosen`).
#[utoipa::path(
    post,
    path = "/messages/{id}/actions",
    tag = "people",
    operation_id = "click_button",
    params(("id" = i64, Path, description = "The message id", minimum = 1)),
    request_body = ClickBody,
    responses(
        (status = 201, description = "The callbacks it queued", body = Queued),
        (
            status = 400,
            description = "No such button, no such user, or the user does not see the message",
            body = ErrorBody
        ),
        (status = 404, description = "No such message", body = ErrorBody),
    )
)]
async fn click(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<ClickBody>,
) -> ApiResult<(StatusCode, Json<Queued>)> {
    let id = message_id(&id)?;
    let detail = state.store.get_message(id).await?;
    let message = &detail.message;
    let not_a_button = || {
        ApiError::bad_request(format!(
            "message {id} has no button {:?} in an attachment {:?}",
            body.name, body.callback_id
        ))
    };
    let markdown = match serde_json::from_value::<Message>(serde_json::json!({
        "msgtype": message.msgtype.as_str(),
        message.msgtype.as_str(): message.content,
    })) {
        Ok(Message::Markdown { markdown }) if message.from_user.is_none() => markdown,
        _ => return Err(not_a_button()),
    };
    let action = markdown
        .attachments
        .iter()
        .flatten()
        .filter(|attachment| attachment.callback_id == body.callback_id)
        .flat_map(|attachment| attachment.actions.iter())
        .find(|action| action.name == body.name)
        .ok_or_else(not_a_button)?;
    let user = state
        .store
        .get_user(&body.user)
        .await
        .map_err(|_| ApiError::bad_request(format!("user {} not found", body.user)))?;
    let chat = state.store.chat_summary(&message.chatid).await?;
    let can_see = chat.members.contains(&user.userid)
        && (message.visible_to.is_empty() || message.visible_to.contains(&user.userid));
    if !can_see {
        return Err(ApiError::bad_request(format!(
            "{} does not see message {id}",
            user.userid
        )));
    }
    let bot = state.store.get_bot(&message.bot_id).await?;
    let config = state.store.callback_config(&bot.id).await?;
    let origin = Origin {
        base_url: &state.base_url,
        now: state.clock.now_millis(),
    };
    let place = Place {
        chatid: &message.chatid,
        chat_type: notify::chat_type_of(message.chat_kind),
        post_id: message.post_id.as_deref(),
    };
    let clicked = AttachmentAction {
        name: action.name.clone(),
        value: action.value.clone(),
        kind: action.kind.clone(),
    };
    let entries = notify::click(
        &origin,
        &bot,
        config.as_ref(),
        &place,
        &user,
        &body.callback_id,
        clicked,
    );
    let bot_ids: Vec<String> = entries.iter().map(|entry| entry.bot_id.clone()).collect();
    let click = Click {
        message_id: id,
        userid: user.userid.clone(),
        callback_id: body.callback_id.clone(),
        name: body.name.clone(),
    };
    let ids = state.store.record_click(click, entries, origin.now).await?;
    super::announce(&state, &ids).await;
    Ok((
        StatusCode::CREATED,
        Json(Queued {
            callbacks: queued(&ids, bot_ids),
        }),
    ))
}
