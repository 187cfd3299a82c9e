//! The HTTP/1.1 server under the app: accepting connections, the limits every connection lives
//! under, and graceful shutdown.
//!
//! axum's own `serve` offers no timeouts, so this is the accept loop on hyper directly:
//! - **Header-read timeout** (`--header-timeout`): a connection must deliver a request's headers
//!   within it, and an idle keep-alive connection is closed after it (hyper starts the same timer
//!   while it waits for the next request), so thousands of half-open or idle connections cost
//!   nothing for long.
//! - **Write-stall limit** (`--write-timeout`, [`stall`]): a peer that stops reading — an event
//!   stream nobody consumes — is dropped instead of holding its connection forever.
//! - Body timeouts are the handlers' business (they answer WeCom JSON; see `webhook/body.rs`),
//!   and the whole request is bounded by `--request-timeout` in the router.
//!
//! On shutdown the listener closes, idle connections close at once and busy ones finish their
//! request (the caller bounds how long that may take).

mod stall;

use std::time::Duration;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_service::Service;

pub use stall::StallLimit;

/// Put in a response's extensions: close the connection without writing the response (an
/// injected fault's "dropped connection").
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// Put in every request's extensions by the request timeout (`app/edge.rs`): a handler that
/// sets it may run past `--request-timeout` (an injected hang waits for the client to give up).
#[derive(Debug, Clone, Default)]
pub struct KeepWaiting(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl KeepWaiting {
    /// The request may outlive the timeout.
    pub fn set(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether [`KeepWaiting::set`] was called.
    pub fn is_set(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Why a connection was closed without a response.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose (injected fault)")
    }
}

impl std::error::Error for Dropped {}

use crate::app::AppState;

/// What every connection lives under.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest wait for a request's headers, and for the next request of an idle connection.
    pub header_timeout: Duration,
    /// Longest a write may wait for a peer that does not read.
    pub write_stall: Duration,
}

/// Serves `app` on `listener` until `shutdown` turns `true`, then waits for the connections to
/// finish.
///
/// # Errors
/// None today: accept errors (too many open files, a connection reset before it was accepted)
/// are logged and accepting goes on, as a server must.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    state: AppState,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    accept_loop(listener, limits, &state, shutdown, |stream, peer| {
        let io = TokioIo::new(StallLimit::new(stream, limits.write_stall));
        spawn_connection(io, app.clone(), peer, limits, &state);
    })
    .await;
    Ok(())
}

/// Accepts connections on `listener` and hands each to `serve_one`, until `shutdown`; then waits
/// (up to the caller's patience) until every open connection has finished.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    _limits: ConnectionLimits,
    state: &AppState,
    mut shutdown: watch::Receiver<bool>,
    mut serve_one: impl FnMut(tokio::net::TcpStream, SocketAddr),
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stopped| *stopped) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                serve_one(stream, peer);
            }
            Err(error) => {
                // EMFILE and friends: back off a little so the loop does not spin, then go on.
                tracing::warn!(error = %error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    // Every connection shuts down gracefully on the same signal (`spawn_connection`).
    while state.metrics.connections() > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Serves HTTP/1.1 for `app` on one connection (a TCP stream, a TLS stream, a proxy tunnel):
/// the header timeout, each request told its `peer`, a graceful end when the server shuts down,
/// and counted in the metrics while it lives.
pub fn spawn_connection<I>(
    io: I,
    app: Router,
    peer: SocketAddr,
    limits: ConnectionLimits,
    state: &AppState,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let service = app_service(app, peer);
    let open = ConnectionGuard::new(state.clone());
    let mut shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        let connection = builder.serve_connection(io, service);
        tokio::pin!(connection);
        let ended = tokio::select! {
            ended = connection.as_mut() => ended,
            // The guard `wait_for` returns is not Send: dropped inside.
            () = async { let _ = shutdown.wait_for(|stopped| *stopped).await.is_ok(); } => {
                // Idle: closes now; busy: after the request in flight.
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = ended {
            // Timeouts, resets and parse errors of one client: not the server's fault.
            tracing::debug!(%peer, error = %error, "connection ended with an error");
        }
        drop(open);
    });
}

/// `app` as hyper calls it: each request learns its peer, as axum's `ConnectInfo` extractor
/// expects, and a response marked [`DropConnection`] closes the connection unanswered.
pub(crate) fn app_service(
    app: Router,
    peer: SocketAddr,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = Dropped,
    Future = impl Future<Output = Result<axum::response::Response, Dropped>> + Send,
> + Clone
+ Send
+ 'static {
    hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        // A Router is always ready, so `call` needs no `poll_ready` first.
        let response = app.clone().call(request);
        async move {
            let Ok(response) = response.await;
            // An error from the service makes hyper close the connection, unanswered.
            if response.extensions().get::<DropConnection>().is_some() {
                return Err(Dropped);
            }
            Ok(response)
        }
    })
}

/// Counts a connection in the metrics for as long as it lives.
pub(crate) struct ConnectionGuard(AppState);

impl ConnectionGuard {
    pub(crate) fn new(state: AppState) -> ConnectionGuard {
        state.metrics.connection_opened();
        ConnectionGuard(state)
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.metrics.connection_closed();
    }
}
