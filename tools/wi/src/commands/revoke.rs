//! `wi revoke`: revoke a token (RFC 7009).

use crate::connection::Connection;
use crate::failure::Failure;
use crate::help;
use crate::input::TokenInput;

/// Revoke a token (RFC 7009 revocation)
///
/// Sends the token to the revocation endpoint (configured, or found by
/// discovery from --issuer), authenticated as this client, and prints
/// nothing. The server answers success for a token it does not know
/// (RFC 7009 section 2.2). The token is read from a file or standard input,
/// never from the command line.
#[derive(clap::Args)]
#[command(
    after_help = help::service_short(EXAMPLES),
    after_long_help = help::service_long(EXAMPLES)
)]
pub struct Revoke {
    #[command(flatten)]
    token: TokenInput,

    /// The token's type, as a hint to the server (access_token, refresh_token)
    #[arg(long, value_name = "TYPE", help_heading = "Token")]
    token_type_hint: Option<String>,

    #[command(flatten)]
    connection: Connection,
}

const EXAMPLES: &str = "\
Examples:
  wi revoke --issuer https://auth.example.com --token-file token.txt
  wi token | wi revoke --token-stdin --token-type-hint access_token
";

impl Revoke {
    /// Reads the token and revokes it.
    pub fn run(self) -> Result<(), Failure> {
        let source = self.token.source("revoke").map_err(Failure::Usage)?;
        if source.is_stdin() && self.connection.reads_stdin() {
            return Err(Failure::Usage(
                "--token-stdin and --client-secret-stdin cannot both read standard input: give one a file"
                    .to_owned(),
            ));
        }
        let client = self.connection.client_for_oauth()?;
        let token = source.read("token").map_err(Failure::Io)?;
        client.revoke_token(token.expose(), self.token_type_hint.as_deref())?;
        Ok(())
    }
}
