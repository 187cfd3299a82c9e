//! The PostgreSQL side of [`super::Connection`]: a tokio-postgres session driven on the calling
//! thread (`pg_session.rs`), used on the store's writer thread and on blocking-pool threads
//! exactly like a SQLite connection, with a cache of prepared statements keyed by their SQLite
//! text, and one text that can wait to ride with the next statement ([`PgConnection::defer`]).
//!
//! # Deferred text
//! The writer opens each job's savepoint with `RELEASE job; SAVEPOINT job` (`fence.rs`). Sent on
//! its own, that is a round trip per job, to the server and back, with nothing else to do
//! meanwhile. Deferred, it waits until the job's first statement and goes out in the same write,
//! right ahead of it: PostgreSQL runs the two in order, the client reads both answers, and the
//! job pays one round trip where it paid two. Only statements inside [`PgConnection::job`] carry
//! it; any other (the writer's own, between two jobs) runs before it, where the text is not yet.
//!
//! If the deferred text fails, the transaction is in a state nobody chose: every statement is
//! refused from then on, and [`PgConnection::deferred_failure`] reports it, until the
//! transaction is rolled back ([`PgConnection::discard_deferred`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use super::pg_session::{Session, join_all_in_order, join_in_order};
use super::{Error, Param, PgValue, Result, dialect};

/// One PostgreSQL session.
pub struct PgConnection {
    url: String,
    // RefCell: the store's modules take `&Connection` (as rusqlite does); a connection is only
    // ever used by the one thread that holds it.
    // `Option` only so that `Drop` can move the session out (see there).
    session: RefCell<Option<Session>>,
    statements: RefCell<HashMap<String, Statement>>,
    deferred: RefCell<Deferred>,
    /// Inside [`PgConnection::job`]: statements carry the deferred text.
    in_job: Cell<bool>,
}

/// What [`PgConnection::defer`] left for the next statement of a job.
enum Deferred {
    Nothing,
    /// Not sent yet.
    Pending(&'static str),
    /// Sent, and it failed: `error` until [`PgConnection::deferred_failure`] takes it.
    Failed {
        sql: &'static str,
        error: Option<Error>,
    },
}

impl PgConnection {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`).
    ///
    /// # Errors
    /// The server is unreachable or refuses the login.
    pub fn connect(url: &str) -> Result<PgConnection> {
        Ok(PgConnection {
            url: url.to_owned(),
            session: RefCell::new(Some(Session::connect(url)?)),
            statements: RefCell::new(HashMap::new()),
            deferred: RefCell::new(Deferred::Nothing),
            in_job: Cell::new(false),
        })
    }

    /// Whether the session is gone (the server restarted or the socket broke).
    pub fn is_closed(&self) -> bool {
        self.session
            .borrow()
            .as_ref()
            .is_none_or(Session::is_closed)
    }

    /// Connects again if the session is gone (PostgreSQL restarted, the network broke): the
    /// store recovers by itself once the server is back. Until then this fails, and so do the
    /// writes and reads that needed it (senders get -1: nothing was acknowledged).
    pub fn revive(&self) -> Result<()> {
        if let Some(session) = self.session.borrow_mut().as_mut() {
            session.hear_the_end();
        }
        if !self.is_closed() {
            return Ok(());
        }
        let session = Session::connect(&self.url)?;
        // Statements belong to the old session, and so did its transaction and what was
        // deferred in it.
        self.statements.borrow_mut().clear();
        self.discard_deferred();
        let old = self.session.borrow_mut().replace(session);
        if let Some(old) = old {
            old.close();
        }
        tracing::info!("PostgreSQL: connected again");
        Ok(())
    }

    /// Leaves `sql` (simple-query text, no parameters) to be sent right ahead of the next
    /// statement run inside [`PgConnection::job`], in the same write. A text still pending stays
    /// (the writer defers only `RELEASE job; SAVEPOINT job`, which twice in a row does what it
    /// does once); after a failure, nothing is deferred until it is discarded.
    pub fn defer(&self, sql: &'static str) {
        let mut deferred = self.deferred.borrow_mut();
        match *deferred {
            Deferred::Nothing => *deferred = Deferred::Pending(sql),
            Deferred::Pending(pending) => debug_assert_eq!(pending, sql, "one text at a time"),
            Deferred::Failed { .. } => {}
        }
    }

    /// Whether a deferred text is still waiting (no statement of a job has run since).
    pub fn is_deferred(&self) -> bool {
        matches!(*self.deferred.borrow(), Deferred::Pending(_))
    }

    /// The failure of the deferred text, if it was sent and failed: its error the first time,
    /// [`Error::Deferred`] after.
    pub fn deferred_failure(&self) -> Option<Error> {
        match &mut *self.deferred.borrow_mut() {
            Deferred::Failed { sql, error } => Some(error.take().unwrap_or(Error::Deferred(sql))),
            Deferred::Nothing | Deferred::Pending(_) => None,
        }
    }

    /// Forgets the deferred text and its failure: the transaction they belonged to ends.
    pub fn discard_deferred(&self) {
        *self.deferred.borrow_mut() = Deferred::Nothing;
    }

    /// Runs `f`, a job of the writer: its first statement carries the deferred text.
    pub fn job<T>(&self, f: impl FnOnce() -> T) -> T {
        let outer = self.in_job.replace(true);
        let result = f();
        self.in_job.set(outer);
        result
    }

    /// Runs `request` on the session; the deferred text first, in the same write, if this is a
    /// job's first statement.
    ///
    /// # Errors
    /// The request's; [`Error::Deferred`] if the deferred text failed (now, or earlier in this
    /// transaction), whatever the request did.
    fn run<T>(&self, request: impl AsyncFnOnce(&Client) -> Result<T>) -> Result<T> {
        let prefix = {
            let mut deferred = self.deferred.borrow_mut();
            match *deferred {
                Deferred::Failed { sql, .. } => return Err(Error::Deferred(sql)),
                Deferred::Pending(sql) if self.in_job.get() => {
                    *deferred = Deferred::Nothing;
                    Some(sql)
                }
                Deferred::Pending(_) | Deferred::Nothing => None,
            }
        };
        let mut session = self.session.borrow_mut();
        // Only `Drop` empties it.
        let session = session
            .as_mut()
            .expect("a connection in use is not dropped");
        let Some(sql) = prefix else {
            return session.block_on(request)?;
        };
        // Both requests are queued before the connection writes either (the first poll of
        // each queues it), so they leave in one write; PostgreSQL answers the simple query,
        // then runs the statement.
        let outcome = session.block_on(async |client| {
            join_in_order(client.batch_execute(sql), request(client)).await
        });
        let failure = match outcome {
            Ok((Ok(()), result)) => return result,
            Ok((Err(source), _)) => Error::Prepare {
                sql: sql.to_owned(),
                source,
            },
            // The socket broke: whether the text ran is unknown.
            Err(error) => Error::Postgres(error),
        };
        *self.deferred.borrow_mut() = Deferred::Failed {
            sql,
            error: Some(failure),
        };
        Err(Error::Deferred(sql))
    }

    /// The statement for `sql` (SQLite's text), prepared once.
    ///
    /// A prepare is one round trip (Parse, Describe, Sync), more only for types that are not
    /// built in (the store's are); a deferred text goes ahead of it as ahead of any statement.
    pub(super) fn prepare(&self, sql: &str) -> Result<PgStatement<'_>> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(PgStatement {
                conn: self,
                statement: statement.clone(),
            });
        }
        let translated = dialect::to_postgres(sql);
        let statement = self.run(async |client| {
            client
                .prepare(&translated)
                .await
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

    /// Runs `writes`, then the simple query `then`, all sent in one write: PostgreSQL runs
    /// them in order and the client reads every answer, one round trip where each would have
    /// been one. Outside any job (no deferred text rides with them).
    ///
    /// Within a transaction, a write that fails aborts it, so what follows fails too (`then`
    /// included: the writer's `RELEASE job; COMMIT` commits nothing then).
    ///
    /// # Errors
    /// The first failure, in order: a statement that could not be prepared, a write, `then`.
    pub(crate) fn write_then(&self, writes: &[PgWrite], then: &str) -> Result<()> {
        // Prepared first (once per text; each a round trip only the first time).
        let statements = writes
            .iter()
            .map(|write| self.prepare(write.sql).map(|prepared| prepared.statement))
            .collect::<Result<Vec<_>>>()?;
        let values: Vec<Vec<&(dyn ToSql + Sync)>> = writes
            .iter()
            .map(|write| {
                write
                    .values
                    .iter()
                    .map(|value| &**value as &(dyn ToSql + Sync))
                    .collect()
            })
            .collect();
        let then = dialect::to_postgres(then);
        let outcomes = self.run(async |client| {
            let mut requests: Vec<Pin<Box<dyn Future<Output = Result<()>> + '_>>> =
                Vec::with_capacity(writes.len() + 1);
            for (statement, values) in statements.iter().zip(&values) {
                requests.push(Box::pin(async move {
                    client.execute(statement, values).await?;
                    Ok(())
                }));
            }
            let then = &then;
            requests.push(Box::pin(async move {
                client
                    .batch_execute(then)
                    .await
                    .map_err(|source| Error::Prepare {
                        sql: then.clone(),
                        source,
                    })
            }));
            Ok(join_all_in_order(requests).await)
        })?;
        outcomes.into_iter().collect()
    }

    /// Runs `sql`, statements without parameters, as one simple query (one round trip): for
    /// each statement in order, the first column of its rows, as text (`None` for NULL).
    ///
    /// # Errors
    /// A statement failed; those after it did not run.
    pub(crate) fn simple_column(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        use tokio_postgres::SimpleQueryMessage;
        let messages = self.run(async |client| {
            client
                .simple_query(sql)
                .await
                .map_err(|source| Error::Prepare {
                    sql: sql.to_owned(),
                    source,
                })
        })?;
        let mut statements = Vec::new();
        let mut rows = Vec::new();
        for message in messages {
            match message {
                SimpleQueryMessage::Row(row) => {
                    rows.push(row.try_get(0).ok().flatten().map(str::to_owned));
                }
                SimpleQueryMessage::CommandComplete(_) => {
                    statements.push(std::mem::take(&mut rows))
                }
                _ => {}
            }
        }
        Ok(statements)
    }

    /// Runs statements without parameters (`BEGIN`, `COMMIT`, schema).
    pub(super) fn batch(&self, sql: &str) -> Result<()> {
        let translated = dialect::to_postgres(sql);
        self.run(async |client| {
            client
                .batch_execute(&translated)
                .await
                .map_err(|source| Error::Prepare {
                    sql: translated.clone(),
                    source,
                })
        })
    }
}

impl Drop for PgConnection {
    fn drop(&mut self) {
        // Closing runs the session's runtime to say goodbye to the server, and dropping a
        // runtime panics on a thread that drives async tasks (the store is dropped in async
        // code): there, it is closed on a thread of its own.
        let Some(session) = self.session.get_mut().take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::Builder::new()
                .name("hookpit-pg-close".to_owned())
                .spawn(move || session.close());
        } else {
            session.close();
        }
    }
}

/// A statement and its values, owned, to run in one write with others and a commit
/// ([`PgConnection::write_then`]).
pub struct PgWrite {
    /// SQLite's text, as [`PgConnection::prepare`] takes it.
    pub sql: &'static str,
    pub values: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl std::fmt::Debug for PgWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The values are messages' contents: their count is enough.
        f.debug_struct("PgWrite")
            .field("sql", &self.sql)
            .field("values", &self.values.len())
            .finish()
    }
}

/// A statement prepared on a [`PgConnection`].
pub struct PgStatement<'conn> {
    conn: &'conn PgConnection,
    statement: Statement,
}

impl PgStatement<'_> {
    pub(super) fn execute(&mut self, params: &[&dyn Param]) -> Result<usize> {
        let owned: Vec<PgValue<'_>> = params.iter().map(|p| p.to_postgres()).collect();
        let values: Vec<&(dyn ToSql + Sync)> = owned.iter().map(PgValue::as_to_sql).collect();
        let statement = &self.statement;
        let changed = self
            .conn
            .run(async |client| Ok(client.execute(statement, &values).await?))?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    pub(super) fn query(&mut self, params: &[&dyn Param]) -> Result<Vec<Row>> {
        let owned: Vec<PgValue<'_>> = params.iter().map(|p| p.to_postgres()).collect();
        let values: Vec<&(dyn ToSql + Sync)> = owned.iter().map(PgValue::as_to_sql).collect();
        let statement = &self.statement;
        self.conn
            .run(async |client| Ok(client.query(statement, &values).await?))
    }
}
