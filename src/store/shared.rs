//! A flow's tokens shared through the file store: the processes of a host
//! that share a directory cost one server round trip per token lifetime.
//!
//! [`StoredSource`] wraps the flow's token source. Under the entry's lock it
//! first reads the entry: a token newer than this process's own (another
//! process refreshed it) and not yet stale for this caller is taken as it is;
//! otherwise the flow fetches one and the entry is replaced. The refresh token
//! always comes from the entry first, so a rotation made by another process is
//! never undone. A refresh that fails for a transient reason is marked in the
//! entry for a second or two, and the other processes of the host take that
//! failure as their own answer meanwhile instead of each asking the server
//! (an outage costs the server one attempt per host, not one per process). A
//! store that fails (lock timeout, unreadable or unwritable file) is logged
//! and the token is served from memory all the same.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::lock::StoreLock;
use super::{StoreEntry, StoredToken, StoredTokens};
use crate::clock::{instant_of_unix_ms, unix_ms, Clock};
use crate::error::{Error, Operation};
use crate::flow::{Fetched, TokenSource};
use crate::log::{log, Level};
use crate::retry::random_up_to;
use crate::session::Session;

/// How long a transient failure of one process is every process's answer
/// (plus up to as much again at random, so the host's next attempts spread).
const SHARED_FAILURE: Duration = Duration::from_secs(1);

/// The flow's token source, behind the session's file store entry. Thread-safe.
pub(crate) struct StoredSource {
    pub(crate) flow: Arc<dyn TokenSource>,
    pub(crate) session: Arc<Session>,
}

impl StoredSource {
    fn entry(&self) -> &StoreEntry {
        self.session
            .identity
            .store
            .as_ref()
            .expect("a StoredSource only exists for an identity with a store")
    }

    /// `stored` as a fetched token, if this process should take it rather
    /// than fetch (see [`adoptable`]).
    fn adoptable(&self, stored: &StoredToken) -> Option<Fetched> {
        let session = &self.session;
        adoptable(
            stored,
            session.identity.cache.expires_at_unix_ms(),
            session.config.clock.as_ref(),
            session.config.expiry_buffer,
        )
    }
}

/// `stored` as a fetched token, if a process holding a token that expires at
/// `held_expiry` (Unix ms) should take it rather than fetch: newer than the
/// token it holds, and not stale for a caller whose buffer is `expiry_buffer`.
pub(super) fn adoptable(
    stored: &StoredToken,
    held_expiry: Option<i64>,
    clock: &dyn Clock,
    expiry_buffer: Duration,
) -> Option<Fetched> {
    if let Some(held) = held_expiry {
        if stored.expires_at_unix_ms <= held {
            return None;
        }
    }
    let issued_at = instant_of_unix_ms(clock, stored.issued_at_unix_ms)?;
    let expires_in = Duration::from_millis(
        u64::try_from(stored.expires_at_unix_ms - stored.issued_at_unix_ms).ok()?,
    );
    let buffer = expiry_buffer.min(expires_in / 2);
    if clock.now() >= issued_at + expires_in - buffer {
        return None;
    }
    let refresh_in = stored
        .refresh_at_unix_ms
        .and_then(|at| u64::try_from(at - stored.issued_at_unix_ms).ok())
        .map(Duration::from_millis);
    Some(Fetched {
        token: stored.token.clone(),
        sent_at: issued_at,
        expires_in,
        refresh_in,
        cacheable: true,
    })
}

/// `fetched` as it is kept in a store entry.
pub(super) fn stored_token(fetched: &Fetched, clock: &dyn Clock) -> StoredToken {
    StoredToken {
        token: fetched.token.clone(),
        issued_at_unix_ms: unix_ms(clock, fetched.sent_at),
        expires_at_unix_ms: unix_ms(clock, fetched.sent_at + fetched.expires_in),
        refresh_at_unix_ms: fetched
            .refresh_in
            .map(|refresh_in| unix_ms(clock, fetched.sent_at + refresh_in)),
    }
}

/// Locks `entry` and reads it, for a fetch due by `deadline`: the lock waits
/// in real time, as long as the call has left. Best effort: a lock that
/// cannot be taken is `None` and an unreadable entry reads as empty, each
/// said in a warning (the fetch then goes to the server).
pub(super) fn lock_and_read(
    session: &Session,
    entry: &StoreEntry,
    deadline: Instant,
) -> (Option<StoreLock>, StoredTokens) {
    let wait = deadline.saturating_duration_since(session.now());
    let lock = entry
        .lock(Instant::now() + wait)
        .map_err(|error| warn("lock", &error))
        .ok();
    let stored = entry
        .read()
        .map_err(|error| warn("read", &error))
        .ok()
        .flatten()
        .unwrap_or_default();
    (lock, stored)
}

impl TokenSource for StoredSource {
    fn fetch(&self, deadline: Instant) -> Result<Fetched, Error> {
        let session = &self.session;
        let entry = self.entry();
        let (lock, stored) = lock_and_read(session, entry, deadline);
        if let Some(refresh_token) = &stored.refresh_token {
            session.identity.keep_refresh_token(refresh_token.clone());
        }
        if let Some(fetched) = stored.access_token.as_ref().and_then(|t| self.adoptable(t)) {
            return Ok(fetched);
        }
        let clock = session.config.clock.as_ref();
        let now_ms = unix_ms(clock, clock.now());
        if let Some(until) = stored.failed_until_unix_ms.filter(|until| *until > now_ms) {
            // Another process of the host just failed: its answer is ours.
            return Err(Error::new(
                Operation::Refresh,
                format!(
                    "another process sharing the token store failed to refresh this token \
                     just now; the next attempt is in {} ms",
                    until - now_ms
                ),
            )
            .retryable(true));
        }
        let fetched = match self.flow.fetch(deadline) {
            Ok(fetched) => fetched,
            Err(error) => {
                if error.is_retryable() {
                    // The others of the host take this failure as theirs for a
                    // moment instead of each asking the server again.
                    let pause = SHARED_FAILURE + random_up_to(SHARED_FAILURE);
                    let marked = StoredTokens {
                        failed_until_unix_ms: Some(now_ms + pause.as_millis() as i64),
                        ..stored
                    };
                    if let Err(write_error) = entry.write(&marked) {
                        warn("write", &write_error);
                    }
                }
                return Err(error);
            }
        };
        let updated = StoredTokens {
            access_token: Some(stored_token(&fetched, clock)),
            refresh_token: session
                .identity
                .refresh_token()
                .map(|token| (*token).clone()),
            exchanged: stored.exchanged,
            failed_until_unix_ms: None,
        };
        if let Err(error) = entry.write(&updated) {
            warn("write", &error);
        }
        drop(lock);
        Ok(fetched)
    }
}

/// Drops `token` (one a service refused, or one revoked) from the entry,
/// wherever it is (access, refresh or exchanged token), so that no process of
/// the host serves it again; an entry left with no token is removed.
pub(crate) fn forget_token(session: &Session, entry: &StoreEntry, token: &str) {
    let wait = Instant::now() + Duration::from_secs(1).min(session.config.deadline);
    let Ok(_lock) = entry.lock(wait).map_err(|error| warn("lock", &error)) else {
        return;
    };
    let Ok(Some(mut stored)) = entry.read().map_err(|error| warn("read", &error)) else {
        return;
    };
    let before = stored.clone();
    let is_token = |stored: &StoredToken| stored.token.expose() == token;
    if stored.access_token.as_ref().is_some_and(is_token) {
        stored.access_token = None;
    }
    if stored
        .refresh_token
        .as_ref()
        .is_some_and(|refresh| refresh.expose() == token)
    {
        stored.refresh_token = None;
    }
    stored
        .exchanged
        .retain(|exchanged| !is_token(&exchanged.token));
    let result = if stored == StoredTokens::default() {
        entry.remove()
    } else if stored != before {
        entry.write(&stored)
    } else {
        Ok(())
    };
    if let Err(error) = result {
        warn("update", &error);
    }
}

/// Logs a store failure (the token is served from memory all the same).
pub(super) fn warn(what: &str, error: &Error) {
    log(Level::Warn, || {
        format!("token store: could not {what} the shared entry, going on without it: {error}")
    });
}
