//! The baseline: the smallest axum server that answers the webhook endpoints, doing no work.
//!
//! It reads the whole body (as Hookpit must) and answers a constant WeCom success reply, on the
//! same runtime as `hookpit serve` (tokio's multi-threaded runtime, one worker per core). Its
//! throughput is the ceiling of the HTTP stack on this machine: Hookpit's figures are read as a
//! ratio to it.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::post;
use bytes::Bytes;

const SEND_REPLY: &str = r#"{"errcode":0,"errmsg":"ok"}"#;
const UPLOAD_REPLY: &str =
    r#"{"errcode":0,"errmsg":"ok","type":"file","media_id":"baseline","created_at":"1700000000"}"#;

/// The baseline's routes.
pub fn router() -> Router {
    // axum's default body limit is 2 MB: enough for the 1 MB upload scenario.
    Router::new()
        .route("/cgi-bin/webhook/send", post(send))
        .route("/cgi-bin/webhook/upload_media", post(upload))
}

async fn send(body: Bytes) -> impl IntoResponse {
    // The body is read whole (the extractor) and dropped: no work.
    drop(body);
    ([(CONTENT_TYPE, "application/json")], SEND_REPLY)
}

async fn upload(body: Bytes) -> impl IntoResponse {
    drop(body);
    ([(CONTENT_TYPE, "application/json")], UPLOAD_REPLY)
}

/// Serves the baseline on `listener` until the process ends.
///
/// # Errors
/// The listener fails.
pub async fn serve(listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    eprintln!("baseline: http://{}", listener.local_addr()?);
    axum::serve(listener, router()).await?;
    Ok(())
}
