//! Sends one text message, given on the command line, to the bot of `HOOKPIT_WEBHOOK`.
//!
//! ```text
//! cargo run -p hookpit -- serve &     # prints the demo bot's webhook URL
//! HOOKPIT_WEBHOOK='http://127.0.0.1:8765/cgi-bin/webhook/send?key=KEY' \
//!     cargo run -p hookpit-client --example send_text -- "deploy done"
//! ```

use hookpit_client::{Webhook, message};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("HOOKPIT_WEBHOOK")
        .map_err(|_| "set HOOKPIT_WEBHOOK to the bot's whole webhook URL")?;
    let text = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "hello world".to_owned());
    let bot = Webhook::from_url(&url)?;
    // Validated locally first: an empty or over-long text fails here with WeCom's errcode.
    let reply = bot.send(message::text(text)).await?;
    println!("{}", reply.errmsg);
    Ok(())
}
