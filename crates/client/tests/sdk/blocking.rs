//! The blocking client (feature `blocking`), called from plain threads as a script would, against
//! a Hookpit running on a runtime of the test's own.

use hookpit_client::blocking::Webhook;
use hookpit_client::{Error, MediaKind, RetryPolicy, message};

use crate::helpers::{GROUP, TestServer};

/// A Hookpit served by its own multi-threaded runtime, which keeps serving while the test's
/// thread blocks.
fn hookpit() -> (tokio::runtime::Runtime, TestServer) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestServer::start());
    (runtime, server)
}

#[test]
fn the_blocking_client_sends_and_uploads_without_a_runtime_of_the_callers() {
    let (runtime, hookpit) = hookpit();
    let bot = Webhook::new(hookpit.server.demo_key())
        .base_url(hookpit.server.base_url())
        .retry(RetryPolicy::none());
    bot.send(message::text("from a script").chatid(GROUP))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.csv");
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    let uploaded = bot.upload_file(MediaKind::File, &path).unwrap();
    // Clones share the runtime; another thread may use one.
    let clone = bot.clone();
    std::thread::spawn(move || clone.send(message::file(uploaded.media_id).chatid(GROUP)))
        .join()
        .unwrap()
        .unwrap();

    let stored = runtime.block_on(hookpit.messages(GROUP));
    let types: Vec<&str> = stored
        .iter()
        .map(|item| item["msgtype"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(types, ["text", "file"]);
    // The async client's rules and errors, unchanged.
    assert_eq!(bot.send(message::text("")).unwrap_err().code(), Some(44004));
}

#[tokio::test]
async fn called_from_async_code_it_refuses_instead_of_blocking_the_runtime() {
    let bot = Webhook::new("k").base_url("http://127.0.0.1:9");
    let error = bot.send(message::text("hi")).unwrap_err();
    assert!(matches!(error, Error::Runtime(_)), "{error:?}");
    // Dropped on a blocking thread: its runtime was never started, but keep the rule.
    tokio::task::spawn_blocking(move || drop(bot))
        .await
        .unwrap();
}
