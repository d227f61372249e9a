//! The client: ties configuration, transport, the flow and the shared cache
//! together. Request bodies are built by `protocol`, authenticated by
//! `client_auth` and sent by `session`; flows live in `flow`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::cache::{CachedToken, Call, Lease, TokenSource};
use crate::client_auth::ClientAuthenticator;
use crate::config::Config;
use crate::error::{Error, Operation};
use crate::identity::identity_for;
use crate::log::{log, Level};
use crate::protocol::{self, EnvVar};
use crate::secret::SecretString;
use crate::session::Session;
use crate::stats::Stats;
use crate::store::{forget_token, StoredSource};
use crate::transport::{HttpRequest, Payload, Transport};

/// The result of an exchange ([`Client::exchange_token`],
/// [`Client::delegated_token`]).
#[derive(Clone, Debug)]
pub struct ExchangedToken {
    /// The issued token.
    pub access_token: SecretString,
    /// RFC 8693 `issued_token_type`, if sent.
    pub issued_token_type: Option<String>,
    /// `token_type`, if sent.
    pub token_type: Option<String>,
    /// Lifetime left (3600 s when the server gave none; such a token is not cached).
    pub expires_in: Duration,
    /// Granted scope, if sent.
    pub scope: Option<String>,
}

/// A workload-identity client. Cheap to clone (clones share everything);
/// `Send + Sync`: any number of threads may call it at once.
///
/// Methods: [`Client::access_token`], [`Client::access_token_with_expiry`],
/// [`Client::peek_access_token`], [`Client::exchange_token`],
/// [`Client::delegated_token`],
/// [`Client::integration_credential`], [`Client::project_env_vars`],
/// [`Client::invalidate_token`], [`Client::force_refresh`], [`Client::stats`];
/// the authorization server's other endpoints: [`Client::server_metadata`],
/// [`Client::introspect_token`], [`Client::token_is_active`],
/// [`Client::revoke_token`], [`Client::register_client`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    session: Arc<Session>,
    /// The flow's token source; `None` for `flow=none`.
    source: Option<Arc<dyn TokenSource>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.session.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `config`. Makes no network request; fails on an unusable
    /// proxy, CA bundle or private key.
    pub fn new(config: Config) -> Result<Client, Error> {
        let transport = Transport::new(&config)?;
        let auth = ClientAuthenticator::new(&config)?;
        let identity = identity_for(&config, auth.key_digest())?;
        let session = Arc::new(Session {
            config,
            transport,
            auth,
            identity,
        });
        let source = crate::flow::source_for(&session).map(|flow| -> Arc<dyn TokenSource> {
            match session.identity.store {
                Some(_) => Arc::new(StoredSource {
                    flow,
                    session: session.clone(),
                }),
                None => flow,
            }
        });
        Ok(Client {
            inner: Arc::new(Inner { session, source }),
        })
    }

    /// A client configured from the environment (`COZE_*`, `WI_*`).
    pub fn from_env() -> Result<Client, Error> {
        Client::new(Config::from_env()?)
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.session.config
    }

    pub(crate) fn session(&self) -> &Session {
        &self.inner.session
    }

    fn call(&self, deadline: Instant) -> Call {
        Call {
            expiry_buffer: self.config().expiry_buffer,
            deadline,
        }
    }

    fn source(&self) -> Result<&Arc<dyn TokenSource>, Error> {
        self.inner.source.as_ref().ok_or_else(|| {
            Error::configuration("flow none has no access token (set the option flow)")
        })
    }

    /// The access token: from the cache, or through the flow.
    pub fn access_token(&self) -> Result<SecretString, Error> {
        self.access_token_with(|token| SecretString::from(token))
    }

    /// Like [`Client::access_token`], but lends the token to `use_token`
    /// (without its lease: the cheapest call, for callers that copy it).
    #[inline]
    pub(crate) fn access_token_with<R>(
        &self,
        use_token: impl FnOnce(&str) -> R,
    ) -> Result<R, Error> {
        let cache = &self.session().identity.cache;
        match cache.fresh(self.config().expiry_buffer) {
            Some(fresh) => Ok(use_token(fresh.token())),
            None => self.access_token_after_miss(None, |lease| use_token(lease.token)),
        }
    }

    /// The access token and its expiry (the issue time plus `expires_in`) as
    /// Unix milliseconds.
    pub fn access_token_with_expiry(&self) -> Result<(SecretString, i64), Error> {
        self.access_token_lease(|lease| (SecretString::from(lease.token), lease.expires_at_unix_ms))
    }

    /// Like [`Client::access_token`], but lends the token to `use_token`
    /// instead of copying it (a cached call then allocates nothing itself),
    /// together with its *lease*: how long the caller may keep reusing it
    /// without asking again (until the advisory refresh point; zero when the
    /// token did not come from a fresh cache entry), as long as
    /// [`crate::invalidation_counter`] keeps the value it had before this call
    /// (a token dropped or replaced early, through any client, changes it).
    pub fn access_token_lease<R>(
        &self,
        use_token: impl FnOnce(Lease<'_>) -> R,
    ) -> Result<R, Error> {
        self.access_token_until(None, use_token)
    }

    /// The access token, waiting for a refresh at most until `deadline`
    /// (`None`: the configured deadline from now, computed only when needed).
    #[inline]
    pub(crate) fn access_token_until<R>(
        &self,
        deadline: Option<Instant>,
        use_token: impl FnOnce(Lease<'_>) -> R,
    ) -> Result<R, Error> {
        let cache = &self.session().identity.cache;
        match cache.fresh(self.config().expiry_buffer) {
            Some(fresh) => Ok(use_token(fresh.lease())),
            None => self.access_token_after_miss(deadline, use_token),
        }
    }

    /// The access token when the cache had no fresh one: the refresh (or the
    /// wait for one) that the cache's state calls for. Kept out of line, so
    /// that the cached path stays small.
    #[inline(never)]
    fn access_token_after_miss<R>(
        &self,
        deadline: Option<Instant>,
        use_token: impl FnOnce(Lease<'_>) -> R,
    ) -> Result<R, Error> {
        let cache = &self.session().identity.cache;
        let deadline = deadline.unwrap_or_else(|| self.session().deadline());
        let token = cache.get(self.source()?, self.call(deadline))?;
        Ok(use_token(lease_of(&token, Duration::ZERO)))
    }

    /// A valid cached token without ever waiting on the network, lent to
    /// `use_token`; `None` when the caller must call
    /// [`Client::access_token`] (nothing cached, or past the point where
    /// callers wait for a refresh). An advisory token starts the one
    /// background refresh it calls for.
    pub(crate) fn peek_access_token_with<R>(
        &self,
        use_token: impl FnOnce(Lease<'_>) -> R,
    ) -> Option<R> {
        let cache = &self.session().identity.cache;
        let use_token = match cache.fresh_with(self.config().expiry_buffer, use_token) {
            Ok(result) => return Some(result),
            Err(use_token) => use_token,
        };
        let source = self.inner.source.as_ref()?;
        let token = cache.peek(source, self.call(self.session().deadline()))?;
        Some(use_token(lease_of(&token, Duration::ZERO)))
    }

    /// A valid cached token without ever waiting on the network (see
    /// [`Client::access_token`] for the waiting call).
    pub fn peek_access_token(&self) -> Option<SecretString> {
        self.peek_access_token_with(|lease| SecretString::from(lease.token))
    }

    /// Drops whichever cached token, access or exchanged, is still
    /// `rejected_token` (a token a service refused), in every client of the
    /// identity and in the file token store; a token refreshed meanwhile is
    /// kept. Returns whether this process's caches held it.
    pub fn invalidate_token(&self, rejected_token: &str) -> bool {
        let session = self.session();
        let dropped = session.identity.forget_token(rejected_token);
        if let Some(entry) = &session.identity.store {
            forget_token(session, entry, rejected_token);
        }
        dropped
    }

    /// Fetches a new access token now, whatever the cache holds.
    pub fn force_refresh(&self) -> Result<SecretString, Error> {
        let cache = &self.session().identity.cache;
        let token = cache.force_refresh(self.source()?, self.call(self.session().deadline()))?;
        Ok(token.token.clone())
    }

    /// Counters of this client's identity.
    pub fn stats(&self) -> Stats {
        let identity = &self.session().identity;
        let exchanges = identity.exchanges.counts();
        Stats {
            exchange_cache_hits: exchanges.hits,
            exchange_cache_misses: exchanges.misses,
            exchange_cache_evictions: exchanges.evictions,
            ..identity.cache.counters.snapshot()
        }
    }

    /// Forgets the cached tokens of this identity, access and exchanged
    /// (used after a caught panic).
    pub fn clear_cache(&self) {
        self.session().identity.cache.clear();
        self.session().identity.exchanges.clear();
    }

    /// The authorization server's metadata (RFC 8414), as the server sent it:
    /// fetched from the `issuer` at first need, once per identity. A
    /// configuration error without `issuer`; an
    /// [`crate::ErrorKind::OAuthOperation`] error when the document cannot be
    /// fetched, is not a JSON object, names another issuer or no token endpoint.
    pub fn server_metadata(&self) -> Result<String, Error> {
        crate::oauth::server_metadata(self.session())
    }

    /// The introspection answer (RFC 7662) about `token`, as the server sent
    /// it; an answer without a boolean `active` is an error. With
    /// `introspection_cache_s` set, a positive answer may come from the cache.
    pub fn introspect_token(
        &self,
        token: &str,
        token_type_hint: Option<&str>,
    ) -> Result<String, Error> {
        crate::oauth::introspect_token(self.session(), token, token_type_hint)
    }

    /// Whether `token` is active: `Ok(true)` only when introspection answers
    /// `"active": true` and, with `required_scope`, the token's scopes hold
    /// every space-separated scope of it. Any failure is an error: a caller
    /// treating errors as "no" is fail-safe (the C ABI returns false).
    pub fn token_is_active(
        &self,
        token: &str,
        required_scope: Option<&str>,
    ) -> Result<bool, Error> {
        crate::oauth::token_is_active(self.session(), token, required_scope)
    }

    /// Revokes `token` (RFC 7009), and drops it from this process's caches of
    /// the identity and from the file store, whatever the server answers.
    pub fn revoke_token(&self, token: &str, token_type_hint: Option<&str>) -> Result<(), Error> {
        crate::oauth::revoke_token(self.session(), token, token_type_hint)
    }

    /// Registers a client (RFC 7591) from `metadata_json`, which must be a JSON
    /// object (else an invalid-argument error, before any request); returns
    /// the server's answer, with `client_id` and, when issued, `client_secret`.
    pub fn register_client(&self, metadata_json: &str) -> Result<SecretString, Error> {
        crate::oauth::register_client(self.session(), metadata_json)
    }

    /// The credential of integration `name`, from the outbound-auth API.
    pub fn integration_credential(&self, name: &str) -> Result<SecretString, Error> {
        if name.is_empty() {
            return Err(Error::invalid_argument(
                "integration_name must not be empty",
            ));
        }
        let url = self.outbound_url("/integration", Operation::IntegrationCredential)?;
        let body = Zeroizing::new(
            serde_json::json!({ "integration_name": name })
                .to_string()
                .into_bytes(),
        );
        self.with_access_token(
            Operation::IntegrationCredential,
            |authorization, deadline| {
                let request = HttpRequest {
                    url: &url,
                    payload: Payload::Json(&body),
                    authorization: Some(authorization),
                };
                self.session()
                    .send(
                        Operation::IntegrationCredential,
                        &request,
                        deadline,
                        |response| {
                            protocol::parse_integration_response(response.status, &response.body)
                        },
                    )
                    .map(|sent| sent.value)
            },
        )
    }

    /// The project's environment variables, in server order.
    pub fn project_env_vars(&self) -> Result<Vec<EnvVar>, Error> {
        let url = self.outbound_url("/env", Operation::ProjectEnvVars)?;
        self.with_access_token(Operation::ProjectEnvVars, |authorization, deadline| {
            let request = HttpRequest {
                url: &url,
                payload: Payload::Empty,
                authorization: Some(authorization),
            };
            self.session()
                .send(Operation::ProjectEnvVars, &request, deadline, |response| {
                    protocol::parse_env_vars_response(response.status, &response.body)
                })
                .map(|sent| sent.value)
        })
    }

    fn outbound_url(&self, path: &str, operation: Operation) -> Result<String, Error> {
        match &self.config().outbound_auth_endpoint {
            Some(base) => Ok(format!("{base}{path}")),
            None => Err(Error::configuration(format!(
                "COZE_OUTBOUND_AUTH_ENDPOINT (option outbound_auth_endpoint) is required for {}",
                match operation {
                    Operation::ProjectEnvVars => "project env vars",
                    _ => "integration credentials",
                }
            ))),
        }
    }

    /// Runs `request` with a bearer access token; on a 401 the token is
    /// invalidated and the request tried once more with a new one. One
    /// deadline bounds every step.
    fn with_access_token<T>(
        &self,
        operation: Operation,
        request: impl Fn(&str, Instant) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let deadline = self.session().deadline();
        let bearer = |lease: Lease<'_>| {
            (
                SecretString::from(lease.token),
                protocol::bearer_authorization(lease.token),
            )
        };
        let (token, authorization) = self.access_token_until(Some(deadline), bearer)?;
        match request(&authorization, deadline) {
            Err(error) if error.http_status() == Some(401) => {
                log(Level::Info, || {
                    format!("{operation:?}: access token rejected (401), fetching a new one")
                });
                self.invalidate_token(token.expose());
                let (_, authorization) = self.access_token_until(Some(deadline), bearer)?;
                request(&authorization, deadline)
            }
            other => other,
        }
    }
}

/// The lease of a token that did not come from a fresh cache entry.
fn lease_of(token: &CachedToken, fresh_for: Duration) -> Lease<'_> {
    Lease {
        token: token.token.expose(),
        fresh_for,
        expires_at_unix_ms: token.expires_at_unix_ms,
    }
}
