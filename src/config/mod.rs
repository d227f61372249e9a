//! Configuration: from environment variables, explicit settings, or both;
//! validated once, into typed values, when a client is built.
//!
//! `options` is the one table of option keys; `value` parses each kind of
//! value; `builder` collects settings. URL rules are `crate::url`'s, what a
//! message shows of input `crate::redact`'s.

mod builder;
mod options;
mod value;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use builder::ConfigBuilder;
pub use options::{OptionKey, OptionKind, OptionSpec};
pub use value::{ClientAuth, Flow, TokenStore};

use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::lane::Lane;
use crate::redact;
use crate::secret::SecretString;
use crate::url::HttpUrl;
use value::Value;

/// Default `subject_token_type` of `flow=token_exchange`.
pub(crate) const DEFAULT_SUBJECT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// A validated configuration. Immutable; `Send + Sync`. `Debug` shows no secret.
#[derive(Clone)]
pub struct Config {
    pub(crate) flow: Flow,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<SecretString>,
    pub(crate) token_endpoint: Option<String>,
    pub(crate) access_token_endpoint: Option<String>,
    pub(crate) outbound_auth_endpoint: Option<String>,
    pub(crate) lane: Lane,
    pub(crate) scope: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) resource: Option<String>,
    pub(crate) refresh_token: Option<SecretString>,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<SecretString>,
    pub(crate) subject_token_file: Option<PathBuf>,
    pub(crate) subject_token_type: String,
    /// `None`: each flow's default.
    pub(crate) client_auth: Option<ClientAuth>,
    pub(crate) private_key_path: Option<PathBuf>,
    pub(crate) private_key_id: Option<String>,
    pub(crate) issuer: Option<String>,
    #[allow(dead_code)] // read by the OAuth operations and the exchange cache, next
    pub(crate) introspection_endpoint: Option<String>,
    #[allow(dead_code)] // read by the OAuth operations and the exchange cache, next
    pub(crate) revocation_endpoint: Option<String>,
    #[allow(dead_code)] // read by the OAuth operations and the exchange cache, next
    pub(crate) registration_endpoint: Option<String>,
    #[allow(dead_code)] // read by the OAuth operations and the exchange cache, next
    pub(crate) registration_token: Option<SecretString>,
    /// `header.<Name>` settings.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) token_store: TokenStore,
    pub(crate) exchange_cache_size: usize,
    pub(crate) read_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) expiry_buffer: Duration,
    pub(crate) max_retries: u32,
    pub(crate) proxy: Option<SecretString>,
    pub(crate) ca_bundle_path: Option<PathBuf>,
    pub(crate) user_agent: String,
    pub(crate) clock: Arc<dyn Clock>,
    /// True when the caller injected the clock (the identity is then its own).
    pub(crate) custom_clock: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = |value: &Option<String>| value.as_deref().map(redact::url);
        f.debug_struct("Config")
            .field("flow", &self.flow)
            .field("client_id", &self.client_id)
            .field("token_endpoint", &url(&self.token_endpoint))
            .field("access_token_endpoint", &url(&self.access_token_endpoint))
            .field("issuer", &url(&self.issuer))
            .field("lane", &self.lane)
            .field("client_auth", &self.client_auth)
            .field("token_store", &self.token_store)
            .field(
                "proxy",
                &self.proxy.as_ref().map(|proxy| redact::url(proxy.expose())),
            )
            .finish_non_exhaustive()
    }
}

/// The settings one lookup sees: explicit values first, then the environment.
struct Settings<'a> {
    builder: &'a ConfigBuilder,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Settings<'_> {
    /// The value of `key`, `None` when unset or empty; an environment value
    /// that does not parse is a configuration error naming the variable.
    fn get(&self, key: OptionKey) -> Result<Option<Value>, Error> {
        let spec = key.spec();
        let value = match self.builder.values.get(&key) {
            Some(value) => value.clone(),
            None => {
                let name = spec.env_var();
                // The raw value may be a secret: wiped once parsed.
                let Some(raw) = (self.env)(&name)
                    .filter(|raw| !raw.is_empty())
                    .map(zeroize::Zeroizing::new)
                else {
                    return Ok(None);
                };
                value::parse(spec, &raw)
                    .map_err(|why| Error::configuration(format!("{why} (from {name})")))?
            }
        };
        if value.is_empty() {
            return Ok(None);
        }
        value::check(spec, &value).map_err(Error::configuration)?;
        Ok(Some(value))
    }

    fn text(&self, key: OptionKey) -> Result<Option<String>, Error> {
        Ok(match self.get(key)? {
            Some(Value::Text(text)) => Some(text),
            Some(Value::Secret(secret)) => Some(secret.expose().to_owned()),
            _ => None,
        })
    }

    fn secret(&self, key: OptionKey) -> Result<Option<SecretString>, Error> {
        Ok(match self.get(key)? {
            Some(Value::Secret(secret)) => Some(secret),
            Some(Value::Text(text)) => Some(SecretString::new(text)),
            _ => None,
        })
    }

    fn duration(&self, key: OptionKey, default: Duration) -> Result<Duration, Error> {
        Ok(match self.get(key)? {
            Some(Value::Duration(duration)) => duration,
            _ => default,
        })
    }

    fn count(&self, key: OptionKey, default: u64) -> Result<u64, Error> {
        Ok(match self.get(key)? {
            Some(Value::Count(count)) => count,
            _ => default,
        })
    }

    fn path(&self, key: OptionKey) -> Result<Option<PathBuf>, Error> {
        Ok(match self.get(key)? {
            Some(Value::Path(path)) => Some(path),
            _ => None,
        })
    }
}

impl Config {
    /// Reads the configuration from the environment (`COZE_*` and `WI_*`).
    pub fn from_env() -> Result<Config, Error> {
        ConfigBuilder::new().build()
    }

    /// Starts explicit settings (unset keys fall back to the environment).
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::new()
    }

    fn resolve(
        builder: &ConfigBuilder,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, Error> {
        let settings = Settings { builder, env };
        let flow = match settings.get(OptionKey::Flow)? {
            Some(Value::Flow(flow)) => flow,
            _ => Flow::Coze,
        };
        let client_auth = match settings.get(OptionKey::ClientAuth)? {
            Some(Value::ClientAuth(method)) => Some(method),
            _ => None,
        };
        check_required(&settings, flow, client_auth)?;
        let allow_insecure_http = matches!(
            settings.get(OptionKey::AllowInsecureHttp)?,
            Some(Value::Bool(true))
        );
        let endpoint = |key: OptionKey| -> Result<Option<String>, Error> {
            let Some(url) = settings.text(key)? else {
                return Ok(None);
            };
            let facts = HttpUrl::parse(&url).map_err(Error::configuration)?;
            if facts.plain_http && !facts.loopback && !allow_insecure_http {
                return Err(Error::configuration(format!(
                    "{} uses plain http to a host that is not loopback; use https, or set \
                     allow_insecure_http=true to send credentials in clear text",
                    key.name()
                )));
            }
            Ok(Some(url))
        };
        let read_timeout = settings.duration(OptionKey::TimeoutMs, Duration::from_secs(30))?;
        let connect_timeout =
            settings.duration(OptionKey::ConnectTimeoutMs, Duration::from_secs(5))?;
        let max_retries = settings.count(OptionKey::MaxRetries, 2)? as u32;
        let derived_deadline = (read_timeout + connect_timeout) * (max_retries + 1)
            + crate::retry::BACKOFF_CAP * max_retries;
        let ca_bundle_path = settings.path(OptionKey::CaBundlePath)?;
        if let Some(path) = &ca_bundle_path {
            if !path.is_file() {
                return Err(Error::configuration(format!(
                    "ca_bundle_path {:?} is not a readable file",
                    redact::cap(&path.display().to_string())
                )));
            }
        }
        let token_store = match settings.get(OptionKey::TokenStore)? {
            Some(Value::Store(store)) => store,
            _ => TokenStore::Memory,
        };
        let (clock, custom_clock): (Arc<dyn Clock>, bool) = match &builder.clock {
            Some(clock) => (clock.clone(), true),
            None => (Arc::new(SystemClock), false),
        };
        Ok(Config {
            flow,
            client_id: settings.text(OptionKey::ClientId)?,
            client_secret: settings.secret(OptionKey::ClientSecret)?,
            token_endpoint: endpoint(OptionKey::TokenEndpoint)?,
            access_token_endpoint: endpoint(OptionKey::AccessTokenEndpoint)?,
            outbound_auth_endpoint: endpoint(OptionKey::OutboundAuthEndpoint)?
                .map(|url| url.trim_end_matches('/').to_owned()),
            lane: Lane::new(settings.text(OptionKey::ServerEnv)?.as_deref()),
            scope: settings.text(OptionKey::Scope)?,
            audience: settings.text(OptionKey::Audience)?,
            resource: settings.text(OptionKey::Resource)?,
            refresh_token: settings.secret(OptionKey::RefreshToken)?,
            username: settings.text(OptionKey::Username)?,
            password: settings.secret(OptionKey::Password)?,
            subject_token_file: settings.path(OptionKey::SubjectTokenFile)?,
            subject_token_type: settings
                .text(OptionKey::SubjectTokenType)?
                .unwrap_or_else(|| DEFAULT_SUBJECT_TOKEN_TYPE.to_owned()),
            client_auth,
            private_key_path: settings.path(OptionKey::PrivateKeyPath)?,
            private_key_id: settings.text(OptionKey::PrivateKeyId)?,
            issuer: endpoint(OptionKey::Issuer)?,
            introspection_endpoint: endpoint(OptionKey::IntrospectionEndpoint)?,
            revocation_endpoint: endpoint(OptionKey::RevocationEndpoint)?,
            registration_endpoint: endpoint(OptionKey::RegistrationEndpoint)?,
            registration_token: settings.secret(OptionKey::RegistrationToken)?,
            headers: builder.headers.clone(),
            token_store,
            exchange_cache_size: settings.count(OptionKey::ExchangeCacheSize, 1024)? as usize,
            read_timeout,
            connect_timeout,
            deadline: settings.duration(OptionKey::DeadlineMs, derived_deadline)?,
            expiry_buffer: settings.duration(OptionKey::ExpiryBufferS, Duration::from_secs(60))?,
            max_retries,
            proxy: settings.secret(OptionKey::Proxy)?,
            ca_bundle_path,
            user_agent: settings
                .text(OptionKey::UserAgent)?
                .unwrap_or_else(|| format!("workload-identity/{}", env!("CARGO_PKG_VERSION"))),
            clock,
            custom_clock,
        })
    }

    /// The flow.
    pub fn flow(&self) -> Flow {
        self.flow
    }

    /// The client id, if configured (not secret).
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// The outbound-auth base URL, if configured.
    pub fn outbound_auth_endpoint(&self) -> Option<&str> {
        self.outbound_auth_endpoint.as_deref()
    }
}

/// Checks that the flow and the client authentication have every setting
/// they need, naming every missing one at once.
fn check_required(
    settings: &Settings<'_>,
    flow: Flow,
    client_auth: Option<ClientAuth>,
) -> Result<(), Error> {
    let mut required: Vec<OptionKey> = match flow {
        Flow::Coze => vec![
            OptionKey::ClientId,
            OptionKey::ClientSecret,
            OptionKey::TokenEndpoint,
            OptionKey::AccessTokenEndpoint,
        ],
        Flow::ClientCredentials => vec![OptionKey::ClientId],
        Flow::RefreshToken => vec![OptionKey::RefreshToken],
        Flow::Password => vec![OptionKey::Username, OptionKey::Password],
        Flow::TokenExchange => vec![OptionKey::SubjectTokenFile],
        Flow::None => vec![],
    };
    match client_auth {
        Some(ClientAuth::ClientSecretPost | ClientAuth::ClientSecretBasic) => {
            required.extend([OptionKey::ClientId, OptionKey::ClientSecret])
        }
        Some(ClientAuth::PrivateKeyJwt) => {
            required.extend([OptionKey::ClientId, OptionKey::PrivateKeyPath]);
            required.retain(|key| *key != OptionKey::ClientSecret);
        }
        Some(ClientAuth::ClientId) => required.retain(|key| *key != OptionKey::ClientSecret),
        None => {}
    }
    let mut missing: Vec<String> = Vec::new();
    for key in required {
        let name = format!("{} (option {})", key.env_var(), key.name());
        if settings.get(key)?.is_none() && !missing.contains(&name) {
            missing.push(name);
        }
    }
    let needs_token_endpoint = !matches!(flow, Flow::Coze | Flow::None);
    if needs_token_endpoint
        && settings.get(OptionKey::TokenEndpoint)?.is_none()
        && settings.get(OptionKey::Issuer)?.is_none()
    {
        missing.push(format!(
            "{} (option {}) or {} (option {})",
            OptionKey::TokenEndpoint.env_var(),
            OptionKey::TokenEndpoint.name(),
            OptionKey::Issuer.env_var(),
            OptionKey::Issuer.name()
        ));
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::configuration(format!(
        "missing required configuration for flow {}: {}",
        flow.name(),
        missing.join(", ")
    )))
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
        assert_eq!(config.client_id.as_deref(), Some("opt-id"));
        assert_eq!(config.client_secret.unwrap().expose(), "env-secret");
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
    fn debug_output_hides_the_secret() {
        let mut builder = ConfigBuilder::new();
        builder.set("client_secret", "s3cr3t-value").unwrap();
        assert!(!format!("{builder:?}").contains("s3cr3t"));
    }

    #[test]
    fn upper_case_http_is_plain_http() {
        let mut builder = ConfigBuilder::new();
        builder
            .set("client_id", "id")
            .unwrap()
            .set("client_secret", "s")
            .unwrap()
            .set("token_endpoint", "HTTP://auth.example.com/token")
            .unwrap()
            .set("access_token_endpoint", "https://auth.example.com/x")
            .unwrap();
        let error = builder.build_with_env(|_| None).unwrap_err();
        assert!(error.message().contains("plain http"), "{error}");
    }

    #[test]
    fn every_flow_names_every_missing_setting() {
        let missing = |pairs: &[(&str, &str)]| {
            let mut builder = ConfigBuilder::new();
            for (key, value) in pairs {
                builder.set(key, value).unwrap();
            }
            builder
                .build_with_env(|_| None)
                .map(|_| ())
                .map_err(|e| e.message().to_owned())
        };
        let error = missing(&[("flow", "password")]).unwrap_err();
        for name in ["WI_USERNAME", "WI_PASSWORD", "token_endpoint", "issuer"] {
            assert!(error.contains(name), "{error}");
        }
        let error = missing(&[
            ("flow", "client_credentials"),
            ("client_auth", "private_key_jwt"),
        ])
        .unwrap_err();
        assert!(
            error.contains("private_key_path") && error.contains("client_id"),
            "{error}"
        );
        assert!(!error.contains("client_secret"), "{error}");
        assert!(missing(&[("flow", "none")]).is_ok());
        assert!(missing(&[
            ("flow", "refresh_token"),
            ("refresh_token", "rt"),
            ("token_endpoint", "https://a.example/t")
        ])
        .is_ok());
        assert!(missing(&[
            ("flow", "token_exchange"),
            ("subject_token_file", "/var/run/token"),
            ("issuer", "https://a.example")
        ])
        .is_ok());
    }

    #[test]
    fn wi_variables_and_env_errors_name_the_variable() {
        let env = env_of(&[
            ("WI_FLOW", "client_credentials"),
            ("COZE_WORKLOAD_IDENTITY_CLIENT_ID", "id"),
            ("WI_TOKEN_ENDPOINT", "http://127.0.0.1:1/t"),
            (
                "COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT",
                "http://127.0.0.1:2/t",
            ),
            ("WI_SCOPE", "a b"),
        ]);
        let config = ConfigBuilder::new().build_with_env(env).unwrap();
        assert_eq!(config.flow, Flow::ClientCredentials);
        assert_eq!(config.scope.as_deref(), Some("a b"));
        // A key with a Coze variable reads that one only.
        assert_eq!(
            config.token_endpoint.as_deref(),
            Some("http://127.0.0.1:2/t")
        );
        let error = ConfigBuilder::new()
            .build_with_env(env_of(&[("WI_FLOW", "none"), ("WI_TIMEOUT_MS", "soon")]))
            .unwrap_err();
        assert!(error.message().contains("WI_TIMEOUT_MS"), "{error}");
        assert_eq!(error.kind(), crate::ErrorKind::Configuration);
    }

    #[test]
    fn headers_are_checked_and_reserved_names_refused() {
        let mut builder = ConfigBuilder::new();
        builder.set("header.X-Tenant", "t1").unwrap();
        builder.set("header.x-tenant", "t2").unwrap();
        assert_eq!(
            builder.headers,
            vec![("X-Tenant".to_owned(), "t2".to_owned())]
        );
        for (key, value) in [
            ("header.Authorization", "x"),
            ("header.AUTHORIZATION", "x"),
            ("header.content-type", "x"),
            ("header.Content-Length", "1"),
            ("header.host", "h"),
            ("header.X-Bad", "a\r\nInjected: 1"),
            ("header.X-Bad", "é"),
            ("header.Bad Name", "x"),
            ("header.", "x"),
        ] {
            let error = builder.set(key, value).unwrap_err();
            assert_eq!(error.kind(), crate::ErrorKind::InvalidArgument, "{key}");
        }
    }

    #[test]
    fn typed_setters_are_checked_at_build() {
        let mut builder = ConfigBuilder::new();
        builder
            .flow(Flow::ClientCredentials)
            .client_id("id")
            .token_endpoint("https://a.example/t")
            .timeout(Duration::from_secs(7200));
        let error = builder.build_with_env(|_| None).unwrap_err();
        assert!(error.message().contains("timeout_ms"), "{error}");
        builder.timeout(Duration::from_secs(3));
        assert_eq!(
            builder.build_with_env(|_| None).unwrap().read_timeout,
            Duration::from_secs(3)
        );
    }

    #[test]
    fn messages_cap_the_caller_input() {
        let key = "k".repeat(10_000_000);
        let error = ConfigBuilder::new().set(&key, "v").unwrap_err();
        assert!(
            error.message().len() < 2_000,
            "{} bytes",
            error.message().len()
        );
    }
}
