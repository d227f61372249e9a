//! `wi integration NAME`: print the credential of an integration.

use crate::connection::Connection;
use crate::failure::Failure;
use crate::format::{Format, FormatArgs};
use crate::help;
use crate::output::{self, Json};

/// Print the credential of an integration
///
/// Asks the outbound-auth API (COZE_OUTBOUND_AUTH_ENDPOINT) for integration
/// NAME's credential, authenticated with this workload's access token, and
/// prints it on stdout. An unknown integration exits with code 5.
#[derive(clap::Args)]
#[command(
    after_help = help::service_short(EXAMPLES),
    after_long_help = help::service_long(EXAMPLES)
)]
pub struct Integration {
    /// The integration's name, e.g. github
    #[arg(value_name = "NAME")]
    name: String,

    #[command(flatten)]
    format: FormatArgs<IntegrationFormat>,

    #[command(flatten)]
    connection: Connection,
}

const EXAMPLES: &str = "\
Examples:
  GITHUB_TOKEN=\"$(wi integration github)\" gh repo list
  wi integration slack --json
";

/// The formats of `wi integration`.
#[derive(Clone, Default, clap::ValueEnum)]
pub enum IntegrationFormat {
    /// The credential alone on one line (default)
    #[default]
    Raw,
    /// {"credential": "..."}
    Json,
}

impl Format for IntegrationFormat {
    const JSON: Self = IntegrationFormat::Json;
}

impl Integration {
    /// Fetches the credential and prints it.
    pub fn run(self) -> Result<(), Failure> {
        let format = self.format.get();
        let credential = self
            .connection
            .client()?
            .integration_credential(&self.name)?;
        output::emit(|out| match format {
            IntegrationFormat::Raw => {
                out.write_all(credential.expose().as_bytes())?;
                out.write_all(b"\n")
            }
            IntegrationFormat::Json => {
                output::object(out, &[("credential", Json::Text(credential.expose()))])
            }
        })
    }
}
