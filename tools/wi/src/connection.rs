//! The identity-service settings of one command: flags over environment
//! variables, and where the client secret comes from.

use workload_identity::{Client, ConfigBuilder};

use crate::args::{Args, Flag};
use crate::failure::Failure;
use crate::input::SecretSource;

/// Flags that map one to one onto a library option key.
const OPTION_FLAGS: [(&str, &str); 10] = [
    ("--client-id", "client_id"),
    ("--token-endpoint", "token_endpoint"),
    ("--access-token-endpoint", "access_token_endpoint"),
    ("--outbound-auth-endpoint", "outbound_auth_endpoint"),
    ("--server-env", "server_env"),
    ("--timeout-ms", "timeout_ms"),
    ("--connect-timeout-ms", "connect_timeout_ms"),
    ("--max-retries", "max_retries"),
    ("--proxy", "proxy"),
    ("--ca-bundle", "ca_bundle_path"),
];

/// Settings gathered from the command line; unset keys fall back to the
/// environment when the client is built. Owned by one command; not shared.
#[derive(Default)]
pub struct Connection {
    builder: ConfigBuilder,
    secret: Option<SecretSource>,
}

impl Connection {
    /// Consumes `flag` (and its value) if it is a connection flag; `Ok(false)` if not.
    pub fn take(&mut self, flag: &Flag, args: &mut Args) -> Result<bool, Failure> {
        match flag.name.as_str() {
            "--client-secret" => return Err(refuse_secret("--client-secret")),
            "--client-secret-file" => {
                self.secret = Some(SecretSource::File(args.value(flag)?));
            }
            "--client-secret-stdin" => {
                flag.switch()?;
                self.secret = Some(SecretSource::Stdin);
            }
            "--option" => {
                let setting = args.value(flag)?;
                let Some((key, value)) = setting.split_once('=') else {
                    return Err(Failure::Usage("--option needs KEY=VALUE".to_owned()));
                };
                if key == "client_secret" {
                    return Err(refuse_secret("--option client_secret"));
                }
                self.set("--option", key, value)?;
            }
            name => {
                let Some((_, key)) = OPTION_FLAGS.iter().find(|(known, _)| *known == name) else {
                    return Ok(false);
                };
                let value = args.value(flag)?;
                self.set(name, key, &value)?;
            }
        }
        Ok(true)
    }

    /// Sets library option `key`; a bad key or value is a usage error naming `flag`.
    pub fn set(&mut self, flag: &str, key: &str, value: &str) -> Result<(), Failure> {
        self.builder
            .set(key, value)
            .map(|_| ())
            .map_err(|error| Failure::Usage(format!("{flag}: {}", error.message())))
    }

    /// Whether the client secret is to be read from standard input.
    pub fn reads_stdin(&self) -> bool {
        self.secret.as_ref().is_some_and(SecretSource::is_stdin)
    }

    /// Reads the client secret if it comes from a file or stdin, then builds
    /// the client (environment variables fill every unset key).
    pub fn client(mut self) -> Result<Client, Failure> {
        if let Some(source) = self.secret.take() {
            let secret = source
                .read("client secret")
                .map_err(Failure::Configuration)?;
            self.builder
                .set("client_secret", secret.expose())
                .map_err(|error| Failure::Configuration(error.message().to_owned()))?;
        }
        let config = self.builder.build()?;
        Ok(Client::new(config)?)
    }
}

/// Explains why the client secret is never taken as a flag value.
fn refuse_secret(flag: &str) -> Failure {
    Failure::Usage(format!(
        "{flag} is refused: a secret on the command line is visible to other users \
         (ps, /proc) and kept in shell history; set COZE_WORKLOAD_IDENTITY_CLIENT_SECRET, \
         or use --client-secret-file PATH or --client-secret-stdin"
    ))
}
