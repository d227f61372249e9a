//! Exchanged tokens: general RFC 8693 exchanges (`wi_exchange_token`) and
//! delegation (`wi_get_delegated_token`: the user's token as the subject, the
//! workload's own access token as the actor), both cached in the identity's
//! exchanged-token cache (`cache::exchanged`), per identity and every
//! parameter.
//!
//! A call computes its exchange's key, finds its entry and, while the token
//! is fresh, lends it from there without a lock on the token itself. Only a
//! call that must fetch (or start a refresh ahead) copies the parameters, into
//! the source that fetches ([`source`]), wiped when that source is dropped: no
//! entry keeps a parameter. Delegation is keyed by the user token, audience
//! and scope, not by the actor token, which changes at each refresh of the
//! workload's own token; each fetch takes the actor token current then.

mod source;

use std::sync::Arc;
use std::time::Duration;

use crate::cache::exchanged::Exchanged;
use crate::cache::{Call, Lease, TokenSource};
use crate::client::{Client, ExchangedToken};
use crate::clock::unix_ms;
use crate::error::Error;
use crate::protocol::{ExchangeParams, TOKEN_TYPE_ACCESS_TOKEN};
use crate::secret::SecretString;
use crate::store::StoredExchangeSource;

pub(crate) use source::ExchangeSource;

/// What to exchange: a general exchange's parameters, or a delegation.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Exchange<'a> {
    /// `wi_exchange_token`.
    General(&'a ExchangeParams<'a>),
    /// `wi_get_delegated_token`.
    Delegation {
        user_token: &'a str,
        audience: Option<&'a str>,
        scope: Option<&'a str>,
    },
}

/// Tags that keep the two kinds of exchange apart in the key.
const GENERAL_TAG: &[u8] = b"E";
const DELEGATION_TAG: &[u8] = b"D";

impl<'a> Exchange<'a> {
    /// Refuses what can never be a valid request, naming the argument (never its value).
    fn check(&self) -> Result<(), Error> {
        let (required, optional): (_, &[(&str, Option<&str>)]) = match self {
            Exchange::General(params) => {
                if params.actor_token.is_some() && params.actor_token_type.is_none() {
                    return Err(Error::invalid_argument(
                        "actor_token_type is required when actor_token is given",
                    ));
                }
                (
                    ("subject_token", params.subject_token),
                    &[
                        ("subject_token_type", params.subject_token_type),
                        ("audience", params.audience),
                        ("resource", params.resource),
                        ("scope", params.scope),
                        ("requested_token_type", params.requested_token_type),
                        ("actor_token", params.actor_token),
                        ("actor_token_type", params.actor_token_type),
                    ][..],
                )
            }
            Exchange::Delegation {
                user_token,
                audience,
                scope,
            } => (
                ("user_token", *user_token),
                &[("audience", *audience), ("scope", *scope)][..],
            ),
        };
        let (name, value) = required;
        if value.is_empty() {
            return Err(Error::invalid_argument(format!("{name} is required")));
        }
        let values = std::iter::once((name, Some(value))).chain(optional.iter().copied());
        for (name, value) in values {
            if value.is_some_and(|value| value.contains('\0')) {
                return Err(Error::invalid_argument(format!(
                    "{name} must not contain a NUL character"
                )));
            }
        }
        Ok(())
    }

    /// `use_fields` applied to every field that makes the exchange, a tag
    /// first: the cache key's input.
    fn with_key_fields<R>(&self, use_fields: impl FnOnce(&[Option<&[u8]>]) -> R) -> R {
        let bytes = |value: Option<&'a str>| value.map(str::as_bytes);
        match *self {
            Exchange::General(params) => use_fields(&[
                Some(GENERAL_TAG),
                Some(params.subject_token.as_bytes()),
                bytes(params.subject_token_type),
                bytes(params.audience),
                bytes(params.resource),
                bytes(params.scope),
                bytes(params.requested_token_type),
                bytes(params.actor_token),
                bytes(params.actor_token_type),
            ]),
            Exchange::Delegation {
                user_token,
                audience,
                scope,
            } => use_fields(&[
                Some(DELEGATION_TAG),
                Some(user_token.as_bytes()),
                bytes(audience),
                bytes(scope),
            ]),
        }
    }

    /// The parameters of the request (a delegation's actor token added at fetch time).
    fn params(&self) -> ExchangeParams<'a> {
        match *self {
            Exchange::General(params) => *params,
            Exchange::Delegation {
                user_token,
                audience,
                scope,
            } => ExchangeParams {
                subject_token: user_token,
                subject_token_type: Some(TOKEN_TYPE_ACCESS_TOKEN),
                audience,
                scope,
                actor_token_type: Some(TOKEN_TYPE_ACCESS_TOKEN),
                ..ExchangeParams::default()
            },
        }
    }

    fn is_delegation(&self) -> bool {
        matches!(self, Exchange::Delegation { .. })
    }
}

impl Client {
    /// A general RFC 8693 token exchange at the access-token endpoint (the
    /// token endpoint when none is set), authenticated as `client_auth` says.
    ///
    /// Cached per identity and every parameter (`exchange_cache_size`): the
    /// same exchange asked again returns the cached token until its refresh
    /// point (refreshed ahead in the background, with the access token's
    /// expiry buffer), and concurrent callers of one exchange share one
    /// request. A token whose answer had no `expires_in` is not cached. From
    /// the cache, `expires_in` is the lifetime left and the other details
    /// are those of the answer that brought the token.
    pub fn exchange_token(&self, params: &ExchangeParams<'_>) -> Result<ExchangedToken, Error> {
        self.exchanged_token(Exchange::General(params))
    }

    /// A token for this workload acting for a user (RFC 8693 delegation):
    /// `user_token` as the subject (type access token), this client's own
    /// access token as the actor, `audience` and `scope` sent when given.
    /// Cached per (identity, user token, audience, scope) like
    /// [`Client::exchange_token`].
    ///
    /// An empty user token, or a value holding a NUL character, is an
    /// invalid argument. A user token the server refuses (`invalid_grant`:
    /// expired, revoked) is an error that is not retryable, says that the
    /// user token was refused, and is not cached.
    pub fn delegated_token(
        &self,
        user_token: &str,
        audience: Option<&str>,
        scope: Option<&str>,
    ) -> Result<ExchangedToken, Error> {
        self.exchanged_token(Exchange::Delegation {
            user_token,
            audience,
            scope,
        })
    }

    /// The token of `exchange` with the details of the answer that brought
    /// it; `expires_in` is the lifetime left, to the nearest second (a token
    /// just fetched reports the server's figure).
    fn exchanged_token(&self, exchange: Exchange<'_>) -> Result<ExchangedToken, Error> {
        let clock = self.config().clock.clone();
        self.exchanged_with(exchange, |lease, entry| {
            let details = entry.details.load_full().unwrap_or_default();
            let left_ms = lease.expires_at_unix_ms - unix_ms(clock.as_ref(), clock.now());
            let left_s = u64::try_from(left_ms.saturating_add(500) / 1000).unwrap_or(0);
            ExchangedToken {
                access_token: SecretString::from(lease.token),
                issued_token_type: details.issued_token_type.clone(),
                token_type: details.token_type.clone(),
                expires_in: Duration::from_secs(left_s),
                scope: details.scope.clone(),
            }
        })
    }

    /// The token of `exchange`, lent to `use_token` with its entry: from the
    /// cache, or after the fetch the entry's state calls for. A failed
    /// exchange leaves nothing in the cache.
    pub(crate) fn exchanged_with<R>(
        &self,
        exchange: Exchange<'_>,
        use_token: impl FnOnce(Lease<'_>, &Exchanged) -> R,
    ) -> Result<R, Error> {
        let session = self.session();
        let config = self.config();
        let cache = &session.identity.exchanges;
        let key = match config.exchange_cache_size {
            0 => None,
            _ => exchange.with_key_fields(|fields| cache.key(fields)),
        };
        // A fresh cached token, lent at once. Arguments are checked after a
        // miss only: a bad one was never fetched, so it is never a hit.
        let mut use_token = Some(use_token);
        if let Some(entry) = key.and_then(|key| cache.lookup(key)) {
            let lend = |lease: Lease<'_>| use_token.take().map(|lend| lend(lease, &entry));
            if let Ok(Some(result)) = entry.tokens.fresh_with(config.expiry_buffer, lend) {
                return Ok(result);
            }
        }
        let use_token = use_token.expect("a token is lent once, and only on success");
        exchange.check()?;
        let entry = match key {
            Some(key) => cache.entry(key),
            None => cache.detached(),
        };
        let lend = |lease: Lease<'_>| use_token(lease, &entry);
        let exchange_source = ExchangeSource::new(self.clone(), &exchange, entry.clone());
        let source: Arc<dyn TokenSource> = match (&session.identity.store, key) {
            (Some(_), Some(_)) => Arc::new(
                exchange
                    .with_key_fields(|fields| StoredExchangeSource::new(exchange_source, fields)),
            ),
            _ => Arc::new(exchange_source),
        };
        let call = Call {
            expiry_buffer: config.expiry_buffer,
            deadline: session.deadline(),
        };
        match entry.tokens.get(&source, call) {
            Ok(token) => Ok(lend(token.lease(Duration::ZERO))),
            Err(error) => {
                if let Some(key) = key {
                    cache.forget_failed(key, &entry);
                }
                Err(error)
            }
        }
    }
}
