//! How a failure is told: the exit code and the lines on stderr, with a hint for the common
//! causes.
//!
//! One table at the edge: every command returns a [`Failure`], and only `main` prints it and
//! exits. Diagnostics go to stderr so that stdout carries only data (`--json` replies, media ids,
//! messages).

use std::fmt::Write as _;
use std::time::Duration;

use hookpit_client::{Error, InboxError};

/// The process exit codes, documented at the end of `--help` (`cli::exit_codes!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Anything not covered below: the server could not start, lints with `--deny-warnings`.
    Other = 1,
    /// Invalid input or usage (also what clap uses for a bad command line).
    Invalid = 2,
    /// The server refused: a non-zero errcode, or an `/api/v1` error (a wrong admin token).
    Api = 3,
    /// No reply was read.
    Network = 4,
    /// `hookpit wait`: what it waited for did not arrive in time.
    TimedOut = 5,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

/// A failed command: what to print and how to exit.
#[derive(Debug)]
pub struct Failure {
    pub code: ExitCode,
    /// The message after `error: `, with its causes.
    pub message: String,
    /// Lines printed after the error, as they are (what did arrive instead, ...).
    pub details: Vec<String>,
    /// Advice for the common causes, printed after `hint: `.
    pub hint: Option<String>,
}

impl Failure {
    /// Invalid input: a file that cannot be read, JSON that does not parse, a bad flag value.
    pub fn invalid(message: impl Into<String>) -> Failure {
        Failure {
            code: ExitCode::Invalid,
            message: message.into(),
            details: Vec::new(),
            hint: None,
        }
    }

    /// Any other failure (exit 1).
    pub fn other(message: impl Into<String>) -> Failure {
        Failure {
            code: ExitCode::Other,
            message: message.into(),
            details: Vec::new(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }

    /// The stderr text: `error: ...`, the details, and, when there is one, `hint: ...`.
    pub fn render(&self) -> String {
        let mut out = format!("error: {}\n", self.message);
        for line in &self.details {
            let _ = writeln!(out, "{line}");
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "hint: {hint}");
        }
        out
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::of_call(error, None)
    }
}

impl Failure {
    /// The failure of a call to a bot made with `timeout` (`--timeout`), which the hint of a
    /// timeout names.
    pub fn of_call(error: Error, timeout: impl Into<Option<Duration>>) -> Failure {
        let code = match &error {
            Error::Api { .. } => ExitCode::Api,
            Error::Network { .. }
            | Error::Stalled { .. }
            | Error::Status { .. }
            | Error::Reply { .. } => ExitCode::Network,
            _ => ExitCode::Invalid,
        };
        let hint = match &error {
            Error::Api { .. } | Error::Invalid(_) => error.code().and_then(hint_for),
            Error::Network { url, source } => Some(network_hint(url, source, timeout.into())),
            Error::Stalled { idle, .. } => Some(format!(
                "nothing moved for {}: the link stalled, or the server stopped reading. An \
                 upload has no overall time limit, only this one: on a very slow link, raise \
                 --timeout",
                humantime::format_duration(*idle)
            )),
            Error::Status { .. } | Error::Reply { .. } => Some(
                "the URL answered, but not as a WeCom webhook does: check the base URL".to_owned(),
            ),
            Error::Url { .. } => Some(
                "--webhook takes the whole URL, e.g. \
                 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY"
                    .to_owned(),
            ),
            _ => None,
        };
        Failure {
            code,
            message: chain(&error),
            details: Vec::new(),
            hint,
        }
    }
}

impl From<InboxError> for Failure {
    fn from(error: InboxError) -> Failure {
        let (code, hint) = match &error {
            InboxError::TimedOut { .. } => (ExitCode::TimedOut, None),
            InboxError::Api { status: 401, .. } => (
                ExitCode::Api,
                Some(
                    "pass the server's admin token with --admin-token, HOOKPIT_ADMIN_TOKEN or \
                     --admin-token-file",
                ),
            ),
            InboxError::Api { status: 403, .. } => (
                ExitCode::Api,
                Some(
                    "a server without --admin-token answers its own machine only: run this \
                     there, or start the server with --admin-token",
                ),
            ),
            InboxError::Api { .. } => (ExitCode::Api, None),
            InboxError::Network(_) => (
                ExitCode::Network,
                Some(
                    "check --base (default http://127.0.0.1:8765, or HOOKPIT_BASE) and that \
                     `hookpit serve` is running",
                ),
            ),
            InboxError::Url { .. } => (
                ExitCode::Invalid,
                Some("--base takes the server's http(s) URL, e.g. http://127.0.0.1:8765"),
            ),
            _ => (
                ExitCode::Network,
                Some(
                    "the URL answered, but not as Hookpit's API does: --base takes the \
                     server's base URL, e.g. http://127.0.0.1:8765",
                ),
            ),
        };
        Failure {
            code,
            message: chain(&error),
            details: Vec::new(),
            hint: hint.map(str::to_owned),
        }
    }
}

/// What a network failure means, from what reqwest says of it: the advice differs between
/// nothing listening, a name that does not resolve, a timeout and a connection cut mid-way.
fn network_hint(url: &str, source: &reqwest::Error, timeout: Option<Duration>) -> String {
    let place = reqwest::Url::parse(url).ok().map_or_else(
        || "the server".to_owned(),
        |url| {
            let host = url.host_str().unwrap_or("the server").to_owned();
            match url.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            }
        },
    );
    if source.is_timeout() {
        let within = timeout.map_or_else(
            || "the timeout".to_owned(),
            |timeout| humantime::format_duration(timeout).to_string(),
        );
        return format!(
            "{place} did not answer within {within} (--timeout): it is slow or overloaded, or \
             the network drops the packets. The message may still have been delivered"
        );
    }
    let causes = chain(source);
    if source.is_connect() {
        if refused(source) {
            return format!(
                "nothing is listening at {place}: check the base URL, and that the server is \
                 running (`hookpit serve` prints its webhook URL)"
            );
        }
        if causes.contains("dns error") {
            return format!("the name of {place} does not resolve: check the base URL");
        }
        if causes.contains("certificate") || causes.contains("tls") {
            return format!(
                "the TLS handshake with {place} failed: a proxy or Hookpit's own CA needs to be \
                 trusted, or the base URL should be http://"
            );
        }
        return format!(
            "cannot connect to {place}: check the base URL and the network (HTTPS_PROXY is \
             honoured)"
        );
    }
    format!(
        "the connection to {place} broke before a reply was read: the server closed it or \
         crashed. The message may or may not have been delivered"
    )
}

/// Whether the connection was refused: nothing listens on that port.
fn refused(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// `error` and its causes, joined with `: ` (anyhow's `{:#}` format).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        // A cause whose text its error already spells out (`"database error: {0}"`) once.
        let said = cause.to_string();
        if !message.ends_with(&said) {
            let _ = write!(message, ": {said}");
        }
        source = cause.source();
    }
    message
}

/// Advice for the errcodes people meet most.
pub fn hint_for(code: i64) -> Option<String> {
    let hint = match code {
        93000 => {
            "the key is unknown or the bot was removed. Pass the key, not the whole URL: \
             --key takes the part after `key=` (or use --webhook with the whole URL)"
        }
        45009 => {
            "rate limit: WeCom takes 20 messages per minute per bot (public document; 100 per \
             chat in the internal one). Wait a minute, send less often, or raise --retries"
        }
        45033 => "the same body is already being sent: wait for the first request to finish",
        40058 => {
            "a field is too long or malformed (the errmsg names it): text ≤ 5120 bytes, markdown \
             ≤ 4096 bytes of UTF-8. Long text or markdown can go out as several messages with \
             --split"
        }
        40008 => "the body must be JSON with a msgtype WeCom knows, in lowercase",
        44004 => "the content is empty",
        44001 => "the picture or file is empty",
        301019 => "image.md5 must be the md5 of the picture bytes (before base64)",
        40007 => {
            "the media_id is unknown, expired (3 days) or another bot's: upload the file again \
             with the same key"
        }
        40009 => "the picture is over 2 MB",
        40004 => {
            "the file is not of its --type: a voice must be AMR (ffmpeg -i in.mp3 -ar 8000 -ac 1 out.amr)"
        }
        45001 => "the file is too big: 20 MB for a file, 2 MB for a voice",
        45007 => "a voice plays at most 60 seconds",
        40005 => {
            "a picture must be JPG or PNG, and an upload's --type one the server takes: WeCom's \
             public bots take file and voice; image (a mini-program cover) and video are of its \
             internal document, which a Hookpit takes when started with \
             `hookpit serve --upload-types image` (or image,video)"
        }
        -1 => "WeCom's transient system error: try again",
        _ => return None,
    };
    Some(hint.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_error_exits_3_with_the_hint_of_its_code() {
        let failure = Failure::from(Error::Api {
            code: 93000,
            errmsg: "invalid webhook url".to_owned(),
        });
        assert_eq!(failure.code, ExitCode::Api);
        assert!(
            failure
                .render()
                .contains("hint: the key is unknown or the bot was removed. Pass the key")
        );
    }

    #[test]
    fn a_locally_refused_message_exits_2_with_the_same_hint() {
        let failure = Failure::from(Error::Invalid(
            hookpit_client::protocol::ErrorCode::exceed_max_length("markdown.content", 4096),
        ));
        assert_eq!(failure.code, ExitCode::Invalid);
        assert_eq!(failure.hint, hint_for(40058));
    }

    #[test]
    fn unknown_codes_have_no_hint() {
        assert_eq!(hint_for(12345), None);
    }
}
