//! `wi`: workload-identity tokens and credentials from the command line.
//!
//! [`cli`] parses the command line (clap) into one of the [`commands`], which
//! builds a [`workload_identity::Client`] from flags over environment
//! variables ([`connection`]), prints the result on stdout and any failure as
//! one `wi: error: ...` line on stderr, exiting with a code that tells the
//! failure class (see [`failure`]).

mod cli;
mod commands;
mod connection;
mod failure;
mod format;
mod help;
mod input;
mod output;
mod shell;
mod usage;

use std::process::ExitCode;
use std::sync::Arc;

use workload_identity::{set_log_sink, Level};

use crate::failure::{Failure, EXIT_OK};

fn main() -> ExitCode {
    let code = match run() {
        Ok(()) => EXIT_OK,
        Err(failure) => {
            if !matches!(failure, Failure::Reported(_)) {
                eprintln!("wi: error: {failure}");
            }
            failure.exit_code()
        }
    };
    ExitCode::from(code)
}

/// Parses the command line and runs the command.
fn run() -> Result<(), Failure> {
    let Some(cli) = cli::parse(std::env::args_os())? else {
        return Ok(());
    };
    if cli.verbose {
        enable_verbose_logging();
    }
    cli.command.run()
}

/// `-v`: the library's debug log to stderr, prefixed `wi: LEVEL:`. The library
/// never puts a token or a secret in a log line.
fn enable_verbose_logging() {
    set_log_sink(
        Some(Arc::new(|level: Level, message: &str| {
            eprintln!("wi: {}: {message}", level.name());
        })),
        Level::Debug,
    );
}
