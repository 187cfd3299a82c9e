//! The row of a pushed message in `message_rows`, and its count in its chat (`chat_counts.rs`:
//! added up per batch).
//!
//! SQLite reads the new id from `last_insert_rowid` (a function call, no I/O). On PostgreSQL
//! every statement is a round trip to the server, and the id took a second one
//! (`SELECT lastval()`): there it comes back from the insert itself (`RETURNING`).
//!
//! A broadcast's copies to groups differ only in their chat. On SQLite they are inserted by one
//! statement ([`insert_copies`]): one statement per copy cost its binding, its program's start
//! and end and an update of `sqlite_sequence` (AUTOINCREMENT) each time, most of the writer's
//! time on a broadcast beside the index inserts. PostgreSQL's writer inserts a batch's group rows
//! in one statement already (`row_batch.rs`).

use crate::store::db::{Connection, Param};

use super::StoreError;

/// The `content` of a row whose request holds its content (`requests.content`): a stored
/// content is a JSON object, never empty.
pub(super) const SHARED_CONTENT: &str = "";

/// A message row to insert (the columns of `message_rows` a webhook message sets).
pub(super) struct NewRow<'a> {
    pub request_id: &'a str,
    pub bot_key: i64,
    pub bot_name: &'a str,
    /// The chat whose counters the message moves.
    pub chatid: &'a str,
    pub chat_key: i64,
    pub chat_kind: &'a str,
    pub post_id: Option<&'a str>,
    pub msgtype: &'a str,
    pub content: &'a str,
    pub visible_to: &'a str,
    pub audience: &'a str,
    pub mentions: Option<&'a str>,
    pub created_at: i64,
    pub request_lints: Option<&'a str>,
    pub raw_body: Option<&'a [u8]>,
    pub raw_content_at: Option<i64>,
    pub reply: Option<&'a str>,
    pub from_ip: Option<&'a str>,
}

impl NewRow<'_> {
    /// The insert's values in its columns' order, with `chat` for `chat_key` (a key, or the
    /// keys of [`insert_copies`]).
    fn values<'a>(&'a self, chat: &'a dyn Param) -> [&'a dyn Param; 17] {
        [
            &self.request_id,
            &self.bot_key,
            &self.bot_name,
            chat,
            &self.chat_kind,
            &self.post_id,
            &self.msgtype,
            &self.content,
            &self.visible_to,
            &self.audience,
            &self.mentions,
            &self.created_at,
            &self.request_lints,
            &self.raw_body,
            &self.raw_content_at,
            &self.reply,
            &self.from_ip,
        ]
    }
}

/// The insert, for both engines (a macro, so that PostgreSQL's text can add to it with
/// `concat!`).
macro_rules! insert_sql {
    () => {
        "INSERT INTO message_rows (request_id, bot_key, bot_name, chat_key, chat_kind, post_id,
             msgtype, content, visible_to, audience, mentions, created_at, request_lints,
             raw_body, raw_content_at, reply, from_ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
    };
}

/// Inserts `row` and counts it in its chat, or on PostgreSQL's writer thread leaves it for the
/// batch's one insert (`row_batch.rs`; only for a row no later delivery reads: a group's);
/// `more` rows of the same job follow. The new message's id.
pub(super) fn insert_or_defer(
    conn: &Connection,
    row: &NewRow<'_>,
    more: usize,
) -> Result<i64, StoreError> {
    if !super::row_batch::applies(conn, more) {
        return insert(conn, row);
    }
    let id = super::row_batch::defer(conn, row, more)?;
    super::chat_counts::count(conn, row.chatid, row.created_at)?;
    Ok(id)
}

/// Inserts a copy of `row` into each chat of `chats` (id and key; `row`'s own chat is not used)
/// by one statement, and counts each in its chat: the new messages' ids, in that order. SQLite
/// only (see the module's doc).
///
/// The copies' `content` is '' ([`SHARED_CONTENT`]): their request's row holds it, once
/// (`deliver.rs`), and the `messages` view reads it from there (migration 12). A broadcast's
/// copies were ~150 bytes each, 60 of them the content: its pages were most of the WAL a
/// broadcast wrote.
///
/// The ids are consecutive: one statement of the only writer inserts the rows in the order it
/// selects them, each with the next id of AUTOINCREMENT's counter.
///
/// `OR FAIL`: a statement that writes several rows and may abort on a constraint (the default,
/// `ABORT`, undoes the statement's earlier rows) makes SQLite copy every page it changes into a
/// statement journal first, which is what a settled delivery spares (`fence::settle`). `FAIL`
/// keeps the earlier rows instead; a failure fails the delivery, and its batch is rolled back.
pub(super) fn insert_copies(
    conn: &Connection,
    row: &NewRow<'_>,
    chats: &[(String, i64)],
) -> Result<Vec<i64>, StoreError> {
    debug_assert!(
        !conn.is_postgres(),
        "PostgreSQL batches group rows in row_batch.rs"
    );
    let mut keys = String::with_capacity(chats.len() * 8 + 2);
    keys.push('[');
    for (index, (_, key)) in chats.iter().enumerate() {
        if index > 0 {
            keys.push(',');
        }
        keys.push_str(&key.to_string());
    }
    keys.push(']');
    let inserted = conn
        .prepare_cached(
            "INSERT OR FAIL INTO message_rows (request_id, bot_key, bot_name, chat_key,
                 chat_kind, post_id, msgtype, content, visible_to, audience, mentions,
                 created_at, request_lints, raw_body, raw_content_at, reply, from_ip)
             SELECT ?1, ?2, ?3, copy.value, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                 ?16, ?17
             FROM json_each(?4) AS copy ORDER BY copy.key",
        )?
        .execute(
            &NewRow {
                content: SHARED_CONTENT,
                ..*row
            }
            .values(&keys)[..],
        )?;
    if inserted != chats.len() {
        return Err(StoreError::Invalid(format!(
            "inserted {inserted} copies of a message for {} chats",
            chats.len()
        )));
    }
    let last = conn.last_insert_rowid()?;
    let first = last + 1 - i64::try_from(chats.len()).unwrap_or(i64::MAX);
    for (chatid, _) in chats {
        super::chat_counts::count(conn, chatid, row.created_at)?;
    }
    Ok((first..=last).collect())
}

/// Inserts `row` and counts it in its chat; the new message's id.
pub(super) fn insert(conn: &Connection, row: &NewRow<'_>) -> Result<i64, StoreError> {
    let values = &row.values(&row.chat_key)[..];
    let id = if conn.is_postgres() {
        conn.query_row(concat!(insert_sql!(), " RETURNING id"), values, |found| {
            found.get(0)
        })?
    } else {
        conn.prepare_cached(insert_sql!())?.execute(values)?;
        conn.last_insert_rowid()?
    };
    super::chat_counts::count(conn, row.chatid, row.created_at)?;
    Ok(id)
}
