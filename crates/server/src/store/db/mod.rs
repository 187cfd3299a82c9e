//! The one SQL interface the store's modules are written against, with SQLite and PostgreSQL
//! behind it.
//!
//! It is shaped like the part of `rusqlite` the modules use (`prepare_cached`, `query_row`,
//! `query_map`, `optional`, `params!`), so the domain logic — routing, single-chat quotas, the
//! outbox — is written once and runs on both. Statements are written in SQLite's dialect with the
//! constructs both engines share; `dialect.rs` rewrites what differs (placeholders,
//! `INSERT OR IGNORE`) for PostgreSQL once per statement text, and `postgres.rs` caches the
//! prepared result. What only one engine has (checkpoints, the FTS5 search index, pragmas) stays
//! in that backend's own modules, on its native connection.
//!
//! Types are the common subset: 64-bit integers, text, blobs (`bytea`), NULL. A parameter is
//! anything both drivers can bind ([`Param`]); a column is read as any [`Column`] type.
//!
//! Here: [`Connection`] and [`Statement`]; what they bind in `params.rs`, what they answer in
//! `columns.rs`, how they fail in `error.rs`.

mod columns;
mod dialect;
mod error;
mod params;
mod pg_session;
pub mod postgres;

use std::fmt;

pub use self::columns::{Column, Row, RowIndex};
pub use self::error::{Error, OptionalExtension, Result};
pub use self::params::{
    Param, Params, ParamsFromIter, PgOnly, PgValue, Value, params, params_from_iter,
};
pub use self::postgres::{PgConnection, PgWrite};

/// A connection to either engine. Jobs of the writer and reads take `&Connection`.
pub enum Connection {
    Sqlite(rusqlite::Connection),
    // Boxed: a PostgreSQL session is large, and the SQLite variant is the common one.
    Postgres(Box<PgConnection>),
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Connection::Sqlite(_) => "Connection(SQLite)",
            Connection::Postgres(_) => "Connection(PostgreSQL)",
        })
    }
}

impl Connection {
    /// The SQLite connection, for SQLite-only work (checkpoints, search index, pragmas).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Connection::Sqlite(conn) => Some(conn),
            Connection::Postgres(_) => None,
        }
    }

    /// The PostgreSQL session, for what only it does (the writer's deferred savepoint,
    /// `fence.rs`).
    pub fn postgres(&self) -> Option<&PgConnection> {
        match self {
            Connection::Sqlite(_) => None,
            Connection::Postgres(conn) => Some(conn),
        }
    }

    /// Whether this is PostgreSQL (for the few statements whose text differs beyond
    /// `dialect.rs`).
    pub fn is_postgres(&self) -> bool {
        matches!(self, Connection::Postgres(_))
    }

    /// Makes a broken PostgreSQL session usable again (a no-op on SQLite), before a batch or a
    /// read.
    pub fn revive(&self) -> Result<()> {
        match self {
            Connection::Sqlite(_) => Ok(()),
            Connection::Postgres(conn) => conn.revive(),
        }
    }

    /// A statement from the connection's cache (prepared once per text).
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        match self {
            Connection::Sqlite(conn) => Ok(Statement::Sqlite(conn.prepare_cached(sql)?)),
            Connection::Postgres(conn) => Ok(Statement::Postgres(conn.prepare(sql)?)),
        }
    }

    /// A statement (the same cache: statements are few and reused).
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare_cached(sql)
    }

    /// Runs one statement; the number of rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// Runs statements separated by `;`, without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Connection::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Connection::Postgres(conn) => conn.batch(sql),
        }
    }

    /// The id the last `INSERT` of this connection gave its row (SQLite's rowid; PostgreSQL's
    /// `lastval()`, the sequence of an identity column).
    pub fn last_insert_rowid(&self) -> Result<i64> {
        match self {
            Connection::Sqlite(conn) => Ok(conn.last_insert_rowid()),
            Connection::Postgres(_) => self.query_row("SELECT lastval()", [], |row| row.get(0)),
        }
    }

    /// The first row of `sql`, mapped by `f`; [`Error::NoRows`] if there is none.
    pub fn query_row<T, P: Params, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// A prepared statement.
pub enum Statement<'conn> {
    Sqlite(rusqlite::CachedStatement<'conn>),
    Postgres(postgres::PgStatement<'conn>),
}

impl Statement<'_> {
    /// Runs it; the number of rows changed.
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let params = params.list();
        match self {
            Statement::Sqlite(statement) => {
                let values: Vec<&dyn rusqlite::ToSql> =
                    params.iter().map(|p| p.as_sqlite()).collect();
                Ok(statement.execute(values.as_slice())?)
            }
            Statement::Postgres(statement) => statement.execute(&params),
        }
    }

    /// The first row, mapped by `f`; [`Error::NoRows`] if there is none.
    pub fn query_row<T, P: Params, F>(&mut self, params: P, f: F) -> Result<T>
    where
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let params = params.list();
        match self {
            Statement::Sqlite(statement) => {
                let values: Vec<&dyn rusqlite::ToSql> =
                    params.iter().map(|p| p.as_sqlite()).collect();
                let mut rows = statement.query(values.as_slice())?;
                match rows.next()? {
                    Some(row) => f(&Row::Sqlite(row)),
                    None => Err(Error::NoRows),
                }
            }
            Statement::Postgres(statement) => {
                let rows = statement.query(&params)?;
                match rows.first() {
                    Some(row) => f(&Row::Postgres(row)),
                    None => Err(Error::NoRows),
                }
            }
        }
    }

    /// Whether it returns a row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        self.query_row(params, |_| Ok(()))
            .optional()
            .map(|row| row.is_some())
    }

    /// Every row, each mapped by `f` (collected: rows of one call are few, pages at most).
    pub fn query_map<T, P: Params, F>(&mut self, params: P, mut f: F) -> Result<MappedRows<T>>
    where
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        let mut out = Vec::new();
        let mut rows = self.query(params)?;
        while let Some(row) = rows.next()? {
            out.push(f(&row));
        }
        Ok(MappedRows(out.into_iter()))
    }

    /// The rows, one by one.
    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        let params = params.list();
        match self {
            Statement::Sqlite(statement) => {
                let values: Vec<&dyn rusqlite::ToSql> =
                    params.iter().map(|p| p.as_sqlite()).collect();
                Ok(Rows::Sqlite(statement.query(values.as_slice())?))
            }
            Statement::Postgres(statement) => {
                Ok(Rows::Postgres(statement.query(&params)?.into_iter(), None))
            }
        }
    }
}

/// The rows of [`Statement::query_map`].
pub struct MappedRows<T>(std::vec::IntoIter<Result<T>>);

impl<T> Iterator for MappedRows<T> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        self.0.next()
    }
}

/// The rows of [`Statement::query`].
pub enum Rows<'stmt> {
    Sqlite(rusqlite::Rows<'stmt>),
    Postgres(std::vec::IntoIter<::postgres::Row>, Option<::postgres::Row>),
}

impl Rows<'_> {
    /// The next row, or `None` after the last (a lending iterator, as rusqlite's).
    #[allow(clippy::should_implement_trait, reason = "each row borrows the cursor")]
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        match self {
            Rows::Sqlite(rows) => Ok(rows.next()?.map(Row::Sqlite)),
            Rows::Postgres(rows, current) => {
                *current = rows.next();
                Ok(current.as_ref().map(Row::Postgres))
            }
        }
    }
}
