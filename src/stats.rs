//! Counters of one identity, shared by every client of that identity.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of an identity's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Calls answered from the cache without waiting.
    pub cache_hits: u64,
    /// Calls that found no usable token and had to fetch or wait for one.
    pub cache_misses: u64,
    /// Refreshes started (each is one step-1 and one step-2 exchange, retries aside).
    pub refreshes_started: u64,
    /// Refreshes that produced a token.
    pub refreshes_succeeded: u64,
    /// Refreshes that failed.
    pub refreshes_failed: u64,
    /// Calls answered from the cache while a refresh was failing.
    pub stale_served: u64,
    /// Requests retried after a transient failure.
    pub retries: u64,
    /// HTTP requests sent, all endpoints.
    pub server_requests: u64,
    /// Exchanges (`exchange_token`, `delegated_token`) answered from the
    /// exchanged-token cache without waiting.
    pub exchange_cache_hits: u64,
    /// Exchanges that found no usable cached token.
    pub exchange_cache_misses: u64,
    /// Exchanged tokens dropped from the cache to make room for another.
    pub exchange_cache_evictions: u64,
}

/// A counter bumped on the cached path by many threads at once: spread over
/// cache-line-sized stripes so that threads do not contend on one line.
#[derive(Debug, Default)]
pub(crate) struct StripedCounter {
    stripes: [Stripe; STRIPES],
}

const STRIPES: usize = 8;

#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(AtomicU64);

impl StripedCounter {
    pub(crate) fn bump(&self) {
        use std::sync::atomic::AtomicUsize;
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
        }
        let stripe = STRIPE.with(|stripe| *stripe);
        self.stripes[stripe].0.fetch_add(1, Ordering::Relaxed);
    }

    fn sum(&self) -> u64 {
        self.stripes
            .iter()
            .map(|s| s.0.load(Ordering::Relaxed))
            .sum()
    }
}

/// The live counters. Relaxed atomics: they count, they do not synchronise.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) cache_hits: StripedCounter,
    pub(crate) cache_misses: AtomicU64,
    pub(crate) refreshes_started: AtomicU64,
    pub(crate) refreshes_succeeded: AtomicU64,
    pub(crate) refreshes_failed: AtomicU64,
    pub(crate) stale_served: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) server_requests: AtomicU64,
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> Stats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Stats {
            cache_hits: self.cache_hits.sum(),
            cache_misses: read(&self.cache_misses),
            refreshes_started: read(&self.refreshes_started),
            refreshes_succeeded: read(&self.refreshes_succeeded),
            refreshes_failed: read(&self.refreshes_failed),
            stale_served: read(&self.stale_served),
            retries: read(&self.retries),
            server_requests: read(&self.server_requests),
            ..Stats::default()
        }
    }
}
