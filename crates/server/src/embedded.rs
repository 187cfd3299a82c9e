//! The inbox of a [`RunningServer`] for a program that embeds it (a Rust test of a sender):
//! what the SDK's `Inbox` does over HTTP, done in process — list, wait for messages, clear,
//! rejections, faults.

use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use crate::app::{Event, Rejection};
use crate::domain::{MessageQuery, StoredMessage};
use crate::fault::Faults;
use crate::server::RunningServer;
use crate::store::StoreError;

/// Why a wait ended without what it waited for.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The time ran out; what did match meanwhile is kept.
    #[error("{found} of {wanted} messages arrived within {}", humantime::format_duration(*.waited))]
    TimedOut {
        waited: Duration,
        wanted: usize,
        found: usize,
        matched: Vec<StoredMessage>,
    },
    /// The store failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
    /// The server stopped.
    #[error("the server stopped")]
    Stopped,
}

impl RunningServer {
    /// Messages matching `query` (`limit` 0 means 500), oldest first.
    ///
    /// # Errors
    /// The store failed.
    pub async fn messages(
        &self,
        mut query: MessageQuery,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        if query.limit == 0 {
            query.limit = 500;
        }
        query.ascending = true;
        self.state().store.list_messages(query).await
    }

    /// Waits until `count` messages match `query` (those stored already count), at most
    /// `timeout`; returns them, oldest first.
    ///
    /// # Errors
    /// [`WaitError::TimedOut`] with what matched meanwhile.
    pub async fn wait_for(
        &self,
        query: MessageQuery,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<StoredMessage>, WaitError> {
        let mut matched = Vec::new();
        self.wait_until(query, timeout, |message| {
            matched.push(message.clone());
            matched.len() >= count
        })
        .await
        .map_err(|error| match error {
            WaitError::TimedOut { waited, .. } => WaitError::TimedOut {
                waited,
                wanted: count,
                found: matched.len(),
                matched: matched.clone(),
            },
            other => other,
        })?;
        Ok(matched)
    }

    /// Calls `done` on each message matching `query`, oldest first, stored ones then new ones
    /// as they are stored, until it answers `true`; at most `timeout`. Returns the message it
    /// said `true` to.
    ///
    /// # Errors
    /// [`WaitError::TimedOut`] (its `matched` is empty: `done` saw them), the store failed, or
    /// the server stopped.
    pub async fn wait_until(
        &self,
        query: MessageQuery,
        timeout: Duration,
        mut done: impl FnMut(&StoredMessage) -> bool,
    ) -> Result<StoredMessage, WaitError> {
        let state = self.state();
        // Subscribe before reading, so that nothing committed in between is missed.
        let mut events = state.events.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut after = 0;
        loop {
            let mut page = query.clone();
            page.after = Some(after.max(query.after.unwrap_or(0)));
            page.ascending = true;
            page.limit = 500;
            for message in state.store.list_messages(page).await? {
                after = message.id;
                if done(&message) {
                    return Ok(message);
                }
            }
            // Then wait for the next message, whichever it is, and read again.
            loop {
                tokio::select! {
                    () = tokio::time::sleep_until(deadline) => {
                        return Err(WaitError::TimedOut {
                            waited: timeout,
                            wanted: 1,
                            found: 0,
                            matched: Vec::new(),
                        });
                    }
                    received = events.recv() => match received {
                        Ok(Event::Message(message)) if message.id > after => break,
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return Err(WaitError::Stopped),
                    },
                }
            }
        }
    }

    /// Deletes every message; how many there were.
    ///
    /// # Errors
    /// The store failed.
    pub async fn clear(&self) -> Result<u64, StoreError> {
        let deleted = self.state().store.clear_messages().await?;
        self.state().announce_cleared();
        Ok(deleted)
    }

    /// The refused webhook calls remembered, newest first.
    pub fn rejections(&self) -> Vec<Rejection> {
        self.state()
            .rejections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
            .map(|rejection| rejection.as_ref().clone())
            .collect()
    }

    /// The fault rules in force: add, list and remove them.
    pub fn faults(&self) -> &Faults {
        &self.state().faults
    }
}
