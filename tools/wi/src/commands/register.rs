//! `wi register`: register a client (RFC 7591 dynamic client registration).

use std::path::PathBuf;

use workload_identity::{OptionKey, SecretString};

use crate::connection::Connection;
use crate::failure::Failure;
use crate::help;
use crate::input::{one_stdin_reader, token_source, SecretSource};
use crate::output;

/// Register a client (RFC 7591 dynamic client registration)
///
/// Sends the client metadata (a JSON object) to the registration endpoint
/// (configured, or found by discovery from --issuer) and prints the server's
/// answer (JSON, one line), which holds the new client_id and, when issued,
/// its client_secret: keep it safe. The initial access token, when the server
/// wants one, comes from WI_REGISTRATION_TOKEN, --registration-token-file or
/// --registration-token-stdin, never from the command line. Sent once: a
/// failure is not retried, since a lost answer could mean a second client.
#[derive(clap::Args)]
#[command(
    after_help = help::service_short(EXAMPLES),
    after_long_help = help::service_long(EXAMPLES)
)]
pub struct Register {
    /// The client metadata, a JSON object
    #[arg(
        long,
        value_name = "JSON",
        help_heading = "Registration",
        conflicts_with_all = ["metadata_file", "metadata_stdin"]
    )]
    metadata: Option<String>,

    /// Read the client metadata from PATH
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Registration",
        conflicts_with = "metadata_stdin"
    )]
    metadata_file: Option<PathBuf>,

    /// Read the client metadata from standard input
    #[arg(long, help_heading = "Registration")]
    metadata_stdin: bool,

    /// Read the initial access token from PATH
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Registration",
        conflicts_with = "registration_token_stdin"
    )]
    registration_token_file: Option<PathBuf>,

    /// Read the initial access token from standard input
    #[arg(long, help_heading = "Registration")]
    registration_token_stdin: bool,

    /// Refused with an explanation (never a token in argv).
    #[arg(long, hide = true, num_args = 0..=1, value_name = "TOKEN")]
    registration_token: Option<Option<String>>,

    #[command(flatten)]
    connection: Connection,
}

const EXAMPLES: &str = "\
Examples:
  wi register --issuer https://auth.example.com \\
      --metadata '{\"client_name\":\"batch\",\"grant_types\":[\"client_credentials\"]}'
  wi register --metadata-file client.json --registration-token-file iat.txt > registered.json
";

impl Register {
    /// Reads the metadata and the initial access token, registers, prints the answer.
    pub fn run(self) -> Result<(), Failure> {
        let metadata_source =
            match (&self.metadata, &self.metadata_file, self.metadata_stdin) {
                (Some(_), _, _) => None,
                (None, Some(path), _) => Some(SecretSource::File(path.clone())),
                (None, None, true) => Some(SecretSource::Stdin),
                (None, None, false) => return Err(Failure::Usage(
                    "missing the client metadata: give --metadata JSON, --metadata-file PATH or \
                     --metadata-stdin (see `wi register --help`)"
                        .to_owned(),
                )),
            };
        let registration_token_source = token_source(
            "--registration-token",
            self.registration_token.is_some(),
            self.registration_token_file.clone(),
            self.registration_token_stdin,
        )
        .map_err(Failure::Usage)?;
        one_stdin_reader(&[
            (
                metadata_source.as_ref().is_some_and(SecretSource::is_stdin),
                "--metadata-stdin",
            ),
            (
                registration_token_source
                    .as_ref()
                    .is_some_and(SecretSource::is_stdin),
                "--registration-token-stdin",
            ),
            (self.connection.reads_stdin(), "--client-secret-stdin"),
        ])
        .map_err(Failure::Usage)?;
        let registration_token = registration_token_source
            .map(|source| source.read("initial access token").map_err(Failure::Io))
            .transpose()?;
        let client =
            self.connection
                .client_for_oauth_with(|builder| match &registration_token {
                    Some(token) => builder
                        .set(OptionKey::RegistrationToken.name(), token.expose())
                        .map(|_| ()),
                    None => Ok(()),
                })?;
        let metadata = match (metadata_source, self.metadata) {
            (Some(source), _) => source.read("client metadata").map_err(Failure::Io)?,
            (None, metadata) => SecretString::new(metadata.unwrap_or_default()),
        };
        let answer = client.register_client(metadata.expose())?;
        output::emit(|out| {
            out.write_all(answer.expose().trim_end().as_bytes())?;
            out.write_all(b"\n")
        })
    }
}
