//! `hookpit-bench search`: search time, bytes on disk and RSS as the store grows to 10⁴, 10⁵
//! and 10⁶ messages.
//!
//! The one command that runs Hookpit in its own process: filling a store with a million
//! messages over HTTP would take a minute per run at best, so messages go straight into the
//! store (`Store::deliver`, the write path minus HTTP: routing, the writer thread's group
//! commits, the search indexer behind it), and only the searches go over HTTP, as the inbox
//! asks them (`GET /api/v1/messages?q=…&limit=50`, rendered items and all). The server is a
//! `hookpit_server::testing::Sandbox` (a temporary data directory, the demo workspace,
//! `--sync normal` while filling: the fill is setup, not what is measured).
//!
//! At each size the server is restarted first (the shutdown checkpoint copies the WAL into the
//! database, so the bytes per message are those of a store at rest), the index is brought up
//! to date, and each query is asked once cold and `repeat` times more.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use hookpit_server::store::{DEMO_BOT_ID, DEMO_GROUP, Delivery};
use hookpit_server::testing::Sandbox;
use serde::Serialize;
use serde_json::Value;

use crate::http::{Connection, Outgoing, Target};

/// Deliveries in flight while filling: enough for the writer's batches to fill up.
const IN_FLIGHT: usize = 512;

/// The searches timed at every size: the issue's three (a 2-character Chinese word, an English
/// word, a 6-character phrase), then a rare word, a word found nowhere, a search narrowed by a
/// field and excluding a word, and a short ASCII word the index cannot answer.
pub const QUERIES: &[&str] = &[
    "告警",
    "timeout",
    "\"磁盘空间不足\"",
    "zebra",
    "nowhere-to-be-found",
    "timeout -告警 msgtype:text",
    "ok",
];

/// Words of the generated messages: each message takes four of them, so each word is in about
/// one message in eleven.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "告警", "timeout", "deploy", "磁盘", "服务", "latency", "backup", "重启", "集群", "cache",
    "queue", "内存", "网络", "restart", "error", "延迟", "节点", "cluster", "warning", "备份",
    "数据库", "release", "rollback", "监控", "health", "队列", "证书", "session", "订单",
    "gateway", "完成", "失败", "上线", "retry", "worker", "调度", "quota", "副本", "shard",
    "同步", "index", "通知", "ok",
];

/// One figure of one query at one size.
#[derive(Serialize)]
struct QueryTimes {
    messages: u64,
    q: &'static str,
    found: usize,
    first_ms: f64,
    p50_ms: f64,
    max_ms: f64,
    repeat: usize,
}

/// The store at one size.
#[derive(Serialize)]
struct SizeReport {
    messages: u64,
    /// Seconds to deliver the messages added since the previous size.
    fill_seconds: f64,
    fill_messages_per_second: f64,
    /// Seconds for the index to catch up after the restart.
    index_catch_up_seconds: f64,
    /// `hookpit.db` and `search.db` after the shutdown checkpoint, per message.
    bytes_per_message: f64,
    database_bytes: u64,
    search_index_bytes: u64,
    /// This process's resident set after the searches (server and client together).
    rss_kib: u64,
}

/// The text of message `seq`: four words, a host, a number; one in a hundred is a disk alert
/// with the 6-character phrase, one in ten thousand has the rare word.
fn text(seq: u64) -> String {
    let mut state = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut next = move || {
        state ^= state >> 31;
        state = state.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        state ^= state >> 29;
        state
    };
    let len = WORDS.len() as u64;
    let mut words: Vec<&str> = (0..4)
        .map(|_| WORDS[usize::try_from(next() % len).unwrap_or(0)])
        .collect();
    if seq % 100 == 7 {
        words.push("磁盘空间不足");
    }
    if seq % 10_000 == 77 {
        words.push("zebra");
    }
    format!(
        "{} on db-{} at {}%: request {seq}",
        words.join(" "),
        seq % 997,
        next() % 100
    )
}

fn body(seq: u64) -> String {
    let content = serde_json::to_string(&text(seq)).unwrap_or_default();
    format!(r#"{{"chatid":"{DEMO_GROUP}","msgtype":"text","text":{{"content":{content}}}}}"#)
}

/// Delivers messages `from..to` straight into the store, [`IN_FLIGHT`] at a time.
async fn fill(sandbox: &Sandbox, from: u64, to: u64) -> anyhow::Result<()> {
    let state = sandbox.server.state();
    let mut tasks = tokio::task::JoinSet::new();
    for seq in from..to {
        if tasks.len() >= IN_FLIGHT
            && let Some(done) = tasks.join_next().await
        {
            done??;
        }
        let store = state.store.clone();
        let raw = Bytes::from(body(seq));
        let send = hookpit_protocol::parse_send(&raw)
            .map_err(|e| anyhow::anyhow!("bench body refused: {}", e.text()))?;
        let now = 1_767_225_600_000 + i64::try_from(seq).unwrap_or(0);
        tasks.spawn(async move {
            store
                .deliver(Delivery {
                    request_id: uuid::Uuid::now_v7().to_string(),
                    bot_id: DEMO_BOT_ID.to_owned(),
                    bot_name: "demo".to_owned(),
                    send,
                    raw_body: raw,
                    from_ip: "127.0.0.1".to_owned(),
                    reply: r#"{"errcode":0,"errmsg":"ok"}"#.to_owned(),
                    now,
                    sandbox: false,
                    request_lints: Vec::new(),
                    passive: false,
                    relay: None,
                    key_check: None,
                })
                .await
                .map(drop)
                .map_err(anyhow::Error::from)
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

fn file_size(dir: &std::path::Path, name: &str) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|suffix| {
            std::fs::metadata(dir.join(format!("{name}{suffix}")))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Times `q` once cold and `repeat` times more over one keep-alive connection.
async fn time_query(
    target: &Target,
    messages: u64,
    q: &'static str,
    repeat: usize,
) -> anyhow::Result<QueryTimes> {
    let path = format!("/api/v1/messages?q={}&limit=50", urlencode(q));
    let mut connection = Connection::open(target).await?;
    let mut times = Vec::with_capacity(repeat + 1);
    let mut found = 0;
    for _ in 0..=repeat {
        let start = Instant::now();
        let incoming = connection.send(&Outgoing::get(path.clone())).await?;
        times.push(start.elapsed());
        if incoming.status != 200 {
            bail!("GET {path} answered {}", incoming.status);
        }
        let page: Value = serde_json::from_slice(&incoming.body)?;
        found = page["messages"].as_array().map_or(0, Vec::len);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut rest: Vec<Duration> = times[1..].to_vec();
    rest.sort_unstable();
    Ok(QueryTimes {
        messages,
        q,
        found,
        first_ms: ms(times[0]),
        p50_ms: rest.get(rest.len() / 2).map_or(0.0, |d| ms(*d)),
        max_ms: rest.last().map_or(0.0, |d| ms(*d)),
        repeat,
    })
}

/// Fills a store to each of `sizes` (ascending) and prints a JSON line per size and per query.
///
/// # Errors
/// The store refused a delivery, or a search did not answer 200.
pub async fn run(sizes: &[u64], repeat: usize) -> anyhow::Result<()> {
    let mut sandbox = Sandbox::start().await;
    let mut stored = 0;
    for &size in sizes {
        let start = Instant::now();
        fill(&sandbox, stored, size).await?;
        let fill_seconds = start.elapsed().as_secs_f64();
        let added = size.saturating_sub(stored);
        stored = size;
        sandbox = sandbox.restart().await;
        let dir = sandbox.data_dir().to_owned();
        let database_bytes = file_size(&dir, "hookpit.db");
        let start = Instant::now();
        sandbox.server.state().store.index_search().await?;
        let index_catch_up_seconds = start.elapsed().as_secs_f64();
        // The index as it is after catching up (its own WAL included).
        let search_index_bytes = file_size(&dir, "search.db");
        let target = Target::parse(&format!("http://{}", sandbox.server.addr()))?;
        for q in QUERIES {
            let times = time_query(&target, size, q, repeat)
                .await
                .with_context(|| format!("searching {q}"))?;
            crate::print_json(&times)?;
        }
        let rss_kib = crate::probe::memory(std::process::id())?.rss_kib;
        let messages = size.max(1);
        crate::print_json(&SizeReport {
            messages: size,
            fill_seconds,
            fill_messages_per_second: added as f64 / fill_seconds.max(1e-9),
            index_catch_up_seconds,
            bytes_per_message: (database_bytes + search_index_bytes) as f64 / messages as f64,
            database_bytes,
            search_index_bytes,
            rss_kib,
        })?;
    }
    sandbox.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_messages_are_valid_sends_and_hold_the_queried_words() {
        let bodies: Vec<String> = (0..20_000).map(body).collect();
        for raw in bodies.iter().take(100) {
            assert!(
                hookpit_protocol::parse_send(raw.as_bytes()).is_ok(),
                "{raw}"
            );
        }
        let with = |word: &str| bodies.iter().filter(|b| b.contains(word)).count();
        assert!(with("告警") > 1_000, "{}", with("告警"));
        assert!(with("timeout") > 1_000);
        assert_eq!(with("磁盘空间不足"), 200);
        assert_eq!(with("zebra"), 2);
        assert_eq!(with("nowhere-to-be-found"), 0);
    }
}
