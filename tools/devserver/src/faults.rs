//! Injected faults: what they are, how they are matched and what they reply.

use std::collections::VecDeque;

use serde_json::{json, Map, Value};

use crate::http::Reply;

/// A fault applied to the next `count` protocol requests whose path matches.
///
/// Plain data; queued with [`DevServer::push_fault`](crate::DevServer::push_fault)
/// or `POST /_dev/faults`, consumed in FIFO order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Exact request path (e.g. `/oauth/token`), or `*` for any protocol path.
    pub path: String,
    /// How many matching requests it applies to; `0` never applies.
    pub count: u32,
    /// What the server does instead of (or before) answering normally.
    pub kind: FaultKind,
    /// Milliseconds to wait before responding, with any kind.
    pub delay_ms: u64,
}

impl Fault {
    /// A fault on `path` for one request, without delay.
    pub fn new(path: impl Into<String>, kind: FaultKind) -> Fault {
        Fault {
            path: path.into(),
            count: 1,
            kind,
            delay_ms: 0,
        }
    }
}

/// The response a [`Fault`] produces.
///
/// There is no "close the connection" kind: tiny_http keeps connections it
/// owns open, so the server cannot drop one without responding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Respond with `status` and `body` verbatim, plus `Retry-After: <secs>` if set.
    Status {
        /// HTTP status code.
        status: u16,
        /// Response body, sent as is.
        body: String,
        /// Value of a `Retry-After` header, in seconds.
        retry_after: Option<u64>,
    },
    /// Respond 200 with a truncated, unparsable JSON body.
    MalformedJson,
    /// Respond 200 with a valid JSON object of exactly `bytes` bytes (at least 14).
    HugeBody {
        /// Body size in bytes.
        bytes: usize,
    },
    /// Only wait `delay_ms`, then answer normally.
    DelayOnly,
    /// Answer normally, then edit the JSON object of the answer: remove the
    /// `remove` members, then set the `set` members (a body that is not a JSON
    /// object is replaced by one holding `set`). The status is kept.
    Patch {
        /// Members added or replaced.
        set: Map<String, Value>,
        /// Members removed.
        remove: Vec<String>,
    },
}

impl FaultKind {
    /// A `Status` fault with a default JSON body carrying both error shapes
    /// (`error`/`error_description` and `code`/`msg`) and no `Retry-After`.
    pub fn status(status: u16) -> FaultKind {
        FaultKind::Status {
            status,
            body: default_body(status),
            retry_after: None,
        }
    }

    /// The reply replacing the normal one, or `None` when the normal one is
    /// sent ([`FaultKind::DelayOnly`]) or edited ([`FaultKind::Patch`], see [`FaultKind::edit`]).
    pub(crate) fn reply(&self) -> Option<Reply> {
        match self {
            FaultKind::Status {
                status,
                body,
                retry_after,
            } => {
                let reply = Reply::raw(*status, body.clone());
                Some(match retry_after {
                    Some(secs) => reply.with_header("Retry-After", secs.to_string()),
                    None => reply,
                })
            }
            FaultKind::MalformedJson => Some(Reply::raw(200, r#"{"access_token": "#.to_owned())),
            FaultKind::HugeBody { bytes } => {
                let padding = "x".repeat(bytes.saturating_sub(r#"{"padding":""}"#.len()));
                Some(Reply::raw(200, format!(r#"{{"padding":"{padding}"}}"#)))
            }
            FaultKind::DelayOnly | FaultKind::Patch { .. } => None,
        }
    }

    /// The normal `reply` as this fault edits it (unchanged unless [`FaultKind::Patch`]).
    pub(crate) fn edit(&self, mut reply: Reply) -> Reply {
        if let FaultKind::Patch { set, remove } = self {
            let mut object = match serde_json::from_str(&reply.body) {
                Ok(Value::Object(object)) => object,
                _ => Map::new(),
            };
            for name in remove {
                object.remove(name);
            }
            object.extend(set.clone());
            reply.body = Value::Object(object).to_string();
        }
        reply
    }
}

fn default_body(status: u16) -> String {
    let message = format!("injected fault: HTTP {status}");
    let body = json!({
        "error": "injected_fault",
        "error_description": message,
        "code": status,
        "msg": message,
    });
    body.to_string()
}

/// Takes one use of the first queued fault matching `path`, removing it when used up.
pub(crate) fn take_matching(queue: &mut VecDeque<Fault>, path: &str) -> Option<Fault> {
    let index = queue
        .iter()
        .position(|f| f.count > 0 && (f.path == "*" || f.path == path))?;
    let fault = &mut queue[index];
    fault.count -= 1;
    let taken = fault.clone();
    if fault.count == 0 {
        queue.remove(index);
    }
    Some(taken)
}

/// Parses the `POST /_dev/faults` body (see the README for the fields).
pub(crate) fn from_json(value: &Value) -> Result<Fault, String> {
    let object = value.as_object().ok_or("fault must be a JSON object")?;
    let number = |name: &str| -> Result<Option<u64>, String> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("`{name}` must be a non-negative integer")),
        }
    };
    let status = number("status")?;
    let delay_ms = number("delay_ms")?.unwrap_or(0);
    let kind_name = match object.get("kind") {
        Some(kind) => kind.as_str().ok_or("`kind` must be a string")?,
        None if status.is_some() => "status",
        None if object.contains_key("set") || object.contains_key("remove") => "patch",
        None if delay_ms > 0 => "delay",
        None => return Err("give `kind`, `status`, `set`, `remove` or `delay_ms`".to_owned()),
    };
    let kind = match kind_name {
        "status" => {
            let status = status.ok_or("`status` is required for kind `status`")?;
            let status = u16::try_from(status)
                .ok()
                .filter(|s| (100..=999).contains(s))
                .ok_or("`status` must be between 100 and 999")?;
            let body = match object.get("body") {
                None => default_body(status),
                Some(Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            };
            FaultKind::Status {
                status,
                body,
                retry_after: number("retry_after")?,
            }
        }
        "malformed_json" => FaultKind::MalformedJson,
        "huge_body" => FaultKind::HugeBody {
            bytes: usize::try_from(number("bytes")?.unwrap_or(2_000_000))
                .map_err(|_| "`bytes` is too large")?,
        },
        "delay" => FaultKind::DelayOnly,
        "patch" => FaultKind::Patch {
            set: match object.get("set") {
                None => Map::new(),
                Some(Value::Object(set)) => set.clone(),
                Some(_) => return Err("`set` must be a JSON object".to_owned()),
            },
            remove: match object.get("remove") {
                None => Vec::new(),
                Some(Value::Array(names)) => names
                    .iter()
                    .map(|name| name.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or("`remove` must be a list of member names")?,
                Some(_) => return Err("`remove` must be a list of member names".to_owned()),
            },
        },
        other => return Err(format!("unknown fault kind `{other}`")),
    };
    let count = number("count")?.unwrap_or(1);
    Ok(Fault {
        path: match object.get("path") {
            None => "*".to_owned(),
            Some(path) => path.as_str().ok_or("`path` must be a string")?.to_owned(),
        },
        count: u32::try_from(count).map_err(|_| "`count` is too large")?,
        kind,
        delay_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumes_in_fifo_order_per_path() {
        let mut queue = VecDeque::new();
        queue.push_back(Fault {
            count: 2,
            ..Fault::new("/a", FaultKind::MalformedJson)
        });
        queue.push_back(Fault::new("*", FaultKind::DelayOnly));
        assert_eq!(
            take_matching(&mut queue, "/b").unwrap().kind,
            FaultKind::DelayOnly
        );
        assert_eq!(take_matching(&mut queue, "/b"), None);
        assert_eq!(take_matching(&mut queue, "/a").unwrap().count, 1);
        assert_eq!(take_matching(&mut queue, "/a").unwrap().count, 0);
        assert!(queue.is_empty());
    }

    #[test]
    fn huge_body_has_exact_size_and_parses() {
        let reply = FaultKind::HugeBody { bytes: 1000 }.reply().unwrap();
        assert_eq!(reply.body.len(), 1000);
        assert!(serde_json::from_str::<Value>(&reply.body).is_ok());
    }

    #[test]
    fn parses_control_json() {
        let fault = from_json(
            &json!({"path": "/oauth/token", "count": 2, "status": 503, "retry_after": 1}),
        )
        .unwrap();
        assert_eq!(fault.count, 2);
        assert!(matches!(
            fault.kind,
            FaultKind::Status {
                status: 503,
                retry_after: Some(1),
                ..
            }
        ));
        let delay = from_json(&json!({"kind": "delay", "delay_ms": 5})).unwrap();
        assert_eq!((delay.path.as_str(), delay.delay_ms), ("*", 5));
        assert!(from_json(&json!({"kind": "nope"})).is_err());
        assert!(from_json(&json!({"status": 70000})).is_err());
        assert!(from_json(&json!({})).is_err());
        let patch = from_json(&json!({"set": {"issuer": "x"}, "remove": ["token_endpoint"]}));
        let reply = patch.unwrap().kind.edit(Reply::raw(
            200,
            r#"{"token_endpoint":"t","a":1}"#.to_owned(),
        ));
        assert_eq!(reply.body, r#"{"a":1,"issuer":"x"}"#);
        assert!(from_json(&json!({"remove": "x"})).is_err());
    }
}
