//! Sender libraries Hookpit did not write, from PyPI and unmodified, as their users call them:
//! `pywgb` (hard-wired to `https://qyapi.weixin.qq.com`, captured through the proxy with
//! Hookpit's CA; its two template cards too) and `wechat_work_webhook` (given the webhook URL).
//! Every kind each one sends is answered `errcode 0` and stored as that kind, uploads included.
//! The programs are in `tests/peers/`; `scripts/test` installs both.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::TestServer;

/// Runs `third_party_senders.py LIBRARY TARGET` (with `env`) in a scratch directory; the kinds
/// it sent, each checked to have been answered `errcode 0`.
async fn run_senders(library: &str, target: String, env: Vec<(&str, String)>) -> Vec<String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/peers/third_party_senders.py"
    );
    let scratch = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new("python3");
    command
        .arg(script)
        .arg(library)
        .arg(target)
        .current_dir(scratch.path())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .envs(env);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("python3 runs (scripts/test installs pywgb and wechat_work_webhook)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let mut kinds = Vec::new();
    // The libraries print warnings of their own (pywgb: "pydub not found") on stdout too.
    for line in stdout.lines().filter(|line| line.starts_with(r#"{"kind""#)) {
        let sent: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("{line}"));
        assert_eq!(
            sent["reply"],
            serde_json::json!({"errcode": 0, "errmsg": "ok"}),
            "{library} sending {}: {line}\n{stderr}",
            sent["kind"]
        );
        kinds.push(sent["kind"].as_str().unwrap_or_default().to_owned());
    }
    kinds
}

/// The kinds of the messages `server` stored.
async fn stored_kinds(server: &TestServer) -> BTreeSet<String> {
    server
        .messages()
        .await
        .iter()
        .map(|message| message.msgtype.as_str().to_owned())
        .collect()
}

#[tokio::test]
async fn pywgb_sends_all_eight_kinds_and_both_template_cards_through_the_capture_proxy() {
    let server = TestServer::start_with(|config| {
        config.proxy_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let proxy = format!("http://{}", server.server.proxy_addr().unwrap());
    let ca = server.server.ca_path().unwrap().display().to_string();
    let env = vec![
        ("HTTPS_PROXY", proxy.clone()),
        ("HTTP_PROXY", proxy),
        ("REQUESTS_CA_BUNDLE", ca),
    ];
    let kinds = run_senders("pywgb", server.key().to_owned(), env).await;
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    let expected: BTreeSet<String> = kinds.into_iter().collect();
    assert_eq!(stored_kinds(&server).await, expected);
    server.stop().await;
}

#[tokio::test]
async fn wechat_work_webhook_sends_five_kinds_to_the_webhook_url() {
    let server = TestServer::start().await;
    let url = server.url(&format!("/cgi-bin/webhook/send?key={}", server.key()));
    let kinds = run_senders("wechat_work_webhook", url, Vec::new()).await;
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    let expected: BTreeSet<String> = kinds.into_iter().collect();
    assert_eq!(stored_kinds(&server).await, expected);
    server.stop().await;
}
