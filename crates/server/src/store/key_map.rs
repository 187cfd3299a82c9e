//! The key → bot map: the webhook's first lookup, answered from memory.
//!
//! Every send starts by resolving its key. As a read on the blocking pool that was a thread hop
//! per request (a third of the send's cost, docs/PERFORMANCE.md). The map is loaded when the
//! store opens and reloaded on the writer thread right after each commit that touches `bots`,
//! before that write is answered and before the next write runs (`Writer::run_then`): once a bot
//! change is acknowledged, every lookup sees it, and changes land in commit order.
//!
//! Bots are few (people create them by hand; sandbox mode adds one per new key), so reloading
//! the whole table is simpler than patching the map and cannot drift from it.
//!
//! On a database other instances write too (PostgreSQL), a bot may change on another instance
//! at any time. There the map is a cache checked against the bots' *epoch*, a counter that a
//! statement trigger moves with every write to `bots` or `bot_key_aliases` (PostgreSQL
//! migration 4):
//! - the map remembers the epoch it was loaded at (read before the keys, so a change between
//!   the two reads makes the map look older than it is, never newer);
//! - a delivery carries the epoch its identity came from ([`KeyCheck`]), and its transaction
//!   compares it with the epoch in the database, read once per batch under the batches' advisory
//!   lock (no bot changes meanwhile on any instance). If they differ the key is resolved again
//!   in that transaction: a deleted key is refused with 93000 and stores nothing (in sandbox
//!   mode too; the next call makes its bot again), a renamed bot's messages carry the new name.
//!   So what is stored is exact;
//! - each such batch also confirms the map ([`KeyMap::confirm`]). Lookups trust a map confirmed
//!   within the last [`TRUST`]; an older one is reloaded first, and a key the map lacks is asked
//!   of the database (a bot made on another instance).
//!
//! What this trades, by decision: for at most [`TRUST`] after a bot is deleted through another
//! instance, a call with its key that is refused before it is stored (a bad body, a rate limit)
//! gets that refusal rather than 93000. Such a call changes nothing, as if it had come just
//! before the deletion. In exchange a send no longer costs a query and a thread hop for its key.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::store::db::{Connection, OptionalExtension};

use super::StoreError;
use crate::domain::BotIdentity;

/// How long lookups on a shared store trust a map the database last confirmed.
pub(super) const TRUST: Duration = Duration::from_secs(1);

/// The epoch of an identity that did not come from a confirmed map (asked of the database
/// outside any batch): never equal to a real epoch, so the delivery always resolves again.
const UNCONFIRMED: i64 = -1;

/// What a delivery must confirm in its transaction: the identity of `key` was read at `epoch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCheck {
    pub key: String,
    pub epoch: i64,
}

/// The answer of the map.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Lookup {
    /// The bot holding the key.
    Found(BotIdentity),
    /// No bot holds it (an exact map only).
    Absent,
    /// The map cannot say: ask the database.
    Ask,
}

/// The keys and the epoch they were read at (0 on SQLite, which has no epoch).
#[derive(Debug, Default)]
struct Loaded {
    bots: HashMap<String, BotIdentity>,
    epoch: i64,
}

/// The map, with a flag for the rare case it could not be reloaded.
#[derive(Debug)]
pub(super) struct KeyMap {
    // A std RwLock: held for one hash lookup or one swap, never across an await.
    loaded: RwLock<Loaded>,
    /// Set when a reload failed: lookups go to the database until a reload succeeds.
    stale: AtomicBool,
    /// Other instances write bots too: the map is a cache (see the module's doc).
    shared: Option<Confirmation>,
}

/// When a shared map was last known to match the database.
#[derive(Debug)]
struct Confirmation {
    since: Instant,
    /// Milliseconds after `since` of the last confirmation, plus one; 0: not confirmed.
    at: AtomicU64,
    /// One lookup reloads an unconfirmed map; the others meanwhile ask the database.
    reloading: AtomicBool,
}

impl Confirmation {
    fn now(&self) -> u64 {
        u64::try_from(self.since.elapsed().as_millis())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    fn trusted(&self) -> bool {
        let at = self.at.load(Ordering::Acquire);
        let trust = u64::try_from(TRUST.as_millis()).unwrap_or(u64::MAX);
        at != 0 && self.now().saturating_sub(at) < trust
    }
}

fn load(conn: &Connection) -> Result<HashMap<String, BotIdentity>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT key, id, name FROM bots
         UNION ALL SELECT a.key, b.id, b.name FROM bot_key_aliases a JOIN bots b ON b.id = a.bot_id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            BotIdentity {
                id: row.get(1)?,
                name: row.get(2)?,
                key_epoch: None,
            },
        ))
    })?;
    Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
}

/// The query of the bots' epoch; a batch sends it with its begin (`batch_start.rs`).
pub(super) const EPOCH_QUERY: &str = "SELECT value FROM bot_epoch";

/// The bots' epoch in the database (PostgreSQL migration 4).
pub(super) fn epoch(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(EPOCH_QUERY)?
        .query_row([], |row| row.get(0))?)
}

/// The bots' epoch a writer batch read, under the batches' lock.
#[derive(Debug, Clone, Copy)]
struct BatchEpoch {
    /// The [`super::writer::routes_epoch`] it was read at: nothing but this instance's own jobs
    /// writes while a batch holds the lock, and those move that epoch first.
    read_in: u64,
    epoch: i64,
    /// Whether the map was told ([`KeyMap::confirm`]).
    confirmed: bool,
}

thread_local! {
    /// The writer thread's current [`BatchEpoch`].
    static BATCH_EPOCH: Cell<Option<BatchEpoch>> = const { Cell::new(None) };
}

/// The writer's batch read the bots' epoch as it began (`batch_start.rs`).
pub(super) fn batch_began(epoch: i64) {
    if let Some(read_in) = super::writer::routes_epoch() {
        BATCH_EPOCH.set(Some(BatchEpoch {
            read_in,
            epoch,
            confirmed: false,
        }));
    }
}

/// The bots' epoch in the writer's current batch, with `keys` confirmed at it: as the batch
/// read it when it began, unless a job of this instance may have changed it since (then read
/// again, once).
pub(super) fn batch_epoch(conn: &Connection, keys: &KeyMap) -> Result<i64, StoreError> {
    let batch = super::writer::routes_epoch();
    if let Some(memo) = BATCH_EPOCH.get()
        && batch == Some(memo.read_in)
    {
        if !memo.confirmed {
            keys.confirm(memo.epoch);
            BATCH_EPOCH.set(Some(BatchEpoch {
                confirmed: true,
                ..memo
            }));
        }
        return Ok(memo.epoch);
    }
    let epoch = epoch(conn)?;
    keys.confirm(epoch);
    if let Some(read_in) = batch {
        BATCH_EPOCH.set(Some(BatchEpoch {
            read_in,
            epoch,
            confirmed: true,
        }));
    }
    Ok(epoch)
}

/// The bot holding `key` in the database, now.
pub(super) fn identity(conn: &Connection, key: &str) -> Result<Option<BotIdentity>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name FROM bots WHERE key = ?1
             UNION ALL SELECT b.id, b.name FROM bot_key_aliases a JOIN bots b
                 ON b.id = a.bot_id WHERE a.key = ?1",
        )?
        .query_row([key], |row| {
            Ok(BotIdentity {
                id: row.get(0)?,
                name: row.get(1)?,
                key_epoch: None,
            })
        })
        .optional()?)
}

impl KeyMap {
    /// Loads every bot's key.
    pub(super) fn load(conn: &Connection) -> Result<KeyMap, StoreError> {
        Ok(KeyMap {
            loaded: RwLock::new(Loaded {
                bots: load(conn)?,
                epoch: 0,
            }),
            stale: AtomicBool::new(false),
            shared: None,
        })
    }

    /// An empty cache for a store other instances share, loaded by the first lookup.
    pub(super) fn shared() -> KeyMap {
        KeyMap {
            loaded: RwLock::new(Loaded::default()),
            stale: AtomicBool::new(false),
            shared: Some(Confirmation {
                since: Instant::now(),
                at: AtomicU64::new(0),
                reloading: AtomicBool::new(false),
            }),
        }
    }

    /// The bot holding `key`, as far as the map can tell.
    pub(super) fn get(&self, key: &str) -> Lookup {
        if self.stale.load(Ordering::Acquire) {
            return Lookup::Ask;
        }
        if let Some(confirmation) = &self.shared
            && !confirmation.trusted()
        {
            return Lookup::Ask;
        }
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        match loaded.bots.get(key) {
            Some(bot) => Lookup::Found(BotIdentity {
                key_epoch: self.shared.as_ref().map(|_| loaded.epoch),
                ..bot.clone()
            }),
            None if self.shared.is_some() => Lookup::Ask,
            None => Lookup::Absent,
        }
    }

    /// The database's answer for `key` (after [`Lookup::Ask`]), marked for the delivery to
    /// confirm on a shared store. A key found there but not in a trusted map is a bot made
    /// elsewhere since the map was loaded: the map is reloaded at the next lookup.
    pub(super) fn asked(&self, found: Option<BotIdentity>) -> Option<BotIdentity> {
        let Some(confirmation) = &self.shared else {
            return found;
        };
        if found.is_some() {
            confirmation.at.store(0, Ordering::Release);
        }
        found.map(|bot| BotIdentity {
            key_epoch: Some(UNCONFIRMED),
            ..bot
        })
    }

    /// Whether this lookup should reload a shared map that is not trusted (only one lookup at a
    /// time does; [`KeyMap::reloaded`] lets the next one in).
    pub(super) fn should_reload(&self) -> bool {
        self.shared.as_ref().is_some_and(|confirmation| {
            !confirmation.trusted()
                && confirmation
                    .reloading
                    .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
        })
    }

    /// Ends what [`KeyMap::should_reload`] started.
    pub(super) fn reloaded(&self) {
        if let Some(confirmation) = &self.shared {
            confirmation.reloading.store(false, Ordering::Release);
        }
    }

    /// Reloads from `conn` (the writer's after a commit, or a reader's outside any
    /// transaction). On a shared store the epoch is read first: a change committed between the
    /// two reads leaves the map older-looking than its keys, so it is checked again, never
    /// trusted wrongly.
    pub(super) fn reload(&self, conn: &Connection) {
        let read = || -> Result<Loaded, StoreError> {
            let epoch = if self.shared.is_some() {
                epoch(conn)?
            } else {
                0
            };
            Ok(Loaded {
                epoch,
                bots: load(conn)?,
            })
        };
        match read() {
            Ok(loaded) => {
                let mut current = self.loaded.write().unwrap_or_else(|e| e.into_inner());
                // Two reloads may race: the one that read the older epoch does not win.
                if loaded.epoch >= current.epoch {
                    *current = loaded;
                }
                self.stale.store(false, Ordering::Release);
                if let Some(confirmation) = &self.shared {
                    // Under the lock, so a batch's `confirm` cannot interleave.
                    confirmation.at.store(confirmation.now(), Ordering::Release);
                }
            }
            Err(error) => {
                tracing::error!(error = %error, "store: cannot reload the bot keys; reading them from the database");
                self.stale.store(true, Ordering::Release);
            }
        }
    }

    /// A batch read the database's epoch `now` under the batches' lock: the map is trusted
    /// again if it was loaded at that epoch, and reloaded at the next lookup if not.
    pub(super) fn confirm(&self, now: i64) {
        let Some(confirmation) = &self.shared else {
            return;
        };
        // The read lock is held until `at` is set: a reload cannot swap the map in between.
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        let at = if loaded.epoch == now {
            confirmation.now()
        } else {
            0
        };
        confirmation.at.store(at, Ordering::Release);
        drop(loaded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot(id: &str) -> BotIdentity {
        BotIdentity {
            id: id.to_owned(),
            name: format!("{id} name"),
            key_epoch: None,
        }
    }

    fn shared_with(epoch: i64, keys: &[(&str, &str)]) -> KeyMap {
        let map = KeyMap::shared();
        *map.loaded.write().unwrap() = Loaded {
            bots: keys
                .iter()
                .map(|(k, id)| ((*k).to_owned(), bot(id)))
                .collect(),
            epoch,
        };
        map
    }

    #[test]
    fn a_shared_map_is_trusted_only_once_confirmed_at_its_own_epoch() {
        let map = shared_with(7, &[("k1", "b1")]);
        // Never confirmed: the database is asked.
        assert_eq!(map.get("k1"), Lookup::Ask);
        map.confirm(7);
        assert_eq!(
            map.get("k1"),
            Lookup::Found(BotIdentity {
                key_epoch: Some(7),
                ..bot("b1")
            })
        );
        // A key it lacks may belong to a bot made elsewhere: ask, never "absent".
        assert_eq!(map.get("k2"), Lookup::Ask);
        // A batch saw another epoch: bots changed somewhere; no longer trusted.
        map.confirm(8);
        assert_eq!(map.get("k1"), Lookup::Ask);
    }

    #[test]
    fn one_lookup_at_a_time_reloads_and_a_key_found_in_the_database_unsettles_the_map() {
        let map = shared_with(3, &[("k1", "b1")]);
        assert!(map.should_reload());
        assert!(
            !map.should_reload(),
            "a second lookup asks the database meanwhile"
        );
        map.reloaded();
        map.confirm(3);
        assert!(!map.should_reload(), "trusted: nothing to reload");
        let asked = map.asked(Some(bot("b2")));
        assert_eq!(asked.and_then(|b| b.key_epoch), Some(UNCONFIRMED));
        assert_eq!(map.get("k1"), Lookup::Ask, "reloaded at the next lookup");
        assert_eq!(map.asked(None), None);
    }

    #[test]
    fn an_exact_map_answers_absent_and_marks_nothing_for_confirmation() {
        let map = KeyMap {
            loaded: RwLock::new(Loaded {
                bots: [("k1".to_owned(), bot("b1"))].into(),
                epoch: 0,
            }),
            stale: AtomicBool::new(false),
            shared: None,
        };
        assert_eq!(map.get("k1"), Lookup::Found(bot("b1")));
        assert_eq!(map.get("k2"), Lookup::Absent);
        // A stale exact map's database answer is passed on as it is.
        assert_eq!(map.asked(Some(bot("b2"))), Some(bot("b2")));
        assert!(!map.should_reload());
    }
}
