//! Concurrent senders lose nothing: every acknowledged message is stored exactly once.

use std::collections::HashMap;

use hookpit_server::config::{LimitProfile, SyncMode};
use hookpit_server::store::DEMO_GROUP;

use crate::support::{TestServer, text};

const TASKS: usize = 20;
const PER_TASK: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_senders_of_500_messages_each_lose_nothing() {
    let server = TestServer::start_with(|c| {
        // The point is the store under load, not the limits (100/min per chat).
        c.limits = LimitProfile::Off;
        c.sync = SyncMode::Full;
    })
    .await;
    let url = server.server.webhook_url();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let http = server.http.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::with_capacity(PER_TASK);
            for i in 0..PER_TASK {
                let content = format!("t{task}-{i}");
                let response = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(text(Some(DEMO_GROUP), &content))
                    .send()
                    .await
                    .expect("request");
                let body = response.text().await.expect("body");
                if body == r#"{"errcode":0,"errmsg":"ok"}"# {
                    acknowledged.push(content);
                }
            }
            acknowledged
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    assert_eq!(
        acknowledged.len(),
        TASKS * PER_TASK,
        "every send is acknowledged"
    );

    let server = server.restart().await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for message in server.messages_in(DEMO_GROUP).await {
        let content = message.content["content"].as_str().unwrap().to_owned();
        *seen.entry(content).or_default() += 1;
    }
    for content in &acknowledged {
        assert_eq!(seen.get(content), Some(&1), "{content} stored exactly once");
    }
    assert_eq!(seen.len(), acknowledged.len());
    server.stop().await;
}
