//! Two-way Hookpit: WeCom's bot callbacks (spec §8). People act in the inbox — write in a chat,
//! open a single chat, click a markdown button — a bot is added to or removed from a group, and
//! the bot's callback URL receives WeCom's encrypted callback; it may answer in the response (a
//! passive reply, posted into the chat) or later through its webhook with the `chatid` it
//! learned.
//!
//! # Layout
//! - [`config`]: `PUT/GET/DELETE /api/v1/bots/{id}/callback` and WeCom's URL verification.
//! - [`people`] and `click`: what people do, as API calls (`POST /api/v1/chats/{id}/messages`,
//!   `POST /api/v1/messages/{id}/actions`), and the public pictures callbacks point at.
//! - [`notify`]: who is called back about what; [`payload`]: each callback's payload, built once.
//! - [`worker`]: the outbox's callback consumer — delivery, retries, one chat at a time in order
//!   (`lanes`); [`passive`]: the replies.
//! - [`log`]: `GET /api/v1/callbacks`, the log of every callback with request and response.
//!
//! The store below holds the configurations, the outbox and the codes (`store/outbox.rs`,
//! `store/callbacks.rs`, `store/people.rs`); `get_chat_info` is a WeCom endpoint and lives with
//! the others in `webhook/`.

mod click;
pub mod config;
mod lanes;
pub mod log;
pub mod notify;
pub mod passive;
pub mod payload;
pub mod people;
pub mod worker;

use axum::Router;
use tokio::sync::Notify;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

/// The routes of the admin API (relative to `/api/v1`, behind the admin guard), with their
/// contract.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(config::router())
        .merge(people::router())
        .merge(log::router())
}

/// The public routes: the pictures callbacks point at.
pub fn public_router() -> Router<AppState> {
    people::public_router()
}

/// Announces newly queued callbacks (an SSE `callback` event each) and wakes the deliveries.
pub async fn announce(state: &AppState, ids: &[i64]) {
    if ids.is_empty() {
        return;
    }
    for id in ids {
        if let Ok(record) = state.store.outbox_record(*id).await {
            state.announce_callback(record);
        }
    }
    state.callbacks.wake();
}

/// Wakes the delivery worker when something was queued, so a callback leaves at once instead of
/// at the worker's next look.
#[derive(Debug, Default)]
pub struct Wakeup(Notify);

impl Wakeup {
    /// Something was queued.
    pub fn wake(&self) {
        self.0.notify_one();
    }

    /// Resolves at the next [`Wakeup::wake`] (or at once if one is pending).
    pub async fn woken(&self) {
        self.0.notified().await;
    }
}
