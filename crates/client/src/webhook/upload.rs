//! The calls that carry media: `upload_media`, and `send_file`, `send_voice`, `send_image`,
//! which upload or encode before sending.

use std::path::Path;

use hookpit_protocol::{MediaKind, SendReply, UploadReply};
use reqwest::multipart::{Form, Part};

use super::{Webhook, api_result, read_reply};
use crate::error::Error;
use crate::message::{self, Envelope};

impl Webhook {
    /// Uploads a file or voice (`upload_media`) for a `file`, `voice` or template-card message,
    /// and returns its `media_id` (valid 3 days, for this bot only).
    ///
    /// With validation on, the bytes are checked with the server's rules first (more than
    /// 5 bytes, at most 20 MB for a file, AMR of at most 2 MB and 60 s for a voice).
    ///
    /// # Errors
    /// [`Error::Invalid`] for bytes WeCom would refuse; otherwise as [`Webhook::send`].
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
        let reply: UploadReply = self
            .with_retries(None, || async {
                let part = Part::bytes(bytes.clone())
                    .file_name(filename.to_owned())
                    .mime_str("application/octet-stream")
                    .map_err(Error::Network)?;
                let response = self
                    .http
                    .post(self.upload_url(kind))
                    .multipart(Form::new().part("media", part))
                    .send()
                    .await
                    .map_err(Error::Network)?;
                let reply: UploadReply = read_reply(response).await?;
                api_result(reply.errcode, &reply.errmsg)?;
                Ok(reply)
            })
            .await?;
        let media_id = reply.media_id.clone().unwrap_or_default();
        Ok(Uploaded {
            media_id,
            kind,
            reply,
        })
    }

    /// Uploads a file and sends it as a `file` message to the bot's default target.
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
        let uploaded = self.upload_path(MediaKind::File, path.as_ref()).await?;
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
        let uploaded = self.upload_path(MediaKind::Voice, path.as_ref()).await?;
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

    async fn upload_path(&self, kind: MediaKind, path: &Path) -> Result<Uploaded, Error> {
        let bytes = read(path).await?;
        let filename = path
            .file_name()
            .map_or_else(|| kind.as_str().into(), |name| name.to_string_lossy());
        self.upload_media(kind, &filename, bytes).await
    }
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
