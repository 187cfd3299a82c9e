//! The calls that carry media: `upload_media` and `upload_file`, and `send_file`,
//! `send_voice`, `send_image`, which upload or encode before sending.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use hookpit_protocol::{MediaKind, SendReply, UploadReply};
use reqwest::multipart::{Form, Part};

use super::Webhook;
use super::body::{OnProgress, Source, Tracker, validate_file, within_idle};
use super::call::{api_result, read_reply};
use crate::error::{Error, network};
use crate::message::{self, Envelope};

impl Webhook {
    /// Uploads a file or voice held in memory (`upload_media`) for a `file`, `voice` or
    /// template-card message, and returns its `media_id` (valid 3 days, for this bot only).
    /// For a file on disk, [`Webhook::upload_file`] streams it instead.
    ///
    /// With validation on, the bytes are checked with the server's rules first (more than
    /// 5 bytes, at most 20 MB for a file, AMR of at most 2 MB and 60 s for a voice). Retries
    /// share the bytes rather than copy them.
    ///
    /// # Errors
    /// [`Error::Invalid`] for bytes WeCom would refuse; [`Error::Stalled`] when the upload
    /// makes no progress for the [`timeout`](Webhook::timeout); otherwise as [`Webhook::send`].
    ///
    /// # Examples
    /// ```no_run
    /// use hookpit_client::{MediaKind, Webhook, message};
    ///
    /// # async fn run() -> Result<(), hookpit_client::Error> {
    /// let bot = Webhook::new("KEY");
    /// let uploaded = bot.upload_media(MediaKind::File, "report.csv", b"a,b\n1,2\n".to_vec()).await?;
    /// bot.send(message::file(uploaded.media_id)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_media(
        &self,
        kind: MediaKind,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<Uploaded, Error> {
        if self.validate {
            hookpit_protocol::validate_upload(kind, &bytes).map_err(Error::Invalid)?;
        }
        self.upload(kind, filename, &Source::Memory(Bytes::from(bytes)), None)
            .await
    }

    /// Uploads the file at `path` (`upload_media`), streamed from disk, and returns its
    /// `media_id`; the upload's file name is the path's.
    ///
    /// The file is read a chunk at a time as the connection takes it, and opened again for each
    /// attempt, so memory use does not grow with its size. There is no overall time limit: the
    /// upload fails when it makes no progress for the [`timeout`](Webhook::timeout). With
    /// validation on, only the file's size and first bytes (all of a voice) are read first.
    /// A path that is not a regular file (a named pipe) is read once into memory instead, as it
    /// cannot be read again.
    ///
    /// # Errors
    /// [`Error::Read`] when the file cannot be read; otherwise as [`Webhook::upload_media`].
    ///
    /// # Examples
    /// ```no_run
    /// use hookpit_client::{MediaKind, Webhook, message};
    ///
    /// # async fn run() -> Result<(), hookpit_client::Error> {
    /// let bot = Webhook::new("KEY");
    /// let uploaded = bot.upload_file(MediaKind::File, "build-logs.tar.gz").await?;
    /// bot.send(message::file(uploaded.media_id)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_file(
        &self,
        kind: MediaKind,
        path: impl AsRef<Path>,
    ) -> Result<Uploaded, Error> {
        self.upload_path(kind, path.as_ref(), None).await
    }

    /// [`Webhook::upload_file`], calling `on_progress` as the connection takes the file's bytes
    /// (from 0 again when an attempt is retried), e.g. to draw a progress bar.
    ///
    /// # Errors
    /// As [`Webhook::upload_file`].
    ///
    /// # Examples
    /// ```no_run
    /// use hookpit_client::{MediaKind, Webhook};
    ///
    /// # async fn run() -> Result<(), hookpit_client::Error> {
    /// let uploaded = Webhook::new("KEY")
    ///     .upload_file_with_progress(MediaKind::File, "dump.bin", |progress| {
    ///         eprint!("\r{} of {} bytes", progress.sent, progress.total);
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn upload_file_with_progress(
        &self,
        kind: MediaKind,
        path: impl AsRef<Path>,
        on_progress: impl Fn(UploadProgress) + Send + Sync + 'static,
    ) -> Result<Uploaded, Error> {
        self.upload_path(kind, path.as_ref(), Some(Arc::new(on_progress)))
            .await
    }

    async fn upload_path(
        &self,
        kind: MediaKind,
        path: &Path,
        on_progress: Option<OnProgress>,
    ) -> Result<Uploaded, Error> {
        let metadata = tokio::fs::metadata(path)
            .await
            .map_err(|source| Error::Read {
                path: path.to_owned(),
                source,
            })?;
        let source = if metadata.is_file() {
            if self.validate {
                validate_file(kind, path).await?;
            }
            Source::Path(path.to_owned())
        } else {
            // A pipe (`<(gzip -c build.log)`) or a device has no size up front and cannot be
            // read again for a retry: it is read once, into memory.
            let bytes = read(path).await?;
            if self.validate {
                hookpit_protocol::validate_upload(kind, &bytes).map_err(Error::Invalid)?;
            }
            Source::Memory(Bytes::from(bytes))
        };
        let filename = path
            .file_name()
            .map_or_else(|| kind.as_str().into(), |name| name.to_string_lossy());
        self.upload(kind, &filename, &source, on_progress).await
    }

    /// Uploads `source` with the retries, each attempt bounded by the no-progress rule.
    async fn upload(
        &self,
        kind: MediaKind,
        filename: &str,
        source: &Source,
        on_progress: Option<OnProgress>,
    ) -> Result<Uploaded, Error> {
        let url = self.upload_url(kind);
        let reply: UploadReply = self
            .with_retries("upload", None, || async {
                let tracker = Tracker::new();
                let attempt = async {
                    let (body, length) = source.body(&tracker, on_progress.clone()).await?;
                    let part = Part::stream_with_length(body, length)
                        .file_name(filename.to_owned())
                        .mime_str("application/octet-stream")
                        .map_err(|source| network(&url, source))?;
                    let response = self
                        .http
                        .post(&url)
                        .multipart(Form::new().part("media", part))
                        .send()
                        .await
                        .map_err(|source| network(&url, source))?;
                    let reply: UploadReply = read_reply(response, &url).await?;
                    api_result(reply.errcode, &reply.errmsg)?;
                    Ok(reply)
                };
                within_idle(attempt, &tracker, self.timeout, &url).await
            })
            .await?;
        let media_id = reply.media_id.clone().unwrap_or_default();
        Ok(Uploaded {
            media_id,
            kind,
            reply,
        })
    }

    /// Uploads a file (streamed, see [`Webhook::upload_file`]) and sends it as a `file` message
    /// to the bot's default target.
    ///
    /// # Errors
    /// [`Error::Read`] when the file cannot be read; otherwise as [`Webhook::upload_media`] and
    /// [`Webhook::send`].
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run() -> Result<(), hookpit_client::Error> {
    /// hookpit_client::Webhook::new("KEY").send_file("report.pdf").await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_file(&self, path: impl AsRef<Path>) -> Result<SendReply, Error> {
        self.send_file_to(path, &Envelope::new()).await
    }

    /// [`Webhook::send_file`] with envelope fields (`chatid`, `visible_to_user`, `post_id`).
    ///
    /// # Errors
    /// As [`Webhook::send_file`].
    pub async fn send_file_to(
        &self,
        path: impl AsRef<Path>,
        envelope: &Envelope,
    ) -> Result<SendReply, Error> {
        let uploaded = self.upload_file(MediaKind::File, path).await?;
        self.send(message::file(uploaded.media_id).envelope(envelope.clone()))
            .await
    }

    /// Uploads an AMR voice (at most 2 MB and 60 s) and sends it as a `voice` message.
    ///
    /// # Errors
    /// As [`Webhook::send_file`].
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run() -> Result<(), hookpit_client::Error> {
    /// hookpit_client::Webhook::new("KEY").send_voice("alert.amr").await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_voice(&self, path: impl AsRef<Path>) -> Result<SendReply, Error> {
        self.send_voice_to(path, &Envelope::new()).await
    }

    /// [`Webhook::send_voice`] with envelope fields.
    ///
    /// # Errors
    /// As [`Webhook::send_file`].
    pub async fn send_voice_to(
        &self,
        path: impl AsRef<Path>,
        envelope: &Envelope,
    ) -> Result<SendReply, Error> {
        let uploaded = self.upload_file(MediaKind::Voice, path).await?;
        self.send(message::voice(uploaded.media_id).envelope(envelope.clone()))
            .await
    }

    /// Sends a JPG or PNG file (at most 2 MB) as an `image` message; base64 and md5 are computed.
    /// For envelope fields, send [`message::image_file`] with [`Webhook::send`].
    ///
    /// # Errors
    /// As [`Webhook::send_file`].
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run() -> Result<(), hookpit_client::Error> {
    /// hookpit_client::Webhook::new("KEY").send_image("chart.png").await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_image(&self, path: impl AsRef<Path>) -> Result<SendReply, Error> {
        let picture = read(path.as_ref()).await?;
        self.send(message::image(&picture)).await
    }

    /// Sends a picture held in memory as an `image` message.
    ///
    /// # Errors
    /// As [`Webhook::send`].
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run(png: Vec<u8>) -> Result<(), hookpit_client::Error> {
    /// hookpit_client::Webhook::new("KEY").send_image_bytes(&png).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_image_bytes(&self, picture: &[u8]) -> Result<SendReply, Error> {
        self.send(message::image(picture)).await
    }
}

/// How far an upload is, for [`Webhook::upload_file_with_progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadProgress {
    /// Bytes of the file taken by the connection so far, in this attempt.
    pub sent: u64,
    /// The file's size.
    pub total: u64,
}

/// A successful upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// The id to put in a `file` or `voice` message.
    pub media_id: String,
    /// What was uploaded.
    pub kind: MediaKind,
    /// The reply as received (`type`, `media_id`, `created_at`).
    pub reply: UploadReply,
}

/// The bytes of `path`, read without blocking the runtime.
async fn read(path: &Path) -> Result<Vec<u8>, Error> {
    tokio::fs::read(path).await.map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })
}
