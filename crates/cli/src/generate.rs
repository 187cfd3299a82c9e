//! `hookpit completions SHELL` and `hookpit man [COMMAND]`: files generated from the command
//! line's own definition, so they cannot fall behind the flags.

use std::io::Write as _;

use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::report::Failure;

/// Prints the completion script of `args.shell` on stdout.
pub fn completions(args: &CompletionsArgs) -> Result<(), Failure> {
    // Generated into memory first: `clap_complete::generate` panics when a write fails (a
    // closed pipe), and writing it here turns that into an error line.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "hookpit", &mut script);
    write_stdout(&script, "the completion script")
}

/// Prints the man page of hookpit, or of one of its commands (`hookpit-send(1)`), on stdout.
pub fn man(args: &ManArgs) -> Result<(), Failure> {
    let mut command = Cli::command();
    // Building sets each subcommand's name as a page title (`hookpit-send`) and its usage.
    command.build();
    let page = match &args.command {
        None => command,
        Some(name) => command.find_subcommand(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = command
                .get_subcommands()
                .map(clap::Command::get_name)
                .filter(|name| *name != "help")
                .collect();
            Failure::invalid(format!("hookpit has no command {name:?}"))
                .hint(format!("the commands are {}", names.join(", ")))
        })?,
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|error| Failure::other(format!("cannot render the man page: {error}")))?;
    write_stdout(&roff, "the man page")
}

fn write_stdout(bytes: &[u8], what: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::other(format!("cannot write {what}: {error}")))
}
