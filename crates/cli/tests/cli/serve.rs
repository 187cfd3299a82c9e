//! `hookpit serve` as a process: prints its banner, accepts a send from `hookpit send`, and
//! stops cleanly on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use crate::helpers::run_in;

#[test]
fn serve_prints_the_webhook_url_accepts_a_send_and_stops_on_sigterm() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut server = Command::new(env!("CARGO_BIN_EXE_hookpit"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("hookpit serve starts");
    let mut banner = BufReader::new(server.stdout.take().expect("piped stdout"));
    let mut webhook_line = String::new();
    banner.read_line(&mut webhook_line).expect("banner");
    let mut inbox_line = String::new();
    banner.read_line(&mut inbox_line).expect("banner");

    let webhook = webhook_line
        .strip_prefix("webhook: ")
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let base = webhook
        .split("/cgi-bin/")
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        webhook.starts_with("http://127.0.0.1:") && webhook.contains("/cgi-bin/webhook/send?key="),
        "{webhook_line}"
    );
    assert_eq!(inbox_line.trim(), format!("inbox: {base}/"));

    let sent = run_in(
        data.path(),
        &["send", "--webhook", &webhook, "text", "hello"],
        "",
    );
    assert_eq!((sent.code, sent.stderr.as_str()), (0, "sent 1 message\n"));

    // SIGTERM, as a service manager stops it: the server drains and exits successfully.
    let terminated = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(terminated.success());
    let status = server.wait().expect("hookpit serve exits");
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_with_log_format_json_writes_one_json_object_per_log_line() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut server = Command::new(env!("CARGO_BIN_EXE_hookpit"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .env("HOOKPIT_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hookpit serve starts");
    // The banner is on stdout once the server listens; by then start-up has logged.
    let mut banner = BufReader::new(server.stdout.take().expect("piped stdout"));
    let mut webhook_line = String::new();
    banner.read_line(&mut webhook_line).expect("banner");
    assert!(webhook_line.starts_with("webhook: "), "{webhook_line}");
    let terminated = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(terminated.success());
    let output = server.wait_with_output().expect("hookpit serve exits");
    assert!(output.status.success(), "{:?}", output.status);
    let log = String::from_utf8(output.stderr).expect("UTF-8 log");
    let lines: Vec<&str> = log.lines().collect();
    assert!(!lines.is_empty(), "nothing logged");
    for line in lines {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"));
        for field in ["timestamp", "level", "target", "message"] {
            assert!(event.get(field).is_some(), "no {field}: {line}");
        }
    }
}
