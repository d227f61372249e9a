//! The exchanged-token cache of one identity: a bounded LRU of token caches,
//! one per exchange, each the state machine of `cache` (its own single flight,
//! expiry buffer, refresh ahead and failure handling).
//!
//! Keys. An exchange is known by an [`ExchangeKey`]: SipHash-2-4 with a
//! 128-bit output, under a random key drawn for the identity when it is
//! created, of every parameter that changes the token (each framed by its
//! length, so that no two parameter lists run together). The index holds
//! these 16 bytes and nothing else of the parameters: a memory dump of it
//! shows no token, and the key that would let one test a guess against it
//! never leaves the process. Without that key, a parameter list that lands on
//! another's entry is a chance of one in 2^128 per try, per entry.
//! SipHash, not HMAC-SHA256: the key is computed on every cached call, and
//! SipHash costs tens of nanoseconds where ring's HMAC-SHA256 costs hundreds.
//!
//! Bound. The identity's cache holds at most the largest `exchange_cache_size`
//! of its clients (a client with 0 neither reads nor fills it); one more entry
//! evicts the least recently used. An exchange that fails without a token is
//! not kept at all, so refused tokens take no room.
//!
//! Locks. The LRU's mutex is held only to find, add or drop an entry, never
//! during a fetch, and always before an entry's own lock, never after.

use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwapOption;
use ring::rand::{SecureRandom, SystemRandom};
use siphasher::sip128::{Hasher128, SipHasher24};

use super::lru::Lru;
use super::TokenCache;
use crate::clock::Clock;
use crate::fork::{lock, ForkLocal};
use crate::log::{log, Level};
use crate::stats::{bump, Counters};

/// The key of one exchange: 128 bits of a keyed hash of its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExchangeKey {
    low: u64,
    high: u64,
}

impl Hash for ExchangeKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already a keyed hash: its bits need no more mixing.
        state.write_u64(self.low);
    }
}

/// Passes an [`ExchangeKey`]'s bits through as the map's hash.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// What the server said about an exchanged token besides the token itself.
#[derive(Clone, Debug, Default)]
pub(crate) struct ExchangeDetails {
    pub(crate) issued_token_type: Option<String>,
    pub(crate) token_type: Option<String>,
    pub(crate) scope: Option<String>,
}

/// One exchange's cached token and what came with it. Thread-safe.
#[derive(Debug)]
pub(crate) struct Exchanged {
    pub(crate) tokens: Arc<TokenCache>,
    /// The details of the last answer (replaced at each fetch).
    pub(crate) details: ArcSwapOption<ExchangeDetails>,
}

type Entries = Lru<ExchangeKey, Arc<Exchanged>, BuildHasherDefault<KeyHasher>>;

/// The exchanged-token cache of one identity. Thread-safe.
///
/// Methods: [`ExchangeCache::key`], [`ExchangeCache::lookup`], [`ExchangeCache::entry`],
/// [`ExchangeCache::detached`], [`ExchangeCache::forget_failed`],
/// [`ExchangeCache::invalidate`], [`ExchangeCache::raise_capacity`],
/// [`ExchangeCache::clear`], [`ExchangeCache::counts`].
#[derive(Debug)]
pub(crate) struct ExchangeCache {
    /// The SipHash key; `None` when the system had no random bytes to give,
    /// and then every exchange goes to the server.
    hash_key: Option<(u64, u64)>,
    /// The index; a forked child starts with a copy of its parent's (when
    /// not locked at the fork), each entry's state replaced at its first use.
    entries: ForkLocal<Mutex<Entries>>,
    /// The bound (kept outside the index so that a child's new index has it).
    capacity: AtomicUsize,
    /// Hits and misses of every entry (each entry's state machine counts them).
    counters: Arc<Counters>,
    evictions: AtomicU64,
    clock: Arc<dyn Clock>,
}

/// The exchange cache's counters: hits, misses, evictions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ExchangeCounts {
    pub(crate) hits: u64,
    pub(crate) misses: u64,
    pub(crate) evictions: u64,
}

impl ExchangeCache {
    /// An empty cache of at most `capacity` entries (0 holds none until raised).
    pub(crate) fn new(clock: Arc<dyn Clock>, capacity: usize) -> Self {
        let mut bytes = [0u8; 16];
        let hash_key = match SystemRandom::new().fill(&mut bytes) {
            Ok(()) => {
                let (low, high) = bytes.split_at(8);
                Some((
                    u64::from_le_bytes(low.try_into().expect("8 bytes")),
                    u64::from_le_bytes(high.try_into().expect("8 bytes")),
                ))
            }
            Err(_) => {
                log(Level::Warn, || {
                    "no random bytes for the exchanged-token cache's key: exchanges are not cached"
                        .to_owned()
                });
                None
            }
        };
        ExchangeCache {
            hash_key,
            entries: ForkLocal::new(),
            capacity: AtomicUsize::new(capacity),
            counters: Arc::new(Counters::default()),
            evictions: AtomicU64::new(0),
            clock,
        }
    }

    /// The key of the exchange made of `fields` (a tag naming the kind of
    /// exchange first, then every parameter in a fixed order, `None` for one
    /// left out); `None` when the cache cannot be used.
    pub(crate) fn key(&self, fields: &[Option<&[u8]>]) -> Option<ExchangeKey> {
        let (k0, k1) = self.hash_key?;
        let mut hasher = SipHasher24::new_with_keys(k0, k1);
        // One write per buffer: the hasher's cost is per call as much as per byte.
        let mut buffer = [0u8; 256];
        let mut used = 0;
        for field in fields {
            // Each field: its length (u32::MAX for none, more than any length
            // a field can have here), then its bytes.
            let (length, bytes) = match field {
                Some(bytes) => (u32::try_from(bytes.len()).unwrap_or(u32::MAX - 1), *bytes),
                None => (u32::MAX, &[][..]),
            };
            if used + 4 > buffer.len() {
                hasher.write(&buffer[..used]);
                used = 0;
            }
            buffer[used..used + 4].copy_from_slice(&length.to_le_bytes());
            used += 4;
            if bytes.len() <= buffer.len() - used {
                buffer[used..used + bytes.len()].copy_from_slice(bytes);
                used += bytes.len();
            } else {
                hasher.write(&buffer[..used]);
                hasher.write(bytes);
                used = 0;
            }
        }
        hasher.write(&buffer[..used]);
        let hash = hasher.finish128();
        Some(ExchangeKey {
            low: hash.h1,
            high: hash.h2,
        })
    }

    /// This process's index (see `crate::fork`).
    fn entries(&self) -> Arc<Mutex<Entries>> {
        self.entries.get(|inherited| {
            let copy =
                inherited.and_then(|entries| entries.try_lock().ok().map(|held| held.clone()));
            Mutex::new(copy.unwrap_or_else(|| Lru::new(self.capacity.load(Ordering::Relaxed))))
        })
    }

    /// The entry of `key`, if the index holds one (it becomes the most recently used).
    pub(crate) fn lookup(&self, key: ExchangeKey) -> Option<Arc<Exchanged>> {
        lock(&self.entries()).get(&key).cloned()
    }

    /// The entry of `key`, added (empty) when absent; an addition to a full
    /// cache evicts the least recently used entry.
    pub(crate) fn entry(&self, key: ExchangeKey) -> Arc<Exchanged> {
        let entries = self.entries();
        let mut entries = lock(&entries);
        if let Some(entry) = entries.get(&key) {
            return entry.clone();
        }
        let entry = self.detached();
        let evicted = entries.insert(key, entry.clone());
        drop(entries);
        if evicted.is_some() {
            bump(&self.evictions);
        }
        entry
    }

    /// An entry that is in no index (for a client whose cache is disabled):
    /// counted with the others, dropped after its call.
    pub(crate) fn detached(&self) -> Arc<Exchanged> {
        Arc::new(Exchanged {
            tokens: Arc::new(TokenCache::counted(
                self.clock.clone(),
                self.counters.clone(),
                "exchanged token",
            )),
            details: ArcSwapOption::empty(),
        })
    }

    /// Drops `entry` from the index after a failed exchange, unless another
    /// entry replaced it or it still holds a valid token: a refused exchange
    /// is not cached.
    pub(crate) fn forget_failed(&self, key: ExchangeKey, entry: &Arc<Exchanged>) {
        let removed = lock(&self.entries()).remove_if(&key, |held| {
            Arc::ptr_eq(held, entry) && !held.tokens.has_valid_token()
        });
        drop(removed);
    }

    /// Drops every cached exchanged token equal to `rejected` (a token a
    /// service refused, or one revoked); returns whether one was.
    pub(crate) fn invalidate(&self, rejected: &str) -> bool {
        let removed = lock(&self.entries()).retain(|entry| !entry.tokens.invalidate(rejected));
        !removed.is_empty()
    }

    /// Raises the bound to `capacity` if that is larger (another client of
    /// the identity asked for more).
    pub(crate) fn raise_capacity(&self, capacity: usize) {
        self.capacity.fetch_max(capacity, Ordering::Relaxed);
        let entries = self.entries();
        let mut entries = lock(&entries);
        if capacity > entries.capacity() {
            entries.set_capacity(capacity);
        }
    }

    /// Forgets every entry (after a caught panic).
    pub(crate) fn clear(&self) {
        let removed = lock(&self.entries()).retain(|_| false);
        drop(removed);
    }

    /// The counters: hits and misses of every exchange, and evictions.
    pub(crate) fn counts(&self) -> ExchangeCounts {
        let stats = self.counters.snapshot();
        ExchangeCounts {
            hits: stats.cache_hits,
            misses: stats.cache_misses,
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    fn cache(capacity: usize) -> ExchangeCache {
        ExchangeCache::new(Arc::new(SystemClock), capacity)
    }

    fn cache_of_another_identity() -> ExchangeCache {
        cache(4)
    }

    #[test]
    fn keys_of_long_fields_are_framed_alike() {
        let cache = cache(4);
        let long = vec![b'x'; 1000];
        let key = cache.key(&[Some(b"t"), Some(&long), None]).unwrap();
        assert_eq!(key, cache.key(&[Some(b"t"), Some(&long), None]).unwrap());
        assert_ne!(
            key,
            cache.key(&[Some(b"t"), Some(&long[1..]), None]).unwrap()
        );
        assert_ne!(
            key,
            cache.key(&[Some(b"t"), Some(&long), Some(b"")]).unwrap()
        );
    }

    #[test]
    fn keys_differ_in_any_byte_and_framing() {
        let cache = cache(4);
        let key = |fields: &[Option<&[u8]>]| cache.key(fields).unwrap();
        let base = key(&[Some(b"delegate"), Some(b"user-token"), Some(b"aud"), None]);
        assert_eq!(
            base,
            key(&[Some(b"delegate"), Some(b"user-token"), Some(b"aud"), None])
        );
        for other in [
            key(&[Some(b"delegate"), Some(b"user-tokeN"), Some(b"aud"), None]),
            key(&[Some(b"delegate"), Some(b"user-toke"), Some(b"naud"), None]),
            key(&[
                Some(b"delegate"),
                Some(b"user-token"),
                Some(b"aud"),
                Some(b""),
            ]),
            key(&[Some(b"delegate"), Some(b"user-token"), None, Some(b"aud")]),
            key(&[Some(b"exchange"), Some(b"user-token"), Some(b"aud"), None]),
        ] {
            assert_ne!(base, other);
        }
        // Another identity draws another key: the same parameters meet nowhere.
        let other_identity = cache_of_another_identity();
        assert_ne!(
            other_identity
                .key(&[Some(b"delegate"), Some(b"user-token"), Some(b"aud"), None])
                .unwrap(),
            base
        );
    }

    #[test]
    fn the_index_holds_no_parameter() {
        let cache = cache(4);
        let token = b"a-subject-token-that-must-not-be-kept";
        let key = cache.key(&[Some(b"exchange"), Some(token)]).unwrap();
        let entry = cache.entry(key);
        let shown = format!("{:?} {:?}", cache, entry);
        assert!(!shown.contains("a-subject-token"), "{shown}");
        // The key is all the index keeps of the parameters: 16 bytes.
        assert_eq!(std::mem::size_of::<ExchangeKey>(), 16);
    }

    #[test]
    fn entries_are_shared_bounded_and_counted() {
        let cache = cache(2);
        let key = |n: u8| cache.key(&[Some(&[n][..])]).unwrap();
        let first = cache.entry(key(1));
        assert!(Arc::ptr_eq(&first, &cache.entry(key(1))));
        cache.entry(key(2));
        cache.entry(key(1)); // 2 is now the least recently used
        cache.entry(key(3));
        assert_eq!(cache.counts().evictions, 1);
        assert!(Arc::ptr_eq(&first, &cache.entry(key(1))), "1 was kept");
        assert_eq!(cache.counts().evictions, 1);
        cache.entry(key(2));
        assert_eq!(cache.counts().evictions, 2, "2 came back as a new entry");
        cache.raise_capacity(1);
        cache.raise_capacity(3);
        cache.entry(key(4));
        assert_eq!(cache.counts().evictions, 2, "room for a third");
        cache.forget_failed(key(4), &cache.detached());
        assert_eq!(
            lock(&cache.entries()).len(),
            3,
            "only the same entry is forgotten"
        );
        let fourth = cache.entry(key(4));
        cache.forget_failed(key(4), &fourth);
        assert_eq!(lock(&cache.entries()).len(), 2);
        cache.clear();
        assert_eq!(lock(&cache.entries()).len(), 0);
    }
}
