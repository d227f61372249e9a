//! Exchanged tokens shared through the file store, as the access token is
//! (`shared`): the processes of a host that share a directory make one
//! exchange per token lifetime for the same parameters.
//!
//! [`StoredExchangeSource`] wraps the fetch of one exchange. Under the
//! entry's lock it reads the entry: a stored token of the same exchange,
//! newer than this process's and not stale for this caller, is taken as it
//! is; otherwise the exchange is sent and its token written back beside the
//! others. A delegation's actor token (the workload's own access token, kept
//! behind the same lock) is obtained before the lock is taken.
//!
//! Each token is stored under [`StoreEntry::exchange_key`] of its exchange's
//! parameters: the same in every process of the identity, revealing nothing
//! of them. An entry keeps at most `exchange_cache_size` exchanged tokens:
//! expired ones are dropped at each write, then those that expire first. A
//! token whose answer had no `expires_in` is not written.

use std::time::Instant;

use super::shared::{adoptable, lock_and_read, stored_token, warn};
use super::{StoreEntry, StoredExchange};
use crate::clock::unix_ms;
use crate::error::Error;
use crate::exchange::ExchangeSource;
use crate::flow::{Fetched, TokenSource};
use crate::session::Session;

/// One exchange's fetch, behind the identity's file store entry. Thread-safe.
pub(crate) struct StoredExchangeSource {
    exchange: ExchangeSource,
    /// The exchange's key in the entry.
    key: String,
}

impl StoredExchangeSource {
    /// `exchange` behind the store, its key made of `tag` and `fields` (the
    /// exchange cache's key fields: a tag naming the kind of exchange, then
    /// every parameter, `None` for one left out).
    pub(crate) fn new(exchange: ExchangeSource, tag: u8, fields: &[Option<&[u8]>]) -> Self {
        let mut parts: Vec<&[u8]> = Vec::with_capacity(fields.len() * 2 + 2);
        let tag = [tag];
        for field in std::iter::once(Some(&tag[..])).chain(fields.iter().copied()) {
            match field {
                Some(value) => parts.extend([&b"\x01"[..], value]),
                None => parts.push(b"\x00"),
            }
        }
        let key = entry_of(exchange.client().session()).exchange_key(&parts);
        StoredExchangeSource { exchange, key }
    }
}

fn entry_of(session: &Session) -> &StoreEntry {
    session
        .identity
        .store
        .as_ref()
        .expect("a StoredExchangeSource only exists for an identity with a store")
}

impl TokenSource for StoredExchangeSource {
    fn fetch(&self, deadline: Instant) -> Result<Fetched, Error> {
        let session = self.exchange.client().session();
        let config = &session.config;
        let clock = config.clock.as_ref();
        let entry = entry_of(session);
        let actor = self.exchange.actor(deadline)?;
        let (lock, mut stored) = lock_and_read(session, entry, deadline);
        let found = stored
            .exchanged
            .iter()
            .find(|exchanged| exchanged.key == self.key);
        let held = self.exchange.held_expiry();
        if let Some(fetched) =
            found.and_then(|found| adoptable(&found.token, held, clock, config.expiry_buffer))
        {
            return Ok(fetched);
        }
        let fetched = self.exchange.request(actor.as_ref(), deadline)?;
        if fetched.cacheable {
            let now = unix_ms(clock, clock.now());
            let exchanged = &mut stored.exchanged;
            exchanged.retain(|kept| kept.key != self.key && kept.token.expires_at_unix_ms > now);
            exchanged.push(StoredExchange {
                key: self.key.clone(),
                token: stored_token(&fetched, clock),
            });
            if exchanged.len() > config.exchange_cache_size {
                exchanged.sort_by_key(|kept| std::cmp::Reverse(kept.token.expires_at_unix_ms));
                exchanged.truncate(config.exchange_cache_size);
            }
            if let Err(error) = entry.write(&stored) {
                warn("write", &error);
            }
        }
        drop(lock);
        Ok(fetched)
    }
}
