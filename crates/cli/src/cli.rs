//! The command line: every subcommand, flag and help text of `hookpit`, as clap derive types.
//!
//! Only parsing lives here; what each command does is in its own module. The help is meant to
//! teach: each command ends with examples and the exit codes, so `--help` is enough to start.
//! The larger commands have their flags in submodules: `serve` (every setting of the server),
//! `send` (the bot, the envelope, one subcommand per message type) and `inbox` (`wait`,
//! `messages`, `clear`).

mod inbox;
mod send;
mod serve;

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use inbox::{ClearArgs, FilterArgs, MessagesArgs, ServerArgs, WaitArgs};
pub use send::{EnvelopeArgs, MarkdownSource, MessageCommand, NewsArgs, SendArgs, Target};
pub use serve::{LogFormat, ServeArgs};

/// The exit codes, shown at the end of the main `--help` (they are [`crate::report::ExitCode`]);
/// each command's help lists those it can exit with.
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0  success
  1  any other failure (the server could not start, lints with --deny-warnings, not ready)
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

/// `hookpit --version`: the crate's version and the git commit of the build (`unknown` outside
/// a git checkout), so a bug report names the exact build.
pub fn version() -> &'static str {
    static VERSION: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{} ({})",
            env!("CARGO_PKG_VERSION"),
            hookpit_server::GIT_COMMIT
        )
    });
    VERSION.as_str()
}

/// Hookpit: a self-hosted WeCom (企业微信) message-push webhook server, and a client for any
/// WeCom bot.
#[derive(Debug, Parser)]
#[command(name = "hookpit", version = version(), after_help = MAIN_AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// The server's settings make `Serve` far larger than the other variants; a `Command` is parsed
// once per process and moved once, so boxing it would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Hookpit server: WeCom's webhook endpoints, the /api/v1 API and the web inbox.
    ///
    /// Prints the demo bot's webhook URL and the inbox URL, then serves until Ctrl-C or SIGTERM.
    #[command(
        after_help = "Examples:\n  hookpit serve\n  hookpit serve --listen 127.0.0.1:9000 --data /var/lib/hookpit --limits public"
    )]
    Serve(ServeArgs),
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
    /// Run the store's migrations and exit: a deploy step before starting instances of a new
    /// version (`serve` runs them too, one instance at a time).
    #[command(after_help = MIGRATE_AFTER_HELP)]
    Migrate(MigrateArgs),
    /// Exit 0 when a Hookpit's /readyz answers 200, else 1: a container's health check.
    #[command(after_help = READYZ_AFTER_HELP)]
    Readyz(ReadyzArgs),
    /// Print a shell's completion script for hookpit.
    #[command(after_help = COMPLETIONS_AFTER_HELP)]
    Completions(CompletionsArgs),
    /// Print hookpit's man page (roff), or a command's.
    #[command(after_help = MAN_AFTER_HELP)]
    Man(ManArgs),
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
        default_value = hookpit_server::config::DEFAULT_DATA
    )]
    pub data: PathBuf,
}

const MIGRATE_AFTER_HELP: &str = "Examples:
  hookpit migrate --data /var/lib/hookpit
  HOOKPIT_DATABASE=postgres://hookpit@db.internal/hookpit hookpit migrate";

/// `hookpit migrate`.
#[derive(Args)]
pub struct MigrateArgs {
    /// The data directory (as `serve --data`): the SQLite store, or this instance's local files
    /// with --database.
    #[arg(
        long = "data",
        env = "HOOKPIT_DATA",
        value_name = "DIR",
        default_value = hookpit_server::config::DEFAULT_DATA
    )]
    pub data: PathBuf,

    /// The PostgreSQL database to migrate (as `serve --database`).
    #[arg(
        long,
        env = "HOOKPIT_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
}

impl std::fmt::Debug for MigrateArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrateArgs")
            .field("data", &self.data)
            .field(
                "database",
                &self
                    .database
                    .as_deref()
                    .map(hookpit_server::config::redact_password),
            )
            .finish()
    }
}

const READYZ_AFTER_HELP: &str = "\
Without --url, it asks the address `hookpit serve` would listen on, read from the same
environment: HOOKPIT_METRICS_LISTEN when set (it needs no admin token), else HOOKPIT_LISTEN, else
127.0.0.1:8765. An unspecified address such as 0.0.0.0 is asked on loopback.

Examples:
  hookpit readyz
  hookpit readyz --url http://127.0.0.1:9000
  HEALTHCHECK --interval=10s --timeout=6s CMD [\"hookpit\", \"readyz\"]     # in a Dockerfile

Exit codes:
  0  ready: /readyz answered 200
  1  not ready: no answer within --timeout, or another status (Docker's \"unhealthy\")
  2  invalid usage";

/// `hookpit readyz`.
#[derive(Args)]
pub struct ReadyzArgs {
    /// The server's base URL (e.g. http://127.0.0.1:8765), or the whole URL of its /readyz.
    #[arg(long, env = "HOOKPIT_READYZ_URL", value_name = "URL")]
    pub url: Option<String>,

    /// The admin token of a server started with --admin-token (its /readyz on the main address
    /// needs it; the --metrics-listen address does not).
    #[arg(
        long,
        env = "HOOKPIT_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,

    /// Read the admin token from this file (its first line); --admin-token wins when both are
    /// set.
    #[arg(long, env = "HOOKPIT_ADMIN_TOKEN_FILE", value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,

    /// How long to wait for the answer.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

impl std::fmt::Debug for ReadyzArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The admin token opens the whole API: never print it.
        f.debug_struct("ReadyzArgs")
            .field("url", &self.url)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "[redacted]"),
            )
            .field("admin_token_file", &self.admin_token_file)
            .field("timeout", &self.timeout)
            .finish()
    }
}

const COMPLETIONS_AFTER_HELP: &str = "\
Examples:
  hookpit completions bash > ~/.local/share/bash-completion/completions/hookpit
  hookpit completions zsh > \"${fpath[1]}/_hookpit\"
  hookpit completions fish > ~/.config/fish/completions/hookpit.fish";

/// `hookpit completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

const MAN_AFTER_HELP: &str = "\
Examples:
  hookpit man | man -l -
  hookpit man > /usr/local/share/man/man1/hookpit.1
  hookpit man send > /usr/local/share/man/man1/hookpit-send.1";

/// `hookpit man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command whose page to print (`send`, `serve`, ...); the main page when absent.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

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
