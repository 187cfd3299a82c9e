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

mod dialect;
mod pg_session;
pub mod postgres;

use std::fmt;

pub use self::postgres::{PgConnection, PgWrite};

/// A failed statement, from either engine.
#[derive(Debug)]
pub enum Error {
    Sqlite(rusqlite::Error),
    Postgres(::postgres::Error),
    /// PostgreSQL refused to prepare a statement (its text, as sent, says which).
    Prepare {
        sql: String,
        source: ::postgres::Error,
    },
    /// Not run, or its result not used: the text deferred ahead of it (`fence.rs`'s savepoint,
    /// `postgres.rs`) failed, so the transaction is in an unknown state until rolled back.
    Deferred(&'static str),
    /// A PostgreSQL session's runtime could not start (its I/O driver: no file descriptor left).
    Runtime(std::io::Error),
    /// `query_row` found no row (see [`OptionalExtension`]).
    NoRows,
    /// A column could not be read as the type asked for.
    Type {
        column: usize,
        wanted: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sqlite(error) => write!(f, "{error}"),
            Error::Postgres(error) => f.write_str(&Error::postgres_display(error)),
            Error::Prepare { sql, source } => {
                write!(f, "{} in: {sql}", Error::postgres_display(source))
            }
            Error::Deferred(sql) => write!(f, "not run: `{sql}`, sent ahead of it, failed"),
            Error::Runtime(_) => f.write_str("cannot start a PostgreSQL session's runtime"),
            Error::NoRows => f.write_str("query returned no rows"),
            Error::Type { column, wanted } => {
                write!(f, "column {column} is not a {wanted}")
            }
        }
    }
}

impl Error {
    fn postgres_display(error: &::postgres::Error) -> String {
        // `Display` of a postgres error is only its kind; the server's message is the source's.
        if let Some(db) = error.as_db_error() {
            return format!("{}: {}", db.code().code(), db.message());
        }
        // The driver's causes (e.g. the socket's error), each once.
        let mut text = error.to_string();
        let mut cause = std::error::Error::source(error);
        while let Some(inner) = cause {
            let said = inner.to_string();
            if !text.contains(&said) {
                text = format!("{text}: {said}");
            }
            cause = inner.source();
        }
        text
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Sqlite(error) => Some(error),
            Error::Runtime(error) => Some(error),
            // Their text is in this error's own (`postgres_display`): a chain of causes would
            // repeat it.
            Error::Postgres(_) | Error::Prepare { .. } => None,
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Error {
        match error {
            rusqlite::Error::QueryReturnedNoRows => Error::NoRows,
            other => Error::Sqlite(other),
        }
    }
}

impl From<::postgres::Error> for Error {
    fn from(error: ::postgres::Error) -> Error {
        Error::Postgres(error)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `query_row(...).optional()`: no row is `Ok(None)`, as in `rusqlite`.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(Error::NoRows) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// A value both drivers can bind.
///
/// PostgreSQL is strict where SQLite is not: every integer column is `bigint`, so every integer
/// (and `bool`, stored as 0/1 as in SQLite) is bound as an `i64` whatever its Rust width.
pub trait Param {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql;
    fn to_postgres(&self) -> PgValue<'_>;
}

/// A parameter as the PostgreSQL driver binds it.
pub enum PgValue<'a> {
    Integer(Option<i64>),
    Borrowed(&'a (dyn ::postgres::types::ToSql + Sync)),
}

impl PgValue<'_> {
    pub(crate) fn as_to_sql(&self) -> &(dyn ::postgres::types::ToSql + Sync) {
        match self {
            PgValue::Integer(value) => value,
            PgValue::Borrowed(value) => *value,
        }
    }
}

macro_rules! borrowed_params {
    ($($ty:ty),*) => {$(
        impl Param for $ty {
            fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
                self
            }
            fn to_postgres(&self) -> PgValue<'_> {
                PgValue::Borrowed(self)
            }
        }
    )*};
}
borrowed_params!(
    String,
    &str,
    Vec<u8>,
    &[u8],
    Option<String>,
    Option<&str>,
    Option<Vec<u8>>,
    Option<&[u8]>
);

macro_rules! integer_params {
    ($($ty:ty),*) => {$(
        impl Param for $ty {
            fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
                self
            }
            fn to_postgres(&self) -> PgValue<'_> {
                PgValue::Integer(Some(i64::try_from(*self).unwrap_or(i64::MAX)))
            }
        }
        impl Param for Option<$ty> {
            fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
                self
            }
            fn to_postgres(&self) -> PgValue<'_> {
                PgValue::Integer(self.map(|v| i64::try_from(v).unwrap_or(i64::MAX)))
            }
        }
    )*};
}
integer_params!(i64, i32, i16, u8, u16, u32, u64, usize);

impl Param for bool {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn to_postgres(&self) -> PgValue<'_> {
        PgValue::Integer(Some(i64::from(*self)))
    }
}

impl<T: Param> Param for &T {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        (**self).as_sqlite()
    }
    fn to_postgres(&self) -> PgValue<'_> {
        (**self).to_postgres()
    }
}

/// A parameter only PostgreSQL binds: an array for `unnest` (`row_batch.rs`). Bound on SQLite it
/// is an error, never a silent NULL.
pub struct PgOnly<T>(pub T);

impl<T> rusqlite::ToSql for PgOnly<T> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Err(rusqlite::Error::ToSqlConversionFailure(
            "a PostgreSQL-only parameter bound on SQLite".into(),
        ))
    }
}

impl<T: ::postgres::types::ToSql + Sync> Param for PgOnly<T> {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn to_postgres(&self) -> PgValue<'_> {
        PgValue::Borrowed(&self.0)
    }
}

/// A dynamically typed parameter (filters built at run time).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl Param for Value {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        match self {
            Value::Null => &rusqlite::types::Null,
            Value::Integer(value) => value,
            Value::Text(value) => value,
            Value::Blob(value) => value,
        }
    }
    fn to_postgres(&self) -> PgValue<'_> {
        match self {
            Value::Null => PgValue::Integer(None),
            Value::Integer(value) => PgValue::Integer(Some(*value)),
            Value::Text(value) => PgValue::Borrowed(value),
            Value::Blob(value) => PgValue::Borrowed(value),
        }
    }
}

/// The parameters of one statement: `params![a, b]`, `[a, b]`, `[]`, `params_from_iter(..)`.
pub trait Params {
    fn list(&self) -> Vec<&dyn Param>;
}

impl Params for &[&dyn Param] {
    fn list(&self) -> Vec<&dyn Param> {
        self.to_vec()
    }
}

/// `[]`: no parameters (a type of its own, as in rusqlite, so that `[]` needs no annotation).
impl Params for [&dyn Param; 0] {
    fn list(&self) -> Vec<&dyn Param> {
        Vec::new()
    }
}

macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: Param> Params for [T; $n] {
            fn list(&self) -> Vec<&dyn Param> {
                self.iter().map(|value| value as &dyn Param).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8);

/// Parameters from an iterator of values.
pub struct ParamsFromIter<T>(Vec<T>);

impl<T: Param> Params for ParamsFromIter<T> {
    fn list(&self) -> Vec<&dyn Param> {
        self.0.iter().map(|value| value as &dyn Param).collect()
    }
}

/// `rusqlite::params_from_iter`.
pub fn params_from_iter<T: Param>(values: impl IntoIterator<Item = T>) -> ParamsFromIter<T> {
    ParamsFromIter(values.into_iter().collect())
}

/// `rusqlite::params!`: a slice of [`Param`]s.
#[macro_export]
#[doc(hidden)]
macro_rules! store_params {
    () => {
        &[] as &[&dyn $crate::store::db::Param]
    };
    ($($value:expr),+ $(,)?) => {
        &[$(&$value as &dyn $crate::store::db::Param),+] as &[&dyn $crate::store::db::Param]
    };
}
pub use crate::store_params as params;

/// A column value read as a Rust type.
pub trait Column: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self>;
    fn from_postgres(row: &::postgres::Row, index: usize) -> Result<Self>;
}

macro_rules! column_via_both_drivers {
    ($($ty:ty),*) => {$(
        impl Column for $ty {
            fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
                Ok(row.get(index)?)
            }
            fn from_postgres(row: &::postgres::Row, index: usize) -> Result<Self> {
                Ok(row.try_get(index)?)
            }
        }
    )*};
}
column_via_both_drivers!(String, Vec<u8>, Option<String>, Option<Vec<u8>>);

/// Integers: PostgreSQL answers `int4` for some expressions (`length()`, literals) where SQLite
/// has one integer type; both read as the width asked for.
fn postgres_integer(row: &::postgres::Row, index: usize) -> Result<Option<i64>> {
    use ::postgres::types::Type;
    let ty = row.columns()[index].type_();
    Ok(if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(index)?
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(index)?.map(i64::from)
    } else if *ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(index)?.map(i64::from)
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(index)?.map(i64::from)
    } else {
        return Err(Error::Type {
            column: index,
            wanted: "integer",
        });
    })
}

macro_rules! integer_column {
    ($($ty:ty),*) => {$(
        impl Column for $ty {
            fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
                Ok(row.get(index)?)
            }
            fn from_postgres(row: &::postgres::Row, index: usize) -> Result<Self> {
                let value = postgres_integer(row, index)?.ok_or(Error::Type {
                    column: index,
                    wanted: "integer (not NULL)",
                })?;
                <$ty>::try_from(value).map_err(|_| Error::Type { column: index, wanted: stringify!($ty) })
            }
        }
        impl Column for Option<$ty> {
            fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
                Ok(row.get(index)?)
            }
            fn from_postgres(row: &::postgres::Row, index: usize) -> Result<Self> {
                postgres_integer(row, index)?
                    .map(|value| <$ty>::try_from(value).map_err(|_| Error::Type { column: index, wanted: stringify!($ty) }))
                    .transpose()
            }
        }
    )*};
}
integer_column!(i64, i32, u32, u64, usize, u16);

impl Column for bool {
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
        Ok(row.get(index)?)
    }
    fn from_postgres(row: &::postgres::Row, index: usize) -> Result<Self> {
        Ok(i64::from_postgres(row, index)? != 0)
    }
}

/// Index of a column: its position.
pub trait RowIndex {
    fn position(&self) -> usize;
}

impl RowIndex for usize {
    fn position(&self) -> usize {
        *self
    }
}

/// One row of a result.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a ::postgres::Row),
}

impl Row<'_> {
    /// The column at `index` as a `T`.
    ///
    /// # Errors
    /// The column does not exist or is not a `T`.
    pub fn get<I: RowIndex, T: Column>(&self, index: I) -> Result<T> {
        match self {
            Row::Sqlite(row) => T::from_sqlite(row, index.position()),
            Row::Postgres(row) => T::from_postgres(row, index.position()),
        }
    }
}

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
