//! Running the binary and a Hookpit for it to talk to.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use hookpit_client::{RetryPolicy, SendRequest, Webhook};
use hookpit_server::config::ExtraUploadType;
use hookpit_server::testing::{Relaunch, Sandbox};
use hookpit_server::{Config, RunningServer};
use serde_json::Value;
use tempfile::TempDir;

/// What one run of the binary did.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Exit code, stdout and stderr in one text, for a snapshot.
    pub fn snapshot(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `hookpit ARGS` with `stdin` piped in, in `dir`, with a clean environment.
pub fn run_in(dir: &Path, args: &[&str], stdin: &str) -> Output {
    run_in_env(dir, args, stdin, &[])
}

/// [`run_in`] with these environment variables set.
pub fn run_in_env(dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = command(dir, args, env)
        .spawn()
        .expect("the hookpit binary runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("write stdin");
    }
    let output = child.wait_with_output().expect("hookpit finishes");
    Output::of(&output)
}

/// `hookpit ARGS` in `dir` with a clean environment plus `env`, all three streams piped.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookpit"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("HOOKPIT_WEBHOOK")
        .env_remove("HOOKPIT_KEY")
        .env_remove("HOOKPIT_BASE")
        .env_remove("HOOKPIT_ADMIN_TOKEN")
        .env_remove("HOOKPIT_ADMIN_TOKEN_FILE")
        .env_remove("HOOKPIT_LISTEN")
        .env_remove("HOOKPIT_METRICS_LISTEN")
        .env_remove("HOOKPIT_READYZ_URL")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

impl Output {
    pub fn of(output: &std::process::Output) -> Output {
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A Hookpit for the binary to send to (the shared [`Sandbox`], image uploads allowed), with a
/// scratch directory for input files.
pub struct TestServer {
    pub server: RunningServer,
    pub dir: TempDir,
    // Holds the sandbox's data directory (removed on drop).
    _data: Relaunch,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::with(|_| {}).await
    }

    pub async fn with(configure: impl FnOnce(&mut Config)) -> TestServer {
        let sandbox = Sandbox::start_with(|config| {
            config.upload_types = vec![ExtraUploadType::Image];
            configure(config);
        })
        .await;
        let (server, data) = sandbox.split();
        TestServer {
            server,
            dir: tempfile::tempdir().expect("temp dir"),
            _data: data,
        }
    }

    /// Writes a file into the scratch directory.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) {
        std::fs::write(self.dir.path().join(name), contents).expect("write input file");
    }

    /// Runs `hookpit ARGS` in the scratch directory on a blocking thread (the server keeps
    /// serving on the runtime), and redacts its output.
    pub async fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.run_env(args, stdin, &[]).await
    }

    /// [`TestServer::run`] with these environment variables set.
    pub async fn run_env(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let dir = self.dir.path().to_owned();
        let owned =
            |pairs: &[&str]| -> Vec<String> { pairs.iter().map(|s| (*s).to_owned()).collect() };
        let args = owned(args);
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        let stdin = stdin.to_owned();
        let output = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let env: Vec<(&str, &str)> = env
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect();
            run_in_env(&dir, &args, &stdin, &env)
        })
        .await
        .expect("the run finishes");
        self.redact(output)
    }

    /// Sends `request` as the demo bot (through the SDK, without retries).
    pub async fn send(&self, request: impl Into<SendRequest>) {
        Webhook::new(self.server.demo_key())
            .base_url(self.server.base_url())
            .retry(RetryPolicy::none())
            .send(request)
            .await
            .expect("the demo bot sends");
    }

    /// Sends `body` unchecked as the demo bot, for the server to refuse with `errcode`.
    pub async fn send_refused(&self, body: &str, errcode: i64) {
        let error = Webhook::new(self.server.demo_key())
            .base_url(self.server.base_url())
            .retry(RetryPolicy::none())
            .validate(false)
            .send_raw(body)
            .await
            .expect_err("the server refuses it");
        assert_eq!(error.code(), Some(errcode), "{error}");
    }

    /// The demo bot's webhook URL.
    pub fn webhook(&self) -> String {
        self.server.webhook_url()
    }

    /// Replaces what changes from run to run: the address, the key, errmsg hints, the
    /// scratch directory, times and request ids.
    pub fn redact(&self, output: Output) -> Output {
        let clean = |text: String| {
            let text = text
                .replace(self.server.demo_key(), "[KEY]")
                .replace(&mask(self.server.demo_key()), "[KEY…]")
                .replace(self.server.base_url(), "[BASE]")
                .replace(&self.dir.path().display().to_string(), "[DIR]");
            redact_request_ids(&redact_times(&redact_hints(&text)))
        };
        Output {
            code: output.code,
            stdout: clean(output.stdout),
            stderr: clean(output.stderr),
        }
    }

    /// The messages the demo bot delivered to `chatid`, oldest first.
    pub async fn messages(&self, chatid: &str) -> Vec<Value> {
        let url = format!("{}/api/v1/messages", self.server.base_url());
        let page: Value = reqwest::Client::new()
            .get(url)
            .query(&[("key", self.server.demo_key()), ("chatid", chatid)])
            .send()
            .await
            .expect("list messages")
            .json()
            .await
            .expect("message list is JSON");
        let mut messages = page["messages"].as_array().cloned().unwrap_or_default();
        messages.reverse();
        messages
    }
}

/// A key as the server masks it: its first 4 characters and `…`.
fn mask(key: &str) -> String {
    let shown: String = key.chars().take(4).collect();
    format!("{shown}…")
}

/// RFC 3339 times with milliseconds (`2025-01-06T11:22:39.128Z`) → `[TIME]`.
pub fn redact_times(text: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd.dddZ";
    let fits = |window: &[u8]| {
        window.iter().zip(SHAPE).all(|(byte, shape)| match shape {
            b'd' => byte.is_ascii_digit(),
            other => byte == other,
        })
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut copied = 0;
    while at + SHAPE.len() <= bytes.len() {
        if fits(&bytes[at..at + SHAPE.len()]) {
            out.push_str(&text[copied..at]);
            out.push_str("[TIME]");
            at += SHAPE.len();
            copied = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The value of every `"request_id": "..."` → `[REQUEST_ID]` (they are UUIDv7s).
pub fn redact_request_ids(text: &str) -> String {
    const FIELD: &str = "\"request_id\": \"";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(FIELD) {
        let (before, after) = rest.split_at(at + FIELD.len());
        out.push_str(before);
        match after.find('"') {
            Some(end) if end > 0 => {
                out.push_str("[REQUEST_ID]");
                rest = &after[end..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// `hint: [<25 digits>]` → `hint: [HINT]`: the digits are a timestamp and a random tail.
pub fn redact_hints(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("hint: [") {
        let (before, after) = rest.split_at(at + "hint: [".len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(']') {
            out.push_str("HINT");
            rest = &after[digits..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The group of the official examples, which the demo bot is in.
pub const GROUP: &str = "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw";

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// An AMR-NB voice of `frames` 20 ms frames.
pub fn amr(frames: usize) -> Vec<u8> {
    let mut bytes = b"#!AMR\n".to_vec();
    for _ in 0..frames {
        bytes.push(7 << 3 | 0b100);
        bytes.extend_from_slice(&[0_u8; 31]);
    }
    bytes
}
