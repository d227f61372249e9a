//! `wi delegate`: a token for this workload acting for a user (RFC 8693
//! delegation: the user's token as the subject, the workload's own access
//! token as the actor).

use std::path::PathBuf;

use crate::commands::exchange::{emit_exchanged, read_token, ExchangeFormat};
use crate::connection::Connection;
use crate::failure::Failure;
use crate::format::FormatArgs;
use crate::help;
use crate::input::{one_stdin_reader, token_source};

/// Get a token for this workload acting for a user (RFC 8693 delegation)
///
/// Exchanges the user's access token (the subject) together with this
/// workload's own access token (the actor) at the access-token endpoint, and
/// prints the delegated token on stdout. The user token is read from a file
/// or standard input, never from the command line, which other users can see
/// (ps, /proc). Cached like the library's exchanges: with
/// `-o token_store=file:DIR`, runs that share DIR reuse the delegated token
/// until its refresh point.
#[derive(clap::Args)]
#[command(
    after_help = help::service_short(EXAMPLES),
    after_long_help = help::service_long(EXAMPLES)
)]
pub struct Delegate {
    /// Read the user's access token from PATH
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "Delegation options",
        conflicts_with = "user_token_stdin"
    )]
    user_token_file: Option<PathBuf>,

    /// Read the user's access token from standard input
    #[arg(long, help_heading = "Delegation options")]
    user_token_stdin: bool,

    /// Refused with an explanation (never a token in argv).
    #[arg(long, hide = true, num_args = 0..=1, value_name = "TOKEN")]
    user_token: Option<Option<String>>,

    /// Target service(s) of the delegated token
    #[arg(long, value_name = "NAME", help_heading = "Delegation options")]
    audience: Option<String>,

    /// Requested scope (space-separated)
    #[arg(long, value_name = "SCOPE", help_heading = "Delegation options")]
    scope: Option<String>,

    #[command(flatten)]
    format: FormatArgs<ExchangeFormat>,

    #[command(flatten)]
    connection: Connection,
}

const EXAMPLES: &str = "\
Examples:
  wi delegate --user-token-file /run/request/user-token --audience orders
  printf %s \"$USER_TOKEN\" | wi delegate --user-token-stdin --scope orders:read --json
";

impl Delegate {
    /// Reads the user token, delegates, and prints the token or the JSON document.
    pub fn run(self) -> Result<(), Failure> {
        let user = token_source(
            "--user-token",
            self.user_token.is_some(),
            self.user_token_file,
            self.user_token_stdin,
        )
        .map_err(Failure::Usage)?
        .ok_or_else(|| {
            Failure::Usage(
                "missing the user token: give --user-token-file PATH or \
                 --user-token-stdin (see `wi delegate --help`)"
                    .to_owned(),
            )
        })?;
        one_stdin_reader(&[
            (user.is_stdin(), "--user-token-stdin"),
            (self.connection.reads_stdin(), "--client-secret-stdin"),
        ])
        .map_err(Failure::Usage)?;
        let format = self.format.get();
        let client = self.connection.client()?;
        let user_token = read_token(user, "user token")?;
        let delegated = client.delegated_token(
            user_token.expose(),
            self.audience.as_deref(),
            self.scope.as_deref(),
        )?;
        emit_exchanged(format, &delegated)
    }
}
