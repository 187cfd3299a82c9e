//! The PostgreSQL side of [`super::Connection`]: `postgres`'s blocking client (tokio-postgres
//! under a small runtime of its own), used on the store's writer thread and on blocking-pool
//! threads exactly like a SQLite connection, with a cache of prepared statements keyed by their
//! SQLite text.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{Error, Param, Result, dialect};

/// One PostgreSQL session.
pub struct PgConnection {
    // RefCell: the store's modules take `&Connection` (as rusqlite does); a connection is only
    // ever used by the one thread that holds it.
    client: RefCell<::postgres::Client>,
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
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
        })
    }

    /// Whether the session is gone (the server restarted or the socket broke).
    pub fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
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
        let statement = self.client.borrow_mut().prepare(&translated)?;
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
        Ok(self.client.borrow_mut().batch_execute(sql)?)
    }
}

/// A statement prepared on a [`PgConnection`].
pub struct PgStatement<'conn> {
    conn: &'conn PgConnection,
    statement: ::postgres::Statement,
}

impl PgStatement<'_> {
    pub(super) fn execute(&mut self, params: &[&dyn Param]) -> Result<usize> {
        let values: Vec<&(dyn ::postgres::types::ToSql + Sync)> =
            params.iter().map(|p| p.as_postgres()).collect();
        let changed = self
            .conn
            .client
            .borrow_mut()
            .execute(&self.statement, &values)
            .map_err(Error::from)?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    pub(super) fn query(&mut self, params: &[&dyn Param]) -> Result<Vec<::postgres::Row>> {
        let values: Vec<&(dyn ::postgres::types::ToSql + Sync)> =
            params.iter().map(|p| p.as_postgres()).collect();
        Ok(self
            .conn
            .client
            .borrow_mut()
            .query(&self.statement, &values)?)
    }
}
