//! `hookpit upload`: uploads a file and prints its `media_id`.

use crate::cli::UploadArgs;
use crate::input;
use crate::report::Failure;
use crate::send::{failure, webhook};

/// Runs `hookpit upload`: the media id on stdout, or the whole reply with `--json`.
pub async fn run(args: UploadArgs) -> Result<(), Failure> {
    let bot = webhook(&args.target)?;
    let bytes = input::read_bytes(&args.path)?;
    let filename = args.path.file_name().map_or_else(
        || "upload".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    let kind = args.kind.kind();
    let uploaded = bot
        .upload_media(kind, &filename, bytes)
        .await
        .map_err(|error| failure(error, args.target.json))?;
    if args.target.json {
        println!("{}", uploaded.reply.to_json());
    } else {
        println!("{}", uploaded.media_id);
    }
    Ok(())
}
