//! The search index, kept up to date by a thread of its own, off the request path.
//!
//! The index lives in a second database file, `search.db` next to `hookpit.db`: an FTS5 table of
//! n-gram tokens (`search.rs`), contentless (the text is in `messages` already), `detail=none`
//! (rowids only: candidates are checked exactly anyway), with `contentless_delete` so pruned
//! messages can leave it. A file of its own because its writes then never take the write lock
//! of `hookpit.db`: the writer thread commits messages exactly as fast with or without it. The
//! index is derived data, rebuilt from `messages` when missing, damaged or of another version,
//! so it is written with `synchronous=NORMAL`; WAL keeps it consistent after kill -9.
//!
//! `meta.indexed_upto` is the highest message id indexed, written in the transaction that adds
//! the tokens. Message ids only grow and every message is committed before the writer hands out
//! a larger id, so the messages a reader may still have to look at outside the index are exactly
//! those above it: the unindexed tail, which searches scan (`messages.rs`). The thread polls
//! every [`POLL`], and indexes once [`MIN_BATCH`] messages wait or the oldest has waited
//! [`MAX_DELAY`], so the tail is at most a few hundred messages or half a second of them.
//!
//! One index entry stands for a run of consecutive messages with the same content (the copies
//! of a broadcast, stored one after the other): its rowid is the run's first id, and `runs`
//! holds the last id of each run longer than one. A broadcast to 100 chats is then one FTS5
//! insert, not 100: FTS5's insert and merge were all that was left of the indexer's cost per
//! copy. Searches expand each entry to the ids of its run (`message_query.rs`).
//!
//! Deleted messages leave no results behind: search joins candidates with `messages`. Their
//! tokens are removed later, when the thread sees the lowest stored id move up (prune, clear),
//! and an entry only once its whole run is gone.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tokio::sync::oneshot;

use super::StoreError;
use super::search_tokens::{INDEX_VERSION, TokenScratch, index_tokens_into};

/// How often the thread looks for new messages.
const POLL: Duration = Duration::from_millis(50);

/// Fewest new messages worth an index transaction before [`MAX_DELAY`]. Each transaction
/// writes an FTS5 segment and does merge work whatever its size: at 1,000 messages/s, one every
/// 50 ms cost the thread 32 us per message (8 us at saturation, with ~1,000 per transaction).
const MIN_BATCH: i64 = 256;

/// Longest a message waits for the index when fewer than [`MIN_BATCH`] come: searches scan
/// what the index has not reached, so this bounds that scan, not what a search finds.
const MAX_DELAY: Duration = Duration::from_millis(500);

/// Messages per index transaction: large enough to amortize the commit, small enough that a
/// catch-up of a million messages stops within milliseconds of being asked to.
const BATCH: i64 = 2_000;

/// The search database's schema, made when missing.
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE VIRTUAL TABLE IF NOT EXISTS grams USING fts5(
        tokens, tokenize = 'ascii', detail = none, content = '', contentless_delete = 1
    );
    CREATE TABLE IF NOT EXISTS runs (first INTEGER PRIMARY KEY, last INTEGER NOT NULL);
";

/// The file of the index, next to the database file.
pub(super) fn path_of(db_path: &Path) -> PathBuf {
    db_path.with_file_name("search.db")
}

/// Opens (creating, or rebuilding when of another version or unreadable) the index database.
pub(super) fn open(path: &Path) -> Result<Connection, StoreError> {
    match open_once(path) {
        Ok(conn) => Ok(conn),
        Err(error) => {
            tracing::warn!(error = %error, "search index unreadable: rebuilding it");
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.as_os_str().to_owned();
                file.push(suffix);
                match std::fs::remove_file(&file) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
            }
            open_once(path)
        }
    }
}

fn open_once(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(SCHEMA)?;
    let version: Option<i64> = meta(&conn, "version")?;
    if version != Some(INDEX_VERSION) {
        conn.execute_batch("DROP TABLE grams; DROP TABLE runs; DELETE FROM meta;")?;
        conn.execute_batch(SCHEMA)?;
        set_meta(&conn, "version", INDEX_VERSION)?;
    }
    Ok(conn)
}

fn meta(conn: &Connection, key: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?)
}

fn set_meta(conn: &Connection, key: &str, value: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// The highest message id indexed, read on a connection with the index attached as `search`.
pub(super) fn indexed_upto(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM search.meta WHERE key = 'indexed_upto'")?
        .query_row([], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

enum Command {
    /// Index everything committed, then answer.
    Flush(oneshot::Sender<Result<(), StoreError>>),
}

/// Handle to the indexing thread; stopped on drop or by [`Indexer::stop`].
#[derive(Debug)]
pub(super) struct Indexer {
    commands: Mutex<Option<mpsc::Sender<Command>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Indexer {
    /// Starts the thread: `index` is the index database, `messages` a read-only connection to
    /// the store's database.
    pub(super) fn start(index: Connection, db_path: &Path) -> Result<Indexer, StoreError> {
        let messages = Connection::open_with_flags(
            db_path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        messages.busy_timeout(Duration::from_secs(5))?;
        let (commands, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("hookpit-store-indexer".to_owned())
            .spawn(move || run(&index, &messages, &receiver))?;
        Ok(Indexer {
            commands: Mutex::new(Some(commands)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Indexes every message committed so far; returns when done.
    pub(super) async fn flush(&self) -> Result<(), StoreError> {
        let (answer, answered) = oneshot::channel();
        let sender = self
            .commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(StoreError::Closed)?;
        sender
            .send(Command::Flush(answer))
            .map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?
    }

    /// Stops the thread (within one batch) and waits for it, off the async runtime's threads.
    pub(super) async fn stop(&self) {
        drop(
            self.commands
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// A caller waiting for the index to catch up.
type Waiter = oneshot::Sender<Result<(), StoreError>>;

fn run(index: &Connection, messages: &Connection, commands: &mpsc::Receiver<Command>) {
    let mut waiting: Vec<Waiter> = Vec::new();
    let mut caught_up_at = Instant::now();
    loop {
        match commands.recv_timeout(POLL) {
            Ok(Command::Flush(answer)) => waiting.push(answer),
            Err(RecvTimeoutError::Timeout) => {
                if caught_up_at.elapsed() < MAX_DELAY
                    && unindexed(index, messages).is_ok_and(|count| count < MIN_BATCH)
                {
                    continue;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
        caught_up_at = Instant::now();
        let result = catch_up(index, messages, commands, &mut waiting);
        if let Err(error) = &result {
            tracing::warn!(error = %error, "search index: indexing failed (retried)");
        }
        let Ok(running) = result.as_ref().map(|running| *running) else {
            let message = result.err().map(|e| e.to_string()).unwrap_or_default();
            for answer in waiting.drain(..) {
                let _ = answer.send(Err(StoreError::Io(std::io::Error::other(message.clone()))));
            }
            continue;
        };
        for answer in waiting.drain(..) {
            let _ = answer.send(Ok(()));
        }
        if !running {
            break;
        }
    }
    if let Err(error) = index.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
        tracing::debug!(error = %error, "search index: final checkpoint failed");
    }
}

/// How many committed messages the index has not reached (ids may have gaps: at most that).
fn unindexed(index: &Connection, messages: &Connection) -> Result<i64, StoreError> {
    let upto = meta(index, "indexed_upto")?.unwrap_or(0);
    let newest: Option<i64> = messages
        .prepare_cached("SELECT MAX(id) FROM message_rows")?
        .query_row([], |row| row.get(0))?;
    Ok(newest.unwrap_or(0) - upto)
}

/// Indexes batches until none is left, then drops the tokens of deleted messages. Between two
/// batches of a long catch-up (after an upgrade) it takes new flush requests (answered when it
/// is done) and notices a closing store: `Ok(false)` then.
fn catch_up(
    index: &Connection,
    messages: &Connection,
    commands: &mpsc::Receiver<Command>,
    waiting: &mut Vec<Waiter>,
) -> Result<bool, StoreError> {
    while index_batch(index, messages)? == BATCH {
        loop {
            match commands.try_recv() {
                Ok(Command::Flush(answer)) => waiting.push(answer),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => return Ok(false),
            }
        }
    }
    forget_deleted(index, messages)?;
    Ok(true)
}

/// Indexes the next [`BATCH`] messages above the watermark; returns how many.
///
/// Each message's tokens go to FTS5 as they are read (two connections, two files), through one
/// reused buffer: no list of the batch's texts, no allocation per message. A message whose
/// content is that of the message before it joins that message's run: no tokens, no entry, only
/// a longer run (written when it ends). A run ends with the batch, so a broadcast that a batch
/// boundary cuts is two entries.
fn index_batch(index: &Connection, messages: &Connection) -> Result<i64, StoreError> {
    let upto = meta(index, "indexed_upto")?.unwrap_or(0);
    let mut scratch = TokenScratch::default();
    // The content JSON of the current run, and its first and last ids.
    let mut tokenized = String::new();
    let mut run = None::<(i64, i64)>;
    let mut count: i64 = 0;
    let tx = index.unchecked_transaction()?;
    {
        // A broadcast's copies share their request's content (migration 12): read once per
        // request, not per copy.
        let mut statement = messages.prepare_cached(
            "SELECT id, content, request_id FROM message_rows WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let mut shared = messages.prepare_cached("SELECT content FROM requests WHERE id = ?1")?;
        let mut shared_request = String::new();
        let mut shared_content = String::new();
        let mut insert = tx.prepare_cached("INSERT INTO grams (rowid, tokens) VALUES (?1, ?2)")?;
        let mut found = statement.query(params![upto, BATCH])?;
        while let Some(row) = found.next()? {
            let id: i64 = row.get(0)?;
            let mut content = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            count += 1;
            if content == super::message_row::SHARED_CONTENT {
                let request = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
                if request != shared_request {
                    let found: Option<String> = shared
                        .query_row([request], |r| r.get(0))
                        .optional()?
                        .flatten();
                    // Never missing (the request outlives its copies); if it were, the copy
                    // would be indexed as empty rather than stop the indexer.
                    shared_content = found.unwrap_or_else(|| "{}".to_owned());
                    shared_request.clear();
                    shared_request.push_str(request);
                }
                content = &shared_content;
            }
            if let Some((_, last)) = run.as_mut().filter(|_| tokenized == content) {
                *last = id;
                continue;
            }
            end_run(&tx, run)?;
            let value: serde_json::Value = serde_json::from_str(content)?;
            index_tokens_into(&hookpit_protocol::searchable_text(&value), &mut scratch);
            insert.execute(params![id, scratch.tokens])?;
            tokenized.clear();
            tokenized.push_str(content);
            run = Some((id, id));
        }
    }
    let Some((_, last)) = run else {
        // Nothing new: the empty transaction ends without a write.
        tx.rollback()?;
        return Ok(0);
    };
    end_run(&tx, run)?;
    set_meta(&tx, "indexed_upto", last)?;
    tx.commit()?;
    Ok(count)
}

/// Records a run of more than one message (a run of one needs no row: its entry is its id).
fn end_run(tx: &Connection, run: Option<(i64, i64)>) -> Result<(), StoreError> {
    if let Some((first, last)) = run.filter(|(first, last)| last > first) {
        tx.prepare_cached("INSERT INTO runs (first, last) VALUES (?1, ?2)")?
            .execute(params![first, last])?;
    }
    Ok(())
}

/// Removes the tokens of messages below the lowest stored id (pruned or cleared: ids are never
/// reused, so nothing below it can come back).
fn forget_deleted(index: &Connection, messages: &Connection) -> Result<(), StoreError> {
    let upto = meta(index, "indexed_upto")?.unwrap_or(0);
    let lowest: Option<i64> = messages
        .prepare_cached("SELECT MIN(id) FROM message_rows")?
        .query_row([], |row| row.get(0))?;
    let gone_below = lowest.unwrap_or(upto + 1).min(upto + 1);
    let cleaned_below = meta(index, "cleaned_below")?.unwrap_or(0);
    if gone_below <= cleaned_below {
        return Ok(());
    }
    let tx = index.unchecked_transaction()?;
    if gone_below > upto {
        tx.execute("INSERT INTO grams (grams) VALUES ('delete-all')", [])?;
        tx.execute("DELETE FROM runs", [])?;
    } else {
        // Entries whose whole run lies below: a run that reaches `gone_below` keeps its entry
        // for its copies still stored.
        tx.execute(
            "DELETE FROM grams WHERE rowid < ?1 AND rowid NOT IN (
                 SELECT first FROM runs WHERE first < ?1 AND last >= ?1
             )",
            [gone_below],
        )?;
        tx.execute("DELETE FROM runs WHERE last < ?1", [gone_below])?;
    }
    set_meta(&tx, "cleaned_below", gone_below)?;
    tx.commit()?;
    Ok(())
}
