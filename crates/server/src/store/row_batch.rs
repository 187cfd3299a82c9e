//! On PostgreSQL, the group messages of a writer batch inserted in one statement, not one
//! round trip each.
//!
//! Why: the writer's batches are the serial stage of every instance (they hold one advisory
//! lock, `fence.rs`), and on PostgreSQL a statement costs a round trip to the server — a wake-up
//! of its backend and of the writer — far more than the insert itself. With one `INSERT …
//! RETURNING id` per message, a batch of 50 took 50 round trips of that lock's time.
//!
//! How: a delivery to a group takes an id reserved from `message_rows`' own sequence and leaves
//! its row here ([`defer`]). Ids are reserved under the batches' lock: as the batch begins, in
//! the same round trip ([`reserve_query`], `batch_start.rs`), as many as jobs are queued or the
//! last batch used; more, if those run out, in one query for as many as are queued then. What a
//! job left joins the batch's rows only if the job succeeded ([`job_ended`]); the writer inserts
//! the batch's rows with one `INSERT … SELECT FROM unnest(…)` where it writes the chats'
//! counters: before any job that is not a delivery, outside that job's savepoint ([`flush`]),
//! and at the end, where the insert travels with the `COMMIT` in one write ([`take_write`],
//! `fence::commit`). Ids left over are dropped when the batch ends ([`batch_ended`]): reused by
//! a later batch they would commit below ids another instance committed meanwhile, and readers
//! rely on ids appearing in commit order (`feed.rs`). So ids have gaps under load.
//!
//! Why only groups, and why that is safe: nothing a delivery does reads a group's message rows
//! (single chats count their messages for the quota, and a blackboard's posts are looked up, so
//! those rows are inserted at once), and a job that is not a delivery runs after the flush. A
//! message's id is known before its row exists, so the stored messages a job returns are exact.
//! If the flush fails, the batch is rolled back and every job in it gets the error, as when a
//! counter cannot be written.
//!
//! SQLite inserts each row at once: a statement there costs no I/O.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::store::db::{self, Connection, PgOnly, params};

use super::StoreError;
use super::message_row::NewRow;

/// A message row waiting for the batch's insert (owned: the job's borrows end with it).
struct Row {
    id: i64,
    request_id: String,
    bot_key: i64,
    bot_name: String,
    chat_key: i64,
    chat_kind: String,
    post_id: Option<String>,
    msgtype: String,
    content: String,
    visible_to: String,
    audience: String,
    mentions: Option<String>,
    created_at: i64,
    request_lints: Option<String>,
    raw_body: Option<Vec<u8>>,
    raw_content_at: Option<i64>,
    reply: Option<String>,
    from_ip: Option<String>,
}

/// The batch's reserved ids and rows.
#[derive(Default)]
struct Pending {
    ids: VecDeque<i64>,
    job: Vec<Row>,
    batch: Vec<Row>,
    /// Jobs queued behind the running one when it was taken: how many ids to reserve at once.
    queued: usize,
    /// Ids the batch used so far, and the last batch used: how many to reserve as the next
    /// begins ([`reserve_query`]).
    used: usize,
    last_used: usize,
}

thread_local! {
    /// Used only on a PostgreSQL writer thread (one per store).
    static PENDING: RefCell<Pending> = RefCell::default();
}

/// Whether [`defer`] should take a row on this connection and thread, `more` rows of the same
/// job following: on a PostgreSQL writer, unless the row is the batch's only one and no id is
/// reserved (a batch that began with other work), which one `INSERT … RETURNING id` stores in
/// one round trip instead of two (the reservation and the batch's insert). A batch that begins
/// with a delivery has its ids already, and its insert travels with the commit, so its rows are
/// always deferred.
pub(super) fn applies(conn: &Connection, more: usize) -> bool {
    conn.is_postgres()
        && super::writer::routes_epoch().is_some()
        && PENDING.with_borrow(|pending| more > 0 || pending.queued > 0 || !pending.ids.is_empty())
}

/// The writer took a job with `queued` more behind it.
pub(super) fn job_taken(queued: usize) {
    PENDING.with_borrow_mut(|pending| pending.queued = queued);
}

/// Leaves `row` for the batch's insert and returns its id; `more` rows of the same job follow.
/// Only where [`applies`] holds.
pub(super) fn defer(conn: &Connection, row: &NewRow<'_>, more: usize) -> Result<i64, StoreError> {
    let reserved = PENDING.with_borrow_mut(|pending| {
        pending.used += 1;
        pending.ids.pop_front()
    });
    let id = match reserved {
        Some(id) => id,
        None => {
            let wanted = PENDING.with_borrow(|pending| 1 + more + pending.queued);
            let mut ids = reserve(conn, wanted)?;
            let id = ids.pop_front().ok_or_else(|| {
                StoreError::Invalid("PostgreSQL reserved no message id".to_owned())
            })?;
            PENDING.with_borrow_mut(|pending| pending.ids = ids);
            id
        }
    };
    let owned = Row {
        id,
        request_id: row.request_id.to_owned(),
        bot_key: row.bot_key,
        bot_name: row.bot_name.to_owned(),
        chat_key: row.chat_key,
        chat_kind: row.chat_kind.to_owned(),
        post_id: row.post_id.map(str::to_owned),
        msgtype: row.msgtype.to_owned(),
        content: row.content.to_owned(),
        visible_to: row.visible_to.to_owned(),
        audience: row.audience.to_owned(),
        mentions: row.mentions.map(str::to_owned),
        created_at: row.created_at,
        request_lints: row.request_lints.map(str::to_owned),
        raw_body: row.raw_body.map(<[u8]>::to_vec),
        raw_content_at: row.raw_content_at,
        reply: row.reply.map(str::to_owned),
        from_ip: row.from_ip.map(str::to_owned),
    };
    PENDING.with_borrow_mut(|pending| pending.job.push(owned));
    Ok(id)
}

/// The query that reserves the ids a batch that begins with `queued` jobs will likely use,
/// sent with its begin (`batch_start.rs`): one per job, or as many as the last batch used if
/// that is more, as jobs keep coming while a batch runs. The rest are dropped with the batch.
pub(super) fn reserve_query(queued: usize) -> String {
    let last_used = PENDING.with_borrow(|pending| pending.last_used);
    let count = queued.max(last_used).clamp(1, super::writer::MAX_BATCH);
    format!("SELECT nextval('message_rows_id_seq') FROM generate_series(1, {count})")
}

/// The ids [`reserve_query`] answered, as text, for the batch's rows.
pub(super) fn reserved(answer: Vec<Option<String>>) -> Result<(), db::Error> {
    let mut ids = answer
        .iter()
        .map(|id| id.as_deref().and_then(|id| id.parse::<i64>().ok()))
        .collect::<Option<Vec<i64>>>()
        .ok_or(db::Error::Type {
            column: 0,
            wanted: "message id",
        })?;
    ids.sort_unstable();
    PENDING.with_borrow_mut(|pending| pending.ids = ids.into());
    Ok(())
}

/// `count` ids from `message_rows`' sequence, in order.
///
/// The sequence is named as PostgreSQL names an identity column's (migration 1 made it): a
/// literal resolves once, when the statement is prepared, where `pg_get_serial_sequence` looked
/// the table and column up again for every id (half the query's cost, `pg_stat_statements`).
fn reserve(conn: &Connection, count: usize) -> Result<VecDeque<i64>, StoreError> {
    let count = count.clamp(1, super::writer::MAX_BATCH);
    let mut statement = conn.prepare_cached(
        "SELECT nextval('message_rows_id_seq') FROM generate_series(1, ?1::bigint)",
    )?;
    let ids = statement.query_map(params![count], |row| row.get::<_, i64>(0))?;
    let mut ids = ids.collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    Ok(ids.into())
}

/// The running job ended: its rows join the batch's if it `succeeded`, else they go with its
/// savepoint's writes (their ids are not used again).
pub(super) fn job_ended(succeeded: bool) {
    PENDING.with_borrow_mut(|pending| {
        let job = std::mem::take(&mut pending.job);
        if succeeded {
            pending.batch.extend(job);
        }
    });
}

/// The batch's insert: one array per column.
const INSERT: &str = "INSERT INTO message_rows (id, request_id, bot_key, bot_name, chat_key,
         chat_kind, post_id, msgtype, content, visible_to, audience, mentions, created_at,
         request_lints, raw_body, raw_content_at, reply, from_ip)
     SELECT * FROM unnest(?1::bigint[], ?2::text[], ?3::bigint[], ?4::text[],
         ?5::bigint[], ?6::text[], ?7::text[], ?8::text[], ?9::text[], ?10::text[],
         ?11::text[], ?12::text[], ?13::bigint[], ?14::text[], ?15::bytea[],
         ?16::bigint[], ?17::text[], ?18::text[])";

/// The batch's rows, taken: `None` if there are none.
fn take_columns() -> Option<Columns> {
    let rows = PENDING.with_borrow_mut(|pending| std::mem::take(&mut pending.batch));
    if rows.is_empty() {
        return None;
    }
    let mut columns = Columns::with_capacity(rows.len());
    for row in rows {
        columns.push(row);
    }
    Some(columns)
}

/// The batch's rows as a write for PostgreSQL to run with the commit, in one write
/// (`fence::commit`); nothing is left pending.
pub(super) fn take_write() -> Option<db::PgWrite> {
    let columns = take_columns()?;
    Some(db::PgWrite {
        sql: INSERT,
        values: vec![
            Box::new(columns.id),
            Box::new(columns.request_id),
            Box::new(columns.bot_key),
            Box::new(columns.bot_name),
            Box::new(columns.chat_key),
            Box::new(columns.chat_kind),
            Box::new(columns.post_id),
            Box::new(columns.msgtype),
            Box::new(columns.content),
            Box::new(columns.visible_to),
            Box::new(columns.audience),
            Box::new(columns.mentions),
            Box::new(columns.created_at),
            Box::new(columns.request_lints),
            Box::new(columns.raw_body),
            Box::new(columns.raw_content_at),
            Box::new(columns.reply),
            Box::new(columns.from_ip),
        ],
    })
}

/// Inserts the batch's rows. On an error nothing is left pending: the caller rolls the batch
/// back.
pub(super) fn flush(conn: &Connection) -> Result<(), db::Error> {
    let Some(columns) = take_columns() else {
        return Ok(());
    };
    conn.prepare_cached(INSERT)?.execute(params![
        PgOnly(columns.id),
        PgOnly(columns.request_id),
        PgOnly(columns.bot_key),
        PgOnly(columns.bot_name),
        PgOnly(columns.chat_key),
        PgOnly(columns.chat_kind),
        PgOnly(columns.post_id),
        PgOnly(columns.msgtype),
        PgOnly(columns.content),
        PgOnly(columns.visible_to),
        PgOnly(columns.audience),
        PgOnly(columns.mentions),
        PgOnly(columns.created_at),
        PgOnly(columns.request_lints),
        PgOnly(columns.raw_body),
        PgOnly(columns.raw_content_at),
        PgOnly(columns.reply),
        PgOnly(columns.from_ip),
    ])?;
    Ok(())
}

/// The batch ended (committed or rolled back): reserved ids and rows are dropped.
pub(super) fn batch_ended() {
    PENDING.with_borrow_mut(|pending| {
        pending.last_used = std::mem::take(&mut pending.used);
        pending.ids.clear();
        pending.job.clear();
        pending.batch.clear();
    });
}

/// The rows as the arrays `unnest` takes.
#[derive(Default)]
struct Columns {
    id: Vec<i64>,
    request_id: Vec<String>,
    bot_key: Vec<i64>,
    bot_name: Vec<String>,
    chat_key: Vec<i64>,
    chat_kind: Vec<String>,
    post_id: Vec<Option<String>>,
    msgtype: Vec<String>,
    content: Vec<String>,
    visible_to: Vec<String>,
    audience: Vec<String>,
    mentions: Vec<Option<String>>,
    created_at: Vec<i64>,
    request_lints: Vec<Option<String>>,
    raw_body: Vec<Option<Vec<u8>>>,
    raw_content_at: Vec<Option<i64>>,
    reply: Vec<Option<String>>,
    from_ip: Vec<Option<String>>,
}

impl Columns {
    fn with_capacity(n: usize) -> Columns {
        Columns {
            id: Vec::with_capacity(n),
            request_id: Vec::with_capacity(n),
            content: Vec::with_capacity(n),
            ..Columns::default()
        }
    }

    fn push(&mut self, row: Row) {
        self.id.push(row.id);
        self.request_id.push(row.request_id);
        self.bot_key.push(row.bot_key);
        self.bot_name.push(row.bot_name);
        self.chat_key.push(row.chat_key);
        self.chat_kind.push(row.chat_kind);
        self.post_id.push(row.post_id);
        self.msgtype.push(row.msgtype);
        self.content.push(row.content);
        self.visible_to.push(row.visible_to);
        self.audience.push(row.audience);
        self.mentions.push(row.mentions);
        self.created_at.push(row.created_at);
        self.request_lints.push(row.request_lints);
        self.raw_body.push(row.raw_body);
        self.raw_content_at.push(row.raw_content_at);
        self.reply.push(row.reply);
        self.from_ip.push(row.from_ip);
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::ChatKind;
    use crate::store::message_row::{NewRow, insert_or_defer};
    use crate::store::{Store, StoreError, chats};
    use crate::testing::Postgres;

    fn row(request_id: &str) -> NewRow<'_> {
        NewRow {
            request_id,
            bot_key: 1,
            bot_name: "bot",
            chatid: "c",
            chat_key: 2,
            chat_kind: "group",
            post_id: None,
            msgtype: "text",
            content: r#"{"content":"x"}"#,
            visible_to: "",
            audience: "",
            mentions: None,
            created_at: 5,
            request_lints: None,
            raw_body: Some(b"{}"),
            raw_content_at: None,
            reply: None,
            from_ip: Some("127.0.0.1"),
        }
    }

    /// A store on `pg`'s database, and its data directory.
    async fn open(pg: &Postgres) -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let (url, path) = (pg.database(), dir.path().to_owned());
        // The blocking client cannot connect on a thread that drives async tasks.
        let store = tokio::task::spawn_blocking(move || Store::open_postgres(&url, &path))
            .await
            .unwrap()
            .unwrap();
        (store, dir)
    }

    #[tokio::test]
    async fn a_batch_inserts_the_rows_of_its_deliveries_that_succeeded_before_any_other_job() {
        let pg = Postgres::start();
        let (store, _dir) = open(&pg).await;
        store
            .write(|conn| chats::insert(conn, ChatKind::Group, "c", "c", &[], 1))
            .await
            .unwrap();
        // Each job stores two rows, so that the first is deferred whatever else is queued.
        let deliver = |rows: [&'static str; 2], fail: bool| {
            store.writer.run_delivery(move |conn| {
                let first = insert_or_defer(conn, &row(rows[0]), 1)?;
                let second = insert_or_defer(conn, &row(rows[1]), 0)?;
                // Left for the batch's insert: not in the table yet.
                let now: i64 = conn.query_row(
                    "SELECT COUNT(*) FROM message_rows WHERE request_id IN (?1, ?2)",
                    rows,
                    |row| row.get(0),
                )?;
                assert_eq!(now, 0, "{rows:?} inserted at once");
                if fail {
                    return Err(StoreError::Invalid("refused after its rows".to_owned()));
                }
                Ok([first, second])
            })
        };
        let read = store.write(|conn| {
            let mut statement =
                conn.prepare_cached("SELECT id, request_id FROM message_rows ORDER BY id")?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<(i64, String)>, _>>()?)
        });
        // Queued together, so most likely one batch: the failed job's row goes with it, and the
        // reading job behind them sees the others' with the ids they were answered.
        let (first, failed, last, seen) = tokio::join!(
            deliver(["a1", "a2"], false),
            deliver(["b1", "b2"], true),
            deliver(["c1", "c2"], false),
            read
        );
        let ([a1, a2], [c1, c2]) = (first.unwrap(), last.unwrap());
        assert!(failed.is_err());
        assert!(
            a1 < a2 && a2 < c1 && c1 < c2,
            "ids in the order the rows came"
        );
        let expected: Vec<(i64, String)> = [(a1, "a1"), (a2, "a2"), (c1, "c1"), (c2, "c2")]
            .map(|(id, name)| (id, name.to_owned()))
            .into();
        assert_eq!(seen.unwrap(), expected);
        let count: i64 = store
            .write(|conn| {
                Ok(conn.query_row(
                    "SELECT message_count FROM chats WHERE chatid = 'c'",
                    [],
                    |row| row.get(0),
                )?)
            })
            .await
            .unwrap();
        assert_eq!(count, 4);
        store.close().await.unwrap();
    }

    /// The rows and counters of a batch that ends with deliveries travel with its `COMMIT`
    /// (`fence::commit`): stored when that write succeeds, and when one of them fails, the job is
    /// answered with the failure, nothing is stored, and the next batch works.
    #[tokio::test]
    async fn rows_sent_with_the_commit_are_stored_or_refused_with_it() {
        let pg = Postgres::start();
        let (store, _dir) = open(&pg).await;
        store
            .write(|conn| {
                chats::insert(conn, ChatKind::Group, "c", "c", &[], 1)?;
                // A row PostgreSQL refuses, as a full disk or a broken constraint would.
                conn.execute_batch(
                    "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN
                         IF NEW.request_id = 'poison' THEN RAISE EXCEPTION 'poisoned row'; END IF;
                         RETURN NEW;
                     END $$;
                     CREATE TRIGGER refuse_poison BEFORE INSERT ON message_rows
                         FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
                )?;
                Ok(())
            })
            .await
            .unwrap();
        // One job alone in its batch, two rows, so both are deferred to the commit.
        let deliver = |rows: [&'static str; 2]| {
            store.writer.run_delivery(move |conn| {
                let first = insert_or_defer(conn, &row(rows[0]), 1)?;
                let second = insert_or_defer(conn, &row(rows[1]), 0)?;
                Ok([first, second])
            })
        };
        let stored = || {
            store.write(|conn| {
                let count: i64 =
                    conn.query_row("SELECT COUNT(*) FROM message_rows", [], |row| row.get(0))?;
                let counter: i64 = conn.query_row(
                    "SELECT message_count FROM chats WHERE chatid = 'c'",
                    [],
                    |row| row.get(0),
                )?;
                Ok((count, counter))
            })
        };

        let refused = deliver(["ok", "poison"]).await;
        let error = refused.expect_err("a refused row fails its job");
        assert!(error.to_string().contains("poisoned row"), "{error}");
        assert_eq!(
            stored().await.unwrap(),
            (0, 0),
            "nothing of the batch stored"
        );

        let [a, b] = deliver(["a", "b"]).await.unwrap();
        assert!(a < b);
        assert_eq!(stored().await.unwrap(), (2, 2));
        store.close().await.unwrap();
    }
}
