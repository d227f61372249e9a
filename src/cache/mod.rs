//! The token cache of one identity: a small state machine over the cached token.
//!
//! States, by the time `now` relative to the cached token:
//! - **empty** (no token, or past its real expiry): callers wait for one refresh;
//! - **fresh** (`now < refresh_at`): the token is returned, lock-free;
//! - **advisory** (`refresh_at <= now < stale_at`): the token is returned at once
//!   and the first caller starts one background refresh;
//! - **mandatory** (`stale_at <= now < expires_at`): callers wait for one refresh,
//!   each up to its own deadline, then take the still-valid token.
//!
//! A failed refresh while the token is still valid keeps it in service and backs
//! off; a non-recoverable failure with no token is remembered for a few seconds;
//! from the second refresh in a row that fails for a transient reason with no
//! valid token, the failure is remembered for a growing, jittered time (an
//! outage costs the server one fetch per identity and backoff, not one per
//! call, and recovery is spread).
//! A token is never handed out at or past `expires_at`. A fetched token that
//! may not be cached ([`Fetched::cacheable`]) goes to the callers of its
//! flight only.
//!
//! One `TokenCache` holds the access token of an identity; the exchanged-token
//! cache (`exchanged`) is a bounded index of them, one per exchange.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwapOption;

use crate::clock::{unix_ms, Clock};
use crate::error::{Error, Operation};
pub(crate) use crate::flow::{Fetched, TokenSource};
use crate::fork::{lock, ForkLocal};
use crate::log::{self, log, Held, Level};
use crate::retry::random_up_to;
use crate::secret::SecretString;
use crate::stats::{bump, Counters};

/// See [`invalidation_counter`].
static INVALIDATIONS: AtomicU32 = AtomicU32::new(0);

/// The process-wide invalidation counter: bumped whenever a cached token is
/// dropped or replaced before its time (invalidated, force-refreshed, cleared
/// after a panic), in any identity. A lease (see
/// [`crate::Client::access_token_lease`]) holds only while the counter keeps
/// the value it had before the call that granted it. Process-wide, so that
/// its address stays valid for good (bindings read it without a call); an
/// invalidation in one identity costs the leases of the others one more call.
pub fn invalidation_counter() -> &'static AtomicU32 {
    &INVALIDATIONS
}

/// How long a non-recoverable failure (bad credentials) is remembered.
const REMEMBER_FAILURE: Duration = Duration::from_secs(5);
/// Backoff after a failed refresh while the token is valid: 30-60 s, jittered...
const FAILURE_BACKOFF_MIN: Duration = Duration::from_secs(30);
/// ...but never longer than half the token's remaining life, nor shorter than this.
const FAILURE_BACKOFF_FLOOR: Duration = Duration::from_secs(1);
/// Backoff after the second failed refresh in a row with no valid token,
/// doubling with each further failure up to [`OUTAGE_BACKOFF_MAX`]; half of
/// each is random (equal jitter).
const OUTAGE_BACKOFF_BASE: Duration = Duration::from_secs(1);
const OUTAGE_BACKOFF_MAX: Duration = Duration::from_secs(10);
/// Advisory window bounds (before expiry).
const ADVISORY_MIN: Duration = Duration::from_secs(60);
const ADVISORY_MAX: Duration = Duration::from_secs(300);

/// A cached token and the instants that decide its state.
///
/// The mandatory point depends on each caller's own expiry buffer; the
/// points of the buffer the token was placed with are kept precomputed for
/// the cached path.
#[derive(Debug)]
pub(crate) struct CachedToken {
    pub(crate) token: SecretString,
    issued_at: Instant,
    pub(crate) expires_at: Instant,
    /// `expires_at` as Unix milliseconds (what `wi_get_access_token_with_expiry` reports).
    pub(crate) expires_at_unix_ms: i64,
    /// The advisory point before any buffer applies: the server's
    /// `refresh_in`, or `expires - window` (window jittered at placement).
    advisory_at: Option<Instant>,
    placed_buffer: Duration,
    /// How much earlier than halfway to the mandatory point a token refreshes
    /// when its advisory window does not fit its life (short tokens), in
    /// thousandths of that usable life: 0 to 125, drawn at placement so that a
    /// fleet does not refresh short tokens in step.
    early_permille: u32,
    refresh_at: Instant,
    stale_at: Instant,
}

/// A token lent to a caller for the length of a callback (see
/// [`crate::Client::access_token_lease`]). `Debug` shows no token.
#[derive(Clone, Copy)]
pub struct Lease<'a> {
    /// The access token. Do not keep it past the callback without copying.
    pub token: &'a str,
    /// How long the caller may keep reusing it without asking again (zero
    /// when it did not come from a fresh cache entry).
    pub fresh_for: Duration,
    /// Its expiry: the issue time plus `expires_in`, as Unix milliseconds.
    pub expires_at_unix_ms: i64,
}

impl std::fmt::Debug for Lease<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("token", &"[redacted]")
            .field("fresh_for", &self.fresh_for)
            .field("expires_at_unix_ms", &self.expires_at_unix_ms)
            .finish()
    }
}

impl CachedToken {
    /// Places the advisory and mandatory points of a fresh token.
    ///
    /// Mandatory point: `expires_in - expiry_buffer`, but a token whose lifetime is
    /// not above twice the buffer is used for the first half of its life.
    /// Advisory point: `refresh_in` if the server sent one; else
    /// `expires - window`, window = half the lifetime clamped to 60 s..5 min,
    /// less up to a quarter of it at random; if that falls outside the usable
    /// life, halfway to the mandatory point less up to an eighth of that
    /// usable life at random.
    fn place(fetched: Fetched, expiry_buffer: Duration, clock: &dyn Clock) -> CachedToken {
        let lifetime = fetched.expires_in;
        let expires_at = fetched.sent_at + lifetime;
        let advisory_at = match fetched.refresh_in {
            Some(refresh_in) => Some(fetched.sent_at + refresh_in),
            None => {
                let window = (lifetime / 2).clamp(ADVISORY_MIN, ADVISORY_MAX);
                expires_at.checked_sub(window - random_up_to(window / 4))
            }
        };
        let mut token = CachedToken {
            token: fetched.token,
            issued_at: fetched.sent_at,
            expires_at,
            expires_at_unix_ms: unix_ms(clock, expires_at),
            advisory_at,
            placed_buffer: expiry_buffer,
            early_permille: random_up_to(Duration::from_millis(125)).as_millis() as u32,
            refresh_at: expires_at,
            stale_at: expires_at,
        };
        (token.refresh_at, token.stale_at) = token.compute_points(expiry_buffer);
        token
    }

    /// The advisory and mandatory points for a caller whose buffer is `expiry_buffer`.
    fn points(&self, expiry_buffer: Duration) -> (Instant, Instant) {
        if expiry_buffer == self.placed_buffer {
            (self.refresh_at, self.stale_at)
        } else {
            self.compute_points(expiry_buffer)
        }
    }

    fn compute_points(&self, expiry_buffer: Duration) -> (Instant, Instant) {
        let lifetime = self.expires_at - self.issued_at;
        let stale_at = self.expires_at - expiry_buffer.min(lifetime / 2);
        let usable = stale_at - self.issued_at;
        let halfway = self.issued_at + usable / 2 - usable * self.early_permille / 1000;
        let refresh_at = match self.advisory_at {
            Some(advisory) if advisory >= self.issued_at && advisory < stale_at => advisory,
            _ => halfway,
        };
        (refresh_at.min(stale_at), stale_at)
    }

    /// Its advisory point for a caller whose buffer is `expiry_buffer`, if
    /// `now` is before it: the token is fresh (what a cache hit is).
    #[inline(always)]
    pub(crate) fn fresh_until(&self, now: Instant, expiry_buffer: Duration) -> Option<Instant> {
        let (refresh_at, _) = self.points(expiry_buffer);
        (now < refresh_at).then_some(refresh_at)
    }

    /// The token lent for `fresh_for` (zero: ask again next time).
    pub(crate) fn lease(&self, fresh_for: Duration) -> Lease<'_> {
        Lease {
            token: self.token.expose(),
            fresh_for,
            expires_at_unix_ms: self.expires_at_unix_ms,
        }
    }
}

/// A fresh cached token held for one caller (see [`TokenCache::fresh`]):
/// its token, and its lease computed only if asked for. Holding it keeps the
/// token alive (a replaced token is dropped when the last holder lets go), so
/// drop it within the call.
pub(crate) struct Fresh {
    held: arc_swap::Guard<Option<Arc<CachedToken>>>,
    now: Instant,
    refresh_at: Instant,
}

impl Fresh {
    #[inline(always)]
    fn cached(&self) -> &CachedToken {
        match self.held.as_deref() {
            Some(token) => token,
            None => unreachable!("a Fresh holds a token"),
        }
    }

    /// The token.
    #[inline(always)]
    pub(crate) fn token(&self) -> &str {
        self.cached().token.expose()
    }

    /// The token with its lease: fresh until the advisory point.
    #[inline]
    pub(crate) fn lease(&self) -> Lease<'_> {
        self.cached().lease(self.refresh_at - self.now)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Flight {
    id: u64,
}

#[derive(Debug, Default)]
struct State {
    flight: Option<Flight>,
    next_flight: u64,
    /// The last finished flight and its outcome, for the callers that waited on it.
    finished: Option<(u64, Outcome)>,
    backoff_until: Option<Instant>,
    remembered: Option<(Error, Instant)>,
    /// Refreshes in a row that failed for a transient (retryable) reason.
    failures: u32,
    /// One warning per run of failures.
    warned: bool,
}

/// The refresh state and the condition its waiters wait on. A forked child
/// gets a new one (see `crate::fork`): a flight in the parent has no thread
/// there, and the child refreshes on its own.
#[derive(Debug, Default)]
struct Flights {
    state: Mutex<State>,
    done: Condvar,
}

type Guard<'a> = MutexGuard<'a, State>;

/// What a finished flight leaves for its waiters: its error, or the token it
/// fetched when that token was not cached (`None`: it is in the cache).
type Outcome = Result<Option<Arc<CachedToken>>, Error>;

/// The cache of one token (an identity's access token, or one exchanged
/// token). Thread-safe; shared behind an `Arc` by every client of the
/// identity. The cached token carries over into a forked child.
#[derive(Debug)]
pub(crate) struct TokenCache {
    current: ArcSwapOption<CachedToken>,
    flights: ForkLocal<Flights>,
    clock: Arc<dyn Clock>,
    /// Shared by the caches counted together (every exchanged token of an identity).
    pub(crate) counters: Arc<Counters>,
    /// What the token is, for log lines ("access token").
    label: &'static str,
}

/// What a caller needs besides the cache: its own refresh policy and deadline.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Call {
    pub(crate) expiry_buffer: Duration,
    pub(crate) deadline: Instant,
}

impl TokenCache {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        TokenCache::counted(clock, Arc::new(Counters::default()), "access token")
    }

    /// A cache whose counters are `counters` (shared with other caches) and
    /// whose log lines call the token `label`.
    pub(crate) fn counted(
        clock: Arc<dyn Clock>,
        counters: Arc<Counters>,
        label: &'static str,
    ) -> Self {
        TokenCache {
            current: ArcSwapOption::empty(),
            flights: ForkLocal::new(),
            clock,
            counters,
            label,
        }
    }

    /// The lock-free read path: the cached token, held for the caller, if it
    /// is fresh for a caller whose buffer is `expiry_buffer` (a cache hit,
    /// counted). No lock, no syscall, no allocation. Always inlined: the
    /// hit then stays in registers (returned through memory, it cost more
    /// than the lookup).
    #[inline(always)]
    pub(crate) fn fresh(&self, expiry_buffer: Duration) -> Option<Fresh> {
        // The clock first: its read (rdtscp in the vDSO) waits for every
        // earlier instruction, the load's atomic exchange included (2 ns).
        // Read a few nanoseconds earlier, `now` serves a token that long
        // past its advisory point at most.
        let now = self.clock.now();
        let held = self.current.load();
        let refresh_at = held.as_ref()?.fresh_until(now, expiry_buffer)?;
        self.counters.cache_hits.bump();
        Some(Fresh {
            held,
            now,
            refresh_at,
        })
    }

    /// [`TokenCache::fresh`] with the token's lease lent to `use_token`; else
    /// `use_token` handed back unused.
    #[inline]
    pub(crate) fn fresh_with<R, F: FnOnce(Lease<'_>) -> R>(
        &self,
        expiry_buffer: Duration,
        use_token: F,
    ) -> Result<R, F> {
        match self.fresh(expiry_buffer) {
            Some(fresh) => Ok(use_token(fresh.lease())),
            None => Err(use_token),
        }
    }

    /// The cached token, if any (fresh or not).
    pub(crate) fn cached(&self) -> Option<Arc<CachedToken>> {
        self.current.load_full()
    }

    /// The expiry (Unix ms) of the cached token, if any.
    pub(crate) fn expires_at_unix_ms(&self) -> Option<i64> {
        self.current
            .load()
            .as_ref()
            .map(|token| token.expires_at_unix_ms)
    }

    /// Whether a usable (unexpired) token is cached.
    pub(crate) fn has_valid_token(&self) -> bool {
        let now = self.clock.now();
        self.current
            .load()
            .as_ref()
            .is_some_and(|token| now < token.expires_at)
    }

    /// This process's refresh state (a forked child starts a new one).
    fn flights(&self) -> Arc<Flights> {
        self.flights.get(|_| Flights::default())
    }

    /// A token: fresh from the cache, or after the refresh that the state calls for.
    pub(crate) fn get(
        self: &Arc<Self>,
        source: &Arc<dyn TokenSource>,
        call: Call,
    ) -> Result<Arc<CachedToken>, Error> {
        let flights = self.flights();
        let mut state = lock(&flights.state);
        let mut counted_miss = false;
        loop {
            let now = self.clock.now();
            let current = self
                .current
                .load_full()
                .filter(|token| now < token.expires_at);
            if current.is_none() {
                // Past its real expiry (or never there): wipe it.
                self.current.store(None);
            }
            let (refresh_at, stale_at) = match &current {
                Some(token) => token.points(call.expiry_buffer),
                None => (now, now),
            };
            match current {
                Some(token) if now < refresh_at => {
                    if !counted_miss {
                        self.counters.cache_hits.bump();
                    }
                    return Ok(token);
                }
                Some(token) if now < stale_at => {
                    let backing_off = state.backoff_until.is_some_and(|until| now < until);
                    let mut note = None;
                    if state.flight.is_none() && !backing_off {
                        note = self.start_background(&flights, &mut state, source.clone(), call);
                    }
                    if !counted_miss {
                        self.counters.cache_hits.bump();
                    }
                    drop(state);
                    emit(note);
                    return Ok(token);
                }
                Some(token) => {
                    if state.backoff_until.is_some_and(|until| now < until) {
                        bump(&self.counters.stale_served);
                        return Ok(token);
                    }
                    if let Some(flight) = state.flight {
                        let (relocked, finished) =
                            wait(&flights, state, flight, self.clock.as_ref(), call.deadline);
                        state = relocked;
                        if !finished {
                            // Our own deadline came first; the token is still valid.
                            bump(&self.counters.stale_served);
                            return Ok(token);
                        }
                        if let Some(uncached) = uncached_of(&state, flight) {
                            return Ok(uncached);
                        }
                        continue;
                    }
                    return match self.lead(&flights, state, source.as_ref(), call) {
                        Ok(fresh) => Ok(fresh),
                        Err(_) if self.clock.now() < token.expires_at => {
                            bump(&self.counters.stale_served);
                            Ok(token)
                        }
                        Err(error) => Err(error),
                    };
                }
                None => {
                    if !counted_miss {
                        bump(&self.counters.cache_misses);
                        counted_miss = true;
                    }
                    if let Some((error, until)) = &state.remembered {
                        if now < *until {
                            return Err(error.clone());
                        }
                    }
                    if let Some(flight) = state.flight {
                        let (relocked, uncached) =
                            join(&flights, state, flight, self.clock.as_ref(), call.deadline)?;
                        if let Some(uncached) = uncached {
                            return Ok(uncached);
                        }
                        state = relocked;
                        continue;
                    }
                    return self.lead(&flights, state, source.as_ref(), call);
                }
            }
        }
    }

    /// Fetches a new token now, joining a refresh already in flight. On failure
    /// the cached token, if still valid, stays in service for other callers.
    pub(crate) fn force_refresh(
        self: &Arc<Self>,
        source: &Arc<dyn TokenSource>,
        call: Call,
    ) -> Result<Arc<CachedToken>, Error> {
        let flights = self.flights();
        let mut state = lock(&flights.state);
        if let Some(flight) = state.flight {
            let (relocked, uncached) =
                join(&flights, state, flight, self.clock.as_ref(), call.deadline)?;
            if let Some(uncached) = uncached {
                return Ok(uncached);
            }
            state = relocked;
            if let Some(token) = self.current.load_full() {
                if self.clock.now() < token.expires_at {
                    return Ok(token);
                }
            }
        }
        let fresh = self.lead(&flights, state, source.as_ref(), call)?;
        // After the new token is stored: a lease granted from now on is for it.
        INVALIDATIONS.fetch_add(1, Ordering::Release);
        Ok(fresh)
    }

    /// A valid token without waiting on the network: the token if it is
    /// fresh or advisory for this caller (starting the one background refresh
    /// an advisory token calls for), or while a failing refresh backs off;
    /// `None` when the caller would have to wait.
    pub(crate) fn peek(
        self: &Arc<Self>,
        source: &Arc<dyn TokenSource>,
        call: Call,
    ) -> Option<Arc<CachedToken>> {
        let token = self.current.load_full()?;
        let now = self.clock.now();
        let (refresh_at, stale_at) = token.points(call.expiry_buffer);
        if now < refresh_at {
            self.counters.cache_hits.bump();
            return Some(token);
        }
        if now >= token.expires_at {
            return None;
        }
        let flights = self.flights();
        let mut state = lock(&flights.state);
        let backing_off = state.backoff_until.is_some_and(|until| now < until);
        if now >= stale_at {
            if backing_off {
                bump(&self.counters.stale_served);
                return Some(token);
            }
            return None;
        }
        let mut note = None;
        if state.flight.is_none() && !backing_off {
            note = self.start_background(&flights, &mut state, source.clone(), call);
        }
        self.counters.cache_hits.bump();
        drop(state);
        emit(note);
        Some(token)
    }

    /// Drops the cached token if it is still `rejected`; returns whether it was.
    pub(crate) fn invalidate(&self, rejected: &str) -> bool {
        let flights = self.flights();
        let mut state = lock(&flights.state);
        if matches!(&state.finished, Some((_, Ok(Some(token)))) if token.token.expose() == rejected)
        {
            state.finished = None;
        }
        let current = self.current.load();
        let matches = current
            .as_ref()
            .is_some_and(|token| token.token.expose() == rejected);
        if matches {
            self.current.store(None);
            state.backoff_until = None;
            // After the token is gone: a lease granted from now on is for another.
            INVALIDATIONS.fetch_add(1, Ordering::Release);
        }
        matches
    }

    /// Forgets everything (after a caught panic).
    pub(crate) fn clear(&self) {
        let flights = self.flights();
        let mut state = lock(&flights.state);
        self.current.store(None);
        state.backoff_until = None;
        state.remembered = None;
        state.finished = None;
        INVALIDATIONS.fetch_add(1, Ordering::Release);
    }

    fn begin(&self, state: &mut State) -> Flight {
        let flight = Flight {
            id: state.next_flight,
        };
        state.next_flight += 1;
        state.flight = Some(flight);
        bump(&self.counters.refreshes_started);
        flight
    }

    /// Runs one refresh on this thread, the lock released meanwhile.
    fn lead(
        &self,
        flights: &Flights,
        mut state: Guard<'_>,
        source: &dyn TokenSource,
        call: Call,
    ) -> Result<Arc<CachedToken>, Error> {
        let flight = self.begin(&mut state);
        drop(state);
        let (result, held) = run_source(source, call.deadline);
        let (outcome, note) = self.finish(flights, &mut lock(&flights.state), flight, result, call);
        held.emit();
        emit(note);
        outcome
    }

    /// Starts one refresh on a new thread; callers keep the current token.
    /// Returns a line to log once the lock is released.
    fn start_background(
        self: &Arc<Self>,
        flights: &Arc<Flights>,
        state: &mut State,
        source: Arc<dyn TokenSource>,
        call: Call,
    ) -> Note {
        let flight = self.begin(state);
        let cache = Arc::clone(self);
        let flights_of_flight = Arc::clone(flights);
        let spawned = std::thread::Builder::new()
            .name("wi-refresh".into())
            .spawn(move || {
                let flights = flights_of_flight;
                let (result, held) = run_source(source.as_ref(), call.deadline);
                // The outcome is recorded for everyone; nobody waits on this thread.
                let (_, note) =
                    cache.finish(&flights, &mut lock(&flights.state), flight, result, call);
                held.emit();
                emit(note);
            });
        if spawned.is_err() {
            state.flight = None;
            return Some((
                Level::Warn,
                "could not start a background token refresh".into(),
            ));
        }
        None
    }

    /// Records the outcome of `flight` and wakes its waiters. Returns the
    /// outcome and a line to log once the lock is released.
    fn finish(
        &self,
        flights: &Flights,
        state: &mut State,
        flight: Flight,
        result: Result<Fetched, Error>,
        call: Call,
    ) -> (Result<Arc<CachedToken>, Error>, Note) {
        if state.flight == Some(flight) {
            state.flight = None;
        }
        let now = self.clock.now();
        let result = result.and_then(|fetched| {
            if fetched.sent_at + fetched.expires_in <= now {
                Err(Error::new(
                    Operation::AccessToken,
                    "the token expired before it arrived",
                ))
            } else {
                Ok(fetched)
            }
        });
        let outcome = match result {
            Ok(fetched) => {
                let cacheable = fetched.cacheable;
                let cached = Arc::new(CachedToken::place(
                    fetched,
                    call.expiry_buffer,
                    self.clock.as_ref(),
                ));
                let note = if cacheable {
                    self.current.store(Some(cached.clone()));
                    state.finished = Some((flight.id, Ok(None)));
                    (Level::Info, format!("{} refreshed", self.label))
                } else {
                    state.finished = Some((flight.id, Ok(Some(cached.clone()))));
                    let line = format!("{} fetched, not cached (no expires_in)", self.label);
                    (Level::Debug, line)
                };
                state.backoff_until = None;
                state.remembered = None;
                state.failures = 0;
                state.warned = false;
                bump(&self.counters.refreshes_succeeded);
                (Ok(cached), Some(note))
            }
            Err(error) => {
                let mut note = None;
                bump(&self.counters.refreshes_failed);
                state.failures = match error.is_retryable() {
                    true => state.failures.saturating_add(1),
                    false => 0,
                };
                if error.is_non_recoverable() {
                    state.remembered = Some((error.clone(), now + REMEMBER_FAILURE));
                }
                let valid = self
                    .current
                    .load()
                    .as_ref()
                    .filter(|token| now < token.expires_at)
                    .map(|token| token.expires_at - now);
                if let Some(remaining) = valid {
                    let backoff = FAILURE_BACKOFF_MIN + random_up_to(FAILURE_BACKOFF_MIN);
                    let backoff = backoff.min((remaining / 2).max(FAILURE_BACKOFF_FLOOR));
                    state.backoff_until = Some(now + backoff);
                    if !state.warned {
                        state.warned = true;
                        note = Some((
                            Level::Warn,
                            format!(
                                "token refresh failed, still serving the cached token \
                                 ({}s left), next attempt in {}s: {error}",
                                remaining.as_secs(),
                                backoff.as_secs()
                            ),
                        ));
                    }
                } else {
                    if state.failures >= 2 {
                        let backoff = outage_backoff(state.failures);
                        state.remembered = Some((error.clone(), now + backoff));
                    }
                    // Every caller waiting on this refresh gets this error.
                    note = Some((Level::Error, format!("token refresh failed: {error}")));
                }
                state.finished = Some((flight.id, Err(error.clone())));
                (Err(error), note)
            }
        };
        flights.done.notify_all();
        outcome
    }
}

/// How long the error of the `failures`-th failed refresh in a row (2 or more)
/// is served without asking the server: 1 s doubling to 10 s, half of it random.
fn outage_backoff(failures: u32) -> Duration {
    let step = failures.saturating_sub(2).min(16);
    let ceiling = OUTAGE_BACKOFF_BASE
        .saturating_mul(1 << step)
        .min(OUTAGE_BACKOFF_MAX);
    ceiling / 2 + random_up_to(ceiling / 2)
}

/// Waits for `flight` and shares its outcome: its error if it failed, its
/// token if that was not cached, a retryable error if `deadline` came first
/// (the flight goes on for others).
fn join<'a>(
    flights: &'a Flights,
    state: Guard<'a>,
    flight: Flight,
    clock: &dyn Clock,
    deadline: Instant,
) -> Result<(Guard<'a>, Option<Arc<CachedToken>>), Error> {
    let (state, finished) = wait(flights, state, flight, clock, deadline);
    if !finished {
        return Err(Error::new(
            Operation::Refresh,
            "gave up waiting for the token refresh in flight at the call's deadline",
        )
        .retryable(true));
    }
    match &state.finished {
        Some((id, Err(error))) if *id == flight.id => Err(error.clone()),
        _ => {
            let uncached = uncached_of(&state, flight);
            Ok((state, uncached))
        }
    }
}

/// The token `flight` fetched for its callers alone (not cached), once it finished.
fn uncached_of(state: &State, flight: Flight) -> Option<Arc<CachedToken>> {
    match &state.finished {
        Some((id, Ok(Some(token)))) if *id == flight.id => Some(token.clone()),
        _ => None,
    }
}

/// Waits for `flight` to finish; false if `deadline` came first.
fn wait<'a>(
    flights: &'a Flights,
    mut state: Guard<'a>,
    flight: Flight,
    clock: &dyn Clock,
    deadline: Instant,
) -> (Guard<'a>, bool) {
    // The deadline is on the identity's clock (a test's may not move while
    // the flight runs): turned into real time once.
    let end = Instant::now() + deadline.saturating_duration_since(clock.now());
    while state.flight == Some(flight) {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (state, false);
        }
        state = flights
            .done
            .wait_timeout(state, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
    (state, true)
}

/// A log line held back until the state lock is released: a host's log
/// callback may call back into the library.
type Note = Option<(Level, String)>;

fn emit(note: Note) {
    if let Some((level, line)) = note {
        log(level, || line);
    }
}

/// Runs a fetch; a panic inside it becomes an internal error, never a stuck
/// flight. Its log lines are held back, to be emitted once the flight is over.
fn run_source(source: &dyn TokenSource, deadline: Instant) -> (Result<Fetched, Error>, Held) {
    log::holding(|| {
        catch_unwind(AssertUnwindSafe(|| source.fetch(deadline)))
            .unwrap_or_else(|_| Err(Error::internal("panic during token refresh")))
    })
}

#[cfg(test)]
impl TokenCache {
    /// Whether a refresh is in flight (tests wait for background refreshes).
    pub(crate) fn is_refreshing(&self) -> bool {
        lock(&self.flights().state).flight.is_some()
    }
}

#[cfg(test)]
mod scenarios;

mod exchange_key;
pub(crate) mod exchanged;
mod index;
