//! `hookpit-bench load`: its flags, and the report it prints (the run itself is [`crate::load`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::ValueEnum;

use crate::http::Target;
use crate::load;
use crate::print_json;
use crate::scenario::{RequestMaker, Scenario};
use crate::setup;

#[derive(clap::Args)]
pub struct LoadArgs {
    /// Base URL of the server, e.g. `http://127.0.0.1:8765`; several, comma-separated, for
    /// instances of one shared store (connections are spread evenly, `--setup` uses the first).
    #[arg(long, value_delimiter = ',', required = true)]
    pub url: Vec<String>,
    #[arg(long, value_enum, default_value_t = Scenario::Text)]
    pub scenario: Scenario,
    #[arg(long, value_enum, default_value_t = ModeArg::Saturation)]
    pub mode: ModeArg,
    /// Keep-alive connections, each with one request in flight.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Measured seconds (saturation, rate).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Unmeasured seconds before (saturation, rate).
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Offered requests per second (rate).
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Requests to send (count).
    #[arg(long, default_value_t = 100_000)]
    pub requests: u64,
    /// Create the scenario's bot and groups through /api/v1 first (Hookpit; not the baseline).
    #[arg(long)]
    pub setup: bool,
    /// Bot key (without --setup).
    #[arg(long, default_value = "baseline-key")]
    pub key: String,
    /// Target chat (without --setup; broadcast always sends to `@all_group`).
    #[arg(long, default_value = "wrkBenchBaselineGroup00000000000")]
    pub chatid: String,
    /// Runtime worker threads of the generator (with 1, the generator is the bottleneck of the
    /// baseline on a 2-core machine).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Print progress every this many seconds (count mode).
    #[arg(long)]
    pub progress: Option<f64>,
    /// The server's process id, to report its CPU time per request (several, comma-separated:
    /// their sum).
    #[arg(long, value_delimiter = ',')]
    pub server_pid: Vec<u32>,
    /// Write `scheduled_ms latency_ms` of every measured request to this file (rate mode).
    #[arg(long)]
    pub timeline: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy)]
pub enum ModeArg {
    Saturation,
    Rate,
    Count,
}

/// Runs `hookpit-bench load` and prints its report as one JSON line.
pub async fn run_load(args: LoadArgs) -> anyhow::Result<()> {
    let targets = args
        .url
        .iter()
        .map(|url| Target::parse(url))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let scenario = args.scenario;
    let (key, chatid) = if args.setup {
        let first = targets.first().context("no --url")?;
        let bot = setup::create_bot(first, scenario.name(), scenario.groups()).await?;
        let first = bot.groups.first().cloned().unwrap_or_default();
        (bot.key, first)
    } else {
        (args.key, args.chatid)
    };
    // Broadcast goes to every group of the bot (spec §2.1: `@all_group`); the others to one.
    let send_to = match scenario {
        Scenario::Broadcast => "@all_group",
        _ => chatid.as_str(),
    };
    let maker = RequestMaker::new(scenario, &key, Some(send_to));
    let mode = match args.mode {
        ModeArg::Saturation => load::Mode::Saturation {
            duration: Duration::from_secs_f64(args.duration),
        },
        ModeArg::Rate => load::Mode::Rate {
            per_second: args.rate,
            duration: Duration::from_secs_f64(args.duration),
        },
        ModeArg::Count => load::Mode::Count {
            requests: args.requests,
        },
    };
    let run = load::Load {
        targets,
        maker: Arc::new(maker),
        scenario: scenario.name().to_owned(),
        connections: args.connections.max(1),
        mode,
        warmup: Duration::from_secs_f64(args.warmup),
        progress: args.progress.map(Duration::from_secs_f64),
        server_pids: args.server_pid,
        timeline: args.timeline,
    };
    let report = run.run().await?;
    for kind in &report.error_kinds {
        eprintln!("  {} x{}: {}", kind.label, kind.count, kind.example);
    }
    let mut json = serde_json::to_value(&report)?;
    if let Some(object) = json.as_object_mut() {
        object.insert("key".to_owned(), key.into());
        object.insert("chatid".to_owned(), chatid.into());
        if let load::Mode::Rate { per_second, .. } = mode {
            object.insert("offered_rate".to_owned(), per_second.into());
        }
    }
    print_json(&json)
}
