//! The process-wide registry of identities: clients with the same identity share
//! one token cache, one in-flight refresh, one retry budget and one set of counters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::cache::TokenCache;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::fork::{lock, ForkLocal};
use crate::lane::Lane;
use crate::retry::RetryBudget;
use crate::secret::SecretString;

/// Everything that decides which token a client may receive. A wrong secret is
/// another identity, so it never sees the right secret's token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct IdentityKey {
    client_id: String,
    client_secret: SecretString,
    token_endpoint: String,
    access_token_endpoint: String,
    lane: Lane,
}

impl IdentityKey {
    pub(crate) fn of(config: &Config) -> Self {
        IdentityKey {
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            token_endpoint: config.token_endpoint.clone(),
            access_token_endpoint: config.access_token_endpoint.clone(),
            lane: config.lane.clone(),
        }
    }
}

/// The shared state of one identity. Thread-safe.
#[derive(Debug)]
pub(crate) struct Identity {
    pub(crate) cache: Arc<TokenCache>,
    pub(crate) retry_budget: RetryBudget,
}

impl Identity {
    fn new(clock: Arc<dyn Clock>) -> Self {
        Identity {
            cache: Arc::new(TokenCache::new(clock)),
            retry_budget: RetryBudget::new(),
        }
    }
}

type Registry = Mutex<HashMap<IdentityKey, Arc<Identity>>>;

/// The registry of this process. A forked child starts with a copy of its
/// parent's, when the parent's was not locked at the moment of the fork (a
/// non-blocking check), so that its new clients still share the identities
/// (and the cached tokens) of the parent; otherwise with an empty one.
static REGISTRY: ForkLocal<Registry> = ForkLocal::new();

/// The identity of `config`, created on first use.
///
/// An identity outlives its clients while its token is valid, so that a program
/// creating a short-lived client per call still reuses the token (as the Python
/// SDK's process-wide cache does). Identities with no client and no valid token
/// are dropped (their secrets and tokens wiped) whenever a client is created.
pub(crate) fn identity_for(config: &Config) -> Arc<Identity> {
    crate::fork::install_handlers();
    let registry = REGISTRY.get(|inherited| {
        let copy = inherited.and_then(|registry| registry.try_lock().ok().map(|map| map.clone()));
        Mutex::new(copy.unwrap_or_default())
    });
    let mut identities = lock(&registry);
    identities
        .retain(|_, identity| Arc::strong_count(identity) > 1 || identity.cache.has_valid_token());
    identities
        .entry(IdentityKey::of(config))
        .or_insert_with(|| Arc::new(Identity::new(Arc::new(SystemClock))))
        .clone()
}
