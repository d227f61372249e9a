//! The private key of `private_key_jwt`: read from a PEM file, checked, and kept
//! as a `ring` key pair.
//!
//! Accepted: PKCS#8 (`PRIVATE KEY`) holding RSA or EC P-256, PKCS#1
//! (`RSA PRIVATE KEY`) and SEC1 (`EC PRIVATE KEY`, P-256). RSA signs RS256, P-256
//! signs ES256. `ring` reads PKCS#8 and PKCS#1 itself; a SEC1 key is handed over
//! as its two parts (the private scalar and the public point, both inside the SEC1
//! structure) through `EcdsaKeyPair::from_private_key_and_public_key`, which checks
//! that they belong together: no PKCS#8 wrapper is built.
//!
//! Every copy of key material this module makes (the file, the base64 body, the
//! DER) is wiped on drop. The `ring` key pair itself is not (ring offers no
//! zeroization); it lives as long as the [`SigningKey`].

use std::fmt;
use std::io::Read;
use std::path::Path;

use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::jwt::pem::{self, PemError};

/// A private key file larger than this is refused before parsing (a 16384-bit
/// RSA key in PEM is under 13 KiB).
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// A key that signs client assertions. Immutable; `Send + Sync`.
///
/// `Debug` shows the algorithm only.
pub(crate) struct SigningKey {
    pair: KeyPair,
    /// SHA-256 of the key's DER: secret-derived, so that a token store can key
    /// entries by the key itself and not by its (public) path.
    digest: Zeroizing<[u8; 32]>,
}

enum KeyPair {
    Rs256(RsaKeyPair),
    Es256(EcdsaKeyPair),
}

/// DER object identifiers met in private keys (contents octets only).
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_DSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_ED448: &[u8] = &[0x2b, 0x65, 0x71];
const OID_X25519: &[u8] = &[0x2b, 0x65, 0x6e];
const OID_X448: &[u8] = &[0x2b, 0x65, 0x6f];

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_EXPLICIT_0: u8 = 0xa0;
const TAG_EXPLICIT_1: u8 = 0xa1;

impl SigningKey {
    /// Reads and checks the PEM private key at `path`.
    ///
    /// Every failure is a configuration error naming the path and saying what is
    /// wrong (unreadable, empty, too large, not PEM, encrypted, not a private key,
    /// unsupported algorithm or curve); none holds any of the file's content.
    pub(crate) fn load(path: &Path) -> Result<SigningKey, Error> {
        let fail =
            |why: &str| Error::configuration(format!("private key file {}: {why}", path.display()));
        let text = read_capped(path).map_err(|why| fail(&why))?;
        if text.trim_ascii().is_empty() {
            return Err(fail("is empty"));
        }
        let blocks = pem::decode(&text).map_err(|error| {
            fail(match error {
                PemError::Unterminated => "is not valid PEM (a BEGIN line without its END line)",
                PemError::BadBase64 => "is not valid PEM (a block is not base64)",
            })
        })?;
        if blocks.is_empty() {
            return Err(fail(
                "is not PEM (no -----BEGIN line); expected a PKCS#8, PKCS#1 or SEC1 private key",
            ));
        }
        if blocks
            .iter()
            .any(|block| block.encrypted || block.label == "ENCRYPTED PRIVATE KEY")
        {
            return Err(fail(
                "holds an encrypted private key, which is not supported \
                 (store it unencrypted, readable by this user only)",
            ));
        }
        let mut keys = blocks
            .iter()
            .filter(|block| block.label.ends_with("PRIVATE KEY"));
        let Some(block) = keys.next() else {
            let found: Vec<&str> = blocks.iter().map(|block| block.label.as_str()).collect();
            return Err(fail(&format!(
                "holds no private key (found {}); expected a PKCS#8, PKCS#1 or SEC1 private key",
                found.join(", ")
            )));
        };
        if keys.next().is_some() {
            return Err(fail("holds more than one private key"));
        }
        let pair = match block.label.as_str() {
            "PRIVATE KEY" => pkcs8(&block.der),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&block.der)
                .map(KeyPair::Rs256)
                .map_err(|rejected| rsa_rejected(&rejected.to_string())),
            "EC PRIVATE KEY" => sec1(&block.der),
            "OPENSSH PRIVATE KEY" => Err("is in OpenSSH format; convert it to PKCS#8 \
                 (ssh-keygen -p -m PKCS8 -f FILE)"
                .to_owned()),
            "DSA PRIVATE KEY" => Err(unsupported_algorithm("DSA")),
            other => Err(format!("holds an unsupported kind of key ({other})")),
        }
        .map_err(|why| fail(&why))?;
        Ok(SigningKey {
            pair,
            digest: Zeroizing::new(ring_sha256(&block.der)),
        })
    }

    /// The JWS `alg` of the signatures: `RS256` or `ES256`.
    pub(crate) fn algorithm(&self) -> &'static str {
        match self.pair {
            KeyPair::Rs256(_) => "RS256",
            KeyPair::Es256(_) => "ES256",
        }
    }

    /// SHA-256 of the private key's DER. Secret-derived: for keying (e.g. the token
    /// store's entry key), never for display.
    pub(crate) fn secret_digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The JWS signature of `message`: RSASSA-PKCS1-v1_5 SHA-256 for RSA, or
    /// ECDSA P-256 SHA-256 as R || S (64 bytes, JWS form, not DER).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let random = SystemRandom::new();
        let failed = |_| Error::internal("signing the client assertion failed");
        match &self.pair {
            KeyPair::Rs256(pair) => {
                let mut signature = Zeroizing::new(vec![0; pair.public().modulus_len()]);
                pair.sign(&RSA_PKCS1_SHA256, &random, message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
            KeyPair::Es256(pair) => {
                let signature = pair.sign(&random, message).map_err(failed)?;
                Ok(Zeroizing::new(signature.as_ref().to_vec()))
            }
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, [redacted])", self.algorithm())
    }
}

/// The file, whole, if it is a readable regular file of at most the cap.
fn read_capped(path: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    let unreadable = |error: std::io::Error| format!("cannot be read ({error})");
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if metadata.is_dir() {
        return Err("is a directory".to_owned());
    }
    if metadata.len() > MAX_KEY_FILE_BYTES {
        return Err(too_large());
    }
    // Capacity for one byte past the cap: the buffer is never reallocated, so no
    // unwiped copy of the key is left behind, and a file that grew is caught.
    let mut text = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE_BYTES as usize + 1));
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(unreadable)?;
    if text.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(too_large());
    }
    Ok(text)
}

fn too_large() -> String {
    format!(
        "is larger than {} KiB, which no PEM private key is",
        MAX_KEY_FILE_BYTES / 1024
    )
}

fn unsupported_algorithm(name: &str) -> String {
    format!("holds a {name} key; only RSA (RS256) and EC P-256 (ES256) keys are supported")
}

fn unsupported_curve(name: &str) -> String {
    format!("holds an EC key on {name}; only P-256 (ES256) is supported")
}

fn rsa_rejected(reason: &str) -> String {
    match reason {
        "TooSmall" => "holds an RSA key shorter than 2048 bits, which is refused".to_owned(),
        "TooLarge" => "holds an RSA key longer than 8192 bits, which is refused".to_owned(),
        other => format!("holds an RSA key that cannot be used ({other})"),
    }
}

/// PKCS#8 PrivateKeyInfo (RFC 5208): SEQUENCE { version, AlgorithmIdentifier,
/// OCTET STRING key, ... }. Only the algorithm is read here; ring parses the rest.
fn pkcs8(der: &[u8]) -> Result<KeyPair, String> {
    let malformed = || "holds a malformed PKCS#8 private key".to_owned();
    let mut outer = Der::new(der);
    let mut info = outer.expect(TAG_SEQUENCE).ok_or_else(malformed)?;
    info.expect(TAG_INTEGER).ok_or_else(malformed)?;
    let mut algorithm = info.expect(TAG_SEQUENCE).ok_or_else(malformed)?;
    let oid = algorithm.expect(TAG_OID).ok_or_else(malformed)?.rest;
    match oid {
        OID_RSA => RsaKeyPair::from_pkcs8(der)
            .map(KeyPair::Rs256)
            .map_err(|rejected| rsa_rejected(&rejected.to_string())),
        OID_EC_PUBLIC_KEY => {
            match algorithm.expect(TAG_OID).map(|curve| curve.rest) {
                Some(OID_P256) => {}
                Some(curve) => return Err(unsupported_curve(curve_name(curve))),
                None => return Err(unsupported_curve("explicit curve parameters")),
            }
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &SystemRandom::new())
                .map(KeyPair::Es256)
                .map_err(|rejected| format!("holds an EC key that cannot be used ({})", rejected))
        }
        OID_RSA_PSS => Err(unsupported_algorithm("RSASSA-PSS (restricted RSA)")),
        OID_ED25519 => Err(unsupported_algorithm("Ed25519")),
        OID_ED448 => Err(unsupported_algorithm("Ed448")),
        OID_X25519 => Err(unsupported_algorithm("X25519")),
        OID_X448 => Err(unsupported_algorithm("X448")),
        OID_DSA => Err(unsupported_algorithm("DSA")),
        _ => Err("holds a key of an unknown algorithm; only RSA (RS256) and \
                  EC P-256 (ES256) keys are supported"
            .to_owned()),
    }
}

/// SEC1 ECPrivateKey (RFC 5915): SEQUENCE { INTEGER 1, OCTET STRING privateKey,
/// [0] namedCurve OPTIONAL, [1] BIT STRING publicKey OPTIONAL }.
fn sec1(der: &[u8]) -> Result<KeyPair, String> {
    let malformed = || "holds a malformed SEC1 EC private key".to_owned();
    let mut outer = Der::new(der);
    let mut key = outer.expect(TAG_SEQUENCE).ok_or_else(malformed)?;
    key.expect(TAG_INTEGER).ok_or_else(malformed)?;
    let private_scalar = key.expect(TAG_OCTET_STRING).ok_or_else(malformed)?.rest;
    let curve = key
        .optional(TAG_EXPLICIT_0)
        .and_then(|mut parameters| parameters.expect(TAG_OID))
        .map(|oid| oid.rest);
    match curve {
        Some(OID_P256) => {}
        Some(other) => return Err(unsupported_curve(curve_name(other))),
        None => return Err("holds an EC key without a named curve".to_owned()),
    }
    // A BIT STRING's first content byte counts its unused bits: 0 for a point.
    let public_point = match key
        .optional(TAG_EXPLICIT_1)
        .and_then(|mut wrapper| wrapper.expect(TAG_BIT_STRING))
        .map(|bits| bits.rest)
    {
        Some([0, point @ ..]) => point,
        Some(_) => return Err(malformed()),
        None => {
            return Err("holds an EC key without its public key, which is needed \
                        (rewrite it with: openssl ec -in FILE -out FILE)"
                .to_owned())
        }
    };
    EcdsaKeyPair::from_private_key_and_public_key(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        private_scalar,
        public_point,
        &SystemRandom::new(),
    )
    .map(KeyPair::Es256)
    .map_err(|rejected| format!("holds an EC key that cannot be used ({})", rejected))
}

fn curve_name(oid: &[u8]) -> &'static str {
    match oid {
        [0x2b, 0x81, 0x04, 0x00, 0x22] => "P-384",
        [0x2b, 0x81, 0x04, 0x00, 0x23] => "P-521",
        [0x2b, 0x81, 0x04, 0x00, 0x0a] => "secp256k1",
        [0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, ..] => "a Brainpool curve",
        _ => "an unknown curve",
    }
}

fn ring_sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// A minimal DER reader: definite lengths, single-byte tags; enough to find the
/// algorithm and curve of a key (ring re-parses the key strictly).
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(input: &'a [u8]) -> Self {
        Der { rest: input }
    }

    /// The contents of the next element, which must carry `tag`.
    fn expect(&mut self, tag: u8) -> Option<Der<'a>> {
        let (&found, after_tag) = self.rest.split_first()?;
        if found != tag {
            return None;
        }
        let (&first, after_length) = after_tag.split_first()?;
        let (length, body) = match first {
            0..=0x7f => (usize::from(first), after_length),
            0x81..=0x84 => {
                let count = usize::from(first & 0x7f);
                let (bytes, body) = after_length.split_at_checked(count)?;
                let length = bytes
                    .iter()
                    .fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
                (length, body)
            }
            _ => return None,
        };
        let (contents, rest) = body.split_at_checked(length)?;
        self.rest = rest;
        Some(Der { rest: contents })
    }

    /// The contents of the next element if it carries `tag`; otherwise nothing is
    /// consumed.
    fn optional(&mut self, tag: u8) -> Option<Der<'a>> {
        if self.rest.first() == Some(&tag) {
            self.expect(tag)
        } else {
            None
        }
    }
}
