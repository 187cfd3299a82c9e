//! Uploads a file to the bot of `HOOKPIT_WEBHOOK`, streamed from disk with its progress on
//! stderr, then sends it as a `file` message.
//!
//! ```text
//! HOOKPIT_WEBHOOK='http://127.0.0.1:8765/cgi-bin/webhook/send?key=KEY' \
//!     cargo run -p hookpit-client --example upload_file -- build-logs.tar.gz
//! ```

use std::time::Duration;

use hookpit_client::{MediaKind, Webhook, message};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("HOOKPIT_WEBHOOK")
        .map_err(|_| "set HOOKPIT_WEBHOOK to the bot's whole webhook URL")?;
    let path = std::env::args().nth(1).ok_or("usage: upload_file PATH")?;
    // For uploads the timeout is the longest time without progress, not a limit on the whole
    // upload: a 20 MB file over a slow link takes as long as it takes.
    let bot = Webhook::from_url(&url)?.timeout(Duration::from_secs(60));
    let name = path.clone();
    let uploaded = bot
        .upload_file_with_progress(MediaKind::File, &path, move |progress| {
            // From 0 again if an attempt is retried.
            let percent = progress.sent * 100 / progress.total.max(1);
            eprint!("\ruploading {name}: {percent:>3}%");
        })
        .await?;
    eprintln!();
    bot.send(message::file(&uploaded.media_id)).await?;
    println!("{}", uploaded.media_id);
    Ok(())
}
