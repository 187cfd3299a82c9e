//! `GET /api/v1/events`: Server-Sent Events for the live inbox.
//!
//! Events: `message` (a message item, with `id:` set to the message id), `rejection` (a refused
//! webhook call), `cleared` (every message was deleted) and `callback` (a callback was queued or
//! attempted: its log entry, as `GET /api/v1/callbacks/{id}` shows it). A comment line is sent every 15 s so
//! proxies keep the connection open.
//!
//! Events that arrive together are rendered together ([`Page`] loads users and media once per
//! batch), so a burst of thousands of messages costs a few queries per connection, not two per
//! message. If a connection falls so far behind that the broadcast drops events for it, the
//! stream ends, which is better than a stream with silent holes: `EventSource` reconnects
//! (after the `retry` sent first) with the `Last-Event-ID` of the last message it got, and the
//! new stream first replays the messages after it, from the store, then goes live without
//! repeating them. So a client that reconnects misses no message, whichever instance of a
//! shared store it reaches (`app/feed.rs`). The stream also ends when the server shuts down,
//! so graceful shutdown never waits on an open inbox.
//!
//! Replaying is exact because messages are announced in id order once committed (on
//! PostgreSQL by the feed; on SQLite by the handlers, where two messages committed together
//! may be announced in either order, a window of microseconds).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, watch};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, QueryParams};
use super::item::Page;
use crate::app::{AppState, Event};
use crate::domain::{MessageQuery, StoredMessage};

/// Most events rendered in one batch (and messages replayed in one).
const MAX_BATCH: u32 = 256;
/// How long `EventSource` waits before reconnecting.
const RETRY: Duration = Duration::from_secs(1);
/// Keep-alive comment interval.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// `GET /events` parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// Replay the messages with a larger id first, then go live (what a `Last-Event-ID`
    /// header does; the header wins).
    after: Option<i64>,
    /// The admin token of a GET (see the security schemes); taken by the access guard.
    #[param(ignore)]
    #[serde(rename = "access_token")]
    _access_token: Option<String>,
    /// The same, under its short name.
    #[param(ignore)]
    #[serde(rename = "token")]
    _token: Option<String>,
}

/// What the stream carries from one step to the next.
struct Cursor {
    state: AppState,
    events: broadcast::Receiver<Event>,
    shutdown: watch::Receiver<bool>,
    /// Messages after this id are still to be replayed from the store.
    replay_after: Option<i64>,
    /// The client has every message up to this id: live events for them are not sent again.
    sent_upto: i64,
}

/// The id to replay after: `Last-Event-ID` (sent by `EventSource` when it reconnects), else
/// `?after=`.
fn replay_after(headers: &HeaderMap, query: &EventsQuery) -> Result<Option<i64>, ApiError> {
    match headers.get("last-event-id") {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse::<i64>().ok())
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("Last-Event-ID must be a message id")),
        None => Ok(query.after),
    }
}

/// The live stream of the inbox (Server-Sent Events).
///
/// First a `retry: 1000` and a comment, then one event per change, as it happens:
///
/// - `message`: `data` is a `MessageItem`, `id` is the message id.
/// - `rejection`: `data` is a `Rejection` (a refused webhook call).
/// - `callback`: `data` is a `CallbackView` (a callback was queued or attempted), as
///   `GET /api/v1/callbacks/{id}` shows it.
/// - `cleared`: `data` is `{}`: every message was deleted.
/// - `relay`: a message relayed to real WeCom is being sent, was delivered, failed or queued again; `data` is
///   its relay state.
///
/// With `Last-Event-ID: N` (which `EventSource` sends when it reconnects) or `?after=N`, the
/// messages after N are replayed first, oldest first, then the stream goes live.
///
/// A comment line every 15 s keeps proxies from closing the connection. The stream ends when
/// the server shuts down or when the client falls too far behind: reconnect with
/// `Last-Event-ID`, and no message is missed (other events are not replayed).
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    operation_id = "stream_events",
    params(EventsQuery, ("Last-Event-ID" = Option<i64>, Header, description = "Replay the messages after this id first")),
    responses(
        (
            status = 200,
            description = "An endless `text/event-stream` of `message`, `rejection`, `callback`, \
                `cleared` and `relay` events, each with JSON `data`",
            content_type = "text/event-stream",
            body = String
        ),
        (status = 400, description = "`Last-Event-ID` or `after` is not a message id, or an unknown parameter", body = super::error::ErrorBody),
    )
)]
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryParams(query): QueryParams<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let replay_after = replay_after(&headers, &query)?;
    // Subscribed before the replay reads the store: a message committed meanwhile is either
    // read or received (and then not sent twice: `sent_upto`).
    let cursor = Cursor {
        events: state.events.subscribe(),
        shutdown: state.shutdown.clone(),
        replay_after,
        sent_upto: replay_after.unwrap_or(0),
        state,
    };
    let hello = SseEvent::default().retry(RETRY).comment("hookpit events");
    let live = stream::unfold(Some(cursor), |cursor| async move {
        let (state, events, cursor) = next_batch(cursor?).await;
        if events.is_empty() {
            return None;
        }
        Some((render(&state, &events).await, cursor))
    })
    .flat_map(|events| stream::iter(events.into_iter().map(Ok)));
    let stream = stream::once(async { Ok(hello) }).chain(live);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The next events to send: messages still to replay, else live events (waiting for at least
/// one, then taking whatever else is queued). No events means the end of the stream (shutdown,
/// fallen behind, the store failed); a `None` cursor ends it after these events.
async fn next_batch(mut cursor: Cursor) -> (AppState, Vec<Event>, Option<Cursor>) {
    let state = cursor.state.clone();
    if *cursor.shutdown.borrow() {
        // Also between the batches of a long replay.
        return (state, Vec::new(), None);
    }
    if let Some(after) = cursor.replay_after {
        match replay_page(&state, after).await {
            Ok(page) if !page.is_empty() => {
                let last = page.last().map_or(after, |message| message.id);
                cursor.replay_after = (page.len() == MAX_BATCH as usize).then_some(last);
                cursor.sent_upto = cursor.sent_upto.max(last);
                let events = page
                    .into_iter()
                    .map(|message| Event::Message(Arc::new(message)))
                    .collect();
                return (state, events, Some(cursor));
            }
            Ok(_) => cursor.replay_after = None,
            Err(error) => {
                // Ended: the client reconnects and the replay starts again where it was.
                tracing::warn!(error = %error, "events: cannot replay messages");
                return (state, Vec::new(), None);
            }
        }
    }
    loop {
        let (events, keep) = match next_live(&mut cursor).await {
            Some(received) => received,
            None => return (state, Vec::new(), None),
        };
        let sent_upto = cursor.sent_upto;
        let events: Vec<Event> = events
            .into_iter()
            .filter(|event| !matches!(event, Event::Message(message) if message.id <= sent_upto))
            .collect();
        if !keep {
            return (state, events, None);
        }
        if !events.is_empty() {
            return (state, events, Some(cursor));
        }
        // Only messages the replay sent: wait for the next.
    }
}

/// The messages after `after`, oldest first, one batch of them.
async fn replay_page(
    state: &AppState,
    after: i64,
) -> Result<Vec<StoredMessage>, crate::store::StoreError> {
    state
        .store
        .list_messages(MessageQuery {
            after: Some(after),
            limit: MAX_BATCH,
            ascending: true,
            ..MessageQuery::default()
        })
        .await
}

/// Waits for at least one live event, then takes whatever else is queued; `None` at shutdown or
/// when fallen behind, `false` with the events when they are the last.
async fn next_live(cursor: &mut Cursor) -> Option<(Vec<Event>, bool)> {
    if *cursor.shutdown.borrow() {
        return None;
    }
    let first = tokio::select! {
        _ = cursor.shutdown.changed() => return None,
        received = cursor.events.recv() => received,
    };
    let mut events = match first {
        Ok(event) => vec![event],
        // Behind or closed: end, so that the client reconnects and replays.
        Err(RecvError::Lagged(_) | RecvError::Closed) => return None,
    };
    while events.len() < MAX_BATCH as usize {
        match cursor.events.try_recv() {
            Ok(event) => events.push(event),
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Lagged(_) | TryRecvError::Closed) => return Some((events, false)),
        }
    }
    Some((events, true))
}

async fn render(state: &AppState, events: &[Event]) -> Vec<SseEvent> {
    let messages: Vec<&StoredMessage> = events
        .iter()
        .filter_map(|event| match event {
            Event::Message(message) => Some(Arc::as_ref(message)),
            _ => None,
        })
        .collect();
    let page = match Page::load(state, &messages).await {
        Ok(page) => page,
        // Rendered without names and media rather than not at all.
        Err(error) => {
            tracing::warn!(message = %error.message, "events: cannot load users and media");
            Page::default()
        }
    };
    events
        .iter()
        .filter_map(|event| match event {
            Event::Message(message) => SseEvent::default()
                .event("message")
                .id(message.id.to_string())
                .json_data(page.item(message))
                .ok(),
            Event::Rejection(rejection) => SseEvent::default()
                .event("rejection")
                .json_data(rejection.as_ref())
                .ok(),
            Event::Cleared => Some(SseEvent::default().event("cleared").data("{}")),
            Event::Relay(view) => SseEvent::default()
                .event("relay")
                .json_data(view.as_ref())
                .ok(),
            Event::Callback(record) => SseEvent::default()
                .event("callback")
                .json_data(crate::callback::log::CallbackView::of(record))
                .ok(),
        })
        .collect()
}
