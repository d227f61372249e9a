//! RFC 7591 dynamic client registration: `POST /oauth2/register`.
//!
//! Client metadata (a JSON object) in; 201 with the metadata, `client_id`,
//! `client_id_issued_at` and, for the secret methods, `client_secret` and
//! `client_secret_expires_at: 0` out. `token_endpoint_auth_method` defaults
//! to `client_secret_basic`; `private_key_jwt` needs `jwks` (no `jwks_uri`:
//! this server fetches nothing). When an initial access token is configured,
//! it is required as `Authorization: Bearer`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::encoding::random_hex32;
use crate::form::invalid_request;
use crate::http::{RecordedRequest, Reply};
use crate::keys::keys_from_json;
use crate::state::State;

const AUTH_METHODS: [&str; 4] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

/// `POST /oauth2/register`.
pub(crate) fn register(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    check_initial_access_token(state, request)?;
    if !request.has_content_type("application/json") {
        return Err(invalid_request("Content-Type must be application/json"));
    }
    let mut metadata = match serde_json::from_str(&request.body) {
        Ok(Value::Object(metadata)) => metadata,
        _ => return Err(invalid_metadata("the body must be a JSON object")),
    };
    let method = match metadata.get("token_endpoint_auth_method") {
        None => "client_secret_basic",
        Some(Value::String(method)) if AUTH_METHODS.contains(&method.as_str()) => method,
        Some(other) => {
            return Err(invalid_metadata(&format!(
                "token_endpoint_auth_method {other} is not supported ({})",
                AUTH_METHODS.join(", ")
            )))
        }
    }
    .to_owned();
    if metadata.contains_key("jwks_uri") {
        return Err(invalid_metadata(
            "jwks_uri is not supported here: send jwks",
        ));
    }
    let keys = match metadata.get("jwks") {
        Some(jwks) => keys_from_json(jwks).map_err(|e| invalid_metadata(&format!("jwks: {e}")))?,
        None if method == "private_key_jwt" => {
            return Err(invalid_metadata("private_key_jwt needs jwks"))
        }
        None => Vec::new(),
    };
    let client_id = format!("reg_{}", random_hex32());
    let issued_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let mut answer = Map::new();
    answer.insert("client_id".to_owned(), client_id.clone().into());
    answer.insert("client_id_issued_at".to_owned(), issued_at.into());
    answer.insert(
        "token_endpoint_auth_method".to_owned(),
        method.clone().into(),
    );
    let secret = if method.starts_with("client_secret") {
        let secret = random_hex32();
        answer.insert("client_secret".to_owned(), secret.clone().into());
        answer.insert("client_secret_expires_at".to_owned(), 0.into());
        secret
    } else {
        String::new()
    };
    state.add_client(client_id.clone(), secret);
    state.add_client_keys(&client_id, keys);
    metadata.append(&mut answer);
    Ok(Reply::json(201, &Value::Object(metadata)))
}

fn check_initial_access_token(state: &State, request: &RecordedRequest) -> Result<(), Reply> {
    let Some(expected) = &state.settings.registration_token else {
        return Ok(());
    };
    let sent = request
        .header("authorization")
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if sent == Some(expected.as_str()) {
        return Ok(());
    }
    Err(Reply::error(
        401,
        "invalid_token",
        "registration requires the initial access token as Bearer",
    )
    .with_header(
        "WWW-Authenticate",
        r#"Bearer error="invalid_token""#.to_owned(),
    ))
}

fn invalid_metadata(description: &str) -> Reply {
    Reply::error(400, "invalid_client_metadata", description)
}
