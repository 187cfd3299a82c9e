//! The admin guard: who may use `/api/v1` and the inbox.
//!
//! - Without `--admin-token`: loopback callers only (the peer, or with `--trust-proxy` the
//!   `X-Forwarded-For` hop the trusted proxy appended; an unparseable hop is refused), and only under a loopback `Host` (an IP literal or `localhost`), so
//!   that a web page cannot reach the API through DNS rebinding. A request whose peer address is
//!   unknown is refused: the guard fails closed.
//! - With `--admin-token T`: every API call needs `Authorization: Bearer T`. Because
//!   `EventSource`, `<img>` and download links cannot send that header, GET requests may instead
//!   carry `?access_token=T` (or `?token=T`) or the `hookpit_session` cookie, which is set
//!   (HttpOnly, SameSite=Strict) on every response to a header-authenticated call. The cookie
//!   holds an HMAC of the token, never the token: a cookie read off a disk or a proxy log does
//!   not reveal the token (and cannot be turned into `Authorization: Bearer` for writes).
//!   Writes accept only the header, so a cross-site form can never act with the cookie. The
//!   static UI files hold no data and are served to anyone: the UI then asks for the token. So
//!   are the API docs page's files (`/api/v1/docs/`); the contract they load is guarded.
//!
//! Tokens and session values are compared in constant time.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::ui;
use crate::app::AppState;

/// The cookie that lets `<img>`, downloads and `EventSource` through when a token is set.
pub const COOKIE: &str = "hookpit_session";

/// What the session cookie's HMAC is computed over (keyed by the token); a new version string
/// would end every session at once.
const SESSION_CONTEXT: &[u8] = b"hookpit inbox session v1";

/// The session cookie's value for `token`: hex of HMAC-SHA256(token, [`SESSION_CONTEXT`]).
pub fn session_value(token: &str) -> String {
    use hmac::{Hmac, Mac};
    // A key of any length is accepted by HMAC; `new_from_slice` cannot fail.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(SESSION_CONTEXT);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Runs before every route of the API and the UI.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match check(&state, &request) {
        Ok(Grant::Plain) => next.run(request).await,
        Ok(Grant::SetCookie(cookie)) => {
            let mut response = next.run(request).await;
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response
        }
        Err(error) => {
            let unauthorized = error.status == StatusCode::UNAUTHORIZED;
            let mut response = error.into_response();
            if unauthorized {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"hookpit\""),
                );
            }
            response
        }
    }
}

/// What the guard lets through.
#[derive(Debug, PartialEq, Eq)]
enum Grant {
    Plain,
    /// Authenticated by the header: also hand the browser the cookie.
    SetCookie(HeaderValue),
}

fn check(state: &AppState, request: &Request) -> Result<Grant, ApiError> {
    match &state.config.admin_token {
        Some(token) => check_token(token, request),
        None => {
            let peer = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0);
            check_loopback(state, peer, request)?;
            Ok(Grant::Plain)
        }
    }
}

fn check_loopback(
    state: &AppState,
    peer: Option<SocketAddr>,
    request: &Request,
) -> Result<(), ApiError> {
    let caller = peer.map(|peer| state.caller(peer, request.headers()));
    if !caller.is_some_and(|caller| caller.is_loopback()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the admin API and inbox answer loopback clients only; start the server with \
             --admin-token to open them to others",
        ));
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| request.uri().host());
    if let Some(host) = host
        && !is_loopback_host(host)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "without --admin-token the admin API answers only under a loopback Host \
             (an IP address or localhost)",
        ));
    }
    Ok(())
}

/// Whether a `Host` header names this machine by an IP literal or `localhost`: a DNS name could
/// be a rebinding attacker's.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(inside, _)| inside)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    let name = name.to_ascii_lowercase();
    name.parse::<IpAddr>().is_ok() || name == "localhost" || name.ends_with(".localhost")
}

fn check_token(token: &str, request: &Request) -> Result<Grant, ApiError> {
    let path = request.uri().path();
    if ui::is_public_asset(path) || super::openapi::is_docs_file(path) {
        return Ok(Grant::Plain);
    }
    if let Some(presented) = bearer(request.headers()) {
        if !same(presented.as_bytes(), token.as_bytes()) {
            return Err(unauthorized("the admin token is wrong"));
        }
        let session = session_value(token);
        return Ok(
            if cookie_session(request.headers()).as_deref() == Some(session.as_str()) {
                Grant::Plain
            } else {
                Grant::SetCookie(cookie_header(&session))
            },
        );
    }
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        if let Some(presented) = query_token(request) {
            if same(presented.as_bytes(), token.as_bytes()) {
                return Ok(Grant::Plain);
            }
            return Err(unauthorized("the admin token is wrong"));
        }
        if let Some(presented) = cookie_session(request.headers()) {
            if same(presented.as_bytes(), session_value(token).as_bytes()) {
                return Ok(Grant::Plain);
            }
            return Err(unauthorized(
                "the session cookie is not valid for this server's admin token; sign in again",
            ));
        }
    }
    Err(unauthorized(
        "this server requires the admin token: send Authorization: Bearer TOKEN",
    ))
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn query_token(request: &Request) -> Option<String> {
    let Query(mut params) = Query::<HashMap<String, String>>::try_from_uri(request.uri()).ok()?;
    params
        .remove("access_token")
        .or_else(|| params.remove("token"))
}

fn cookie_session(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` header of a session (hex, so always cookie-safe).
fn cookie_header(session: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Compares in time that depends only on the lengths, so the token cannot be guessed byte by
/// byte from response times.
fn same(presented: &[u8], expected: &[u8]) -> bool {
    let mut difference = presented.len() ^ expected.len();
    for index in 0..presented.len().max(expected.len()) {
        let a = presented.get(index).copied().unwrap_or(0);
        let b = expected.get(index).copied().unwrap_or(0);
        difference |= usize::from(a ^ b);
    }
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_ip_literals_and_localhost() {
        for host in [
            "127.0.0.1:8765",
            "localhost",
            "LOCALHOST:1",
            "[::1]:80",
            "app.localhost:3",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example:8765",
            "127.0.0.1.nip.io",
            "localhost.evil.com",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn tokens_compare_by_every_byte_and_length() {
        assert!(same(b"s3cret", b"s3cret"));
        assert!(!same(b"s3cre", b"s3cret"));
        assert!(!same(b"s3cret!", b"s3cret"));
        assert!(!same(b"s3creT", b"s3cret"));
        assert!(!same(b"", b"s3cret"));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; hookpit_session=t0k; b=2"),
        );
        assert_eq!(cookie_session(&headers).as_deref(), Some("t0k"));
    }

    #[test]
    fn the_session_is_an_hmac_of_the_token_not_the_token() {
        let session = session_value("s3cret; with odd chars");
        assert_eq!(session.len(), 64);
        assert!(session.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!session.contains("s3cret"));
        assert_ne!(session, session_value("s3cret; with odd chars!"));
        // Stable: the same token gives the same session after a restart.
        assert_eq!(session, session_value("s3cret; with odd chars"));
        let cookie = cookie_header(&session);
        assert!(cookie.to_str().unwrap().contains("HttpOnly"));
    }
}
