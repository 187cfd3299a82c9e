//! The load generator: N keep-alive connections, one request in flight on each.
//!
//! Three modes:
//! - saturation: every connection sends its next request as soon as the last one is answered,
//!   for a fixed time; gives the maximum throughput.
//! - rate (open loop): requests are scheduled at a fixed offered rate whatever the server does,
//!   and latency runs from the *scheduled* time, so a stalled server is charged for the requests
//!   that queued behind the stall (no coordinated omission). A dedicated OS thread schedules, as
//!   tokio's timer only has millisecond granularity; any free connection takes the next request.
//! - count: a fixed number of requests at saturation (filling the store).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::{Mutex, mpsc};

use crate::http::{Connection, Target};
use crate::scenario::RequestMaker;
use crate::stats::{CpuUse, Outcome, Recorder, Report};

/// How the load is offered.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// As fast as the server answers, for `duration` after the warm-up.
    Saturation { duration: Duration },
    /// `per_second` requests per second for `duration` after the warm-up.
    Rate { per_second: f64, duration: Duration },
    /// Exactly `requests` requests, as fast as the server answers.
    Count { requests: u64 },
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Saturation { .. } => "saturation",
            Mode::Rate { .. } => "rate",
            Mode::Count { .. } => "count",
        }
    }
}

/// One load run.
pub struct Load {
    /// Where to send: connection `i` goes to `targets[i % len]`, so N instances of one shared
    /// store get the same number of connections each.
    pub targets: Vec<Target>,
    pub maker: Arc<RequestMaker>,
    pub scenario: String,
    pub connections: usize,
    pub mode: Mode,
    /// Requests sent before this much time has passed are not recorded.
    pub warmup: Duration,
    /// Print progress to stderr every this often (count mode).
    pub progress: Option<Duration>,
    /// The servers' process ids: their CPU time (summed) is measured over the window.
    pub server_pids: Vec<u32>,
    /// Write each request's scheduled time and latency here (rate mode).
    pub timeline: Option<std::path::PathBuf>,
}

/// CPU seconds used so far by the servers (summed; `None` if none is given or one is unreadable)
/// and by this process.
fn cpu_now(server_pids: &[u32]) -> (Option<f64>, Option<f64>) {
    let server = if server_pids.is_empty() {
        None
    } else {
        server_pids
            .iter()
            .map(|&pid| crate::probe::cpu_seconds(pid).ok())
            .sum::<Option<f64>>()
    };
    (server, crate::probe::cpu_seconds(std::process::id()).ok())
}

impl Load {
    /// Runs the load and reports what was measured.
    ///
    /// # Errors
    /// The connections cannot be opened.
    pub async fn run(self) -> anyhow::Result<Report> {
        anyhow::ensure!(!self.targets.is_empty(), "no server to send to");
        let mut connections = Vec::with_capacity(self.connections);
        for index in 0..self.connections {
            let target = self.targets[index % self.targets.len()].clone();
            connections.push((Connection::open(&target).await?, target));
        }
        let load = Arc::new(self);
        let start = Instant::now();
        // CPU counters at the start of the measured window (taken by a task, as the window
        // opens while the workers run).
        let window_start = {
            let at = match load.mode {
                Mode::Count { .. } => start,
                _ => start + load.warmup,
            };
            let pids = load.server_pids.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(at.into()).await;
                (Instant::now(), cpu_now(&pids))
            })
        };
        let (recorder, measured) = match load.mode {
            Mode::Rate {
                per_second,
                duration,
            } => {
                let recorder = run_rate(&load, connections, per_second, start, duration).await;
                (recorder, duration)
            }
            Mode::Saturation { duration } => {
                let measure_from = start + load.warmup;
                let end = measure_from + duration;
                let recorder = run_closed(&load, connections, measure_from, Stop::At(end)).await;
                (recorder, measure_from.elapsed())
            }
            Mode::Count { requests } => {
                let recorder = run_closed(&load, connections, start, Stop::After(requests)).await;
                (recorder, start.elapsed())
            }
        };
        let (server_end, generator_end) = cpu_now(&load.server_pids);
        let mut recorder = recorder;
        if let Some(path) = &load.timeline {
            recorder
                .write_timeline(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let mut report =
            recorder.report(&load.scenario, load.mode.name(), load.connections, measured);
        if let Ok((opened, (Some(server_start), Some(generator_start)))) = window_start.await
            && let (Some(server_end), Some(generator_end)) = (server_end, generator_end)
        {
            let seconds = opened.elapsed().as_secs_f64().max(1e-9);
            let per_request = 1e6 / (report.ok.max(1) as f64);
            report.cpu = Some(CpuUse {
                server_cores: (server_end - server_start) / seconds,
                server_us_per_request: (server_end - server_start) * per_request,
                generator_cores: (generator_end - generator_start) / seconds,
                generator_us_per_request: (generator_end - generator_start) * per_request,
            });
        }
        Ok(report)
    }
}

/// When a closed-loop run stops sending.
#[derive(Clone, Copy)]
enum Stop {
    At(Instant),
    After(u64),
}

/// A connection and the server it goes to (it reconnects there).
type Link = (Connection, Target);

async fn run_closed(
    load: &Arc<Load>,
    connections: Vec<Link>,
    measure_from: Instant,
    stop: Stop,
) -> Recorder {
    let next = Arc::new(AtomicU64::new(0));
    let progress = load.progress.map(|every| {
        let next = Arc::clone(&next);
        tokio::spawn(async move {
            let start = Instant::now();
            loop {
                tokio::time::sleep(every).await;
                let sent = next.load(Ordering::Relaxed);
                let rate = sent as f64 / start.elapsed().as_secs_f64();
                eprintln!("  {sent} requests sent, {rate:.0}/s");
            }
        })
    });
    let mut workers = Vec::with_capacity(connections.len());
    for (mut connection, target) in connections {
        let load = Arc::clone(load);
        let next = Arc::clone(&next);
        workers.push(tokio::spawn(async move {
            let mut recorder = Recorder::default();
            loop {
                if let Stop::At(end) = stop
                    && Instant::now() >= end
                {
                    break;
                }
                let seq = next.fetch_add(1, Ordering::Relaxed);
                if let Stop::After(total) = stop
                    && seq >= total
                {
                    break;
                }
                let outgoing = load.maker.make(seq);
                let sent_at = Instant::now();
                let outcome = send(&mut connection, &target, &outgoing).await;
                let latency = sent_at.elapsed();
                if sent_at >= measure_from {
                    recorder.record(&outcome, latency, latency);
                }
            }
            recorder
        }));
    }
    let recorder = merge(workers).await;
    if let Some(progress) = progress {
        progress.abort();
    }
    recorder
}

/// A request of the open-loop schedule.
struct Job {
    seq: u64,
    scheduled: Instant,
}

async fn run_rate(
    load: &Arc<Load>,
    connections: Vec<Link>,
    per_second: f64,
    start: Instant,
    duration: Duration,
) -> Recorder {
    let measure_from = start + load.warmup;
    let total = (per_second * (load.warmup + duration).as_secs_f64()).round();
    // The schedule holds at most a few million requests: u64 is plenty.
    #[allow(clippy::cast_possible_truncation)]
    let total = total.max(0.0) as u64;
    let interval = Duration::from_secs_f64(1.0 / per_second.max(1e-3));
    let (jobs, queue) = mpsc::unbounded_channel::<Job>();
    // std::thread::sleep has microsecond precision, tokio's timer a millisecond.
    let scheduler = std::thread::spawn(move || {
        for seq in 0..total {
            let scheduled = start + interval.mul_f64(seq as f64);
            let now = Instant::now();
            if scheduled > now {
                std::thread::sleep(scheduled - now);
            }
            if jobs.send(Job { seq, scheduled }).is_err() {
                break;
            }
        }
    });
    let queue = Arc::new(Mutex::new(queue));
    let mut workers = Vec::with_capacity(connections.len());
    for (mut connection, target) in connections {
        let load = Arc::clone(load);
        let queue = Arc::clone(&queue);
        workers.push(tokio::spawn(async move {
            let mut recorder = Recorder::default();
            loop {
                let job = queue.lock().await.recv().await;
                let Some(job) = job else { break };
                let outgoing = load.maker.make(job.seq);
                let sent_at = Instant::now();
                let outcome = send(&mut connection, &target, &outgoing).await;
                let done = Instant::now();
                if job.scheduled >= measure_from {
                    let latency = done - job.scheduled;
                    recorder.record(&outcome, latency, done - sent_at);
                    if load.timeline.is_some() {
                        let at =
                            u64::try_from((job.scheduled - start).as_micros()).unwrap_or(u64::MAX);
                        recorder
                            .timeline
                            .push((at, u32::try_from(latency.as_micros()).unwrap_or(u32::MAX)));
                    }
                }
            }
            recorder
        }));
    }
    let recorder = merge(workers).await;
    let _ = tokio::task::spawn_blocking(move || scheduler.join()).await;
    recorder
}

/// Sends one request; on a broken connection, reconnects for the next one.
async fn send(
    connection: &mut Connection,
    target: &Target,
    outgoing: &crate::http::Outgoing,
) -> Outcome {
    match connection.send(outgoing).await {
        Ok(incoming) => Outcome::of_response(incoming.status.as_u16(), &incoming.body),
        Err(error) => {
            if let Ok(fresh) = Connection::open(target).await {
                *connection = fresh;
            }
            Outcome::Transport(format!("{error:#}"))
        }
    }
}

async fn merge(workers: Vec<tokio::task::JoinHandle<Recorder>>) -> Recorder {
    let mut all = Recorder::default();
    for worker in workers {
        if let Ok(recorder) = worker.await {
            all.merge(recorder);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    /// Serves `router` on a free loopback port.
    async fn spawn(router: axum::Router) -> Target {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = Target::parse(&listener.local_addr().unwrap().to_string()).unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        target
    }

    fn load(target: Target, mode: Mode) -> Load {
        Load {
            targets: vec![target],
            maker: Arc::new(RequestMaker::new(Scenario::Text, "k", Some("wrkA"))),
            scenario: "text".to_owned(),
            connections: 4,
            mode,
            warmup: Duration::ZERO,
            progress: None,
            server_pids: Vec::new(),
            timeline: None,
        }
    }

    #[tokio::test]
    async fn a_count_run_against_the_baseline_sends_exactly_that_many_requests() {
        let target = spawn(crate::baseline::router()).await;
        let report = load(target, Mode::Count { requests: 300 })
            .run()
            .await
            .unwrap();
        assert_eq!((report.ok, report.errors), (300, 0));
        assert!(report.throughput > 0.0);
    }

    #[tokio::test]
    async fn connections_are_spread_evenly_over_several_servers() {
        let counting = || {
            let hits = Arc::new(AtomicU64::new(0));
            let counter = Arc::clone(&hits);
            let router = axum::Router::new().route(
                "/cgi-bin/webhook/send",
                axum::routing::post(move || {
                    counter.fetch_add(1, Ordering::Relaxed);
                    async { r#"{"errcode":0,"errmsg":"ok"}"# }
                }),
            );
            (router, hits)
        };
        let (first, first_hits) = counting();
        let (second, second_hits) = counting();
        let mut run = load(spawn(first).await, Mode::Count { requests: 200 });
        run.targets.push(spawn(second).await);
        let report = run.run().await.unwrap();
        assert_eq!((report.ok, report.errors), (200, 0));
        // Four connections, two on each: both servers take a share.
        let (a, b) = (
            first_hits.load(Ordering::Relaxed),
            second_hits.load(Ordering::Relaxed),
        );
        assert_eq!(a + b, 200);
        assert!(a > 0 && b > 0, "{a} and {b}");
    }

    #[tokio::test]
    async fn a_rate_run_sends_the_offered_rate_times_the_duration() {
        let target = spawn(crate::baseline::router()).await;
        let mode = Mode::Rate {
            per_second: 500.0,
            duration: Duration::from_millis(200),
        };
        let report = load(target, mode).run().await.unwrap();
        assert_eq!(report.requests, 100);
        assert_eq!(report.errors, 0);
    }

    #[tokio::test]
    async fn non_zero_errcodes_are_counted_as_errors() {
        let refusing = axum::Router::new().route(
            "/cgi-bin/webhook/send",
            axum::routing::post(|| async {
                r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#
            }),
        );
        let target = spawn(refusing).await;
        let report = load(target, Mode::Count { requests: 20 })
            .run()
            .await
            .unwrap();
        assert_eq!((report.ok, report.errors), (0, 20));
        assert_eq!(report.error_kinds[0].label, "errcode 45009");
    }
}
