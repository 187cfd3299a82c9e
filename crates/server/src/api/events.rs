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
//! stream ends: `EventSource` reconnects (after the `retry` sent first) and the inbox reloads
//! what it missed, which is better than a stream with silent holes. The stream also ends when
//! the server shuts down, so graceful shutdown never waits on an open inbox.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, watch};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::item::Page;
use crate::app::{AppState, Event};
use crate::domain::StoredMessage;

/// Most events rendered in one batch.
const MAX_BATCH: usize = 256;
/// How long `EventSource` waits before reconnecting.
const RETRY: Duration = Duration::from_secs(1);
/// Keep-alive comment interval.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// What the stream carries from one step to the next.
struct Cursor {
    state: AppState,
    events: broadcast::Receiver<Event>,
    shutdown: watch::Receiver<bool>,
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
/// A comment line every 15 s keeps proxies from closing the connection. The stream ends when
/// the server shuts down or when the client falls too far behind: reconnect, and reload what
/// may have been missed.
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    operation_id = "stream_events",
    responses(
        (
            status = 200,
            description = "An endless `text/event-stream` of `message`, `rejection`, `callback`, \
                `cleared` and `relay` events, each with JSON `data`",
            content_type = "text/event-stream",
            body = String
        ),
    )
)]
async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let cursor = Cursor {
        events: state.events.subscribe(),
        shutdown: state.shutdown.clone(),
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
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// Waits for at least one event, then takes whatever else is queued. No events means the end
/// of the stream (shutdown, or fallen behind); a `None` cursor ends it after these events.
async fn next_batch(mut cursor: Cursor) -> (AppState, Vec<Event>, Option<Cursor>) {
    let state = cursor.state.clone();
    if *cursor.shutdown.borrow() {
        return (state, Vec::new(), None);
    }
    let first = tokio::select! {
        _ = cursor.shutdown.changed() => return (state, Vec::new(), None),
        received = cursor.events.recv() => received,
    };
    let mut events = match first {
        Ok(event) => vec![event],
        // Behind or closed: end, so that the client reconnects and reloads.
        Err(RecvError::Lagged(_) | RecvError::Closed) => return (state, Vec::new(), None),
    };
    let mut keep = true;
    while events.len() < MAX_BATCH {
        match cursor.events.try_recv() {
            Ok(event) => events.push(event),
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Lagged(_) | TryRecvError::Closed) => {
                keep = false;
                break;
            }
        }
    }
    (state, events, keep.then_some(cursor))
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
