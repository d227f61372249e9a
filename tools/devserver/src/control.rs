//! The `/_dev/` control API: JSON in and out, never recorded, never faulted.
//!
//! Errors use the RFC 6749 shape with `error: "invalid_request"`.

use serde_json::{json, Map, Value};

use crate::faults;
use crate::http::{RecordedRequest, Reply};
use crate::keys::keys_from_json;
use crate::skill::SkillEnv;
use crate::state::State;
use crate::tokens::{Claims, TokenKind};

/// `GET /_dev/requests`: every recorded protocol request, in order.
pub(crate) fn requests(state: &mut State, _: &RecordedRequest) -> Result<Reply, Reply> {
    let requests: Vec<Value> = state
        .requests
        .iter()
        .map(RecordedRequest::to_json)
        .collect();
    Ok(Reply::json(200, &json!({ "requests": requests })))
}

/// `GET /_dev/stats`: request counts, total and per path.
pub(crate) fn stats(state: &mut State, _: &RecordedRequest) -> Result<Reply, Reply> {
    let mut by_path = Map::new();
    for request in &state.requests {
        let count = by_path
            .get(&request.path)
            .and_then(Value::as_u64)
            .unwrap_or(0);
        by_path.insert(request.path.clone(), (count + 1).into());
    }
    let body = json!({ "total": state.requests.len(), "by_path": by_path });
    Ok(Reply::json(200, &body))
}

/// `POST /_dev/reset`: clears requests and faults, restores settings.
pub(crate) fn reset(state: &mut State, _: &RecordedRequest) -> Result<Reply, Reply> {
    state.reset();
    Ok(ok())
}

/// `POST /_dev/revoke`: invalidates every issued token.
pub(crate) fn revoke(state: &mut State, _: &RecordedRequest) -> Result<Reply, Reply> {
    state.revoke_tokens();
    Ok(ok())
}

/// `POST /_dev/faults`: queues one fault.
pub(crate) fn push_fault(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    let fault = faults::from_json(&json_body(request)?).map_err(|e| bad_request(&e))?;
    state.faults.push_back(fault);
    Ok(ok())
}

/// `DELETE /_dev/faults`: drops every pending fault (e.g. to end an outage
/// made of one fault with a large count), keeping the recorded requests.
pub(crate) fn clear_faults(state: &mut State, _: &RecordedRequest) -> Result<Reply, Reply> {
    state.faults.clear();
    Ok(ok())
}

/// `POST /_dev/config`: changes settings, adds clients, users and keys; all or nothing.
pub(crate) fn config(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    let body = json_body(request)?;
    let object = body
        .as_object()
        .ok_or_else(|| bad_request("config must be a JSON object"))?;
    let mut settings = state.settings.clone();
    let (mut clients, mut users, mut client_keys) = (Vec::new(), Vec::new(), Vec::new());
    for (key, value) in object {
        let verbatim = Some(value.clone()).filter(|v| !v.is_null());
        match key.as_str() {
            "ttl" => {
                settings.ttl_secs = value
                    .as_u64()
                    .ok_or_else(|| bad_request("ttl must be a non-negative integer"))?;
            }
            "expires_in" => settings.set_expires_in(verbatim),
            "refresh_in" => settings.refresh_in = verbatim,
            "clients" => clients = pairs(value, key)?,
            "integrations" => {
                for (name, credential) in pairs(value, key)? {
                    settings.set_integration(name, credential);
                }
            }
            "env" => settings.env_vars = pairs(value, key)?,
            "users" => users = pairs(value, key)?,
            "client_keys" => client_keys = keyed_keys(value)?,
            "registration_token" => {
                settings.registration_token = match value {
                    Value::Null => None,
                    Value::String(token) if !token.is_empty() => Some(token.clone()),
                    _ => return Err(bad_request("registration_token must be a string or null")),
                };
            }
            "refresh_token_grants" => {
                settings.refresh_token_grants = value
                    .as_array()
                    .and_then(|grants| {
                        grants
                            .iter()
                            .map(|g| g.as_str().map(str::to_owned))
                            .collect()
                    })
                    .ok_or_else(|| bad_request("refresh_token_grants must be a list of strings"))?;
            }
            "skill_envs" => {
                settings.skill_envs = value
                    .as_array()
                    .ok_or_else(|| bad_request("skill_envs must be a list"))?
                    .iter()
                    .map(SkillEnv::from_json)
                    .collect::<Result<_, _>>()
                    .map_err(|why| bad_request(&why))?;
            }
            other => return Err(bad_request(&format!("unknown setting {other}"))),
        }
    }
    state.settings = settings;
    for (client_id, secret) in clients {
        state.add_client(client_id, secret);
    }
    for (username, password) in users {
        state.add_user(username, password);
    }
    for (client_id, keys) in client_keys {
        state.add_client_keys(&client_id, keys);
    }
    Ok(ok())
}

/// `POST /_dev/tokens`: issues a token without a protocol request, e.g. the
/// initial refresh token of a test: `{"kind": "refresh"|"access", "client_id",
/// "scope"?, "subject"?, "audience"?: [...]}` → `{"token": "rt_…"}`.
pub(crate) fn issue_token(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    let body = json_body(request)?;
    let text = |name: &str| -> Result<Option<String>, Reply> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if !text.is_empty() => Ok(Some(text.clone())),
            Some(_) => Err(bad_request(&format!("{name} must be a non-empty string"))),
        }
    };
    let kind = match text("kind")?.as_deref() {
        Some("access") => TokenKind::Access,
        Some("refresh") => TokenKind::Refresh,
        _ => return Err(bad_request("kind must be \"access\" or \"refresh\"")),
    };
    let client_id = text("client_id")?.ok_or_else(|| bad_request("client_id is required"))?;
    if state.client(&client_id).is_none() {
        return Err(bad_request(&format!("unknown client {client_id}")));
    }
    let audience = match body.get("audience") {
        None => Vec::new(),
        Some(list) => list
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .map(|a| a.as_str().map(str::to_owned))
                    .collect()
            })
            .ok_or_else(|| bad_request("audience must be a list of strings"))?,
    };
    let claims = Claims {
        subject: text("subject")?.unwrap_or_else(|| client_id.clone()),
        client_id,
        scope: text("scope")?,
        audience,
        family: state.tokens.new_family(),
        ..Claims::default()
    };
    let token = state.issue_with(kind, claims);
    Ok(Reply::json(200, &json!({ "token": token })))
}

/// Parses `[["client_id", <JWK | JWK Set | PEM string>], ...]`.
fn keyed_keys(value: &Value) -> Result<Vec<(String, Vec<crate::keys::PublicKey>)>, Reply> {
    let malformed = || bad_request("client_keys must be a list of [client_id, key] pairs");
    let items = value.as_array().ok_or_else(malformed)?;
    items
        .iter()
        .map(|item| match item.as_array().map(Vec::as_slice) {
            Some([Value::String(client_id), key]) => keys_from_json(key)
                .map(|keys| (client_id.clone(), keys))
                .map_err(|e| bad_request(&format!("key of client {client_id}: {e}"))),
            _ => Err(malformed()),
        })
        .collect()
}

/// `POST /_dev/egress {"ticket": T}`: starts the egress rig (or re-keys it) and
/// answers its URLs, CA and counters.
pub(crate) fn start_egress(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    let body = json_body(request)?;
    let ticket = body
        .get("ticket")
        .and_then(Value::as_str)
        .filter(|ticket| !ticket.is_empty())
        .ok_or_else(|| bad_request("ticket (a non-empty string) is required"))?;
    let info = state
        .egress(ticket)
        .map_err(|error| Reply::error(500, "server_error", &format!("egress rig: {error}")))?;
    Ok(Reply::json(200, &info.to_json()))
}

/// `GET /_dev/egress`: the running egress rig's URLs, CA and counters.
pub(crate) fn egress(state: &mut State, _: &RecordedRequest) -> Result<Reply, Reply> {
    match &state.egress {
        Some(egress) => Ok(Reply::json(200, &egress.info().to_json())),
        None => Err(bad_request(
            "the egress rig is not started: POST /_dev/egress first",
        )),
    }
}

/// Parses `[["a", "b"], ...]`.
fn pairs(value: &Value, key: &str) -> Result<Vec<(String, String)>, Reply> {
    let pair = |item: &Value| match item.as_array().map(Vec::as_slice) {
        Some([Value::String(a), Value::String(b)]) => Some((a.clone(), b.clone())),
        _ => None,
    };
    value
        .as_array()
        .and_then(|items| items.iter().map(pair).collect())
        .ok_or_else(|| bad_request(&format!("{key} must be a list of [string, string] pairs")))
}

fn json_body(request: &RecordedRequest) -> Result<Value, Reply> {
    serde_json::from_str(&request.body).map_err(|e| bad_request(&format!("body is not JSON: {e}")))
}

fn ok() -> Reply {
    Reply::json(200, &json!({ "ok": true }))
}

fn bad_request(description: &str) -> Reply {
    Reply::error(400, "invalid_request", description)
}
