//! Crash safety: send tokens at full speed until the server dies, then check what it kept.
//!
//! `crash-send` gives every message a unique token (`RUN-WORKER-N`) and, once the server is gone,
//! writes the tokens acknowledged with errcode 0 to one file and those whose fate is unknown (in
//! flight at the kill, or refused) to another. `verify` reads the chat back through
//! `/api/v1/messages` after the restart and checks: every acknowledged token is stored exactly
//! once, no token is stored twice, nothing stored is foreign or damaged, and the chat's
//! `message_count` agrees with the messages listed.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::http::{Connection, Outgoing, Target};
use crate::scenario::{crash_content, crash_token};
use crate::stats::Outcome;

/// What `crash-send` does.
pub struct CrashSend {
    pub target: Target,
    pub key: String,
    pub chatid: String,
    pub connections: usize,
    /// Prefix of every token of this run (e.g. the cycle number).
    pub run: String,
    pub acked: PathBuf,
    pub pending: PathBuf,
    /// Stop anyway after this long (the server was never killed).
    pub max: Duration,
}

/// Tokens of one worker.
#[derive(Default)]
struct Sent {
    acked: Vec<String>,
    pending: Vec<String>,
    refused: u64,
    example_refusal: Option<String>,
}

impl CrashSend {
    /// Sends until every connection is refused (the server died) or `max` passes, then appends
    /// the token lists to their files. Returns the numbers acknowledged and pending.
    ///
    /// # Errors
    /// No connection could be opened, or a file cannot be written.
    pub async fn run(self) -> anyhow::Result<(usize, usize)> {
        let this = Arc::new(self);
        let deadline = Instant::now() + this.max;
        let path = format!("/cgi-bin/webhook/send?key={}", this.key);
        let mut workers = Vec::with_capacity(this.connections);
        for worker in 0..this.connections {
            let mut connection = Connection::open(&this.target).await?;
            let this = Arc::clone(&this);
            let path = path.clone();
            workers.push(tokio::spawn(async move {
                let mut sent = Sent::default();
                for n in 0u64.. {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let token = format!("{}-{worker}-{n}", this.run);
                    let body = serde_json::json!({
                        "chatid": this.chatid,
                        "msgtype": "text",
                        "text": {"content": crash_content(&token)},
                    });
                    let outgoing = Outgoing::post_json(path.clone(), body.to_string());
                    match connection.send(&outgoing).await {
                        Ok(incoming) => {
                            match Outcome::of_response(incoming.status.as_u16(), &incoming.body) {
                                Outcome::Ok => sent.acked.push(token),
                                other => {
                                    sent.refused += 1;
                                    sent.example_refusal
                                        .get_or_insert_with(|| format!("{other:?}"));
                                    sent.pending.push(token);
                                }
                            }
                        }
                        Err(_) => {
                            // In flight when the server died: it may or may not be stored.
                            sent.pending.push(token);
                            match Connection::open(&this.target).await {
                                Ok(fresh) => connection = fresh,
                                Err(_) => break,
                            }
                        }
                    }
                }
                sent
            }));
        }
        let mut all = Sent::default();
        for worker in workers {
            let sent = worker.await.context("a sending task panicked")?;
            all.acked.extend(sent.acked);
            all.pending.extend(sent.pending);
            all.refused += sent.refused;
            if all.example_refusal.is_none() {
                all.example_refusal = sent.example_refusal;
            }
        }
        if let Some(example) = &all.example_refusal {
            eprintln!(
                "crash-send: {} requests refused, e.g. {example}",
                all.refused
            );
        }
        append_lines(&this.acked, &all.acked)?;
        append_lines(&this.pending, &all.pending)?;
        Ok((all.acked.len(), all.pending.len()))
    }
}

fn append_lines(path: &Path, lines: &[String]) -> anyhow::Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

fn read_lines(path: &Path) -> anyhow::Result<Vec<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The verdict of [`verify`].
#[derive(Debug, Default, serde::Serialize)]
pub struct Verdict {
    pub stored: usize,
    pub acked: usize,
    /// Acknowledged but not stored.
    pub missing: Vec<String>,
    /// Stored more than once.
    pub duplicated: Vec<String>,
    /// Stored but never sent by the crash test, or with damaged content.
    pub foreign: Vec<String>,
    /// The chat's `message_count` when it disagrees with the messages listed.
    pub count_mismatch: Option<u64>,
}

impl Verdict {
    /// Whether nothing is wrong.
    pub fn passed(&self) -> bool {
        self.missing.is_empty()
            && self.duplicated.is_empty()
            && self.foreign.is_empty()
            && self.count_mismatch.is_none()
    }
}

/// Checks the stored chat against the token files.
///
/// # Errors
/// The server cannot be read or answers something that is not a message list.
pub async fn verify(
    target: &Target,
    chatid: &str,
    acked: &Path,
    pending: &Path,
) -> anyhow::Result<Verdict> {
    let acked = read_lines(acked)?;
    let pending: HashSet<String> = read_lines(pending)?.into_iter().collect();
    let contents = list_contents(target, chatid).await?;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut verdict = Verdict {
        stored: contents.len(),
        acked: acked.len(),
        ..Verdict::default()
    };
    let acked_set: HashSet<&str> = acked.iter().map(String::as_str).collect();
    for content in &contents {
        match crash_token(content) {
            Some(token) if acked_set.contains(token) || pending.contains(token) => {
                *counts.entry(token).or_default() += 1;
            }
            _ => verdict.foreign.push(content.clone()),
        }
    }
    for token in &acked {
        if !counts.contains_key(token.as_str()) {
            verdict.missing.push(token.clone());
        }
    }
    verdict.duplicated = counts
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(token, _)| (*token).to_owned())
        .collect();
    let chat = crate::http::once(target, &Outgoing::get(format!("/api/v1/chats/{chatid}"))).await?;
    if let Ok(chat) = serde_json::from_slice::<Value>(&chat.body)
        && let Some(count) = chat.get("message_count").and_then(Value::as_u64)
        && usize::try_from(count).ok() != Some(contents.len())
    {
        verdict.count_mismatch = Some(count);
    }
    Ok(verdict)
}

/// The text content of every message of `chatid`, paging through `/api/v1/messages`.
async fn list_contents(target: &Target, chatid: &str) -> anyhow::Result<Vec<String>> {
    let mut connection = Connection::open(target).await?;
    let mut contents = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/messages?chatid={chatid}&limit=500");
        if let Some(cursor) = &before {
            path.push_str(&format!("&before={cursor}"));
        }
        let incoming = connection.send(&Outgoing::get(path.clone())).await?;
        if incoming.status != 200 {
            bail!(
                "GET {path} answered {}: {}",
                incoming.status,
                String::from_utf8_lossy(&incoming.body)
            );
        }
        let page: Value =
            serde_json::from_slice(&incoming.body).with_context(|| format!("GET {path}"))?;
        let messages = page
            .get("messages")
            .and_then(Value::as_array)
            .with_context(|| format!("GET {path}: no messages array"))?;
        if messages.is_empty() {
            break;
        }
        for message in messages {
            let content = message.pointer("/content/content").and_then(Value::as_str);
            contents.push(content.unwrap_or("<not a text message>").to_owned());
        }
        // Page on: the server's cursor, else the smallest id of this page.
        let cursor = match page.get("next_cursor") {
            Some(Value::Null) => break,
            Some(Value::String(cursor)) => cursor.clone(),
            Some(Value::Number(cursor)) => cursor.to_string(),
            _ => {
                let smallest = messages.iter().filter_map(|m| m.get("id")?.as_i64()).min();
                match smallest {
                    Some(id) => id.to_string(),
                    None => break,
                }
            }
        };
        if before.as_deref() == Some(cursor.as_str()) {
            bail!("GET {path}: the cursor does not advance");
        }
        before = Some(cursor);
    }
    Ok(contents)
}

/// Opens the store's SQLite file read-only and runs `PRAGMA integrity_check`; returns the
/// number of stored messages.
///
/// # Errors
/// The file cannot be opened, or the check reports damage.
pub fn check_database(data_dir: &Path) -> anyhow::Result<u64> {
    use rusqlite::OpenFlags;
    let path = data_dir.join("hookpit.db");
    let conn = rusqlite::Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut statement = conn.prepare("PRAGMA integrity_check")?;
    let problems: Vec<String> = statement
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if problems != ["ok"] {
        bail!(
            "integrity_check of {}: {}",
            path.display(),
            problems.join("; ")
        );
    }
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM messages", [], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::Query;
    use axum::routing::get;
    use serde_json::json;

    /// A fake `/api/v1` holding `contents` (newest last) in pages of two, with `count` as the
    /// chat's `message_count`.
    async fn fake_server(contents: Vec<&'static str>, count: u64) -> Target {
        let messages = move |Query(query): Query<HashMap<String, String>>| {
            let contents = contents.clone();
            async move {
                let before = query.get("before").map_or(i64::MAX, |b| b.parse().unwrap());
                let page: Vec<(i64, &str)> = contents
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (i64::try_from(i).unwrap() + 1, *c))
                    .rev()
                    .filter(|(id, _)| *id < before)
                    .take(2)
                    .collect();
                let next = (page.len() == 2).then(|| page[1].0);
                let items: Vec<Value> = page
                    .iter()
                    .map(|(id, c)| json!({"id": id, "content": {"content": c}}))
                    .collect();
                axum::Json(json!({"messages": items, "next_cursor": next}))
            }
        };
        let router = axum::Router::new()
            .route("/api/v1/messages", get(messages))
            .route(
                "/api/v1/chats/{id}",
                get(move || async move { axum::Json(json!({"message_count": count})) }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = Target::parse(&listener.local_addr().unwrap().to_string()).unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        target
    }

    fn files(acked: &[&str], pending: &[&str]) -> (tempfile_dir::Dir, PathBuf, PathBuf) {
        let dir = tempfile_dir::Dir::new();
        let (a, p) = (dir.0.join("acked"), dir.0.join("pending"));
        append_lines(
            &a,
            &acked.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
        )
        .unwrap();
        append_lines(
            &p,
            &pending.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
        )
        .unwrap();
        (dir, a, p)
    }

    /// A directory removed on drop (no tempfile dependency for one test helper).
    mod tempfile_dir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                let path = std::env::temp_dir()
                    .join(format!("hookpit-bench-test-{:016x}", fastrand::u64(..)));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[tokio::test]
    async fn every_acknowledged_token_stored_once_passes() {
        let stored = vec![
            "crash-token c1-0-0 end",
            "crash-token c1-0-1 end",
            "crash-token c1-1-0 end",
        ];
        let target = fake_server(stored, 3).await;
        // c1-1-0 was in flight at the kill: stored or not, both are fine.
        let (_dir, acked, pending) = files(&["c1-0-0", "c1-0-1"], &["c1-1-0", "c1-1-1"]);
        let verdict = verify(&target, "wrkA", &acked, &pending).await.unwrap();
        assert!(verdict.passed(), "{verdict:?}");
        assert_eq!((verdict.stored, verdict.acked), (3, 2));
    }

    #[tokio::test]
    async fn lost_duplicated_damaged_and_miscounted_messages_fail() {
        let stored = vec![
            "crash-token c1-0-0 end",
            "crash-token c1-0-0 end",
            "crash-token c1-0-2 e",
            "crash-token c9-9-9 end",
        ];
        let target = fake_server(stored, 7).await;
        let (_dir, acked, pending) = files(&["c1-0-0", "c1-0-1"], &[]);
        let verdict = verify(&target, "wrkA", &acked, &pending).await.unwrap();
        assert!(!verdict.passed());
        assert_eq!(verdict.missing, ["c1-0-1"]);
        assert_eq!(verdict.duplicated, ["c1-0-0"]);
        assert_eq!(verdict.foreign.len(), 2);
        assert_eq!(verdict.count_mismatch, Some(7));
    }
}
