//! The identity-service settings every service command takes (one
//! `#[command(flatten)]` each): named flags and the generic `-o KEY=VALUE`
//! over environment variables, and where the client secret comes from.
//!
//! A new library option needs no change here (`-o key=value` passes any key
//! to [`ConfigBuilder`]); a named flag for it is one field below plus one
//! line in [`Connection::named_flags`].

use std::path::PathBuf;

use workload_identity::{Client, ConfigBuilder, ErrorKind, OptionKey, OptionSpec};

use crate::failure::Failure;
use crate::input::SecretSource;

/// Settings from the command line; unset keys fall back to the environment
/// when the client is built. Owned by one command; not shared.
#[derive(clap::Args)]
#[command(next_help_heading = "Connection options")]
pub struct Connection {
    #[arg(long, hide_short_help = true, value_name = "ID", help = from_env("Client id", OptionKey::ClientId))]
    client_id: Option<String>,

    /// Read the client secret from PATH
    ///
    /// Trailing line breaks are dropped. PATH may be a pipe, as in
    /// `--client-secret-file <(vault read ...)`. Without this flag or
    /// --client-secret-stdin the secret comes from
    /// COZE_WORKLOAD_IDENTITY_CLIENT_SECRET. There is no --client-secret flag:
    /// command lines are visible to other users (ps, /proc) and kept in shell
    /// history.
    #[arg(
        long,
        hide_short_help = true,
        value_name = "PATH",
        conflicts_with = "client_secret_stdin"
    )]
    client_secret_file: Option<PathBuf>,

    /// Read the client secret from standard input
    #[arg(long, hide_short_help = true)]
    client_secret_stdin: bool,

    /// Refused with an explanation (never a secret in argv).
    #[arg(long, hide = true, num_args = 0..=1, value_name = "SECRET")]
    client_secret: Option<Option<String>>,

    #[arg(long, hide_short_help = true, value_name = "URL", help = from_env("ID token URL", OptionKey::TokenEndpoint))]
    token_endpoint: Option<String>,

    #[arg(
        long,
        hide_short_help = true,
        value_name = "URL",
        help = from_env("Access token URL", OptionKey::AccessTokenEndpoint)
    )]
    access_token_endpoint: Option<String>,

    #[arg(
        long,
        hide_short_help = true,
        value_name = "URL",
        help = from_env(
            "Authorization server (RFC 8414 discovery of the endpoints not set)",
            OptionKey::Issuer
        )
    )]
    issuer: Option<String>,

    #[arg(
        long,
        hide_short_help = true,
        value_name = "URL",
        help = from_env(
            "Base URL of the integration and env APIs",
            OptionKey::OutboundAuthEndpoint
        )
    )]
    outbound_auth_endpoint: Option<String>,

    #[arg(
        long,
        hide_short_help = true,
        value_name = "LANE",
        help = from_env("Lane (NONE or empty: no lane)", OptionKey::ServerEnv)
    )]
    server_env: Option<String>,

    /// Read timeout per attempt [default: 30000]
    #[arg(long, hide_short_help = true, value_name = "MS")]
    timeout_ms: Option<String>,

    /// Connect timeout [default: 5000]
    #[arg(long, hide_short_help = true, value_name = "MS")]
    connect_timeout_ms: Option<String>,

    /// Retries of transient failures, 0 to 10 [default: 2]
    #[arg(long, hide_short_help = true, value_name = "N")]
    max_retries: Option<String>,

    /// HTTP(S) proxy [default: from HTTPS_PROXY, HTTP_PROXY, NO_PROXY]
    #[arg(long, hide_short_help = true, value_name = "URL")]
    proxy: Option<String>,

    /// PEM trust anchors used instead of the built-in roots
    #[arg(long, hide_short_help = true, value_name = "PATH")]
    ca_bundle: Option<String>,

    /// Client authentication: client_secret_post, client_secret_basic, private_key_jwt, none or client_id [default: per flow]
    #[arg(long, hide_short_help = true, value_name = "METHOD")]
    client_auth: Option<String>,

    #[arg(long, hide_short_help = true, value_name = "FLOW", help = from_env(
        "How the token is obtained: coze (default), client_credentials, refresh_token, password, token_exchange, none",
        OptionKey::Flow
    ))]
    flow: Option<String>,

    #[arg(long, hide_short_help = true, value_name = "SCOPE", help = from_env("Scope of the flow's token requests", OptionKey::Scope))]
    scope: Option<String>,

    #[arg(long, hide_short_help = true, value_name = "AUDIENCE", help = from_env("Audience of the flow's token requests", OptionKey::Audience))]
    audience: Option<String>,

    #[arg(long, hide_short_help = true, value_name = "URI", help = from_env("Resource of the flow's token requests", OptionKey::Resource))]
    resource: Option<String>,

    #[arg(long, hide_short_help = true, value_name = "PATH", help = from_env("PEM key that signs private_key_jwt assertions", OptionKey::PrivateKeyPath))]
    private_key_path: Option<String>,

    #[arg(long, hide_short_help = true, value_name = "PATH", help = from_env("Subject token file of flow token_exchange", OptionKey::SubjectTokenFile))]
    subject_token_file: Option<String>,

    /// Where tokens are cached between runs: memory, or file:DIR [default: file: under $XDG_CACHE_HOME or ~/.cache, workload-identity/]
    #[arg(
        long,
        hide_short_help = true,
        value_name = "STORE",
        conflicts_with = "no_cache"
    )]
    token_store: Option<String>,

    /// Do not cache tokens between runs (token_store=memory)
    #[arg(long, hide_short_help = true)]
    no_cache: bool,

    #[arg(
        short = 'o',
        hide_short_help = true,
        long = "option",
        value_name = "KEY=VALUE",
        help = generic_option_help()
    )]
    options: Vec<String>,
}

impl Connection {
    /// Each named flag, the library option it sets and its value if given.
    /// A new named flag is a field above and one line here.
    fn named_flags(&self) -> [(&'static str, OptionKey, Option<&str>); 19] {
        [
            (
                "--client-id",
                OptionKey::ClientId,
                self.client_id.as_deref(),
            ),
            (
                "--token-endpoint",
                OptionKey::TokenEndpoint,
                self.token_endpoint.as_deref(),
            ),
            (
                "--access-token-endpoint",
                OptionKey::AccessTokenEndpoint,
                self.access_token_endpoint.as_deref(),
            ),
            ("--issuer", OptionKey::Issuer, self.issuer.as_deref()),
            (
                "--outbound-auth-endpoint",
                OptionKey::OutboundAuthEndpoint,
                self.outbound_auth_endpoint.as_deref(),
            ),
            (
                "--server-env",
                OptionKey::ServerEnv,
                self.server_env.as_deref(),
            ),
            (
                "--timeout-ms",
                OptionKey::TimeoutMs,
                self.timeout_ms.as_deref(),
            ),
            (
                "--connect-timeout-ms",
                OptionKey::ConnectTimeoutMs,
                self.connect_timeout_ms.as_deref(),
            ),
            (
                "--max-retries",
                OptionKey::MaxRetries,
                self.max_retries.as_deref(),
            ),
            ("--proxy", OptionKey::Proxy, self.proxy.as_deref()),
            (
                "--ca-bundle",
                OptionKey::CaBundlePath,
                self.ca_bundle.as_deref(),
            ),
            (
                "--client-auth",
                OptionKey::ClientAuth,
                self.client_auth.as_deref(),
            ),
            ("--flow", OptionKey::Flow, self.flow.as_deref()),
            ("--scope", OptionKey::Scope, self.scope.as_deref()),
            ("--audience", OptionKey::Audience, self.audience.as_deref()),
            ("--resource", OptionKey::Resource, self.resource.as_deref()),
            (
                "--private-key-path",
                OptionKey::PrivateKeyPath,
                self.private_key_path.as_deref(),
            ),
            (
                "--subject-token-file",
                OptionKey::SubjectTokenFile,
                self.subject_token_file.as_deref(),
            ),
            (
                "--token-store",
                OptionKey::TokenStore,
                self.token_store
                    .as_deref()
                    .or(self.no_cache.then_some("memory")),
            ),
        ]
    }

    /// The token store used when none is given (flag, `-o`, `WI_TOKEN_STORE`):
    /// a directory under the user's cache directory, as gcloud and az keep
    /// their tokens on disk; `None` when there is no such directory.
    fn default_store(&self) -> Option<String> {
        let chosen = self.token_store.is_some()
            || self.no_cache
            || self
                .options
                .iter()
                .any(|setting| setting.starts_with("token_store="))
            || std::env::var_os(OptionKey::TokenStore.env_var().as_ref()).is_some();
        if chosen {
            return None;
        }
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|dir| !dir.is_empty())
                    .map(|home| PathBuf::from(home).join(".cache"))
            })?;
        Some(format!(
            "file:{}",
            cache.join("workload-identity").display()
        ))
    }

    /// Whether the client secret is to be read from standard input.
    pub fn reads_stdin(&self) -> bool {
        self.client_secret_stdin
    }

    /// Checks every setting (so a usage error comes before any input is
    /// read), reads the client secret if it comes from a file or stdin, then
    /// builds the client; environment variables fill every unset key.
    pub fn client(self) -> Result<Client, Failure> {
        self.build(false, |_| Ok(()))
    }

    /// The client of the OAuth operations (`discover`, `introspect`, `revoke`,
    /// `register`), which need no access token: without a flow set (`--flow`,
    /// `-o flow=...`, `WI_FLOW`), the default flow when its settings are
    /// complete, else `none`, which requires no client credentials.
    pub fn client_for_oauth(self) -> Result<Client, Failure> {
        self.build(true, |_| Ok(()))
    }

    /// [`Connection::client_for_oauth`], with `extra` settings applied last.
    pub fn client_for_oauth_with(
        self,
        extra: impl FnOnce(&mut ConfigBuilder) -> Result<(), workload_identity::Error>,
    ) -> Result<Client, Failure> {
        self.build(true, extra)
    }

    fn build(
        self,
        oauth_operation: bool,
        extra: impl FnOnce(&mut ConfigBuilder) -> Result<(), workload_identity::Error>,
    ) -> Result<Client, Failure> {
        let mut builder = self.settings()?;
        let flow_set = self.flow.is_some()
            || self
                .options
                .iter()
                .any(|setting| setting.starts_with("flow="))
            || std::env::var_os(OptionKey::Flow.env_var().as_ref()).is_some();
        let default_store = self.default_store();
        let source = match (self.client_secret_file, self.client_secret_stdin) {
            (Some(path), _) => Some(SecretSource::File(path)),
            (None, true) => Some(SecretSource::Stdin),
            (None, false) => None,
        };
        if let Some(source) = source {
            let secret = source
                .read("client secret")
                .map_err(Failure::Configuration)?;
            builder
                .set(OptionKey::ClientSecret.name(), secret.expose())
                .map_err(|error| Failure::Configuration(error.message().to_owned()))?;
        }
        extra(&mut builder).map_err(|error| Failure::Configuration(error.message().to_owned()))?;
        // The OAuth operations keep the configured flow when its settings are
        // complete (so that `wi revoke` shares the identity, and the cached
        // tokens, of `wi token`), else run with flow `none`, which needs none.
        if oauth_operation && !flow_set {
            if let Err(error) = builder.build() {
                if error.kind() != ErrorKind::Configuration {
                    return Err(error.into());
                }
                set(&mut builder, "--option", OptionKey::Flow.name(), "none")?;
            }
        }
        if let Some(store) = default_store {
            let mut cached = builder.clone();
            cached
                .set(OptionKey::TokenStore.name(), &store)
                .map_err(|error| Failure::Configuration(error.message().to_owned()))?;
            match Client::new(cached.build()?) {
                Err(error) if error.kind() == ErrorKind::Store => {
                    eprintln!("wi: warning: not caching tokens between runs: {error}");
                }
                other => return Ok(other?),
            }
        }
        Ok(Client::new(builder.build()?)?)
    }

    /// The options given as flags: `-o` settings in order, then the named
    /// flags (which win for the same key). Each value is checked by the library.
    fn settings(&self) -> Result<ConfigBuilder, Failure> {
        if self.client_secret.is_some() {
            return Err(refuse_secret("--client-secret", OptionKey::ClientSecret));
        }
        let mut builder = ConfigBuilder::new();
        for setting in &self.options {
            let Some((key, value)) = setting.split_once('=') else {
                return Err(Failure::Usage("--option needs KEY=VALUE".to_owned()));
            };
            if let Some(secret) = OptionKey::from_name(key).filter(|key| key.spec().is_secret()) {
                return Err(refuse_secret(&format!("--option {key}"), secret));
            }
            set(&mut builder, "--option", key, value)?;
        }
        for (flag, key, value) in self.named_flags() {
            if let Some(value) = value {
                set(&mut builder, flag, key.name(), value)?;
            }
        }
        Ok(builder)
    }
}

/// Sets library option `key`; a bad key or value is a usage error naming `flag`.
fn set(builder: &mut ConfigBuilder, flag: &str, key: &str, value: &str) -> Result<(), Failure> {
    builder
        .set(key, value)
        .map(|_| ())
        .map_err(|error| Failure::Usage(format!("{flag}: {}", error.message())))
}

/// Explains why a secret is never taken as a flag value; never echoes it.
fn refuse_secret(flag: &str, key: OptionKey) -> Failure {
    let files = if key == OptionKey::ClientSecret {
        ", or use --client-secret-file PATH or --client-secret-stdin"
    } else {
        ""
    };
    Failure::Usage(format!(
        "{flag} is refused: a secret on the command line is visible to other users \
         (ps, /proc) and kept in shell history; set {}{files}",
        key.env_var()
    ))
}

/// A flag's help naming the environment variable it overrides (from the core's table).
fn from_env(what: &str, key: OptionKey) -> String {
    format!("{what} [env: {}]", key.env_var())
}

/// The help of `-o`, listing every key of the core's option table (secrets
/// excepted: they never come from the command line).
fn generic_option_help() -> String {
    let keys: Vec<&str> = OptionSpec::all()
        .iter()
        .filter(|spec| !spec.is_secret())
        .map(OptionSpec::name)
        .collect();
    format!(
        "Any library option by key (repeatable; a named flag wins for the same key). Keys: {}",
        keys.join(", ")
    )
}
