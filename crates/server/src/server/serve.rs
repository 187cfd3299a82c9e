//! `hookpit serve`: start, print the banner, stop on Ctrl-C or SIGTERM.

use std::io::Write as _;

use super::{ServeError, Server};
use crate::config::Config;

/// Runs `hookpit serve`: binds `config.listen`, prints the banner
/// (`webhook: http://ADDR/cgi-bin/webhook/send?key=KEY` and `inbox: http://ADDR/`, each on its
/// own line), serves until Ctrl-C or SIGTERM, then drains in-flight requests and flushes the
/// store.
///
/// # Errors
/// See [`ServerBuilder::start`]; also a failure of the listener while serving.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let server = Server::builder(config).start().await?;
    // Listening for the signals starts before the banner: a supervisor that reads the banner
    // and stops the server at once must not kill it before its handler is in place.
    let stop = shutdown_signal();
    // Not `println!`, which panics when stdout is closed (a supervisor that read the first line
    // and went away): the server goes on without its banner.
    if let Err(error) = writeln!(std::io::stdout().lock(), "{}", server.banner()) {
        tracing::warn!(%error, "cannot print the banner");
    }
    stop.await;
    tracing::info!("shutting down: draining requests");
    server.shutdown().await
}

/// Listens for Ctrl-C, or SIGTERM on Unix, from the call on; the future resolves on either.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        let terminate = async {
            match terminate {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {}
            () = terminate => {}
        }
    }
}
