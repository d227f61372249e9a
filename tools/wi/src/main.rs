//! `wi`: workload-identity tokens and credentials from the command line.
//!
//! Parses the command line by hand (see [`help`] for the interface), builds a
//! [`workload_identity::Client`] from flags over environment variables, prints
//! the result on stdout and any failure as one `wi: error: ...` line on stderr,
//! exiting with a code that tells the failure class (see [`failure`]).

mod args;
mod commands;
mod connection;
mod failure;
mod help;
mod input;
mod output;

use std::process::ExitCode;
use std::sync::Arc;

use workload_identity::{set_log_sink, Level};

use crate::args::{Arg, Args};
use crate::failure::{Failure, EXIT_OK};

fn main() -> ExitCode {
    let code = match run(std::env::args_os().skip(1)) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("wi: error: {failure}");
            failure.exit_code()
        }
    };
    ExitCode::from(code)
}

/// Runs one invocation; `Ok` holds the exit code of a run that printed its own outcome.
fn run(arguments: impl IntoIterator<Item = std::ffi::OsString>) -> Result<u8, Failure> {
    let mut args = Args::from_os(arguments)?;
    let command = loop {
        match args.next() {
            Some(Arg::Positional(command)) => break command,
            Some(Arg::Flag(flag)) => match flag.name.as_str() {
                "-v" | "--verbose" => {
                    flag.switch()?;
                    enable_verbose_logging();
                }
                "-h" | "--help" => return print_help(None),
                "-V" | "--version" => return print_version(),
                other => {
                    return Err(Failure::Usage(format!(
                        "unknown option {other} before the command (see `wi --help`)"
                    )))
                }
            },
            None => {
                return Err(Failure::Usage(
                    "no command given (see `wi --help`)".to_owned(),
                ))
            }
        }
    };
    if help::text(Some(&command)).is_none() {
        return Err(Failure::Usage(format!(
            "unknown command {command:?} (see `wi --help`)"
        )));
    }
    if args.wants_help() {
        return print_help(Some(&command));
    }
    let outcome = match command.as_str() {
        "token" => commands::token::run(args),
        "exchange" => commands::exchange::run(args),
        "integration" => commands::integration::run(args),
        "env" => commands::env::run(args),
        "devserver" => return Ok(commands::devserver::run(args)),
        "version" => {
            no_more(args, "version")?;
            return print_version();
        }
        _ => return help_command(args),
    };
    outcome.map(|()| EXIT_OK)
}

/// `wi help [COMMAND]`.
fn help_command(mut args: Args) -> Result<u8, Failure> {
    let topic = match args.next() {
        None => None,
        Some(Arg::Positional(topic)) => Some(topic),
        Some(Arg::Flag(flag)) => {
            return Err(Failure::Usage(format!(
                "unknown option {} (see `wi help help`)",
                flag.name
            )))
        }
    };
    no_more(args, "help")?;
    match topic.as_deref() {
        Some(name) if help::text(Some(name)).is_none() => Err(Failure::Usage(format!(
            "no help for unknown command {name:?} (see `wi --help`)"
        ))),
        topic => print_help(topic),
    }
}

fn no_more(mut args: Args, command: &str) -> Result<(), Failure> {
    match args.next() {
        None => Ok(()),
        Some(Arg::Positional(value)) => Err(commands::unexpected(command, &value)),
        Some(Arg::Flag(flag)) => Err(Failure::Usage(format!(
            "unknown option {} (see `wi {command} --help`)",
            flag.name
        ))),
    }
}

fn print_help(topic: Option<&str>) -> Result<u8, Failure> {
    let text = help::text(topic).unwrap_or_default();
    output::emit(|out| out.write_all(text.as_bytes())).map(|()| EXIT_OK)
}

fn print_version() -> Result<u8, Failure> {
    output::emit(|out| {
        writeln!(
            out,
            "wi {} (workload-identity library {})",
            env!("CARGO_PKG_VERSION"),
            workload_identity::VERSION
        )
    })
    .map(|()| EXIT_OK)
}

/// `-v`: the library's debug log to stderr, prefixed `wi: LEVEL:`. The library
/// never puts a token or a secret in a log line.
pub fn enable_verbose_logging() {
    set_log_sink(
        Some(Arc::new(|level: Level, message: &str| {
            eprintln!("wi: {}: {message}", level.name());
        })),
        Level::Debug,
    );
}
