//! The `/_dev/` control API: JSON in and out, never recorded, never faulted.
//!
//! Errors use the RFC 6749 shape with `error: "invalid_request"`.

use serde_json::{json, Map, Value};

use crate::faults;
use crate::http::{RecordedRequest, Reply};
use crate::skill::SkillEnv;
use crate::state::State;

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

/// `POST /_dev/config`: changes settings and adds clients; all or nothing.
pub(crate) fn config(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    let body = json_body(request)?;
    let object = body
        .as_object()
        .ok_or_else(|| bad_request("config must be a JSON object"))?;
    let mut settings = state.settings.clone();
    let mut clients = Vec::new();
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
    Ok(ok())
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
