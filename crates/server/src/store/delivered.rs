//! What a delivery stored, as the writer thread hands it back: the fields its messages share,
//! once, and what each copy has of its own. The caller's task makes the messages of it
//! ([`Delivered::into_messages`]) after the commit.
//!
//! Why: the writer thread is the serial stage of every send. Built there, a broadcast's 100
//! messages were 100 clones of the content JSON and of the request's and bot's ids and names:
//! ~5% of the writer's time and many of its `malloc`s (docs/PERFORMANCE.md, "Lighter copies").
//! Built on the caller's tokio worker, the same work runs beside the writer instead of in front
//! of it.

use crate::domain::{ChatKind, MessageLint, MessageType, StoredMessage};
use serde_json::Value;

/// The messages of one delivery, in the order of its targets.
pub(super) struct Delivered {
    pub request_id: String,
    pub bot_id: String,
    pub bot_name: String,
    pub msgtype: MessageType,
    pub content: Value,
    pub request_lints: Vec<MessageLint>,
    pub created_at: i64,
    pub copies: Vec<Copy>,
}

/// What one stored message has of its own.
pub(super) struct Copy {
    pub id: i64,
    pub chatid: String,
    pub chat_kind: ChatKind,
    pub post_id: Option<String>,
    pub visible_to: Vec<String>,
    pub mentions: Vec<String>,
}

impl Delivered {
    /// The stored messages, one per copy. The last takes the shared fields themselves: one
    /// clone less, none for a single target.
    pub fn into_messages(self) -> Vec<StoredMessage> {
        let Delivered {
            mut request_id,
            mut bot_id,
            mut bot_name,
            msgtype,
            mut content,
            mut request_lints,
            created_at,
            copies,
        } = self;
        let count = copies.len();
        let mut messages = Vec::with_capacity(count);
        for (index, copy) in copies.into_iter().enumerate() {
            let last = index + 1 == count;
            messages.push(StoredMessage {
                id: copy.id,
                request_id: clone_unless(last, &mut request_id),
                bot_id: clone_unless(last, &mut bot_id),
                bot_name: clone_unless(last, &mut bot_name),
                from_user: None,
                chatid: copy.chatid,
                chat_kind: copy.chat_kind,
                post_id: copy.post_id,
                msgtype,
                content: clone_unless(last, &mut content),
                visible_to: copy.visible_to,
                mentions: copy.mentions,
                request_lints: clone_unless(last, &mut request_lints),
                created_at,
            });
        }
        messages
    }
}

/// `value` itself when `last` (it is not needed any more), else a clone of it.
fn clone_unless<T: Clone + Default>(last: bool, value: &mut T) -> T {
    if last {
        std::mem::take(value)
    } else {
        value.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookpit_protocol::MsgType;

    fn copy(id: i64, chatid: &str, kind: ChatKind) -> Copy {
        Copy {
            id,
            chatid: chatid.to_owned(),
            chat_kind: kind,
            post_id: (kind == ChatKind::Blackboard).then(|| format!("post-{id}")),
            visible_to: Vec::new(),
            mentions: vec![format!("user-{id}")],
        }
    }

    #[test]
    fn every_copy_becomes_a_message_with_the_shared_fields_and_its_own() {
        let delivered = Delivered {
            request_id: "req".to_owned(),
            bot_id: "bot".to_owned(),
            bot_name: "Bot".to_owned(),
            msgtype: MessageType::Push(MsgType::Text),
            content: serde_json::json!({"content": "hi"}),
            request_lints: vec![MessageLint {
                code: "lint".to_owned(),
                message: "a lint".to_owned(),
            }],
            created_at: 42,
            copies: vec![
                copy(7, "g1", ChatKind::Group),
                copy(8, "b1", ChatKind::Blackboard),
                copy(9, "g2", ChatKind::Group),
            ],
        };
        let messages = delivered.into_messages();
        let own: Vec<_> = messages
            .iter()
            .map(|m| (m.id, m.chatid.as_str(), m.chat_kind, m.post_id.clone()))
            .collect();
        assert_eq!(
            own,
            [
                (7, "g1", ChatKind::Group, None),
                (8, "b1", ChatKind::Blackboard, Some("post-8".to_owned())),
                (9, "g2", ChatKind::Group, None),
            ]
        );
        for message in &messages {
            assert_eq!(message.request_id, "req");
            assert_eq!(message.bot_id, "bot");
            assert_eq!(message.bot_name, "Bot");
            assert_eq!(message.content, serde_json::json!({"content": "hi"}));
            assert_eq!(message.request_lints.len(), 1);
            assert_eq!(message.created_at, 42);
            assert_eq!(message.mentions, [format!("user-{}", message.id)]);
        }
    }

    /// A broadcast to three groups through the writer: its copies keep no content of their own
    /// (their request holds it, migration 12), and each still reads, lists and is found with it,
    /// also once the first copy is pruned; the request goes with the last.
    #[tokio::test]
    async fn a_broadcasts_copies_read_their_one_content_until_the_last_is_pruned() {
        use crate::domain::{MessageQuery, NewBot};
        use crate::store::{Store, bots, chats};

        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), crate::config::SyncMode::Normal).unwrap();
        store
            .write(|conn| {
                let bot = NewBot {
                    name: "bot".to_owned(),
                    key: Some("k".to_owned()),
                    chats: Vec::new(),
                    subscription: Vec::new(),
                };
                bots::insert(conn, "b", &bot, 1)?;
                for chat in ["g1", "g2", "g3"] {
                    chats::insert(conn, ChatKind::Group, chat, chat, &[], 1)?;
                    bots::join(conn, "b", chat)?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let body = r#"{"chatid":"@all_group","msgtype":"text","text":{"content":"磁盘告警 all"}}"#;
        let delivered = store
            .deliver(crate::store::Delivery::for_test(body, false))
            .await
            .unwrap();
        let ids: Vec<i64> = delivered.iter().map(|m| m.id).collect();
        assert_eq!(ids.len(), 3);
        let content = serde_json::json!({"content": "磁盘告警 all"});
        assert!(delivered.iter().all(|m| m.content == content));
        let own: Vec<String> = store
            .read(|conn| {
                let mut statement = conn.prepare("SELECT content FROM message_rows ORDER BY id")?;
                let rows = statement.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(own, ["", "", ""]);

        let search = |text: &str| {
            let store = &store;
            let query = MessageQuery {
                text: Some(text.to_owned()),
                limit: 50,
                ..MessageQuery::default()
            };
            async move {
                store.index_search().await.unwrap();
                let found = store.list_messages(query).await.unwrap();
                found
                    .into_iter()
                    .map(|m| (m.id, m.content))
                    .collect::<Vec<_>>()
            }
        };
        let all = search("告警").await;
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|(_, c)| *c == content));

        assert_eq!(store.prune(None, Some(2)).await.unwrap(), 1);
        let second = store.get_message(ids[1]).await.unwrap();
        assert_eq!(second.message.content, content);
        assert_eq!(second.raw_request, body);
        let left: Vec<i64> = search("告警").await.into_iter().map(|(id, _)| id).collect();
        assert_eq!(left, [ids[2], ids[1]]);

        assert_eq!(store.prune(None, Some(0)).await.unwrap(), 2);
        let requests: i64 = store
            .read(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(requests, 0);
        store.close().await.unwrap();
    }

    #[test]
    fn no_copies_make_no_messages() {
        let delivered = Delivered {
            request_id: String::new(),
            bot_id: String::new(),
            bot_name: String::new(),
            msgtype: MessageType::Push(MsgType::Text),
            content: Value::Null,
            request_lints: Vec::new(),
            created_at: 0,
            copies: Vec::new(),
        };
        assert!(delivered.into_messages().is_empty());
    }
}
