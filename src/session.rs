//! A client's session with its servers: what every request needs (the
//! configuration, the HTTP transport, client authentication, the identity's
//! clock, counters and retry budget) and the retry loop that sends it.

use std::sync::Arc;
use std::time::Instant;

use crate::client_auth::ClientAuthenticator;
use zeroize::Zeroizing;

use crate::config::Config;
use crate::error::{Error, Operation};
use crate::identity::Identity;
use crate::log::{log, Level};
use crate::protocol::{self, TokenResponse};
use crate::redact;
use crate::retry::backoff;
use crate::stats::bump;
use crate::transport::{HttpRequest, HttpResponse, Payload, Transport};

/// Shared by a client and its token source. Thread-safe.
pub(crate) struct Session {
    pub(crate) config: Config,
    pub(crate) transport: Transport,
    pub(crate) auth: ClientAuthenticator,
    pub(crate) identity: Arc<Identity>,
}

/// A response with the instant its request was sent (token lifetimes count from there).
pub(crate) struct Sent<T> {
    pub(crate) value: T,
    pub(crate) sent_at: Instant,
}

impl Session {
    /// The current instant of the identity's clock.
    pub(crate) fn now(&self) -> Instant {
        self.config.clock.now()
    }

    /// The deadline of a call starting now.
    pub(crate) fn deadline(&self) -> Instant {
        self.now() + self.config.deadline
    }

    /// Sends `request`, retrying transient failures with backoff while the
    /// retry budget and `deadline` allow. `parse` classifies each response.
    pub(crate) fn send<T>(
        &self,
        operation: Operation,
        request: &HttpRequest<'_>,
        deadline: Instant,
        parse: impl Fn(&HttpResponse) -> Result<T, Error>,
    ) -> Result<Sent<T>, Error> {
        let max_retries = self.config.max_retries;
        self.send_with_retries(operation, request, deadline, max_retries, parse)
    }

    /// [`Session::send`] with at most `max_retries` retries (0 for a request
    /// that must not be sent twice).
    pub(crate) fn send_with_retries<T>(
        &self,
        operation: Operation,
        request: &HttpRequest<'_>,
        deadline: Instant,
        max_retries: u32,
        parse: impl Fn(&HttpResponse) -> Result<T, Error>,
    ) -> Result<Sent<T>, Error> {
        let clock = &self.config.clock;
        let counters = &self.identity.cache.counters;
        let mut retry = 0;
        loop {
            let sent_at = clock.now();
            let remaining = deadline.saturating_duration_since(sent_at);
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
                    .map(|value| Sent { value, sent_at })
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
            if !error.is_retryable() || retry >= max_retries {
                return Err(error);
            }
            let wait = backoff(retry, error.retry_after());
            let now = clock.now();
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
            clock.sleep(wait);
            retry += 1;
        }
    }

    /// Every secret value a server may echo back to a request: the
    /// configured credentials, the proxy password, the Authorization
    /// credentials and the secret fields of a form body.
    fn known_secrets(&self, request: &HttpRequest<'_>) -> Vec<Zeroizing<String>> {
        let mut secrets = match request.payload {
            Payload::Form(body) => redact::form_secrets(body),
            Payload::Json(_) | Payload::Empty => Vec::new(),
        };
        let config = &self.config;
        let mut add = |secret: &str| secrets.push(Zeroizing::new(secret.to_owned()));
        for secret in [
            &config.client_secret,
            &config.password,
            &config.refresh_token,
            &config.registration_token,
        ]
        .into_iter()
        .flatten()
        {
            add(secret.expose());
        }
        if let Some(password) = config
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

    /// POSTs a token-endpoint form (`authorization` is the whole header value,
    /// from client authentication) and parses the token response.
    pub(crate) fn token_request(
        &self,
        operation: Operation,
        url: &str,
        body: &[u8],
        authorization: Option<&str>,
        deadline: Instant,
    ) -> Result<Sent<TokenResponse>, Error> {
        let request = HttpRequest {
            url,
            payload: Payload::Form(body),
            authorization,
        };
        self.send(operation, &request, deadline, |response| {
            protocol::parse_token_response(response.status, &response.body, operation)
        })
    }

    /// The token endpoint: configured, else from the issuer's metadata
    /// (discovered at first need, within `deadline`).
    pub(crate) fn token_endpoint(&self, deadline: Instant) -> Result<String, Error> {
        crate::oauth::endpoint(self, crate::oauth::Endpoint::Token, deadline)
    }

    /// Where general exchanges go: the access-token endpoint, else the token endpoint.
    pub(crate) fn exchange_endpoint(&self, deadline: Instant) -> Result<String, Error> {
        match &self.config.access_token_endpoint {
            Some(url) => Ok(url.clone()),
            None => self.token_endpoint(deadline),
        }
    }
}
