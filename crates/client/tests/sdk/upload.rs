//! Uploads, and the calls that upload then send: files streamed from disk, their progress, and
//! the no-progress rule that replaces an overall timeout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::{GROUP, PNG, TestServer, amr};
use crate::stub::{self, Pace};
use hookpit_client::{Error, MediaKind, RetryPolicy, UploadProgress, Webhook, message};

#[tokio::test]
async fn send_file_uploads_then_sends_the_media_id() {
    let hookpit = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.log");
    std::fs::write(&path, "line 1\nline 2\n").unwrap();
    hookpit.bot().send_file(&path).await.unwrap();
    let stored = hookpit.messages(GROUP).await;
    assert_eq!(stored[0]["msgtype"], "file");
    let media_id = stored[0]["content"]["media_id"].as_str().unwrap();
    let download = reqwest::get(format!(
        "{}/api/v1/media/{media_id}",
        hookpit.server.base_url()
    ))
    .await
    .unwrap();
    assert_eq!(download.text().await.unwrap(), "line 1\nline 2\n");
}

#[tokio::test]
async fn send_voice_uploads_an_amr_and_sends_it() {
    let hookpit = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alert.amr");
    std::fs::write(&path, amr(100)).unwrap();
    hookpit.bot().send_voice(&path).await.unwrap();
    assert_eq!(hookpit.messages(GROUP).await[0]["msgtype"], "voice");
}

#[tokio::test]
async fn send_image_from_a_path_or_bytes_computes_base64_and_md5() {
    let hookpit = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dot.png");
    std::fs::write(&path, PNG).unwrap();
    let bot = hookpit.bot();
    bot.send_image(&path).await.unwrap();
    bot.send_image_bytes(PNG).await.unwrap();
    let stored = hookpit.messages(GROUP).await;
    assert_eq!(stored.len(), 2);
    let expected = message::image(PNG).into_request().message.body_json();
    for item in &stored {
        assert_eq!(item["content"]["md5"], expected["md5"]);
    }
}

#[tokio::test]
async fn the_upload_reply_carries_type_media_id_and_created_at() {
    let hookpit = TestServer::start().await;
    let uploaded = hookpit
        .bot()
        .upload_media(MediaKind::File, "a.txt", b"hello world".to_vec())
        .await
        .unwrap();
    assert_eq!(uploaded.reply.kind.as_deref(), Some("file"));
    assert_eq!(
        uploaded.reply.media_id.as_deref(),
        Some(uploaded.media_id.as_str())
    );
    let created_at: u64 = uploaded.reply.created_at.unwrap().parse().unwrap();
    assert!(created_at > 1_700_000_000);
}

#[tokio::test]
async fn an_upload_wecom_would_refuse_fails_locally_and_the_server_agrees() {
    let hookpit = TestServer::start().await;
    let bot = hookpit.bot();
    let local = bot
        .upload_media(MediaKind::Voice, "x.mp3", b"ID3\x04 not amr".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(local, Error::Invalid(_)), "{local:?}");
    let remote = bot
        .validate(false)
        .upload_media(MediaKind::Voice, "x.mp3", b"ID3\x04 not amr".to_vec())
        .await
        .unwrap_err();
    assert_eq!(local.code(), remote.code());
    assert!(matches!(remote, Error::Api { .. }));
}

#[tokio::test]
async fn a_missing_file_fails_with_its_path_before_anything_is_sent() {
    let hookpit = TestServer::start().await;
    let error = hookpit
        .bot()
        .send_file("no/such/file.pdf")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Read { path, .. } if path.ends_with("file.pdf")),
        "{error:?}"
    );
    assert_eq!(error.code(), None);
    assert!(hookpit.messages(GROUP).await.is_empty());
}

/// 20 MiB: WeCom's largest file (`UPLOAD_FILE_MAX_BYTES`, 20 × 1024 × 1024 bytes).
const LARGEST_FILE: usize = 20 * 1024 * 1024;

#[tokio::test]
async fn a_20_mib_file_is_streamed_from_disk_and_arrives_intact() {
    let hookpit = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.bin");
    stub::patterned_file(&path, LARGEST_FILE);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = Arc::clone(&seen);
    let uploaded = hookpit
        .bot()
        .upload_file_with_progress(MediaKind::File, &path, move |step| {
            progress.lock().unwrap().push(step);
        })
        .await
        .unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.last(),
        Some(&UploadProgress {
            sent: LARGEST_FILE as u64,
            total: LARGEST_FILE as u64
        })
    );
    assert!(seen.len() > 100, "progress in steps: {}", seen.len());
    // Compared a chunk at a time: neither side of this test holds the file in memory.
    let mut download = reqwest::get(format!(
        "{}/api/v1/media/{}",
        hookpit.server.base_url(),
        uploaded.media_id
    ))
    .await
    .unwrap();
    let mut offset = 0;
    while let Some(chunk) = download.chunk().await.unwrap() {
        for (at, byte) in chunk.iter().enumerate() {
            assert_eq!(*byte, stub::pattern(offset + at), "byte {}", offset + at);
        }
        offset += chunk.len();
    }
    assert_eq!(offset, LARGEST_FILE);
}

/// The process's resident memory now and at its peak, from `/proc/self/status`, in bytes.
#[cfg(target_os = "linux")]
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|line| line.starts_with(name)).unwrap();
        let kib: u64 = line
            .trim_start_matches(name)
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .unwrap();
        kib * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Set in the process [`uploading_a_20_mib_file_does_not_hold_it_in_memory`] starts to measure in.
const MEASURE_HERE: &str = "HOOKPIT_TEST_MEASURE_MEMORY_HERE";

#[cfg(target_os = "linux")]
#[tokio::test]
async fn uploading_a_20_mib_file_does_not_hold_it_in_memory() {
    // Measured in a process of its own: `cargo test` runs the other tests as threads of this
    // one, and their memory would count (nextest runs each test alone, but it costs little).
    if std::env::var_os(MEASURE_HERE).is_none() {
        let name = "upload::uploading_a_20_mib_file_does_not_hold_it_in_memory";
        let run = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env(MEASURE_HERE, "1")
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(run.status.success() && said.contains("1 passed"), "{said}");
        return;
    }
    // A stub that reads and drops the body, so that only the sender's memory is measured.
    let stub = stub::start(Pace::Full).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.bin");
    stub::patterned_file(&path, LARGEST_FILE);
    let bot = Webhook::new("k")
        .base_url(&stub.base)
        .retry(RetryPolicy::none());
    let (before, _) = memory();
    bot.upload_file(MediaKind::File, &path).await.unwrap();
    let (_, peak) = memory();
    assert!(
        stub.received() > LARGEST_FILE as u64,
        "the form holds the file"
    );
    // Loaded whole, the file alone would add 20 MiB (and a copy per attempt on top).
    let grown = peak.saturating_sub(before);
    assert!(
        grown < (LARGEST_FILE / 2) as u64,
        "resident memory grew by {grown} bytes for a {LARGEST_FILE}-byte upload"
    );
}

#[tokio::test]
async fn a_slow_upload_that_keeps_moving_outlasts_the_timeout() {
    // 256 KiB every 20 ms: 20 MiB take close to two seconds, with progress every ~100 ms. (A
    // fast "slow" link: on loopback the sender's socket buffer grows to 4 MiB, which drains
    // after the last chunk is taken, and must do so within the timeout.)
    let stub = stub::start(Pace::Slow {
        bytes: 256 * 1024,
        every: Duration::from_millis(20),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.bin");
    stub::patterned_file(&path, LARGEST_FILE);
    let timeout = Duration::from_secs(1);
    let bot = Webhook::new("k")
        .base_url(&stub.base)
        .retry(RetryPolicy::none())
        .timeout(timeout);
    let started = Instant::now();
    let uploaded = bot.upload_file(MediaKind::File, &path).await.unwrap();
    assert_eq!(uploaded.media_id, "stub-media");
    assert!(
        started.elapsed() > timeout,
        "the upload was not slow: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_stalled_upload_fails_after_the_timeout_without_progress() {
    let stub = stub::start(Pace::StopAfter(64 * 1024)).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stalled.bin");
    stub::patterned_file(&path, 8 * 1024 * 1024);
    let timeout = Duration::from_millis(300);
    let bot = Webhook::new("693a91f6-secret-key")
        .base_url(&stub.base)
        .retry(RetryPolicy::none())
        .timeout(timeout);
    let started = Instant::now();
    let error = bot.upload_file(MediaKind::File, &path).await.unwrap_err();
    assert!(
        matches!(error, Error::Stalled { idle, .. } if idle == timeout),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(stub.received() < 8 * 1024 * 1024);
    assert_eq!(
        error.to_string(),
        format!(
            "upload to {}/cgi-bin/webhook/upload_media?key=693a…&type=file made no progress for 300ms",
            stub.base
        )
    );
}

#[tokio::test]
async fn a_retried_upload_reads_the_file_again_from_the_start() {
    let hookpit = TestServer::start().await;
    // The first upload call is answered with WeCom's system error, which is retried.
    reqwest::Client::new()
        .post(format!("{}/api/v1/faults", hookpit.server.base_url()))
        .json(&serde_json::json!({"effect": {"errcode": -1}, "times": 1}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twice.bin");
    stub::patterned_file(&path, 300 * 1024);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = Arc::clone(&seen);
    let bot = hookpit.bot().retry(
        RetryPolicy::default()
            .initial_delay(Duration::from_millis(1))
            .max_delay(Duration::from_millis(2)),
    );
    let uploaded = bot
        .upload_file_with_progress(MediaKind::File, &path, move |step| {
            progress.lock().unwrap().push(step.sent);
        })
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().last(), Some(&(300 * 1024)));
    let refused = hookpit.inbox().rejections().await.unwrap();
    let refused: Vec<(&str, i64)> = refused
        .iter()
        .map(|rejection| (rejection.endpoint.as_str(), rejection.errcode))
        .collect();
    assert_eq!(
        refused,
        [("upload_media", -1)],
        "the first attempt was refused"
    );
    let download = reqwest::get(format!(
        "{}/api/v1/media/{}",
        hookpit.server.base_url(),
        uploaded.media_id
    ))
    .await
    .unwrap()
    .bytes()
    .await
    .unwrap();
    assert_eq!(download.len(), 300 * 1024);
    assert!(
        download
            .iter()
            .enumerate()
            .all(|(at, byte)| *byte == stub::pattern(at))
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_named_pipe_is_read_once_and_uploaded() {
    let hookpit = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let path = path.clone();
        std::thread::spawn(move || std::fs::write(path, "piped log line\n").unwrap())
    };
    let uploaded = hookpit
        .bot()
        .upload_file(MediaKind::File, &path)
        .await
        .unwrap();
    writer.join().unwrap();
    let stored = reqwest::get(format!(
        "{}/api/v1/media/{}",
        hookpit.server.base_url(),
        uploaded.media_id
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert_eq!(stored, "piped log line\n");
}
