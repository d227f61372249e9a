//! `ConfigBuilder`: settings by C option key (strings, checked as they are
//! set) or by typed setters, falling back to the environment at `build`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::options::{OptionKey, OptionSpec};
use super::value::{
    is_header_name, is_header_text, parse, quoted, ClientAuth, Flow, TokenStore, Value,
};
use super::Config;
use crate::clock::Clock;
use crate::error::Error;
use crate::secret::SecretString;

/// Headers that `header.<Name>` may not set (compared case-insensitively).
const RESERVED_HEADERS: [&str; 4] = ["authorization", "content-type", "content-length", "host"];

/// Explicit settings, each checked as it is set.
///
/// Keys left unset fall back to their environment variable at
/// [`ConfigBuilder::build`]. Not thread-safe to mutate; `Send`. `Debug` shows
/// which keys are set, never a secret.
#[derive(Clone, Default)]
pub struct ConfigBuilder {
    pub(super) values: BTreeMap<OptionKey, Value>,
    /// `header.<Name>` settings, in the order first set; names unique ignoring case.
    pub(super) headers: Vec<(String, String)>,
    pub(super) clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.values.keys().map(|key| key.name()).collect();
        let headers: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("ConfigBuilder")
            .field("set", &keys)
            .field("headers", &headers)
            .finish_non_exhaustive()
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $setter:ident($arg:ident: $ty:ty) => $key:ident = $value:expr;)*) => {
        $(
            $(#[$doc])*
            pub fn $setter(&mut self, $arg: $ty) -> &mut Self {
                self.values.insert(OptionKey::$key, $value);
                self
            }
        )*
    };
}

impl ConfigBuilder {
    /// An empty set of settings.
    pub fn new() -> Self {
        ConfigBuilder::default()
    }

    /// Sets `key` (a C option name, or `header.<Name>`) to `value`. An
    /// unknown key or a malformed value is an
    /// [`crate::ErrorKind::InvalidArgument`] error naming the key.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self, Error> {
        if let Some(name) = key.strip_prefix("header.") {
            return self.header(name, value);
        }
        let spec = spec_of(key)?;
        let value = parse(spec, value).map_err(Error::invalid_argument)?;
        self.values.insert(spec.key(), value);
        Ok(self)
    }

    /// Forgets `key`, so that it falls back to the environment again.
    pub fn unset(&mut self, key: &str) -> Result<&mut Self, Error> {
        if let Some(name) = key.strip_prefix("header.") {
            self.headers
                .retain(|(set, _)| !set.eq_ignore_ascii_case(name));
            return Ok(self);
        }
        self.values.remove(&spec_of(key)?.key());
        Ok(self)
    }

    /// Adds the HTTP header `name: value` to every request (`header.<Name>`).
    /// `Authorization`, `Content-Type`, `Content-Length` and `Host` are
    /// refused, as are names that are not HTTP tokens and values that are not
    /// visible ASCII (CR, LF and other control characters included).
    pub fn header(&mut self, name: &str, value: &str) -> Result<&mut Self, Error> {
        let key = format!("header.{}", quoted(name).trim_matches('"'));
        if !is_header_name(name) {
            return Err(Error::invalid_argument(format!(
                "option {key}: not a valid HTTP header name"
            )));
        }
        if RESERVED_HEADERS
            .iter()
            .any(|reserved| reserved.eq_ignore_ascii_case(name))
        {
            return Err(Error::invalid_argument(format!(
                "option {key}: the library sets this header itself"
            )));
        }
        if !is_header_text(value) {
            return Err(Error::invalid_argument(format!(
                "option {key}: the value must be visible ASCII with inner spaces only"
            )));
        }
        match self
            .headers
            .iter_mut()
            .find(|(set, _)| set.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.headers.push((name.to_owned(), value.to_owned())),
        }
        Ok(self)
    }

    /// Uses `clock` instead of the system clocks for this client's identity
    /// (tests: see [`crate::ManualClock`]). A client with its own clock never
    /// shares an identity with clients of another clock.
    pub fn clock(&mut self, clock: Arc<dyn Clock>) -> &mut Self {
        self.clock = Some(clock);
        self
    }

    setters! {
        /// `flow`.
        flow(flow: Flow) => Flow = Value::Flow(flow);
        /// `client_id`.
        client_id(id: &str) => ClientId = Value::Text(id.to_owned());
        /// `client_secret`.
        client_secret(secret: SecretString) => ClientSecret = Value::Secret(secret);
        /// `token_endpoint` (checked at `build`).
        token_endpoint(url: &str) => TokenEndpoint = Value::Text(url.to_owned());
        /// `access_token_endpoint` (checked at `build`).
        access_token_endpoint(url: &str) => AccessTokenEndpoint = Value::Text(url.to_owned());
        /// `outbound_auth_endpoint` (checked at `build`).
        outbound_auth_endpoint(url: &str) => OutboundAuthEndpoint = Value::Text(url.to_owned());
        /// `server_env`, the lane (checked at `build`).
        server_env(lane: &str) => ServerEnv = Value::Text(lane.to_owned());
        /// `scope`.
        scope(scope: &str) => Scope = Value::Text(scope.to_owned());
        /// `audience`.
        audience(audience: &str) => Audience = Value::Text(audience.to_owned());
        /// `resource`.
        resource(resource: &str) => Resource = Value::Text(resource.to_owned());
        /// `refresh_token`.
        refresh_token(token: SecretString) => RefreshToken = Value::Secret(token);
        /// `username`.
        username(name: &str) => Username = Value::Text(name.to_owned());
        /// `password`.
        password(password: SecretString) => Password = Value::Secret(password);
        /// `subject_token_file`.
        subject_token_file(path: PathBuf) => SubjectTokenFile = Value::Path(path);
        /// `subject_token_type`.
        subject_token_type(urn: &str) => SubjectTokenType = Value::Text(urn.to_owned());
        /// `client_auth`.
        client_auth(method: ClientAuth) => ClientAuth = Value::ClientAuth(method);
        /// `private_key_path`.
        private_key_path(path: PathBuf) => PrivateKeyPath = Value::Path(path);
        /// `private_key_id`.
        private_key_id(kid: &str) => PrivateKeyId = Value::Text(kid.to_owned());
        /// `issuer` (checked at `build`).
        issuer(url: &str) => Issuer = Value::Text(url.to_owned());
        /// `introspection_endpoint` (checked at `build`).
        introspection_endpoint(url: &str) => IntrospectionEndpoint = Value::Text(url.to_owned());
        /// `revocation_endpoint` (checked at `build`).
        revocation_endpoint(url: &str) => RevocationEndpoint = Value::Text(url.to_owned());
        /// `registration_endpoint` (checked at `build`).
        registration_endpoint(url: &str) => RegistrationEndpoint = Value::Text(url.to_owned());
        /// `registration_token`.
        registration_token(token: SecretString) => RegistrationToken = Value::Secret(token);
        /// `introspection_cache_s` (checked at `build`: at most a day; zero turns it off).
        introspection_cache(reuse: Duration) => IntrospectionCacheS = Value::Duration(reuse);
        /// `token_store`.
        token_store(store: TokenStore) => TokenStore = Value::Store(store);
        /// `exchange_cache_size`.
        exchange_cache_size(entries: u64) => ExchangeCacheSize = Value::Count(entries);
        /// `timeout_ms` (checked at `build`: 1 ms to 1 h).
        timeout(timeout: Duration) => TimeoutMs = Value::Duration(timeout);
        /// `connect_timeout_ms` (checked at `build`: 1 ms to 1 h).
        connect_timeout(timeout: Duration) => ConnectTimeoutMs = Value::Duration(timeout);
        /// `deadline_ms` (checked at `build`: 1 ms to 1 h).
        deadline(deadline: Duration) => DeadlineMs = Value::Duration(deadline);
        /// `expiry_buffer_s` (checked at `build`: at most a day).
        expiry_buffer(buffer: Duration) => ExpiryBufferS = Value::Duration(buffer);
        /// `max_retries` (checked at `build`: at most 10).
        max_retries(retries: u64) => MaxRetries = Value::Count(retries);
        /// `proxy` (checked at `build`).
        proxy(url: SecretString) => Proxy = Value::Secret(url);
        /// `ca_bundle_path`.
        ca_bundle_path(path: PathBuf) => CaBundlePath = Value::Path(path);
        /// `user_agent` (checked at `build`).
        user_agent(agent: &str) => UserAgent = Value::Text(agent.to_owned());
        /// `allow_insecure_http`.
        allow_insecure_http(allow: bool) => AllowInsecureHttp = Value::Bool(allow);
    }

    /// Validates the settings, falling back to the process environment. A
    /// variable that is not valid UTF-8 is a configuration error naming it.
    pub fn build(&self) -> Result<Config, Error> {
        for spec in OptionSpec::all() {
            if self.values.contains_key(&spec.key()) {
                continue;
            }
            let name = spec.env_var();
            if let Some(value) = std::env::var_os(name.as_ref()) {
                if value.to_str().is_none() {
                    return Err(Error::configuration(format!("{name} is not valid UTF-8")));
                }
            }
        }
        self.build_with_env(|name| std::env::var(name).ok())
    }

    /// Validates the settings, falling back to `env` for unset keys.
    pub fn build_with_env(&self, env: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        Config::resolve(self, &env)
    }
}

fn spec_of(key: &str) -> Result<&'static OptionSpec, Error> {
    OptionKey::from_name(key)
        .map(OptionKey::spec)
        .ok_or_else(|| {
            let known: Vec<&str> = OptionSpec::all().iter().map(|spec| spec.name()).collect();
            Error::invalid_argument(format!(
                "unknown option key {}; known keys: {}, header.<Name>",
                quoted(key),
                known.join(", ")
            ))
        })
}
