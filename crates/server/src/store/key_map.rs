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
//! at any time, so the map is not used: every lookup asks the database ([`KeyMap::shared`]).

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::store::db::Connection;

use super::StoreError;
use crate::domain::BotIdentity;

/// The map, with a flag for the rare case it could not be reloaded.
#[derive(Debug)]
pub(super) struct KeyMap {
    // A std RwLock: held for one hash lookup or one swap, never across an await.
    bots: RwLock<HashMap<String, BotIdentity>>,
    /// Set when a reload failed: lookups go to the database until a reload succeeds.
    stale: AtomicBool,
    /// Other instances write bots too: lookups always go to the database.
    shared: bool,
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
            },
        ))
    })?;
    Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
}

impl KeyMap {
    /// Loads every bot's key.
    pub(super) fn load(conn: &Connection) -> Result<KeyMap, StoreError> {
        Ok(KeyMap {
            bots: RwLock::new(load(conn)?),
            stale: AtomicBool::new(false),
            shared: false,
        })
    }

    /// A map that sends every lookup to the database, for a store other instances share.
    pub(super) fn shared() -> KeyMap {
        KeyMap {
            bots: RwLock::new(HashMap::new()),
            stale: AtomicBool::new(false),
            shared: true,
        }
    }

    /// The bot holding `key`: `Err(())` when the map is stale or not used (a shared store) and
    /// the caller must ask the database.
    pub(super) fn get(&self, key: &str) -> Result<Option<BotIdentity>, ()> {
        if self.shared || self.stale.load(Ordering::Acquire) {
            return Err(());
        }
        Ok(self
            .bots
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned())
    }

    /// Reloads from `conn` (the writer's, after a commit).
    pub(super) fn reload(&self, conn: &Connection) {
        if self.shared {
            return;
        }
        match load(conn) {
            Ok(bots) => {
                *self.bots.write().unwrap_or_else(|e| e.into_inner()) = bots;
                self.stale.store(false, Ordering::Release);
            }
            Err(error) => {
                tracing::error!(error = %error, "store: cannot reload the bot keys; reading them from the database");
                self.stale.store(true, Ordering::Release);
            }
        }
    }
}
