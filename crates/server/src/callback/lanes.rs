//! One callback in flight per bot and chat: what a person writes in a chat reaches the bot in
//! the order it was written, as it does from WeCom, while other chats' callbacks go on beside.
//!
//! A lane is a bot and a chat. The worker hands each due entry to [`Lanes::enter`]: the first of
//! an idle lane starts a delivery task, the others wait in the lane (in the order the outbox gave
//! them: due time, then id), and the task takes them one by one ([`Lanes::next`]) until the lane
//! is empty. A retry waits for its own due time, so a later callback of the same chat may pass
//! a failed one: WeCom's retries, too, are a later request.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::domain::OutboxRecord;

/// A bot's id and a chat id.
pub type Lane = (String, String);

/// The lanes with a delivery running, and what waits in each.
#[derive(Debug, Default)]
pub struct Lanes {
    inner: Mutex<Waiting>,
}

#[derive(Debug, Default)]
struct Waiting {
    /// Every lane with a delivery running, even with nothing behind it.
    lanes: HashMap<Lane, VecDeque<OutboxRecord>>,
    /// Entries waiting in all lanes together.
    count: usize,
}

/// The lane of `record`.
pub fn lane_of(record: &OutboxRecord) -> Lane {
    (record.bot_id.clone(), record.chatid.clone())
}

impl Lanes {
    /// Queues `record` behind its lane's delivery; gives it back when the lane was idle, for
    /// the caller to start delivering (the lane is then running).
    pub fn enter(&self, record: OutboxRecord) -> Option<OutboxRecord> {
        let mut waiting = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let lane = lane_of(&record);
        match waiting.lanes.get_mut(&lane) {
            Some(queue) => {
                queue.push_back(record);
                waiting.count += 1;
                None
            }
            None => {
                waiting.lanes.insert(lane, VecDeque::new());
                Some(record)
            }
        }
    }

    /// After a delivery in `lane`: the next entry waiting there, or `None`, and the lane is
    /// idle again.
    pub fn next(&self, lane: &Lane) -> Option<OutboxRecord> {
        let mut waiting = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let next = waiting.lanes.get_mut(lane).and_then(VecDeque::pop_front);
        match next {
            Some(_) => waiting.count -= 1,
            None => {
                waiting.lanes.remove(lane);
            }
        }
        next
    }

    /// Entries waiting behind a running delivery, in all lanes.
    pub fn waiting(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Consumer, OutboxStatus};

    fn record(id: i64, chatid: &str) -> OutboxRecord {
        OutboxRecord {
            id,
            consumer: Consumer::Callback,
            reference: None,
            bot_id: "bot".to_owned(),
            chatid: chatid.to_owned(),
            status: OutboxStatus::Pending,
            attempts: Vec::new(),
            next_attempt_at: 0,
            created_at: 0,
            finished_at: None,
            item: serde_json::Value::Null,
            outcome: serde_json::Value::Null,
        }
    }

    #[test]
    fn a_lane_delivers_its_entries_one_after_another_in_order_and_others_run_beside() {
        let lanes = Lanes::default();
        let a = lane_of(&record(1, "a"));
        assert_eq!(lanes.enter(record(1, "a")).map(|r| r.id), Some(1));
        assert!(lanes.enter(record(2, "a")).is_none());
        assert!(lanes.enter(record(3, "a")).is_none());
        // Another chat is not held up.
        assert_eq!(lanes.enter(record(4, "b")).map(|r| r.id), Some(4));
        assert_eq!(lanes.waiting(), 2);
        assert_eq!(lanes.next(&a).map(|r| r.id), Some(2));
        assert_eq!(lanes.next(&a).map(|r| r.id), Some(3));
        assert_eq!(lanes.waiting(), 0);
        assert!(lanes.next(&a).is_none());
        // Idle again: the next entry of the chat starts a delivery of its own.
        assert_eq!(lanes.enter(record(5, "a")).map(|r| r.id), Some(5));
    }
}
