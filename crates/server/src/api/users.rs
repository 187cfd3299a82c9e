//! `/api/v1/users`: the workspace's members (userid, name, mobile).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiResult, ErrorBody, JsonBody, PathParams, non_blank};
use crate::app::AppState;
use crate::domain::User;

/// `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUser {
    /// Must not be empty, contain `|` or start with `@`.
    userid: String,
    name: String,
    /// For `mentioned_mobile_list`; empty when absent.
    #[serde(default)]
    mobile: String,
}

/// `PATCH /users/{userid}`: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    name: Option<String>,
    mobile: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct UserList {
    users: Vec<User>,
}

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
}

/// Every user, by userid.
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    responses((status = 200, description = "The users", body = UserList))
)]
async fn list_users(State(state): State<AppState>) -> ApiResult<Json<UserList>> {
    let users = state.store.list_users().await?;
    Ok(Json(UserList { users }))
}

/// One user.
#[utoipa::path(
    get,
    path = "/users/{userid}",
    tag = "users",
    params(("userid" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
async fn get_user(
    State(state): State<AppState>,
    PathParams(userid): PathParams<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.store.get_user(&userid).await?))
}

/// Creates a user.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "The user, created", body = User),
        (status = 400, description = "A blank name, or an unusable userid", body = ErrorBody),
        (status = 409, description = "The userid is taken", body = ErrorBody),
    )
)]
async fn create_user(
    State(state): State<AppState>,
    JsonBody(new): JsonBody<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    non_blank("name", Some(&new.name))?;
    let user = User {
        userid: new.userid,
        name: new.name,
        mobile: new.mobile,
    };
    let user = state
        .store
        .create_user(user, state.clock.now_millis())
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Changes a user's name and/or mobile (only the fields given).
#[utoipa::path(
    patch,
    path = "/users/{userid}",
    tag = "users",
    params(("userid" = String, Path, description = "The user's id")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The user, changed", body = User),
        (status = 400, description = "A blank name", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
async fn update_user(
    State(state): State<AppState>,
    PathParams(userid): PathParams<String>,
    JsonBody(patch): JsonBody<UserPatch>,
) -> ApiResult<Json<User>> {
    non_blank("name", patch.name.as_deref())?;
    let user = state
        .store
        .update_user(&userid, patch.name, patch.mobile)
        .await?;
    Ok(Json(user))
}

/// Removes a user, their memberships, subscriptions and single chats.
#[utoipa::path(
    delete,
    path = "/users/{userid}",
    tag = "users",
    params(("userid" = String, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
async fn delete_user(
    State(state): State<AppState>,
    PathParams(userid): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.store.delete_user(&userid).await?;
    Ok(StatusCode::NO_CONTENT)
}
