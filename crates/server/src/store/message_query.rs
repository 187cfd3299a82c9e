//! The SQL of a message listing: a query's filters as conditions, the search index walked in
//! id order (`index_walk.rs`) with the unindexed tail scanned, and rows read back as
//! [`StoredMessage`]s.

use crate::store::db::Value as SqlValue;
use crate::store::db::{Connection, params_from_iter};
use hookpit_protocol::MsgType;

use super::StoreError;
use super::search::{Field, Search};
use crate::domain::{ChatKind, MessageQuery, MessageType, StoredMessage};

const COLUMNS: &str = "id, request_id, bot_id, bot_name, chatid, chat_kind, post_id, msgtype, \
                       content, visible_to, mentions, created_at, request_lints, from_user";

pub(super) fn message_from_row(
    row: &crate::store::db::Row<'_>,
) -> Result<StoredMessage, StoreError> {
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
pub(super) fn m_columns() -> String {
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
    let index = super::index_walk::IndexWalk {
        index_query,
        upto,
        order,
    };
    if q.ascending {
        index.collect(conn, &columns, &c, &search, limit, &mut messages)?;
    }
    collect(
        conn,
        &tail,
        tail_values,
        Some(&search),
        limit,
        &mut messages,
    )?;
    if !q.ascending {
        index.collect(conn, &columns, &c, &search, limit, &mut messages)?;
    }
    Ok(messages)
}

/// Appends the rows of `sql` that pass `search` to `out` until it holds `limit`.
pub(super) fn collect(
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
