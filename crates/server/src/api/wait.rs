//! `GET /api/v1/messages/wait`: a long-poll for tests of senders — "send, then wait for the
//! message to land" without polling loops.
//!
//! The handler subscribes to the live events BEFORE it reads the store, so a message committed
//! between the read and the subscription cannot be missed: either the read sees it, or its event
//! (sent after the commit) reaches the subscription. Each event that passes the cheap in-memory
//! filters (bot, chat, type) is confirmed by the store, which applies every filter exactly as
//! the message list does (visibility included), and answers with everything that matched.
//!
//! It answers `{"messages": [...], "timed_out": bool}`, oldest first: as soon as something
//! matches, or empty when `timeout_ms` passes or the server shuts down. The timeout is capped
//! below `--request-timeout`, which would otherwise cut the request off with a 408.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody, QueryParams};
use super::item::{Item, Page};
use super::messages::{non_empty, parse_msgtype};
use crate::app::{AppState, Event};
use crate::domain::{MessageQuery, MessageType, StoredMessage};

/// Wait when `timeout_ms` is absent.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait, whatever is asked.
const MAX_TIMEOUT: Duration = Duration::from_secs(120);
/// Left between the end of a wait and `--request-timeout`, to answer in time.
const ANSWER_MARGIN: Duration = Duration::from_millis(500);
/// Most messages in one answer.
const MAX_MESSAGES: u32 = 100;

/// `GET /messages/wait` parameters (an empty value is no filter).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WaitQuery {
    /// A bot's key; may name a bot that does not exist yet (`--accept-any-key` creates it on
    /// its first send).
    key: Option<String>,
    /// Only the messages of this chat.
    chatid: Option<String>,
    /// Only messages of this type.
    #[param(value_type = Option<MessageType>)]
    msgtype: Option<String>,
    /// Only the messages this user may see.
    as_user: Option<String>,
    /// Only messages with a larger id; default: the newest id now (wait for the next one).
    after: Option<i64>,
    /// How long to wait (default 30 000; at most 120 000, and less than `--request-timeout`).
    timeout_ms: Option<u64>,
}

#[derive(Serialize, ToSchema)]
struct WaitAnswer<'a> {
    /// Oldest first (at most 100).
    messages: Vec<Item<'a>>,
    /// Nothing matched in time.
    timed_out: bool,
}

/// The filters of one wait.
#[derive(Debug)]
struct Filter {
    key: Option<String>,
    /// The bot of `key`, once it exists.
    bot_id: Option<String>,
    chatid: Option<String>,
    msgtype: Option<MessageType>,
    as_user: Option<String>,
}

impl Filter {
    /// Resolves `key` to its bot if not done yet; `false` while no bot holds the key.
    async fn resolve(&mut self, state: &AppState) -> ApiResult<bool> {
        match (&self.key, &self.bot_id) {
            (None, _) | (Some(_), Some(_)) => Ok(true),
            (Some(key), None) => {
                self.bot_id = state.store.bot_identity(key).await?.map(|bot| bot.id);
                Ok(self.bot_id.is_some())
            }
        }
    }

    /// The in-memory pre-check of an event; the store has the last word.
    fn may_match(&self, message: &StoredMessage) -> bool {
        self.bot_id.as_ref().is_none_or(|id| *id == message.bot_id)
            && self.chatid.as_ref().is_none_or(|id| *id == message.chatid)
            && self.msgtype.is_none_or(|t| t == message.msgtype)
            && self.as_user.as_ref().is_none_or(|user| {
                message.visible_to.is_empty() || message.visible_to.contains(user)
            })
    }

    fn query(&self, after: i64) -> MessageQuery {
        MessageQuery {
            bot_id: self.bot_id.clone(),
            chatid: self.chatid.clone(),
            msgtype: self.msgtype,
            as_user: self.as_user.clone(),
            text: None,
            before: None,
            after: Some(after),
            limit: MAX_MESSAGES,
            ascending: true,
        }
    }
}

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(wait))
}

/// The longest wait this server allows.
fn cap(request_timeout: Duration) -> Duration {
    let room = request_timeout
        .checked_sub(ANSWER_MARGIN)
        .unwrap_or(request_timeout / 2);
    MAX_TIMEOUT.min(room)
}

/// Waits for the next messages that match (a long-poll), oldest first.
///
/// Answers as soon as messages with an id above `after` match, or empty with `timed_out` when
/// `timeout_ms` passes (or the server shuts down).
#[utoipa::path(
    get,
    path = "/messages/wait",
    tag = "messages",
    operation_id = "wait_for_messages",
    params(WaitQuery),
    responses(
        (
            status = 200,
            description = "The messages that matched, or none",
            body = WaitAnswer<'static>
        ),
        (status = 400, description = "A bad `msgtype` or parameter", body = ErrorBody),
    )
)]
async fn wait(
    State(state): State<AppState>,
    QueryParams(params): QueryParams<WaitQuery>,
) -> ApiResult<Response> {
    // Subscribe first: see the module documentation.
    let mut events = state.events.subscribe();
    let mut shutdown = state.shutdown.clone();
    let timeout = params
        .timeout_ms
        .map_or(DEFAULT_TIMEOUT, Duration::from_millis)
        .min(cap(state.config.request_timeout));
    let deadline = tokio::time::Instant::now() + timeout;
    let mut filter = Filter {
        key: non_empty(params.key),
        bot_id: None,
        chatid: non_empty(params.chatid),
        msgtype: parse_msgtype(params.msgtype)?,
        as_user: non_empty(params.as_user),
    };
    let after = match params.after {
        Some(after) => after,
        None => state.store.last_message_id().await?,
    };
    if filter.resolve(&state).await? {
        let found = state.store.list_messages(filter.query(after)).await?;
        if !found.is_empty() {
            return answer(&state, &found, false).await;
        }
    }
    loop {
        if *shutdown.borrow() {
            break;
        }
        let check = tokio::select! {
            () = tokio::time::sleep_until(deadline) => break,
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break;
                }
                false
            }
            received = events.recv() => match received {
                Ok(Event::Message(message)) => {
                    message.id > after
                        && filter.resolve(&state).await?
                        && filter.may_match(&message)
                }
                Ok(_) => false,
                // Events were dropped while this waiter was slow: ask the store.
                Err(RecvError::Lagged(_)) => filter.resolve(&state).await?,
                Err(RecvError::Closed) => break,
            },
        };
        if check {
            let found = state.store.list_messages(filter.query(after)).await?;
            if !found.is_empty() {
                return answer(&state, &found, false).await;
            }
        }
    }
    answer(&state, &[], true).await
}

async fn answer(
    state: &AppState,
    messages: &[StoredMessage],
    timed_out: bool,
) -> ApiResult<Response> {
    let references: Vec<_> = messages.iter().collect();
    let page = Page::load(state, &references).await?;
    let items = messages.iter().map(|message| page.item(message)).collect();
    Ok(Json(WaitAnswer {
        messages: items,
        timed_out,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_end_before_the_request_timeout() {
        assert_eq!(cap(Duration::from_secs(30)), Duration::from_millis(29_500));
        assert_eq!(cap(Duration::from_secs(600)), MAX_TIMEOUT);
        assert_eq!(cap(Duration::from_millis(400)), Duration::from_millis(200));
    }
}
