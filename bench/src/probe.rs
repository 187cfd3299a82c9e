//! Measurements around the load: resident memory of a process and the inbox's first page.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::Serialize;
use serde_json::Value;

use crate::http::{Connection, Outgoing, Target};

/// Resident memory of a process, from `/proc/PID/status`.
#[derive(Debug, Serialize)]
pub struct Memory {
    /// Current resident set, in KiB.
    pub rss_kib: u64,
    /// Peak resident set, in KiB.
    pub peak_kib: u64,
}

/// Reads `VmRSS` and `VmHWM` of `pid`.
///
/// # Errors
/// The process does not exist (or this is not Linux).
pub fn memory(pid: u32) -> anyhow::Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        parse_kib(&status, name).with_context(|| format!("no {name} in {path}"))
    };
    Ok(Memory {
        rss_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

/// The value in kB of a `/proc/PID/status` line such as `VmRSS:   10432 kB`.
fn parse_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// CPU time (user + system, all threads) a process has used so far, in seconds.
///
/// # Errors
/// The process does not exist (or this is not Linux).
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse_cpu_ticks(&stat)
        .map(|ticks| ticks as f64 / CLOCK_TICKS_PER_SECOND)
        .with_context(|| format!("unexpected {path}"))
}

/// `USER_HZ`: 100 on every Linux architecture that matters here (`getconf CLK_TCK`).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line. The command name (field 2) may
/// hold spaces and parentheses, so fields are counted after its closing parenthesis.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// Timings of the inbox's first page.
#[derive(Debug, Serialize)]
pub struct PageTimes {
    pub path: String,
    /// Messages on the page.
    pub messages: usize,
    /// The first request, on a fresh connection (cold caches).
    pub first_ms: f64,
    pub median_ms: f64,
    pub max_ms: f64,
    pub repeats: usize,
}

/// Times `GET /api/v1/messages?chatid=C&limit=L` once cold and `repeats` times more.
///
/// # Errors
/// The server does not answer 200 with a `messages` array.
pub async fn inbox_page(
    target: &Target,
    chatid: Option<&str>,
    limit: u32,
    repeats: usize,
) -> anyhow::Result<PageTimes> {
    let path = match chatid {
        Some(chatid) => format!("/api/v1/messages?chatid={chatid}&limit={limit}"),
        None => format!("/api/v1/messages?limit={limit}"),
    };
    let mut connection = Connection::open(target).await?;
    let mut times = Vec::with_capacity(repeats + 1);
    let mut messages = 0;
    for _ in 0..=repeats {
        let start = Instant::now();
        let incoming = connection.send(&Outgoing::get(path.clone())).await?;
        times.push(start.elapsed());
        if incoming.status != 200 {
            bail!("GET {path} answered {}", incoming.status);
        }
        let page: Value = serde_json::from_slice(&incoming.body)?;
        messages = page
            .get("messages")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
    }
    let first = times[0];
    let mut rest: Vec<Duration> = times[1..].to_vec();
    rest.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(PageTimes {
        path,
        messages,
        first_ms: ms(first),
        median_ms: rest.get(rest.len() / 2).map_or(0.0, |d| ms(*d)),
        max_ms: rest.last().map_or(0.0, |d| ms(*d)),
        repeats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_give_their_kib() {
        let status = "Name:\thookpit\nVmHWM:\t   20480 kB\nVmRSS:\t   10432 kB\n";
        assert_eq!(parse_kib(status, "VmRSS:"), Some(10432));
        assert_eq!(parse_kib(status, "VmHWM:"), Some(20480));
        assert_eq!(parse_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn cpu_ticks_are_counted_after_the_command_name() {
        let stat = "4242 (tokio (rt) x) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        assert!(cpu_seconds(std::process::id()).is_ok());
    }

    #[test]
    fn this_process_has_a_resident_set() {
        let memory = memory(std::process::id()).unwrap();
        assert!(memory.rss_kib > 0 && memory.peak_kib >= memory.rss_kib);
    }
}
