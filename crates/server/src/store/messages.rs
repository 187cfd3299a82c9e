//! Reading, clearing and pruning messages: the store's calls over `message_query.rs`.

use crate::store::db::OptionalExtension;
use hookpit_protocol::reply::SEND_OK_BODY;

use super::message_query::{self, m_columns, message_from_row};
use super::{Store, StoreError};
use crate::domain::{MessageDetail, MessageQuery, StoredMessage};

impl Store {
    /// Messages matching `query`, newest first (oldest first with `ascending`).
    pub async fn list_messages(
        &self,
        query: MessageQuery,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.read(move |conn| message_query::query(conn, &query))
            .await
    }

    /// One message with its request's raw body and reply, from the message's row when the
    /// request is kept there (`deliver.rs`), else from `requests`.
    pub async fn get_message(&self, id: i64) -> Result<MessageDetail, StoreError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {}, m.raw_body, m.raw_content_at, m.reply, m.from_ip,
                        r.raw_body, r.reply, r.from_ip, i.base64_at, i.bytes
                 FROM messages m
                 LEFT JOIN requests r ON m.raw_body IS NULL AND r.id = m.request_id
                 LEFT JOIN images i ON m.raw_body IS NULL AND i.request_id = m.request_id
                     AND i.base64_at IS NOT NULL
                 WHERE m.id = ?1",
                m_columns()
            );
            let mut statement = conn.prepare_cached(&sql)?;
            let mut rows = statement.query([id])?;
            let Some(row) = rows.next()? else {
                return Err(StoreError::not_found("message", &id.to_string()));
            };
            // The request's columns follow the message's own.
            let own: Option<Vec<u8>> = row.get(14)?;
            let (raw, reply, from_ip) = if let Some(stored) = own {
                let chatid: String = row.get(4)?;
                let msgtype: String = row.get(7)?;
                let content: String = row.get(8)?;
                let raw =
                    super::raw_body::restore(stored, row.get(15)?, &chatid, &msgtype, &content);
                let reply = row.get::<_, Option<String>>(16)?;
                (
                    raw,
                    reply.unwrap_or_else(|| SEND_OK_BODY.to_owned()),
                    row.get::<_, Option<String>>(17)?.unwrap_or_default(),
                )
            } else {
                let mut raw: Vec<u8> = row.get::<_, Option<Vec<u8>>>(18)?.unwrap_or_default();
                let base64_at: Option<i64> = row.get(21)?;
                let picture: Option<Vec<u8>> = row.get(22)?;
                if let (Some(at), Some(picture)) = (base64_at, picture) {
                    let at = usize::try_from(at).unwrap_or(usize::MAX);
                    raw = super::raw_body::rebuild(&raw, at, &picture);
                }
                (
                    raw,
                    row.get::<_, Option<String>>(19)?.unwrap_or_default(),
                    row.get::<_, Option<String>>(20)?.unwrap_or_default(),
                )
            };
            Ok(MessageDetail {
                message: message_from_row(&row)?,
                raw_request: String::from_utf8_lossy(&raw).into_owned(),
                reply,
                from_ip,
            })
        })
        .await
    }

    /// The picture `n` (from 0) of message `id`: MIME type and bytes.
    pub async fn message_picture(
        &self,
        id: i64,
        n: usize,
    ) -> Result<(String, Vec<u8>), StoreError> {
        self.read(move |conn| {
            let request_id: String = conn
                .prepare_cached("SELECT request_id FROM message_rows WHERE id = ?1")?
                .query_row([id], |row| row.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found("message", &id.to_string()))?;
            conn.prepare_cached("SELECT mime, bytes FROM images WHERE request_id = ?1")?
                .query_row([super::people::picture_key(&request_id, n)], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?
                .ok_or_else(|| StoreError::not_found("picture of message", &id.to_string()))
        })
        .await
    }

    /// A person's picture by the token of its public URL: MIME type and bytes.
    pub async fn picture_by_token(
        &self,
        token: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let token = token.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT mime, bytes FROM images WHERE public_token = ?1")?
                .query_row([&token], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?)
        })
        .await
    }

    /// How many messages are stored.
    pub async fn count_messages(&self) -> Result<u64, StoreError> {
        self.read(|conn| {
            let count: i64 =
                conn.query_row("SELECT COUNT(*) FROM message_rows", [], |row| row.get(0))?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
        .await
    }

    /// The highest message id (0 when empty).
    pub async fn last_message_id(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            Ok(
                conn.query_row("SELECT COALESCE(MAX(id), 0) FROM message_rows", [], |row| {
                    row.get(0)
                })?,
            )
        })
        .await
    }

    /// Deletes every message, request, picture and bot-made post (and on a shared store tells
    /// the other instances: `feed.rs`).
    pub async fn clear_messages(&self) -> Result<u64, StoreError> {
        self.write(|conn| {
            let deleted = conn.execute("DELETE FROM message_rows", [])?;
            conn.execute_batch(
                "DELETE FROM requests; DELETE FROM images;
                 DELETE FROM posts WHERE message_id IS NOT NULL;
                 UPDATE chats SET message_count = 0, last_message_at = NULL, read_upto = 0;",
            )?;
            if conn.sqlite().is_none() {
                // Every instance's inbox empties, once this commits.
                conn.execute_batch(&super::feed::cleared_sql())?;
            }
            Ok(u64::try_from(deleted).unwrap_or(0))
        })
        .await
    }

    /// Deletes messages created before `older_than` (Unix ms) and beyond the newest
    /// `keep_newest`; returns how many were deleted.
    pub async fn prune(
        &self,
        older_than: Option<i64>,
        keep_newest: Option<u64>,
    ) -> Result<u64, StoreError> {
        self.write(move |conn| {
            let mut deleted = 0;
            if let Some(cutoff) = older_than {
                // Ids follow time, so the messages older than `cutoff` are those below the
                // first that is not: a walk from the oldest that stops there (no index on time
                // to keep up for every message), then an id range.
                deleted += conn.execute(
                    "DELETE FROM message_rows WHERE id < COALESCE(
                         (SELECT id FROM message_rows WHERE created_at >= ?1 ORDER BY id LIMIT 1),
                         (SELECT MAX(id) + 1 FROM message_rows))",
                    [cutoff],
                )?;
            }
            if let Some(keep) = keep_newest {
                let keep = i64::try_from(keep).unwrap_or(i64::MAX);
                deleted += conn.execute(
                    "DELETE FROM message_rows WHERE id <= (SELECT id FROM message_rows ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                    [keep],
                )?;
            }
            if deleted > 0 {
                // Both deletes take the oldest messages, so a request has a message left
                // exactly when its last is at or above the lowest id left (migration 12). Its
                // pictures go with it (a person's are `request_id/n`: `people.rs`).
                conn.execute_batch(
                    "DELETE FROM requests WHERE NOT COALESCE(
                         last_message_id >= (SELECT MIN(id) FROM message_rows), FALSE);
                     DELETE FROM images WHERE NOT EXISTS (SELECT 1 FROM requests r WHERE r.id =
                         CASE WHEN instr(images.request_id, '/') > 0
                              THEN substr(images.request_id, 1, instr(images.request_id, '/') - 1)
                              ELSE images.request_id END);
                     DELETE FROM posts WHERE message_id IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM message_rows m WHERE m.post_id = posts.post_id);
                     UPDATE chats SET message_count = (SELECT COUNT(*) FROM messages m WHERE m.chatid = chats.chatid);",
                )?;
            }
            Ok(u64::try_from(deleted).unwrap_or(0))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SyncMode;
    use crate::store::db::params;
    use crate::store::index_walk::{entries_sql, run_sql};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), SyncMode::Normal).unwrap();
        (dir, store)
    }

    /// Stores text messages `texts` in chat `g`.
    async fn insert(store: &Store, texts: &[&str]) {
        let messages: Vec<(&str, &str)> = texts.iter().map(|text| ("g", *text)).collect();
        insert_in(store, &messages).await;
    }

    async fn search(store: &Store, q: &str) -> Vec<String> {
        let query = MessageQuery {
            text: Some(q.to_owned()),
            limit: 50,
            ..MessageQuery::default()
        };
        store
            .list_messages(query)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.content["content"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn the_unindexed_tail_is_scanned_so_nothing_is_missing() {
        let (_dir, store) = store();
        insert(&store, &["旧的告警 old disk alert", "nothing here"]).await;
        store.index_search().await.unwrap();
        // No more indexing: what comes now stays above the watermark.
        store.indexer.as_ref().unwrap().stop().await;
        insert(&store, &["新的告警 new disk alert", "still nothing"]).await;
        let upto = store
            .read(|conn| super::super::indexer::indexed_upto(conn.sqlite().unwrap()))
            .await
            .unwrap();
        assert_eq!(upto, 2, "the tail is not indexed");
        for q in ["告警", "disk alert", "\"disk alert\"", "alert -new"] {
            let found = search(&store, q).await;
            let wanted: &[&str] = if q == "alert -new" {
                &["旧的告警 old disk alert"]
            } else {
                &["新的告警 new disk alert", "旧的告警 old disk alert"]
            };
            assert_eq!(found, wanted, "{q}");
        }
        // Oldest first (the embedded API's order): index first, then the tail.
        let query = MessageQuery {
            text: Some("告警".to_owned()),
            limit: 50,
            ascending: true,
            ..MessageQuery::default()
        };
        assert_eq!(listed_ids(&store, query).await, [1, 3]);
    }

    #[tokio::test]
    async fn an_indexed_search_walks_the_index_in_id_order_and_looks_messages_up_by_id() {
        let (_dir, store) = store();
        let plans = store
            .read(|conn| {
                let plan = |sql: &str| -> Result<String, StoreError> {
                    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                    let rows = statement
                        .query_map(params!["abcdef", 10], |row| row.get::<_, String>(3))?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?.join("\n"))
                };
                let run = run_sql(&m_columns(), " AND m.chatid = 'g'", "DESC");
                Ok((plan(&entries_sql("DESC"))?, plan(&run)?))
            })
            .await
            .unwrap();
        let (entries, run) = plans;
        assert!(entries.contains("VIRTUAL TABLE INDEX"), "{entries}");
        assert!(!entries.contains("TEMP B-TREE"), "{entries}");
        assert!(
            run.contains("id>? AND id<?") || run.contains("rowid>? AND rowid<?"),
            "{run}"
        );
        assert!(!run.contains("TEMP B-TREE"), "{run}");
    }

    /// Stores `(chat, text)` messages, in order.
    async fn insert_in(store: &Store, messages: &[(&str, &str)]) {
        let messages: Vec<(String, String)> = messages
            .iter()
            .map(|(chat, text)| ((*chat).to_owned(), (*text).to_owned()))
            .collect();
        store
            .write(move |conn| {
                for (chat, text) in messages {
                    let content = serde_json::json!({ "content": text }).to_string();
                    conn.execute(
                        "INSERT INTO messages (request_id, bot_id, bot_name, chatid, chat_kind,
                             msgtype, content, created_at)
                         VALUES ('r', 'b', 'B', ?1, 'group', 'text', ?2, 1)",
                        params![chat, content],
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
    }

    async fn found_ids(store: &Store, q: &str, chat: Option<&str>, ascending: bool) -> Vec<i64> {
        let query = MessageQuery {
            text: Some(q.to_owned()),
            chatid: chat.map(str::to_owned),
            limit: 50,
            ascending,
            ..MessageQuery::default()
        };
        listed_ids(store, query).await
    }

    /// The ids `query` lists, in its order.
    async fn listed_ids(store: &Store, query: MessageQuery) -> Vec<i64> {
        let found = store.list_messages(query).await.unwrap();
        found.iter().map(|m| m.id).collect()
    }

    async fn runs(store: &Store) -> Vec<(i64, i64)> {
        store
            .read(|conn| {
                let mut statement = conn
                    .sqlite()
                    .unwrap()
                    .prepare("SELECT first, last FROM search.runs ORDER BY first")?;
                let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_broadcast_is_one_index_entry_that_finds_every_copy_until_the_last_is_pruned() {
        let (_dir, store) = store();
        insert_in(
            &store,
            &[
                ("g1", "单条告警"),
                ("g1", "广播告警"),
                ("g2", "广播告警"),
                ("g3", "广播告警"),
                ("g1", "something else"),
                ("g2", "广播告警"),
            ],
        )
        .await;
        store.index_search().await.unwrap();
        assert_eq!(
            runs(&store).await,
            [(2, 4)],
            "one run: the copies one after the other"
        );
        assert_eq!(found_ids(&store, "广播", None, false).await, [6, 4, 3, 2]);
        assert_eq!(found_ids(&store, "广播", None, true).await, [2, 3, 4, 6]);
        assert_eq!(
            found_ids(&store, "告警", None, false).await,
            [6, 4, 3, 2, 1]
        );
        assert_eq!(found_ids(&store, "广播", Some("g2"), false).await, [6, 3]);
        let first_page = MessageQuery {
            text: Some("广播".to_owned()),
            limit: 2,
            ..MessageQuery::default()
        };
        assert_eq!(listed_ids(&store, first_page).await, [6, 4]);

        // Pruned up to the middle of the run: the copies left are still found.
        let delete_below = |id: i64| {
            store.write(move |conn| {
                conn.execute("DELETE FROM messages WHERE id < ?1", [id])?;
                Ok(())
            })
        };
        delete_below(3).await.unwrap();
        store.index_search().await.unwrap();
        assert_eq!(found_ids(&store, "广播", None, false).await, [6, 4, 3]);
        assert_eq!(runs(&store).await, [(2, 4)]);
        // The whole run gone: its entry and run go too.
        delete_below(5).await.unwrap();
        store.index_search().await.unwrap();
        assert_eq!(found_ids(&store, "广播", None, false).await, [6]);
        assert_eq!(runs(&store).await, []);
        let entries = store
            .read(|conn| {
                Ok(conn.sqlite().unwrap().query_row(
                    "SELECT COUNT(*) FROM search.grams",
                    [],
                    |row| row.get::<_, i64>(0),
                )?)
            })
            .await
            .unwrap();
        assert_eq!(entries, 2, "the entries of 5 and 6");
    }

    #[tokio::test]
    async fn an_index_of_the_previous_version_is_rebuilt_and_finds_every_message() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), SyncMode::Normal).unwrap();
        insert_in(
            &store,
            &[("g1", "旧版广播"), ("g2", "旧版广播"), ("g1", "旧版单条")],
        )
        .await;
        store.index_search().await.unwrap();
        store.close().await.unwrap();
        drop(store);
        // What version 1 left: one entry per message, no runs, and a watermark past them all.
        let index = rusqlite::Connection::open(dir.path().join("search.db")).unwrap();
        index
            .execute_batch(
                "DROP TABLE runs; DELETE FROM grams;
                 UPDATE meta SET value = 1 WHERE key = 'version';",
            )
            .unwrap();
        drop(index);

        let store = Store::open(dir.path(), SyncMode::Normal).unwrap();
        store.index_search().await.unwrap();
        assert_eq!(found_ids(&store, "旧版", None, false).await, [3, 2, 1]);
        assert_eq!(runs(&store).await, [(1, 2)]);
    }
}
