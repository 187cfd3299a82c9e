//! `GET /api/v1/rejections`: the last refused webhook calls, newest first, so that developers of
//! senders that ignore errcodes can see what went wrong.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult, QueryParams};
use crate::app::{AppState, REJECTIONS_KEPT, Rejection};

/// Rejections listed when `limit` is absent.
const DEFAULT_LIMIT: usize = 100;

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<usize>,
}

#[derive(Serialize)]
struct RejectionList {
    rejections: Vec<Rejection>,
}

/// The routes, relative to `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/rejections", get(list_rejections))
}

async fn list_rejections(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListQuery>,
) -> ApiResult<Json<RejectionList>> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=REJECTIONS_KEPT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {REJECTIONS_KEPT}"
        )));
    }
    let rejections = {
        let ring = state.rejections.lock().unwrap_or_else(|e| e.into_inner());
        ring.iter()
            .rev()
            .take(limit)
            .map(|r| Rejection::clone(r))
            .collect()
    };
    Ok(Json(RejectionList { rejections }))
}
