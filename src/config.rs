//! Configuration: from environment variables, explicit settings, or both; validated.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::error::Error;
use crate::lane::Lane;
use crate::redact;
use crate::secret::SecretString;
use crate::url::HttpUrl;

/// How the client authenticates a general RFC 8693 exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` in the form, as in the Coze step 2 (the default).
    ClientId,
    /// `client_id` and `client_secret` in the form.
    ClientSecretPost,
    /// HTTP Basic with the URL-encoded id and secret.
    ClientSecretBasic,
}

/// Every setting a client takes. The string names are the C option keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptionKey {
    /// `client_id` (env `COZE_WORKLOAD_IDENTITY_CLIENT_ID`).
    ClientId,
    /// `client_secret` (env `COZE_WORKLOAD_IDENTITY_CLIENT_SECRET`).
    ClientSecret,
    /// `token_endpoint` (env `COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT`).
    TokenEndpoint,
    /// `access_token_endpoint` (env `COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT`).
    AccessTokenEndpoint,
    /// `outbound_auth_endpoint` (env `COZE_OUTBOUND_AUTH_ENDPOINT`).
    OutboundAuthEndpoint,
    /// `server_env`, the lane (env `COZE_SERVER_ENV`).
    ServerEnv,
    /// `timeout_ms`: per-attempt read timeout (default 30000).
    TimeoutMs,
    /// `connect_timeout_ms` (default 5000).
    ConnectTimeoutMs,
    /// `deadline_ms`: overall bound of one call (default derived from the others).
    DeadlineMs,
    /// `expiry_buffer_s`: seconds before expiry a token stops being handed out (default 60).
    ExpiryBufferS,
    /// `max_retries` (default 2).
    MaxRetries,
    /// `proxy` URL (default: `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`).
    Proxy,
    /// `ca_bundle_path`: PEM file of trust anchors used instead of the built-in roots.
    CaBundlePath,
    /// `user_agent`.
    UserAgent,
    /// `allow_insecure_http`: `true` allows plain http to a non-loopback host.
    AllowInsecureHttp,
    /// `client_auth`: `client_id` | `client_secret_post` | `client_secret_basic`.
    ClientAuth,
}

impl OptionKey {
    /// Every key, in documentation order.
    pub const ALL: [OptionKey; 16] = [
        OptionKey::ClientId,
        OptionKey::ClientSecret,
        OptionKey::TokenEndpoint,
        OptionKey::AccessTokenEndpoint,
        OptionKey::OutboundAuthEndpoint,
        OptionKey::ServerEnv,
        OptionKey::TimeoutMs,
        OptionKey::ConnectTimeoutMs,
        OptionKey::DeadlineMs,
        OptionKey::ExpiryBufferS,
        OptionKey::MaxRetries,
        OptionKey::Proxy,
        OptionKey::CaBundlePath,
        OptionKey::UserAgent,
        OptionKey::AllowInsecureHttp,
        OptionKey::ClientAuth,
    ];

    /// The C option key.
    pub fn name(self) -> &'static str {
        match self {
            OptionKey::ClientId => "client_id",
            OptionKey::ClientSecret => "client_secret",
            OptionKey::TokenEndpoint => "token_endpoint",
            OptionKey::AccessTokenEndpoint => "access_token_endpoint",
            OptionKey::OutboundAuthEndpoint => "outbound_auth_endpoint",
            OptionKey::ServerEnv => "server_env",
            OptionKey::TimeoutMs => "timeout_ms",
            OptionKey::ConnectTimeoutMs => "connect_timeout_ms",
            OptionKey::DeadlineMs => "deadline_ms",
            OptionKey::ExpiryBufferS => "expiry_buffer_s",
            OptionKey::MaxRetries => "max_retries",
            OptionKey::Proxy => "proxy",
            OptionKey::CaBundlePath => "ca_bundle_path",
            OptionKey::UserAgent => "user_agent",
            OptionKey::AllowInsecureHttp => "allow_insecure_http",
            OptionKey::ClientAuth => "client_auth",
        }
    }

    /// The environment variable this key falls back to, if any.
    pub fn env_var(self) -> Option<&'static str> {
        match self {
            OptionKey::ClientId => Some("COZE_WORKLOAD_IDENTITY_CLIENT_ID"),
            OptionKey::ClientSecret => Some("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET"),
            OptionKey::TokenEndpoint => Some("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT"),
            OptionKey::AccessTokenEndpoint => Some("COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT"),
            OptionKey::OutboundAuthEndpoint => Some("COZE_OUTBOUND_AUTH_ENDPOINT"),
            OptionKey::ServerEnv => Some("COZE_SERVER_ENV"),
            _ => None,
        }
    }

    /// Looks a key up by its C name.
    pub fn parse(name: &str) -> Result<OptionKey, Error> {
        OptionKey::ALL
            .into_iter()
            .find(|key| key.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = OptionKey::ALL.iter().map(|key| key.name()).collect();
                Error::invalid_argument(format!(
                    "unknown option key {:?}; known keys: {}",
                    redact::cap(name),
                    known.join(", ")
                ))
            })
    }

    /// Checks that `value` is well-formed for this key (not whether it is complete).
    fn check(self, value: &str) -> Result<(), Error> {
        let name = self.name();
        let bad = |why: &str| Err(Error::invalid_argument(format!("option {name}: {why}")));
        match self {
            OptionKey::TimeoutMs | OptionKey::ConnectTimeoutMs | OptionKey::DeadlineMs => {
                match value.parse::<u64>() {
                    Ok(ms) if (1..=3_600_000).contains(&ms) => Ok(()),
                    _ => bad("expected milliseconds from 1 to 3600000"),
                }
            }
            OptionKey::ExpiryBufferS => match value.parse::<u64>() {
                Ok(s) if s <= 86_400 => Ok(()),
                _ => bad("expected seconds from 0 to 86400"),
            },
            OptionKey::MaxRetries => match value.parse::<u32>() {
                Ok(n) if n <= 10 => Ok(()),
                _ => bad("expected a number of retries from 0 to 10"),
            },
            OptionKey::AllowInsecureHttp => parse_bool(value).map(|_| ()).ok_or_else(|| {
                Error::invalid_argument(format!("option {name}: expected true or false"))
            }),
            OptionKey::ClientAuth => parse_client_auth(value).map(|_| ()).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "option {name}: expected client_id, client_secret_post or client_secret_basic"
                ))
            }),
            OptionKey::TokenEndpoint
            | OptionKey::AccessTokenEndpoint
            | OptionKey::OutboundAuthEndpoint
            | OptionKey::Proxy => {
                if value.is_empty() {
                    return Ok(());
                }
                HttpUrl::parse(value)
                    .map(|_| ())
                    .map_err(|why| Error::invalid_argument(format!("option {name}: {why}")))
            }
            OptionKey::UserAgent if value.chars().any(|c| c.is_control()) => {
                bad("must not contain control characters")
            }
            // Sent as a header value (x-tt-env): visible ASCII and inner spaces.
            OptionKey::ServerEnv
                if value.trim() != value
                    || !value.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) =>
            {
                bad("must be visible ASCII (it is sent as the x-tt-env header)")
            }
            _ => Ok(()),
        }
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

fn parse_client_auth(value: &str) -> Option<ClientAuth> {
    match value {
        "client_id" => Some(ClientAuth::ClientId),
        "client_secret_post" => Some(ClientAuth::ClientSecretPost),
        "client_secret_basic" => Some(ClientAuth::ClientSecretBasic),
        _ => None,
    }
}

/// Explicit settings, checked one by one as they are set.
///
/// Keys left unset fall back to their environment variable at [`ConfigBuilder::build`].
/// Not thread-safe to mutate; `Send`.
#[derive(Clone, Debug, Default)]
pub struct ConfigBuilder {
    values: BTreeMap<OptionKey, SecretString>,
}

impl ConfigBuilder {
    /// An empty set of settings.
    pub fn new() -> Self {
        ConfigBuilder::default()
    }

    /// Sets `key` (a C option name) to `value`; an unknown key or a malformed
    /// value is an [`crate::ErrorKind::InvalidArgument`] error naming the key.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self, Error> {
        let key = OptionKey::parse(key)?;
        key.check(value)?;
        self.values.insert(key, SecretString::from(value));
        Ok(self)
    }

    /// Forgets `key`, so that it falls back to the environment again.
    pub fn unset(&mut self, key: &str) -> Result<&mut Self, Error> {
        self.values.remove(&OptionKey::parse(key)?);
        Ok(self)
    }

    /// Validates the settings, falling back to the process environment. A
    /// variable that is not valid UTF-8 is a configuration error naming it.
    pub fn build(&self) -> Result<Config, Error> {
        for key in OptionKey::ALL {
            let Some(name) = key.env_var() else { continue };
            if !self.values.contains_key(&key) {
                if let Some(value) = std::env::var_os(name) {
                    if value.to_str().is_none() {
                        return Err(Error::configuration(format!("{name} is not valid UTF-8")));
                    }
                }
            }
        }
        self.build_with_env(|name| std::env::var(name).ok())
    }

    /// Validates the settings, falling back to `env` for unset keys.
    pub fn build_with_env(&self, env: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        // Every value may be a secret: each copy is wiped when dropped.
        let lookup = |key: OptionKey| -> Option<Zeroizing<String>> {
            match self.values.get(&key) {
                Some(value) => Some(Zeroizing::new(value.expose().to_owned())),
                None => key.env_var().and_then(&env).map(Zeroizing::new),
            }
            .filter(|value| !value.is_empty())
        };
        Config::resolve(lookup)
    }
}

/// A validated configuration. Immutable; `Send + Sync`. `Debug` shows no
/// secret, and URLs without their userinfo and query values.
#[derive(Clone)]
pub struct Config {
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) token_endpoint: String,
    pub(crate) access_token_endpoint: String,
    pub(crate) outbound_auth_endpoint: Option<String>,
    pub(crate) lane: Lane,
    pub(crate) read_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) expiry_buffer: Duration,
    pub(crate) max_retries: u32,
    /// May hold a password: wiped on drop.
    pub(crate) proxy: Option<SecretString>,
    pub(crate) ca_bundle_path: Option<PathBuf>,
    pub(crate) user_agent: String,
    pub(crate) client_auth: ClientAuth,
}

impl Config {
    /// Reads the configuration from the `COZE_*` environment variables.
    pub fn from_env() -> Result<Config, Error> {
        ConfigBuilder::new().build()
    }

    /// Starts explicit settings (unset keys fall back to the environment).
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::new()
    }

    fn resolve(lookup: impl Fn(OptionKey) -> Option<Zeroizing<String>>) -> Result<Config, Error> {
        let required = [
            OptionKey::ClientId,
            OptionKey::ClientSecret,
            OptionKey::TokenEndpoint,
            OptionKey::AccessTokenEndpoint,
        ];
        let missing: Vec<String> = required
            .iter()
            .filter(|key| lookup(**key).is_none())
            .map(|key| {
                format!(
                    "{} (option {})",
                    key.env_var().unwrap_or_default(),
                    key.name()
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(Error::configuration(format!(
                "missing required configuration: {}",
                missing.join(", ")
            )));
        }
        // Values from the environment have not been through OptionKey::check yet.
        for key in OptionKey::ALL {
            if let Some(value) = lookup(key) {
                key.check(&value)
                    .map_err(|error| Error::configuration(error.message().to_owned()))?;
            }
        }
        let allow_insecure_http = lookup(OptionKey::AllowInsecureHttp)
            .and_then(|value| parse_bool(&value))
            .unwrap_or(false);
        let endpoint = |key: OptionKey| -> Result<Option<String>, Error> {
            let Some(url) = lookup(key) else {
                return Ok(None);
            };
            let parsed = HttpUrl::parse(&url).map_err(Error::configuration)?;
            if parsed.plain_http && !parsed.loopback && !allow_insecure_http {
                return Err(Error::configuration(format!(
                    "{} uses plain http to a host that is not loopback; use https, or set \
                     allow_insecure_http=true to send credentials in clear text",
                    key.name()
                )));
            }
            Ok(Some(url.to_string()))
        };
        let number = |key: OptionKey, default: u64| -> u64 {
            lookup(key)
                .and_then(|value| value.parse().ok())
                .unwrap_or(default)
        };
        let read_timeout = Duration::from_millis(number(OptionKey::TimeoutMs, 30_000));
        let connect_timeout = Duration::from_millis(number(OptionKey::ConnectTimeoutMs, 5_000));
        let max_retries = number(OptionKey::MaxRetries, 2) as u32;
        let derived_deadline = (read_timeout + connect_timeout) * (max_retries + 1)
            + crate::retry::BACKOFF_CAP * max_retries;
        let ca_bundle_path =
            lookup(OptionKey::CaBundlePath).map(|path| PathBuf::from(path.as_str()));
        if let Some(path) = &ca_bundle_path {
            if !path.is_file() {
                return Err(Error::configuration(format!(
                    "ca_bundle_path {} is not a readable file",
                    redact::cap(&path.display().to_string())
                )));
            }
        }
        Ok(Config {
            client_id: lookup(OptionKey::ClientId)
                .map(|id| id.to_string())
                .unwrap_or_default(),
            client_secret: SecretString::from(
                lookup(OptionKey::ClientSecret).unwrap_or_default().as_str(),
            ),
            token_endpoint: endpoint(OptionKey::TokenEndpoint)?.unwrap_or_default(),
            access_token_endpoint: endpoint(OptionKey::AccessTokenEndpoint)?.unwrap_or_default(),
            outbound_auth_endpoint: endpoint(OptionKey::OutboundAuthEndpoint)?
                .map(|url| url.trim_end_matches('/').to_owned()),
            lane: Lane::new(lookup(OptionKey::ServerEnv).as_deref().map(String::as_str)),
            read_timeout,
            connect_timeout,
            deadline: lookup(OptionKey::DeadlineMs)
                .and_then(|value| value.parse().ok())
                .map(Duration::from_millis)
                .unwrap_or(derived_deadline),
            expiry_buffer: Duration::from_secs(number(OptionKey::ExpiryBufferS, 60)),
            max_retries,
            proxy: lookup(OptionKey::Proxy).map(|proxy| SecretString::from(proxy.as_str())),
            ca_bundle_path,
            user_agent: lookup(OptionKey::UserAgent)
                .map(|agent| agent.to_string())
                .unwrap_or_else(|| format!("workload-identity/{}", env!("CARGO_PKG_VERSION"))),
            client_auth: lookup(OptionKey::ClientAuth)
                .and_then(|value| parse_client_auth(&value))
                .unwrap_or(ClientAuth::ClientId),
        })
    }

    /// The client id (not secret).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The outbound-auth base URL, if configured.
    pub fn outbound_auth_endpoint(&self) -> Option<&str> {
        self.outbound_auth_endpoint.as_deref()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = |value: &str| redact::url(value);
        f.debug_struct("Config")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("token_endpoint", &url(&self.token_endpoint))
            .field("access_token_endpoint", &url(&self.access_token_endpoint))
            .field(
                "outbound_auth_endpoint",
                &self.outbound_auth_endpoint.as_deref().map(url),
            )
            .field("lane", &self.lane)
            .field("read_timeout", &self.read_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("deadline", &self.deadline)
            .field("expiry_buffer", &self.expiry_buffer)
            .field("max_retries", &self.max_retries)
            .field(
                "proxy",
                &self.proxy.as_ref().map(|proxy| url(proxy.expose())),
            )
            .field("ca_bundle_path", &self.ca_bundle_path)
            .field("user_agent", &self.user_agent)
            .field("client_auth", &self.client_auth)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn names_every_missing_setting_at_once() {
        let error = ConfigBuilder::new()
            .build_with_env(env_of(&[("COZE_WORKLOAD_IDENTITY_CLIENT_ID", "")]))
            .unwrap_err();
        for name in [
            "COZE_WORKLOAD_IDENTITY_CLIENT_ID",
            "COZE_WORKLOAD_IDENTITY_CLIENT_SECRET",
            "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
            "COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT",
        ] {
            assert!(error.message().contains(name), "{error}");
        }
        assert_eq!(error.kind(), crate::ErrorKind::Configuration);
    }

    #[test]
    fn options_override_env_and_unset_keys_fall_back() {
        let env = env_of(&[
            ("COZE_WORKLOAD_IDENTITY_CLIENT_ID", "env-id"),
            ("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET", "env-secret"),
            (
                "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
                "http://127.0.0.1:1/t",
            ),
            (
                "COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT",
                "http://localhost:1/a",
            ),
            ("COZE_SERVER_ENV", "ppe_a"),
        ]);
        let mut builder = ConfigBuilder::new();
        builder.set("client_id", "opt-id").unwrap();
        let config = builder.build_with_env(env).unwrap();
        assert_eq!(config.client_id, "opt-id");
        assert_eq!(config.client_secret.expose(), "env-secret");
        assert_eq!(config.lane, Lane::new(Some("ppe_a")));
        assert_eq!(config.expiry_buffer, Duration::from_secs(60));
        assert_eq!(config.max_retries, 2);
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let mut builder = ConfigBuilder::new();
        let error = builder.set("clientid", "x").unwrap_err();
        assert!(error.message().contains("clientid"));
        for (key, value) in [
            ("timeout_ms", "fast"),
            ("timeout_ms", "0"),
            ("max_retries", "-1"),
            ("allow_insecure_http", "maybe"),
            ("client_auth", "jwt"),
            ("token_endpoint", "ftp://x/y"),
            ("token_endpoint", "not a url"),
            ("server_env", "bad\nlane"),
            ("server_env", "é-lane"),
        ] {
            let error = builder.set(key, value).unwrap_err();
            assert_eq!(error.kind(), crate::ErrorKind::InvalidArgument);
            assert!(error.message().contains(key), "{error}");
        }
    }

    #[test]
    fn plain_http_to_a_remote_host_needs_consent() {
        let mut builder = ConfigBuilder::new();
        builder
            .set("client_id", "id")
            .unwrap()
            .set("client_secret", "s")
            .unwrap()
            .set("token_endpoint", "http://auth.example.com/token")
            .unwrap()
            .set("access_token_endpoint", "https://auth.example.com/x")
            .unwrap();
        let error = builder.build_with_env(|_| None).unwrap_err();
        assert!(error.message().contains("token_endpoint"), "{error}");
        builder.set("allow_insecure_http", "true").unwrap();
        assert!(builder.build_with_env(|_| None).is_ok());
    }

    #[test]
    fn plain_http_is_refused_whatever_the_case_of_the_scheme() {
        for scheme in ["HTTP", "Http", "hTTp"] {
            for key in [
                "token_endpoint",
                "access_token_endpoint",
                "outbound_auth_endpoint",
            ] {
                let mut builder = ConfigBuilder::new();
                for (name, value) in [
                    ("client_id", "id"),
                    ("client_secret", "s"),
                    ("token_endpoint", "https://auth.example.com/token"),
                    ("access_token_endpoint", "https://auth.example.com/x"),
                ] {
                    builder.set(name, value).unwrap();
                }
                let url = format!("{scheme}://auth.example.com/token");
                builder.set(key, &url).unwrap();
                let error = builder.build_with_env(|_| None).unwrap_err();
                assert!(error.message().contains(key), "{url}: {error}");
                assert!(error.message().contains("plain http"), "{url}: {error}");
                builder.set("allow_insecure_http", "true").unwrap();
                assert!(builder.build_with_env(|_| None).is_ok(), "{url}");
            }
        }
        let mut builder = ConfigBuilder::new();
        for (name, value) in [
            ("client_id", "id"),
            ("client_secret", "s"),
            ("token_endpoint", "HTTPS://auth.example.com/token"),
            ("access_token_endpoint", "HTTP://127.0.0.1:1/x"),
        ] {
            builder.set(name, value).unwrap();
        }
        assert!(builder.build_with_env(|_| None).is_ok());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let mut builder = ConfigBuilder::new();
        builder.set("client_secret", "s3cr3t-value").unwrap();
        assert!(!format!("{builder:?}").contains("s3cr3t"));
    }
}
