//! `hookpit upload`: uploads a file and prints its `media_id`; and the upload with a progress
//! bar that `send file` and `send voice` share.

use std::path::Path;

use hookpit_client::{Error, MediaKind, Uploaded, Webhook};

use crate::cli::UploadArgs;
use crate::input;
use crate::progress::Bars;
use crate::report::Failure;
use crate::send::{failure, webhook};

/// Runs `hookpit upload`: the media id on stdout, or the whole reply with `--json`.
pub async fn run(args: UploadArgs, bars: &Bars) -> Result<(), Failure> {
    let bot = webhook(&args.target)?;
    let kind = args.kind.kind();
    let uploaded = if input::is_stdin(&args.path) {
        // Stdin cannot be read again for a retry, so it is held in memory (once: retries share
        // the bytes).
        let bytes = input::read_bytes(&args.path)?;
        bot.upload_media(kind, "upload", bytes).await
    } else {
        upload_file(&bot, kind, &args.path, bars).await
    }
    .map_err(|error| failure(error, &args.target))?;
    if args.target.json {
        println!("{}", uploaded.reply.to_json());
    } else {
        println!("{}", uploaded.media_id);
    }
    Ok(())
}

/// Uploads the file at `path`, streamed from disk, with a progress bar on a terminal.
pub async fn upload_file(
    bot: &Webhook,
    kind: MediaKind,
    path: &Path,
    bars: &Bars,
) -> Result<Uploaded, Error> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let bar = bars.upload(&name);
    let mover = bar.mover();
    bot.upload_file_with_progress(kind, path, move |progress| {
        mover(progress.sent, progress.total);
    })
    .await
}
