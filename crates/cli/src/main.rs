//! `hookpit`: run the server (`serve`), talk to any WeCom bot (`send`, `upload`), check
//! messages offline (`lint`), assert on what a Hookpit stored (`wait`, `messages`, `clear`),
//! print the CA that the capture proxy uses (`ca`), ask whether a Hookpit is ready (`readyz`),
//! and print shell completions and man pages (`completions`, `man`).
//!
//! `main` stays thin: parse the command line, set up logging, run the command on a tokio
//! runtime, and turn its [`report::Failure`] into stderr lines and an exit code.
//!
//! # Layout
//! - `cli`: the clap definitions and every help text; `serve`'s flags build the server's
//!   `Config`.
//! - `send`, `news`, `upload`, `lint`, `readyz`: one module per command; `inbox` for `wait`,
//!   `messages` and `clear`, with `show` for how messages print; `generate` for `completions`
//!   and `man`.
//! - `input`: reading files and stdin.
//! - `progress`: progress bars on a terminal, for big uploads and long `--split` sends.
//! - `report`: exit codes, error lines and hints.

mod cli;
mod generate;
mod inbox;
mod input;
mod lint;
mod news;
mod progress;
mod readyz;
mod report;
mod send;
mod show;
mod upload;

use std::io::IsTerminal as _;

use clap::{CommandFactory as _, FromArgMatches as _};

use crate::cli::{Cli, Command, LogFormat};
use crate::progress::Bars;
use crate::report::Failure;

fn main() -> std::process::ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let (serving, format) = match &cli.command {
        Command::Serve(args) => (true, args.log_format),
        _ => (false, LogFormat::Text),
    };
    let bars = Bars::detect();
    init_tracing(serving, format, bars.clone());
    let news = matches
        .subcommand_matches("send")
        .and_then(|send| send.subcommand_matches("news"));
    let result = match cli.command {
        Command::Serve(args) => serve(args.config()),
        Command::Send(args) => block_on(send::run(args, news, &bars)),
        Command::Upload(args) => block_on(upload::run(args, &bars)),
        Command::Lint(args) => lint::run(&args),
        Command::Wait(args) => block_on(inbox::wait(args)),
        Command::Messages(args) => block_on(inbox::messages(args)),
        Command::Clear(args) => block_on(inbox::clear(args)),
        Command::Ca(args) => ca(&args),
        Command::Migrate(args) => block_on(migrate(args)),
        Command::Readyz(args) => block_on(readyz::run(args)),
        Command::Completions(args) => generate::completions(&args),
        Command::Man(args) => generate::man(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(failure) => {
            eprint!("{}", failure.render());
            failure.code.into()
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG`; the server logs at info, the client commands only
/// warnings (such as retries), written around any progress bar. Colour only on a terminal and
/// without `NO_COLOR`; `serve --log-format json` writes one JSON object per line instead.
fn init_tracing(serving: bool, format: LogFormat, bars: Bars) {
    let default = if serving { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(bars);
    match format {
        // The event's fields at the top level, beside timestamp, level and target: what log
        // collectors index without a parsing rule.
        LogFormat::Json => builder.with_ansi(false).json().flatten_event(true).init(),
        LogFormat::Text if serving => builder.with_ansi(ansi).init(),
        // A one-shot command's log lines are read by people next to its output: no timestamps.
        LogFormat::Text => builder
            .with_ansi(ansi)
            .without_time()
            .with_target(false)
            .init(),
    }
}

/// Runs a client command on a single-threaded runtime: one request at a time needs no more.
fn block_on(command: impl Future<Output = Result<(), Failure>>) -> Result<(), Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::other(format!("cannot start the async runtime: {error}")))?
        .block_on(command)
}

/// `hookpit serve`: the server's own entry point on a multi-threaded runtime.
/// `hookpit ca`: the CA certificate to stdout, where it is to stderr.
fn ca(args: &cli::CaArgs) -> Result<(), Failure> {
    let ca =
        hookpit_server::proxy::ca::Ca::load_or_create(&args.data, std::time::SystemTime::now())
            .map_err(|error| Failure::other(report::chain(&error)))?;
    print!("{}", ca.cert_pem());
    eprintln!("Hookpit's CA certificate: {}", ca.cert_path().display());
    Ok(())
}

/// `hookpit migrate`: opens the store (which runs what migrations it lacks) and closes it.
async fn migrate(args: cli::MigrateArgs) -> Result<(), Failure> {
    use hookpit_server::store::Store;
    let shown = match &args.database {
        Some(url) => hookpit_server::config::redact_password(url),
        None => args.data.join("hookpit.db").display().to_string(),
    };
    let (data, database) = (args.data.clone(), args.database.clone());
    let store = tokio::task::spawn_blocking(move || match database {
        Some(url) => Store::open_postgres(&url, &data),
        None => Store::open(&data, hookpit_server::config::SyncMode::Full),
    })
    .await
    .map_err(|error| Failure::other(format!("cannot migrate: {error}")))?
    .map_err(|error| {
        Failure::other(format!("cannot migrate {shown}: {}", report::chain(&error)))
    })?;
    store
        .close()
        .await
        .map_err(|error| Failure::other(format!("{shown}: {}", report::chain(&error))))?;
    println!("up to date: {shown}");
    Ok(())
}

fn serve(config: hookpit_server::Config) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::other(format!("cannot start the async runtime: {error}")))?;
    runtime
        .block_on(hookpit_server::serve(config))
        .map_err(|error| Failure::other(report::chain(&error)))
}
