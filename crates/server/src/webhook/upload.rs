//! `POST /cgi-bin/webhook/upload_media?key=KEY&type=TYPE` (spec §4).
//!
//! Order: key (93000) → `type` (40005) → the file part (44001 when there is none) → size, format
//! and duration from the protocol crate (40006, 45001, 40004, 45007, ...) → stored. The file
//! part is the one named `media`, or else the first part with a filename, as real WeCom accepts
//! (`-F file=@a.xlsx` works).

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, FromRequest, Multipart, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hookpit_protocol::limit::MEDIA_TTL;
use hookpit_protocol::upload::max_bytes;
use hookpit_protocol::{ErrorCode, MediaKind, UploadReply, validate_upload};

use super::reply::{Call, WebhookQuery};
use crate::app::AppState;
use crate::domain::Media;
use crate::store::random_id;

/// The file part chosen from the form.
struct Part {
    name: String,
    filename: String,
    content_type: String,
    bytes: Vec<u8>,
    /// More bytes arrived than the type allows; `bytes` holds only the first ones.
    oversize: bool,
}

/// The upload endpoint, for any method (a request without a form is 44001, after the key and
/// `type`, as for `send`).
pub(super) async fn upload_media(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<WebhookQuery>, QueryRejection>,
    request: Request,
) -> Response {
    let (key, kind) = match query {
        Ok(Query(query)) => (query.key, query.kind),
        Err(_) => (None, None),
    };
    let mut call = Call::new(&state, "upload_media", peer, &headers, key);
    call.label = kind.clone().unwrap_or_default();

    let bot = match super::resolve_bot(&state, &call.key, call.now).await {
        Ok(bot) => bot,
        Err(error) => return call.refuse(&state, &error, b""),
    };
    let kind = match state.config.upload_policy().parse_type(kind.as_deref()) {
        Ok(kind) => kind,
        Err(error) => return call.refuse(&state, &error, b""),
    };

    // A form without a usable boundary is what clients that set the content type by hand send;
    // WeCom answers it as an upload without data.
    let Ok(multipart) = Multipart::from_request(request, &state).await else {
        return call.refuse(&state, &ErrorCode::EMPTY_MEDIA_DATA, b"");
    };
    let part = match file_part(multipart, max_bytes(kind)).await {
        Ok(Some(part)) => part,
        Ok(None) => return call.refuse(&state, &ErrorCode::EMPTY_MEDIA_DATA, b""),
        Err(error) => return call.refuse(&state, &error, b""),
    };
    if part.oversize {
        return call.refuse(&state, &oversize(kind), &part.bytes);
    }
    let valid = match validate_upload(kind, &part.bytes) {
        Ok(valid) => valid,
        Err(error) => return call.refuse(&state, &error, &part.bytes),
    };

    let media_id = random_id("", 64);
    let ttl = i64::try_from(MEDIA_TTL.as_millis()).unwrap_or(i64::MAX);
    let media = Media {
        media_id: media_id.clone(),
        bot_id: bot.id,
        kind,
        filename: display_name(&part),
        content_type: part.content_type.clone(),
        size: u64::try_from(part.bytes.len()).unwrap_or(u64::MAX),
        created_at: call.now,
        expires_at: call.now.saturating_add(ttl),
        voice_duration_ms: valid
            .voice_duration
            .map(|d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX)),
    };
    if let Err(error) = state.store.insert_media(media, part.bytes).await {
        tracing::error!(error = %error, "upload: cannot store the media");
        return call.refuse(&state, &ErrorCode::SYSTEM_ERROR, b"");
    }
    let seconds = u64::try_from(call.now / 1000).unwrap_or(0);
    let json = UploadReply::ok(kind.as_str(), &media_id, seconds).to_json();
    call.succeed(&state, json)
}

/// The part named `media`, or else the first part with a filename. Keeps at most `cap + 1`
/// bytes of it; the rest of the form is read and discarded so the caller gets an answer rather
/// than a reset connection.
///
/// # Errors
/// 45001 when the form is larger than the endpoint's body limit; 44001 when it is malformed.
async fn file_part(mut multipart: Multipart, cap: usize) -> Result<Option<Part>, ErrorCode> {
    let mut chosen: Option<Part> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return Err(read_error(error.status())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let wanted = match &chosen {
            // A later `media` part wins over an earlier part that only had a filename.
            Some(part) => name == "media" && part.name != "media",
            None => name == "media" || filename.is_some(),
        };
        let mut field = field;
        if !wanted {
            // Drain it: the multipart reader needs the bytes consumed to reach the next part.
            loop {
                match field.chunk().await {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(error) => return Err(read_error(error.status())),
                }
            }
            continue;
        }
        let mut part = Part {
            name,
            filename: filename.unwrap_or_default(),
            content_type: field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned(),
            bytes: Vec::new(),
            oversize: false,
        };
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    let room = (cap + 1).saturating_sub(part.bytes.len());
                    if chunk.len() > room {
                        part.oversize = true;
                    }
                    part.bytes
                        .extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                Err(error) => return Err(read_error(error.status())),
            }
        }
        if part.bytes.len() > cap {
            part.oversize = true;
        }
        chosen = Some(part);
    }
    Ok(chosen)
}

/// A form that could not be read: too large (45001, the catalogue's 多媒体文件大小超过限制), or
/// malformed (44001, as for a form without a file).
fn read_error(status: StatusCode) -> ErrorCode {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorCode::MEDIA_SIZE_OUT_OF_LIMIT
    } else {
        ErrorCode::EMPTY_MEDIA_DATA
    }
}

/// The answer for a part larger than its type allows: the protocol crate's codes
/// (`hookpit_protocol::validate_upload`), decided here without holding the whole part.
fn oversize(kind: MediaKind) -> ErrorCode {
    match kind {
        MediaKind::Image => ErrorCode::INVALID_IMAGE_SIZE,
        MediaKind::Video => ErrorCode::INVALID_VIDEO_SIZE,
        MediaKind::File | MediaKind::Voice => ErrorCode::MEDIA_SIZE_OUT_OF_LIMIT,
    }
}

/// The file name shown in the inbox: the part's filename, or `file` when none was sent.
fn display_name(part: &Part) -> String {
    let name = part.filename.trim();
    if name.is_empty() {
        "file".to_owned()
    } else {
        name.to_owned()
    }
}
