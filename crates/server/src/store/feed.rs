//! What the other instances of a shared store (PostgreSQL) did: a thread of its own `LISTEN`s on
//! one channel and hands what it hears to the server's live feed (`app/feed.rs`).
//!
//! Three kinds of notice travel on the channel `hookpit_events`:
//!
//! - messages were committed: a statement trigger on `message_rows` (PostgreSQL migration 3)
//!   sends an empty payload, which PostgreSQL delivers after the commit and only once per
//!   transaction. The notice carries no ids: the feed reads every message above the last one it
//!   announced, and ids appear in commit order (the writer's advisory lock), so nothing is
//!   skipped even if notices are lost.
//! - every message was cleared: [`Store::clear_messages`] sends `cleared` in its transaction.
//! - an event that is not stored (a refused call, a callback attempt): [`Store::announce`] sends
//!   `INSTANCE|JSON`; each instance ignores its own, which it showed already.
//!
//! When the listening session breaks, the thread connects again (every second until PostgreSQL
//! answers) and then reports [`Notice::Committed`], so the feed reads what it may have missed.

use std::sync::Arc;
use std::time::Duration;

use ::postgres::fallible_iterator::FallibleIterator;
use tokio::sync::mpsc;

use super::{Store, StoreError};

/// The channel every instance listens on (PostgreSQL migration 3 names it too).
const CHANNEL: &str = "hookpit_events";
/// The payload of [`Store::clear_messages`]'s notice.
const CLEARED: &str = "cleared";
/// How long the thread waits for a notice before it checks whether anyone still listens.
const POLL: Duration = Duration::from_millis(500);
/// How long it waits before connecting again after the session broke.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
/// PostgreSQL refuses longer payloads.
const MAX_PAYLOAD: usize = 7_999;

/// What another instance (or this one) did to a shared store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Messages were committed (or notices may have been missed): read past the last id.
    Committed,
    /// Every message was deleted.
    Cleared,
    /// An event another instance announced ([`Store::announce`]): its JSON.
    Event(String),
}

impl Notice {
    /// The notice of a payload heard on [`CHANNEL`]; `None` for this instance's own events.
    fn of(payload: &str, instance: &str) -> Option<Notice> {
        if payload.is_empty() {
            return Some(Notice::Committed);
        }
        if payload == CLEARED {
            return Some(Notice::Cleared);
        }
        let (from, json) = payload.split_once('|')?;
        (from != instance).then(|| Notice::Event(json.to_owned()))
    }
}

/// The SQL that tells every listener that the messages were cleared (in the clearing
/// transaction, so it is heard only if the clear committed).
pub(super) fn cleared_sql() -> String {
    format!("SELECT pg_notify('{CHANNEL}', '{CLEARED}')")
}

impl Store {
    /// On a shared store, starts the thread that listens to what every instance commits, and
    /// returns what it hears; `None` on SQLite, where this instance is the only writer.
    ///
    /// The thread ends once the receiver is dropped.
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn listen(&self) -> Result<Option<mpsc::UnboundedReceiver<Notice>>, StoreError> {
        let Some(url) = self.database_url.clone() else {
            return Ok(None);
        };
        let instance = Arc::clone(&self.instance);
        let (notices, receiver) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("hookpit-listen".to_owned())
            .spawn(move || listen(&url, &instance, &notices))?;
        Ok(Some(receiver))
    }

    /// Tells the other instances of a shared store about an event they cannot read from it
    /// (`json`, which their feeds turn back into the event). Does nothing on SQLite, or when
    /// `json` is longer than PostgreSQL's notices allow.
    ///
    /// # Errors
    /// PostgreSQL is unreachable.
    pub async fn announce(&self, json: String) -> Result<(), StoreError> {
        if self.database_url.is_none() {
            return Ok(());
        }
        let payload = format!("{}|{json}", self.instance);
        if payload.len() > MAX_PAYLOAD {
            tracing::debug!(bytes = payload.len(), "event too long to announce");
            return Ok(());
        }
        self.read(move |conn| {
            conn.query_row(
                &format!("SELECT pg_notify('{CHANNEL}', ?1)"),
                crate::store::db::params![payload],
                |_| Ok(()),
            )?;
            Ok(())
        })
        .await
    }
}

/// The listening thread: hears notices until nobody listens any more.
fn listen(url: &str, instance: &str, notices: &mpsc::UnboundedSender<Notice>) {
    let mut broken = false;
    while !notices.is_closed() {
        let mut client = match connect(url) {
            Ok(client) => client,
            Err(error) => {
                if !broken {
                    tracing::warn!(%error, "live updates from other instances: cannot listen");
                    broken = true;
                }
                std::thread::sleep(RECONNECT_AFTER);
                continue;
            }
        };
        if broken {
            tracing::info!("live updates from other instances: listening again");
            broken = false;
        }
        // Whatever was committed while nobody listened.
        if notices.send(Notice::Committed).is_err() {
            return;
        }
        if let Err(error) = hear(&mut client, instance, notices) {
            tracing::warn!(%error, "live updates from other instances: the session broke");
            broken = true;
        }
    }
}

fn connect(url: &str) -> Result<::postgres::Client, ::postgres::Error> {
    let mut client = ::postgres::Client::connect(url, ::postgres::NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(client)
}

/// Passes on what `client` hears; returns `Ok` once nobody listens, `Err` if the session broke.
fn hear(
    client: &mut ::postgres::Client,
    instance: &str,
    notices: &mpsc::UnboundedSender<Notice>,
) -> Result<(), ::postgres::Error> {
    loop {
        let mut heard = client.notifications();
        let mut waiting = heard.timeout_iter(POLL);
        while let Some(notification) = waiting.next()? {
            let Some(notice) = Notice::of(notification.payload(), instance) else {
                continue;
            };
            if notices.send(notice).is_err() {
                return Ok(());
            }
        }
        if notices.is_closed() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_become_notices_and_an_instance_ignores_its_own_events() {
        assert_eq!(Notice::of("", "a1"), Some(Notice::Committed));
        assert_eq!(Notice::of("cleared", "a1"), Some(Notice::Cleared));
        assert_eq!(
            Notice::of("b2|{\"x\":1}", "a1"),
            Some(Notice::Event("{\"x\":1}".to_owned()))
        );
        assert_eq!(Notice::of("a1|{\"x\":1}", "a1"), None);
        // Nothing this version sends: ignored rather than misread.
        assert_eq!(Notice::of("something else", "a1"), None);
    }
}
