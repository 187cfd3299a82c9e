//! Running the binary and a Hookpit for it to talk to.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use hookpit_server::config::ExtraUploadType;
use hookpit_server::{Config, RunningServer, Server};
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookpit"))
        .args(args)
        .current_dir(dir)
        .env_remove("HOOKPIT_WEBHOOK")
        .env_remove("HOOKPIT_KEY")
        .env_remove("HOOKPIT_BASE")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hookpit binary runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("write stdin");
    }
    let output = child.wait_with_output().expect("hookpit finishes");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A Hookpit for the binary to send to, with a scratch directory for input files.
pub struct TestServer {
    pub server: RunningServer,
    pub dir: TempDir,
    _data: TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::with(|_| {}).await
    }

    pub async fn with(configure: impl FnOnce(&mut Config)) -> TestServer {
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = Config::new(data.path());
        config.upload_types = vec![ExtraUploadType::Image];
        configure(&mut config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let server = Server::builder(config)
            .listener(listener)
            .start()
            .await
            .expect("server starts");
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
        let dir = self.dir.path().to_owned();
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        let stdin = stdin.to_owned();
        let output = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_in(&dir, &args, &stdin)
        })
        .await
        .expect("the run finishes");
        self.redact(output)
    }

    /// The demo bot's webhook URL.
    pub fn webhook(&self) -> String {
        self.server.webhook_url()
    }

    /// Replaces what changes from run to run: the address, the key, errmsg hints, the
    /// scratch directory.
    fn redact(&self, output: Output) -> Output {
        let clean = |text: String| {
            let text = text
                .replace(self.server.demo_key(), "[KEY]")
                .replace(self.server.base_url(), "[BASE]")
                .replace(&self.dir.path().display().to_string(), "[DIR]");
            redact_hints(&text)
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
