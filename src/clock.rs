//! Time, injectable for the whole identity: the cache's refresh points, the
//! call deadlines, the retry waits and the issue time of every token read the
//! same clock, so that tests move time instead of sleeping.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of time for one identity. Implementations must be thread-safe.
///
/// The library uses [`SystemClock`] unless a client is configured with
/// [`crate::ConfigBuilder::clock`]; [`ManualClock`] is the one for tests.
pub trait Clock: Send + Sync + Debug {
    /// The current monotonic instant.
    fn now(&self) -> Instant;
    /// The current wall-clock time (only for reporting expiry as Unix time).
    fn wall(&self) -> SystemTime;
    /// Waits `duration` (a retry backoff).
    fn sleep(&self, duration: Duration);
}

/// The real clocks: `Instant::now`, `SystemTime::now`, `thread::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration)
    }
}

/// A clock that moves only when told to, for tests: [`ManualClock::advance`]
/// moves it, and a retry wait ([`Clock::sleep`]) moves it by the wait instead
/// of blocking. Network I/O still takes real time. Thread-safe.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    start_wall: SystemTime,
    offset_nanos: AtomicU64,
}

impl ManualClock {
    /// A clock that reads the real time of its creation until moved.
    pub fn new() -> Self {
        ManualClock {
            start: Instant::now(),
            start_wall: SystemTime::now(),
            offset_nanos: AtomicU64::new(0),
        }
    }

    /// Moves time forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_nanos
            .fetch_add(by.as_nanos() as u64, Ordering::SeqCst);
    }

    fn offset(&self) -> Duration {
        Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst))
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.offset()
    }

    fn wall(&self) -> SystemTime {
        self.start_wall + self.offset()
    }

    fn sleep(&self, duration: Duration) {
        self.advance(duration);
        std::thread::yield_now();
    }
}

/// The Unix time in milliseconds of `instant`, read on `clock`.
pub(crate) fn unix_ms(clock: &dyn Clock, instant: Instant) -> i64 {
    let now = clock.now();
    let wall = clock.wall();
    let at = if instant >= now {
        wall + (instant - now)
    } else {
        wall - (now - instant)
    };
    match at.duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_millis() as i64,
        Err(before) => -(before.duration().as_millis() as i64),
    }
}

/// The monotonic instant of the Unix time `unix_ms`, read on `clock`
/// (for token expiries read back from a store).
pub(crate) fn instant_of_unix_ms(clock: &dyn Clock, unix_ms: i64) -> Option<Instant> {
    let now = clock.now();
    let wall_ms = match clock.wall().duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_millis() as i64,
        Err(_) => return None,
    };
    let delta = unix_ms - wall_ms;
    if delta >= 0 {
        now.checked_add(Duration::from_millis(delta as u64))
    } else {
        now.checked_sub(Duration::from_millis(delta.unsigned_abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_when_told_and_when_sleeping() {
        let clock = ManualClock::new();
        let (t0, w0) = (clock.now(), clock.wall());
        clock.advance(Duration::from_secs(5));
        clock.sleep(Duration::from_millis(250));
        assert_eq!(clock.now() - t0, Duration::from_millis(5_250));
        assert_eq!(
            clock.wall().duration_since(w0).unwrap(),
            Duration::from_millis(5_250)
        );
    }

    #[test]
    fn unix_time_round_trips() {
        let clock = ManualClock::new();
        let later = clock.now() + Duration::from_secs(90);
        let ms = unix_ms(&clock, later);
        let back = instant_of_unix_ms(&clock, ms).unwrap();
        let drift = if back > later {
            back - later
        } else {
            later - back
        };
        assert!(drift < Duration::from_millis(2), "{drift:?}");
    }
}
