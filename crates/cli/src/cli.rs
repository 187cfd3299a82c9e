//! The command line: every subcommand, flag and help text of `hookpit`, as clap derive types.
//!
//! Only parsing lives here; what each command does is in its own module. The help is meant to
//! teach: each command ends with examples and the exit codes, so `--help` is enough to start.
//! The inbox commands (`wait`, `messages`, `clear`) have theirs in `cli/inbox.rs`.

mod inbox;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use inbox::{ClearArgs, FilterArgs, MessagesArgs, ServerArgs, WaitArgs};

/// The exit codes, shown at the end of the main `--help` (they are [`crate::report::ExitCode`]);
/// each command's help lists those it can exit with.
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0  success
  1  any other failure (the server could not start, lints with --deny-warnings)
  2  invalid input or usage: bad flags, unreadable file, a message WeCom would refuse
  3  the server refused: a non-zero errcode (printed with its errmsg and a hint), or an inbox
     API error such as a wrong admin token
  4  network failure: no reply was read (DNS, connect, timeout, HTTP error)
  5  timed out: what `hookpit wait` waited for did not arrive"
    };
}

const MAIN_AFTER_HELP: &str = concat!(
    "Examples:
  hookpit serve                                   # a local WeCom stand-in with a web inbox
  hookpit send --webhook \"$URL\" text \"deploy done\"
  export HOOKPIT_WEBHOOK='http://127.0.0.1:8765/cgi-bin/webhook/send?key=KEY'
  hookpit send markdown report.md --split
  hookpit lint message.json
  hookpit wait --contains \"deploy done\" --timeout 10s  # in CI: assert what was sent
  hookpit messages --json

",
    exit_codes!()
);

/// Hookpit: a self-hosted WeCom (企业微信) message-push webhook server, and a client for any
/// WeCom bot.
#[derive(Debug, Parser)]
#[command(name = "hookpit", version, after_help = MAIN_AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// The server's `Config` makes `Serve` far larger than the other variants; a `Command` is
// parsed once per process and moved once, so boxing it would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Hookpit server: WeCom's webhook endpoints, the /api/v1 API and the web inbox.
    ///
    /// Prints the demo bot's webhook URL and the inbox URL, then serves until Ctrl-C or SIGTERM.
    #[command(
        after_help = "Examples:\n  hookpit serve\n  hookpit serve --listen 127.0.0.1:9000 --data /var/lib/hookpit --limits public"
    )]
    Serve(hookpit_server::Config),
    /// Send a message to a bot (real WeCom or a Hookpit).
    Send(SendArgs),
    /// Upload a file or voice and print its media_id (valid 3 days, for this bot only).
    #[command(after_help = UPLOAD_AFTER_HELP)]
    Upload(UploadArgs),
    /// Check a message file offline: WeCom's validation errors and how it would display.
    #[command(after_help = LINT_AFTER_HELP)]
    Lint(LintArgs),
    /// Wait until a Hookpit has stored the messages you expect, and print them.
    Wait(WaitArgs),
    /// List the messages a Hookpit has stored, newest first.
    Messages(MessagesArgs),
    /// Delete every message a Hookpit has stored.
    Clear(ClearArgs),
    /// Print Hookpit's CA certificate (PEM), creating the CA if missing: trust it in a sender
    /// to capture its https://qyapi.weixin.qq.com calls (`serve --proxy-listen`/`--tls-listen`).
    #[command(after_help = CA_AFTER_HELP)]
    Ca(CaArgs),
}

const CA_AFTER_HELP: &str = "Examples:
  hookpit ca > hookpit-ca.pem
  hookpit serve --proxy-listen 127.0.0.1:8766 &
  HTTPS_PROXY=http://127.0.0.1:8766 REQUESTS_CA_BUNDLE=hookpit-ca.pem python3 my_alerts.py
  curl -x http://127.0.0.1:8766 --cacert hookpit-ca.pem -d @msg.json \"$WECOM_WEBHOOK_URL\"

The CA lives in DIR/ca/ (its private key readable by you only). Trust it only where you run
Hookpit: whoever holds the key can impersonate any host to machines that trust the CA.";

/// `hookpit ca`.
#[derive(Debug, Args)]
pub struct CaArgs {
    /// The data directory of the Hookpit whose CA this is (as `serve --data`).
    #[arg(
        long = "data",
        env = "HOOKPIT_DATA",
        value_name = "DIR",
        default_value = "./hookpit-data"
    )]
    pub data: PathBuf,
}

/// Which bot to talk to, and how.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection options")]
pub struct Target {
    /// The bot's full webhook URL, as WeCom shows it (…/cgi-bin/webhook/send?key=KEY).
    #[arg(
        long,
        env = "HOOKPIT_WEBHOOK",
        value_name = "URL",
        global = true,
        hide_env_values = true
    )]
    pub webhook: Option<String>,

    /// The bot's key (the part after `key=`), instead of --webhook.
    #[arg(
        long,
        env = "HOOKPIT_KEY",
        value_name = "KEY",
        global = true,
        hide_env_values = true
    )]
    pub key: Option<String>,

    /// With --key: the server's base URL.
    #[arg(
        long,
        env = "HOOKPIT_BASE",
        value_name = "URL",
        global = true,
        default_value = hookpit_client::DEFAULT_BASE_URL
    )]
    pub base: String,

    /// Print the server's JSON reply on stdout (one line per message sent).
    #[arg(long, global = true)]
    pub json: bool,

    /// Skip the local check of WeCom's rules and let the server judge the request.
    #[arg(long, global = true)]
    pub no_validate: bool,

    /// Retries on 45009, -1, network errors and HTTP 5xx, with exponential backoff. A retry
    /// after a timeout can deliver a message twice.
    #[arg(long, value_name = "N", default_value_t = 2, global = true)]
    pub retries: u32,

    /// Time allowed for each attempt of a send, e.g. 10s. An upload may take longer: it fails
    /// only after this long without progress.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration, global = true)]
    pub timeout: std::time::Duration,
}

const SEND_AFTER_HELP: &str = "\
The bot comes from --webhook URL, or --key KEY [--base URL], or $HOOKPIT_WEBHOOK.
Every flag may come before or after the message type.

Examples:
  hookpit send --webhook \"$URL\" text \"build #42 failed\" --mention zhangsan
  echo \"disk almost full\" | hookpit send text --mention-mobile 13800001111
  hookpit send markdown report.md --split            # several messages if over 4096 bytes
  hookpit send markdown --content \"**bold** <font color=\\\"info\\\">green</font>\"
  hookpit send image chart.png --chatid wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw
  hookpit send news --title \"Release 2.0\" --url https://example.com/r --description \"What's new\"
  hookpit send file build.log
  hookpit send card alert-card.json
  hookpit send raw request.json --json
  hookpit send --key KEY --base http://127.0.0.1:8765 text hello

Exit codes:
  0  success
  2  invalid input or usage: bad flags, unreadable file, a message WeCom would refuse
  3  the server answered with a non-zero errcode (printed with its errmsg and a hint)
  4  network failure: no WeCom reply was read (DNS, connect, timeout, HTTP error)";

/// `hookpit send`.
#[derive(Debug, Args)]
#[command(after_help = SEND_AFTER_HELP)]
pub struct SendArgs {
    #[command(flatten)]
    pub target: Target,

    #[command(flatten)]
    pub envelope: EnvelopeArgs,

    /// Send text or markdown that is too long as several messages, cut between lines without
    /// breaking code blocks or tables (text is cut at the 2048 bytes WeCom displays).
    #[arg(long, global = true, help_heading = "Message options")]
    pub split: bool,

    #[command(subcommand)]
    pub message: MessageCommand,
}

/// The envelope fields every message type shares.
#[derive(Debug, Args)]
#[command(next_help_heading = "Message options")]
pub struct EnvelopeArgs {
    /// Where to send: a chat id, a userid, @all_group, @all_blackboard or @all (repeatable; up to
    /// 100). Default: the bot's group.
    #[arg(long, value_name = "ID", global = true)]
    pub chatid: Vec<String>,

    /// Only this member sees the message (repeatable); for one group or blackboard.
    #[arg(long, value_name = "USERID", global = true)]
    pub visible_to: Vec<String>,

    /// Reply to this blackboard post (text, markdown and image to one blackboard).
    #[arg(long, value_name = "ID", global = true)]
    pub post_id: Option<String>,
}

/// One subcommand per message type.
#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Plain text (≤ 5120 bytes; WeCom displays the first 2048), from the argument or stdin.
    Text(TextArgs),
    /// WeCom's markdown: bold, links, quotes, <font color>, <@userid> (≤ 4096 bytes).
    Markdown(MarkdownArgs),
    /// Fuller markdown: tables, lists, code blocks; no colours, no mentions (≤ 4096 bytes).
    #[command(name = "markdown-v2")]
    MarkdownV2(MarkdownV2Args),
    /// A JPG or PNG picture (≤ 2 MB); base64 and md5 are computed.
    Image(PathArg),
    /// One to eight link cards, from flags or a JSON file.
    #[command(after_help = NEWS_AFTER_HELP)]
    News(NewsArgs),
    /// A file (≤ 20 MB): uploaded, then sent.
    File(PathArg),
    /// An AMR voice (≤ 2 MB, ≤ 60 s): uploaded, then sent.
    Voice(PathArg),
    /// A template card (text_notice or news_notice) from a JSON file.
    #[command(after_help = CARD_AFTER_HELP)]
    Card(JsonFileArg),
    /// A whole request body from a JSON file, sent byte for byte (unless envelope flags or
    /// --split change it).
    Raw(JsonFileArg),
}

/// `send text`.
#[derive(Debug, Args)]
pub struct TextArgs {
    /// The text; read from stdin when absent or `-`.
    pub content: Option<String>,

    /// @-mention a member by userid; `@all` mentions everyone (repeatable).
    #[arg(long, value_name = "USERID")]
    pub mention: Vec<String>,

    /// @-mention a member by mobile number; `@all` mentions everyone (repeatable).
    #[arg(long, value_name = "MOBILE")]
    pub mention_mobile: Vec<String>,
}

/// Where markdown comes from: a file, inline, or stdin.
#[derive(Debug, Args)]
pub struct MarkdownSource {
    /// A markdown file; stdin when absent or `-`.
    #[arg(conflicts_with = "content")]
    pub file: Option<PathBuf>,

    /// The markdown itself, instead of a file.
    #[arg(long, value_name = "MARKDOWN")]
    pub content: Option<String>,
}

/// `send markdown`.
#[derive(Debug, Args)]
pub struct MarkdownArgs {
    #[command(flatten)]
    pub source: MarkdownSource,

    /// Show <@userid> mentions by short name.
    #[arg(long)]
    pub at_short_name: bool,
}

/// `send markdown-v2`.
#[derive(Debug, Args)]
pub struct MarkdownV2Args {
    #[command(flatten)]
    pub source: MarkdownSource,
}

/// A file to send.
#[derive(Debug, Args)]
pub struct PathArg {
    /// The file.
    pub path: PathBuf,
}

/// A JSON file, or stdin.
#[derive(Debug, Args)]
pub struct JsonFileArg {
    /// The JSON file; stdin when `-`.
    pub file: PathBuf,
}

const NEWS_AFTER_HELP: &str = "\
Each --title starts an article; --url, --description and --picurl that follow belong to it.
The JSON file holds {\"articles\": [...]} or just the array of articles.

Examples:
  hookpit send news --title \"中秋节礼品领取\" --url https://example.com/gifts \\
      --description \"今年中秋节公司有豪礼相送\" --picurl https://example.com/moon.png \\
      --title \"Second story\" --url https://example.com/2
  hookpit send news articles.json";

/// `send news`.
#[derive(Debug, Args)]
pub struct NewsArgs {
    /// A JSON file of articles, instead of the flags; stdin when `-`.
    #[arg(conflicts_with_all = ["title", "url", "description", "picurl"])]
    pub file: Option<PathBuf>,

    /// Starts an article with this title (≤ 128 bytes, longer is cut).
    #[arg(long, value_name = "TITLE")]
    pub title: Vec<String>,

    /// The click URL of the article (required).
    #[arg(long, value_name = "URL")]
    pub url: Vec<String>,

    /// The description of the article (≤ 512 bytes, longer is cut).
    #[arg(long, value_name = "TEXT")]
    pub description: Vec<String>,

    /// The picture URL of the article (JPG or PNG; 1068×455 and 150×150 look best).
    #[arg(long, value_name = "URL")]
    pub picurl: Vec<String>,
}

const CARD_AFTER_HELP: &str = "\
The file holds the template_card object, or a whole request whose msgtype is template_card.

Example card.json:
  {\"card_type\": \"text_notice\",
   \"main_title\": {\"title\": \"CPU over 90%\", \"desc\": \"web-1\"},
   \"card_action\": {\"type\": 1, \"url\": \"https://grafana.example.com\"}}";

const UPLOAD_AFTER_HELP: &str = "\
The file is streamed from disk (with a progress bar on a terminal), and may take as long as it
needs: it fails only when nothing moves for --timeout.

Examples:
  hookpit upload --webhook \"$URL\" build.log          # prints the media_id
  hookpit upload --type voice alert.amr --json       # prints the whole reply
  hookpit send --webhook \"$URL\" raw <(printf '{\"msgtype\":\"file\",\"file\":{\"media_id\":\"%s\"}}' \"$(hookpit upload build.log)\")

Exit codes:
  0  success
  2  invalid input or usage (unreadable file, a file WeCom would refuse)
  3  the server answered with a non-zero errcode
  4  network failure";

/// `hookpit upload`.
#[derive(Debug, Args)]
pub struct UploadArgs {
    #[command(flatten)]
    pub target: Target,

    /// What the upload is for: `file` or `voice` (AMR); `image` and `video` only on servers
    /// that enable WeCom's internal types.
    #[arg(long = "type", value_enum, default_value_t = UploadType::File)]
    pub kind: UploadType,

    /// The file to upload.
    pub path: PathBuf,
}

/// The `type` of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UploadType {
    File,
    Voice,
    Image,
    Video,
}

impl UploadType {
    /// The SDK's media kind.
    pub fn kind(self) -> hookpit_client::MediaKind {
        match self {
            UploadType::File => hookpit_client::MediaKind::File,
            UploadType::Voice => hookpit_client::MediaKind::Voice,
            UploadType::Image => hookpit_client::MediaKind::Image,
            UploadType::Video => hookpit_client::MediaKind::Video,
        }
    }
}

const LINT_AFTER_HELP: &str = "\
The file holds a whole request body, as it would be POSTed to /cgi-bin/webhook/send.
Nothing is sent. Errors are what WeCom would answer (errcode and errmsg); warnings explain how
WeCom would display the message (unsupported syntax, text cut for display, ...).

Examples:
  hookpit lint message.json
  some-generator | hookpit lint - --json

Exit codes:
  0  valid (warnings may be printed)
  1  valid, but with warnings and --deny-warnings
  2  invalid: WeCom would refuse it, or the file cannot be read";

/// `hookpit lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// The request file; stdin when `-`.
    pub file: PathBuf,

    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// Exit with 1 when there are warnings.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn envelope_flags_may_follow_the_message_type() {
        let cli = Cli::try_parse_from([
            "hookpit", "send", "--key", "k", "text", "hi", "--chatid", "a", "--chatid", "b",
            "--json",
        ])
        .unwrap();
        let Command::Send(send) = cli.command else {
            panic!("not send")
        };
        assert_eq!(send.envelope.chatid, ["a", "b"]);
        assert!(send.target.json);
    }

    #[test]
    fn msgtype_takes_the_wire_names_only() {
        let cli = Cli::try_parse_from(["hookpit", "wait", "--msgtype", "markdown_v2"]).unwrap();
        let Command::Wait(wait) = cli.command else {
            panic!("not wait")
        };
        assert_eq!(
            wait.filter.msgtype,
            Some(hookpit_client::protocol::MsgType::MarkdownV2)
        );
        assert!(Cli::try_parse_from(["hookpit", "wait", "--msgtype", "Text"]).is_err());
    }

    #[test]
    fn the_admin_token_is_redacted_in_debug_output() {
        let cli = Cli::try_parse_from(["hookpit", "clear", "--admin-token", "s3cret"]).unwrap();
        let debug = format!("{cli:?}");
        assert!(
            !debug.contains("s3cret") && debug.contains("[redacted]"),
            "{debug}"
        );
    }

    #[test]
    fn since_start_and_after_exclude_each_other() {
        let both = Cli::try_parse_from(["hookpit", "wait", "--since-start", "--after", "4"]);
        assert!(both.is_err());
    }
}
