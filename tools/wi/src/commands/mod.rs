//! The subcommands, one file each; this module holds what they share.

pub mod devserver;
pub mod env;
pub mod exchange;
pub mod integration;
pub mod token;

use crate::args::{Arg, Args, Flag};
use crate::connection::Connection;
use crate::failure::Failure;

/// The flags every service command takes: connection settings, `--json`, `-v`.
#[derive(Default)]
pub struct Common {
    /// Identity-service settings.
    pub connection: Connection,
    /// `--json`: print a JSON document instead of plain text.
    pub json: bool,
}

impl Common {
    /// Parses every argument of `command`: common flags here, the others through
    /// `flag` (returning `Ok(false)` for a flag it does not know) and `positional`.
    pub fn parse(
        &mut self,
        command: &str,
        mut args: Args,
        mut flag: impl FnMut(&Flag, &mut Args) -> Result<bool, Failure>,
        mut positional: impl FnMut(String) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        while let Some(arg) = args.next() {
            match arg {
                Arg::Flag(given) => {
                    if !(self.take(&given, &mut args)? || flag(&given, &mut args)?) {
                        return Err(Failure::Usage(format!(
                            "unknown option {} (see `wi {command} --help`)",
                            given.name
                        )));
                    }
                }
                Arg::Positional(value) => positional(value)?,
            }
        }
        Ok(())
    }

    fn take(&mut self, flag: &Flag, args: &mut Args) -> Result<bool, Failure> {
        match flag.name.as_str() {
            "--json" => {
                flag.switch()?;
                self.json = true;
            }
            "-v" | "--verbose" => {
                flag.switch()?;
                crate::enable_verbose_logging();
            }
            _ => return self.connection.take(flag, args),
        }
        Ok(true)
    }
}

/// The error for a positional argument a command does not take.
pub fn unexpected(command: &str, value: &str) -> Failure {
    Failure::Usage(format!(
        "unexpected argument {value:?} (see `wi {command} --help`)"
    ))
}
