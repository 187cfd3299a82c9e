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

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::Service;

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
struct Dropped;

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
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stopped| *stopped) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // EMFILE and friends: back off a little so the loop does not spin, then go on.
                tracing::warn!(error = %error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(StallLimit::new(stream, limits.write_stall));
        // Each request learns its peer, as axum's `ConnectInfo` extractor expects.
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
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
        });
        let connection = graceful.watch(builder.serve_connection(io, service));
        let open = ConnectionGuard::new(state.clone());
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts, resets and parse errors of one client: not the server's fault.
                tracing::debug!(%peer, error = %error, "connection ended with an error");
            }
            drop(open);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Counts a connection in the metrics for as long as it lives.
struct ConnectionGuard(AppState);

impl ConnectionGuard {
    fn new(state: AppState) -> ConnectionGuard {
        state.metrics.connection_opened();
        ConnectionGuard(state)
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.metrics.connection_closed();
    }
}
