//! RFC 7523 client assertions (`private_key_jwt`): decoding, signature and claims checks.
//!
//! Pure functions over the caller's state; the replay set of `jti`s is passed in.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::encoding::base64url_decode;
use crate::keys::PublicKey;

/// `client_assertion_type` of a JWT client assertion (RFC 7523 section 2.2).
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Longest accepted assertion lifetime: `exp` at most this far in the future.
pub(crate) const MAX_LIFETIME_SECS: u64 = 600;

/// Tolerated clock difference for `iat` and `nbf`.
const CLOCK_SKEW_SECS: u64 = 30;

/// A compact JWS split into its parts; nothing verified yet.
struct Jws {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

/// The `alg` of a compact JWS header, if it decodes (used to name the method).
pub(crate) fn header_alg(compact: &str) -> Option<String> {
    let header = compact.split('.').next()?;
    let header: Value = serde_json::from_slice(&base64url_decode(header)?).ok()?;
    header.get("alg")?.as_str().map(str::to_owned)
}

fn decode(compact: &str) -> Result<Jws, String> {
    let parts: Vec<&str> = compact.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("client_assertion is not a compact JWS (three parts)".to_owned());
    };
    let object = |part: &str, name: &str| -> Result<Map<String, Value>, String> {
        base64url_decode(part)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .and_then(|value: Value| value.as_object().cloned())
            .ok_or(format!(
                "client_assertion {name} is not base64url of a JSON object"
            ))
    };
    Ok(Jws {
        header: object(header, "header")?,
        claims: object(claims, "payload")?,
        signing_input: format!("{header}.{claims}"),
        signature: base64url_decode(signature)
            .ok_or("client_assertion signature is not base64url")?,
    })
}

/// Verifies `compact` and returns the client it authenticates.
///
/// `keys_of` gives a client's registered keys; `audiences` are the URLs by
/// which this endpoint was reached (one must be in `aud`); `seen` is the
/// replay set, which gains the `jti` on success. Errors describe the first
/// failed check and never include the assertion.
pub(crate) fn verify<'k>(
    compact: &str,
    keys_of: impl Fn(&str) -> Option<&'k [PublicKey]>,
    audiences: &[String],
    seen: &mut HashMap<String, u64>,
) -> Result<String, String> {
    let jws = decode(compact)?;
    let alg = jws.header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg != "RS256" && alg != "ES256" {
        return Err(format!(
            "client_assertion alg {alg:?} is not accepted (RS256 or ES256)"
        ));
    }
    let claim = |name: &str| jws.claims.get(name).and_then(Value::as_str);
    let issuer = claim("iss").ok_or("client_assertion has no iss")?;
    if claim("sub") != Some(issuer) {
        return Err("client_assertion sub must equal iss (the client id)".to_owned());
    }
    let keys = keys_of(issuer).ok_or("unknown client")?;
    let kid = jws.header.get("kid").and_then(Value::as_str);
    let candidates: Vec<&PublicKey> = keys
        .iter()
        .filter(|key| {
            key.fits(alg) && (kid.is_none() || key.kid.is_none() || key.kid.as_deref() == kid)
        })
        .collect();
    if candidates.is_empty() {
        return Err(format!(
            "client {issuer} has no registered {alg} key{}",
            kid.map(|kid| format!(" with kid {kid:?}"))
                .unwrap_or_default()
        ));
    }
    let signed = jws.signing_input.as_bytes();
    if !candidates
        .iter()
        .any(|key| key.verifies(signed, &jws.signature))
    {
        return Err("client_assertion signature does not verify".to_owned());
    }
    check_audience(&jws.claims, audiences)?;
    let expires = check_times(&jws.claims)?;
    let jti = claim("jti")
        .filter(|jti| !jti.is_empty())
        .ok_or("client_assertion has no jti")?;
    let now = unix_now();
    seen.retain(|_, exp| *exp >= now);
    if seen.contains_key(jti) {
        return Err("client_assertion jti was already used".to_owned());
    }
    seen.insert(jti.to_owned(), expires);
    Ok(issuer.to_owned())
}

fn check_audience(claims: &Map<String, Value>, audiences: &[String]) -> Result<(), String> {
    let listed: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => return Err("client_assertion has no aud".to_owned()),
    };
    if listed
        .iter()
        .any(|aud| audiences.iter().any(|url| url == aud))
    {
        Ok(())
    } else {
        Err(format!(
            "client_assertion aud must be this endpoint's URL {}",
            audiences[0]
        ))
    }
}

/// Checks `exp` (future, at most [`MAX_LIFETIME_SECS`] away), `iat` and `nbf`; returns `exp`.
fn check_times(claims: &Map<String, Value>) -> Result<u64, String> {
    let now = unix_now();
    let time = |name: &str| -> Result<Option<u64>, String> {
        match claims.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .or_else(|| value.as_f64().filter(|t| *t >= 0.0).map(|t| t as u64))
                .map(Some)
                .ok_or(format!("client_assertion {name} must be a NumericDate")),
        }
    };
    let expires = time("exp")?.ok_or("client_assertion has no exp")?;
    if expires <= now {
        return Err("client_assertion has expired".to_owned());
    }
    if expires > now + MAX_LIFETIME_SECS {
        return Err(format!(
            "client_assertion exp is more than {MAX_LIFETIME_SECS} s away"
        ));
    }
    if time("iat")?.is_some_and(|iat| iat > now + CLOCK_SKEW_SECS) {
        return Err("client_assertion iat is in the future".to_owned());
    }
    if time("nbf")?.is_some_and(|nbf| nbf > now + CLOCK_SKEW_SECS) {
        return Err("client_assertion is not valid yet (nbf)".to_owned());
    }
    Ok(expires)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
