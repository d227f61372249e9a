//! RFC 7523 client assertions: the JWT of `private_key_jwt` client authentication
//! (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`).
//!
//! Signed with `ring`, which rustls already brings into the dependency tree: no
//! JWT crate, no second crypto library. Stateless and thread-safe.

mod key;
mod pem;
#[cfg(test)]
mod tests;

use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::Error;
use crate::secret::SecretString;

pub(crate) use key::SigningKey;

/// Lifetime of an assertion (`exp - iat`). An assertion is built for one request
/// and sent at once, so a minute covers the request and ordinary clock skew,
/// while a captured assertion is replayable for a minute at most, and a server
/// that remembers `jti` values until `exp` (RFC 7523 section 3, item 7) keeps
/// them only that long.
pub(crate) const ASSERTION_LIFETIME: Duration = Duration::from_secs(60);

/// A signed client assertion for `client_id`, to be sent to `audience`.
///
/// `audience` is the URL of the endpoint the assertion is sent to (the token
/// endpoint of the request). Header: `alg` (RS256 or ES256), `typ: JWT`, `kid`
/// when `key_id` is set. Claims: `iss` = `sub` = `client_id`, `aud`, `iat` =
/// `now`, `exp` = `iat` + [`ASSERTION_LIFETIME`], and a `jti` of 128 random bits,
/// unique per assertion. The result is a bearer credential until `exp`: treat it
/// as a secret.
pub(crate) fn client_assertion(
    key: &SigningKey,
    key_id: Option<&str>,
    client_id: &str,
    audience: &str,
    now: SystemTime,
) -> Result<SecretString, Error> {
    let issued_at = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| Error::configuration("the system clock is before 1970"))?
        .as_secs();
    let mut header = serde_json::Map::new();
    header.insert("alg".into(), key.algorithm().into());
    header.insert("typ".into(), "JWT".into());
    if let Some(key_id) = key_id {
        header.insert("kid".into(), key_id.into());
    }
    let claims = serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": issued_at,
        "exp": issued_at + ASSERTION_LIFETIME.as_secs(),
        "jti": random_id()?,
    });
    let mut signing_input = base64url(&serde_json::Value::Object(header).to_string());
    signing_input.push('.');
    signing_input.push_str(&base64url(&claims.to_string()));
    let signature = key.sign(signing_input.as_bytes())?;
    let mut assertion =
        String::with_capacity(signing_input.len() + 1 + signature.len() * 4 / 3 + 4);
    assertion.push_str(&signing_input);
    assertion.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature[..], &mut assertion);
    Ok(SecretString::new(assertion))
}

fn base64url(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(json)
}

/// 128 random bits, base64url: a `jti` no other assertion shares.
fn random_id() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::internal("the system random generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
