//! RFC 8414 discovery: with `issuer` set, every endpoint not set explicitly
//! comes from the issuer's metadata.
//!
//! The metadata is fetched at first need (never when a client is created),
//! once per identity, and kept for the life of the identity: reads are
//! lock-free. Concurrent first callers share one fetch. A failed fetch is
//! remembered, and callers get its error at once, until a backoff (1 s
//! doubling to 60 s, on the identity's clock) has passed: the next need after
//! that fetches again. A document that is not a JSON object, names another
//! issuer (section 3.3), has no `token_endpoint`, or names an endpoint the
//! configuration would refuse is an error, and nothing of it is used.
//!
//! URLs (section 3.1): `/.well-known/oauth-authorization-server` inserted
//! between the host and the issuer's path; when that answers 4xx, the OpenID
//! Connect one, `{issuer}/.well-known/openid-configuration`.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;

use crate::config::{Config, OptionKey};
use crate::error::{Error, Operation};
use crate::fork::{lock, ForkLocal};
use crate::log::{log, Level};
use crate::protocol::{parse_server_metadata, ServerMetadata};
use crate::redact;
use crate::session::Session;
use crate::transport::{HttpRequest, Payload};

/// Backoff after the first failed fetch; doubled after each further one...
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// ...up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long fetched metadata keeps an identity alive once it has no client,
/// so that a program creating a client per call does not fetch it every call.
const KEEP_IDENTITY: Duration = Duration::from_secs(3600);

const OAUTH_WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";
const OPENID_WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// The endpoints that discovery can provide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Token,
    Introspection,
    Revocation,
    Registration,
}

impl Endpoint {
    fn option(self) -> OptionKey {
        match self {
            Endpoint::Token => OptionKey::TokenEndpoint,
            Endpoint::Introspection => OptionKey::IntrospectionEndpoint,
            Endpoint::Revocation => OptionKey::RevocationEndpoint,
            Endpoint::Registration => OptionKey::RegistrationEndpoint,
        }
    }

    fn configured(self, config: &Config) -> Option<&String> {
        match self {
            Endpoint::Token => config.token_endpoint.as_ref(),
            Endpoint::Introspection => config.introspection_endpoint.as_ref(),
            Endpoint::Revocation => config.revocation_endpoint.as_ref(),
            Endpoint::Registration => config.registration_endpoint.as_ref(),
        }
    }

    fn discovered(self, metadata: &ServerMetadata) -> Option<&String> {
        match self {
            Endpoint::Token => Some(&metadata.token_endpoint),
            Endpoint::Introspection => metadata.introspection_endpoint.as_ref(),
            Endpoint::Revocation => metadata.revocation_endpoint.as_ref(),
            Endpoint::Registration => metadata.registration_endpoint.as_ref(),
        }
    }

    /// The operation that fails when the endpoint is missing from the metadata.
    fn operation(self) -> Operation {
        match self {
            Endpoint::Token => Operation::Discovery,
            Endpoint::Introspection => Operation::Introspection,
            Endpoint::Revocation => Operation::Revocation,
            Endpoint::Registration => Operation::Registration,
        }
    }
}

/// The URL of `which`: the configured one, else the issuer's metadata's
/// (fetched now if this identity has not fetched it yet, within `deadline`).
pub(crate) fn endpoint(
    session: &Session,
    which: Endpoint,
    deadline: Instant,
) -> Result<String, Error> {
    if let Some(url) = which.configured(&session.config) {
        return Ok(url.clone());
    }
    let name = which.option().name();
    let Some(issuer) = &session.config.issuer else {
        return Err(Error::configuration(format!(
            "no {name} is configured (option {name}, or option issuer for discovery)"
        )));
    };
    let metadata = session
        .identity
        .oauth
        .discovery
        .get(session, issuer, deadline)?;
    which.discovered(&metadata).cloned().ok_or_else(|| {
        Error::new(
            which.operation(),
            format!(
                "the metadata of issuer {} names no {name}; set the option {name}",
                shown_url(issuer)
            ),
        )
    })
}

/// The issuer's metadata document, as the server sent it.
pub(crate) fn server_metadata(session: &Session) -> Result<String, Error> {
    let Some(issuer) = &session.config.issuer else {
        return Err(Error::configuration(
            "server metadata needs the option issuer (RFC 8414 discovery)",
        ));
    };
    let metadata = session
        .identity
        .oauth
        .discovery
        .get(session, issuer, session.deadline())?;
    Ok(metadata.document.clone())
}

/// The discovery state of one identity. Thread-safe. The fetched metadata
/// carries over into a forked child; the fetch in flight and the failure
/// backoff do not (see `crate::fork`).
#[derive(Debug)]
pub(super) struct Discovery {
    fetched: ArcSwapOption<Fetched>,
    flights: ForkLocal<Flights>,
}

impl Default for Discovery {
    fn default() -> Self {
        Discovery {
            fetched: ArcSwapOption::empty(),
            flights: ForkLocal::new(),
        }
    }
}

/// The checked metadata and when it was fetched (real time: only for keeping
/// the identity alive).
#[derive(Debug)]
struct Fetched {
    metadata: Arc<ServerMetadata>,
    at: Instant,
}

/// The fetch state and the condition its waiters wait on.
#[derive(Debug, Default)]
struct Flights {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// A thread of this process is fetching.
    flight: bool,
    /// Consecutive failed fetches.
    failures: u32,
    /// The last failure, and when the next fetch may start.
    failed: Option<(Error, Instant)>,
}

impl Discovery {
    fn metadata(&self) -> Option<Arc<ServerMetadata>> {
        self.fetched
            .load()
            .as_ref()
            .map(|fetched| fetched.metadata.clone())
    }

    /// The checked metadata of `issuer`: cached, or fetched by this caller, or
    /// by the caller already fetching it (waiting until `deadline` at most).
    fn get(
        &self,
        session: &Session,
        issuer: &str,
        deadline: Instant,
    ) -> Result<Arc<ServerMetadata>, Error> {
        if let Some(metadata) = self.metadata() {
            return Ok(metadata);
        }
        let clock = &session.config.clock;
        let flights = self.flights.get(|_| Flights::default());
        let mut state = lock(&flights.state);
        loop {
            if let Some(metadata) = self.metadata() {
                return Ok(metadata);
            }
            let now = clock.now();
            if let Some((error, retry_at)) = &state.failed {
                if now < *retry_at {
                    let wait = retry_at.duration_since(now);
                    return Err(error.clone().with_message(|message| {
                        format!(
                            "{message} (failed recently; next attempt in {} ms)",
                            wait.as_millis()
                        )
                    }));
                }
            }
            if !state.flight {
                break;
            }
            let remaining = deadline.saturating_duration_since(now);
            if remaining.is_zero() {
                return Err(Error::new(
                    Operation::Discovery,
                    "deadline reached while waiting for the server metadata",
                )
                .retryable(true));
            }
            state = flights
                .done
                .wait_timeout(state, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.flight = true;
        drop(state);
        let flight = Flight(&flights);
        let result = fetch(session, issuer, deadline);
        let mut state = lock(&flights.state);
        match &result {
            Ok(metadata) => {
                self.fetched.store(Some(Arc::new(Fetched {
                    metadata: metadata.clone(),
                    at: Instant::now(),
                })));
                state.failures = 0;
                state.failed = None;
            }
            Err(error) => {
                state.failures = state.failures.saturating_add(1);
                let backoff = FIRST_BACKOFF
                    .saturating_mul(1 << (state.failures - 1).min(6))
                    .min(MAX_BACKOFF);
                state.failed = Some((error.clone(), clock.now() + backoff));
            }
        }
        drop(state);
        drop(flight);
        match &result {
            Ok(_) => log(Level::Info, || {
                format!(
                    "discovery: metadata of issuer {} fetched",
                    redact::url(issuer)
                )
            }),
            Err(error) => log(Level::Warn, || format!("discovery: {error}")),
        }
        result
    }

    /// True for an hour after the metadata was fetched (see [`KEEP_IDENTITY`]).
    pub(super) fn keeps_identity(&self) -> bool {
        self.fetched
            .load()
            .as_ref()
            .is_some_and(|fetched| fetched.at.elapsed() < KEEP_IDENTITY)
    }
}

/// Ends a fetch, also on a panic: clears the flight and wakes the waiters.
struct Flight<'a>(&'a Flights);

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).flight = false;
        self.0.done.notify_all();
    }
}

/// Fetches and checks the metadata: the RFC 8414 URL, then the OpenID one if
/// the first answers 4xx.
fn fetch(session: &Session, issuer: &str, deadline: Instant) -> Result<Arc<ServerMetadata>, Error> {
    let (oauth_url, openid_url) = metadata_urls(issuer)?;
    match fetch_from(session, issuer, &oauth_url, deadline) {
        Err(error) if matches!(error.http_status(), Some(400..=499)) => {
            log(Level::Debug, || {
                format!(
                    "discovery: {} answered {}, trying {}",
                    shown_url(&oauth_url),
                    error.http_status().unwrap_or_default(),
                    shown_url(&openid_url)
                )
            });
            fetch_from(session, issuer, &openid_url, deadline)
        }
        other => other,
    }
    .map(Arc::new)
}

fn fetch_from(
    session: &Session,
    issuer: &str,
    url: &str,
    deadline: Instant,
) -> Result<ServerMetadata, Error> {
    let request = HttpRequest {
        url,
        payload: Payload::Empty,
        authorization: None,
    };
    let allow_insecure_http = session.config.allow_insecure_http;
    session
        .send(Operation::Discovery, &request, deadline, |response| {
            parse_server_metadata(response.status, &response.body, issuer, allow_insecure_http)
        })
        .map(|sent| sent.value)
        .map_err(|error| {
            error.with_message(|message| format!("{message} (from {})", shown_url(url)))
        })
}

/// The RFC 8414 and OpenID Connect metadata URLs of `issuer`.
fn metadata_urls(issuer: &str) -> Result<(String, String), Error> {
    if issuer.contains(['?', '#']) {
        return Err(Error::configuration(
            "issuer must have no query or fragment (RFC 8414 section 2)",
        ));
    }
    let issuer = issuer.trim_end_matches('/');
    let after_scheme = issuer.find("://").map_or(0, |at| at + 3);
    let path_start = issuer[after_scheme..]
        .find('/')
        .map_or(issuer.len(), |at| after_scheme + at);
    let (origin, path) = issuer.split_at(path_start);
    Ok((
        format!("{origin}{OAUTH_WELL_KNOWN}{path}"),
        format!("{issuer}{OPENID_WELL_KNOWN}"),
    ))
}

/// A URL for a message: quoted, without userinfo or query values.
fn shown_url(url: &str) -> String {
    format!("{:?}", redact::url(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls_follow_rfc_8414_and_openid() {
        let urls = |issuer| metadata_urls(issuer).unwrap();
        assert_eq!(
            urls("https://auth.example.com"),
            (
                "https://auth.example.com/.well-known/oauth-authorization-server".to_owned(),
                "https://auth.example.com/.well-known/openid-configuration".to_owned()
            )
        );
        assert_eq!(
            urls("https://auth.example.com/tenants/a/"),
            (
                "https://auth.example.com/.well-known/oauth-authorization-server/tenants/a"
                    .to_owned(),
                "https://auth.example.com/tenants/a/.well-known/openid-configuration".to_owned()
            )
        );
        assert_eq!(
            urls("http://127.0.0.1:8080/").0,
            "http://127.0.0.1:8080/.well-known/oauth-authorization-server"
        );
        assert!(metadata_urls("https://a.example/?x=1").is_err());
        assert!(metadata_urls("https://a.example/#f").is_err());
    }
}
