//! The skill environment endpoint: `POST /skill/get_skill_envs`, as the Coze
//! SDK's `load_skill_env` calls it (shared/PROTOCOL.md, "The outbound auth
//! proxy and skill environment").
//!
//! Request: `Authorization: Bearer <patToken>` and a JSON object with
//! `agent_id`, `skill_id` (numbers or strings) and optionally
//! `identity_ticket`. Answers:
//! - no or unknown Bearer token → 401 `{"BaseResp": {"StatusCode": 401, ...}}`;
//! - body not a JSON object, or without `agent_id` / `skill_id` → 400;
//! - no skill registered for (agent, skill) under that token → 200 with
//!   `BaseResp.StatusCode` 404 (an API error code);
//! - found → 200 `{"BaseResp": {"StatusCode": 0, "StatusMessage": "success"},
//!   "data": {"envs": {...}}}`.
//!
//! Other answers (non-200, malformed JSON, another API error code) come from
//! the fault queue, by path.

use serde_json::{json, Map, Value};

use crate::http::{RecordedRequest, Reply};
use crate::state::State;

/// One skill environment the server serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkillEnv {
    /// The agent id, as in `.coze/agents/<agent_id>`.
    pub agent_id: String,
    /// The skill id of `config.json`'s `skills`.
    pub skill_id: String,
    /// The `patToken` the request must carry as its Bearer token.
    pub pat_token: String,
    /// The variables, as `(name, value)`.
    pub envs: Vec<(String, String)>,
}

impl SkillEnv {
    /// Reads `{"agent_id", "skill_id", "pat_token", "envs": {name: value}}`.
    pub(crate) fn from_json(value: &Value) -> Result<SkillEnv, String> {
        let text = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(format!("skill_envs entries need a string {name}"))
        };
        let envs = value
            .get("envs")
            .and_then(Value::as_object)
            .and_then(|envs| {
                envs.iter()
                    .map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or("skill_envs entries need envs: an object of strings")?;
        Ok(SkillEnv {
            agent_id: text("agent_id")?,
            skill_id: text("skill_id")?,
            pat_token: text("pat_token")?,
            envs,
        })
    }
}

/// `POST /skill/get_skill_envs`.
pub(crate) fn get_skill_envs(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    let token = request
        .header("authorization")
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned())
        .filter(|token| {
            state
                .settings
                .skill_envs
                .iter()
                .any(|env| env.pat_token == *token)
        })
        .ok_or_else(|| base_error(401, 401, "invalid or missing PAT token"))?;
    let body: Value = serde_json::from_str(&request.body)
        .map_err(|_| base_error(400, 400, "request body must be JSON"))?;
    let id = |name: &str| match body.get(name) {
        Some(Value::Number(number)) => Some(number.to_string()),
        Some(Value::String(text)) => Some(text.clone()),
        _ => None,
    };
    let (Some(agent_id), Some(skill_id)) = (id("agent_id"), id("skill_id")) else {
        return Err(base_error(400, 400, "agent_id and skill_id are required"));
    };
    let found =
        state.settings.skill_envs.iter().find(|env| {
            env.pat_token == token && env.agent_id == agent_id && env.skill_id == skill_id
        });
    match found {
        Some(env) => {
            let envs: Map<String, Value> = env
                .envs
                .iter()
                .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
                .collect();
            Ok(Reply::json(
                200,
                &json!({
                    "BaseResp": { "StatusCode": 0, "StatusMessage": "success" },
                    "data": { "envs": envs },
                }),
            ))
        }
        None => Err(base_error(
            200,
            404,
            &format!("no skill {skill_id} for agent {agent_id}"),
        )),
    }
}

fn base_error(status: u16, code: u32, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({ "BaseResp": { "StatusCode": code, "StatusMessage": message } }),
    )
}
