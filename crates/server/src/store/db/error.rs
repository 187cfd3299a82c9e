//! What a statement's failure is, from either engine, and `optional()` for the query that
//! found no row.

use std::fmt;

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
    /// A job failed after it settled (`fence::settle`): its writes cannot be undone alone, so
    /// the batch is rolled back.
    Settled,
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
            Error::Settled => f.write_str(
                "a job failed after its checks, where it cannot be rolled back alone: \
                 the batch is rolled back",
            ),
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
