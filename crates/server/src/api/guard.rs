//! The admin guard: who may use `/api/v1` and the inbox.
//!
//! - Without `--admin-token`: loopback callers only (the peer, or with `--trust-proxy` the
//!   `X-Forwarded-For` hop the trusted proxy appended; an unparseable hop is refused), and only under a loopback `Host` (an IP literal or `localhost`), so
//!   that a web page cannot reach the API through DNS rebinding. A request whose peer address is
//!   unknown is refused: the guard fails closed.
//! - With `--admin-token T`: every API call needs `Authorization: Bearer T`. Because
//!   `EventSource`, `<img>` and download links cannot send that header, GET requests may instead
//!   carry `?access_token=T` (or `?token=T`) or the `hookpit_token` cookie, which is set
//!   (HttpOnly, SameSite=Strict) on every response to a header-authenticated call. Writes accept
//!   only the header, so a cross-site form can never act with the cookie. The static UI files
//!   hold no data and are served to anyone: the UI then asks for the token.
//!
//! Tokens are compared in constant time.

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
pub const COOKIE: &str = "hookpit_token";

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
    if ui::is_public_asset(request.uri().path()) {
        return Ok(Grant::Plain);
    }
    if let Some(presented) = bearer(request.headers()) {
        if !same(presented.as_bytes(), token.as_bytes()) {
            return Err(unauthorized("the admin token is wrong"));
        }
        return Ok(match cookie_value(token) {
            Some(cookie) if cookie_token(request.headers()).as_deref() != Some(token) => {
                Grant::SetCookie(cookie)
            }
            _ => Grant::Plain,
        });
    }
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        let presented = query_token(request).or_else(|| cookie_token(request.headers()));
        if let Some(presented) = presented {
            if same(presented.as_bytes(), token.as_bytes()) {
                return Ok(Grant::Plain);
            }
            return Err(unauthorized("the admin token is wrong"));
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

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value carrying `token`, if the token is made of cookie-safe characters
/// (RFC 6265 cookie-octets); other tokens work with the header and `?access_token=` only.
fn cookie_value(token: &str) -> Option<HeaderValue> {
    let safe = token
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\'));
    if !safe {
        return None;
    }
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    ))
    .ok()
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
            HeaderValue::from_static("a=1; hookpit_token=t0k; b=2"),
        );
        assert_eq!(cookie_token(&headers).as_deref(), Some("t0k"));
    }

    #[test]
    fn unsafe_tokens_get_no_cookie() {
        assert!(cookie_value("abc;def").is_none());
        assert!(cookie_value("abc def").is_none());
        let cookie = cookie_value("abc").unwrap();
        assert!(cookie.to_str().unwrap().contains("HttpOnly"));
    }
}
