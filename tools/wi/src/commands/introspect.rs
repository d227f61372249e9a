//! `wi introspect`: ask the authorization server about a token (RFC 7662).

use crate::connection::Connection;
use crate::failure::{Failure, EXIT_OTHER};
use crate::help;
use crate::input::TokenInput;
use crate::output;

/// Ask the authorization server about a token (RFC 7662 introspection)
///
/// Sends the token to the introspection endpoint (configured, or found by
/// discovery from --issuer) and prints the answer as the server sent it
/// (JSON, one line). With --check, prints `active` and exits 0 only when the
/// answer is "active": true (and the token has every --scope); otherwise
/// prints `inactive` and exits 1. Any failure exits with its own code (6 for
/// the server, 2 for usage...), never 0: a script that treats non-zero as
/// "deny" is fail-safe. The token is read from a file or standard input,
/// never from the command line.
#[derive(clap::Args)]
#[command(
    after_help = help::service_short(EXAMPLES),
    after_long_help = help::service_long(EXAMPLES)
)]
pub struct Introspect {
    #[command(flatten)]
    token: TokenInput,

    /// The token's type, as a hint to the server (e.g. access_token)
    #[arg(long, value_name = "TYPE", help_heading = "Token")]
    token_type_hint: Option<String>,

    /// Print active or inactive and exit 0 only when active
    #[arg(long, help_heading = "Check")]
    check: bool,

    /// With --check: scopes the token must have (space-separated; repeatable)
    #[arg(long, value_name = "SCOPE", requires = "check", help_heading = "Check")]
    scope: Vec<String>,

    #[command(flatten)]
    connection: Connection,
}

const EXAMPLES: &str = "\
Examples:
  wi introspect --issuer https://auth.example.com --token-file token.txt | jq .active
  wi token | wi introspect --token-stdin --check --scope invoices:read
";

impl Introspect {
    /// Reads the token, introspects it and prints the answer or the verdict.
    pub fn run(self) -> Result<(), Failure> {
        let source = self.token.source("introspect").map_err(Failure::Usage)?;
        if source.is_stdin() && self.connection.reads_stdin() {
            return Err(Failure::Usage(
                "--token-stdin and --client-secret-stdin cannot both read standard input: give one a file"
                    .to_owned(),
            ));
        }
        let client = self.connection.client_for_oauth()?;
        let token = source.read("token").map_err(Failure::Io)?;
        if !self.check {
            let answer =
                client.introspect_token(token.expose(), self.token_type_hint.as_deref())?;
            return output::emit(|out| {
                out.write_all(answer.trim_end().as_bytes())?;
                out.write_all(b"\n")
            });
        }
        let scopes = self.scope.join(" ");
        let required = (!scopes.trim().is_empty()).then_some(scopes.as_str());
        let active = client.token_is_active(token.expose(), required)?;
        output::emit(|out| out.write_all(if active { b"active\n" } else { b"inactive\n" }))?;
        if active {
            Ok(())
        } else {
            Err(Failure::Reported(EXIT_OTHER))
        }
    }
}
