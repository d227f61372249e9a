//! `wi discover`: print the authorization server's metadata (RFC 8414).

use crate::connection::Connection;
use crate::failure::Failure;
use crate::help;
use crate::output;

/// Print the authorization server's metadata (RFC 8414 discovery)
///
/// Fetches the metadata of the issuer (--issuer, or WI_ISSUER) from
/// /.well-known/oauth-authorization-server inserted between the issuer's host
/// and path, else from {issuer}/.well-known/openid-configuration, checks that
/// it names this issuer and a token endpoint, and prints the document as the
/// server sent it (JSON, one line). A document that fails the checks exits
/// with code 6.
#[derive(clap::Args)]
#[command(
    after_help = help::service_short(EXAMPLES),
    after_long_help = help::service_long(EXAMPLES)
)]
pub struct Discover {
    #[command(flatten)]
    connection: Connection,
}

const EXAMPLES: &str = "\
Examples:
  wi discover --issuer https://auth.example.com
  wi discover --issuer https://auth.example.com | jq -r .token_endpoint
";

impl Discover {
    /// Fetches the metadata and prints it.
    pub fn run(self) -> Result<(), Failure> {
        let client = self.connection.client_for_oauth()?;
        let document = client.server_metadata()?;
        output::emit(|out| {
            out.write_all(document.trim_end().as_bytes())?;
            out.write_all(b"\n")
        })
    }
}
