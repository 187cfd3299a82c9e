//! Reading `/api/v1/events` (Server-Sent Events) in tests.

use std::time::Duration;

use serde_json::Value;

/// Generous bound for an event that should arrive at once; only reached if the code is broken.
const PATIENCE: Duration = Duration::from_secs(10);

/// Reads the SSE stream until `want` appears in it; returns everything read.
pub async fn read_until(response: &mut reqwest::Response, want: &str) -> String {
    let mut seen = String::new();
    tokio::time::timeout(PATIENCE, async {
        while !seen.contains(want) {
            let chunk = response.chunk().await.unwrap().expect("stream still open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{want:?} not received; got {seen:?}"));
    seen
}

/// The text contents of the `message` events in `seen`, in order.
pub fn streamed_texts(seen: &str) -> Vec<String> {
    seen.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .filter_map(|item| item["content"]["content"].as_str().map(str::to_owned))
        .collect()
}

/// The last `id:` in `seen` (the `Last-Event-ID` a reconnecting `EventSource` sends).
pub fn last_event_id(seen: &str) -> Option<i64> {
    seen.lines()
        .rev()
        .filter_map(|line| line.strip_prefix("id:"))
        .find_map(|id| id.trim().parse().ok())
}
