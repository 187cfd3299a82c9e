//! The [`Store`]: everything the server keeps, behind methods that take and return domain types.
//!
//! # Backends
//! SQLite by default (`sqlite.rs`): one file `hookpit.db` in WAL mode in the data directory.
//! PostgreSQL with `--database postgres://…` ([`Store::open_postgres`]): the same tables
//! (`pg_migrations.rs`), shared by every instance that names the database. The domain modules are
//! written once against `db/`, an interface shaped like the part of rusqlite they use, and run
//! on either; what only one engine has (checkpoints, the FTS5 search index, pragmas) stays with
//! that engine. Uploaded media are files under `media/` in the data directory on SQLite, rows of
//! `media_bytes` on PostgreSQL (any instance serves them).
//!
//! # Writes and durability
//! Every write goes to ONE writer thread (`writer.rs`) that batches whatever is queued into one
//! transaction (group commit), then answers each waiter. A sender gets `errcode 0` only after the
//! commit that holds its message returned. `--sync full` (default) fsyncs each commit: an
//! acknowledged message survives kill -9 and power loss. `--sync normal` (WAL) survives kill -9
//! of the process but may lose the last commits on power loss or an OS crash.
//!
//! Checkpoints run on their own thread and connection (`checkpoint.rs`), never on the writer's.
//! The key → bot map the webhook resolves first is kept in memory, exact (`key_map.rs`); on
//! PostgreSQL, where other instances change bots too, every lookup asks the database.
//!
//! On PostgreSQL the writer is the same thread with one session: each batch takes a
//! transaction-level advisory lock first, so batches of all instances commit one at a time and
//! ids appear in commit order; a session that broke (PostgreSQL restarted) is opened again before
//! the next batch or read, and what fails meanwhile is answered with an error, never an ack.
//!
//! Reads run on a small pool of read-only connections on the blocking thread pool; WAL lets them
//! run while the writer commits.
//!
//! Text search (`search.rs`) uses an index in a second file, `search.db`, that a thread of its
//! own keeps up to date behind the writer (`indexer.rs`); searches scan what it has not reached.
//! On PostgreSQL there is no index yet: searches scan, in chunks, with each term tested in SQL
//! first (`pg_search.rs`).

mod batch_start;
mod bots;
mod callbacks;
mod chat_counts;
mod chat_info_codes;
mod chats;
mod checkpoint;
pub mod db;
mod deliver;
mod delivered;
mod demo;
pub mod feed;
mod fence;
mod index_walk;
mod indexer;
mod key_map;
mod leader;
mod lock;
mod media;
mod mentions;
mod message_keys;
mod message_query;
mod message_row;
mod messages;
pub mod migrations;
mod outbox;
mod outbox_log;
mod people;
mod pg_migrations;
mod pg_search;
mod queries;
mod raw_body;
mod read_pool;
mod relay;
mod route;
mod row_batch;
mod search;
mod search_tokens;
mod single_chat;
mod sqlite;
mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use callbacks::Click;
pub use chat_info_codes::CodeLookup;
pub use deliver::Delivery;
pub use demo::{
    DEMO_BLACKBOARD, DEMO_BOT_ID, DEMO_CURL_GROUP, DEMO_DOCUMENT_KEYS, DEMO_GROUP, DEMO_POST,
};
pub use key_map::KeyCheck;
use key_map::KeyMap;
pub use outbox_log::OutboxQuery;
pub use people::picture_key;
use read_pool::ReadPool;
pub use single_chat::looks_like_single_chat_id;
use writer::Writer;

use crate::config::SyncMode;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    /// The thing to create exists already, or the change contradicts the data.
    #[error("{0}")]
    Conflict(String),
    /// The request is not valid for the data (e.g. an unknown member).
    #[error("{0}")]
    Invalid(String),
    // The text is for logs: the admin API never shows it (`api/error.rs`).
    #[error("database error: {0}")]
    Database(#[from] db::Error),
    /// The commit holding this write failed; the write is not stored.
    #[error("commit failed: {0}")]
    Commit(Arc<db::Error>),
    #[error("file error")]
    Io(#[from] std::io::Error),
    #[error("stored JSON is invalid")]
    Json(#[from] serde_json::Error),
    /// WeCom's rules refuse the delivery (93005, 93008, ...); nothing was written.
    #[error("refused: {0}")]
    Refused(hookpit_protocol::ErrorCode),
    /// The store is shut down.
    #[error("store is closed")]
    Closed,
    /// Another server holds the data directory.
    #[error("{}", lock::locked_message(.dir, *.pid))]
    Locked { dir: PathBuf, pid: Option<u32> },
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Database(db::Error::from(error))
    }
}

impl StoreError {
    pub(crate) fn not_found(kind: &'static str, id: &str) -> StoreError {
        StoreError::NotFound {
            kind,
            id: id.to_owned(),
        }
    }
}

/// The server's persistent state. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Store {
    reads: Arc<ReadPool>,
    writer: Writer,
    keys: Arc<KeyMap>,
    /// SQLite's search indexer (`None` on PostgreSQL, whose searches scan).
    indexer: Option<indexer::Indexer>,
    media_dir: PathBuf,
    temp_dir: PathBuf,
    /// SQLite's database file (`None` on PostgreSQL).
    db_path: Option<PathBuf>,
    /// The database's URL when other instances use it too (PostgreSQL); `feed.rs` listens on a
    /// session of its own.
    database_url: Option<String>,
    /// This instance among those sharing the database (`feed.rs` skips its own notices).
    instance: Arc<str>,
    /// Released by [`Store::close`], so a server started next on this directory may open it
    /// even while something still holds this `Store`.
    lock: std::sync::Mutex<Option<lock::DataLock>>,
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir` and runs pending migrations.
    ///
    /// # Errors
    /// The directory or the database cannot be opened or migrated.
    pub fn open(data_dir: &Path, sync: SyncMode) -> Result<Store, StoreError> {
        let local = LocalDirs::prepare(data_dir)?;
        let db_path = data_dir.join("hookpit.db");
        let mut conn = sqlite::open_writer(&db_path, sync)?;
        migrations::run(&mut conn)?;
        let conn = db::Connection::Sqlite(conn);
        let keys = Arc::new(KeyMap::load(&conn)?);
        let search_path = indexer::path_of(&db_path);
        let index = indexer::open(&search_path)?;
        let reads = Arc::new(ReadPool::of(sqlite::open_readers(
            &db_path,
            &search_path,
            4,
        )?));
        let indexer = indexer::Indexer::start(index, &db_path)?;
        let checkpointer =
            checkpoint::Checkpointer::start(sqlite::open_checkpointer(&db_path, sync)?)?;
        let writer = Writer::start(conn, Some(checkpointer))?;
        Ok(Store {
            reads,
            writer,
            keys,
            indexer: Some(indexer),
            media_dir: local.media_dir,
            temp_dir: local.temp_dir,
            db_path: Some(db_path),
            database_url: None,
            instance: Arc::from(random_id("", 12)),
            lock: std::sync::Mutex::new(Some(local.lock)),
        })
    }

    /// Opens the store in the PostgreSQL database at `url` (`postgres://…`) and runs pending
    /// migrations (under an advisory lock: several instances may start at once). `data_dir`
    /// still holds this instance's local files (uploads in progress, media, the CA).
    ///
    /// # Errors
    /// PostgreSQL is unreachable or refuses the login, or a migration failed.
    pub fn open_postgres(url: &str, data_dir: &Path) -> Result<Store, StoreError> {
        let local = LocalDirs::prepare(data_dir)?;
        let connect = || -> Result<db::Connection, StoreError> {
            Ok(db::Connection::Postgres(Box::new(
                db::PgConnection::connect(url)?,
            )))
        };
        let conn = connect()?;
        pg_migrations::run(&conn)?;
        let keys = Arc::new(KeyMap::shared());
        let reads = (0..4).map(|_| connect()).collect::<Result<Vec<_>, _>>()?;
        let writer = Writer::start(conn, None)?;
        Ok(Store {
            reads: Arc::new(ReadPool::of(reads)),
            writer,
            keys,
            indexer: None,
            media_dir: local.media_dir,
            temp_dir: local.temp_dir,
            db_path: None,
            database_url: Some(url.to_owned()),
            instance: Arc::from(random_id("", 12)),
            lock: std::sync::Mutex::new(Some(local.lock)),
        })
    }

    /// Whether other instances use the same database (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        self.database_url.is_some()
    }

    /// Runs `f` on a read connection.
    pub(crate) async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&db::Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.reads.run(f).await
    }

    /// Runs `f` in the writer's next transaction; returns once that transaction is committed.
    pub(crate) async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&db::Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.writer.run(f).await
    }

    /// Like [`Store::write`] for a write that may change a bot's key, id or name: the key map is
    /// reloaded after the commit, before the caller (or any later write) goes on.
    pub(crate) async fn write_bots<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&db::Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let keys = Arc::clone(&self.keys);
        self.writer.run_then(f, move |conn| keys.reload(conn)).await
    }

    /// Indexes for search every message committed so far, and returns once done. Searches never
    /// need it (they scan what the index has not reached); tests and benchmarks use it to
    /// measure the indexed path.
    ///
    /// # Errors
    /// The index could not be written, or the store is closed.
    pub async fn index_search(&self) -> Result<(), StoreError> {
        match &self.indexer {
            Some(indexer) => indexer.flush().await,
            None => Ok(()),
        }
    }

    /// Where uploaded media files live.
    pub fn media_dir(&self) -> &Path {
        &self.media_dir
    }

    /// Where uploads are written while they arrive (same file system as the media folder, so
    /// a finished upload is moved into place, not copied).
    pub fn temp_dir(&self) -> &Path {
        &self.temp_dir
    }

    /// Bytes on disk: the database, its WAL, and media files.
    pub fn size_bytes(&self) -> u64 {
        let file = |path: &Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let with_wal = |path: &Path| {
            let mut wal = path.to_owned().into_os_string();
            wal.push("-wal");
            file(path) + file(Path::new(&wal))
        };
        let mut total = self.db_path.as_deref().map_or(0, |db_path| {
            with_wal(db_path) + with_wal(&indexer::path_of(db_path))
        });
        if let Ok(entries) = std::fs::read_dir(&self.media_dir) {
            total += entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>();
        }
        total
    }

    /// Whether the store answers reads and commits a real write (for `/readyz`): a row is
    /// rewritten, so a read-only file system or a lost database shows here, and a store that
    /// recovered shows as soon as it can write again. A full disk may not: this small write can
    /// land in space SQLite's files already hold, so `/readyz` asks
    /// [`Store::available_bytes`] too.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await?;
        self.write(|conn| {
            conn.prepare_cached(
                "INSERT INTO health (id, checks) VALUES (1, 1)
                 ON CONFLICT (id) DO UPDATE SET checks = health.checks + 1",
            )?
            .execute([])?;
            Ok(())
        })
        .await
    }

    /// Bytes that an unprivileged process may still write on the file system of the data
    /// directory (where SQLite's files, media and uploads live, on either backend).
    ///
    /// # Errors
    /// The file system cannot be asked (`statvfs` failed).
    pub fn available_bytes(&self) -> std::io::Result<u64> {
        let stats = rustix::fs::statvfs(&self.media_dir)?;
        Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
    }

    /// Finishes queued writes, checkpoints the WAL and stops the writer. Later writes fail with
    /// [`StoreError::Closed`].
    ///
    /// # Errors
    /// The final checkpoint failed (a full disk, say): every committed write is still in the
    /// WAL, which SQLite replays at the next start, but the database file is not up to date.
    pub async fn close(&self) -> Result<(), StoreError> {
        if let Some(indexer) = &self.indexer {
            indexer.stop().await;
        }
        let flushed = self.writer.close().await;
        drop(self.lock.lock().unwrap_or_else(|e| e.into_inner()).take());
        flushed
    }
}

/// The local folders of a store: its lock, media and uploads in progress.
struct LocalDirs {
    lock: lock::DataLock,
    media_dir: PathBuf,
    temp_dir: PathBuf,
}

impl LocalDirs {
    fn prepare(data_dir: &Path) -> Result<LocalDirs, StoreError> {
        std::fs::create_dir_all(data_dir)?;
        // First, before anything in the directory is touched.
        let lock = lock::DataLock::acquire(data_dir)?;
        let media_dir = data_dir.join("media");
        std::fs::create_dir_all(&media_dir)?;
        // Uploads in progress; whatever a crash left there is garbage (never acknowledged).
        let temp_dir = data_dir.join("tmp");
        if temp_dir.exists() {
            std::fs::remove_dir_all(&temp_dir)?;
        }
        std::fs::create_dir_all(&temp_dir)?;
        Ok(LocalDirs {
            lock,
            media_dir,
            temp_dir,
        })
    }
}

/// A random id of `len` characters of `[A-Za-z0-9]` after `prefix` (chat, post and bot ids).
pub fn random_id(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut id = String::with_capacity(prefix.len() + len);
    id.push_str(prefix);
    for _ in 0..len {
        id.push(char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]));
    }
    id
}
