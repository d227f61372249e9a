//! Text encodings the protocols need: form-urlencoding, Base64, Base64url and random hex.
//!
//! Pure functions; the random generator is thread-safe.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Decodes an `application/x-www-form-urlencoded` body into ordered pairs.
///
/// `+` is a space and `%XX` a byte; invalid UTF-8 is replaced, a malformed
/// escape is kept literally, empty segments are skipped.
pub(crate) fn form_decode(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

/// Decodes one form-urlencoded component (`+` and `%XX`).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i + 1..i + 3) {
            Some(&[hi, lo]) if bytes[i] == b'%' => hex_value(hi).zip(hex_value(lo)),
            _ => None,
        };
        match (bytes[i], escaped) {
            (_, Some((hi, lo))) => {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
            (b'+', None) => out.push(b' '),
            (byte, None) => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|value| value as u8)
}

/// Decodes standard Base64 (padding optional); `None` if malformed.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    decode_sextets(text.trim_end_matches('='), |byte| match byte {
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    })
}

/// Decodes unpadded Base64url (RFC 7515 section 2, as in JWS); `None` if
/// malformed, padded or in the standard alphabet.
pub(crate) fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    decode_sextets(text, |byte| match byte {
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    })
}

/// Shared Base64 decoder; `last_two` maps the alphabet's symbols 62 and 63.
fn decode_sextets(text: &str, last_two: impl Fn(u8) -> Option<u8>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            _ => last_two(byte)?,
        };
        buffer = buffer << 6 | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    // A single leftover symbol (6 bits) cannot encode a byte.
    (bits < 6).then_some(out)
}

/// Returns 32 random lowercase hex digits (128 bits), unique per process.
pub(crate) fn random_hex32() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(nanos);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms() {
        let pairs = form_decode("a=1+2&b=%3A%2f%C3%A9&&c&d=%zz%4");
        let expected = [("a", "1 2"), ("b", ":/é"), ("c", ""), ("d", "%zz%4")];
        let expected: Vec<_> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(pairs, expected);
    }

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode("ZGV2OnNlY3JldA==").unwrap(), b"dev:secret");
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert_eq!(base64_decode(""), Some(Vec::new()));
        assert_eq!(base64_decode("Y"), None);
        assert_eq!(base64_decode("a*b="), None);
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(base64url_decode("+/8"), None);
        assert_eq!(base64url_decode("YQ=="), None);
    }

    #[test]
    fn random_hex_is_unique() {
        let (a, b) = (random_hex32(), random_hex32());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
