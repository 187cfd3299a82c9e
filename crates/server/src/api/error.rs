//! The admin API's one error-to-response table, and extractors whose rejections use it.
//!
//! Every failure answers `{"code": "...", "message": "..."}` with an HTTP status. Bad input
//! (malformed JSON, unknown fields, a non-numeric id, a bad query) is a 4xx that says what was
//! wrong; a 500 says nothing to the client and is logged once, in full (house style: never send
//! database text to a client).

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::store::StoreError;

/// An error answer of the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// A stable snake_case code (`not_found`, `bad_request`, ...).
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
}

/// The result of every handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// Any error answer.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: the request itself is wrong.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404: the thing named does not exist.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500: logged in full here, opaque to the client.
    pub fn internal(error: &dyn std::error::Error) -> ApiError {
        tracing::error!(error = %error, source = ?error.source(), "admin API: internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error (see the server log)",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound { kind, id } => {
                ApiError::not_found(format!("{kind} {id} not found"))
            }
            StoreError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            StoreError::Invalid(message) => ApiError::bad_request(message),
            StoreError::Refused(code) => ApiError::new(
                StatusCode::CONFLICT,
                "refused",
                format!("refused by WeCom's rules: {} {}", code.code(), code.text()),
            ),
            StoreError::Closed => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the server is shutting down",
            ),
            other => ApiError::internal(&other),
        }
    }
}

/// The body of every error answer of `/api/v1`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable snake_case code: `bad_request`, `not_found`, `conflict`, `refused`,
    /// `unauthorized`, `forbidden`, `method_not_allowed`, `payload_too_large`,
    /// `unsupported_media_type`, `verification_failed`, `unavailable` or `internal`.
    pub code: &'static str,
    /// A sentence for people (what was wrong, e.g. the offending field).
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

/// A JSON request body; rejections answer 400 (415 without a JSON content type) in our shape,
/// naming the offending field (e.g. ``unknown field `nmae` ``).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected a JSON body with Content-Type: application/json",
        ),
        // Over the body limit (axum's 2 MB default).
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is too large",
        ),
        // Syntax and data errors alike (axum says 422 for the latter): the body is bad input.
        other => ApiError::bad_request(format!(
            "invalid JSON body: {}",
            strip_prefix(&other.body_text())
        )),
    }
}

/// Query-string parameters; rejections answer 400 in our shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(QueryParams(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> ApiError {
    ApiError::bad_request(format!(
        "invalid query string: {}",
        strip_prefix(&rejection.body_text())
    ))
}

/// Path parameters; rejections (e.g. a segment that is not UTF-8) answer 400 in our shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct PathParams<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(PathParams(value)),
            Err(rejection) => Err(ApiError::bad_request(format!(
                "invalid path: {}",
                strip_prefix(&rejection.body_text())
            ))),
        }
    }
}

/// axum's rejection texts start with a generic sentence before the serde detail; keep the detail.
fn strip_prefix(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, detail)| detail)
}

/// 400 unless `value` (the field `field` of a body), when given, has more than white space: a
/// blank name or title could never be told apart in the inbox.
pub fn non_blank(field: &str, value: Option<&str>) -> ApiResult<()> {
    if value.is_some_and(|text| text.trim().is_empty()) {
        return Err(ApiError::bad_request(format!("{field} must not be empty")));
    }
    Ok(())
}

/// Parses a message id from a path segment.
pub fn message_id(text: &str) -> ApiResult<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "message id must be a positive integer, not {text:?}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_not_found_is_a_404_naming_the_thing() {
        let error = ApiError::from(StoreError::NotFound {
            kind: "user",
            id: "zhao".to_owned(),
        });
        assert_eq!(error.status, StatusCode::NOT_FOUND);
        assert_eq!(error.code, "not_found");
        assert_eq!(error.message, "user zhao not found");
    }

    #[test]
    fn database_errors_become_opaque_500s() {
        let error = ApiError::from(StoreError::from(rusqlite::Error::InvalidQuery));
        assert_eq!(error.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!error.message.contains("query"), "{}", error.message);
    }

    #[test]
    fn blank_names_are_bad_requests_and_absent_ones_are_fine() {
        assert_eq!(non_blank("name", Some("张三")), Ok(()));
        assert_eq!(non_blank("name", None), Ok(()));
        let error = non_blank("title", Some(" \t")).unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.message, "title must not be empty");
    }

    #[test]
    fn message_ids_must_be_positive_integers() {
        assert_eq!(message_id("42"), Ok(42));
        assert_eq!(message_id("0").unwrap_err().status, StatusCode::BAD_REQUEST);
        assert_eq!(
            message_id("x1").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }
}
