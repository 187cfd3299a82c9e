//! What `hookpit send` and `hookpit upload` say when the network fails: the URL with its key
//! masked (never the key), a hint that says what happened, the retry warnings, and uploads
//! streamed from disk with a no-progress rule instead of an overall timeout.

use std::net::TcpListener;
use std::time::Duration;

use insta::assert_snapshot;
use serde_json::json;

use crate::helpers::{Output, TestServer, run_in};

const KEY: &str = "693a91f6-7e2b-4c11-secret-key";

/// A port nothing listens on: bound, then dropped.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A server that accepts connections and then neither reads nor answers, with a small receive
/// buffer so that an upload to it stalls early. Kept alive by the returned socket.
fn black_hole() -> (tokio::net::TcpListener, u16) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(16).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// Holds every connection `listener` accepts, open and unread, until the test ends.
fn swallow(listener: tokio::net::TcpListener) {
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
}

/// Runs `hookpit ARGS` in a temp dir off the runtime (which keeps serving the stubs).
async fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    let dir = dir.to_owned();
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_in(&dir, &args, "")
    })
    .await
    .unwrap()
}

/// `port` → `[PORT]`, and the jittered wait of each retry warning → `[DELAY]`.
fn redact(text: &str, port: Option<u16>) -> String {
    let text = match port {
        Some(port) => text.replace(&format!(":{port}"), ":[PORT]"),
        None => text.to_owned(),
    };
    text.lines()
        .map(|line| match line.rsplit_once("; retry ") {
            Some((before, retry)) => match retry.rsplit_once(" in ") {
                Some((count, _)) => format!("{before}; retry {count} in [DELAY]\n"),
                None => format!("{line}\n"),
            },
            None => format!("{line}\n"),
        })
        .collect()
}

fn snapshot(output: &Output, port: u16) -> String {
    assert!(!output.stderr.contains(KEY) && !output.stderr.contains("secret"));
    assert!(!output.stdout.contains("secret"));
    redact(&output.snapshot(), Some(port))
}

#[tokio::test]
async fn nothing_listening_is_said_with_the_key_masked_and_the_retry_warned_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let base = format!("http://127.0.0.1:{port}");
    let output = run(
        dir.path(),
        &[
            "send",
            "--key",
            KEY,
            "--base",
            &base,
            "--retries",
            "1",
            "text",
            "hi",
        ],
    )
    .await;
    assert_snapshot!(snapshot(&output, port), @r"
    exit: 4
    --- stdout
    --- stderr
     WARN send failed: request to http://127.0.0.1:[PORT]/cgi-bin/webhook/send?key=693a… failed: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111); retry 1 of 1 in [DELAY]
    error: request to http://127.0.0.1:[PORT]/cgi-bin/webhook/send?key=693a… failed: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)
    hint: nothing is listening at 127.0.0.1:[PORT]: check the base URL, and that the server is running (`hookpit serve` prints its webhook URL)
    ");
}

#[tokio::test]
async fn a_send_without_an_answer_times_out_and_says_after_how_long() {
    let dir = tempfile::tempdir().unwrap();
    let (listener, port) = black_hole();
    swallow(listener);
    let webhook = format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key={KEY}");
    let output = run(
        dir.path(),
        &[
            "send",
            "--webhook",
            &webhook,
            "--timeout",
            "200ms",
            "--retries",
            "0",
            "text",
            "hi",
        ],
    )
    .await;
    assert_snapshot!(snapshot(&output, port), @r"
    exit: 4
    --- stdout
    --- stderr
    error: request to http://127.0.0.1:[PORT]/cgi-bin/webhook/send?key=693a… failed: error sending request: operation timed out
    hint: 127.0.0.1:[PORT] did not answer within 200ms (--timeout): it is slow or overloaded, or the network drops the packets. The message may still have been delivered
    ");
}

#[tokio::test]
async fn an_upload_that_stops_moving_fails_after_the_timeout_without_progress() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dump.bin"), vec![b'x'; 8 * 1024 * 1024]).unwrap();
    let (listener, port) = black_hole();
    swallow(listener);
    let base = format!("http://127.0.0.1:{port}");
    let output = run(
        dir.path(),
        &[
            "upload",
            "--key",
            KEY,
            "--base",
            &base,
            "--timeout",
            "300ms",
            "--retries",
            "0",
            "dump.bin",
        ],
    )
    .await;
    assert_snapshot!(snapshot(&output, port), @r"
    exit: 4
    --- stdout
    --- stderr
    error: upload to http://127.0.0.1:[PORT]/cgi-bin/webhook/upload_media?key=693a…&type=file made no progress for 300ms
    hint: nothing moved for 300ms: the link stalled, or the server stopped reading. An upload has no overall time limit, only this one: on a very slow link, raise --timeout
    ");
}

#[tokio::test]
async fn a_45009_retry_is_warned_with_its_errmsg_and_the_wait() {
    let hookpit = TestServer::start().await;
    reqwest::Client::new()
        .post(format!("{}/api/v1/faults", hookpit.server.base_url()))
        .json(&json!({"effect": {"errcode": 45009}, "times": 1}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let webhook = hookpit.webhook();
    let output = hookpit
        .run(&["send", "--webhook", &webhook, "text", "hi"], "")
        .await;
    assert_snapshot!(redact(&output.snapshot(), None), @r"
    exit: 0
    --- stdout
    --- stderr
     WARN send failed: errcode 45009: api freq out of limit; retry 1 of 2 in [DELAY]
    sent 1 message
    ");
}

/// The peak resident memory (VmHWM) of a run of `hookpit ARGS`, read from `/proc` while it
/// runs: the high-water mark only grows, so the last reading is the peak up to then.
#[cfg(target_os = "linux")]
fn peak_memory(dir: &std::path::Path, args: &[&str]) -> (Output, u64) {
    use std::io::Read as _;

    let mut child = crate::helpers::command(dir, args, &[]).spawn().unwrap();
    drop(child.stdin.take());
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let exit = loop {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(line) = text.lines().find(|line| line.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .trim_start_matches("VmHWM:")
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .unwrap();
            peak = peak.max(kib * 1024);
        }
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    let output = std::process::Output {
        status: exit,
        stdout,
        stderr,
    };
    (Output::of(&output), peak)
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_20_mib_upload_is_streamed_from_disk_not_loaded_into_memory() {
    const SIZE: usize = 20 * 1024 * 1024;
    let hookpit = TestServer::start().await;
    hookpit.file("small.bin", b"hello world");
    hookpit.file("big.bin", vec![b'x'; SIZE]);
    let webhook = hookpit.webhook();
    let dir = hookpit.dir.path().to_owned();
    let (small, big) = tokio::task::spawn_blocking(move || {
        let small = peak_memory(&dir, &["upload", "--webhook", &webhook, "small.bin"]);
        let big = peak_memory(&dir, &["upload", "--webhook", &webhook, "big.bin"]);
        (small, big)
    })
    .await
    .unwrap();
    assert_eq!((small.0.code, big.0.code), (0, 0), "{}", big.0.snapshot());
    assert_eq!(big.0.stderr, "");
    // Read whole, the file alone would add 20 MiB (it used to be read, then copied per attempt).
    let grown = big.1.saturating_sub(small.1);
    assert!(
        grown < (SIZE / 2) as u64,
        "a {SIZE}-byte upload took {grown} more bytes of memory than an 11-byte one"
    );
    let media_id = big.0.stdout.trim();
    let stored = reqwest::get(format!(
        "{}/api/v1/media/{media_id}",
        hookpit.server.base_url()
    ))
    .await
    .unwrap()
    .bytes()
    .await
    .unwrap();
    assert_eq!(stored.len(), SIZE);
}
