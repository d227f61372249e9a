//! `wi exchange`: a general RFC 8693 token exchange at the access-token endpoint.

use std::path::PathBuf;

use workload_identity::{ExchangeParams, ExchangedToken, SecretString};

use crate::connection::Connection;
use crate::failure::Failure;
use crate::format::{Format, FormatArgs};
use crate::help;
use crate::input::{one_stdin_reader, token_source, SecretSource};
use crate::output::{self, Json};

/// Exchange a token for another one (RFC 8693 token exchange)
///
/// Sends the subject token to the access-token endpoint and prints the issued
/// token on stdout. Cached like the library's exchanges: with
/// `-o token_store=file:DIR`, runs that share DIR reuse the issued token
/// until its refresh point. Tokens are read from a file or
/// standard input, never from the command line, which other users can see
/// (ps, /proc); a pipe such as <(command) works as a file.
#[derive(clap::Args)]
#[command(
    after_help = help::service_short(EXAMPLES),
    after_long_help = help::service_long(EXAMPLES)
)]
pub struct Exchange {
    /// Read the subject token (the token to exchange) from PATH
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Exchange options",
        conflicts_with = "subject_token_stdin"
    )]
    subject_token_file: Option<PathBuf>,

    /// Read the subject token from standard input
    #[arg(long, help_heading = "Exchange options")]
    subject_token_stdin: bool,

    /// Refused with an explanation (never a token in argv).
    #[arg(long, hide = true, num_args = 0..=1, value_name = "TOKEN")]
    subject_token: Option<Option<String>>,

    /// The subject token's type [default: urn:ietf:params:oauth:token-type:access_token]
    #[arg(long, value_name = "URI", help_heading = "Exchange options")]
    subject_token_type: Option<String>,

    /// Target service(s)
    #[arg(long, value_name = "NAME", help_heading = "Exchange options")]
    audience: Option<String>,

    /// Target resource
    #[arg(long, value_name = "URI", help_heading = "Exchange options")]
    resource: Option<String>,

    /// Requested scope (space-separated)
    #[arg(long, value_name = "SCOPE", help_heading = "Exchange options")]
    scope: Option<String>,

    /// The type of token wanted
    #[arg(long, value_name = "URI", help_heading = "Exchange options")]
    requested_token_type: Option<String>,

    /// Read an actor token (delegation) from PATH; needs --actor-token-type
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Exchange options",
        conflicts_with = "actor_token_stdin"
    )]
    actor_token_file: Option<PathBuf>,

    /// Read the actor token from standard input; needs --actor-token-type
    #[arg(long, help_heading = "Exchange options")]
    actor_token_stdin: bool,

    /// Refused with an explanation (never a token in argv).
    #[arg(long, hide = true, num_args = 0..=1, value_name = "TOKEN")]
    actor_token: Option<Option<String>>,

    /// The actor token's type
    #[arg(long, value_name = "URI", help_heading = "Exchange options")]
    actor_token_type: Option<String>,

    #[command(flatten)]
    format: FormatArgs<ExchangeFormat>,

    #[command(flatten)]
    connection: Connection,
}

const EXAMPLES: &str = "\
Examples:
  wi exchange --subject-token-file /run/user.jwt \\
      --subject-token-type urn:ietf:params:oauth:token-type:jwt \\
      --audience billing --scope 'invoices:read' --json
  wi token | wi exchange --subject-token-stdin --audience billing
  wi exchange --subject-token-file user.jwt --actor-token-file svc.jwt \\
      --actor-token-type urn:ietf:params:oauth:token-type:jwt \\
      --client-auth client_secret_basic
";

/// The formats of `wi exchange`.
#[derive(Clone, Default, clap::ValueEnum)]
pub enum ExchangeFormat {
    /// The issued token alone on one line (default)
    #[default]
    Raw,
    /// {"access_token", "issued_token_type", "token_type", "expires_in", "scope"} (null when not sent)
    Json,
}

impl Format for ExchangeFormat {
    const JSON: Self = ExchangeFormat::Json;
}

impl Exchange {
    /// Checks the request, reads the tokens, exchanges the subject token and
    /// prints the issued token or the JSON document.
    pub fn run(self) -> Result<(), Failure> {
        let subject = token_source(
            "--subject-token",
            self.subject_token.is_some(),
            self.subject_token_file,
            self.subject_token_stdin,
        )
        .map_err(Failure::Usage)?
        .ok_or_else(|| {
            Failure::Usage(
                "missing the subject token: give --subject-token-file PATH or \
                 --subject-token-stdin (see `wi exchange --help`)"
                    .to_owned(),
            )
        })?;
        let actor = token_source(
            "--actor-token",
            self.actor_token.is_some(),
            self.actor_token_file,
            self.actor_token_stdin,
        )
        .map_err(Failure::Usage)?;
        if actor.is_some() != self.actor_token_type.is_some() {
            return Err(Failure::Usage(
                "--actor-token-file (or --actor-token-stdin) and --actor-token-type go together"
                    .to_owned(),
            ));
        }
        one_stdin_reader(&[
            (subject.is_stdin(), "--subject-token-stdin"),
            (
                actor.as_ref().is_some_and(SecretSource::is_stdin),
                "--actor-token-stdin",
            ),
            (self.connection.reads_stdin(), "--client-secret-stdin"),
        ])
        .map_err(Failure::Usage)?;
        let format = self.format.get();
        let client = self.connection.client()?;
        let subject_token = read_token(subject, "subject token")?;
        let actor_token = actor
            .map(|source| read_token(source, "actor token"))
            .transpose()?;
        let exchanged = client.exchange_token(&ExchangeParams {
            subject_token: subject_token.expose(),
            subject_token_type: self.subject_token_type.as_deref(),
            audience: self.audience.as_deref(),
            resource: self.resource.as_deref(),
            scope: self.scope.as_deref(),
            requested_token_type: self.requested_token_type.as_deref(),
            actor_token: actor_token.as_ref().map(SecretString::expose),
            actor_token_type: self.actor_token_type.as_deref(),
        })?;
        emit_exchanged(format, &exchanged)
    }
}

/// Prints an exchange's result in `format` (also `wi delegate`'s).
pub(crate) fn emit_exchanged(
    format: ExchangeFormat,
    exchanged: &ExchangedToken,
) -> Result<(), Failure> {
    output::emit(|out| match format {
        ExchangeFormat::Raw => {
            out.write_all(exchanged.access_token.expose().as_bytes())?;
            out.write_all(b"\n")
        }
        ExchangeFormat::Json => output::object(
            out,
            &[
                ("access_token", Json::Text(exchanged.access_token.expose())),
                (
                    "issued_token_type",
                    Json::Optional(exchanged.issued_token_type.as_deref()),
                ),
                (
                    "token_type",
                    Json::Optional(exchanged.token_type.as_deref()),
                ),
                ("expires_in", Json::Number(exchanged.expires_in.as_secs())),
                ("scope", Json::Optional(exchanged.scope.as_deref())),
            ],
        ),
    })
}

/// Reads a token input; an unreadable or empty file or stdin is an I/O failure.
pub(crate) fn read_token(source: SecretSource, what: &str) -> Result<SecretString, Failure> {
    source.read(what).map_err(Failure::Io)
}
