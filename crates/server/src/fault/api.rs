//! `/api/v1/faults`: list, add and remove fault rules. Under `--redis` the changes are made in
//! Redis for every instance, and answer 503 `unavailable` while it does not answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{FaultError, NewRule, RuleView};
use crate::api::error::{ApiError, ApiResult, ErrorBody, JsonBody, PathParams};
use crate::app::AppState;

/// The admin API's answer to each failure.
fn api_error(error: FaultError) -> ApiError {
    match error {
        FaultError::Invalid(why) => ApiError::bad_request(why),
        FaultError::Unavailable => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            error.to_string(),
        ),
    }
}

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_faults, add_fault, clear_faults))
        .routes(routes!(remove_fault))
}

#[derive(Serialize, ToSchema)]
struct FaultList {
    faults: Vec<RuleView>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = FaultsCleared)]
struct Cleared {
    deleted: usize,
}

/// The fault rules in force, in the order they are tried.
#[utoipa::path(
    get,
    path = "/faults",
    tag = "faults",
    responses(
        (status = 200, description = "The rules", body = FaultList),
        (status = 503, description = "`--redis`: Redis is unavailable", body = ErrorBody),
    )
)]
async fn list_faults(State(state): State<AppState>) -> ApiResult<Json<FaultList>> {
    let faults = state.faults.list().await.map_err(api_error)?;
    Ok(Json(FaultList { faults }))
}

/// Adds a fault rule: matching webhook calls fail as it says (the first rule that fires wins).
#[utoipa::path(
    post,
    path = "/faults",
    tag = "faults",
    request_body = NewRule,
    responses(
        (status = 201, description = "The rule, in force", body = RuleView),
        (status = 400, description = "A bad rule (the field is named)", body = ErrorBody),
        (status = 503, description = "`--redis`: Redis is unavailable", body = ErrorBody),
    )
)]
async fn add_fault(
    State(state): State<AppState>,
    JsonBody(rule): JsonBody<NewRule>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    let view = state
        .faults
        .add(rule, state.clock.now())
        .await
        .map_err(api_error)?;
    tracing::info!(
        fault = view.id,
        effect = view.rule.effect.name(),
        "fault rule added"
    );
    Ok((StatusCode::CREATED, Json(view)))
}

/// Removes a fault rule.
#[utoipa::path(
    delete,
    path = "/faults/{id}",
    tag = "faults",
    params(("id" = u64, Path, description = "The rule's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "The id is not a whole number", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
        (status = 503, description = "`--redis`: Redis is unavailable", body = ErrorBody),
    )
)]
async fn remove_fault(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
) -> ApiResult<StatusCode> {
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("a fault id is a whole number"))?;
    if state.faults.remove(id).await.map_err(api_error)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("fault {id} not found")))
    }
}

/// Removes every fault rule (this instance's `--fault` ones too).
#[utoipa::path(
    delete,
    path = "/faults",
    tag = "faults",
    responses(
        (status = 200, description = "How many were removed", body = Cleared),
        (status = 503, description = "`--redis`: Redis is unavailable", body = ErrorBody),
    )
)]
async fn clear_faults(State(state): State<AppState>) -> ApiResult<Json<Cleared>> {
    let deleted = state.faults.clear().await.map_err(api_error)?;
    Ok(Json(Cleared { deleted }))
}
