//! `GET /api/v1/rejections`: the last refused webhook calls, newest first, so that developers of
//! senders that ignore errcodes can see what went wrong.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody, QueryParams};
use crate::app::{AppState, REJECTIONS_KEPT, Rejection};

/// Rejections listed when `limit` is absent.
const DEFAULT_LIMIT: usize = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// How many, 1 to the number kept (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
struct RejectionList {
    rejections: Vec<Rejection>,
}

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_rejections))
}

/// The last refused webhook calls, newest first.
#[utoipa::path(
    get,
    path = "/rejections",
    tag = "rejections",
    params(ListQuery),
    responses(
        (status = 200, description = "The refusals kept", body = RejectionList),
        (status = 400, description = "A bad `limit`", body = ErrorBody),
    )
)]
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
