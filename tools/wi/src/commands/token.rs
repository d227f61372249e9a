//! `wi token`: print the workload's access token, alone, as JSON (with its
//! type and expiry) or as a shell assignment.

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use workload_identity::{Client, SecretString};

use crate::connection::Connection;
use crate::failure::Failure;
use crate::format::{Format, FormatArgs};
use crate::output::{self, Json};
use crate::{help, shell};

/// Print this workload's access token
///
/// Gets an ID token with the client credentials, exchanges it for the access
/// token (shared/PROTOCOL.md) and prints the access token on stdout. Each run
/// is a new process, so the token is fetched anew; keep it while it is valid.
#[derive(clap::Args)]
#[command(
    after_help = help::service_short(EXAMPLES),
    after_long_help = help::service_long(EXAMPLES)
)]
pub struct Token {
    #[command(flatten)]
    format: FormatArgs<TokenFormat>,

    #[command(flatten)]
    connection: Connection,
}

const EXAMPLES: &str = "\
Examples:
  curl -H \"Authorization: Bearer $(wi token)\" https://api.example.com/
  wi token --format json             # with token_type, expires_in and expires_at
  eval \"$(wi token --format env)\"    # sets WI_ACCESS_TOKEN
  wi token --client-secret-file /run/secrets/wi-client-secret
  vault kv get -field=secret kv/wi | wi token --client-secret-stdin
  wi token --server-env ppe_checkout --max-retries 0 -v
";

/// The formats of `wi token`.
#[derive(Clone, Default, clap::ValueEnum)]
pub enum TokenFormat {
    /// The token alone on one line (default)
    #[default]
    Raw,
    /// {"access_token", "token_type", "expires_in", "expires_at"} (expiry when known)
    Json,
    /// export WI_ACCESS_TOKEN='...' for eval (and WI_ACCESS_TOKEN_EXPIRES_AT when known)
    Env,
}

impl Format for TokenFormat {
    const JSON: Self = TokenFormat::Json;
}

/// The variable `--format env` assigns.
const TOKEN_VARIABLE: &str = "WI_ACCESS_TOKEN";
/// The variable `--format env` assigns the expiry (RFC 3339, UTC) to, when known.
const EXPIRY_VARIABLE: &str = "WI_ACCESS_TOKEN_EXPIRES_AT";

/// The access token and what is known about it.
struct IssuedToken {
    token: SecretString,
    /// How the token is presented (`Authorization: <type> <token>`).
    token_type: &'static str,
    /// Time left until it expires, if the library says.
    expires_in: Option<Duration>,
}

impl Token {
    /// Fetches the access token (two-step flow, or the cache) and prints it.
    pub fn run(self) -> Result<(), Failure> {
        let format = self.format.get();
        let issued = fetch(&self.connection.client()?)?;
        output::emit(|out| match format {
            TokenFormat::Raw => {
                out.write_all(issued.token.expose().as_bytes())?;
                out.write_all(b"\n")
            }
            TokenFormat::Json => write_json(out, &issued, SystemTime::now()),
            TokenFormat::Env => {
                shell::assignment(out, "export ", TOKEN_VARIABLE, issued.token.expose())?;
                match expires_at(&issued, SystemTime::now()) {
                    Some(at) => shell::assignment(out, "export ", EXPIRY_VARIABLE, &at),
                    None => Ok(()),
                }
            }
        })
    }
}

/// The one place that asks the library for the token and its expiry.
fn fetch(client: &Client) -> Result<IssuedToken, Failure> {
    let (token, expires_at_unix_ms) = client.access_token_with_expiry()?;
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64);
    Ok(IssuedToken {
        token,
        // The library presents access tokens as `Authorization: Bearer ...`.
        token_type: "Bearer",
        expires_in: u64::try_from(expires_at_unix_ms - now_ms)
            .ok()
            .map(Duration::from_millis),
    })
}

/// The expiry as RFC 3339 UTC (`2025-01-31T12:00:00Z`), if known.
fn expires_at(issued: &IssuedToken, now: SystemTime) -> Option<String> {
    let at = now.checked_add(issued.expires_in?)?;
    Some(humantime::format_rfc3339_seconds(at).to_string())
}

/// `{"access_token","token_type"}`, plus `expires_in` (whole seconds) and
/// `expires_at` when the expiry is known.
fn write_json(out: &mut dyn Write, issued: &IssuedToken, now: SystemTime) -> io::Result<()> {
    let expires_at = expires_at(issued, now);
    let mut members = vec![
        ("access_token", Json::Text(issued.token.expose())),
        ("token_type", Json::Text(issued.token_type)),
    ];
    if let (Some(expires_in), Some(at)) = (issued.expires_in, &expires_at) {
        members.push(("expires_in", Json::Number(expires_in.as_secs())));
        members.push(("expires_at", Json::Text(at)));
    }
    output::object(out, &members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_carries_the_expiry_only_when_known() {
        let mut issued = IssuedToken {
            token: SecretString::from("at_x"),
            token_type: "Bearer",
            expires_in: None,
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let render = |issued: &IssuedToken| {
            let mut out = Vec::new();
            write_json(&mut out, issued, now).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            render(&issued),
            "{\"access_token\":\"at_x\",\"token_type\":\"Bearer\"}\n"
        );
        issued.expires_in = Some(Duration::from_millis(3_599_900));
        assert_eq!(
            render(&issued),
            "{\"access_token\":\"at_x\",\"token_type\":\"Bearer\",\"expires_in\":3599,\
             \"expires_at\":\"2023-11-14T23:13:19Z\"}\n"
        );
    }
}
