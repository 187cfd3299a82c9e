//! One PostgreSQL session driven on the thread that uses it: tokio-postgres's client and
//! connection on a current-thread runtime of their own, as the `postgres` crate runs them (its
//! `Client` polls the connection inside each call's `block_on`; no task, no other thread), but
//! with tokio-postgres's client in reach, so that requests can leave in one write
//! ([`join_in_order`], used by `postgres.rs` to send a deferred savepoint ahead of a statement;
//! [`join_all_in_order`], to send a batch's last writes with its commit).

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{AsyncMessage, Client, NoTls, Socket};

use super::Error;

/// A session: the client that queues requests, the connection that writes them and routes the
/// answers back, and the runtime whose I/O driver wakes it.
pub(super) struct Session {
    // Dropped in this order (without `close`, when unwinding): the client, then the socket,
    // which is registered with the runtime's driver, then the runtime.
    client: Client,
    connection: tokio_postgres::Connection<Socket, NoTlsStream>,
    /// The connection gave its last message (an error or its end): tokio-postgres says never
    /// to poll it again.
    ended: bool,
    runtime: tokio::runtime::Runtime,
}

impl Session {
    /// Connects to `url` (`postgres://…`).
    ///
    /// # Errors
    /// The URL is malformed, the server unreachable or refusing the login, or the runtime could
    /// not start.
    pub(super) fn connect(url: &str) -> Result<Session, Error> {
        let config: tokio_postgres::Config = url.parse()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let (client, connection) = runtime.block_on(config.connect(NoTls))?;
        Ok(Session {
            client,
            connection,
            ended: false,
            runtime,
        })
    }

    /// Whether the session is gone (the socket broke, the server ended it), as far as the
    /// connection has heard: see [`Session::hear_the_end`].
    pub(super) fn is_closed(&self) -> bool {
        self.ended || self.client.is_closed()
    }

    /// Lets the connection read what the server said while the session sat idle, so that
    /// [`Session::is_closed`] tells a session the server ended meanwhile (a PostgreSQL that
    /// restarted) before a statement fails on it. The connection is otherwise polled only
    /// inside a request, so without this the first read of each pooled session after a restart
    /// failed (and `/readyz` with it) although the server was back.
    pub(super) fn hear_the_end(&mut self) {
        let Session {
            connection,
            ended,
            runtime,
            ..
        } = self;
        if *ended {
            return;
        }
        runtime.block_on(async {
            // Once round the runtime, whose I/O driver then learns of a socket closed meanwhile.
            tokio::task::yield_now().await;
            poll_fn(|cx| {
                // An error ends the connection (`ended`), which is all this asks.
                let _ = drive(connection, ended, cx);
                Poll::Ready(())
            })
            .await;
        });
    }

    /// Runs `request` on the client to its end, driving the connection meanwhile: it writes what
    /// the request queued and hands each answer to the request's stream.
    ///
    /// Not on a thread that drives async tasks (tokio's `block_on` panics there): the store's
    /// writer thread and the blocking pool's threads, as `postgres::Client` was.
    ///
    /// # Errors
    /// The connection failed (its socket broke): what the request did is unknown.
    pub(super) fn block_on<O>(
        &mut self,
        request: impl AsyncFnOnce(&Client) -> O,
    ) -> Result<O, tokio_postgres::Error> {
        let Session {
            client,
            connection,
            ended,
            runtime,
        } = self;
        let mut request = pin!(request(client));
        runtime.block_on(poll_fn(|cx| {
            drive(connection, ended, cx)?;
            // The connection is polled again when the request queues something: queuing wakes
            // this same task.
            request.as_mut().poll(cx).map(Ok)
        }))
    }

    /// Ends the session politely: the connection sends `Terminate` once the client is gone and
    /// every request is answered, and closes the socket.
    ///
    /// Not on a thread that drives async tasks (as [`Session::block_on`]).
    pub(super) fn close(self) {
        let Session {
            client,
            mut connection,
            mut ended,
            runtime,
        } = self;
        drop(client);
        runtime.block_on(poll_fn(|cx| match drive(&mut connection, &mut ended, cx) {
            Ok(()) if !ended => Poll::Pending,
            // The end, or a socket that broke on the way: either way, nothing more to say.
            _ => Poll::Ready(()),
        }));
        drop(connection);
        drop(runtime);
    }
}

/// Lets the connection do all it can now: write queued requests, read answers into their
/// requests' streams (logging the server's notices).
///
/// # Errors
/// The connection failed; it is not polled again, and requests sent later fail at once
/// (tokio-postgres closes its queue).
fn drive(
    connection: &mut tokio_postgres::Connection<Socket, NoTlsStream>,
    ended: &mut bool,
    cx: &mut Context<'_>,
) -> Result<(), tokio_postgres::Error> {
    while !*ended {
        match connection.poll_message(cx) {
            Poll::Ready(Some(Ok(AsyncMessage::Notice(notice)))) => {
                // As the `postgres` crate logged them.
                tracing::info!("{}: {}", notice.severity(), notice.message());
            }
            // Notifications: these sessions never `LISTEN` (`feed.rs` has its own).
            Poll::Ready(Some(Ok(_))) => {}
            Poll::Ready(Some(Err(error))) => {
                *ended = true;
                return Err(error);
            }
            // Only once the client is gone (`close`): while a session holds its client, the
            // connection ends with an error, never quietly.
            Poll::Ready(None) => *ended = true,
            Poll::Pending => break,
        }
    }
    Ok(())
}

/// Runs both futures to their ends, polling `first` before `second` every time, and each until
/// it is done.
///
/// Why not `tokio::join!`: tokio-postgres queues a request when its future is first polled, so
/// the order of first polls is the order on the wire, and `join!` does not promise one (it
/// rotates which future it polls first). Each is polled until done because each request's answer
/// goes through a channel of one message: an answer left unread stalls the connection, and with
/// it every answer behind it.
pub(super) async fn join_in_order<A: Future, B: Future>(
    first: A,
    second: B,
) -> (A::Output, B::Output) {
    let mut first = pin!(first);
    let mut second = pin!(second);
    let mut first_output = None;
    let mut second_output = None;
    poll_fn(|cx| {
        if first_output.is_none()
            && let Poll::Ready(output) = first.as_mut().poll(cx)
        {
            first_output = Some(output);
        }
        if second_output.is_none()
            && let Poll::Ready(output) = second.as_mut().poll(cx)
        {
            second_output = Some(output);
        }
        match (first_output.take(), second_output.take()) {
            (Some(first), Some(second)) => Poll::Ready((first, second)),
            (first, second) => {
                first_output = first;
                second_output = second;
                Poll::Pending
            }
        }
    })
    .await
}

/// Runs every future to its end, polling them in their order every time (as [`join_in_order`]
/// does two: the order of first polls is the order on the wire); their outputs, in that order.
pub(super) async fn join_all_in_order<'a, T>(
    mut futures: Vec<Pin<Box<dyn Future<Output = T> + 'a>>>,
) -> Vec<T> {
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(done) => *output = Some(done),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};

    use super::*;

    /// A future that notes its name on its first poll, then is ready once `ready` says so (and
    /// gives up after 100 polls: a join that never polls what would make it ready fails, rather
    /// than hangs).
    async fn step(name: &'static str, log: &RefCell<Vec<&'static str>>, ready: &Cell<bool>) {
        log.borrow_mut().push(name);
        let mut polls = 0;
        poll_fn(|cx| {
            polls += 1;
            assert!(polls < 100, "{name} waited for good");
            if ready.get() {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await;
    }

    #[test]
    fn all_go_out_in_order_and_the_later_run_on_while_the_first_waits() {
        let log = RefCell::new(Vec::new());
        let first_ready = Cell::new(false);
        let always = Cell::new(true);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let outputs = runtime.block_on(join_all_in_order(vec![
            Box::pin(async {
                step("first", &log, &first_ready).await;
                1
            }),
            Box::pin(async {
                step("second", &log, &always).await;
                2
            }),
            Box::pin(async {
                step("third", &log, &always).await;
                // The first is ready only after the third ran to its end.
                first_ready.set(true);
                3
            }),
        ]));
        assert_eq!(*log.borrow(), ["first", "second", "third"]);
        assert_eq!(outputs, [1, 2, 3]);
    }

    #[test]
    fn the_first_goes_out_first_and_the_second_runs_on_while_the_first_waits() {
        let log = RefCell::new(Vec::new());
        let first_ready = Cell::new(false);
        let always = Cell::new(true);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ((), ()) = runtime.block_on(join_in_order(step("first", &log, &first_ready), async {
            step("second", &log, &always).await;
            // The first is ready only after the second ran to its end.
            first_ready.set(true);
        }));
        assert_eq!(*log.borrow(), ["first", "second"]);
    }
}
