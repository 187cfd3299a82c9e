//! Two `hookpit serve` processes on one PostgreSQL (`--database`), as a team runs them behind a
//! load balancer: one is killed with SIGKILL while both take sends, and every send either
//! instance acknowledged is stored exactly once. PostgreSQL is a throwaway cluster
//! ([`Postgres`]), never a server the machine runs.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookpit_server::store::DEMO_GROUP;
use hookpit_server::testing::Postgres;
use serde_json::{Value, json};

use crate::helpers::command;

/// Concurrent senders: enough that requests are in flight at the kill.
const SENDERS: usize = 8;

/// One `hookpit serve` process on `database`.
struct Instance {
    child: Child,
    base: String,
    webhook: String,
    _data: tempfile::TempDir,
}

impl Instance {
    fn start(database: &str) -> Instance {
        let data = tempfile::tempdir().expect("temp dir");
        let data_dir = data.path().to_str().expect("UTF-8 temp dir");
        let args = [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--limits",
            "off",
            "--database",
            database,
            "--data",
            data_dir,
        ];
        let mut child = command(data.path(), &args, &[("RUST_LOG", "error")])
            .stderr(Stdio::null())
            .spawn()
            .expect("hookpit serve starts");
        let mut banner = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        banner.read_line(&mut line).expect("banner");
        let webhook = line
            .strip_prefix("webhook: ")
            .unwrap_or_else(|| panic!("no webhook line: {line:?}"))
            .trim()
            .to_owned();
        let base = webhook
            .split("/cgi-bin/")
            .next()
            .unwrap_or_default()
            .to_owned();
        // The rest of the banner is read too, so that the server never writes to a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut banner, &mut std::io::sink()));
        Instance {
            child,
            base,
            webhook,
            _data: data,
        }
    }

    fn kill(&mut self) {
        let killed = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every text stored in the demo group, read through `base`'s API, page by page.
async fn stored_texts(http: &reqwest::Client, base: &str) -> Vec<String> {
    let mut texts = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut url = format!("{base}/api/v1/messages?chatid={DEMO_GROUP}&limit=500");
        if let Some(before) = before {
            url.push_str(&format!("&before={before}"));
        }
        let page: Value = http.get(url).send().await.unwrap().json().await.unwrap();
        for message in page["messages"].as_array().expect("a message list") {
            if let Some(text) = message["content"]["content"].as_str() {
                texts.push(text.to_owned());
            }
        }
        match page["next_cursor"].as_i64() {
            Some(cursor) => before = Some(cursor),
            None => return texts,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_two_instances_killed_under_load_loses_no_acknowledged_message() {
    let pg = Postgres::start();
    let mut a = Instance::start(pg.url());
    let b = Instance::start(pg.url());
    let targets = Arc::new([a.webhook.clone(), b.webhook.clone()]);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let acknowledged = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let (http, targets) = (http.clone(), Arc::clone(&targets));
            let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut n = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let target = (sender + n) % 2;
                    let content = format!("s{sender}-{n}");
                    n += 1;
                    let body = json!({
                        "msgtype": "text",
                        "chatid": DEMO_GROUP,
                        "text": {"content": content},
                    });
                    let Ok(answer) = http.post(&targets[target]).json(&body).send().await else {
                        continue; // cut off by the kill: not acknowledged
                    };
                    let Ok(answer) = answer.json::<Value>().await else {
                        continue;
                    };
                    if answer["errcode"] == 0 {
                        acknowledged.lock().unwrap().push((target, content));
                    }
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    a.kill();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    stop.store(true, Ordering::Relaxed);
    for sender in senders {
        sender.await.unwrap();
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    let by_a = acknowledged
        .iter()
        .filter(|(target, _)| *target == 0)
        .count();
    let by_b = acknowledged.len() - by_a;
    assert!(by_a > 0 && by_b > 0, "both took sends: {by_a} and {by_b}");
    let stored = stored_texts(&http, &b.base).await;
    let mut counted = std::collections::HashMap::<&str, usize>::new();
    for text in &stored {
        *counted.entry(text.as_str()).or_default() += 1;
    }
    let lost: Vec<&String> = acknowledged
        .iter()
        .map(|(_, content)| content)
        .filter(|content| !counted.contains_key(content.as_str()))
        .collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let twice: Vec<_> = counted.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    // b kept accepting after the kill.
    let after = http
        .post(&b.webhook)
        .json(&json!({"msgtype": "text", "text": {"content": "after the kill"}}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(after["errcode"], 0, "{after}");
}
