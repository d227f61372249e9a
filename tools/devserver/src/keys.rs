//! Public keys registered for `private_key_jwt` clients, and their signature checks.
//!
//! A key comes as a JWK (RFC 7517), a JWK Set (`{"keys": [...]}`) or a PEM
//! public key (`PUBLIC KEY`, i.e. SubjectPublicKeyInfo, or `RSA PUBLIC KEY`,
//! i.e. PKCS#1). Only what RS256 and ES256 need is kept: an RSA modulus and
//! exponent, or an uncompressed P-256 point. Verification is `ring`'s.
//! Plain data, freely cloned and shared between threads.

use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::Value;

use crate::encoding::{base64_decode, base64url_decode};

/// A public key that verifies client assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// The JWK `kid`, matched against the assertion header's `kid` when both are present.
    pub kid: Option<String>,
    material: Material,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Material {
    /// Big-endian modulus and exponent, without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// `0x04 || x || y`, 65 bytes.
    P256 { point: Vec<u8> },
}

impl PublicKey {
    /// Whether this key can check a signature made with JWS algorithm `alg`.
    pub(crate) fn fits(&self, alg: &str) -> bool {
        matches!(
            (&self.material, alg),
            (Material::Rsa { .. }, "RS256") | (Material::P256 { .. }, "ES256")
        )
    }

    /// Checks a JWS signature (`RS256`: PKCS#1 v1.5; `ES256`: R || S, 64 bytes).
    pub(crate) fn verifies(&self, message: &[u8], jws_signature: &[u8]) -> bool {
        match &self.material {
            Material::Rsa { n, e } => RsaPublicKeyComponents { n, e }
                .verify(
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                    message,
                    jws_signature,
                )
                .is_ok(),
            Material::P256 { point } => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, jws_signature)
                    .is_ok()
            }
        }
    }
}

/// Parses key text: JSON (a JWK or a JWK Set) when it starts with `{`, else PEM.
pub fn parse_keys(text: &str) -> Result<Vec<PublicKey>, String> {
    let text = text.trim();
    if text.starts_with('{') {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("key is not valid JSON: {e}"))?;
        keys_from_json(&value)
    } else {
        parse_pem(text).map(|key| vec![key])
    }
}

/// Keys from a JWK object, a JWK Set object or a string holding either or a PEM key.
pub(crate) fn keys_from_json(value: &Value) -> Result<Vec<PublicKey>, String> {
    match value {
        Value::String(text) => parse_keys(text),
        Value::Object(object) if object.contains_key("keys") => {
            let keys = object["keys"]
                .as_array()
                .filter(|keys| !keys.is_empty())
                .ok_or("`keys` must be a non-empty array of JWKs")?;
            keys.iter().map(parse_jwk).collect()
        }
        Value::Object(_) => parse_jwk(value).map(|key| vec![key]),
        _ => Err("a key must be a JWK, a JWK Set or a PEM string".to_owned()),
    }
}

fn parse_jwk(jwk: &Value) -> Result<PublicKey, String> {
    let member = |name: &str| jwk.get(name).and_then(Value::as_str);
    let bytes = |name: &str| {
        member(name)
            .and_then(base64url_decode)
            .filter(|bytes| !bytes.is_empty())
            .ok_or(format!("JWK member `{name}` must be unpadded base64url"))
    };
    if jwk.get("d").is_some() {
        return Err("this JWK holds a private key: register the public key only".to_owned());
    }
    let material = match member("kty") {
        Some("RSA") => Material::Rsa {
            n: strip_zeros(bytes("n")?),
            e: strip_zeros(bytes("e")?),
        },
        Some("EC") if member("crv") == Some("P-256") => {
            let (x, y) = (bytes("x")?, bytes("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err("P-256 coordinates must be 32 bytes each".to_owned());
            }
            Material::P256 {
                point: [&[4], &x[..], &y[..]].concat(),
            }
        }
        Some("EC") => return Err("only the EC curve P-256 is supported".to_owned()),
        other => return Err(format!("unsupported JWK kty {other:?} (RSA or EC)")),
    };
    Ok(PublicKey {
        kid: member("kid").map(str::to_owned),
        material,
    })
}

/// DER prefixes of the algorithm identifiers we accept (tag, length, value).
const RSA_ENCRYPTION: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];
const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const PRIME256V1: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

fn parse_pem(text: &str) -> Result<PublicKey, String> {
    let label = text
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.split_once("-----"))
        .map(|(label, _)| label)
        .ok_or("key is neither JSON nor PEM")?;
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64_decode(body.trim()).ok_or("the PEM body is not Base64")?;
    let material = match label {
        "PUBLIC KEY" => parse_spki(&der)?,
        "RSA PUBLIC KEY" => parse_rsa_public_key(&der)?,
        other => {
            return Err(format!(
                "unsupported PEM label {other:?} (give a public key)"
            ))
        }
    };
    Ok(PublicKey {
        kid: None,
        material,
    })
}

/// SubjectPublicKeyInfo: `SEQUENCE { SEQUENCE { OID, params }, BIT STRING }`.
fn parse_spki(der: &[u8]) -> Result<Material, String> {
    let malformed = || "malformed SubjectPublicKeyInfo".to_owned();
    let (spki, _) = read_tlv(der, 0x30).ok_or_else(malformed)?;
    let (algorithm, rest) = read_tlv(spki, 0x30).ok_or_else(malformed)?;
    let (bits, _) = read_tlv(rest, 0x03).ok_or_else(malformed)?;
    let key = bits.strip_prefix(&[0]).ok_or_else(malformed)?;
    if algorithm.starts_with(RSA_ENCRYPTION) {
        parse_rsa_public_key(key)
    } else if algorithm == [EC_PUBLIC_KEY, PRIME256V1].concat() {
        if key.len() != 65 || key[0] != 4 {
            return Err("the P-256 key is not an uncompressed point".to_owned());
        }
        Ok(Material::P256 {
            point: key.to_vec(),
        })
    } else {
        Err("unsupported key algorithm (RSA or EC P-256)".to_owned())
    }
}

/// PKCS#1 RSAPublicKey: `SEQUENCE { INTEGER n, INTEGER e }`.
fn parse_rsa_public_key(der: &[u8]) -> Result<Material, String> {
    let malformed = || "malformed RSA public key".to_owned();
    let (sequence, _) = read_tlv(der, 0x30).ok_or_else(malformed)?;
    let (n, rest) = read_tlv(sequence, 0x02).ok_or_else(malformed)?;
    let (e, _) = read_tlv(rest, 0x02).ok_or_else(malformed)?;
    Ok(Material::Rsa {
        n: strip_zeros(n.to_vec()),
        e: strip_zeros(e.to_vec()),
    })
}

/// Reads one DER element with tag `tag`: `(contents, rest)`.
fn read_tlv(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |acc, &byte| acc << 8 | usize::from(byte));
        (length, &rest[count..])
    };
    (found == tag && rest.len() >= length).then(|| rest.split_at(length))
}

fn strip_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|&&byte| byte == 0).count();
    bytes.drain(..zeros);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC_PEM: &str = include_str!("../tests/keys/ec.pub.pem");

    #[test]
    fn parses_pem_and_jwk_forms() {
        let pem = parse_keys(EC_PEM).unwrap();
        assert!(pem[0].fits("ES256") && !pem[0].fits("RS256"));
        let Material::P256 { point } = &pem[0].material else {
            panic!("not EC")
        };
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": "k1",
            "x": encode(&point[1..33]), "y": encode(&point[33..]),
        });
        let from_jwk = keys_from_json(&serde_json::json!({ "keys": [jwk] })).unwrap();
        assert_eq!(from_jwk[0].material, pem[0].material);
        assert_eq!(from_jwk[0].kid.as_deref(), Some("k1"));
        let rsa = parse_keys(include_str!("../tests/keys/rsa.pub.pem")).unwrap();
        assert!(rsa[0].fits("RS256") && !rsa[0].fits("ES256"));
        let Material::Rsa { n, e } = &rsa[0].material else {
            panic!("not RSA")
        };
        assert_eq!((n.len(), e.as_slice()), (256, &[1, 0, 1][..]));
    }

    #[test]
    fn refuses_bad_keys() {
        for bad in [
            "nope",
            "{",
            r#"{"kty":"oct","k":"AA"}"#,
            r#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#,
            r#"{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}"#,
            r#"{"keys":[]}"#,
            "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        ] {
            assert!(parse_keys(bad).is_err(), "{bad}");
        }
    }

    fn encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }
}
