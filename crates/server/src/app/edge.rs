//! What every request meets before its route: the whole-request timeout, and the limits on a
//! request's head — answered in WeCom's shape on the webhook paths, as the admin API's JSON
//! elsewhere.
//!
//! hyper refuses heads it cannot parse with a bare 400/414/431 and no body. Its limits are above
//! these (a 64 KiB URI, a ~400 KiB head), so a merely large head reaches this layer and a
//! webhook sender reads an errcode; only a head past hyper's own limits (or with more than 100
//! header lines, hyper's fixed default, which a larger setting would make every request pay
//! for in allocations) still gets hyper's bare answer.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hookpit_protocol::ErrorCode;

use super::AppState;
use crate::api::error::ApiError;
use crate::http::KeepWaiting;
use crate::webhook::{is_webhook_path, refuse_outside};

/// Longest request target (path and query) answered normally: far above any webhook URL (a
/// 36-character key) and any API query.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header bytes (names and values) answered normally.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Refuses oversized heads, then runs the request within `--request-timeout` (unless its
/// handler says it may hang on purpose, [`KeepWaiting`]).
pub async fn edge(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let webhook = is_webhook_path(request.uri().path());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let caller = peer.map(|peer| state.caller(peer, request.headers()));

    if let Some(refusal) = head_refusal(&request) {
        return match (webhook, caller) {
            (true, Some(caller)) => {
                let mut response = refuse_outside(&state, caller, request.uri(), &refusal.error);
                *response.status_mut() = refusal.status;
                response
            }
            _ => ApiError::new(refusal.status, refusal.code, refusal.message).into_response(),
        };
    }

    let access = state
        .config
        .access_log
        .then(|| AccessLine::of(&request, caller));
    let uri = webhook.then(|| request.uri().clone());
    let keep = KeepWaiting::default();
    request.extensions_mut().insert(keep.clone());
    let run = next.run(request);
    tokio::pin!(run);
    let response = match tokio::time::timeout(state.config.request_timeout, &mut run).await {
        Ok(response) => response,
        Err(_) if keep.is_set() => run.await,
        Err(_) => match (uri, caller) {
            // [U] A webhook call that outlives --request-timeout (a sender trickling its body):
            // -1, HTTP 200 like every WeCom answer, and the connection closes.
            (Some(uri), Some(caller)) => {
                refuse_outside(&state, caller, &uri, &ErrorCode::SYSTEM_ERROR)
            }
            _ => ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the request took longer than --request-timeout",
            )
            .into_response(),
        },
    };
    if let Some(access) = access {
        access.log(response.status());
    }
    response
}

/// One line of `--access-log`: who asked what, the answer and how long it took. The query is
/// not logged as sent: a webhook URL's `key` is a secret, so only its first characters are.
struct AccessLine {
    method: axum::http::Method,
    path: String,
    key: Option<String>,
    from: String,
    started: std::time::Instant,
}

impl AccessLine {
    fn of(request: &Request, caller: Option<crate::app::Caller>) -> AccessLine {
        AccessLine {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            key: crate::webhook::key_of(request.uri()).map(|key| crate::app::mask_key(&key)),
            from: caller.map_or_else(|| "unknown".to_owned(), |caller| caller.to_string()),
            started: std::time::Instant::now(),
        }
    }

    fn log(self, status: StatusCode) {
        tracing::info!(
            target: "hookpit::access",
            method = %self.method,
            path = %self.path,
            key = self.key.as_deref().unwrap_or(""),
            status = status.as_u16(),
            ms = self.started.elapsed().as_secs_f64() * 1000.0,
            from = %self.from,
            "request"
        );
    }
}

/// Why a head is refused.
struct HeadRefusal {
    status: StatusCode,
    error: ErrorCode,
    code: &'static str,
    message: String,
}

fn head_refusal(request: &Request) -> Option<HeadRefusal> {
    let uri_len = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return Some(HeadRefusal {
            status: StatusCode::URI_TOO_LONG,
            // [U] An over-long URL or head: 40058 in WeCom's length wording, with the HTTP status
            // a proxy would give (414, 431) so that generic clients see it too.
            error: ErrorCode::exceed_max_length("url", MAX_URI_BYTES),
            code: "uri_too_long",
            message: format!("the request URI is longer than {MAX_URI_BYTES} bytes"),
        });
    }
    let headers = request.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return Some(HeadRefusal {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            error: ErrorCode::exceed_max_length("header", MAX_HEADER_BYTES),
            code: "headers_too_large",
            message: format!("the request headers exceed {MAX_HEADER_BYTES} bytes"),
        });
    }
    None
}
