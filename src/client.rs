//! The client: ties configuration, transport, protocol and the shared cache together.

use std::sync::Arc;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::cache::{Call, Fetched, TokenSource};
use crate::config::{ClientAuth, Config};
use crate::error::{Error, Operation};
use crate::identity::{identity_for, Identity};
use crate::log::{log, Level};
use crate::protocol::{
    self, form_encode, EnvVar, TokenResponse, GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN,
    TOKEN_TYPE_ID_TOKEN,
};
use crate::redact;
use crate::retry::backoff;
use crate::secret::SecretString;
use crate::stats::{bump, Stats};
use crate::transport::{HttpRequest, HttpResponse, Payload, Transport};

/// The parameters of a general RFC 8693 token exchange (section 2.1).
#[derive(Clone, Copy, Debug, Default)]
pub struct ExchangeParams<'a> {
    /// The token to exchange (required).
    pub subject_token: &'a str,
    /// Its type; default `urn:ietf:params:oauth:token-type:access_token`.
    pub subject_token_type: Option<&'a str>,
    /// Target service(s).
    pub audience: Option<&'a str>,
    /// Target resource URI.
    pub resource: Option<&'a str>,
    /// Requested scope.
    pub scope: Option<&'a str>,
    /// Requested token type.
    pub requested_token_type: Option<&'a str>,
    /// Actor token (delegation).
    pub actor_token: Option<&'a str>,
    /// Actor token type; required with `actor_token`.
    pub actor_token_type: Option<&'a str>,
}

/// The result of a general exchange.
#[derive(Clone, Debug)]
pub struct ExchangedToken {
    /// The issued token.
    pub access_token: SecretString,
    /// RFC 8693 `issued_token_type`, if sent.
    pub issued_token_type: Option<String>,
    /// `token_type`, if sent.
    pub token_type: Option<String>,
    /// Lifetime (3600 s when the server gave none).
    pub expires_in: Duration,
    /// Granted scope, if sent.
    pub scope: Option<String>,
}

/// A workload-identity client. Cheap to clone (clones share everything);
/// `Send + Sync`: any number of threads may call it at once.
///
/// Methods: [`Client::access_token`], [`Client::exchange_token`],
/// [`Client::integration_credential`], [`Client::project_env_vars`],
/// [`Client::invalidate_token`], [`Client::force_refresh`], [`Client::stats`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    transport: Transport,
    identity: Arc<Identity>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.inner.config.client_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `config`; fails only on an unusable proxy or CA bundle.
    pub fn new(config: Config) -> Result<Client, Error> {
        let transport = Transport::new(&config)?;
        let identity = identity_for(&config);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                transport,
                identity,
            }),
        })
    }

    /// A client configured from the `COZE_*` environment variables.
    pub fn from_env() -> Result<Client, Error> {
        Client::new(Config::from_env()?)
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    fn call(&self) -> Call {
        Call {
            expiry_buffer: self.inner.config.expiry_buffer,
            deadline: Instant::now() + self.inner.config.deadline,
        }
    }

    /// The access token: from the cache, or through the two-step flow.
    pub fn access_token(&self) -> Result<SecretString, Error> {
        self.access_token_lease(|token: &str, _| SecretString::from(token))
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
        use_token: impl FnOnce(&str, Duration) -> R,
    ) -> Result<R, Error> {
        let cache = &self.inner.identity.cache;
        let use_token = match cache.fresh_with(use_token) {
            Ok(result) => return Ok(result),
            Err(use_token) => use_token,
        };
        let source: Arc<dyn TokenSource> = self.inner.clone();
        let token = cache.get(&source, self.call())?;
        Ok(use_token(token.expose(), Duration::ZERO))
    }

    /// Drops the cached token if it is still `rejected_token` (a token a service
    /// refused); a token refreshed meanwhile is kept. Returns whether it was dropped.
    pub fn invalidate_token(&self, rejected_token: &str) -> bool {
        self.inner.identity.cache.invalidate(rejected_token)
    }

    /// Fetches a new access token now, whatever the cache holds.
    pub fn force_refresh(&self) -> Result<SecretString, Error> {
        let source: Arc<dyn TokenSource> = self.inner.clone();
        self.inner
            .identity
            .cache
            .force_refresh(&source, self.call())
    }

    /// Counters of this client's identity.
    pub fn stats(&self) -> Stats {
        self.inner.identity.cache.counters.snapshot()
    }

    /// Forgets the cached token of this identity (used after a caught panic).
    pub fn clear_cache(&self) {
        self.inner.identity.cache.clear();
    }

    /// A general RFC 8693 exchange at the access-token endpoint. Not cached.
    pub fn exchange_token(&self, params: &ExchangeParams<'_>) -> Result<ExchangedToken, Error> {
        if params.subject_token.is_empty() {
            return Err(Error::invalid_argument("subject_token is required"));
        }
        if params.actor_token.is_some() && params.actor_token_type.is_none() {
            return Err(Error::invalid_argument(
                "actor_token_type is required when actor_token is given",
            ));
        }
        let config = &self.inner.config;
        let mut fields: Vec<(&str, &str)> = Vec::with_capacity(11);
        if config.client_auth != ClientAuth::ClientSecretBasic {
            fields.push(("client_id", &config.client_id));
        }
        if config.client_auth == ClientAuth::ClientSecretPost {
            fields.push(("client_secret", config.client_secret.expose()));
        }
        fields.push(("grant_type", GRANT_TOKEN_EXCHANGE));
        fields.push(("subject_token", params.subject_token));
        fields.push((
            "subject_token_type",
            params.subject_token_type.unwrap_or(TOKEN_TYPE_ACCESS_TOKEN),
        ));
        let optional = [
            ("audience", params.audience),
            ("resource", params.resource),
            ("scope", params.scope),
            ("requested_token_type", params.requested_token_type),
            ("actor_token", params.actor_token),
            ("actor_token_type", params.actor_token_type),
        ];
        fields.extend(
            optional
                .iter()
                .filter_map(|(name, value)| Some((*name, (*value)?))),
        );
        let body = form_encode(&fields);
        let authorization = (config.client_auth == ClientAuth::ClientSecretBasic).then(|| {
            protocol::basic_authorization(&config.client_id, config.client_secret.expose())
        });
        let request = HttpRequest {
            url: &config.access_token_endpoint,
            payload: Payload::Form(&body),
            authorization: authorization.as_deref().map(String::as_str),
        };
        let deadline = self.call().deadline;
        let (response, _) =
            self.inner
                .send(Operation::Exchange, &request, deadline, |response| {
                    protocol::parse_token_response(
                        response.status,
                        &response.body,
                        Operation::Exchange,
                    )
                })?;
        Ok(ExchangedToken {
            access_token: response.access_token,
            issued_token_type: response.issued_token_type,
            token_type: response.token_type,
            expires_in: response.expires_in,
            scope: response.scope,
        })
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
                self.inner
                    .send(
                        Operation::IntegrationCredential,
                        &request,
                        deadline,
                        |response| {
                            protocol::parse_integration_response(response.status, &response.body)
                        },
                    )
                    .map(|(credential, _)| credential)
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
            self.inner
                .send(Operation::ProjectEnvVars, &request, deadline, |response| {
                    protocol::parse_env_vars_response(response.status, &response.body)
                })
                .map(|(vars, _)| vars)
        })
    }

    fn outbound_url(&self, path: &str, operation: Operation) -> Result<String, Error> {
        match &self.inner.config.outbound_auth_endpoint {
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

    /// The access token, fetched if need be within `deadline` (a step of a
    /// call that has its own deadline).
    fn access_token_until(&self, deadline: Instant) -> Result<SecretString, Error> {
        let source: Arc<dyn TokenSource> = self.inner.clone();
        let call = Call {
            deadline,
            ..self.call()
        };
        self.inner.identity.cache.get(&source, call)
    }

    /// Runs `request` with a bearer access token; on a 401 the token is
    /// invalidated and the request tried once more with a new one. One
    /// deadline bounds it all: both token fetches and both requests.
    fn with_access_token<T>(
        &self,
        operation: Operation,
        request: impl Fn(&str, Instant) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let deadline = self.call().deadline;
        let token = self.access_token_until(deadline)?;
        let authorization = protocol::bearer_authorization(token.expose());
        match request(&authorization, deadline) {
            Err(error) if error.http_status() == Some(401) => {
                log(Level::Info, || {
                    format!("{operation:?}: access token rejected (401), fetching a new one")
                });
                self.invalidate_token(token.expose());
                let token = self.access_token_until(deadline)?;
                let authorization = protocol::bearer_authorization(token.expose());
                request(&authorization, deadline)
            }
            other => other,
        }
    }
}

impl Inner {
    /// Sends `request`, retrying transient failures with backoff while the
    /// retry budget and the deadline allow. `parse` classifies each response.
    fn send<T>(
        &self,
        operation: Operation,
        request: &HttpRequest<'_>,
        deadline: Instant,
        parse: impl Fn(&HttpResponse) -> Result<T, Error>,
    ) -> Result<(T, Instant), Error> {
        let counters = &self.identity.cache.counters;
        let mut retry = 0;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Error::new(
                    operation,
                    "deadline reached before the request could be sent",
                )
                .retryable(true));
            }
            bump(&counters.server_requests);
            log(Level::Debug, || {
                format!("{operation:?}: request to {}", redact::url(request.url))
            });
            let result = match self.transport.send(request, remaining) {
                Ok(response) => parse(&response)
                    .map(|value| (value, response.sent_at))
                    .map_err(|error| error.with_retry_after(response.retry_after)),
                Err(failure) => {
                    Err(Error::new(operation, failure.message).retryable(failure.retryable))
                }
            };
            let error = match result {
                Ok(done) => return Ok(done),
                Err(error) => {
                    let secrets = self.known_secrets(request);
                    let secrets: Vec<&str> = secrets.iter().map(|secret| secret.as_str()).collect();
                    error.masking(&secrets)
                }
            };
            if !error.is_retryable() || retry >= self.config.max_retries {
                return Err(error);
            }
            let wait = backoff(retry, error.retry_after());
            let now = Instant::now();
            if now + wait >= deadline || !self.identity.retry_budget.try_take(now) {
                return Err(error);
            }
            bump(&counters.retries);
            log(Level::Debug, || {
                format!(
                    "{operation:?}: retrying in {} ms after: {error}",
                    wait.as_millis()
                )
            });
            std::thread::sleep(wait);
            retry += 1;
        }
    }

    /// Every secret value a server may echo back to a request: the client
    /// secret, the proxy password, the Authorization credentials and the
    /// secret fields of a form body.
    fn known_secrets(&self, request: &HttpRequest<'_>) -> Vec<Zeroizing<String>> {
        let mut secrets = match request.payload {
            Payload::Form(body) => redact::form_secrets(body),
            Payload::Json(_) | Payload::Empty => Vec::new(),
        };
        let mut add = |secret: &str| secrets.push(Zeroizing::new(secret.to_owned()));
        add(self.config.client_secret.expose());
        if let Some(password) = self
            .config
            .proxy
            .as_ref()
            .and_then(|proxy| redact::url_password(proxy.expose()))
        {
            add(password);
        }
        if let Some((_, credentials)) = request
            .authorization
            .and_then(|value| value.split_once(' '))
        {
            add(credentials);
        }
        secrets
    }

    fn token_request(
        &self,
        operation: Operation,
        url: &str,
        body: &[u8],
        deadline: Instant,
    ) -> Result<(TokenResponse, Instant), Error> {
        let request = HttpRequest {
            url,
            payload: Payload::Form(body),
            authorization: None,
        };
        self.send(operation, &request, deadline, |response| {
            protocol::parse_token_response(response.status, &response.body, operation)
        })
    }
}

impl TokenSource for Inner {
    /// Step 1 (client credentials for the ID token), then step 2 (RFC 8693
    /// exchange of the ID token for the access token), as in shared/PROTOCOL.md.
    fn fetch(&self, deadline: Instant) -> Result<Fetched, Error> {
        let config = &self.config;
        let body = form_encode(&[
            ("client_id", &config.client_id),
            ("client_secret", config.client_secret.expose()),
            ("grant_type", "client_credentials"),
        ]);
        let (id_token, _) =
            self.token_request(Operation::IdToken, &config.token_endpoint, &body, deadline)?;
        let body = form_encode(&[
            ("client_id", &config.client_id),
            ("subject_token", id_token.access_token.expose()),
            ("subject_token_type", TOKEN_TYPE_ID_TOKEN),
            ("grant_type", GRANT_TOKEN_EXCHANGE),
        ]);
        let (access, sent_at) = self.token_request(
            Operation::AccessToken,
            &config.access_token_endpoint,
            &body,
            deadline,
        )?;
        Ok(Fetched {
            token: access.access_token,
            sent_at,
            expires_in: access.expires_in,
            refresh_in: access.refresh_in,
        })
    }
}
