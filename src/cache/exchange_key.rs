//! The keys of the exchanged-token cache: SipHash-2-4 with a 128-bit output,
//! under a random key drawn for the identity when it is created, of every
//! parameter that changes an exchanged token.
//!
//! The index holds these 16 bytes and nothing else of the parameters: a
//! memory dump of it shows no token, and the key that would let one test a
//! guess against it never leaves the process. Without that key, a parameter
//! list that lands on another's entry is a chance of one in 2^128 per try,
//! per entry. SipHash, not HMAC-SHA256: the key is computed on every cached
//! call, and SipHash costs tens of nanoseconds where ring's HMAC-SHA256
//! costs hundreds.
//!
//! Framing. The hasher reads the parameters where they are (no copy of a
//! token is made), then the length of each one given (4 bytes each), then 4
//! bytes saying which were given (a bit each) and how many there are: read
//! from the end, these split the bytes back into the parameters, so that no
//! two parameter lists run together. Written last, the lengths are also
//! what the hasher's pending bytes hold when it finishes: its state on the
//! stack keeps no byte of a parameter.

use ring::rand::{SecureRandom, SystemRandom};
use siphasher::sip128::{Hasher128, SipHasher24};
use std::hash::Hasher;

/// The key of one exchange: 128 bits of a keyed hash of its parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ExchangeKey {
    low: u64,
    high: u64,
}

impl ExchangeKey {
    /// Bits to place the key in a table with (already a keyed hash: no
    /// further mixing needed).
    #[inline]
    pub(crate) fn bits(self) -> u64 {
        self.low
    }
}

/// The secret key of one identity's exchange keys. `Debug` shows nothing of it.
pub(crate) struct KeyHasher {
    k0: u64,
    k1: u64,
}

impl std::fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHasher([redacted])")
    }
}

impl KeyHasher {
    /// A hasher under a new random key; `None` when the system has no random
    /// bytes to give.
    pub(crate) fn random() -> Option<Self> {
        let mut bytes = [0u8; 16];
        SystemRandom::new().fill(&mut bytes).ok()?;
        let (low, high) = bytes.split_at(8);
        Some(KeyHasher {
            k0: u64::from_le_bytes(low.try_into().ok()?),
            k1: u64::from_le_bytes(high.try_into().ok()?),
        })
    }

    /// The key of the exchange made of `fields` (a tag naming the kind of
    /// exchange first, then every parameter in a fixed order, `None` for one
    /// left out).
    #[inline]
    pub(crate) fn key(&self, fields: &[Option<&[u8]>]) -> ExchangeKey {
        debug_assert!(fields.len() <= 16, "the framing has room for 16 fields");
        let mut hasher = SipHasher24::new_with_keys(self.k0, self.k1);
        let mut present = 0u32;
        for (index, field) in fields.iter().enumerate() {
            if let Some(bytes) = field {
                hasher.write(bytes);
                present |= 1 << index;
            }
        }
        for bytes in fields.iter().flatten() {
            // u32::MAX at most: more than any parameter has here.
            hasher.write_u32(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        }
        hasher.write_u32(present | (fields.len() as u32) << 16);
        let hash = hasher.finish128();
        ExchangeKey {
            low: hash.h1,
            high: hash.h2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_long_fields_are_framed_alike() {
        let hasher = KeyHasher::random().unwrap();
        let long = vec![b'x'; 1000];
        let key = hasher.key(&[Some(b"t"), Some(&long), None]);
        assert_eq!(key, hasher.key(&[Some(b"t"), Some(&long), None]));
        assert_ne!(key, hasher.key(&[Some(b"t"), Some(&long[1..]), None]));
        assert_ne!(key, hasher.key(&[Some(b"t"), Some(&long), Some(b"")]));
    }

    #[test]
    fn keys_differ_in_any_byte_and_framing() {
        let hasher = KeyHasher::random().unwrap();
        let key = |fields: &[Option<&[u8]>]| hasher.key(fields);
        let base = key(&[Some(b"delegate"), Some(b"user-token"), Some(b"aud"), None]);
        assert_eq!(
            base,
            key(&[Some(b"delegate"), Some(b"user-token"), Some(b"aud"), None])
        );
        let token = b"user-token";
        for at in 0..token.len() {
            let mut changed = *token;
            changed[at] ^= 1;
            let other = key(&[Some(b"delegate"), Some(&changed), Some(b"aud"), None]);
            assert_ne!(base, other, "byte {at}");
        }
        for other in [
            key(&[Some(b"delegate"), Some(b"user-toke"), Some(b"naud"), None]),
            key(&[
                Some(b"delegate"),
                Some(b"user-token"),
                Some(b"aud"),
                Some(b""),
            ]),
            key(&[Some(b"delegate"), Some(b"user-token"), None, Some(b"aud")]),
            key(&[Some(b"exchange"), Some(b"user-token"), Some(b"aud"), None]),
            key(&[Some(b"delegate"), Some(b"user-token"), Some(b"aud")]),
            key(&[
                Some(b"delegate"),
                Some(b"user-token"),
                Some(b"aud"),
                None,
                None,
            ]),
        ] {
            assert_ne!(base, other);
        }
        // Another identity draws another key: the same parameters meet nowhere.
        let other_identity = KeyHasher::random().unwrap();
        assert_ne!(
            other_identity.key(&[Some(b"delegate"), Some(b"user-token"), Some(b"aud"), None]),
            base
        );
    }

    #[test]
    fn the_key_is_siphash_2_4_of_the_framed_parameters() {
        // The framing written out by hand, hashed in one piece by the crate.
        let hasher = KeyHasher { k0: 7, k1: 11 };
        let mut framed = b"Dtokenaud".to_vec();
        // The lengths of D, token and aud; fields 0, 1 and 2 of 4 given.
        for word in [1u32, 5, 3, 0b0111 | 4 << 16] {
            framed.extend_from_slice(&word.to_le_bytes());
        }
        let expected = SipHasher24::new_with_keys(7, 11).hash(&framed);
        let key = hasher.key(&[Some(b"D"), Some(b"token"), Some(b"aud"), None]);
        assert_eq!((key.low, key.high), (expected.h1, expected.h2));
        assert_eq!(std::mem::size_of::<ExchangeKey>(), 16);
        assert_eq!(format!("{hasher:?}"), "KeyHasher([redacted])");
    }
}
