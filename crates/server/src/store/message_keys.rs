//! The integer keys that stand for chat and bot ids in `message_rows` (`message_keys`, migration
//! 11): a short integer in each row and its indexes instead of the id's text.

use std::cell::RefCell;
use std::collections::HashMap;

use super::StoreError;
use crate::store::db::{Connection, OptionalExtension};

/// The integer key of a chat or bot id in `message_rows` (migration 11), made on first use.
/// Keys are never deleted, so one never names two ids.
///
/// The writer thread remembers the keys it looked up or made ([`KEYS`]): two lookups per
/// message were 5% of the writer's time. A key made in a savepoint or transaction that is then
/// rolled back is gone (and its number may go to another id), so the memo is dropped whenever
/// the writer rolls anything back ([`super::writer::rollbacks`]).
pub(super) fn message_key(conn: &Connection, value: &str) -> Result<i64, StoreError> {
    let epoch = super::writer::rollbacks();
    if let Some(epoch) = epoch {
        let known = KEYS.with_borrow_mut(|memo| {
            if memo.epoch != epoch {
                memo.epoch = epoch;
                memo.keys.clear();
            }
            memo.keys.get(value).copied()
        });
        if let Some(key) = known {
            return Ok(key);
        }
    }
    let key = lookup_or_make_key(conn, value)?;
    if let Some(epoch) = epoch {
        KEYS.with_borrow_mut(|memo| {
            if memo.keys.len() >= MAX_REMEMBERED_KEYS {
                // Sandbox mode makes a group per unknown chat id: bound the memo.
                memo.keys.clear();
            }
            memo.epoch = epoch;
            memo.keys.insert(value.to_owned(), key);
        });
    }
    Ok(key)
}

fn lookup_or_make_key(conn: &Connection, value: &str) -> Result<i64, StoreError> {
    let found = conn
        .prepare_cached("SELECT key FROM message_keys WHERE value = ?1")?
        .query_row([value], |row| row.get(0))
        .optional()?;
    if let Some(key) = found {
        return Ok(key);
    }
    conn.prepare_cached("INSERT INTO message_keys (value) VALUES (?1)")?
        .execute([value])?;
    conn.last_insert_rowid().map_err(StoreError::from)
}

/// Chat and bot ids whose keys the writer remembers at most.
const MAX_REMEMBERED_KEYS: usize = 4096;

/// The writer thread's memo of `message_keys`, good while its rollback count is `epoch`.
#[derive(Default)]
struct KeyMemo {
    epoch: u64,
    /// Hashed by foldhash (seeded per process), as `chat_counts.rs`'s maps.
    keys: HashMap<String, i64, foldhash::fast::RandomState>,
}

thread_local! {
    /// Filled only on a writer thread (one per store, so one database per memo).
    static KEYS: RefCell<KeyMemo> = RefCell::default();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn a_key_made_by_a_job_that_rolled_back_is_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), crate::config::SyncMode::Normal).unwrap();
        let failed = store
            .write(|conn| {
                message_key(conn, "gone")?;
                Err::<(), _>(StoreError::Invalid("fails after making a key".to_owned()))
            })
            .await;
        assert!(failed.is_err());
        // The rolled-back key's number goes to the next id made; `gone` must get its own.
        let other = store
            .write(|conn| message_key(conn, "other"))
            .await
            .unwrap();
        let gone = store.write(|conn| message_key(conn, "gone")).await.unwrap();
        assert_ne!(gone, other);
        let stored: i64 = store
            .write(|conn| {
                Ok(conn.query_row(
                    "SELECT key FROM message_keys WHERE value = 'gone'",
                    [],
                    |row| row.get(0),
                )?)
            })
            .await
            .unwrap();
        assert_eq!(gone, stored);
        // Remembered keys answer as the table does.
        assert_eq!(
            store
                .write(|conn| message_key(conn, "other"))
                .await
                .unwrap(),
            other
        );
        store.close().await.unwrap();
    }
}
