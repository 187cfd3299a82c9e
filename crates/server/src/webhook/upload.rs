//! `POST /cgi-bin/webhook/upload_media?key=KEY&type=TYPE` (spec §4).
//!
//! Order: key (93000) → `type` (40005) → the file part (44001 when there is none) → size, format
//! and duration from the protocol crate (40006, 45001, 40004, 45007, ...) → stored. The file
//! part is the one named `media`, or else the first part with a filename, as real WeCom accepts
//! (`-F file=@a.xlsx` works).
//!
//! The file is streamed to a temporary file as it arrives and moved into the media folder once
//! valid, so an upload costs a few buffers of memory whatever its size; only the first bytes
//! (the format check) — or a whole voice, whose duration needs every frame, at most 2 MB — are
//! kept in memory. A refused call's body is always read to its end (up to
//! [`super::DRAIN_CAP`]), so the sender reads its errcode instead of a broken pipe.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::Extension;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, Multipart, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hookpit_protocol::limit::MEDIA_TTL;
use hookpit_protocol::upload::{head_bytes_needed, max_bytes};
use hookpit_protocol::{ErrorCode, MediaKind, UploadReply, validate_upload_parts};
use tokio::io::AsyncWriteExt;

use super::body::{BodyReader, DRAIN_CAP, close_after};
use super::query::WebhookQuery;
use super::reply::Call;
use crate::app::AppState;
use crate::domain::Media;
use crate::fault;
use crate::http::KeepWaiting;
use crate::store::random_id;

/// The upload endpoint, for any method (a request without a form is 44001, after the key and
/// `type`, as for `send`).
pub(super) async fn upload_media(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: WebhookQuery,
    keep: Option<Extension<KeepWaiting>>,
    request: Request,
) -> Response {
    let WebhookQuery { key, kind } = query;
    let mut call = Call::new(&state, "upload_media", peer, &headers, key);
    call.label = kind.clone().unwrap_or_default();
    let (parts, body) = request.into_parts();
    let mut reader = BodyReader::new(body, state.config.body_timeout);

    let bot = match super::resolve_bot(&state, &call.key, call.now).await {
        Ok(bot) => bot,
        Err(error) => return reader.finish(call.refuse(&state, &error, b"")).await,
    };
    let kind = match state.config.upload_policy().parse_type(kind.as_deref()) {
        Ok(kind) => kind,
        Err(error) => return reader.finish(call.refuse(&state, &error, b"")).await,
    };

    let fault_call = fault::Call {
        key: &call.key,
        bot_id: &bot.id,
        endpoint: "upload_media",
        msgtype: kind.as_str(),
        chatids: &[],
    };
    if let Some(effect) = state.faults.decide(&fault_call, state.clock.now()).await {
        super::injected::may_hang(&effect, keep.as_ref().map(|Extension(keep)| keep));
        call = match super::injected::apply(&state, call, effect, b"").await {
            super::injected::After::Answered(response) => return reader.finish(response).await,
            super::injected::After::Proceed(call) => call,
        };
    }

    // A form without a usable boundary is what clients that set the content type by hand send;
    // WeCom answers it as an upload without data.
    let request = Request::from_parts(parts, Body::from_stream(reader.into_stream()));
    let multipart = match Multipart::from_request(request, &state).await {
        Ok(multipart) => multipart,
        Err(_) => {
            let mut response = call.refuse(&state, &ErrorCode::EMPTY_MEDIA_DATA, b"");
            // The body went with the request: it cannot be drained any more.
            close_after(&mut response);
            return response;
        }
    };
    let form = Form {
        kind,
        idle: state.config.body_timeout,
        temp_dir: state.store.temp_dir().to_owned(),
    };
    let part = match form.read(multipart).await {
        Ok(Some(part)) => part,
        // No part named `media` and none with a filename.
        Ok(None) => return call.refuse(&state, &ErrorCode::EMPTY_MEDIA_DATA, b""),
        Err(failure) => {
            let mut response = call.refuse(&state, &failure.error, &failure.head);
            if failure.close {
                close_after(&mut response);
            }
            return response;
        }
    };
    if part.oversize {
        return call.refuse(&state, &oversize(kind), &part.head);
    }
    let valid = match validate_upload_parts(kind, part.size, &part.head) {
        Ok(valid) => valid,
        Err(error) => return call.refuse(&state, &error, &part.head),
    };

    let media_id = random_id("", 64);
    let ttl = i64::try_from(MEDIA_TTL.as_millis()).unwrap_or(i64::MAX);
    let media = Media {
        media_id: media_id.clone(),
        bot_id: bot.id,
        kind,
        filename: display_name(&part.filename),
        content_type: part.content_type.clone(),
        size: u64::try_from(part.size).unwrap_or(u64::MAX),
        created_at: call.now,
        expires_at: call.now.saturating_add(ttl),
        voice_duration_ms: valid
            .voice_duration
            .map(|d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX)),
        placeholder: false,
    };
    let Some(mut temp) = part.file else {
        // A part is only chosen with its file; an empty one is refused above (44001).
        return call.refuse(&state, &ErrorCode::EMPTY_MEDIA_DATA, b"");
    };
    // tokio's `write_all` returns once the last chunk is handed to a blocking thread, not once
    // it is written: the store reads (PostgreSQL) or fsyncs (SQLite) the file by its path next.
    if let Err(error) = temp.file.flush().await {
        tracing::error!(error = %error, "upload: cannot write the temporary file");
        return call.refuse(&state, &ErrorCode::SYSTEM_ERROR, b"");
    }
    let temp_path = temp.path.clone();
    if let Err(error) = state.store.insert_media_file(media, temp_path).await {
        tracing::error!(error = %error, "upload: cannot store the media");
        return call.refuse(&state, &ErrorCode::SYSTEM_ERROR, b"");
    }
    temp.keep();
    let seconds = u64::try_from(call.now / 1000).unwrap_or(0);
    let json = UploadReply::ok(kind.as_str(), &media_id, seconds).to_json();
    call.succeed(&state, json)
}

/// How one form is read.
struct Form {
    kind: MediaKind,
    idle: Duration,
    temp_dir: PathBuf,
}

/// The file part chosen from the form.
struct Part {
    name: String,
    filename: String,
    content_type: String,
    /// Bytes of the part (counted past the cap too).
    size: usize,
    /// Its first bytes, as many as the format check needs (all of a voice).
    head: Vec<u8>,
    /// The bytes up to the cap, on disk; removed when dropped.
    file: Option<TempFile>,
    /// More bytes arrived than the type allows.
    oversize: bool,
}

/// A form that could not be read, and whether the connection must close after the answer.
struct Failure {
    error: ErrorCode,
    head: Vec<u8>,
    close: bool,
}

impl Failure {
    fn closing(error: ErrorCode) -> Failure {
        Failure {
            error,
            head: Vec::new(),
            close: true,
        }
    }
}

impl Form {
    /// Reads every part of the form: the chosen one to a temporary file, the others thrown
    /// away, all of it bounded by [`DRAIN_CAP`] and the idle timeout. `None` when no part is
    /// a file.
    async fn read(&self, mut multipart: Multipart) -> Result<Option<Part>, Failure> {
        let cap = max_bytes(self.kind);
        let keep = head_bytes_needed(self.kind).unwrap_or(cap + 1);
        let mut total = 0_usize;
        let mut chosen: Option<Part> = None;
        loop {
            let field = match self.within_idle(multipart.next_field()).await? {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(error) => return Err(Failure::closing(form_error(&error))),
            };
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let wanted = match &chosen {
                // A later `media` part wins over an earlier part that only had a filename.
                Some(part) => name == "media" && part.name != "media",
                None => name == "media" || filename.is_some(),
            };
            let mut part = wanted.then(|| Part {
                name,
                filename: filename.unwrap_or_default(),
                content_type: field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned(),
                size: 0,
                head: Vec::new(),
                file: None,
                oversize: false,
            });
            let mut field = field;
            loop {
                let chunk = match self.within_idle(field.chunk()).await? {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break,
                    Err(error) => return Err(Failure::closing(form_error(&error))),
                };
                total = total.saturating_add(chunk.len());
                if total > DRAIN_CAP {
                    // Past what is worth reading: answer now and close.
                    return Err(Failure::closing(oversize(self.kind)));
                }
                let Some(part) = part.as_mut() else {
                    continue; // not the file: read to reach the next part, and dropped
                };
                let room = (cap + 1).saturating_sub(part.size);
                let stored = &chunk[..chunk.len().min(room)];
                part.size = part.size.saturating_add(chunk.len());
                if part.size > cap {
                    part.oversize = true;
                }
                if part.head.len() < keep {
                    let more = (keep - part.head.len()).min(stored.len());
                    part.head.extend_from_slice(&stored[..more]);
                }
                if !stored.is_empty() && !part.oversize {
                    self.write(part, stored).await?;
                }
            }
            if let Some(part) = part {
                // Replacing an earlier choice drops (and deletes) its file.
                chosen = Some(part);
            }
        }
        Ok(chosen)
    }

    /// Appends `bytes` to the part's temporary file, creating it first.
    async fn write(&self, part: &mut Part, bytes: &[u8]) -> Result<(), Failure> {
        let failed = |error: std::io::Error| {
            tracing::error!(error = %error, "upload: cannot write the temporary file");
            Failure::closing(ErrorCode::SYSTEM_ERROR)
        };
        if part.file.is_none() {
            part.file = Some(TempFile::create(&self.temp_dir).await.map_err(failed)?);
        }
        if let Some(file) = part.file.as_mut() {
            file.file.write_all(bytes).await.map_err(failed)?;
        }
        Ok(())
    }

    /// `step`, or -1 with `Connection: close` when the sender pauses longer than
    /// `--body-timeout`.
    async fn within_idle<T>(&self, step: impl Future<Output = T>) -> Result<T, Failure> {
        // [U] -1 for a sender that stalls mid-body (as for `send`).
        tokio::time::timeout(self.idle, step)
            .await
            .map_err(|_| Failure::closing(ErrorCode::SYSTEM_ERROR))
    }
}

/// The answer to a form that broke off: -1 when the body itself failed (the connection broke
/// or stalled mid-body, as for `send`), 44001 when what arrived is not a form.
fn form_error(error: &axum::extract::multipart::MultipartError) -> ErrorCode {
    if error.status().is_server_error() {
        // axum's status for a failed read of the body, as opposed to a malformed one.
        ErrorCode::SYSTEM_ERROR
    } else {
        // [U] A malformed form: 44001, as for a form without a file.
        ErrorCode::EMPTY_MEDIA_DATA
    }
}

/// An upload being written: deleted when dropped unless [`TempFile::keep`] says it was moved
/// into the store.
struct TempFile {
    path: PathBuf,
    file: tokio::fs::File,
    keep: bool,
}

impl TempFile {
    async fn create(dir: &std::path::Path) -> std::io::Result<TempFile> {
        let path = dir.join(format!("upload-{}", random_id("", 24)));
        let file = tokio::fs::File::create(&path).await?;
        Ok(TempFile {
            path,
            file,
            keep: false,
        })
    }

    /// The file now belongs to the store.
    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
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
fn display_name(filename: &str) -> String {
    let name = filename.trim();
    if name.is_empty() {
        "file".to_owned()
    } else {
        name.to_owned()
    }
}
