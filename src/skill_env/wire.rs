//! The skill environment endpoint on the wire: the request body, byte for byte
//! the Coze SDK's, and the reading of its answer.
//!
//! ```text
//! POST {COZE_SKILL_ENV_ENDPOINT}
//! Content-Type: application/json
//! Authorization: Bearer <patToken>
//!
//! {"agent_id": 7001, "skill_id": 42, "identity_ticket": "..."}
//! ```
//!
//! Ids made of ASCII digits are sent as JSON numbers, others as strings;
//! `identity_ticket` only when known. Python's `json.dumps` layout (`", "`,
//! `": "`, non-ASCII escaped). The answer: 200, a JSON object whose
//! `BaseResp.StatusCode` (when present) is 0, and the variables as a string map
//! at `data.envs`, `data.env`, `data.variables` or `data` itself.

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::secret::SecretString;

/// How much of an error answer the API error message carries.
const MAX_ERROR_PAYLOAD_BYTES: usize = 16 * 1024;

/// The request body; wiped on drop (it holds the identity ticket).
pub(crate) fn request_body(
    agent_id: &str,
    skill_id: &str,
    identity_ticket: Option<&SecretString>,
) -> Zeroizing<Vec<u8>> {
    let mut body = Zeroizing::new(String::with_capacity(128));
    body.push_str("{\"agent_id\": ");
    push_id(&mut body, agent_id);
    body.push_str(", \"skill_id\": ");
    push_id(&mut body, skill_id);
    if let Some(ticket) = identity_ticket {
        body.push_str(", \"identity_ticket\": ");
        push_json_string(&mut body, ticket.expose());
    }
    body.push('}');
    Zeroizing::new(std::mem::take(&mut *body).into_bytes())
}

fn push_id(out: &mut String, id: &str) {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        // As Python's int(): no leading zeros.
        let digits = id.trim_start_matches('0');
        out.push_str(if digits.is_empty() { "0" } else { digits });
    } else {
        push_json_string(out, id);
    }
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii=True`).
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0_u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// What an answer holds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The variables, keys sorted.
    Variables(Vec<(String, SecretString)>),
    /// Nothing usable; the reason, already free of values.
    Unusable(String),
    /// `BaseResp.StatusCode` is not 0: the payload as one line of JSON text.
    ApiError(String),
}

/// Reads an answer with HTTP status 200.
pub(crate) fn parse_answer(body: &[u8]) -> Answer {
    let payload = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(payload)) => payload,
        Ok(_) => {
            return Answer::Unusable(
                "Invalid skill environment response: expected JSON object".into(),
            )
        }
        Err(error) => {
            return Answer::Unusable(format!(
                "Invalid skill environment response: not JSON ({error})"
            ))
        }
    };
    if !is_success_code(&payload) {
        return Answer::ApiError(error_payload_text(body, &payload));
    }
    let data = match payload.get("data") {
        Some(Value::Object(data)) => data,
        Some(_) => {
            return Answer::Unusable(
                "Invalid skill environment response: missing or invalid data".into(),
            )
        }
        None => &payload,
    };
    // Python's `envs or env or variables`: the first truthy one, else the last.
    let candidates = ["envs", "env", "variables"].map(|name| data.get(name));
    let chosen = candidates
        .iter()
        .copied()
        .find(|value| value.is_some_and(truthy))
        .unwrap_or(candidates[2]);
    let map = match chosen {
        None if is_string_map(data) => Some(data),
        Some(Value::Object(map)) if is_string_map(map) => Some(map),
        _ => None,
    };
    match map {
        Some(map) => Answer::Variables(
            map.iter()
                .map(|(key, value)| {
                    let value = value.as_str().unwrap_or_default();
                    (key.clone(), SecretString::from(value))
                })
                .collect(),
        ),
        None => Answer::Unusable("Invalid skill environment response: missing env map".into()),
    }
}

/// `BaseResp.StatusCode` absent, or equal to 0 as Python compares it (`0`,
/// `0.0`, `false`, `"0"`).
fn is_success_code(payload: &Map<String, Value>) -> bool {
    let Some(Value::Object(base)) = payload.get("BaseResp") else {
        return true;
    };
    match base.get("StatusCode") {
        None => true,
        Some(Value::Number(number)) => number.as_f64() == Some(0.0),
        Some(Value::Bool(flag)) => !flag,
        Some(Value::String(text)) => text == "0",
        Some(_) => false,
    }
}

/// The error payload as one line: the server's own text (valid JSON has no raw
/// control character inside strings, so line breaks are layout), or only its
/// `BaseResp` when the whole is too long to carry in a message.
fn error_payload_text(body: &[u8], payload: &Map<String, Value>) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.len() <= MAX_ERROR_PAYLOAD_BYTES {
        return text.replace(['\n', '\r', '\t'], " ");
    }
    let mut reduced = Map::new();
    if let Some(base) = payload.get("BaseResp") {
        reduced.insert("BaseResp".into(), base.clone());
    }
    let reduced = Value::Object(reduced).to_string();
    if reduced.len() <= MAX_ERROR_PAYLOAD_BYTES {
        reduced
    } else {
        "{}".into()
    }
}

/// Python's truth value of a JSON value.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64() != Some(0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

fn is_string_map(map: &Map<String, Value>) -> bool {
    map.values().all(Value::is_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variables(body: &str) -> Vec<(String, String)> {
        match parse_answer(body.as_bytes()) {
            Answer::Variables(vars) => vars
                .into_iter()
                .map(|(k, v)| (k, v.expose().to_owned()))
                .collect(),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn body_matches_python_json_dumps() {
        let ticket = SecretString::from("t\"k\u{e9}\u{1F600}\n");
        let body = request_body("007001", "42", Some(&ticket));
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"agent_id": 7001, "skill_id": 42, "identity_ticket": "t\"k\u00e9\ud83d\ude00\n"}"#
        );
        let body = request_body("1", "skill-a", None);
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"agent_id": 1, "skill_id": "skill-a"}"#
        );
    }

    #[test]
    fn variables_are_found_where_the_sdk_looks() {
        let expected = vec![("A".to_owned(), "1".to_owned())];
        for body in [
            r#"{"data": {"envs": {"A": "1"}}}"#,
            r#"{"data": {"envs": {}, "env": {"A": "1"}}}"#,
            r#"{"data": {"envs": null, "env": "", "variables": {"A": "1"}}}"#,
            r#"{"data": {"A": "1"}}"#,
            r#"{"A": "1"}"#,
            r#"{"BaseResp": {"StatusCode": 0}, "data": {"envs": {"A": "1"}}}"#,
            r#"{"BaseResp": {"StatusCode": "0"}, "data": {"envs": {"A": "1"}}}"#,
            r#"{"BaseResp": {"StatusCode": 0.0}, "data": {"envs": {"A": "1"}}}"#,
            r#"{"BaseResp": {}, "data": {"envs": {"A": "1"}}}"#,
        ] {
            assert_eq!(variables(body), expected, "{body}");
        }
        assert_eq!(variables(r#"{"data": {}}"#), vec![]);
    }

    #[test]
    fn unusable_answers() {
        for body in [
            "[1]",
            "not json",
            r#"{"data": null}"#,
            r#"{"data": [1]}"#,
            r#"{"data": {"envs": {"A": 1}}}"#,
            r#"{"data": {"envs": {}, "variables": []}}"#,
            r#"{"data": {"other": 1}}"#,
            r#"{"BaseResp": {"StatusCode": 0}}"#,
        ] {
            assert!(
                matches!(parse_answer(body.as_bytes()), Answer::Unusable(_)),
                "{body}"
            );
        }
    }

    #[test]
    fn api_error_codes() {
        let body = "{\"BaseResp\": {\"StatusCode\": 4001,\n \"StatusMessage\": \"no\"}}";
        assert_eq!(
            parse_answer(body.as_bytes()),
            Answer::ApiError(
                "{\"BaseResp\": {\"StatusCode\": 4001,  \"StatusMessage\": \"no\"}}".into()
            )
        );
        for code in ["null", "1", "\"x\"", "true", "[]"] {
            let body = format!(r#"{{"BaseResp": {{"StatusCode": {code}}}}}"#);
            assert!(
                matches!(parse_answer(body.as_bytes()), Answer::ApiError(_)),
                "{body}"
            );
        }
        let huge = format!(
            r#"{{"BaseResp": {{"StatusCode": 1}}, "pad": "{}"}}"#,
            "x".repeat(20_000)
        );
        assert_eq!(
            parse_answer(huge.as_bytes()),
            Answer::ApiError(r#"{"BaseResp":{"StatusCode":1}}"#.into())
        );
    }
}
