//! `/api/v1/users`: the workspace's members (userid, name, mobile).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::error::{ApiResult, JsonBody, PathParams, non_blank};
use crate::app::AppState;
use crate::domain::User;

/// `POST /users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    userid: String,
    name: String,
    #[serde(default)]
    mobile: String,
}

/// `PATCH /users/{userid}`: only the fields given change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    name: Option<String>,
    mobile: Option<String>,
}

#[derive(Serialize)]
struct UserList {
    users: Vec<User>,
}

/// The routes, relative to `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route(
            "/users/{userid}",
            get(get_user).patch(update_user).delete(delete_user),
        )
}

async fn list_users(State(state): State<AppState>) -> ApiResult<Json<UserList>> {
    let users = state.store.list_users().await?;
    Ok(Json(UserList { users }))
}

async fn get_user(
    State(state): State<AppState>,
    PathParams(userid): PathParams<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.store.get_user(&userid).await?))
}

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

async fn delete_user(
    State(state): State<AppState>,
    PathParams(userid): PathParams<String>,
) -> ApiResult<StatusCode> {
    state.store.delete_user(&userid).await?;
    Ok(StatusCode::NO_CONTENT)
}
