//! The wire format of the authorization server's other endpoints: RFC 8414
//! metadata, RFC 7662 introspection, RFC 7009 revocation and RFC 7591
//! registration. Request bodies and response parsing; pure functions, no I/O.

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{error_answer, form_encode, quote, WipedJson};
use crate::error::{Error, Operation};
use crate::redact;
use crate::secret::SecretString;
use crate::url::check_endpoint;

/// An authorization server's metadata document (RFC 8414 section 2), checked:
/// the configured issuer, a token endpoint, and every endpoint a URL that the
/// configuration would accept.
#[derive(Clone, Debug)]
pub(crate) struct ServerMetadata {
    /// The document as the server sent it (what `wi_get_server_metadata` returns).
    pub(crate) document: String,
    pub(crate) token_endpoint: String,
    pub(crate) introspection_endpoint: Option<String>,
    pub(crate) revocation_endpoint: Option<String>,
    pub(crate) registration_endpoint: Option<String>,
}

/// Parses a metadata document fetched for `issuer` (RFC 8414 section 3.2):
/// a JSON object whose `issuer` is exactly the configured one (section 3.3)
/// and that names a `token_endpoint`. Endpoints follow the configuration's URL
/// rule (plain http only to loopback unless `allow_insecure_http`), so that a
/// document never configures what an option would refuse.
pub(crate) fn parse_server_metadata(
    status: u16,
    body: &[u8],
    issuer: &str,
    allow_insecure_http: bool,
) -> Result<ServerMetadata, Error> {
    let operation = Operation::Discovery;
    let parsed = WipedJson::parse(body);
    let map = object_answer(status, parsed.as_ref(), operation)?;
    let malformed = |why: String| Error::new(operation, why).with_http_status(status);
    match map.get("issuer") {
        Some(Value::String(found)) if found == issuer => {}
        Some(Value::String(found)) => {
            return Err(malformed(format!(
                "the metadata is for issuer {:?}, not the configured {:?} (RFC 8414 section 3.3)",
                redact::url(found),
                redact::url(issuer)
            )))
        }
        Some(_) => return Err(malformed("the metadata's issuer is not a string".into())),
        None => return Err(malformed("the metadata has no issuer".into())),
    }
    let endpoint = |name: &str| -> Result<Option<String>, Error> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(url)) => {
                check_endpoint(&format!("the metadata's {name}"), url, allow_insecure_http)
                    .map_err(&malformed)?;
                Ok(Some(url.clone()))
            }
            Some(_) => Err(malformed(format!("the metadata's {name} is not a string"))),
        }
    };
    let token_endpoint = endpoint("token_endpoint")?
        .ok_or_else(|| malformed("the metadata has no token_endpoint".into()))?;
    Ok(ServerMetadata {
        token_endpoint,
        introspection_endpoint: endpoint("introspection_endpoint")?,
        revocation_endpoint: endpoint("revocation_endpoint")?,
        registration_endpoint: endpoint("registration_endpoint")?,
        document: text_of(body, status, operation)?,
    })
}

/// The form of an introspection or revocation request: the client's
/// credential fields, then `token` and, when given, `token_type_hint`. Wiped
/// on drop (it holds the token and maybe the client secret).
pub(crate) fn token_operation_body(
    credentials: &[(&str, &str)],
    token: &str,
    token_type_hint: Option<&str>,
) -> Zeroizing<Vec<u8>> {
    let mut fields: Vec<(&str, &str)> = credentials.to_vec();
    fields.push(("token", token));
    if let Some(hint) = token_type_hint {
        fields.push(("token_type_hint", hint));
    }
    form_encode(&fields)
}

/// An introspection answer (RFC 7662 section 2.2) whose `active` is a boolean.
#[derive(Clone, Debug)]
pub(crate) struct Introspection {
    /// The answer as the server sent it.
    pub(crate) document: String,
    pub(crate) active: bool,
    /// The space-separated scopes, when the answer has them.
    pub(crate) scope: Option<String>,
    /// `exp` (Unix seconds), when the answer has a numeric one.
    pub(crate) exp: Option<i64>,
}

impl Introspection {
    /// True when every space-separated scope of `required` is among the token's.
    pub(crate) fn has_scopes(&self, required: &str) -> bool {
        let granted: Vec<&str> = self
            .scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .collect();
        required
            .split(' ')
            .filter(|scope| !scope.is_empty())
            .all(|scope| granted.contains(&scope))
    }
}

/// Parses an introspection answer: a JSON object with a boolean `active`
/// (anything else is an error, never "active").
pub(crate) fn parse_introspection_response(
    status: u16,
    body: &[u8],
) -> Result<Introspection, Error> {
    let operation = Operation::Introspection;
    let parsed = WipedJson::parse(body);
    let map = object_answer(status, parsed.as_ref(), operation)?;
    let active = match map.get("active") {
        Some(Value::Bool(active)) => *active,
        Some(other) => {
            return Err(Error::new(
                operation,
                format!(
                    "the answer's active is {}, not a boolean",
                    quote(&other.to_string())
                ),
            )
            .with_http_status(status))
        }
        None => {
            return Err(
                Error::new(operation, "the answer has no active member").with_http_status(status)
            )
        }
    };
    let exp = map.get("exp").and_then(|exp| {
        exp.as_i64()
            .or_else(|| exp.as_f64().filter(|x| x.is_finite()).map(|x| x as i64))
    });
    Ok(Introspection {
        document: text_of(body, status, operation)?,
        active,
        scope: map.get("scope").and_then(Value::as_str).map(str::to_owned),
        exp,
    })
}

/// Parses a revocation answer: any 2xx is success whatever the body (RFC 7009
/// section 2.2); an OAuth error or another status is an error.
pub(crate) fn parse_revocation_response(status: u16, body: &[u8]) -> Result<(), Error> {
    let parsed = WipedJson::parse(body);
    match error_answer(
        status,
        parsed.as_ref().and_then(WipedJson::object),
        Operation::Revocation,
    ) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// The body of a registration request: the caller's client metadata, which
/// must be one JSON object (else an invalid-argument error, before any request).
pub(crate) fn registration_request_body(metadata_json: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    match serde_json::from_str::<Value>(metadata_json) {
        Ok(Value::Object(_)) => Ok(Zeroizing::new(metadata_json.as_bytes().to_vec())),
        Ok(_) => Err(Error::invalid_argument(
            "metadata_json must be a JSON object (RFC 7591 client metadata)",
        )),
        Err(error) => Err(Error::invalid_argument(format!(
            "metadata_json is not JSON: {}",
            quote(&error.to_string())
        ))),
    }
}

/// Parses a registration answer (RFC 7591 section 3.2.1): a JSON object with
/// a string `client_id`. The whole answer is returned, and treated as a
/// secret: it holds the `client_secret` when one was issued.
pub(crate) fn parse_registration_response(status: u16, body: &[u8]) -> Result<SecretString, Error> {
    let operation = Operation::Registration;
    let parsed = WipedJson::parse(body);
    let map = object_answer(status, parsed.as_ref(), operation)?;
    match map.get("client_id") {
        Some(Value::String(id)) if !id.is_empty() => {}
        Some(_) => {
            return Err(
                Error::new(operation, "the answer's client_id is not a string")
                    .with_http_status(status),
            )
        }
        None => {
            return Err(
                Error::new(operation, "the answer has no client_id").with_http_status(status)
            )
        }
    }
    Ok(SecretString::new(text_of(body, status, operation)?))
}

/// The JSON object of a successful answer (parsed into `parsed`, whose
/// strings are wiped when it drops), or the error the answer carries.
fn object_answer(
    status: u16,
    parsed: Option<&WipedJson>,
    operation: Operation,
) -> Result<&Map<String, Value>, Error> {
    let json = parsed.and_then(WipedJson::object);
    if let Some(error) = error_answer(status, json, operation) {
        return Err(error);
    }
    json.ok_or_else(|| {
        Error::new(operation, "the answer is not a JSON object").with_http_status(status)
    })
}

/// The body as text (it parsed as JSON, so it is UTF-8).
fn text_of(body: &[u8], status: u16, operation: Operation) -> Result<String, Error> {
    String::from_utf8(body.to_vec()).map_err(|_| {
        Error::new(operation, "the answer is not valid UTF-8").with_http_status(status)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const ISSUER: &str = "https://auth.example.com/tenant";

    fn metadata(json: &str) -> Result<ServerMetadata, Error> {
        parse_server_metadata(200, json.as_bytes(), ISSUER, false)
    }

    #[test]
    fn metadata_is_checked_before_use() {
        let good = r#"{"issuer":"https://auth.example.com/tenant","token_endpoint":"https://auth.example.com/t",
            "introspection_endpoint":"https://auth.example.com/i"}"#;
        let parsed = metadata(good).unwrap();
        assert_eq!(parsed.token_endpoint, "https://auth.example.com/t");
        assert_eq!(
            parsed.introspection_endpoint.as_deref(),
            Some("https://auth.example.com/i")
        );
        assert_eq!(parsed.revocation_endpoint, None);
        assert_eq!(parsed.document, good);
        for (bad, why) in [
            ("not json", "JSON object"),
            ("[1]", "JSON object"),
            (r#"{"token_endpoint":"https://a.example/t"}"#, "no issuer"),
            (
                r#"{"issuer":"https://evil.example","token_endpoint":"https://a.example/t"}"#,
                "3.3",
            ),
            (
                r#"{"issuer":"https://auth.example.com/tenant/","token_endpoint":"https://a.example/t"}"#,
                "3.3",
            ),
            (
                r#"{"issuer":"https://auth.example.com/tenant"}"#,
                "no token_endpoint",
            ),
            (
                r#"{"issuer":"https://auth.example.com/tenant","token_endpoint":5}"#,
                "not a string",
            ),
            (
                r#"{"issuer":"https://auth.example.com/tenant","token_endpoint":"http://a.example/t"}"#,
                "plain http",
            ),
            (
                r#"{"issuer":"https://auth.example.com/tenant","token_endpoint":"https://a.example/t","revocation_endpoint":"ftp://x"}"#,
                "revocation_endpoint",
            ),
        ] {
            let error = metadata(bad).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::OAuthOperation, "{bad}");
            assert!(error.message().contains(why), "{bad}: {error}");
        }
        let loopback = r#"{"issuer":"https://auth.example.com/tenant","token_endpoint":"http://127.0.0.1:9/t"}"#;
        assert!(metadata(loopback).is_ok());
        let error = parse_server_metadata(404, b"{}", ISSUER, false).unwrap_err();
        assert_eq!(error.http_status(), Some(404));
    }

    #[test]
    fn introspection_needs_a_boolean_active() {
        let answer = parse_introspection_response(
            200,
            br#"{"active":true,"scope":"read write","exp":1700000000}"#,
        )
        .unwrap();
        assert!(answer.active);
        assert_eq!(answer.exp, Some(1_700_000_000));
        assert!(answer.has_scopes("read"));
        assert!(answer.has_scopes("write read"));
        assert!(!answer.has_scopes("admin"));
        assert!(!answer.has_scopes("rea"));
        let inactive = parse_introspection_response(200, br#"{"active":false}"#).unwrap();
        assert!(!inactive.active && !inactive.has_scopes("read"));
        for bad in [
            &br#"{"active":"true"}"#[..],
            br#"{"active":1}"#,
            br#"{}"#,
            b"[true]",
            b"<html>",
        ] {
            let error = parse_introspection_response(200, bad).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::OAuthOperation);
        }
        let error =
            parse_introspection_response(401, br#"{"error":"invalid_client"}"#).unwrap_err();
        assert_eq!(error.oauth_error(), Some("invalid_client"));
        assert!(parse_introspection_response(503, b"")
            .unwrap_err()
            .is_retryable());
    }

    #[test]
    fn revocation_succeeds_on_any_2xx() {
        assert!(parse_revocation_response(200, b"").is_ok());
        assert!(parse_revocation_response(204, b"whatever").is_ok());
        let error =
            parse_revocation_response(400, br#"{"error":"unsupported_token_type"}"#).unwrap_err();
        assert_eq!(error.oauth_error(), Some("unsupported_token_type"));
        assert!(parse_revocation_response(503, b"")
            .unwrap_err()
            .is_retryable());
    }

    #[test]
    fn registration_takes_an_object_and_answers_one() {
        assert!(registration_request_body(r#"{"client_name":"x"}"#).is_ok());
        for bad in ["[]", "\"x\"", "null", "{", ""] {
            let error = registration_request_body(bad).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{bad}");
        }
        let answer =
            parse_registration_response(201, br#"{"client_id":"c","client_secret":"s"}"#).unwrap();
        assert!(answer.expose().contains("client_secret"));
        assert!(parse_registration_response(201, br#"{"client_secret":"s"}"#).is_err());
        let error = parse_registration_response(400, br#"{"error":"invalid_client_metadata"}"#)
            .unwrap_err();
        assert_eq!(error.oauth_error(), Some("invalid_client_metadata"));
    }

    #[test]
    fn the_token_goes_after_the_credentials() {
        let body = token_operation_body(&[("client_id", "c")], "t k", Some("access_token"));
        assert_eq!(
            &body[..],
            b"client_id=c&token=t+k&token_type_hint=access_token"
        );
    }
}
