//! The application: [`AppState`] shared by every handler, and [`router`], which assembles the
//! webhook endpoints, the operations endpoints and the admin/inbox API into one axum app.

pub mod caller;
pub mod edge;
pub mod feed;
mod state;

pub use caller::{Caller, ProxyTrust};
pub use state::{AppState, Event, Inner, REJECTIONS_KEPT, Rejection, mask_key};

use axum::Router;
use axum::middleware::from_fn_with_state;

/// The app of `--metrics-listen`: `/livez`, `/readyz` and `/metrics`, without the admin guard.
pub fn ops_router(state: AppState) -> Router {
    Router::new()
        .merge(crate::ops::public_router())
        .merge(crate::ops::detail_router())
        .with_state(state)
}

/// The whole HTTP app over `state`.
///
/// Every request passes [`edge::edge`] first: heads too large are refused, and a request is
/// cut off after `--request-timeout` (WeCom's -1 on the webhook paths, a 408 elsewhere), which
/// also bounds how long a graceful shutdown waits for in-flight requests.
pub fn router(state: AppState) -> Router {
    let ops_detail = crate::ops::detail_router()
        .route_layer(from_fn_with_state(state.clone(), crate::api::guard::guard));
    Router::new()
        .merge(crate::webhook::router())
        .merge(crate::ops::public_router())
        .merge(crate::callback::public_router())
        .merge(ops_detail)
        .merge(crate::api::router(&state))
        .layer(from_fn_with_state(state.clone(), edge::edge))
        .with_state(state)
}
