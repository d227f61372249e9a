//! The command line: the `wi` command tree (clap derive; one file per command
//! under `commands/`), parsed into a [`Cli`], with clap's help and version
//! printed on stdout and its errors turned into `wi`'s one-line usage errors.

use std::ffi::OsString;
use std::sync::LazyLock;

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::commands::Command;
use crate::failure::Failure;
use crate::{help, usage};

/// `wi [-v] COMMAND [OPTIONS]`.
#[derive(Parser)]
#[command(
    name = "wi",
    about = "Workload-identity tokens and credentials from the command line",
    subcommand_required = true,
    disable_help_subcommand = true,
    max_term_width = 80,
    after_help = format!("{EXAMPLES}\n{}", help::MORE),
    after_long_help = format!("{}\n{}\n{EXAMPLES}", help::CONFIGURATION, help::EXIT_CODES)
)]
pub struct Cli {
    /// Log requests and retries to stderr (never tokens or secrets); WI_LOG=LEVEL also works
    #[arg(short, long, global = true, display_order = 900)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  wi devserver --port 8700 &          # a local server for trying things out
  export COZE_WORKLOAD_IDENTITY_CLIENT_ID=dev-client
  export COZE_WORKLOAD_IDENTITY_CLIENT_SECRET=dev-secret
  base=http://127.0.0.1:8700
  export COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT=$base/oauth/token
  export COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT=$base/oauth/exchange
  export COZE_OUTBOUND_AUTH_ENDPOINT=$base/outbound
  curl -H \"Authorization: Bearer $(wi token)\" https://api.example.com/
  wi integration github --json
  wi env > .env && set -a && . ./.env && set +a
  source <(wi completion bash)
";

/// `wi`'s version line: its own version and the library's.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} (workload-identity library {})",
        env!("CARGO_PKG_VERSION"),
        workload_identity::VERSION
    )
});

/// The version line as `wi version` and `wi --version` print it.
pub fn version_line() -> String {
    format!("wi {}\n", VERSION.as_str())
}

/// The whole command tree, as parsed and as completion scripts describe it.
pub fn command() -> clap::Command {
    Cli::command().version(VERSION.as_str())
}

/// Parses the process arguments (program name first). `Ok(None)`: help or
/// the version was asked for and has been printed.
pub fn parse(arguments: impl IntoIterator<Item = OsString>) -> Result<Option<Cli>, Failure> {
    let arguments = utf8(arguments)?;
    let error = match command().try_get_matches_from(&arguments) {
        Ok(matches) => {
            return Cli::from_arg_matches(&matches)
                .map(Some)
                .map_err(|error| usage::failure(&error, named_command(&arguments)));
        }
        Err(error) => error,
    };
    match error.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
            print(&error).map(|()| None)
        }
        // `-h` anywhere before `--` wins over a mistake elsewhere on the line.
        _ if wants_help(&arguments) => show_help(named_command(&arguments)).map(|()| None),
        _ => Err(usage::failure(&error, named_command(&arguments))),
    }
}

/// Prints the help of command `topic` (`None`: the overview), exactly as
/// `wi TOPIC --help` does; an unknown command is a usage error.
pub fn show_help(topic: Option<&str>) -> Result<(), Failure> {
    let arguments: Vec<&str> = ["wi"].into_iter().chain(topic).chain(["--help"]).collect();
    match command().try_get_matches_from(&arguments) {
        Err(error) if error.kind() == clap::error::ErrorKind::DisplayHelp => print(&error),
        Err(error) => Err(usage::failure(&error, None)),
        Ok(_) => Err(Failure::Usage(format!("no help for {topic:?}"))),
    }
}

/// Prints clap's help or version text on stdout (styled when stdout is a terminal).
fn print(error: &clap::Error) -> Result<(), Failure> {
    error
        .print()
        .map_err(|error| Failure::Io(format!("cannot write to standard output: {error}")))
}

/// The arguments as UTF-8; a secret is never in them, so naming the position is safe.
fn utf8(arguments: impl IntoIterator<Item = OsString>) -> Result<Vec<String>, Failure> {
    arguments
        .into_iter()
        .enumerate()
        .map(|(index, argument)| {
            argument
                .into_string()
                .map_err(|_| Failure::Usage(format!("argument {index} is not valid UTF-8")))
        })
        .collect()
}

/// The subcommand named on the command line: the first argument that is not
/// a flag (the top-level flags take no value), if it is a known command.
fn named_command(arguments: &[String]) -> Option<&str> {
    let name = arguments
        .iter()
        .skip(1)
        .find(|argument| !argument.starts_with('-'))?;
    command()
        .get_subcommands()
        .any(|command| command.get_name() == name)
        .then_some(name.as_str())
}

/// Whether `-h` or `--help` appears before any `--`.
fn wants_help(arguments: &[String]) -> bool {
    arguments
        .iter()
        .skip(1)
        .take_while(|argument| *argument != "--")
        .any(|argument| argument == "-h" || argument == "--help")
}
