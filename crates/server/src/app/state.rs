//! [`AppState`]: what every handler shares — configuration, store, clock, limiter, live events,
//! the ring of recent rejections and the metrics.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

use super::caller::{Caller, ProxyTrust};
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::StoredMessage;
use crate::limit::RateLimiter;
use crate::metrics::Metrics;
use crate::store::Store;

/// How many refused webhook calls `/api/v1/rejections` remembers.
pub const REJECTIONS_KEPT: usize = 500;

/// A live event for `/api/v1/events` and long-polls.
#[derive(Debug, Clone)]
pub enum Event {
    /// One stored message, sent after the commit that holds it (one event per message; the
    /// API turns it into a message item).
    Message(Arc<StoredMessage>),
    /// A refused webhook call.
    Rejection(Arc<Rejection>),
    /// Every message was deleted.
    Cleared,
    /// A callback was queued, attempted, delivered or given up.
    Callback(Arc<crate::domain::OutboxRecord>),
    /// A relayed request was sent, delivered, failed or queued again.
    Relay(Arc<crate::relay::RelayView>),
}

/// A refused webhook call, for senders that ignore errcodes.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rejection {
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub at: String,
    /// The key, masked: first 4 characters and `…`.
    pub key: String,
    /// `send`, `upload_media` or `get_chat_info`.
    pub endpoint: Cow<'static, str>,
    pub errcode: i64,
    pub errmsg: String,
    /// The first 512 bytes of the body (lossy UTF-8).
    pub body_excerpt: String,
    pub from_ip: String,
    /// The refusal was an injected fault (`/api/v1/faults`), not the call's own doing.
    pub injected: bool,
}

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Inner>);

/// The fields of [`AppState`].
#[derive(Debug)]
pub struct Inner {
    pub config: Config,
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub limiter: RateLimiter,
    pub events: broadcast::Sender<Event>,
    // A std Mutex: pushed and read without awaiting.
    pub rejections: Mutex<VecDeque<Arc<Rejection>>>,
    pub metrics: Metrics,
    /// On a shared store: tells the other instances what is not stored (`feed.rs`).
    pub announcer: Option<super::feed::Announcer>,
    /// The fault rules in force (`--fault`, `/api/v1/faults`).
    pub faults: crate::fault::Faults,
    /// The bots that relay to real WeCom, and their upstreams.
    pub relays: crate::relay::Relays,
    /// Wakes the relay when a request is queued or released.
    pub relay_wakeup: crate::callback::Wakeup,
    /// Wakes the callback deliveries when one is queued.
    pub callbacks: crate::callback::Wakeup,
    /// The memory all webhook bodies held at once may take (`--body-memory`).
    pub body_budget: crate::webhook::BodyBudget,
    /// How far `X-Forwarded-For` is believed (`--trust-proxy`, `--trusted-hops`,
    /// `--trusted-proxy`).
    pub proxy_trust: ProxyTrust,
    /// `http://ADDR` (or --public-url): the base of printed webhook URLs.
    pub base_url: String,
    /// When the server started (`/metrics` uptime).
    pub started: std::time::Instant,
    /// Becomes `true` when the server shuts down: ends SSE streams and long-polls.
    pub shutdown: watch::Receiver<bool>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The caller, as the admin guard and WeCom's `from ip` see it: the peer, or behind a
    /// trusted proxy the hop it appended (see [`super::caller`]).
    pub fn caller(&self, peer: SocketAddr, headers: &HeaderMap) -> Caller {
        self.proxy_trust.caller(peer, headers)
    }

    /// Remembers a refused call and announces it, here and to the other instances.
    pub fn reject(&self, rejection: Rejection) {
        if let Some(announcer) = &self.announcer {
            announcer.rejection(&rejection);
        }
        self.remember_rejection(Arc::new(rejection));
    }

    /// Remembers a refused call (here or on another instance) and announces it here.
    pub fn remember_rejection(&self, rejection: Arc<Rejection>) {
        {
            let mut ring = self.rejections.lock().unwrap_or_else(|e| e.into_inner());
            if ring.len() == REJECTIONS_KEPT {
                ring.pop_front();
            }
            ring.push_back(Arc::clone(&rejection));
        }
        let _ = self.events.send(Event::Rejection(rejection));
    }

    /// Announces a message this instance stored. On a shared store the feed announces every
    /// instance's messages instead, in commit order (`feed.rs`), so this does nothing there.
    pub fn announce_message(&self, message: Arc<StoredMessage>) {
        if !self.store.is_shared() {
            let _ = self.events.send(Event::Message(message));
        }
    }

    /// Announces that every message was deleted (on a shared store, the feed does).
    pub fn announce_cleared(&self) {
        if !self.store.is_shared() {
            let _ = self.events.send(Event::Cleared);
        }
    }

    /// Announces a callback's outbox entry (queued or attempted), here and elsewhere.
    pub fn announce_callback(&self, record: crate::domain::OutboxRecord) {
        if let Some(announcer) = &self.announcer {
            announcer.callback(record.id);
        }
        let _ = self.events.send(Event::Callback(Arc::new(record)));
    }

    /// Announces the state of a relayed request, here and elsewhere.
    pub fn announce_relay(&self, record: &crate::domain::OutboxRecord) {
        if let Some(announcer) = &self.announcer {
            announcer.relay(record.id);
        }
        let view = self.relays.view(record);
        let _ = self.events.send(Event::Relay(Arc::new(view)));
    }

    /// The webhook URL of a key.
    pub fn webhook_url(&self, key: &str) -> String {
        format!("{}/cgi-bin/webhook/send?key={key}", self.base_url)
    }

    /// The upload URL of a key.
    pub fn upload_url(&self, key: &str) -> String {
        format!(
            "{}/cgi-bin/webhook/upload_media?key={key}&type=file",
            self.base_url
        )
    }
}

/// A key as logs and the rejection list show it: the first 4 characters and `…`.
pub fn mask_key(key: &str) -> String {
    let mut masked: String = key.chars().take(4).collect();
    masked.push('…');
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_masked_to_four_characters() {
        assert_eq!(mask_key("693a91f6-7xxx"), "693a…");
        assert_eq!(mask_key(""), "…");
    }
}
