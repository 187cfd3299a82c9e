//! Which instance of a shared store runs the jobs that need only one runner: retention (pruning
//! old messages, forgetting expired media). The leader is the instance whose writer session
//! holds a session-level advisory lock; the lock lives as long as that session, so when the
//! leader stops, crashes or loses its connection, another instance takes over at its next
//! maintenance pass, with no lease to expire and nothing to clean up. On SQLite this instance is
//! the only one, and always leads.

use super::{Store, StoreError};

/// The advisory lock key of the leader (migrations use 7270, the writer's batches 7271).
const LEADER_LOCK: i64 = 7272;

impl Store {
    /// Whether this instance runs the singleton jobs now: takes the leader's lock if it is free,
    /// and says whether this instance holds it.
    ///
    /// # Errors
    /// PostgreSQL is unreachable.
    pub async fn lead(&self) -> Result<bool, StoreError> {
        if !self.is_shared() {
            return Ok(true);
        }
        // On the writer's session, which lasts as long as the instance (a reader's would be
        // one of several). Already held: not taken again, so the lock's count stays at one.
        self.write(|conn| {
            let sql = format!(
                "SELECT CASE
                     WHEN EXISTS (SELECT 1 FROM pg_locks
                                  WHERE locktype = 'advisory' AND classid = 0 AND objid = {LEADER_LOCK}
                                    AND objsubid = 1 AND pid = pg_backend_pid() AND granted)
                     THEN TRUE
                     ELSE pg_try_advisory_lock({LEADER_LOCK})
                 END"
            );
            Ok(conn.query_row(&sql, [], |row| row.get::<_, bool>(0))?)
        })
        .await
    }
}
