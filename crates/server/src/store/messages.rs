//! Reading, clearing and pruning messages.

use crate::store::db::Value as SqlValue;
use crate::store::db::{Connection, OptionalExtension, params_from_iter};
use hookpit_protocol::MsgType;
use hookpit_protocol::reply::SEND_OK_BODY;

use super::search::{Field, Search};
use super::{Store, StoreError};
use crate::domain::{ChatKind, MessageDetail, MessageQuery, MessageType, StoredMessage};

const COLUMNS: &str = "id, request_id, bot_id, bot_name, chatid, chat_kind, post_id, msgtype, \
                       content, visible_to, mentions, created_at, request_lints, from_user";

fn message_from_row(row: &crate::store::db::Row<'_>) -> Result<StoredMessage, StoreError> {
    let kind: String = row.get(5)?;
    let msgtype: String = row.get(7)?;
    let content: String = row.get(8)?;
    let visible: String = row.get(9)?;
    // NULL: none (migration 10).
    let mentions: Option<String> = row.get(10)?;
    let request_lints: Option<String> = row.get(12)?;
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
        mentions: json_list(mentions.as_deref())?,
        request_lints: json_list(request_lints.as_deref())?,
        created_at: row.get(11)?,
    })
}

/// A JSON list column: NULL is the empty list.
fn json_list<T: serde::de::DeserializeOwned>(text: Option<&str>) -> Result<Vec<T>, StoreError> {
    Ok(match text {
        Some(text) => serde_json::from_str(text)?,
        None => Vec::new(),
    })
}

/// The filters of a query as SQL conditions on `messages m`, with their values in order.
#[derive(Default)]
pub(super) struct Conditions {
    sql: Vec<String>,
    pub(super) values: Vec<SqlValue>,
}

impl Conditions {
    pub(super) fn add(
        &mut self,
        condition: impl Into<String>,
        values: impl IntoIterator<Item = SqlValue>,
    ) {
        self.sql.push(condition.into());
        self.values.extend(values);
    }

    /// ` AND ...` of every condition (empty when there is none).
    pub(super) fn and(&self) -> String {
        self.sql.iter().map(|c| format!(" AND {c}")).collect()
    }
}

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_owned())
}

/// `column IN (?, ...)` of `values`; one value is an equality, so that SQLite walks the
/// `(column, id)` index in id order instead of sorting.
fn one_of(column: &str, values: &[String]) -> (String, Vec<SqlValue>) {
    if let [value] = values {
        return (format!("{column} = ?"), vec![text(value)]);
    }
    let marks = vec!["?"; values.len()].join(", ");
    (
        format!("{column} IN ({marks})"),
        values.iter().map(|v| text(v)).collect(),
    )
}

/// What `value` names in `table`: the row whose `key` it is if there is one, else the rows
/// whose `name` it is, else `value` itself (the id of something since deleted).
fn resolve(
    conn: &Connection,
    table: &str,
    key: &str,
    value: &str,
) -> Result<Vec<String>, StoreError> {
    let sql = format!(
        "SELECT {key} FROM {table} WHERE {key} = ?1
         UNION ALL SELECT {key} FROM {table} WHERE name = ?1
             AND NOT EXISTS (SELECT 1 FROM {table} WHERE {key} = ?1)"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let mut found: Vec<String> = statement
        .query_map([value], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if found.is_empty() {
        found.push(value.to_owned());
    }
    Ok(found)
}

fn conditions(
    conn: &Connection,
    q: &MessageQuery,
    search: &Search,
) -> Result<Conditions, StoreError> {
    let mut c = Conditions::default();
    if let Some(chatid) = &q.chatid {
        c.add("m.chatid = ?", [text(chatid)]);
    }
    if let Some(bot) = &q.bot_id {
        c.add("m.bot_id = ?", [text(bot)]);
    }
    if let Some(msgtype) = q.msgtype {
        c.add("m.msgtype = ?", [text(msgtype.as_str())]);
    }
    if let Some(user) = &q.as_user {
        c.add(
            "(m.visible_to = '' OR instr(m.visible_to, '|' || CAST(? AS TEXT) || '|') > 0)",
            [text(user)],
        );
        c.add("(m.audience = '' OR m.audience = ?)", [text(user)]);
    }
    if let Some(before) = q.before {
        c.add("m.id < ?", [SqlValue::Integer(before)]);
    }
    if let Some(after) = q.after {
        c.add("m.id > ?", [SqlValue::Integer(after)]);
    }
    for (field, negated) in &search.fields {
        let (condition, values) = match field {
            Field::MsgType(msgtype) => ("m.msgtype = ?".to_owned(), vec![text(msgtype.as_str())]),
            Field::Bot(bot) => one_of("m.bot_id", &resolve(conn, "bots", "id", bot)?),
            Field::Chat(chat) => one_of("m.chatid", &resolve(conn, "chats", "chatid", chat)?),
            Field::From(user) => one_of("m.from_user", &resolve(conn, "users", "userid", user)?),
            Field::Mention(user) => {
                let mut users = resolve(conn, "users", "userid", user)?;
                if matches!(user.as_str(), "all" | "@all") {
                    users.push("@all".to_owned());
                }
                let (inner, values) = one_of("j.value", &users);
                // The list of mentioned userids, as rows named `j.value`.
                let elements = if conn.is_postgres() {
                    "json_array_elements_text(CAST(m.mentions AS json)) j(value)"
                } else {
                    "json_each(m.mentions) j"
                };
                (
                    format!("EXISTS (SELECT 1 FROM {elements} WHERE {inner})"),
                    values,
                )
            }
            // Narrowed here to the types that can have it; `Search::matches` decides. Negated,
            // any type may pass.
            Field::Has(has) if !negated => {
                let types: Vec<String> = has.msgtypes().iter().map(|t| (*t).to_owned()).collect();
                one_of("m.msgtype", &types)
            }
            Field::Has(_) => continue,
            Field::Unread => (
                "EXISTS (SELECT 1 FROM chats c WHERE c.chatid = m.chatid AND m.id > c.read_upto)"
                    .to_owned(),
                Vec::new(),
            ),
            Field::Before(at) => ("m.created_at < ?".to_owned(), vec![SqlValue::Integer(*at)]),
            Field::After(at) => ("m.created_at >= ?".to_owned(), vec![SqlValue::Integer(*at)]),
        };
        if *negated {
            c.add(format!("NOT ({condition})"), values);
        } else {
            c.add(condition, values);
        }
    }
    Ok(c)
}

/// The columns of [`COLUMNS`] on `messages m`.
fn m_columns() -> String {
    COLUMNS
        .split(", ")
        .map(|column| format!("m.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn query(conn: &Connection, q: &MessageQuery) -> Result<Vec<StoredMessage>, StoreError> {
    let search = match &q.text {
        Some(text) => Search::parse(text).map_err(StoreError::Invalid)?,
        None => Search::default(),
    };
    // The SQL is built from the filters present (not `?1 IS NULL OR ...`) so that SQLite can use
    // the (chatid, id) and (bot_id, id) indexes.
    let c = conditions(conn, q, &search)?;
    let order = if q.ascending { "ASC" } else { "DESC" };
    let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
    let columns = m_columns();
    if !search.checks_rows() {
        let sql = format!(
            "SELECT {columns} FROM messages m WHERE TRUE{} ORDER BY m.id {order} LIMIT ?",
            c.and()
        );
        let mut values = c.values.clone();
        values.push(SqlValue::Integer(i64::from(q.limit)));
        let mut messages = Vec::new();
        collect(conn, &sql, values, None, limit, &mut messages)?;
        return Ok(messages);
    }
    if conn.is_postgres() {
        // No n-gram index there: a scan in chunks.
        return super::pg_search::scan(conn, &columns, c, &search, q.ascending, limit);
    }
    let mut messages = Vec::new();
    // The n-gram index is SQLite's (`search.db`).
    let index = conn
        .sqlite()
        .and_then(|sqlite| Some((sqlite, search.index_query()?)));
    let Some((sqlite, index_query)) = index else {
        // No term the index can answer (`ok`, `-x`, `has:image`): a scan, newest first, that
        // stops at a full page.
        let sql = format!(
            "SELECT {columns} FROM messages m WHERE TRUE{} ORDER BY m.id {order}",
            c.and()
        );
        collect(conn, &sql, c.values, Some(&search), limit, &mut messages)?;
        return Ok(messages);
    };
    // Candidates from the index up to its watermark, the tail above it scanned; in the order
    // asked for (newest first: the tail, then the index).
    let upto = super::indexer::indexed_upto(sqlite)?;
    let tail = format!(
        "SELECT {columns} FROM messages m WHERE m.id > ?{} ORDER BY m.id {order}",
        c.and()
    );
    let mut tail_values = vec![SqlValue::Integer(upto)];
    tail_values.extend(c.values.iter().cloned());
    // CROSS JOIN keeps the index outermost, read in rowid order: no sort, and the walk stops at
    // a full page. Rowids below the lowest stored id are pruned messages not yet forgotten.
    let indexed = format!(
        "SELECT {columns} FROM search.grams g CROSS JOIN messages m ON m.id = g.rowid
         WHERE g.grams MATCH ? AND g.rowid <= ?
           AND g.rowid >= (SELECT COALESCE(MIN(id), 0) FROM message_rows){}
         ORDER BY g.rowid {order}",
        c.and()
    );
    let mut indexed_values = vec![SqlValue::Text(index_query), SqlValue::Integer(upto)];
    indexed_values.extend(c.values);
    let mut parts = [(tail, tail_values), (indexed, indexed_values)];
    if q.ascending {
        parts.reverse();
    }
    for (sql, values) in parts {
        collect(conn, &sql, values, Some(&search), limit, &mut messages)?;
    }
    Ok(messages)
}

/// Appends the rows of `sql` that pass `search` to `out` until it holds `limit`.
fn collect(
    conn: &Connection,
    sql: &str,
    values: Vec<SqlValue>,
    search: Option<&Search>,
    limit: usize,
    out: &mut Vec<StoredMessage>,
) -> Result<(), StoreError> {
    read_rows(conn, sql, values, search, limit, out).map(|_| ())
}

/// What [`collect_page`] read.
pub(super) struct Read {
    /// Rows read (all of them unless `out` filled up first).
    pub rows: i64,
    /// The id of the last row read.
    pub last_id: Option<i64>,
}

/// [`collect`] for a scan in pages: also says how far it read.
pub(super) fn collect_page(
    conn: &Connection,
    sql: &str,
    values: Vec<SqlValue>,
    search: &Search,
    limit: usize,
    out: &mut Vec<StoredMessage>,
) -> Result<Read, StoreError> {
    read_rows(conn, sql, values, Some(search), limit, out)
}

fn read_rows(
    conn: &Connection,
    sql: &str,
    values: Vec<SqlValue>,
    search: Option<&Search>,
    limit: usize,
    out: &mut Vec<StoredMessage>,
) -> Result<Read, StoreError> {
    let mut read = Read {
        rows: 0,
        last_id: None,
    };
    if out.len() >= limit {
        return Ok(read);
    }
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params_from_iter(values))?;
    while let Some(row) = rows.next()? {
        let message = message_from_row(&row)?;
        read.rows += 1;
        read.last_id = Some(message.id);
        if search.is_none_or(|search| search.matches(&message)) {
            out.push(message);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(read)
}

impl Store {
    /// Messages matching `query`, newest first (oldest first with `ascending`).
    pub async fn list_messages(
        &self,
        query: MessageQuery,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.read(move |conn| self::query(conn, &query)).await
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
                // Requests and pictures belong to messages without a request of their own
                // (`raw_body IS NULL`): `message_rows_by_request` covers only those.
                conn.execute_batch(
                    "DELETE FROM requests WHERE NOT EXISTS (SELECT 1 FROM message_rows m
                         WHERE m.request_id = requests.id AND m.raw_body IS NULL);
                     DELETE FROM images WHERE NOT EXISTS (SELECT 1 FROM message_rows m WHERE m.request_id =
                         CASE WHEN instr(images.request_id, '/') > 0
                              THEN substr(images.request_id, 1, instr(images.request_id, '/') - 1)
                              ELSE images.request_id END AND m.raw_body IS NULL);
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

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), SyncMode::Normal).unwrap();
        (dir, store)
    }

    /// Stores text messages `texts` in chat `g`.
    async fn insert(store: &Store, texts: &[&str]) {
        let texts: Vec<String> = texts.iter().map(|t| (*t).to_owned()).collect();
        store
            .write(move |conn| {
                for text in texts {
                    let content = serde_json::json!({ "content": text }).to_string();
                    conn.execute(
                        "INSERT INTO messages (request_id, bot_id, bot_name, chatid, chat_kind,
                             msgtype, content, created_at)
                         VALUES ('r', 'b', 'B', 'g', 'group', 'text', ?1, 1)",
                        [content],
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
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
        let ids: Vec<i64> = store
            .list_messages(query)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, [1, 3]);
    }

    #[tokio::test]
    async fn an_indexed_search_walks_the_index_in_id_order_and_looks_messages_up_by_id() {
        let (_dir, store) = store();
        let plan = store
            .read(|conn| {
                let sql = format!(
                    "EXPLAIN QUERY PLAN SELECT {} FROM search.grams g
                     CROSS JOIN messages m ON m.id = g.rowid
                     WHERE g.grams MATCH 'abcdef' AND g.rowid <= 10 AND m.chatid = 'g'
                     ORDER BY g.rowid DESC",
                    m_columns()
                );
                let mut statement = conn.prepare(&sql)?;
                let rows = statement.query_map([], |row| row.get::<_, String>(3))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?.join("\n"))
            })
            .await
            .unwrap();
        assert!(plan.contains("VIRTUAL TABLE INDEX"), "{plan}");
        assert!(plan.contains("INTEGER PRIMARY KEY"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
