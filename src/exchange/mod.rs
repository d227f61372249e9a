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

use crate::cache::exchanged::{ExchangeDetails, Lent};
use crate::cache::{Call, TokenSource};
use crate::client::{Client, ExchangedToken};
use crate::error::Error;
use crate::protocol::{ExchangeParams, TOKEN_TYPE_ACCESS_TOKEN};
use crate::secret::SecretString;
use crate::store::StoredExchangeSource;

pub(crate) use source::ExchangeSource;

/// What to exchange: a general exchange's parameters, or a delegation.
#[derive(Clone, Copy)]
pub(crate) enum Exchange<'a> {
    /// `wi_exchange_token`.
    General(ExchangeParams<'a>),
    /// `wi_get_delegated_token`.
    Delegation {
        user_token: &'a str,
        audience: Option<&'a str>,
        scope: Option<&'a str>,
    },
}

/// What to exchange, as the bytes of its parameters before any check: all
/// that the cached path reads (see [`Client::exchanged_unchecked_with`]).
#[derive(Clone, Copy)]
pub(crate) enum ExchangeBytes<'a> {
    /// A general exchange: [`ExchangeParams`] as bytes.
    General(ParamBytes<'a>),
    /// A delegation.
    Delegation {
        user_token: &'a [u8],
        audience: Option<&'a [u8]>,
        scope: Option<&'a [u8]>,
    },
}

/// The fields of [`ExchangeParams`] as bytes.
#[derive(Clone, Copy)]
pub(crate) struct ParamBytes<'a> {
    pub(crate) subject_token: &'a [u8],
    pub(crate) subject_token_type: Option<&'a [u8]>,
    pub(crate) audience: Option<&'a [u8]>,
    pub(crate) resource: Option<&'a [u8]>,
    pub(crate) scope: Option<&'a [u8]>,
    pub(crate) requested_token_type: Option<&'a [u8]>,
    pub(crate) actor_token: Option<&'a [u8]>,
    pub(crate) actor_token_type: Option<&'a [u8]>,
}

/// Tags that keep the two kinds of exchange apart in the key.
const GENERAL_TAG: u8 = b'E';
const DELEGATION_TAG: u8 = b'D';

impl<'a> ExchangeBytes<'a> {
    /// `use_fields` applied to a tag naming the kind of exchange and every
    /// field that makes it: the cache key's input.
    #[inline]
    fn with_key_fields<R>(&self, use_fields: impl FnOnce(u8, &[Option<&[u8]>]) -> R) -> R {
        match *self {
            ExchangeBytes::General(params) => use_fields(
                GENERAL_TAG,
                &[
                    Some(params.subject_token),
                    params.subject_token_type,
                    params.audience,
                    params.resource,
                    params.scope,
                    params.requested_token_type,
                    params.actor_token,
                    params.actor_token_type,
                ],
            ),
            ExchangeBytes::Delegation {
                user_token,
                audience,
                scope,
            } => use_fields(DELEGATION_TAG, &[Some(user_token), audience, scope]),
        }
    }
}

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

    /// The exchange's parameters as bytes.
    #[inline]
    fn bytes(&self) -> ExchangeBytes<'a> {
        let bytes = |value: Option<&'a str>| value.map(str::as_bytes);
        match *self {
            Exchange::General(params) => ExchangeBytes::General(ParamBytes {
                subject_token: params.subject_token.as_bytes(),
                subject_token_type: bytes(params.subject_token_type),
                audience: bytes(params.audience),
                resource: bytes(params.resource),
                scope: bytes(params.scope),
                requested_token_type: bytes(params.requested_token_type),
                actor_token: bytes(params.actor_token),
                actor_token_type: bytes(params.actor_token_type),
            }),
            Exchange::Delegation {
                user_token,
                audience,
                scope,
            } => ExchangeBytes::Delegation {
                user_token: user_token.as_bytes(),
                audience: bytes(audience),
                scope: bytes(scope),
            },
        }
    }

    /// `use_fields` applied to a tag naming the kind of exchange and every
    /// field that makes it: the cache key's input.
    fn with_key_fields<R>(&self, use_fields: impl FnOnce(u8, &[Option<&[u8]>]) -> R) -> R {
        self.bytes().with_key_fields(use_fields)
    }

    /// The parameters of the request (a delegation's actor token added at fetch time).
    fn params(&self) -> ExchangeParams<'a> {
        match *self {
            Exchange::General(params) => params,
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
        self.exchanged_token(Exchange::General(*params))
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
        self.exchanged_with(exchange, |lent| {
            let detail = |field: fn(&ExchangeDetails) -> &Option<String>| {
                lent.details.and_then(|details| field(details).clone())
            };
            let left_ms = lent.expires_in().as_millis().saturating_add(500);
            ExchangedToken {
                access_token: SecretString::from(lent.token),
                issued_token_type: detail(|details| &details.issued_token_type),
                token_type: detail(|details| &details.token_type),
                expires_in: Duration::from_secs(u64::try_from(left_ms / 1000).unwrap_or(u64::MAX)),
                scope: detail(|details| &details.scope),
            }
        })
    }

    /// The token of `exchange`, lent to `use_token` with its entry: from the
    /// cache, or after the fetch the entry's state calls for. A failed
    /// exchange leaves nothing in the cache.
    #[inline]
    pub(crate) fn exchanged_with<R>(
        &self,
        exchange: Exchange<'_>,
        use_token: impl FnOnce(Lent<'_>) -> R,
    ) -> Result<R, Error> {
        match self.cached_exchange_with(exchange.bytes(), use_token) {
            Ok(result) => Ok(result),
            Err(use_token) => self.exchanged_after_miss(exchange, use_token),
        }
    }

    /// [`Client::exchanged_with`] for a caller holding unchecked arguments
    /// (the C ABI): the cache is looked up with their bytes (`None`: a
    /// required one is missing), and only on a miss does `checked` turn them
    /// into an exchange (or the error it returns). Arguments are cached only
    /// once checked and fetched, so a hit is of checked arguments: the cached
    /// path validates no UTF-8 and allocates nothing.
    #[inline]
    pub(crate) fn exchanged_unchecked_with<'a, R>(
        &self,
        bytes: Option<ExchangeBytes<'_>>,
        checked: impl FnOnce() -> Result<Exchange<'a>, Error>,
        use_token: impl FnOnce(Lent<'_>) -> R,
    ) -> Result<R, Error> {
        let use_token = match bytes {
            Some(bytes) => match self.cached_exchange_with(bytes, use_token) {
                Ok(result) => return Ok(result),
                Err(use_token) => use_token,
            },
            None => use_token,
        };
        self.exchanged_after_miss(checked()?, use_token)
    }

    /// The cached token of the exchange made of `bytes`, lent to `use_token`
    /// if it is fresh; else `use_token` handed back. No lock, no allocation.
    #[inline]
    fn cached_exchange_with<R, F: FnOnce(Lent<'_>) -> R>(
        &self,
        bytes: ExchangeBytes<'_>,
        use_token: F,
    ) -> Result<R, F> {
        let config = self.config();
        if config.exchange_cache_size == 0 {
            return Err(use_token);
        }
        let cache = &self.session().identity.exchanges;
        // The clock before the key: its read waits for earlier instructions
        // only, so the hash runs while it completes.
        let now = cache.now();
        match bytes.with_key_fields(|tag, fields| cache.key(tag, fields)) {
            Some(key) => cache.fresh_with(key, now, config.expiry_buffer, use_token),
            None => Err(use_token),
        }
    }

    /// The token of `exchange` when the cache had no fresh one: checked, then
    /// the fetch (or the wait for one) that its entry's state calls for. Kept
    /// out of line, so that the cached path stays small.
    #[inline(never)]
    fn exchanged_after_miss<R>(
        &self,
        exchange: Exchange<'_>,
        use_token: impl FnOnce(Lent<'_>) -> R,
    ) -> Result<R, Error> {
        exchange.check()?;
        let session = self.session();
        let config = self.config();
        let cache = &session.identity.exchanges;
        let key = match config.exchange_cache_size {
            0 => None,
            _ => exchange.with_key_fields(|tag, fields| cache.key(tag, fields)),
        };
        let entry = match key {
            Some(key) => cache.entry(key),
            None => cache.detached(),
        };
        let exchange_source = ExchangeSource::new(self.clone(), &exchange, entry.clone());
        let source: Arc<dyn TokenSource> = match (&session.identity.store, key) {
            (Some(_), Some(_)) => Arc::new(exchange.with_key_fields(|tag, fields| {
                StoredExchangeSource::new(exchange_source, tag, fields)
            })),
            _ => Arc::new(exchange_source),
        };
        let call = Call {
            expiry_buffer: config.expiry_buffer,
            deadline: session.deadline(),
        };
        match entry.tokens.get(&source, call) {
            Ok(token) => {
                if key.is_some() {
                    cache.publish(&entry);
                }
                let details = entry.details.load();
                Ok(use_token(Lent::new(
                    token.token.expose(),
                    details.as_deref(),
                    token.expires_at,
                    session.now(),
                )))
            }
            Err(error) => {
                if let Some(key) = key {
                    cache.forget_failed(key, &entry);
                }
                Err(error)
            }
        }
    }
}
