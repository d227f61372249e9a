//! `wi skill-env`: load a Coze skill's environment (found from the agent
//! directory `.coze/agents/<id>`) and print what it holds.

use std::path::PathBuf;
use std::time::Duration;

use workload_identity::{load_skill_env, SkillEnvOptions};

use crate::failure::Failure;
use crate::format::{Format, FormatArgs};
use crate::output;
use crate::shell;

/// Load the skill environment and print the names it set
///
/// Finds the agent directory (.coze/agents/AGENT_ID) in the --source paths
/// (default: the current directory, then this program's path), reads its
/// config.json and the identity ticket, asks the skill environment endpoint
/// (COZE_SKILL_ENV_ENDPOINT) for the skill's variables and applies them as the
/// Coze SDK does. wi is its own process: to set them in your shell, use
/// --format export with eval. Names only, unless --format export.
// The doc comment is clap's help text, where `<digits>` is plain text, not HTML.
#[allow(rustdoc::invalid_html_tags)]
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct SkillEnv {
    #[command(flatten)]
    format: FormatArgs<SkillEnvFormat>,

    /// A path inside the skill (repeatable; the first with an agent directory wins)
    #[arg(long = "source", value_name = "PATH")]
    sources: Vec<PathBuf>,

    /// The identity ticket file [default: /source/ticket.json]
    #[arg(long, value_name = "PATH")]
    ticket_file: Option<PathBuf>,

    /// Timeout of the endpoint request, in milliseconds [default: 10000]
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
}

const EXAMPLES: &str = "\
Examples:
  wi skill-env --source ~/.coze/agents/7001/skills/weather
  eval \"$(wi skill-env --format export)\"     # values: secrets, into your shell
  wi skill-env --json                          # what was loaded, names only
";

/// The formats of `wi skill-env`.
#[derive(Clone, Default, clap::ValueEnum)]
pub enum SkillEnvFormat {
    /// The names of the variables set, one per line (default)
    #[default]
    Names,
    /// export NAME='value' for every variable set, for eval (prints secrets)
    Export,
    /// The load report: loaded, agent_id, skill_id, set, unset, kept, message
    Json,
}

impl Format for SkillEnvFormat {
    const JSON: Self = SkillEnvFormat::Json;
}

impl SkillEnv {
    /// Loads the environment into this process and prints the result.
    pub fn run(self) -> Result<(), Failure> {
        let format = self.format.get();
        let report = load_skill_env(&SkillEnvOptions {
            source_paths: self.sources,
            force: false,
            timeout: self.timeout_ms.map(Duration::from_millis),
            ticket_file: self.ticket_file,
        })?;
        if let Some(message) = &report.message {
            eprintln!("wi: warning: {message}");
        }
        if let SkillEnvFormat::Export = format {
            for name in &report.set {
                let value = std::env::var(name).unwrap_or_default();
                if let Some(why) = shell::unassignable(name, &value) {
                    return Err(Failure::Configuration(why));
                }
            }
        }
        output::emit(|out| match format {
            SkillEnvFormat::Names => report.set.iter().try_for_each(|name| {
                out.write_all(name.as_bytes())?;
                out.write_all(b"\n")
            }),
            SkillEnvFormat::Export => report.set.iter().try_for_each(|name| {
                let value = std::env::var(name).unwrap_or_default();
                shell::assignment(out, "export ", name, &value)
            }),
            SkillEnvFormat::Json => {
                out.write_all(report.to_json().as_bytes())?;
                out.write_all(b"\n")
            }
        })
    }
}
