//! What a load run observed: outcomes, latencies and their percentiles.
//!
//! Latencies are kept as raw microsecond samples (a 10 s run at saturation holds at most a few
//! hundred thousand) and sorted once at the end: exact percentiles, no histogram library.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// The WeCom reply fields the generator looks at.
#[derive(serde::Deserialize)]
struct Reply {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// HTTP 200 with `errcode` 0.
    Ok,
    /// HTTP 200 with a non-zero `errcode`.
    Refused { errcode: i64, errmsg: String },
    /// Any other HTTP status, or a body that is not a WeCom reply.
    Http { status: u16, excerpt: String },
    /// The connection broke before a whole response arrived.
    Transport(String),
}

impl Outcome {
    /// Classifies a response.
    pub fn of_response(status: u16, body: &[u8]) -> Outcome {
        let excerpt = || String::from_utf8_lossy(&body[..body.len().min(160)]).into_owned();
        if status != 200 {
            return Outcome::Http {
                status,
                excerpt: excerpt(),
            };
        }
        match serde_json::from_slice::<Reply>(body) {
            Ok(reply) if reply.errcode == 0 => Outcome::Ok,
            Ok(reply) => Outcome::Refused {
                errcode: reply.errcode,
                errmsg: reply.errmsg,
            },
            Err(_) => Outcome::Http {
                status,
                excerpt: excerpt(),
            },
        }
    }

    /// A short key grouping similar failures.
    fn label(&self) -> Option<String> {
        match self {
            Outcome::Ok => None,
            Outcome::Refused { errcode, .. } => Some(format!("errcode {errcode}")),
            Outcome::Http { status, .. } => Some(format!("HTTP {status}")),
            Outcome::Transport(_) => Some("transport".to_owned()),
        }
    }

    fn detail(&self) -> String {
        match self {
            Outcome::Ok => String::new(),
            Outcome::Refused { errmsg, .. } => errmsg.clone(),
            Outcome::Http { excerpt, .. } => excerpt.clone(),
            Outcome::Transport(error) => error.clone(),
        }
    }
}

/// What one worker (or a whole run, once merged) recorded.
#[derive(Debug, Default)]
pub struct Recorder {
    pub ok: u64,
    /// Latency of each recorded request, in microseconds.
    pub latencies: Vec<u32>,
    /// Service time (from the actual send, not the scheduled one), in microseconds.
    pub service: Vec<u32>,
    /// Failures by kind: count and one example.
    pub errors: BTreeMap<String, (u64, String)>,
    /// (scheduled time since the start, latency), both in microseconds, when asked for: shows
    /// whether slow requests come in periodic bursts.
    pub timeline: Vec<(u64, u32)>,
}

impl Recorder {
    /// Records one request.
    pub fn record(&mut self, outcome: &Outcome, latency: Duration, service: Duration) {
        self.latencies.push(micros(latency));
        self.service.push(micros(service));
        match outcome.label() {
            None => self.ok += 1,
            Some(label) => {
                let entry = self
                    .errors
                    .entry(label)
                    .or_insert_with(|| (0, outcome.detail()));
                entry.0 += 1;
            }
        }
    }

    /// Adds `other`'s records to these.
    pub fn merge(&mut self, other: Recorder) {
        self.ok += other.ok;
        self.latencies.extend(other.latencies);
        self.service.extend(other.service);
        self.timeline.extend(other.timeline);
        for (label, (count, example)) in other.errors {
            self.errors.entry(label).or_insert((0, example)).0 += count;
        }
    }

    /// Writes the timeline, sorted by scheduled time, as `scheduled_ms latency_ms` lines.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write_timeline(&mut self, path: &std::path::Path) -> std::io::Result<()> {
        use std::io::Write as _;
        self.timeline.sort_unstable();
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (scheduled, latency) in &self.timeline {
            writeln!(
                out,
                "{:.3} {:.3}",
                *scheduled as f64 / 1000.0,
                f64::from(*latency) / 1000.0
            )?;
        }
        out.flush()
    }

    /// The report of a run that measured for `elapsed`.
    pub fn report(
        mut self,
        scenario: &str,
        mode: &str,
        connections: usize,
        elapsed: Duration,
    ) -> Report {
        self.latencies.sort_unstable();
        self.service.sort_unstable();
        let errors: u64 = self.errors.values().map(|(count, _)| count).sum();
        let seconds = elapsed.as_secs_f64().max(1e-9);
        Report {
            scenario: scenario.to_owned(),
            mode: mode.to_owned(),
            connections,
            seconds,
            requests: self.ok + errors,
            ok: self.ok,
            errors,
            throughput: self.ok as f64 / seconds,
            p50_ms: percentile_ms(&self.latencies, 0.50),
            p90_ms: percentile_ms(&self.latencies, 0.90),
            p99_ms: percentile_ms(&self.latencies, 0.99),
            max_ms: percentile_ms(&self.latencies, 1.0),
            service_p50_ms: percentile_ms(&self.service, 0.50),
            service_p99_ms: percentile_ms(&self.service, 0.99),
            error_kinds: self
                .errors
                .into_iter()
                .map(|(label, (count, example))| ErrorKind {
                    label,
                    count,
                    example,
                })
                .collect(),
            cpu: None,
        }
    }
}

/// One failure kind of a report.
#[derive(Debug, Serialize)]
pub struct ErrorKind {
    pub label: String,
    pub count: u64,
    pub example: String,
}

/// The summary of a run, printed as one JSON line for the scripts.
#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub mode: String,
    pub connections: usize,
    pub seconds: f64,
    pub requests: u64,
    pub ok: u64,
    /// Requests that did not end with HTTP 200 and errcode 0.
    pub errors: u64,
    /// Successful requests per second.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub service_p50_ms: f64,
    pub service_p99_ms: f64,
    pub error_kinds: Vec<ErrorKind>,
    /// CPU used during the measured window, when the server's pid was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuUse>,
}

/// CPU time spent by the server and by the generator during the measured window.
#[derive(Debug, Serialize)]
pub struct CpuUse {
    /// Cores the server kept busy on average.
    pub server_cores: f64,
    /// Server CPU time per successful request, in microseconds.
    pub server_us_per_request: f64,
    pub generator_cores: f64,
    pub generator_us_per_request: f64,
}

fn micros(duration: Duration) -> u32 {
    u32::try_from(duration.as_micros()).unwrap_or(u32::MAX)
}

/// The `q` quantile (nearest rank) of sorted microsecond samples, in milliseconds; 0 when empty.
pub fn percentile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank: the smallest sample with at least q of the samples at or below it. q is in
    // [0, 1], so the rank fits in usize.
    #[allow(clippy::cast_possible_truncation)]
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    let index = rank.min(sorted.len()) - 1;
    f64::from(sorted[index]) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile_ms(&samples, 0.50), 50.0);
        assert_eq!(percentile_ms(&samples, 0.99), 99.0);
        assert_eq!(percentile_ms(&samples, 1.0), 100.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
        assert_eq!(percentile_ms(&[7000], 0.01), 7.0);
    }

    #[test]
    fn non_zero_errcodes_and_other_statuses_count_as_errors() {
        assert_eq!(
            Outcome::of_response(200, br#"{"errcode":0,"errmsg":"ok"}"#),
            Outcome::Ok
        );
        let refused = Outcome::of_response(
            200,
            br#"{"errcode":45009,"errmsg":"api freq out of limit"}"#,
        );
        assert!(matches!(refused, Outcome::Refused { errcode: 45009, .. }));
        assert!(matches!(
            Outcome::of_response(500, b""),
            Outcome::Http { status: 500, .. }
        ));
        assert!(matches!(
            Outcome::of_response(200, b"<html>"),
            Outcome::Http { status: 200, .. }
        ));
    }

    #[test]
    fn merged_recorders_add_up_and_the_report_counts_errors() {
        let mut a = Recorder::default();
        a.record(
            &Outcome::Ok,
            Duration::from_millis(1),
            Duration::from_millis(1),
        );
        let mut b = Recorder::default();
        let refused = Outcome::Refused {
            errcode: 93000,
            errmsg: "invalid webhook url".into(),
        };
        b.record(&refused, Duration::from_millis(3), Duration::from_millis(2));
        b.record(&refused, Duration::from_millis(2), Duration::from_millis(2));
        a.merge(b);
        let report = a.report("text", "saturation", 2, Duration::from_secs(1));
        assert_eq!((report.ok, report.errors, report.requests), (1, 2, 3));
        assert_eq!(report.throughput, 1.0);
        assert_eq!(report.error_kinds[0].label, "errcode 93000");
        assert_eq!(report.error_kinds[0].count, 2);
        assert_eq!(report.max_ms, 3.0);
    }
}
