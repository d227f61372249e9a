//! The process-wide registry of identities: clients with the same identity share
//! one token cache, one in-flight refresh, one retry budget and one set of counters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwapOption;
use zeroize::Zeroizing;

use crate::cache::exchanged::ExchangeCache;
use crate::cache::TokenCache;
use crate::config::{Config, TokenStore};
use crate::error::Error;
use crate::fork::{lock, ForkLocal};
use crate::retry::RetryBudget;
use crate::secret::SecretString;
use crate::store::{FileStore, StoreEntry};

/// Everything that decides which token a client may receive (every setting
/// that changes the token, secrets included), as one canonical byte string.
/// A wrong secret is another identity, so it never sees the right secret's
/// token. Wiped on drop; `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct IdentityKey(Zeroizing<Vec<u8>>);

impl std::hash::Hash for IdentityKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.as_slice().hash(state);
    }
}

impl std::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityKey([redacted])")
    }
}

impl IdentityKey {
    pub(crate) fn of(config: &Config) -> Self {
        let mut bytes = Zeroizing::new(Vec::with_capacity(512));
        let mut field = |value: Option<&[u8]>| match value {
            Some(value) => {
                bytes.extend_from_slice(&(value.len() as u32).to_le_bytes());
                bytes.extend_from_slice(value);
            }
            None => bytes.extend_from_slice(&u32::MAX.to_le_bytes()),
        };
        fn text(value: &Option<String>) -> Option<&[u8]> {
            value.as_deref().map(str::as_bytes)
        }
        fn secret(value: &Option<SecretString>) -> Option<&[u8]> {
            value.as_ref().map(|secret| secret.expose().as_bytes())
        }
        fn path(value: &Option<std::path::PathBuf>) -> Option<&[u8]> {
            value
                .as_ref()
                .map(|path| path.as_os_str().as_encoded_bytes())
        }
        field(Some(config.flow.name().as_bytes()));
        field(text(&config.client_id));
        field(secret(&config.client_secret));
        field(text(&config.token_endpoint));
        field(text(&config.access_token_endpoint));
        field(text(&config.issuer));
        field(config.lane.name().map(str::as_bytes));
        field(text(&config.scope));
        field(text(&config.audience));
        field(text(&config.resource));
        field(secret(&config.refresh_token));
        field(text(&config.username));
        field(secret(&config.password));
        field(path(&config.subject_token_file));
        field(Some(config.subject_token_type.as_bytes()));
        field(config.client_auth.map(|method| method.name().as_bytes()));
        field(path(&config.private_key_path));
        field(text(&config.private_key_id));
        let mut headers: Vec<(String, &str)> = config
            .headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.as_str()))
            .collect();
        headers.sort();
        for (name, value) in &headers {
            field(Some(name.as_bytes()));
            field(Some(value.as_bytes()));
        }
        field(None);
        match &config.token_store {
            TokenStore::Memory => field(Some(b"memory")),
            TokenStore::File(dir) => field(Some(dir.as_os_str().as_encoded_bytes())),
        }
        // An injected clock makes an identity of its own (the identity keeps
        // the clock alive, so its address is not reused meanwhile).
        let clock = if config.custom_clock {
            Arc::as_ptr(&config.clock) as *const () as usize
        } else {
            0
        };
        field(Some(&clock.to_le_bytes()));
        IdentityKey(bytes)
    }
}

/// The shared state of one identity. Thread-safe.
#[derive(Debug)]
pub(crate) struct Identity {
    pub(crate) cache: Arc<TokenCache>,
    pub(crate) retry_budget: RetryBudget,
    /// The refresh token the next fetch uses (flows other than `coze`).
    refresh_token: ArcSwapOption<SecretString>,
    /// The identity's entry in the file token store (`token_store=file:<DIR>`).
    pub(crate) store: Option<StoreEntry>,
    /// Exchanged tokens (`wi_exchange_token`, `wi_get_delegated_token`).
    pub(crate) exchanges: ExchangeCache,
}

impl Identity {
    fn new(config: &Config, store: Option<StoreEntry>) -> Self {
        Identity {
            cache: Arc::new(TokenCache::new(config.clock.clone())),
            retry_budget: RetryBudget::new(),
            refresh_token: ArcSwapOption::new(config.refresh_token.clone().map(Arc::new)),
            store,
            exchanges: ExchangeCache::new(config.clock.clone(), config.exchange_cache_size),
        }
    }

    /// Drops `token` from the memory caches of the identity, the access
    /// token's and the exchanged tokens' (a token a service refused, or one
    /// revoked); returns whether one held it. The file store is the caller's.
    pub(crate) fn forget_token(&self, token: &str) -> bool {
        let access = self.cache.invalidate(token);
        self.exchanges.invalidate(token) || access
    }

    /// The refresh token the next fetch should use, if any.
    pub(crate) fn refresh_token(&self) -> Option<Arc<SecretString>> {
        self.refresh_token.load_full()
    }

    /// Keeps `refresh_token` (a new one from the server replaces the old one).
    pub(crate) fn keep_refresh_token(&self, refresh_token: SecretString) {
        self.refresh_token.store(Some(Arc::new(refresh_token)));
    }

    /// Drops `refused` if it is still the current refresh token.
    pub(crate) fn drop_refresh_token(&self, refused: &Arc<SecretString>) {
        self.refresh_token.compare_and_swap(refused, None);
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
///
/// With `token_store=file:<DIR>` the directory is created or checked here
/// (`WI_STATUS_STORE` when it cannot be used), and the identity's entry is
/// named from everything that makes the identity, the signing key's digest
/// (`key_digest`) included.
pub(crate) fn identity_for(
    config: &Config,
    key_digest: Option<&[u8; 32]>,
) -> Result<Arc<Identity>, Error> {
    crate::fork::install_handlers();
    let key = IdentityKey::of(config);
    let store = match &config.token_store {
        TokenStore::Memory => None,
        TokenStore::File(dir) => Some(FileStore::open(dir)?.entry(
            &[b"workload-identity token store entry"],
            &[&key.0, key_digest.map_or(&[][..], |digest| &digest[..])],
        )),
    };
    let registry = REGISTRY.get(|inherited| {
        let copy = inherited.and_then(|registry| registry.try_lock().ok().map(|map| map.clone()));
        Mutex::new(copy.unwrap_or_default())
    });
    let mut identities = lock(&registry);
    identities
        .retain(|_, identity| Arc::strong_count(identity) > 1 || identity.cache.has_valid_token());
    let identity = identities
        .entry(key)
        .or_insert_with(|| Arc::new(Identity::new(config, store)))
        .clone();
    identity
        .exchanges
        .raise_capacity(config.exchange_cache_size);
    Ok(identity)
}
