//! Prometheus metrics, written by hand in the text exposition format (small enough not to need
//! a crate): webhook outcomes by endpoint, errcode and msgtype; a request latency histogram per
//! endpoint; stored messages; store size.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    // std Mutexes: held for one map update, never across an await.
    outcomes: Mutex<BTreeMap<(&'static str, i64, String), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    stored_messages: AtomicI64,
    in_flight: AtomicI64,
    connections: AtomicI64,
    faults: Mutex<BTreeMap<&'static str, u64>>,
    /// Refusals by errcode since the last summary (`take_refusals`).
    refusals: Mutex<BTreeMap<i64, u64>>,
    /// Relay attempts by outcome and upstream errcode.
    relay: Mutex<BTreeMap<(bool, Option<i64>), u64>>,
    /// Messages and media removed by retention, since the start.
    pruned_messages: AtomicI64,
    pruned_media: AtomicI64,
}

impl Metrics {
    /// Counts one webhook answer: `msgtype` is `""` when unknown (e.g. invalid JSON).
    pub fn record(&self, endpoint: &'static str, errcode: i64, msgtype: &str, took: Duration) {
        *self
            .outcomes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((endpoint, errcode, msgtype.to_owned()))
            .or_default() += 1;
        self.observe(endpoint, took);
    }

    /// Adds one request's latency to `endpoint`'s histogram.
    pub fn observe(&self, endpoint: &'static str, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut latency = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let histogram = latency.entry(endpoint).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                histogram.counts[i] += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// A webhook call started.
    pub fn enter(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// A webhook call ended (answered, or dropped by the client).
    pub fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    /// Webhook calls in progress.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// A webhook call was refused with `errcode`.
    pub fn count_refusal(&self, errcode: i64) {
        *self
            .refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(errcode)
            .or_default() += 1;
    }

    /// The refusals by errcode since the last call, for the periodic log summary.
    pub fn take_refusals(&self) -> BTreeMap<i64, u64> {
        std::mem::take(&mut *self.refusals.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A relay attempt ended: delivered, or not with the upstream's `errcode` (`None`: no
    /// answer).
    pub fn relay_attempt(&self, delivered: bool, errcode: Option<i64>) {
        *self
            .relay
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((delivered, errcode))
            .or_default() += 1;
    }

    /// Retention removed `messages` messages and `media` uploads.
    pub fn add_pruned(&self, messages: u64, media: u64) {
        self.pruned_messages.fetch_add(
            i64::try_from(messages).unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
        self.pruned_media
            .fetch_add(i64::try_from(media).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// An injected fault of `effect` was applied to a webhook call.
    pub fn fault_injected(&self, effect: &'static str) {
        *self
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(effect)
            .or_default() += 1;
    }

    /// A client connection was accepted.
    pub fn connection_opened(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// A client connection ended.
    pub fn connection_closed(&self) {
        self.connections.fetch_sub(1, Ordering::Relaxed);
    }

    /// Open client connections.
    pub fn connections(&self) -> i64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Sets the number of stored messages.
    pub fn set_stored(&self, count: u64) {
        self.stored_messages
            .store(i64::try_from(count).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Adds to the number of stored messages.
    pub fn add_stored(&self, count: usize) {
        self.stored_messages
            .fetch_add(i64::try_from(count).unwrap_or(0), Ordering::Relaxed);
    }

    /// The exposition text, with the process figures of `process`.
    pub fn render(&self, store_bytes: u64, process: &Process) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP hookpit_build_info The running build: version and git commit.\n");
        out.push_str("# TYPE hookpit_build_info gauge\n");
        let _ = writeln!(
            out,
            "hookpit_build_info{{version=\"{}\",commit=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            crate::GIT_COMMIT
        );
        out.push_str("# HELP hookpit_uptime_seconds Seconds since the server started.\n");
        out.push_str("# TYPE hookpit_uptime_seconds gauge\n");
        let _ = writeln!(
            out,
            "hookpit_uptime_seconds {:.3}",
            process.uptime.as_secs_f64()
        );
        if let Some(rss) = process.resident_bytes {
            out.push_str("# HELP hookpit_resident_memory_bytes Resident memory of the process.\n");
            out.push_str("# TYPE hookpit_resident_memory_bytes gauge\n");
            let _ = writeln!(out, "hookpit_resident_memory_bytes {rss}");
        }
        out.push_str("# HELP hookpit_pruned_total Messages and media removed by retention.\n");
        out.push_str("# TYPE hookpit_pruned_total counter\n");
        let _ = writeln!(
            out,
            "hookpit_pruned_total{{what=\"messages\"}} {}",
            self.pruned_messages.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "hookpit_pruned_total{{what=\"media\"}} {}",
            self.pruned_media.load(Ordering::Relaxed)
        );
        let rejected: u64 = self
            .outcomes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|((_, errcode, _), _)| *errcode != 0)
            .map(|(_, count)| *count)
            .sum();
        out.push_str(
            "# HELP hookpit_webhook_rejected_total Webhook calls refused, all errcodes.\n",
        );
        out.push_str("# TYPE hookpit_webhook_rejected_total counter\n");
        let _ = writeln!(out, "hookpit_webhook_rejected_total {rejected}");
        out.push_str("# HELP hookpit_webhook_requests_total Webhook answers by endpoint, errcode and msgtype.\n");
        out.push_str("# TYPE hookpit_webhook_requests_total counter\n");
        for ((endpoint, errcode, msgtype), count) in self
            .outcomes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "hookpit_webhook_requests_total{{endpoint=\"{endpoint}\",errcode=\"{errcode}\",msgtype=\"{}\",outcome=\"{}\"}} {count}",
                escape(msgtype),
                if *errcode == 0 {
                    "accepted"
                } else {
                    "rejected"
                },
            );
        }
        out.push_str("# HELP hookpit_request_duration_seconds Webhook request latency.\n");
        out.push_str("# TYPE hookpit_request_duration_seconds histogram\n");
        for (endpoint, histogram) in self
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
                let _ = writeln!(
                    out,
                    "hookpit_request_duration_seconds_bucket{{endpoint=\"{endpoint}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "hookpit_request_duration_seconds_bucket{{endpoint=\"{endpoint}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "hookpit_request_duration_seconds_sum{{endpoint=\"{endpoint}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "hookpit_request_duration_seconds_count{{endpoint=\"{endpoint}\"}} {}",
                histogram.count
            );
        }
        out.push_str("# HELP hookpit_webhook_in_flight Webhook calls being answered.\n");
        out.push_str("# TYPE hookpit_webhook_in_flight gauge\n");
        let _ = writeln!(out, "hookpit_webhook_in_flight {}", self.in_flight());
        out.push_str("# HELP hookpit_faults_injected_total Webhook calls an injected fault applied to, by effect.\n");
        out.push_str("# TYPE hookpit_faults_injected_total counter\n");
        for (effect, count) in self.faults.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                out,
                "hookpit_faults_injected_total{{effect=\"{effect}\"}} {count}"
            );
        }
        out.push_str(
            "# HELP hookpit_relay_attempts_total Relay attempts by result and upstream errcode.\n",
        );
        out.push_str("# TYPE hookpit_relay_attempts_total counter\n");
        for ((delivered, errcode), count) in
            self.relay.lock().unwrap_or_else(|e| e.into_inner()).iter()
        {
            let result = if *delivered { "delivered" } else { "failed" };
            let errcode = errcode.map_or_else(|| "none".to_owned(), |code| code.to_string());
            let _ = writeln!(
                out,
                "hookpit_relay_attempts_total{{result=\"{result}\",errcode=\"{errcode}\"}} {count}"
            );
        }
        out.push_str("# HELP hookpit_relay_queue_depth Messages waiting for the relay, by bot.\n");
        out.push_str("# TYPE hookpit_relay_queue_depth gauge\n");
        out.push_str("# HELP hookpit_relay_queue_oldest_seconds Age of the oldest message waiting for the relay, by bot.\n");
        out.push_str("# TYPE hookpit_relay_queue_oldest_seconds gauge\n");
        for (bot, depth, oldest_age) in &process.relay_queues {
            let _ = writeln!(
                out,
                "hookpit_relay_queue_depth{{bot=\"{}\"}} {depth}",
                escape(bot)
            );
            let _ = writeln!(
                out,
                "hookpit_relay_queue_oldest_seconds{{bot=\"{}\"}} {:.3}",
                escape(bot),
                oldest_age
            );
        }
        out.push_str("# HELP hookpit_http_connections Open client connections.\n");
        out.push_str("# TYPE hookpit_http_connections gauge\n");
        let _ = writeln!(out, "hookpit_http_connections {}", self.connections());
        out.push_str("# HELP hookpit_stored_messages Messages in the store.\n");
        out.push_str("# TYPE hookpit_stored_messages gauge\n");
        let _ = writeln!(
            out,
            "hookpit_stored_messages {}",
            self.stored_messages.load(Ordering::Relaxed)
        );
        out.push_str("# HELP hookpit_store_size_bytes Bytes on disk: database, WAL and media.\n");
        out.push_str("# TYPE hookpit_store_size_bytes gauge\n");
        let _ = writeln!(out, "hookpit_store_size_bytes {store_bytes}");
        out
    }
}

/// What `/metrics` says of the process itself.
#[derive(Debug, Clone, Default)]
pub struct Process {
    pub uptime: Duration,
    /// Resident set size, where the system tells it (Linux: `/proc/self/statm`).
    pub resident_bytes: Option<u64>,
    /// The relay's queue per bot: depth and the age of its oldest entry in seconds.
    pub relay_queues: Vec<(String, u64, f64)>,
}

impl Process {
    /// The figures now, for a server started at `started`.
    pub fn now(started: std::time::Instant) -> Process {
        Process {
            uptime: started.elapsed(),
            resident_bytes: resident_bytes(),
            relay_queues: Vec::new(),
        }
    }
}

/// Resident memory from `/proc/self/statm` (pages × 4 KiB, the page size of the platforms
/// Hookpit runs on); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_counters_histogram_and_gauges() {
        let metrics = Metrics::default();
        metrics.record("send", 0, "text", Duration::from_millis(2));
        metrics.record("send", 93000, "", Duration::from_millis(1));
        metrics.set_stored(7);
        let text = metrics.render(1024, &Process::default());
        assert!(text.contains(
            "hookpit_webhook_requests_total{endpoint=\"send\",errcode=\"0\",msgtype=\"text\",outcome=\"accepted\"} 1"
        ));
        assert!(text.contains("hookpit_request_duration_seconds_count{endpoint=\"send\"} 2"));
        assert!(text.contains("hookpit_stored_messages 7"));
        assert!(text.contains("hookpit_store_size_bytes 1024"));
        assert!(text.contains("hookpit_webhook_rejected_total 1"));
        assert!(text.contains("hookpit_build_info{version="));
    }
}
