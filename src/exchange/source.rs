//! The fetch of one exchange: a [`TokenSource`] that owns the exchange's
//! parameters for as long as a fetch needs them (tokens wiped on drop), and
//! the errors of an exchange (no token in them; a refused user token said so).

use std::sync::Arc;
use std::time::Instant;

use super::Exchange;
use crate::cache::exchanged::{Entry, ExchangeDetails};
use crate::client::Client;
use crate::client_auth::Purpose;
use crate::error::{Error, Operation};
use crate::flow::{Fetched, TokenSource};
use crate::protocol::{token_request_body, ExchangeParams, Grant, Targets};
use crate::secret::SecretString;

/// One exchange's parameters, owned. `Debug` shows no token.
#[derive(Debug)]
struct OwnedParams {
    subject_token: SecretString,
    subject_token_type: Option<String>,
    audience: Option<String>,
    resource: Option<String>,
    scope: Option<String>,
    requested_token_type: Option<String>,
    actor_token: Option<SecretString>,
    actor_token_type: Option<String>,
}

impl OwnedParams {
    fn of(params: &ExchangeParams<'_>) -> Self {
        let text = |value: Option<&str>| value.map(str::to_owned);
        OwnedParams {
            subject_token: SecretString::from(params.subject_token),
            subject_token_type: text(params.subject_token_type),
            audience: text(params.audience),
            resource: text(params.resource),
            scope: text(params.scope),
            requested_token_type: text(params.requested_token_type),
            actor_token: params.actor_token.map(SecretString::from),
            actor_token_type: text(params.actor_token_type),
        }
    }

    fn params(&self) -> ExchangeParams<'_> {
        ExchangeParams {
            subject_token: self.subject_token.expose(),
            subject_token_type: self.subject_token_type.as_deref(),
            audience: self.audience.as_deref(),
            resource: self.resource.as_deref(),
            scope: self.scope.as_deref(),
            requested_token_type: self.requested_token_type.as_deref(),
            actor_token: self.actor_token.as_ref().map(SecretString::expose),
            actor_token_type: self.actor_token_type.as_deref(),
        }
    }
}

/// Fetches the token of one exchange for its entry. Thread-safe; made by the
/// call that misses, dropped (parameters wiped) when its fetch is done.
pub(crate) struct ExchangeSource {
    client: Client,
    params: OwnedParams,
    /// A delegation: the actor token is the client's own access token.
    delegation: bool,
    entry: Arc<Entry>,
}

impl ExchangeSource {
    pub(crate) fn new(client: Client, exchange: &Exchange<'_>, entry: Arc<Entry>) -> Self {
        ExchangeSource {
            client,
            params: OwnedParams::of(&exchange.params()),
            delegation: exchange.is_delegation(),
            entry,
        }
    }

    /// The client whose session sends the exchange.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The expiry (Unix ms) of the token the entry holds, if any.
    pub(crate) fn held_expiry(&self) -> Option<i64> {
        self.entry.tokens.expires_at_unix_ms()
    }

    /// The actor token of a delegation (the client's own access token, from
    /// its cache or fetched now); `None` for a general exchange.
    pub(crate) fn actor(&self, deadline: Instant) -> Result<Option<SecretString>, Error> {
        if !self.delegation {
            return Ok(None);
        }
        self.client
            .access_token_until(Some(deadline), |lease| SecretString::from(lease.token))
            .map(Some)
    }

    /// Sends the exchange (with `actor` as the actor token of a delegation).
    pub(crate) fn request(
        &self,
        actor: Option<&SecretString>,
        deadline: Instant,
    ) -> Result<Fetched, Error> {
        let session = self.client.session();
        let mut params = self.params.params();
        if let Some(actor) = actor {
            params.actor_token = Some(actor.expose());
        }
        let endpoint = session.exchange_endpoint(deadline)?;
        let credentials = session.auth.credentials(Purpose::OAuth, &endpoint)?;
        let body = token_request_body(
            &credentials.pairs(),
            &Grant::TokenExchange(&params),
            Targets::default(),
        );
        let sent = session
            .token_request(
                Operation::Exchange,
                &endpoint,
                &body,
                credentials.authorization(),
                deadline,
            )
            .map_err(|error| self.explain(error))?;
        let response = sent.value;
        self.entry.details.store(Some(Arc::new(ExchangeDetails {
            issued_token_type: response.issued_token_type,
            token_type: response.token_type,
            scope: response.scope,
        })));
        Ok(Fetched {
            token: response.access_token,
            sent_at: sent.sent_at,
            expires_in: response.expires_in,
            refresh_in: response.refresh_in,
            cacheable: response.expires_in_stated,
        })
    }

    /// The error of a failed exchange: a refused delegation said to be a
    /// refused user token (tokens a server echoed are masked by the session).
    fn explain(&self, error: Error) -> Error {
        if self.delegation && error.oauth_error() == Some("invalid_grant") {
            return error.with_message(|message| {
                format!(
                    "the server refused the user token (expired, revoked, or not valid \
                     for this delegation): {message}"
                )
            });
        }
        error
    }
}

impl TokenSource for ExchangeSource {
    fn fetch(&self, deadline: Instant) -> Result<Fetched, Error> {
        let actor = self.actor(deadline)?;
        self.request(actor.as_ref(), deadline)
    }
}
