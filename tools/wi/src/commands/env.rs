//! `wi env`: print the project's environment variables, in a form a shell
//! can source, or as JSON.

use workload_identity::EnvVar;

use crate::connection::Connection;
use crate::failure::Failure;
use crate::format::{Format, FormatArgs};
use crate::output;
use crate::{help, shell};

/// Print the project's environment variables
///
/// Asks the outbound-auth API (COZE_OUTBOUND_AUTH_ENDPOINT) for the project's
/// environment variables and prints them in server order. The dotenv and
/// export formats quote every value in single quotes, so that any value (line
/// breaks, quotes, backslashes, $ and backticks included) comes back intact
/// through `set -a; . ./.env` in sh, bash or zsh; a name that is not a shell
/// name, or a value holding a NUL character, fails the command (exit code 1)
/// before anything is printed: use --format json for those.
#[derive(clap::Args)]
#[command(
    after_help = help::service_short(EXAMPLES),
    after_long_help = help::service_long(EXAMPLES)
)]
pub struct Env {
    #[command(flatten)]
    format: FormatArgs<EnvFormat>,

    #[command(flatten)]
    connection: Connection,
}

const EXAMPLES: &str = "\
Examples:
  wi env > .env && set -a && . ./.env && set +a
  eval \"$(wi env --format export)\"
  wi env --json | jq -r '.vars[] | select(.key == \"DATABASE_URL\") | .value'
";

/// The formats of `wi env`.
#[derive(Clone, Default, clap::ValueEnum)]
pub enum EnvFormat {
    /// KEY='value' lines, for `set -a; . ./.env` and dotenv loaders (default)
    #[default]
    Dotenv,
    /// export KEY='value' lines, for `eval` or `.`
    Export,
    /// {"vars":[{"key":"K","value":"V"},...]}
    Json,
}

impl Format for EnvFormat {
    const JSON: Self = EnvFormat::Json;
}

impl Env {
    /// Fetches the variables and prints them.
    pub fn run(self) -> Result<(), Failure> {
        let format = self.format.get();
        let vars = self.connection.client()?.project_env_vars()?;
        let prefix = match format {
            EnvFormat::Json => return output::emit(|out| write_json(out, &vars)),
            EnvFormat::Dotenv => "",
            EnvFormat::Export => "export ",
        };
        if let Some(why) = vars
            .iter()
            .find_map(|var| shell::unassignable(&var.key, var.value.expose()))
        {
            return Err(Failure::Io(format!(
                "cannot write the variables as shell assignments: {why}; use --format json"
            )));
        }
        output::emit(|out| {
            vars.iter()
                .try_for_each(|var| shell::assignment(out, prefix, &var.key, var.value.expose()))
        })
    }
}

/// `{"vars":[{"key":…,"value":…},…]}` and a newline.
fn write_json(out: &mut dyn std::io::Write, vars: &[EnvVar]) -> std::io::Result<()> {
    out.write_all(b"{\"vars\":[")?;
    for (index, var) in vars.iter().enumerate() {
        if index > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"{\"key\":")?;
        output::string(out, &var.key)?;
        out.write_all(b",\"value\":")?;
        output::string(out, var.value.expose())?;
        out.write_all(b"}")?;
    }
    out.write_all(b"]}\n")
}
