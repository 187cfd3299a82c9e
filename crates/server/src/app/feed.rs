//! Live updates across instances: on a shared store (PostgreSQL), what any instance accepted
//! reaches the live events (`/api/v1/events`, long-polls) of every instance.
//!
//! - Messages: [`follow`] announces every message of the store, this instance's own included,
//!   in id order, which is commit order. It reads past the last id it announced whenever the
//!   store says something was committed (`store/feed.rs`), so a notice that is lost or merged
//!   with another loses nothing. On SQLite the handlers announce their own messages (there is
//!   nobody else).
//! - What is not stored (a refused call) or changes in place (a callback's or relayed request's
//!   attempts): the instance where it happens announces it at once, and tells the others through
//!   the store ([`Announcer`]); they show the same event. Those notices are best effort: a
//!   reconnecting inbox reloads them anyway.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{AppState, Event, Rejection};
use crate::domain::MessageQuery;
use crate::store::feed::Notice;

/// Most messages read (and announced) at once.
const PAGE: u32 = 500;
/// How long the feed waits before reading again after the store failed.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Notices for other instances that may wait to be sent; beyond, they are dropped (a flood of
/// refused calls must not queue without bound).
const OUTGOING: usize = 1024;

/// What one instance tells the others, as JSON in a store notice.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Remote {
    Rejection(Rejection),
    /// An outbox entry (a callback) was queued or attempted: its id.
    Callback(i64),
    /// A relayed request was attempted: its outbox id.
    Relay(i64),
}

/// Sends this instance's unstored events to the other instances of a shared store.
#[derive(Debug)]
pub struct Announcer(mpsc::Sender<String>);

impl Announcer {
    /// Starts the task that hands events to the store, one at a time.
    pub fn start(store: Arc<crate::store::Store>) -> Announcer {
        let (sender, mut outgoing) = mpsc::channel::<String>(OUTGOING);
        tokio::spawn(async move {
            while let Some(json) = outgoing.recv().await {
                if let Err(error) = store.announce(json).await {
                    tracing::debug!(%error, "cannot tell the other instances about an event");
                }
            }
        });
        Announcer(sender)
    }

    fn send(&self, remote: &Remote) {
        if let Ok(json) = serde_json::to_string(remote) {
            // Full: dropped (best effort, see the module's doc).
            let _ = self.0.try_send(json);
        }
    }

    pub fn rejection(&self, rejection: &Rejection) {
        self.send(&Remote::Rejection(rejection.clone()));
    }

    pub fn callback(&self, id: i64) {
        self.send(&Remote::Callback(id));
    }

    pub fn relay(&self, id: i64) {
        self.send(&Remote::Relay(id));
    }
}

/// Announces what the store's `notices` report, until shutdown.
pub async fn follow(state: AppState, mut notices: mpsc::UnboundedReceiver<Notice>) {
    let mut shutdown = state.shutdown.clone();
    let mut announced = loop {
        match state.store.last_message_id().await {
            Ok(id) => break id,
            Err(error) => {
                tracing::warn!(%error, "live updates: cannot read the last message id");
                tokio::select! {
                    () = tokio::time::sleep(RETRY_AFTER) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    };
    // Set when a read failed: read again after a pause even if no notice comes.
    let mut behind = false;
    loop {
        let first = tokio::select! {
            notice = notices.recv() => match notice {
                Some(notice) => notice,
                None => return,
            },
            () = tokio::time::sleep(RETRY_AFTER), if behind => Notice::Committed,
            _ = shutdown.changed() => return,
        };
        // Whatever else came meanwhile, in order.
        let mut pending = vec![first];
        while let Ok(notice) = notices.try_recv() {
            pending.push(notice);
        }
        for step in steps(pending) {
            match step {
                Step::Read => behind = !read_new(&state, &mut announced).await,
                Step::Show(notice) => show(&state, notice).await,
            }
        }
    }
}

/// What the feed does for one notice or a run of them.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Read and announce the new messages.
    Read,
    /// Show a notice that is not about new messages.
    Show(Notice),
}

/// The steps for `notices`, in their order: a run of `Committed` is one read.
fn steps(notices: Vec<Notice>) -> Vec<Step> {
    let mut steps = Vec::new();
    for notice in notices {
        match notice {
            Notice::Committed if steps.last() == Some(&Step::Read) => {}
            Notice::Committed => steps.push(Step::Read),
            other => steps.push(Step::Show(other)),
        }
    }
    steps
}

/// Shows a notice that is not about new messages.
async fn show(state: &AppState, notice: Notice) {
    match notice {
        Notice::Committed => {}
        Notice::Cleared => {
            let _ = state.events.send(Event::Cleared);
        }
        Notice::Event(json) => from_remote(state, &json).await,
    }
}

/// Announces the messages committed past `announced`, oldest first, moving it on as it goes
/// (a read that fails halfway repeats nothing next time). `false` when the store failed.
///
/// With nobody listening, it only moves `announced` past the last message: reading every
/// message back costs a busy instance CPU for events nobody takes.
async fn read_new(state: &AppState, announced: &mut i64) -> bool {
    if state.events.receiver_count() == 0 {
        let last = match state.store.last_message_id().await {
            Ok(last) => last,
            Err(error) => {
                tracing::warn!(%error, "live updates: cannot read the last message id");
                return false;
            }
        };
        // Counted again after the read. Whoever subscribes from here on subscribed after every
        // message up to `last` committed: those are history, which the event stream's replay
        // and the waits read from the store after subscribing. Whoever came meanwhile gets
        // them announced as before.
        if state.events.receiver_count() == 0 {
            *announced = last.max(*announced);
            return true;
        }
    }
    loop {
        let page = state
            .store
            .list_messages(MessageQuery {
                after: Some(*announced),
                limit: PAGE,
                ascending: true,
                ..MessageQuery::default()
            })
            .await;
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(%error, "live updates: cannot read new messages");
                return false;
            }
        };
        let full = page.len() == PAGE as usize;
        for message in page {
            *announced = message.id;
            let _ = state.events.send(Event::Message(Arc::new(message)));
        }
        if !full {
            return true;
        }
    }
}

/// Shows an event another instance announced.
async fn from_remote(state: &AppState, json: &str) {
    let remote = match serde_json::from_str::<Remote>(json) {
        Ok(remote) => remote,
        Err(error) => {
            tracing::debug!(%error, "an event from another instance is not understood");
            return;
        }
    };
    match remote {
        Remote::Rejection(rejection) => state.remember_rejection(Arc::new(rejection)),
        Remote::Callback(id) => {
            if let Ok(record) = state.store.outbox_record(id).await {
                let _ = state.events.send(Event::Callback(Arc::new(record)));
            }
            // Queued there, perhaps due here: this instance's worker may take it.
            state.callbacks.wake();
        }
        Remote::Relay(id) => {
            if let Ok(record) = state.store.outbox_record(id).await {
                let view = state.relays.view(&record);
                let _ = state.events.send(Event::Relay(Arc::new(view)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_commits_is_one_read_and_nothing_else_is_dropped_or_reordered() {
        let event = || Notice::Event("{}".to_owned());
        let notices = vec![
            Notice::Committed,
            Notice::Committed,
            Notice::Cleared,
            event(),
            Notice::Committed,
            Notice::Committed,
        ];
        assert_eq!(
            steps(notices),
            [
                Step::Read,
                Step::Show(Notice::Cleared),
                Step::Show(event()),
                Step::Read
            ]
        );
    }
}
