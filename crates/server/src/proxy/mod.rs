//! Capturing senders that cannot be pointed elsewhere: many hard-code
//! `https://qyapi.weixin.qq.com`. Two ways in:
//!
//! - `--proxy-listen ADDR`: an HTTP proxy. `HTTPS_PROXY=http://ADDR` (which curl, Python
//!   requests, Go's net/http and Node's axios honour) makes a sender `CONNECT
//!   qyapi.weixin.qq.com:443`; Hookpit answers the tunnel itself, over TLS with a certificate
//!   for that host from its own CA ([`ca`]), and serves the requests inside exactly as on its own
//!   port. Plain-HTTP proxying (`GET http://qyapi.weixin.qq.com/...`) is answered the same way.
//!   Any other host is refused with 403 and never tunnelled out: nothing leaves the machine.
//! - `--tls-listen ADDR`: HTTPS directly, with the same certificate, for senders that take no
//!   proxy either (point `qyapi.weixin.qq.com` at Hookpit in `/etc/hosts` or DNS).
//!
//! A sender that does not trust Hookpit's CA fails its TLS handshake: nothing is ever served to
//! it in the clear, and it cannot be fooled into thinking it reached WeCom.

pub mod ca;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::app::AppState;
use crate::http::{ConnectionLimits, StallLimit, accept_loop, app_service, spawn_connection};

/// The hosts a tunnel or a proxied request may name: WeCom's API hosts.
pub const CAPTURED_HOSTS: &[&str] = &["qyapi.weixin.qq.com", "in.qyapi.weixin.qq.com"];

/// The TLS side of the proxy and of `--tls-listen`: the certificate of [`ca::SERVED_NAMES`].
///
/// # Errors
/// The certificate or the TLS configuration cannot be made.
pub fn acceptor(ca: &ca::Ca, now: std::time::SystemTime) -> Result<TlsAcceptor, String> {
    let leaf = ca
        .issue(now)
        .map_err(|error| format!("{error}: {:?}", error.source()))?;
    let chain = leaf
        .chain
        .into_iter()
        .map(rustls::pki_types::CertificateDer::from)
        .collect();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf.key_der.into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| error.to_string())?;
    // HTTP/1.1 only: the server speaks nothing else, and clients then never try HTTP/2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

use std::error::Error as _;

/// Serves `app` over TLS on `listener` (`--tls-listen`) until shutdown.
pub async fn serve_tls(
    listener: TcpListener,
    app: Router,
    tls: TlsAcceptor,
    limits: ConnectionLimits,
    state: AppState,
) {
    let shutdown = state.shutdown.clone();
    accept_loop(
        listener,
        limits,
        &state.clone(),
        shutdown,
        move |stream, peer| {
            let (tls, app, state) = (tls.clone(), app.clone(), state.clone());
            tokio::spawn(async move {
                let stream = StallLimit::new(stream, limits.write_stall);
                if let Some(stream) = handshake(&tls, stream, limits.header_timeout, peer).await {
                    spawn_connection(TokioIo::new(stream), app, peer, limits, &state);
                }
            });
        },
    )
    .await;
}

/// A TLS handshake within `within`; `None` (logged) when it fails, which is what a client that
/// does not trust the CA sees too.
async fn handshake<I>(
    tls: &TlsAcceptor,
    io: I,
    within: Duration,
    peer: SocketAddr,
) -> Option<tokio_rustls::server::TlsStream<I>>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match tokio::time::timeout(within, tls.accept(io)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(error)) => {
            tracing::info!(%peer, error = %error, "TLS handshake failed (does the client trust Hookpit's CA?)");
            None
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            None
        }
    }
}

/// Serves the proxy on `listener` (`--proxy-listen`) until shutdown.
pub async fn serve_proxy(
    listener: TcpListener,
    app: Router,
    tls: TlsAcceptor,
    limits: ConnectionLimits,
    state: AppState,
) {
    let shutdown = state.shutdown.clone();
    accept_loop(
        listener,
        limits,
        &state.clone(),
        shutdown,
        move |stream, peer| {
            let io = TokioIo::new(StallLimit::new(stream, limits.write_stall));
            let open = crate::http::ConnectionGuard::new(state.clone());
            let mut shutdown = state.shutdown.clone();
            let (tls, app, state) = (tls.clone(), app.clone(), state.clone());
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let (tls, app, state) = (tls.clone(), app.clone(), state.clone());
                async move { proxy_request(request, peer, tls, app, limits, state).await }
            });
            tokio::spawn(async move {
                let mut builder = http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_timeout);
                let connection = builder.serve_connection(io, service).with_upgrades();
                tokio::pin!(connection);
                let ended = tokio::select! {
                    ended = connection.as_mut() => ended,
                    () = async { let _ = shutdown.wait_for(|stopped| *stopped).await.is_ok(); } => {
                        connection.as_mut().graceful_shutdown();
                        connection.await
                    }
                };
                if let Err(error) = ended {
                    tracing::debug!(%peer, error = %error, "proxy connection ended with an error");
                }
                drop(open);
            });
        },
    )
    .await;
}

/// One request to the proxy: a `CONNECT` to WeCom's host is answered by Hookpit over TLS; a
/// plain-HTTP request to it is served as is; anything for another host is refused.
async fn proxy_request(
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    tls: TlsAcceptor,
    app: Router,
    limits: ConnectionLimits,
    state: AppState,
) -> Result<Response<Body>, crate::http::Dropped> {
    if request.method() == Method::CONNECT {
        let target = request
            .uri()
            .authority()
            .map(|a| (a.host().to_owned(), a.port_u16()));
        let Some((host, port)) =
            target.filter(|(host, port)| captured(host) && matches!(port, Some(443) | None))
        else {
            let named = request.uri().to_string();
            tracing::info!(%peer, target = %named, "proxy: CONNECT refused");
            return Ok(refused(&named));
        };
        tracing::debug!(%peer, %host, ?port, "proxy: tunnel answered by Hookpit");
        tokio::spawn(async move {
            let upgraded = match hyper::upgrade::on(request).await {
                Ok(upgraded) => upgraded,
                Err(error) => {
                    tracing::debug!(%peer, error = %error, "proxy: the tunnel was not opened");
                    return;
                }
            };
            let io = TokioIo::new(upgraded);
            if let Some(stream) = handshake(&tls, io, limits.header_timeout, peer).await {
                spawn_connection(TokioIo::new(stream), app, peer, limits, &state);
            }
        });
        return Ok(Response::new(Body::empty()));
    }
    // Absolute-form (`GET http://host/path`): only WeCom's hosts; origin-form: Hookpit itself.
    if let Some(host) = request.uri().host()
        && !captured(host)
    {
        let named = request.uri().to_string();
        tracing::info!(%peer, target = %named, "proxy: request for another host refused");
        return Ok(refused(&named));
    }
    let service = app_service(app, peer);
    hyper::service::Service::call(&service, request).await
}

fn captured(host: &str) -> bool {
    CAPTURED_HOSTS
        .iter()
        .any(|captured| host.eq_ignore_ascii_case(captured))
}

/// 403: Hookpit's proxy answers for WeCom's hosts only, and never forwards.
fn refused(target: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(format!(
        "Hookpit's proxy answers only for {} and forwards nothing; refused: {target}\n",
        CAPTURED_HOSTS.join(" and ")
    )));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
