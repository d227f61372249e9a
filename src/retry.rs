//! Retry policy: exponential backoff with full jitter, and a per-identity retry budget.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use std::sync::Mutex;

use crate::fork::{lock, ForkLocal};

/// First backoff step.
pub(crate) const BACKOFF_BASE: Duration = Duration::from_millis(100);
/// Longest single backoff, `Retry-After` included.
pub(crate) const BACKOFF_CAP: Duration = Duration::from_secs(2);

/// A uniformly random duration in `[0, upper]`. Not for cryptography.
pub(crate) fn random_up_to(upper: Duration) -> Duration {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(upper.as_nanos() as u64);
    let nanos = upper.as_nanos() as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(hasher.finish() % (nanos + 1))
}

/// The wait before retry number `retry` (0-based): full jitter over
/// `min(cap, base * 2^retry)`, or the server's `Retry-After` when it asks for
/// longer, never above the cap.
pub(crate) fn backoff(retry: u32, retry_after: Option<Duration>) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
        .min(BACKOFF_CAP);
    let jittered = random_up_to(ceiling);
    match retry_after {
        Some(asked) => asked.min(BACKOFF_CAP).max(jittered),
        None => jittered,
    }
}

/// A token bucket shared by every client of one identity, so that during an
/// outage a large process does not multiply its load: each retry takes a token,
/// tokens come back slowly over time. Thread-safe; a forked child starts
/// with a full budget of its own.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    state: ForkLocal<Mutex<(f64, Instant)>>,
}

impl RetryBudget {
    /// Retries that may happen back to back.
    const CAPACITY: f64 = 20.0;
    /// Retries regained per second.
    const REFILL_PER_SEC: f64 = 1.0;

    /// A full budget, counted from the first retry.
    pub(crate) fn new() -> Self {
        RetryBudget {
            state: ForkLocal::new(),
        }
    }

    /// Takes one retry from the budget; false when it is spent.
    pub(crate) fn try_take(&self, now: Instant) -> bool {
        let state = self.state.get(|_| Mutex::new((Self::CAPACITY, now)));
        let mut state = lock(&state);
        let (tokens, last) = &mut *state;
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * Self::REFILL_PER_SEC).min(Self::CAPACITY);
        *last = now.max(*last);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for _ in 0..100 {
            assert!(backoff(0, None) <= BACKOFF_BASE);
            assert!(backoff(3, None) <= BACKOFF_BASE * 8);
            assert!(backoff(30, None) <= BACKOFF_CAP);
        }
    }

    #[test]
    fn retry_after_is_honoured_within_the_cap() {
        assert!(backoff(0, Some(Duration::from_secs(1))) >= Duration::from_secs(1));
        assert_eq!(backoff(0, Some(Duration::from_secs(60))), BACKOFF_CAP);
    }

    #[test]
    fn budget_runs_out_and_refills() {
        let start = Instant::now();
        let budget = RetryBudget::new();
        let taken = (0..100).filter(|_| budget.try_take(start)).count();
        assert_eq!(taken, 20);
        assert!(!budget.try_take(start));
        assert!(budget.try_take(start + Duration::from_secs(2)));
    }
}
