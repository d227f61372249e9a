//! Positive introspection answers, reused for a short while (option
//! `introspection_cache_s`, off by default) so that a service checking every
//! request does not introspect every request.
//!
//! Only `"active": true` answers are kept, each until the earlier of its
//! fetch time plus the reuse period and the token's `exp` (wall clock), and
//! at most [`CAPACITY`] of them: a full cache first drops the dead entries,
//! then the oldest. Entries are keyed by an HMAC of the token under a key
//! drawn at random for this cache, so the cache holds no token, and an answer
//! serves only requests to the endpoint that gave it. Revoking a token through
//! the library drops its entry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ring::hmac;

use crate::fork::{lock, ForkLocal};
use crate::protocol::Introspection;

/// Most answers kept at once.
pub(super) const CAPACITY: usize = 10_000;

type TokenKey = [u8; 32];

/// The cache of one identity. Thread-safe; the lock is held for a map
/// operation, never across I/O.
pub(super) struct IntrospectionCache {
    /// Drawn at first use: an identity that never caches pays nothing.
    key: OnceLock<hmac::Key>,
    /// A forked child starts with an empty cache (see `crate::fork`).
    entries: ForkLocal<Mutex<HashMap<TokenKey, Entry>>>,
}

impl std::fmt::Debug for IntrospectionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionCache")
            .field("entries", &lock(&self.entries()).len())
            .finish_non_exhaustive()
    }
}

struct Entry {
    answer: Arc<Introspection>,
    /// The introspection endpoint that answered.
    endpoint: String,
    fetched_at: Instant,
    /// Reused until then (the reuse period of the client that fetched it)...
    until: Instant,
    /// ...and never at or past the token's `exp` (Unix seconds).
    exp: Option<i64>,
}

impl Entry {
    fn live(&self, now: Instant, wall: SystemTime) -> bool {
        now < self.until && self.exp.map_or(true, |exp| unix_seconds(wall) < exp)
    }
}

fn unix_seconds(wall: SystemTime) -> i64 {
    wall.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

impl Default for IntrospectionCache {
    fn default() -> Self {
        IntrospectionCache {
            key: OnceLock::new(),
            entries: ForkLocal::new(),
        }
    }
}

impl IntrospectionCache {
    fn key_of(&self, token: &str) -> TokenKey {
        let key = self.key.get_or_init(|| {
            hmac::Key::generate(hmac::HMAC_SHA256, &ring::rand::SystemRandom::new())
                .expect("the system's random source works")
        });
        let tag = hmac::sign(key, token.as_bytes());
        let mut key = [0; 32];
        key.copy_from_slice(tag.as_ref());
        key
    }

    /// A live positive answer of `endpoint` for `token`, fetched less than `reuse` ago.
    pub(super) fn get(
        &self,
        endpoint: &str,
        token: &str,
        reuse: Duration,
        now: Instant,
        wall: SystemTime,
    ) -> Option<Arc<Introspection>> {
        let key = self.key_of(token);
        let entries = self.entries();
        let entries = lock(&entries);
        let entry = entries.get(&key)?;
        // A client with a shorter reuse period than the one that fetched the
        // answer reuses it for its own period only.
        let fresh = entry.live(now, wall) && now < entry.fetched_at + reuse;
        (fresh && entry.endpoint == endpoint).then(|| entry.answer.clone())
    }

    /// Keeps `answer` of `endpoint` for `token` (fetched at `now`) for
    /// `reuse`, if it is positive and the token has not expired.
    pub(super) fn put(
        &self,
        endpoint: &str,
        token: &str,
        answer: &Arc<Introspection>,
        reuse: Duration,
        now: Instant,
        wall: SystemTime,
    ) {
        let entry = Entry {
            answer: answer.clone(),
            endpoint: endpoint.to_owned(),
            fetched_at: now,
            until: now + reuse,
            exp: answer.exp,
        };
        if !answer.active || !entry.live(now, wall) {
            return;
        }
        let key = self.key_of(token);
        let entries = self.entries();
        let mut entries = lock(&entries);
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            entries.retain(|_, entry| entry.live(now, wall));
            if entries.len() >= CAPACITY {
                if let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.fetched_at)
                    .map(|(key, _)| *key)
                {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(key, entry);
    }

    /// Drops the answer for `token`, if any.
    pub(super) fn remove(&self, token: &str) {
        if self.key.get().is_none() {
            return; // nothing was ever kept
        }
        let key = self.key_of(token);
        lock(&self.entries()).remove(&key);
    }

    /// This process's entries.
    fn entries(&self) -> Arc<Mutex<HashMap<TokenKey, Entry>>> {
        self.entries.get(|_| Mutex::default())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.entries()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const E: &str = "https://auth.example.com/introspect";

    fn answer(active: bool, exp: Option<i64>) -> Arc<Introspection> {
        Arc::new(Introspection {
            document: format!("{{\"active\":{active}}}"),
            active,
            scope: None,
            exp,
        })
    }

    #[test]
    fn keeps_positive_answers_for_the_reuse_period_and_never_past_exp() {
        let cache = IntrospectionCache::default();
        let reuse = Duration::from_secs(10);
        let now = Instant::now();
        let wall = SystemTime::now();
        let in_an_hour = unix_seconds(wall) + 3600;
        cache.put(E, "a", &answer(true, Some(in_an_hour)), reuse, now, wall);
        cache.put(E, "b", &answer(false, None), reuse, now, wall);
        cache.put(
            E,
            "c",
            &answer(true, Some(unix_seconds(wall) - 1)),
            reuse,
            now,
            wall,
        );
        cache.put(
            E,
            "d",
            &answer(true, Some(unix_seconds(wall) + 5)),
            reuse,
            now,
            wall,
        );
        assert!(cache.get(E, "a", reuse, now, wall).is_some());
        assert!(cache.get(E, "b", reuse, now, wall).is_none(), "negative");
        assert!(cache.get(E, "c", reuse, now, wall).is_none(), "expired");
        let later = now + Duration::from_secs(6);
        let later_wall = wall + Duration::from_secs(6);
        assert!(cache.get(E, "a", reuse, later, later_wall).is_some());
        assert!(
            cache.get(E, "d", reuse, later, later_wall).is_none(),
            "past exp"
        );
        let after = now + reuse;
        assert!(
            cache.get(E, "a", reuse, after, wall).is_none(),
            "past reuse"
        );
        cache.put(E, "e", &answer(true, None), reuse, now, wall);
        cache.remove("e");
        assert!(cache.get(E, "e", reuse, now, wall).is_none(), "removed");
        cache.put(E, "f", &answer(true, None), reuse, now, wall);
        assert!(
            cache
                .get("https://other.example/i", "f", reuse, now, wall)
                .is_none(),
            "other endpoint"
        );
    }

    #[test]
    fn is_bounded() {
        let cache = IntrospectionCache::default();
        let now = Instant::now();
        let wall = SystemTime::now();
        let positive = answer(true, None);
        for index in 0..CAPACITY + 50 {
            let at = now + Duration::from_millis(index as u64);
            cache.put(
                E,
                &format!("token-{index}"),
                &positive,
                Duration::from_secs(60),
                at,
                wall,
            );
        }
        assert_eq!(cache.len(), CAPACITY);
        let at = now + Duration::from_millis(CAPACITY as u64 + 50);
        assert!(cache
            .get(E, "token-0", Duration::from_secs(60), at, wall)
            .is_none());
        let last = format!("token-{}", CAPACITY + 49);
        assert!(cache
            .get(E, &last, Duration::from_secs(60), at, wall)
            .is_some());
    }
}
