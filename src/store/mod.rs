//! The `file:<DIR>` token store: cached tokens shared by the processes of a host.
//!
//! - [`FileStore`] is the checked directory: created 0700 (missing parents too),
//!   refused when owned by another user or writable by group or others, probed
//!   for writing. Every failure is a [`crate::ErrorKind::Store`] error.
//! - [`StoreEntry`] is one identity's file in it. Its name and its content's MAC
//!   come from a key derived from the identity's credentials and settings
//!   ([`StoreEntry`] says how), so processes with the same settings meet at the
//!   same file, and an entry written under other credentials is never served.
//! - The file holds [`StoredTokens`] and nothing else: no client secret,
//!   password or key. Written to a temporary file (0600, fsync) and renamed, so a
//!   reader sees the old entry or the new one, never a mix. A missing, corrupt
//!   or foreign entry reads as `None` and is replaced by the next write.
//! - `lock::StoreLock` is an advisory lock per entry, so that the processes sharing
//!   the directory run one refresh at a time and the others read its result.
//!
//! - [`StoredSource`] puts a flow's token source behind the entry, and
//!   [`StoredExchangeSource`] an exchange's fetch (`exchanged`).
//!
//! Times are Unix milliseconds: `Instant`s mean nothing in another process.
mod exchanged;
mod file;
mod format;
mod lock;
mod shared;
#[cfg(test)]
mod tests;

pub(crate) use exchanged::StoredExchangeSource;
pub(crate) use file::{FileStore, StoreEntry};
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use format::EntryKey;
pub(crate) use shared::{forget_token, StoredSource};

use crate::secret::SecretString;

/// The content of one entry: the identity's cached tokens.
///
/// `Debug` shows no token (they are [`SecretString`]s).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StoredTokens {
    /// The access token of the identity's flow, if one is cached.
    pub(crate) access_token: Option<StoredToken>,
    /// The current refresh token (rotated: the latest one the server issued).
    pub(crate) refresh_token: Option<SecretString>,
    /// Exchanged tokens, each under its key (see [`StoreEntry::exchange_key`]).
    pub(crate) exchanged: Vec<StoredExchange>,
    /// Until when the processes of the host take a failed refresh of another
    /// process as their own answer instead of asking the server again.
    pub(crate) failed_until_unix_ms: Option<i64>,
}

/// A token and the times that place it in the cache's states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredToken {
    pub(crate) token: SecretString,
    /// When the request that obtained it was sent (the "issue time" of the contract).
    pub(crate) issued_at_unix_ms: i64,
    /// Issue time + `expires_in`.
    pub(crate) expires_at_unix_ms: i64,
    /// The server's `refresh_in` hint, as an instant, when it sent one.
    pub(crate) refresh_at_unix_ms: Option<i64>,
}

/// An exchanged token under the key of its exchange's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredExchange {
    /// A key that reveals nothing of the parameters: [`StoreEntry::exchange_key`].
    pub(crate) key: String,
    pub(crate) token: StoredToken,
}
