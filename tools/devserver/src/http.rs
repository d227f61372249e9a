//! HTTP plumbing: the recorded form of a request and the reply sent back.

use std::io::Cursor;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use tiny_http::{Header, Response};

use crate::client_auth::method_used;
use crate::encoding::form_decode;

/// One request as the server received it; an owned snapshot, freely cloned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Request method, e.g. `POST`.
    pub method: String,
    /// URL path without the query string, e.g. `/oauth/token`.
    pub path: String,
    /// Headers in arrival order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body as text (invalid UTF-8 replaced).
    pub body: String,
    /// Decoded body pairs when `Content-Type` is `application/x-www-form-urlencoded`, else empty.
    pub form: Vec<(String, String)>,
    /// The client authentication method(s) the request carried, valid or not:
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt`,
    /// `client_secret_jwt` or `none` (several joined by `+`); `None` when it names no client.
    pub client_auth: Option<String>,
    /// When the request arrived, in Unix milliseconds (the wall clock, so that
    /// other processes on the machine can line their own times up with it).
    pub received_at_unix_ms: u64,
    /// The status the server answered; `None` while the answer is not ready.
    pub status: Option<u16>,
}

impl RecordedRequest {
    /// Reads method, path, headers and the whole body of `request`.
    pub(crate) fn read(request: &mut tiny_http::Request) -> RecordedRequest {
        let path = request
            .url()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        let headers = request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_ascii_lowercase(),
                    h.value.to_string(),
                )
            })
            .collect();
        let mut bytes = Vec::new();
        // A body cut short by the client is recorded as far as it arrived.
        let _ = request.as_reader().read_to_end(&mut bytes);
        let mut recorded = RecordedRequest {
            method: request.method().as_str().to_owned(),
            path,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            form: Vec::new(),
            client_auth: None,
            received_at_unix_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_millis() as u64),
            status: None,
        };
        if recorded.has_content_type("application/x-www-form-urlencoded") {
            recorded.form = form_decode(&recorded.body);
        }
        recorded.client_auth = method_used(&recorded);
        recorded
    }

    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// First value of form field `name`.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the media type of `Content-Type` (parameters ignored) is `media_type`.
    pub(crate) fn has_content_type(&self, media_type: &str) -> bool {
        self.header("content-type")
            .and_then(|value| value.split(';').next())
            .is_some_and(|found| found.trim().eq_ignore_ascii_case(media_type))
    }

    /// The `/_dev/requests` JSON form; repeated names are joined (headers) or last wins (form).
    pub(crate) fn to_json(&self) -> Value {
        let mut headers = Map::new();
        for (name, value) in &self.headers {
            let joined = match headers.get(name).and_then(Value::as_str) {
                Some(previous) => format!("{previous}, {value}"),
                None => value.clone(),
            };
            headers.insert(name.clone(), Value::String(joined));
        }
        let form: Map<String, Value> = self
            .form
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect();
        serde_json::json!({
            "method": self.method,
            "path": self.path,
            "headers": headers,
            "body": self.body,
            "form": form,
            "client_auth": self.client_auth,
            "received_at_unix_ms": self.received_at_unix_ms,
            "status": self.status,
        })
    }
}

/// A response about to be sent; always `Content-Type: application/json`.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Body bytes, sent verbatim (not necessarily valid JSON).
    pub body: String,
    /// Extra headers besides `Content-Type`.
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A reply with `body` serialized as JSON.
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::raw(status, body.to_string())
    }

    /// A reply whose body is sent exactly as given.
    pub fn raw(status: u16, body: String) -> Reply {
        Reply {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// An RFC 6749 section 5.2 error: `{"error": code, "error_description": description}`.
    pub fn error(status: u16, code: &str, description: &str) -> Reply {
        let body = serde_json::json!({ "error": code, "error_description": description });
        Reply::json(status, &body)
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    /// Converts into a tiny_http response with a `Content-Length` (never chunked).
    pub fn into_response(self) -> Response<Cursor<Vec<u8>>> {
        let mut response = Response::from_data(self.body.into_bytes())
            .with_status_code(self.status)
            .with_chunked_threshold(usize::MAX)
            .with_header(header("Content-Type", "application/json"));
        for (name, value) in &self.headers {
            response.add_header(header(name, value));
        }
        response
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name, value).expect("header names and values are ASCII")
}
