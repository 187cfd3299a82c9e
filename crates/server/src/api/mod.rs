//! The admin and inbox API under `/api/v1`, and the embedded web inbox at `/`.
//!
//! JSON in and out, HTTP status codes, errors as `{"code", "message"}` (one table:
//! [`error`]). The contract is the OpenAPI document [`openapi::contract`] generates from the
//! handlers (served at `/api/v1/openapi.json`, browsable at `/api/v1/docs/`); the `/api/v1`
//! table of `docs/ARCHITECTURE.md` summarizes it. A route is added with
//! `.routes(routes!(handler))` and a `#[utoipa::path(...)]` on the handler, never a plain
//! `.route(...)` (a test fails on routes the contract lacks). Every route sits behind the
//! [`guard`] (loopback only, or the admin token) and carries the security headers of
//! [`ui::security_headers`] (a strict CSP, nosniff, no framing) unless it sets stricter or its
//! own ones itself (downloads, the docs page).
//!
//! # Layout
//! - [`error`]: the error-to-response table and the JSON/query extractors that use it.
//! - [`guard`]: who may call (loopback, `Host` check, admin token, cookie for `<img>`/SSE).
//! - [`item`]: the message item and its rendering (users and media loaded once per page).
//! - [`openapi`]: the contract's frame and shared answers, `openapi.json` and the docs page.
//! - `users`, `chats`, `bots`, `bot_reach`: the workspace CRUD.
//! - `messages`, `wait`, `events`, `rejections`, `media`: the inbox's reads, long-poll, live
//!   stream and downloads.
//! - [`ui`]: the embedded inbox files.

pub mod error;
pub mod guard;
pub mod item;
pub mod openapi;
pub mod ui;

mod bot_reach;
mod bots;
mod chats;
mod events;
mod media;
mod messages;
mod rejections;
mod users;
mod wait;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use error::ApiError;

/// Every route of `/api/v1` (paths relative to it), each registered with its operation in the
/// contract (see [`openapi`]).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(users::router())
        .merge(chats::router())
        .merge(bots::router())
        .merge(wait::router())
        .merge(messages::router())
        .merge(events::router())
        .merge(rejections::router())
        .merge(media::router())
        .merge(crate::callback::api_router())
        .merge(crate::fault::router())
        .merge(crate::relay::api::router())
        .merge(openapi::router())
}

/// The routes of `/api/v1/**` and the inbox UI, merged into the app router by the server.
pub fn router(state: &AppState) -> Router<AppState> {
    let (api, _contract) = routes().split_for_parts();
    let api = api
        .merge(openapi::docs_router())
        .fallback(|| async { ApiError::not_found("no such API route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this API route does not take that method",
            )
        });
    // The guard inside the header layers, so that its refusals carry the headers too.
    let mut app = Router::new()
        .nest("/api/v1", api)
        .merge(ui::router())
        .layer(from_fn_with_state(state.clone(), guard::guard));
    for (name, value) in ui::security_headers() {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    app
}
