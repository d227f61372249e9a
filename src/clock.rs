//! Monotonic time, injectable so that tests move time instead of sleeping.

use std::fmt::Debug;
use std::time::Instant;

/// A source of monotonic instants. Thread-safe.
pub(crate) trait Clock: Send + Sync + Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
#[derive(Debug, Default)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that only moves when told to (tests).
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct FakeClock {
    start: Instant,
    offset_ms: std::sync::atomic::AtomicU64,
}

#[cfg(test)]
impl FakeClock {
    pub(crate) fn new() -> Self {
        FakeClock {
            start: Instant::now(),
            offset_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Moves time forward.
    pub(crate) fn advance(&self, by: std::time::Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as u64, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.start
            + std::time::Duration::from_millis(
                self.offset_ms.load(std::sync::atomic::Ordering::SeqCst),
            )
    }
}
