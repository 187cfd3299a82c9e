//! The application: [`AppState`] shared by every handler, and [`router`], which assembles the
//! webhook endpoints, the operations endpoints and the admin/inbox API into one axum app.

mod state;

pub use state::{AppState, Event, Inner, REJECTIONS_KEPT, Rejection, forwarded_for, mask_key};

use axum::Router;
use axum::http::StatusCode;
use tower_http::timeout::TimeoutLayer;

/// The whole HTTP app over `state`.
///
/// Every request is cut off after `--request-timeout` (408), which also bounds how long a
/// graceful shutdown waits for in-flight requests.
pub fn router(state: AppState) -> Router {
    let timeout = state.config.request_timeout;
    Router::new()
        .merge(crate::webhook::router())
        .merge(crate::ops::router())
        .merge(crate::api::router(&state))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(state)
}
