//! `GET /api/v1/media/{media_id}`: downloads an uploaded file.
//!
//! Uploads are whatever senders sent, so they are always served as opaque attachments
//! (`application/octet-stream`, `Content-Disposition: attachment`, `nosniff`) under a
//! sandboxing policy: an uploaded `.html` or `.js` is never rendered or run in the inbox's
//! origin, whatever content type the sender claimed for it.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ApiResult, ErrorBody, PathParams};
use super::openapi::Binary;
use super::ui::DOWNLOAD_POLICY;
use crate::app::AppState;

/// The routes, relative to `/api/v1`, with their contract.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download))
}

/// Downloads an uploaded file: always an attachment, under a sandboxing policy.
#[utoipa::path(
    get,
    path = "/media/{media_id}",
    tag = "media",
    operation_id = "download_media",
    params(("media_id" = String, Path, description = "The `media_id` of `upload_media`")),
    responses(
        (
            status = 200,
            description = "The file as uploaded (`Content-Disposition: attachment` with its name)",
            content_type = "application/octet-stream",
            body = inline(Binary)
        ),
        (status = 404, description = "No such file (or it was pruned)", body = ErrorBody),
    )
)]
async fn download(
    State(state): State<AppState>,
    PathParams(media_id): PathParams<String>,
) -> ApiResult<Response> {
    let not_found = || ApiError::not_found(format!("media {media_id} not found"));
    // Ids are ours (letters, digits, `_`, `-`); anything else could walk out of the media folder.
    let plain = !media_id.is_empty()
        && media_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    if !plain {
        return Err(not_found());
    }
    let media = state
        .store
        .get_media(&media_id)
        .await?
        .ok_or_else(not_found)?;
    // `None`: pruned between the lookup and the read.
    let bytes = state
        .store
        .media_bytes(&media_id)
        .await?
        .ok_or_else(not_found)?;
    let disposition = HeaderValue::from_str(&content_disposition(&media.filename))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        StatusCode::OK,
        [
            // Never the sender's claimed type: a `text/javascript` upload served as such could
            // be loaded as a script by a page of this origin.
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOWNLOAD_POLICY),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266): the ASCII
/// fallback drops quotes and control characters, the extended form keeps the real name.
fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for byte in filename.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_quoted_safely_and_kept_in_utf8() {
        assert_eq!(
            content_disposition("报告 \"v1\".pdf"),
            "attachment; filename=\"__ _v1_.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22v1%22.pdf"
        );
    }
}
