//! The flags and help texts of the inbox commands: `wait`, `messages` and `clear`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use hookpit_client::inbox::LOCAL_BASE_URL;
use hookpit_client::protocol::MsgType;

/// Which Hookpit to ask, and how.
#[derive(Args)]
#[command(next_help_heading = "Server options")]
pub struct ServerArgs {
    /// The Hookpit's base URL (what `hookpit serve` prints before /cgi-bin/...).
    #[arg(long, env = "HOOKPIT_BASE", value_name = "URL", default_value = LOCAL_BASE_URL)]
    pub base: String,

    /// The admin token of a server started with --admin-token (sent as a Bearer header, never
    /// printed).
    #[arg(
        long,
        env = "HOOKPIT_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,

    /// Read the admin token from this file (surrounding whitespace ignored); --admin-token wins
    /// when both are set.
    #[arg(long, env = "HOOKPIT_ADMIN_TOKEN_FILE", value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,
}

impl std::fmt::Debug for ServerArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The admin token opens the whole API: never print it.
        f.debug_struct("ServerArgs")
            .field("base", &self.base)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "[redacted]"),
            )
            .field("admin_token_file", &self.admin_token_file)
            .finish()
    }
}

/// The filters of `wait` and `messages`; they combine with AND.
#[derive(Debug, Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only messages of the bot with this key (with --accept-any-key, also a key that has not
    /// sent anything yet).
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,

    /// Only messages delivered to this chat (a group, blackboard or single-chat id).
    #[arg(long, value_name = "ID")]
    pub chatid: Option<String>,

    /// Only messages of this type.
    #[arg(long, value_name = "TYPE", value_parser = msgtype_parser())]
    pub msgtype: Option<MsgType>,

    /// Only messages with this text in any field of their content (text, markdown, titles, card
    /// fields, URLs), ignoring ASCII case, as the inbox search does.
    #[arg(long, value_name = "TEXT")]
    pub contains: Option<String>,

    /// Only messages this member sees (leaves out those visible to other members alone).
    #[arg(long, value_name = "USERID")]
    pub as_user: Option<String>,
}

/// The nine wire names of `msgtype`.
fn msgtype_parser() -> impl clap::builder::TypedValueParser<Value = MsgType> {
    PossibleValuesParser::new(MsgType::ALL.map(MsgType::as_str))
        .try_map(|name| MsgType::from_wire(&name).ok_or("not a WeCom message type"))
}

pub const WAIT_AFTER_HELP: &str = "\
Prints each matching message as soon as it is stored, oldest first: one line per message (#id,
time, chat, bot, type, an excerpt), or with --json one JSON array of the API's message items.
The wait is a long poll, not a sleep loop: it ends the moment the last message lands.

Which messages count: by default every stored message, also those stored before the wait
started, so `./your-program; hookpit wait ...` cannot miss a message that landed first. Start
from an empty inbox (`hookpit clear`, or a fresh --data directory), or pass --since-start to
count only messages stored from now on (say, in a terminal before you trigger the sender by
hand), or --after ID to count only messages after one you have seen.

On a timeout the matches that did arrive are still printed, and stderr tells what else is stored
and which webhook calls the server refused (what a sender that ignores errcodes never says).

Examples:
  hookpit wait --contains \"deploy done\"                   # 30 s at most
  hookpit wait --key ci-key --msgtype markdown --timeout 10s
  hookpit wait --chatid wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw --count 3
  hookpit wait --key ci-key --json | jq -r '.[0].content.content'
  hookpit wait --since-start --contains \"nightly report\" --timeout 5m
  hookpit wait --after 41                                 # the next message after #41

Exit codes:
  0  the messages arrived (printed on stdout)
  2  invalid usage: bad flags, an unreadable --admin-token-file
  3  the server refused the request (a missing or wrong admin token)
  4  network failure: the server did not answer (is `hookpit serve` running?)
  5  timed out: what you waited for did not arrive";

/// `hookpit wait`.
#[derive(Debug, Args)]
#[command(after_help = WAIT_AFTER_HELP)]
pub struct WaitArgs {
    /// How many matching messages to wait for.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub count: u32,

    /// How long to wait at most, e.g. 10s, 2m, 500ms; 0 looks once.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,

    /// Count only messages stored after the wait starts (by default stored ones count too).
    #[arg(long, conflicts_with = "after")]
    pub since_start: bool,

    /// Count only messages with an id above ID (ids are printed as #ID).
    #[arg(long, value_name = "ID")]
    pub after: Option<i64>,

    /// Print the messages as one JSON array of the API's message items.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

pub const MESSAGES_AFTER_HELP: &str = "\
Lists the stored messages, newest first: one line per message (#id, time, chat, bot, type, an
excerpt), or with --json one JSON array of the API's message items.

Examples:
  hookpit messages                                  # the newest 50
  hookpit messages --chatid wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw --msgtype text --limit 5
  hookpit messages --contains disk --json | jq '.[0].lints'
  hookpit messages --base http://10.0.0.5:8765 --admin-token-file /run/secrets/hookpit

Exit codes:
  0  success, also when nothing matches
  2  invalid usage: bad flags, an unreadable --admin-token-file
  3  the server refused the request (a missing or wrong admin token)
  4  network failure: the server did not answer (is `hookpit serve` running?)";

/// `hookpit messages`.
#[derive(Debug, Args)]
#[command(after_help = MESSAGES_AFTER_HELP)]
pub struct MessagesArgs {
    /// At most this many messages, the newest.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,

    /// Print the messages as one JSON array of the API's message items.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub server: ServerArgs,
}

pub const CLEAR_AFTER_HELP: &str = "\
Deletes every message the server stores, with the requests and pictures behind them; bots,
chats and users stay. Message ids are never reused, so a `wait --after ID` still works across a
clear. Says how many were deleted on stderr, or prints {\"deleted\": N} with --json.

Examples:
  hookpit clear
  hookpit clear --base http://127.0.0.1:9000 --json

Exit codes:
  0  success
  2  invalid usage: bad flags, an unreadable --admin-token-file
  3  the server refused the request (a missing or wrong admin token)
  4  network failure: the server did not answer (is `hookpit serve` running?)";

/// `hookpit clear`.
#[derive(Debug, Args)]
#[command(after_help = CLEAR_AFTER_HELP)]
pub struct ClearArgs {
    /// Print {"deleted": N} on stdout.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub server: ServerArgs,
}
