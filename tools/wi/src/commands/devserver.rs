//! `wi devserver`: the local development identity server, as `wi-devserver`.

use std::path::PathBuf;

use crate::failure::Failure;

/// Run the local development identity server
///
/// Serves the Coze workload-identity protocol and an OAuth 2.0 authorization
/// server on 127.0.0.1 for tests and trials, until killed. Prints `listening
/// on http://127.0.0.1:PORT` first, then `METHOD PATH STATUS` per request
/// (never tokens or secrets). Defaults: client dev-client with secret
/// dev-secret, user dev-user with password dev-password, integrations github
/// and slack, three environment variables. Endpoints: /oauth/token,
/// /oauth/exchange, /outbound, /oauth2/token (client_credentials, password,
/// refresh_token, token exchange), /oauth2/introspect, /oauth2/revoke,
/// /oauth2/register, /.well-known/...; control API under /_dev/ (see
/// tools/devserver/README.md).
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Devserver {
    /// Port to bind; 0 picks a free one
    #[arg(long, value_name = "N", default_value_t = 0)]
    port: u16,

    /// Token lifetime and expires_in, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    ttl: u64,

    /// Register a client (repeatable; replaces the default dev-client:dev-secret)
    #[arg(long, value_name = "ID:SECRET")]
    client: Vec<String>,

    /// Register the public key(s) in PATH (JWK, JWK Set or PEM) for ID's private_key_jwt
    #[arg(long, value_name = "ID=PATH")]
    client_key: Vec<String>,

    /// A password-grant user (repeatable; replaces the default dev-user:dev-password)
    #[arg(long, value_name = "NAME:PASSWORD")]
    user: Vec<String>,

    /// Require T as Bearer at /oauth2/register
    #[arg(long, value_name = "T")]
    registration_token: Option<String>,

    /// Exit when the process that started this one exits
    #[arg(long)]
    exit_with_parent: bool,

    /// Serve an integration credential (repeatable; replaces the defaults)
    #[arg(long, value_name = "NAME=CRED")]
    integration: Vec<String>,

    /// Serve an environment variable (repeatable, in order; replaces the defaults)
    #[arg(long, value_name = "KEY=VALUE")]
    env: Vec<String>,

    /// Write the bound port to PATH once listening
    #[arg(long, value_name = "PATH")]
    port_file: Option<PathBuf>,
}

const EXAMPLES: &str = "\
Examples:
  wi devserver --port 8700 &
  wi devserver --port 0 --port-file /tmp/wi.port --ttl 120 \\
      --client my-app:s3cret --integration github=ghp_test

Exit codes: 1 cannot listen or write the port file, 2 usage error (or an
unusable key file).
";

impl Devserver {
    /// Runs `wi_devserver::run_cli` with these settings; returns only when the
    /// server cannot start (1) or a value is malformed (2), having said why.
    pub fn run(self) -> Result<(), Failure> {
        let mut arguments = vec![
            "--port".to_owned(),
            self.port.to_string(),
            "--ttl".to_owned(),
            self.ttl.to_string(),
        ];
        for (flag, values) in [
            ("--client", self.client),
            ("--client-key", self.client_key),
            ("--user", self.user),
            ("--integration", self.integration),
            ("--env", self.env),
        ] {
            for value in values {
                arguments.extend([flag.to_owned(), value]);
            }
        }
        if let Some(path) = self.port_file {
            arguments.extend(["--port-file".to_owned(), path.display().to_string()]);
        }
        if let Some(token) = self.registration_token {
            arguments.extend(["--registration-token".to_owned(), token]);
        }
        if self.exit_with_parent {
            arguments.push("--exit-with-parent".to_owned());
        }
        let code = wi_devserver::run_cli(arguments);
        Err(Failure::Reported(
            u8::try_from(code).unwrap_or(crate::failure::EXIT_OTHER),
        ))
    }
}
