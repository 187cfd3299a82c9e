//! Read queries of the admin and inbox API that must stay cheap however many messages are stored:
//! the chat list with unread counts, posts with reply counts, and media looked up in bulk.
//!
//! Each answers with a fixed number of statements (never one per chat or per message), and each
//! statement walks an index range: see the `EXPLAIN QUERY PLAN` tests below.

use std::collections::HashMap;

use crate::store::db::Value as SqlValue;
use crate::store::db::{Connection, params_from_iter};

use super::media::MEDIA_COLUMNS;
use super::{Store, StoreError};
use crate::clock::rfc3339;
use crate::domain::{Chat, ChatKind, Media, Post};

/// Unread counts stop at this: counting is then at most this many index steps per chat, however
/// far behind the read mark is (the inbox shows it as "999+", as chat clients cap badges).
pub const UNREAD_CAP: u64 = 999;

/// The chat columns; the unread count walks at most [`UNREAD_CAP`] + 1 entries of
/// `message_rows_by_chat` past the read mark.
const CHAT_SQL: &str = "SELECT c.chatid, c.kind, c.name, c.created_at, c.last_message_at, \
     c.message_count, \
     (SELECT COUNT(*) FROM (SELECT 1 FROM messages m WHERE m.chatid = c.chatid \
        AND m.id > c.read_upto LIMIT 1000) unread) \
     FROM chats c";

/// Ids (userids or bot ids) by chat id.
type IdLists = HashMap<String, Vec<String>>;

/// Members and bots of every chat (`chatid` = `None`) or of one, in two statements.
fn memberships(conn: &Connection, chatid: Option<&str>) -> Result<(IdLists, IdLists), StoreError> {
    let load = |sql: &str| -> Result<IdLists, StoreError> {
        let mut statement = conn.prepare_cached(sql)?;
        let mut rows = statement.query([chatid])?;
        let mut map = IdLists::new();
        while let Some(row) = rows.next()? {
            map.entry(row.get(0)?).or_default().push(row.get(1)?);
        }
        Ok(map)
    };
    let members = load(
        "SELECT chatid, userid FROM chat_members WHERE CAST(?1 AS TEXT) IS NULL OR chatid = ?1 \
         ORDER BY chatid, userid",
    )?;
    let bots = load(
        "SELECT chatid, bot_id FROM bot_chats WHERE CAST(?1 AS TEXT) IS NULL OR chatid = ?1 \
         ORDER BY chatid, bot_id",
    )?;
    Ok((members, bots))
}

fn chats(
    conn: &Connection,
    condition: &str,
    value: Option<&str>,
    chatid: Option<&str>,
) -> Result<Vec<Chat>, StoreError> {
    let sql = format!(
        "{CHAT_SQL} WHERE {condition} \
         ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.chatid"
    );
    let (mut members, mut bots) = memberships(conn, chatid)?;
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query([value])?;
    let mut list = Vec::new();
    while let Some(row) = rows.next()? {
        let chatid: String = row.get(0)?;
        let kind: String = row.get(1)?;
        let last: Option<i64> = row.get(4)?;
        let count: i64 = row.get(5)?;
        let unread: i64 = row.get(6)?;
        list.push(Chat {
            members: members.remove(&chatid).unwrap_or_default(),
            bots: bots.remove(&chatid).unwrap_or_default(),
            kind: ChatKind::parse(&kind).unwrap_or(ChatKind::Group),
            name: row.get(2)?,
            created_at: rfc3339(row.get(3)?),
            last_message_at: last.map(rfc3339),
            message_count: u64::try_from(count).unwrap_or(0),
            unread: u64::try_from(unread).unwrap_or(0).min(UNREAD_CAP),
            chatid,
        });
    }
    Ok(list)
}

/// One chat, as the chat list shows it.
pub(super) fn chat(conn: &Connection, chatid: &str) -> Result<Option<Chat>, StoreError> {
    Ok(chats(conn, "c.chatid = ?1", Some(chatid), Some(chatid))?.pop())
}

/// The posts of one blackboard (`?1`), newest first, each with its replies: the messages of
/// the post other than the one that opened it, counted on `message_rows_by_post`.
const POSTS_SQL: &str = "SELECT p.post_id, p.chatid, p.title, p.message_id, p.created_at, \
     (SELECT COUNT(*) FROM messages m WHERE m.post_id = p.post_id \
        AND m.id <> COALESCE(p.message_id, 0)) \
     FROM posts p WHERE p.chatid = ?1 ORDER BY p.created_at DESC, p.post_id";

impl Store {
    /// Chats of `kind` (all when `None`), most recently active first, with unread counts capped
    /// at `UNREAD_CAP` (999): three statements whatever the number of chats and messages.
    pub async fn list_chat_summaries(
        &self,
        kind: Option<ChatKind>,
    ) -> Result<Vec<Chat>, StoreError> {
        self.read(move |conn| {
            chats(
                conn,
                "(CAST(?1 AS TEXT) IS NULL OR c.kind = ?1)",
                kind.map(ChatKind::as_str),
                None,
            )
        })
        .await
    }

    /// One chat, as [`Store::list_chat_summaries`] shows it.
    pub async fn chat_summary(&self, chatid: &str) -> Result<Chat, StoreError> {
        let chatid = chatid.to_owned();
        self.read(move |conn| {
            chat(conn, &chatid)?.ok_or_else(|| StoreError::not_found("chat", &chatid))
        })
        .await
    }

    /// The uploads among `media_ids` that exist (expired or not), in one statement.
    pub async fn media_by_ids(&self, media_ids: Vec<String>) -> Result<Vec<Media>, StoreError> {
        if media_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read(move |conn| {
            let marks = vec!["?"; media_ids.len()].join(", ");
            let sql = format!("SELECT {MEDIA_COLUMNS} FROM media WHERE media_id IN ({marks})");
            let mut statement = conn.prepare(&sql)?;
            let values = media_ids.into_iter().map(SqlValue::Text);
            let rows =
                statement.query_map(params_from_iter(values), super::media::media_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// The posts of a blackboard, newest first, with their reply counts (an index range per
    /// post, never a scan of the blackboard's messages).
    pub async fn list_posts_with_replies(&self, chatid: &str) -> Result<Vec<Post>, StoreError> {
        let chatid = chatid.to_owned();
        self.read(move |conn| {
            if super::chats::kind_of(conn, &chatid)? != Some(ChatKind::Blackboard) {
                return Err(StoreError::not_found("blackboard", &chatid));
            }
            let mut statement = conn.prepare_cached(POSTS_SQL)?;
            let posts = statement
                .query_map([&chatid], |row| {
                    let replies: i64 = row.get(5)?;
                    Ok(Post {
                        post_id: row.get(0)?,
                        chatid: row.get(1)?,
                        title: row.get(2)?,
                        message_id: row.get(3)?,
                        created_at: rfc3339(row.get(4)?),
                        reply_count: u64::try_from(replies).unwrap_or(0),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(posts)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SyncMode;

    fn plan(conn: &Connection, sql: &str) -> String {
        let conn = conn.sqlite().expect("query plans are SQLite's");
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        // Unbound parameters are NULL: the plan does not depend on the values.
        let nulls = vec![rusqlite::types::Value::Null; statement.parameter_count()];
        let rows = statement
            .query_map(rusqlite::params_from_iter(nulls), |row| {
                row.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows.join("\n")
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), SyncMode::Normal).unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn unread_counts_walk_the_chat_index_and_never_scan_messages() {
        let (_dir, store) = store();
        let text = store
            .read(|conn| Ok(plan(conn, &format!("{CHAT_SQL} WHERE c.chatid = 'x'"))))
            .await
            .unwrap();
        assert!(text.contains("message_rows_by_chat"), "{text}");
        assert!(!text.contains("SCAN r"), "{text}");
    }

    #[test]
    fn the_unread_subquery_counts_one_past_the_cap() {
        let limit = format!("LIMIT {}", UNREAD_CAP + 1);
        assert!(CHAT_SQL.contains(&limit), "{CHAT_SQL}");
    }

    #[tokio::test]
    async fn unread_counts_stop_at_the_cap() {
        let (_dir, store) = store();
        store
            .write(|conn| {
                conn.execute_batch(
                    "INSERT INTO chats (chatid, kind, name, created_at) VALUES ('g', 'group', 'G', 1);
                     INSERT INTO chats (chatid, kind, name, created_at, read_upto) VALUES ('h', 'group', 'H', 1, 1995);
                     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                     INSERT INTO messages (request_id, bot_id, bot_name, chatid, chat_kind, msgtype,
                         content, created_at)
                     SELECT 'r' || i, 'b', 'B', CASE WHEN i % 2 = 0 THEN 'g' ELSE 'h' END, 'group',
                         'text', '{}', i FROM n;",
                )?;
                Ok(())
            })
            .await
            .unwrap();
        let chats = store.list_chat_summaries(None).await.unwrap();
        let unread: HashMap<_, _> = chats
            .iter()
            .map(|c| (c.chatid.as_str(), c.unread))
            .collect();
        assert_eq!(unread["g"], UNREAD_CAP);
        // Messages 1997 and 1999 of h are past its read mark 1995.
        assert_eq!(unread["h"], 2);
    }

    #[tokio::test]
    async fn reply_counts_walk_the_post_index() {
        let (_dir, store) = store();
        let text = store.read(|conn| Ok(plan(conn, POSTS_SQL))).await.unwrap();
        assert!(text.contains("message_rows_by_post"), "{text}");
        assert!(!text.contains("SCAN r"), "{text}");
    }
}
