//! The process-wide registry of identities: clients with the same identity share
//! one token cache, one in-flight refresh, one retry budget and one set of counters.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use crate::cache::TokenCache;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
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
        let now = clock.now();
        Identity {
            cache: Arc::new(TokenCache::new(clock)),
            retry_budget: RetryBudget::new(now),
        }
    }
}

type Registry = Mutex<HashMap<IdentityKey, Arc<Identity>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// The identity of `config`, created on first use.
///
/// An identity outlives its clients while its token is valid, so that a program
/// creating a short-lived client per call still reuses the token (as the Python
/// SDK's process-wide cache does). Identities with no client and no valid token
/// are dropped (their secrets and tokens wiped) whenever a client is created.
pub(crate) fn identity_for(config: &Config) -> Arc<Identity> {
    crate::fork::install_handlers();
    let mut identities = registry().lock();
    identities
        .retain(|_, identity| Arc::strong_count(identity) > 1 || identity.cache.has_valid_token());
    identities
        .entry(IdentityKey::of(config))
        .or_insert_with(|| Arc::new(Identity::new(Arc::new(SystemClock))))
        .clone()
}

/// Takes the registry lock and every identity's locks, in that order (the order
/// the library itself uses), and keeps them until [`release_all_after_fork`].
pub(crate) fn hold_all_for_fork() {
    let identities = registry().lock();
    for identity in identities.values() {
        identity.cache.hold_for_fork();
        identity.retry_budget.hold_for_fork();
    }
    std::mem::forget(identities);
}

/// Releases what [`hold_all_for_fork`] took.
///
/// # Safety
/// Only after `hold_all_for_fork`, once, in the parent or the child of the fork.
pub(crate) unsafe fn release_all_after_fork() {
    let registry = registry();
    // The registry lock is held by this thread (forgotten guard): read through it.
    for identity in (*registry.data_ptr()).values() {
        identity.cache.release_after_fork();
        identity.retry_budget.release_after_fork();
    }
    registry.force_unlock();
}
