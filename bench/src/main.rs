//! `hookpit-bench`: Hookpit's load generator, baseline server and the helpers of the benchmark
//! and crash-safety scripts (`bench/run.sh`, `bench/crash.sh`).
//!
//! # Layout
//! - [`http`]: one keep-alive HTTP/1.1 connection on hyper's low-level client.
//! - [`scenario`]: the request bodies of each scenario (distinct per request); [`png`] the
//!   pictures of the image scenario.
//! - [`load`]: saturation, fixed-rate (open-loop) and fixed-count runs; [`stats`] their figures;
//!   [`load_command`] the flags and report of `hookpit-bench load`.
//! - [`setup`]: bots and groups created through `/api/v1`.
//! - [`baseline`]: the do-nothing server that gives the HTTP stack's ceiling.
//! - [`crash`]: the crash test's sender and checker; [`probe`]: memory and inbox timings.
//! - [`table`]: the Markdown results table of `bench/run.sh`.
//! - [`search`]: search time, bytes and memory at 10⁴–10⁶ stored messages.
//!
//! Reports go to stdout as one JSON object per line; diagnostics to stderr. Everything but
//! `search` measures the server from outside, as any sender would; `search` fills a store
//! directly (`hookpit-server`'s `testing` feature) and serves it in-process.

mod baseline;
mod crash;
mod http;
mod load;
mod load_command;
mod png;
mod probe;
mod scenario;
mod search;
mod setup;
mod stats;
mod table;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::http::Target;
use crate::load_command::{LoadArgs, run_load};

/// Hookpit's benchmark tools.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the do-nothing baseline (constant `{"errcode":0,"errmsg":"ok"}`).
    Baseline {
        #[arg(long, default_value = "127.0.0.1:8766")]
        listen: SocketAddr,
    },
    /// Offer load to a server and print the figures as one JSON line.
    Load(LoadArgs),
    /// Create a bot in N new groups through /api/v1; prints `KEY CHATID...` on one line.
    Setup {
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "crash")]
        name: String,
        #[arg(long, default_value_t = 1)]
        groups: usize,
    },
    /// Send unique tokens at full speed until the server dies; record acknowledged tokens.
    CrashSend {
        #[arg(long)]
        url: String,
        #[arg(long)]
        key: String,
        #[arg(long)]
        chatid: String,
        #[arg(long, default_value_t = 8)]
        connections: usize,
        /// Prefix of this run's tokens (e.g. the cycle number).
        #[arg(long)]
        run: String,
        /// File the acknowledged tokens are appended to.
        #[arg(long)]
        acked: PathBuf,
        /// File the tokens of unknown fate (in flight at the kill, refused) are appended to.
        #[arg(long)]
        pending: PathBuf,
        /// Stop anyway after this many seconds.
        #[arg(long, default_value_t = 60.0)]
        max_seconds: f64,
    },
    /// Check that every acknowledged token is stored exactly once; exits 1 otherwise.
    Verify {
        #[arg(long)]
        url: String,
        #[arg(long)]
        chatid: String,
        #[arg(long)]
        acked: PathBuf,
        #[arg(long)]
        pending: PathBuf,
    },
    /// Run SQLite's integrity check on a data directory's database (read-only).
    CheckDb {
        #[arg(long)]
        data: PathBuf,
    },
    /// Print the resident memory of a process as JSON.
    Rss {
        #[arg(long)]
        pid: u32,
    },
    /// Time the inbox's first page (`GET /api/v1/messages?chatid=C&limit=L`).
    Inbox {
        #[arg(long)]
        url: String,
        #[arg(long)]
        chatid: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 20)]
        repeat: usize,
    },
    /// Fill a store to each size (straight into the store, not over HTTP) and time searches
    /// over HTTP; prints a JSON line per query and per size.
    Search {
        /// Stored messages at which to measure, ascending.
        #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
        sizes: Vec<u64>,
        /// Timed repeats of each query after the first (cold) one.
        #[arg(long, default_value_t = 20)]
        repeat: usize,
    },
    /// Wait until a server answers HTTP.
    Wait {
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 30.0)]
        timeout_seconds: f64,
    },
    /// Print a free TCP port on the loopback interface.
    Port,
    /// Print the Markdown results table from the JSON lines collected by `bench/run.sh`.
    Table {
        #[arg(long)]
        results: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("hookpit-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// A runtime like `#[tokio::main]`'s (one worker per core) or with `threads` workers.
fn runtime(threads: Option<usize>) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = threads {
        builder.worker_threads(threads.max(1));
    }
    Ok(builder.enable_all().build()?)
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Baseline { listen } => runtime(None)?.block_on(async {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            baseline::serve(listener).await
        })?,
        Command::Load(args) => {
            let threads = args.threads;
            runtime(Some(threads))?.block_on(run_load(args))?;
        }
        Command::Setup { url, name, groups } => {
            let target = Target::parse(&url)?;
            let bot = runtime(Some(1))?.block_on(setup::create_bot(&target, &name, groups))?;
            println!("{} {}", bot.key, bot.groups.join(" "));
        }
        Command::CrashSend {
            url,
            key,
            chatid,
            connections,
            run,
            acked,
            pending,
            max_seconds,
        } => {
            let send = crash::CrashSend {
                target: Target::parse(&url)?,
                key,
                chatid,
                connections,
                run,
                acked,
                pending,
                max: Duration::from_secs_f64(max_seconds),
            };
            let (acked, pending) = runtime(Some(1))?.block_on(send.run())?;
            println!(
                "{}",
                serde_json::json!({"acked": acked, "pending": pending})
            );
        }
        Command::Verify {
            url,
            chatid,
            acked,
            pending,
        } => {
            let target = Target::parse(&url)?;
            let verdict =
                runtime(Some(1))?.block_on(crash::verify(&target, &chatid, &acked, &pending))?;
            let passed = verdict.passed();
            let show = |list: &[String]| list.iter().take(5).cloned().collect::<Vec<_>>();
            print_json(&serde_json::json!({
                "passed": passed,
                "stored": verdict.stored,
                "acked": verdict.acked,
                "missing": verdict.missing.len(),
                "duplicated": verdict.duplicated.len(),
                "foreign": verdict.foreign.len(),
                "count_mismatch": verdict.count_mismatch,
                "examples": {
                    "missing": show(&verdict.missing),
                    "duplicated": show(&verdict.duplicated),
                    "foreign": show(&verdict.foreign),
                },
            }))?;
            if !passed {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::CheckDb { data } => {
            let messages = crash::check_database(&data)?;
            print_json(&serde_json::json!({"integrity": "ok", "messages": messages}))?;
        }
        Command::Rss { pid } => print_json(&probe::memory(pid)?)?,
        Command::Search { sizes, repeat } => {
            runtime(None)?.block_on(search::run(&sizes, repeat))?;
        }
        Command::Inbox {
            url,
            chatid,
            limit,
            repeat,
        } => {
            let target = Target::parse(&url)?;
            let times = runtime(Some(1))?.block_on(probe::inbox_page(
                &target,
                chatid.as_deref(),
                limit,
                repeat,
            ))?;
            print_json(&times)?;
        }
        Command::Wait {
            url,
            timeout_seconds,
        } => {
            let target = Target::parse(&url)?;
            let timeout = Duration::from_secs_f64(timeout_seconds);
            let waited = runtime(Some(1))?.block_on(http::wait_ready(&target, timeout))?;
            eprintln!("ready after {:.0} ms", waited.as_secs_f64() * 1000.0);
        }
        Command::Table { results } => {
            let text = std::fs::read_to_string(&results)
                .with_context(|| format!("cannot read {}", results.display()))?;
            print!("{}", table::render(&text));
        }
        Command::Port => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            println!("{}", listener.local_addr()?.port());
        }
    }
    Ok(ExitCode::SUCCESS)
}
