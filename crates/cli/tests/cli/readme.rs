//! The README's "Test a sender in CI" job, extracted from README.md and run as it stands with
//! bash against the built binary, so that the README cannot drift from what works.
//!
//! Only what a CI runner would change is set from outside: `hookpit` on `PATH`, a free port in
//! `HOOKPIT_PORT`, and `TMPDIR` (where `mktemp -d` puts the data directory) in a temp dir.

use std::path::Path;
use std::process::Command;

use insta::assert_snapshot;

use crate::helpers::{Output, redact_times};

/// The heading of the section whose first `sh` block is the job.
const SECTION: &str = "## Test a sender in CI";

/// The first ```sh block after [`SECTION`] in README.md.
fn ci_job() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md is readable");
    let (_, section) = readme
        .split_once(SECTION)
        .unwrap_or_else(|| panic!("README.md has no {SECTION:?} section"));
    let (_, block) = section
        .split_once("```sh\n")
        .expect("the section has a sh block");
    let (job, _) = block.split_once("\n```").expect("the sh block is closed");
    format!("{job}\n")
}

#[test]
fn the_readme_ci_job_runs_as_written_and_its_wait_finds_the_message() {
    let job = ci_job();
    let scratch = tempfile::tempdir().expect("temp dir");
    let script = scratch.path().join("ci-job.sh");
    std::fs::write(&script, &job).expect("write the job");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let binary = Path::new(env!("CARGO_BIN_EXE_hookpit"));
    let bin_dir = binary.parent().expect("the binary is in a directory");
    let path = std::env::join_paths(std::iter::once(bin_dir.to_owned()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH joins");
    let output = Command::new("bash")
        .arg(&script)
        .current_dir(scratch.path())
        .env("PATH", path)
        .env("HOOKPIT_PORT", port.to_string())
        .env("TMPDIR", scratch.path())
        .env("NO_COLOR", "1")
        .env_remove("HOOKPIT_BASE")
        .env_remove("HOOKPIT_ADMIN_TOKEN")
        .env_remove("HOOKPIT_ADMIN_TOKEN_FILE")
        .env_remove("HOOKPIT_LISTEN")
        .env_remove("HOOKPIT_DATA")
        .env_remove("RUST_LOG")
        .output()
        .expect("bash runs the job");
    // The sandbox bot's group id is random.
    let clean = |bytes: &[u8]| {
        let text = redact_times(&String::from_utf8_lossy(bytes))
            .replace(&format!("127.0.0.1:{port}"), "127.0.0.1:[PORT]");
        redact_chat_ids(&text)
    };
    let output = Output {
        code: output.status.code().unwrap_or(-1),
        stdout: clean(&output.stdout),
        stderr: clean(&output.stderr),
    };
    assert_snapshot!(output.snapshot(), @r#"
    exit: 0
    --- stdout
    {"errcode":0,"errmsg":"ok"}
    #1  [TIME]  [CHATID]  sandbox ci-k…  markdown  **deploy** of web-1 <font color="info">done</font>
    attempt 1: {"errcode":45009,"errmsg":"api freq out of limit
    attempt 2: {"errcode":0,"errmsg":"ok"}
    #2  [TIME]  [CHATID]  sandbox ci-k…  text  disk full on web-1
    --- stderr
    "#);
    // Nothing of the job is left behind: the trap removed the data directory.
    let left: Vec<_> = std::fs::read_dir(scratch.path())
        .expect("list the scratch dir")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .collect();
    assert_eq!(left, [std::ffi::OsString::from("ci-job.sh")]);
}

/// A sandbox group id (`wrk` and 29 characters) → `[CHATID]`.
fn redact_chat_ids(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.len() == 32
                && word.starts_with("wrk")
                && word.chars().all(|c| c.is_ascii_alphanumeric())
            {
                "[CHATID]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
