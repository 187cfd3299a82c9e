//! Reading, clearing and pruning messages.

use hookpit_protocol::MsgType;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::{Store, StoreError};
use crate::domain::{ChatKind, MessageDetail, MessageQuery, MessageType, StoredMessage};

const COLUMNS: &str = "id, request_id, bot_id, bot_name, chatid, chat_kind, post_id, msgtype, \
                       content, visible_to, mentions, created_at, request_lints, from_user";

fn message_from_row(row: &rusqlite::Row<'_>) -> Result<StoredMessage, StoreError> {
    let kind: String = row.get(5)?;
    let msgtype: String = row.get(7)?;
    let content: String = row.get(8)?;
    let visible: String = row.get(9)?;
    let mentions: String = row.get(10)?;
    let request_lints: String = row.get(12)?;
    let from_user: String = row.get(13)?;
    Ok(StoredMessage {
        id: row.get(0)?,
        request_id: row.get(1)?,
        bot_id: row.get(2)?,
        bot_name: row.get(3)?,
        from_user: (!from_user.is_empty()).then_some(from_user),
        chatid: row.get(4)?,
        chat_kind: ChatKind::parse(&kind).unwrap_or(ChatKind::Group),
        post_id: row.get(6)?,
        msgtype: MessageType::from_wire(&msgtype).unwrap_or(MessageType::Push(MsgType::Text)),
        content: serde_json::from_str(&content)?,
        visible_to: visible
            .split('|')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        mentions: serde_json::from_str(&mentions)?,
        request_lints: serde_json::from_str(&request_lints)?,
        created_at: row.get(11)?,
    })
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(super) fn query(conn: &Connection, q: &MessageQuery) -> Result<Vec<StoredMessage>, StoreError> {
    // The SQL is built from the filters present (not `?1 IS NULL OR ...`) so that SQLite can use
    // the (chatid, id) and (bot_id, id) indexes.
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<SqlValue> = Vec::new();
    let mut add = |condition: &'static str, value: SqlValue| {
        conditions.push(condition);
        values.push(value);
    };
    if let Some(chatid) = &q.chatid {
        add("chatid = ?", SqlValue::Text(chatid.clone()));
    }
    if let Some(bot) = &q.bot_id {
        add("bot_id = ?", SqlValue::Text(bot.clone()));
    }
    if let Some(msgtype) = q.msgtype {
        add("msgtype = ?", SqlValue::Text(msgtype.as_str().to_owned()));
    }
    if let Some(user) = &q.as_user {
        add(
            "(visible_to = '' OR instr(visible_to, '|' || ? || '|') > 0)",
            SqlValue::Text(user.clone()),
        );
        add(
            "(audience = '' OR audience = ?)",
            SqlValue::Text(user.clone()),
        );
    }
    if let Some(text) = &q.text {
        add(
            "search_text LIKE ? ESCAPE '\\'",
            SqlValue::Text(like_escape(text)),
        );
    }
    if let Some(before) = q.before {
        add("id < ?", SqlValue::Integer(before));
    }
    if let Some(after) = q.after {
        add("id > ?", SqlValue::Integer(after));
    }
    let mut sql = format!("SELECT {COLUMNS} FROM messages");
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(if q.ascending {
        " ORDER BY id ASC"
    } else {
        " ORDER BY id DESC"
    });
    sql.push_str(" LIMIT ?");
    values.push(SqlValue::Integer(i64::from(q.limit)));
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(values))?;
    let mut messages = Vec::new();
    while let Some(row) = rows.next()? {
        messages.push(message_from_row(row)?);
    }
    Ok(messages)
}

impl Store {
    /// Messages matching `query`, newest first (oldest first with `ascending`).
    pub async fn list_messages(
        &self,
        query: MessageQuery,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.read(move |conn| self::query(conn, &query)).await
    }

    /// One message with its request's raw body and reply.
    pub async fn get_message(&self, id: i64) -> Result<MessageDetail, StoreError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS}, (SELECT raw_body FROM requests r WHERE r.id = m.request_id),
                        (SELECT reply FROM requests r WHERE r.id = m.request_id),
                        (SELECT from_ip FROM requests r WHERE r.id = m.request_id),
                        (SELECT base64_at FROM images i WHERE i.request_id = m.request_id),
                        (SELECT bytes FROM images i WHERE i.request_id = m.request_id
                            AND i.base64_at IS NOT NULL)
                 FROM messages m WHERE id = ?1"
            );
            let mut statement = conn.prepare_cached(&sql)?;
            let mut rows = statement.query([id])?;
            let Some(row) = rows.next()? else {
                return Err(StoreError::not_found("message", &id.to_string()));
            };
            // The request's columns follow the message's own.
            let mut raw: Option<Vec<u8>> = row.get(14)?;
            let base64_at: Option<i64> = row.get(17)?;
            let picture: Option<Vec<u8>> = row.get(18)?;
            if let (Some(stored), Some(at), Some(picture)) = (&raw, base64_at, picture) {
                let at = usize::try_from(at).unwrap_or(usize::MAX);
                raw = Some(super::raw_body::rebuild(stored, at, &picture));
            }
            Ok(MessageDetail {
                message: message_from_row(row)?,
                raw_request: String::from_utf8_lossy(&raw.unwrap_or_default()).into_owned(),
                reply: row.get::<_, Option<String>>(15)?.unwrap_or_default(),
                from_ip: row.get::<_, Option<String>>(16)?.unwrap_or_default(),
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
                .prepare_cached("SELECT request_id FROM messages WHERE id = ?1")?
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
                conn.query_row("SELECT COUNT(*) FROM messages", [], |row| row.get(0))?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
        .await
    }

    /// The highest message id (0 when empty).
    pub async fn last_message_id(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            Ok(
                conn.query_row("SELECT COALESCE(MAX(id), 0) FROM messages", [], |row| {
                    row.get(0)
                })?,
            )
        })
        .await
    }

    /// Deletes every message, request, picture and bot-made post.
    pub async fn clear_messages(&self) -> Result<u64, StoreError> {
        self.write(|conn| {
            let deleted = conn.execute("DELETE FROM messages", [])?;
            conn.execute_batch(
                "DELETE FROM requests; DELETE FROM images;
                 DELETE FROM posts WHERE message_id IS NOT NULL;
                 UPDATE chats SET message_count = 0, last_message_at = NULL, read_upto = 0;",
            )?;
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
                deleted += conn.execute("DELETE FROM messages WHERE created_at < ?1", [cutoff])?;
            }
            if let Some(keep) = keep_newest {
                let keep = i64::try_from(keep).unwrap_or(i64::MAX);
                deleted += conn.execute(
                    "DELETE FROM messages WHERE id <= (SELECT id FROM messages ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                    [keep],
                )?;
            }
            if deleted > 0 {
                conn.execute_batch(
                    "DELETE FROM requests WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.request_id = requests.id);
                     DELETE FROM images WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.request_id =
                         CASE WHEN instr(images.request_id, '/') > 0
                              THEN substr(images.request_id, 1, instr(images.request_id, '/') - 1)
                              ELSE images.request_id END);
                     DELETE FROM posts WHERE message_id IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.post_id = posts.post_id);
                     UPDATE chats SET message_count = (SELECT COUNT(*) FROM messages m WHERE m.chatid = chats.chatid);",
                )?;
            }
            Ok(u64::try_from(deleted).unwrap_or(0))
        })
        .await
    }
}
