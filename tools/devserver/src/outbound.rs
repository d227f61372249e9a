//! Outbound-auth API: `POST /outbound/integration` and `GET /outbound/env`.
//!
//! Replies use the `{"code", "msg", "data"}` envelope; both need a live access token.

use serde_json::{json, Value};

use crate::http::{RecordedRequest, Reply};
use crate::state::State;
use crate::tokens::TokenKind;

/// Business code for an unknown integration (HTTP 200).
const INTEGRATION_NOT_FOUND: u16 = 1001;

/// Returns the credential of the integration named in the JSON body.
pub(crate) fn integration(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    authorize(state, request)?;
    let body: Value =
        serde_json::from_str(&request.body).map_err(|_| error(400, "request body must be JSON"))?;
    let name = body
        .get("integration_name")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| error(400, "integration_name is required"))?;
    let found = state.settings.integrations.iter().find(|(n, _)| n == name);
    Ok(match found {
        Some((_, credential)) => success(json!({ "credential": credential })),
        None => {
            let body = json!({ "code": INTEGRATION_NOT_FOUND, "msg": format!("integration not found: {name}") });
            Reply::json(200, &body)
        }
    })
}

/// Returns the project's environment variables in server order.
pub(crate) fn env(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    authorize(state, request)?;
    let secrets: Vec<Value> = state
        .settings
        .env_vars
        .iter()
        .map(|(key, value)| json!({ "key": key, "value": value }))
        .collect();
    Ok(success(json!({ "secrets": secrets })))
}

/// Requires `Authorization: Bearer <live access token issued here>`.
fn authorize(state: &State, request: &RecordedRequest) -> Result<(), Reply> {
    let token = request
        .header("authorization")
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match token.and_then(|token| state.token_client(token, TokenKind::Access)) {
        Some(_) => Ok(()),
        None => Err(error(401, "invalid or expired access token").with_header(
            "WWW-Authenticate",
            r#"Bearer error="invalid_token""#.to_owned(),
        )),
    }
}

fn success(data: Value) -> Reply {
    Reply::json(200, &json!({ "code": 0, "msg": "success", "data": data }))
}

/// A `{"code": status, "msg"}` reply; also used for 404 and 405 under `/outbound/`.
pub(crate) fn error(status: u16, msg: &str) -> Reply {
    Reply::json(status, &json!({ "code": status, "msg": msg }))
}
