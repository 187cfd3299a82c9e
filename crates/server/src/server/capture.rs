//! `--proxy-listen` (an HTTP CONNECT proxy that answers for qyapi.weixin.qq.com) and
//! `--tls-listen` (HTTPS on Hookpit's own port), both with a certificate of Hookpit's CA.

use std::net::SocketAddr;

use tokio::task::JoinHandle;

use super::ServeError;
use crate::app::AppState;

/// What `--proxy-listen` and `--tls-listen` started.
#[derive(Debug, Default)]
pub(super) struct Capture {
    pub(super) proxy_addr: Option<SocketAddr>,
    pub(super) tls_addr: Option<SocketAddr>,
    pub(super) ca_path: Option<std::path::PathBuf>,
    pub(super) tasks: Vec<JoinHandle<()>>,
}

/// Binds and starts the capture proxy and the HTTPS listener that the configuration asks for,
/// with the certificate of Hookpit's CA (created on first use).
pub(super) async fn start(state: &AppState, app: &axum::Router) -> Result<Capture, ServeError> {
    let config = &state.config;
    if config.proxy_listen.is_none() && config.tls_listen.is_none() {
        return Ok(Capture::default());
    }
    let data = config.data.clone();
    let now = state.clock.now();
    let ca = tokio::task::spawn_blocking(move || crate::proxy::ca::Ca::load_or_create(&data, now))
        .await
        .map_err(|_| ServeError::Config("cannot prepare the CA".to_owned()))?
        .map_err(|error| ServeError::Config(format!("{error}")))?;
    let tls = crate::proxy::acceptor(&ca, now).map_err(ServeError::Config)?;
    let limits = crate::http::ConnectionLimits {
        header_timeout: config.header_timeout,
        write_stall: config.write_timeout,
    };
    let mut capture = Capture {
        ca_path: Some(ca.cert_path().to_owned()),
        ..Capture::default()
    };
    let bind = |addr: SocketAddr| async move {
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })
    };
    if let Some(addr) = config.proxy_listen {
        let listener = bind(addr).await?;
        capture.proxy_addr = Some(listener.local_addr()?);
        capture.tasks.push(tokio::spawn(crate::proxy::serve_proxy(
            listener,
            app.clone(),
            tls.clone(),
            limits,
            state.clone(),
        )));
    }
    if let Some(addr) = config.tls_listen {
        let listener = bind(addr).await?;
        capture.tls_addr = Some(listener.local_addr()?);
        capture.tasks.push(tokio::spawn(crate::proxy::serve_tls(
            listener,
            app.clone(),
            tls,
            limits,
            state.clone(),
        )));
    }
    Ok(capture)
}
