//! The exchanged-token cache of one identity: a bounded index of token
//! caches, one per exchange, each the state machine of `cache` (its own
//! single flight, expiry buffer, refresh ahead and failure handling).
//!
//! Keys. An exchange is known by an [`ExchangeKey`], a keyed hash of every
//! parameter that changes the token (see `exchange_key`): the index holds no
//! parameter.
//!
//! Bound. The identity's cache holds at most the largest `exchange_cache_size`
//! of its clients (a client with 0 neither reads nor fills it); one more entry
//! evicts one not used since the index's CLOCK hand last passed it (see
//! `index`). An exchange that fails without a token is not kept at all, so
//! refused tokens take no room.
//!
//! Hits. The index publishes each entry's token beside it ([`Published`]):
//! the token the entry held when a call last went through the entry's state
//! machine (every call that finds no fresh token there does, and publishes
//! what it leaves). A cached call hashes its key, loads its bucket and
//! finds the token there, fresh or not: one atomic load, no lock. A newer
//! token in the entry is published by the first call that finds the
//! published one no longer fresh; a token that a service refused is dropped
//! with its entry, whichever of the two holds it.
//!
//! Locks. The index's writers' mutex is held only to add, publish or drop
//! an entry, never during a fetch, and always before an entry's own lock,
//! never after.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;

use super::exchange_key::{ExchangeKey, KeyHasher};
use super::index::{Index, Node};
use super::{CachedToken, TokenCache};
use crate::clock::Clock;
use crate::log::{log, Level};
use crate::stats::{bump, Counters};

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

/// An entry of the cache (or of no cache: see [`ExchangeCache::detached`]).
pub(crate) type Entry = Node<Exchanged>;

/// What the index publishes with an entry: a token it held, and the details
/// of the answer that brought it.
#[derive(Clone, Debug)]
pub(crate) struct Published {
    token: Arc<CachedToken>,
    details: Option<Arc<ExchangeDetails>>,
}

/// An exchanged token lent to a caller for the length of a callback.
pub(crate) struct Lent<'a> {
    pub(crate) token: &'a str,
    /// The details of the answer that brought it, if known.
    pub(crate) details: Option<&'a ExchangeDetails>,
    expires_at: Instant,
    /// When it was found valid.
    now: Instant,
}

impl<'a> Lent<'a> {
    /// `token`, which expires at `expires_at`, found valid at `now`.
    pub(crate) fn new(
        token: &'a str,
        details: Option<&'a ExchangeDetails>,
        expires_at: Instant,
        now: Instant,
    ) -> Self {
        Lent {
            token,
            details,
            expires_at,
            now,
        }
    }

    /// The token's lifetime left (computed only when asked for).
    pub(crate) fn expires_in(&self) -> Duration {
        self.expires_at.saturating_duration_since(self.now)
    }
}

/// The exchanged-token cache of one identity. Thread-safe.
///
/// Methods: [`ExchangeCache::key`], [`ExchangeCache::fresh_with`],
/// [`ExchangeCache::entry`], [`ExchangeCache::detached`],
/// [`ExchangeCache::forget_failed`], [`ExchangeCache::invalidate`],
/// [`ExchangeCache::raise_capacity`], [`ExchangeCache::clear`],
/// [`ExchangeCache::counts`].
#[derive(Debug)]
pub(crate) struct ExchangeCache {
    /// `None` when the system had no random bytes to give for its key: then
    /// every exchange goes to the server.
    hasher: Option<KeyHasher>,
    index: Index<Exchanged, Published>,
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
    /// An empty cache of at most `capacity` entries (0 holds one until raised:
    /// a client with 0 never fills it).
    pub(crate) fn new(clock: Arc<dyn Clock>, capacity: usize) -> Self {
        let hasher = KeyHasher::random();
        if hasher.is_none() {
            log(Level::Warn, || {
                "no random bytes for the exchanged-token cache's key: exchanges are not cached"
                    .to_owned()
            });
        }
        ExchangeCache {
            hasher,
            index: Index::new(capacity),
            counters: Arc::new(Counters::default()),
            evictions: AtomicU64::new(0),
            clock,
        }
    }

    /// The key of the exchange of kind `tag` made of `fields` (every
    /// parameter in a fixed order, `None` for one left out); `None` when the
    /// cache cannot be used.
    #[inline]
    pub(crate) fn key(&self, tag: u8, fields: &[Option<&[u8]>]) -> Option<ExchangeKey> {
        Some(self.hasher.as_ref()?.key(tag, fields))
    }

    /// The current instant on the clock of this cache's entries.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The token published with `key`'s entry, if the index holds one that
    /// is fresh at `now` (read on [`ExchangeCache::now`]) for a caller whose
    /// buffer is `expiry_buffer` (a hit, counted), lent to `use_token`; else
    /// `use_token` handed back. No lock, no allocation.
    #[inline]
    pub(crate) fn fresh_with<R, F: FnOnce(Lent<'_>) -> R>(
        &self,
        key: ExchangeKey,
        now: Instant,
        expiry_buffer: Duration,
        use_token: F,
    ) -> Result<R, F> {
        let mut use_token = Some(use_token);
        let lent = self.index.find_with(key, |_, published| {
            let published = published?;
            let token = &published.token;
            token.fresh_until(now, expiry_buffer)?;
            let lend = use_token.take()?;
            self.counters.cache_hits.bump();
            let details = published.details.as_deref();
            Some(lend(Lent::new(
                token.token.expose(),
                details,
                token.expires_at,
                now,
            )))
        });
        match (lent.flatten(), use_token) {
            (Some(result), _) => Ok(result),
            (None, Some(use_token)) => Err(use_token),
            (None, None) => unreachable!("use_token is taken only to give a result"),
        }
    }

    /// Publishes what `entry` holds now (its token and details) beside it in
    /// the index, if it is still there and held something else before.
    ///
    /// What it holds is read under the index's writers' lock, as an
    /// invalidation reads it: a token read before that lock may since have
    /// been replaced, and invalidated while the entry held the newer one.
    pub(crate) fn publish(&self, entry: &Arc<Entry>) {
        self.index.publish(entry, |published| {
            let token = entry.tokens.cached();
            let details = entry.details.load_full();
            let unchanged = match published {
                Some(published) => {
                    same(Some(&published.token), token.as_ref())
                        && same(published.details.as_ref(), details.as_ref())
                }
                None => token.is_none(),
            };
            (!unchanged).then(|| token.map(|token| Published { token, details }))
        });
    }

    /// The entry of `key`, added (empty) when absent; an addition to a full
    /// cache evicts an entry.
    pub(crate) fn entry(&self, key: ExchangeKey) -> Arc<Entry> {
        let (entry, evicted) = self.index.get_or_insert(key, || self.exchanged());
        for _ in &evicted {
            bump(&self.evictions);
        }
        entry
    }

    /// An entry that is in no index (for a client whose cache is disabled):
    /// counted with the others, dropped after its call.
    pub(crate) fn detached(&self) -> Arc<Entry> {
        Arc::new(Node::unindexed(self.exchanged()))
    }

    fn exchanged(&self) -> Exchanged {
        Exchanged {
            tokens: Arc::new(TokenCache::counted(
                self.clock.clone(),
                self.counters.clone(),
                "exchanged token",
            )),
            details: ArcSwapOption::empty(),
        }
    }

    /// Drops `entry` from the index after a failed exchange, unless another
    /// entry replaced it or it still holds a valid token: a refused exchange
    /// is not cached.
    pub(crate) fn forget_failed(&self, key: ExchangeKey, entry: &Arc<Entry>) {
        let removed = self.index.remove_if(key, |held| {
            std::ptr::eq(held, &**entry) && !held.tokens.has_valid_token()
        });
        drop(removed);
    }

    /// Drops every cached exchanged token equal to `rejected` (a token a
    /// service refused, or one revoked); returns whether one was.
    pub(crate) fn invalidate(&self, rejected: &str) -> bool {
        let removed = self.index.retain(|entry, published| {
            let held = entry.tokens.invalidate(rejected);
            let published =
                published.is_some_and(|published| published.token.token.expose() == rejected);
            !(held || published)
        });
        !removed.is_empty()
    }

    /// Raises the bound to `capacity` if that is larger (another client of
    /// the identity asked for more).
    pub(crate) fn raise_capacity(&self, capacity: usize) {
        self.index.raise_capacity(capacity);
    }

    /// Forgets every entry (after a caught panic).
    pub(crate) fn clear(&self) {
        let removed = self.index.retain(|_, _| false);
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

/// Whether `a` and `b` are the same value (or both none).
fn same<T>(a: Option<&Arc<T>>, b: Option<&Arc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{Call, Fetched, TokenSource};
    use crate::clock::SystemClock;
    use crate::error::Error;
    use crate::secret::SecretString;
    use std::sync::atomic::AtomicBool;

    fn cache(capacity: usize) -> ExchangeCache {
        ExchangeCache::new(Arc::new(SystemClock), capacity)
    }

    #[test]
    fn the_index_holds_no_parameter() {
        let cache = cache(4);
        let token = b"a-subject-token-that-must-not-be-kept";
        let key = cache.key(b'E', &[Some(token)]).unwrap();
        let entry = cache.entry(key);
        let shown = format!("{:?} {:?}", cache, entry);
        assert!(!shown.contains("a-subject-token"), "{shown}");
        // The key is all the index keeps of the parameters: 16 bytes.
        assert_eq!(std::mem::size_of::<ExchangeKey>(), 16);
    }

    #[test]
    fn entries_are_shared_bounded_and_counted() {
        let cache = cache(2);
        let key = |n: u8| cache.key(b'T', &[Some(&[n][..])]).unwrap();
        let first = cache.entry(key(1));
        assert!(Arc::ptr_eq(&first, &cache.entry(key(1))));
        cache.entry(key(2));
        cache.entry(key(1)); // 1 is used again, 2 is not
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
        assert_eq!(cache.index.len(), 3, "only the same entry is forgotten");
        let fourth = cache.entry(key(4));
        cache.forget_failed(key(4), &fourth);
        assert_eq!(cache.index.len(), 2);
        cache.clear();
        assert_eq!(cache.index.len(), 0);
    }

    struct Issues(&'static str);

    impl TokenSource for Issues {
        fn fetch(&self, _deadline: Instant) -> Result<Fetched, Error> {
            Ok(Fetched {
                token: SecretString::from(self.0),
                sent_at: Instant::now(),
                expires_in: Duration::from_secs(3600),
                refresh_in: None,
                cacheable: true,
            })
        }
    }

    #[test]
    fn a_published_fresh_token_is_lent_without_a_lock_and_counted() {
        let cache = cache(4);
        let buffer = Duration::from_secs(30);
        let key = cache.key(b'D', &[Some(b"user")]).unwrap();
        let lent = |lent: Lent<'_>| lent.token.to_owned();
        let now = || cache.now();
        assert!(
            cache.fresh_with(key, now(), buffer, lent).is_err(),
            "no entry"
        );
        let entry = cache.entry(key);
        let call = Call {
            expiry_buffer: buffer,
            deadline: Instant::now() + Duration::from_secs(5),
        };
        let fetch = |token: &'static str| {
            let source: Arc<dyn TokenSource> = Arc::new(Issues(token));
            entry.tokens.force_refresh(&source, call).unwrap();
        };
        fetch("exchanged-1");
        assert!(
            cache.fresh_with(key, now(), buffer, lent).is_err(),
            "not published yet"
        );
        cache.publish(&entry);
        assert_eq!(
            cache.fresh_with(key, now(), buffer, lent).ok().unwrap(),
            "exchanged-1"
        );
        let other = cache.key(b'D', &[Some(b"usex")]).unwrap();
        assert!(cache.fresh_with(other, now(), buffer, lent).is_err());
        // Past the token's advisory point: not a hit.
        let later = now() + Duration::from_secs(3600);
        assert!(cache.fresh_with(key, later, buffer, lent).is_err());
        // A newer token, published; then the older one refused: nothing is lent.
        fetch("exchanged-2");
        cache.publish(&entry);
        assert_eq!(
            cache.fresh_with(key, now(), buffer, lent).ok().unwrap(),
            "exchanged-2"
        );
        assert_eq!(
            cache.counts(),
            ExchangeCounts {
                hits: 2,
                misses: 0,
                evictions: 0
            }
        );
        assert!(cache.invalidate("exchanged-2"));
        assert!(
            cache.fresh_with(key, now(), buffer, lent).is_err(),
            "dropped"
        );
        assert_eq!(cache.index.len(), 0);
    }

    struct IssuesOwned(String);

    impl TokenSource for IssuesOwned {
        fn fetch(&self, deadline: Instant) -> Result<Fetched, Error> {
            Issues("").fetch(deadline).map(|fetched| Fetched {
                token: SecretString::from(self.0.as_str()),
                ..fetched
            })
        }
    }

    /// A publication that read the entry's token before it was replaced must
    /// not publish it after an invalidation that the entry outlived (it held
    /// and published the newer one then): the old token would be lent again.
    /// (Through the API: two clients of one identity with different expiry
    /// buffers, the larger one's refresh replacing a token that the other
    /// still takes as fresh, and `wi_invalidate_token` of the old one.)
    #[test]
    fn a_token_replaced_then_invalidated_is_never_published_again() {
        let cache = Arc::new(cache(4));
        let buffer = Duration::from_secs(30);
        let key = cache.key(b'D', &[Some(b"user")]).unwrap();
        let call = Call {
            expiry_buffer: buffer,
            deadline: Instant::now() + Duration::from_secs(5),
        };
        let mut stale = 0;
        for round in 0..if cfg!(miri) { 10 } else { 300 } {
            let entry = cache.entry(key);
            let (old, new) = (format!("old-{round}"), format!("new-{round}"));
            let fetch = |token: &str| {
                let source: Arc<dyn TokenSource> = Arc::new(IssuesOwned(token.to_owned()));
                entry.tokens.force_refresh(&source, call).unwrap();
            };
            fetch(&old);
            cache.publish(&entry);
            let (started, done) = (AtomicBool::new(false), AtomicBool::new(false));
            let kept = std::thread::scope(|scope| {
                scope.spawn(|| {
                    started.store(true, Ordering::Release);
                    while !done.load(Ordering::Acquire) {
                        cache.publish(&entry);
                    }
                });
                while !started.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
                fetch(&new);
                cache.publish(&entry);
                let kept = !cache.invalidate(&old);
                done.store(true, Ordering::Release);
                kept
            });
            let lent = cache.fresh_with(key, cache.now(), buffer, |lent| lent.token.to_owned());
            if kept && lent.as_deref().ok() == Some(old.as_str()) {
                stale += 1;
            }
            cache.clear();
        }
        assert_eq!(stale, 0, "rounds that lent the invalidated token");
    }

    #[test]
    fn a_refused_token_still_published_drops_its_entry() {
        let cache = cache(4);
        let buffer = Duration::from_secs(30);
        let key = cache.key(b'D', &[Some(b"user")]).unwrap();
        let entry = cache.entry(key);
        let call = Call {
            expiry_buffer: buffer,
            deadline: Instant::now() + Duration::from_secs(5),
        };
        let old: Arc<dyn TokenSource> = Arc::new(Issues("exchanged-old"));
        entry.tokens.force_refresh(&old, call).unwrap();
        cache.publish(&entry);
        // The entry moved on; the published token is still the old one.
        let new: Arc<dyn TokenSource> = Arc::new(Issues("exchanged-new"));
        entry.tokens.force_refresh(&new, call).unwrap();
        assert!(cache.invalidate("exchanged-old"));
        let lent = |lent: Lent<'_>| lent.token.to_owned();
        assert!(cache.fresh_with(key, cache.now(), buffer, lent).is_err());
        assert!(!cache.invalidate("exchanged-old"), "gone");
    }
}
