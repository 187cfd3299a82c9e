//! The PostgreSQL side of [`super::Connection`]: `postgres`'s blocking client (tokio-postgres
//! under a small runtime of its own), used on the store's writer thread and on blocking-pool
//! threads exactly like a SQLite connection, with a cache of prepared statements keyed by their
//! SQLite text.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{Error, Param, PgValue, Result, dialect};

/// One PostgreSQL session.
pub struct PgConnection {
    url: String,
    // RefCell: the store's modules take `&Connection` (as rusqlite does); a connection is only
    // ever used by the one thread that holds it.
    // `Option` only so that `Drop` can move the client out (see there).
    client: RefCell<Option<::postgres::Client>>,
    statements: RefCell<HashMap<String, ::postgres::Statement>>,
}

impl PgConnection {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`).
    ///
    /// # Errors
    /// The server is unreachable or refuses the login.
    pub fn connect(url: &str) -> Result<PgConnection> {
        let client = ::postgres::Client::connect(url, ::postgres::NoTls)?;
        Ok(PgConnection {
            url: url.to_owned(),
            client: RefCell::new(Some(client)),
            statements: RefCell::new(HashMap::new()),
        })
    }

    /// Whether the session is gone (the server restarted or the socket broke).
    pub fn is_closed(&self) -> bool {
        self.client
            .borrow()
            .as_ref()
            .is_none_or(::postgres::Client::is_closed)
    }

    /// Connects again if the session is gone (PostgreSQL restarted, the network broke): the
    /// store recovers by itself once the server is back. Until then this fails, and so do the
    /// writes and reads that needed it (senders get -1: nothing was acknowledged).
    pub fn revive(&self) -> Result<()> {
        if !self.is_closed() {
            return Ok(());
        }
        let client = ::postgres::Client::connect(&self.url, ::postgres::NoTls)?;
        // Statements belong to the old session.
        self.statements.borrow_mut().clear();
        let old = self.client.borrow_mut().replace(client);
        drop(old);
        tracing::info!("PostgreSQL: connected again");
        Ok(())
    }

    /// Runs `f` on the client.
    fn with<T>(&self, f: impl FnOnce(&mut ::postgres::Client) -> Result<T>) -> Result<T> {
        let mut client = self.client.borrow_mut();
        // Only `Drop` empties it.
        let client = client.as_mut().expect("a connection in use is not dropped");
        f(client)
    }

    /// The statement for `sql` (SQLite's text), prepared once.
    pub(super) fn prepare(&self, sql: &str) -> Result<PgStatement<'_>> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(PgStatement {
                conn: self,
                statement: statement.clone(),
            });
        }
        let translated = dialect::to_postgres(sql);
        let statement = self.with(|client| {
            client
                .prepare(&translated)
                .map_err(|source| Error::Prepare {
                    sql: translated.clone(),
                    source,
                })
        })?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), statement.clone());
        Ok(PgStatement {
            conn: self,
            statement,
        })
    }

    /// Runs statements without parameters (`BEGIN`, `COMMIT`, schema).
    pub(super) fn batch(&self, sql: &str) -> Result<()> {
        let translated = dialect::to_postgres(sql);
        self.with(|client| {
            client
                .batch_execute(&translated)
                .map_err(|source| Error::Prepare {
                    sql: translated.clone(),
                    source,
                })
        })
    }
}

impl Drop for PgConnection {
    fn drop(&mut self) {
        // The blocking client's drop runs its runtime to say goodbye to the server, which panics
        // on a thread that drives async tasks (the store is dropped in async code): there, it is
        // dropped on a thread of its own.
        let Some(client) = self.client.get_mut().take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::Builder::new()
                .name("hookpit-pg-close".to_owned())
                .spawn(move || drop(client));
        } else {
            drop(client);
        }
    }
}

/// A statement prepared on a [`PgConnection`].
pub struct PgStatement<'conn> {
    conn: &'conn PgConnection,
    statement: ::postgres::Statement,
}

impl PgStatement<'_> {
    pub(super) fn execute(&mut self, params: &[&dyn Param]) -> Result<usize> {
        let owned: Vec<PgValue<'_>> = params.iter().map(|p| p.to_postgres()).collect();
        let values: Vec<&(dyn ::postgres::types::ToSql + Sync)> =
            owned.iter().map(PgValue::as_to_sql).collect();
        let changed = self
            .conn
            .with(|client| Ok(client.execute(&self.statement, &values)?))?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    pub(super) fn query(&mut self, params: &[&dyn Param]) -> Result<Vec<::postgres::Row>> {
        let owned: Vec<PgValue<'_>> = params.iter().map(|p| p.to_postgres()).collect();
        let values: Vec<&(dyn ::postgres::types::ToSql + Sync)> =
            owned.iter().map(PgValue::as_to_sql).collect();
        self.conn
            .with(|client| Ok(client.query(&self.statement, &values)?))
    }
}
