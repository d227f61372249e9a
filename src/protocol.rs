//! The Coze / OAuth wire protocol: request bodies and response parsing
//! (shared/PROTOCOL.md). Pure functions, no I/O.

use std::time::Duration;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::{Error, Operation};
use crate::redact::quote;
use crate::secret::SecretString;
use crate::wipe::wipe_json;

mod oauth;

pub(crate) use oauth::{
    parse_introspection_response, parse_registration_response, parse_revocation_response,
    parse_server_metadata, registration_request_body, token_operation_body, Introspection,
    ServerMetadata,
};

/// `grant_type` of RFC 8693.
pub(crate) const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// Token type of the step-2 subject (the ID token).
pub(crate) const TOKEN_TYPE_ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
/// Default `subject_token_type` of a general exchange.
pub(crate) const TOKEN_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Lifetime assumed when a response has no `expires_in` (as the Python SDK).
pub(crate) const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(3600);
/// Longest lifetime accepted (ten years); anything above is a malformed response.
const MAX_EXPIRES_IN_SECS: f64 = 315_360_000.0;

/// A successful token response (either step, or a general exchange).
#[derive(Debug)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: SecretString,
    pub(crate) expires_in: Duration,
    /// False when the answer had no `expires_in` (and `expires_in` is the default).
    pub(crate) expires_in_stated: bool,
    /// The server's `refresh_in` hint, when present and sensible.
    pub(crate) refresh_in: Option<Duration>,
    pub(crate) token_type: Option<String>,
    pub(crate) issued_token_type: Option<String>,
    pub(crate) scope: Option<String>,
    /// A refresh token, when the server issued one.
    pub(crate) refresh_token: Option<SecretString>,
}

/// One project environment variable; the value is treated as a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable name.
    pub key: String,
    /// The value (redacted in `Debug`, wiped on drop).
    pub value: SecretString,
}

/// Whether `byte` stands for itself in a form body.
fn unreserved(byte: u8) -> bool {
    matches!(byte, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~')
}

/// `application/x-www-form-urlencoded`, byte-compatible with Python's
/// `urlencode` (space as `+`, everything but `A-Za-z0-9_.-~` percent-encoded).
/// The buffer is wiped on drop: it may hold the client secret. It is allocated
/// once, at its exact size, so that no growth leaves a copy behind.
pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> Zeroizing<Vec<u8>> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let encoded_len = |text: &str| -> usize {
        text.bytes()
            .map(|byte| {
                if unreserved(byte) || byte == b' ' {
                    1
                } else {
                    3
                }
            })
            .sum()
    };
    let size: usize = pairs
        .iter()
        .map(|(key, value)| encoded_len(key) + encoded_len(value) + 2)
        .sum();
    let mut out = Zeroizing::new(Vec::with_capacity(size));
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push(b'&');
        }
        for (position, part) in [key, value].iter().enumerate() {
            if position == 1 {
                out.push(b'=');
            }
            for &byte in part.as_bytes() {
                match byte {
                    _ if unreserved(byte) => out.push(byte),
                    b' ' => out.push(b'+'),
                    _ => {
                        out.push(b'%');
                        out.push(HEX[(byte >> 4) as usize]);
                        out.push(HEX[(byte & 15) as usize]);
                    }
                }
            }
        }
    }
    out
}

/// `Basic` credentials of RFC 6749 section 2.3.1: the form-encoded id and secret,
/// base64-encoded. Wiped on drop.
pub(crate) fn basic_authorization(client_id: &str, client_secret: &str) -> Zeroizing<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // Each starts with the "=" of an empty key.
    let id = form_encode(&[("", client_id)]);
    let secret = form_encode(&[("", client_secret)]);
    let mut plain = Zeroizing::new(Vec::with_capacity(id.len() + secret.len() - 1));
    plain.extend_from_slice(&id[1..]);
    plain.push(b':');
    plain.extend_from_slice(&secret[1..]);
    let mut out = Zeroizing::new(String::with_capacity(6 + plain.len().div_ceil(3) * 4));
    out.push_str("Basic ");
    for chunk in plain.chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let group = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(ALPHABET[(group >> (18 - 6 * index)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The parameters of an RFC 8693 token exchange (section 2.1).
#[derive(Clone, Copy, Debug, Default)]
pub struct ExchangeParams<'a> {
    /// The token to exchange (required).
    pub subject_token: &'a str,
    /// Its type; default `urn:ietf:params:oauth:token-type:access_token`.
    pub subject_token_type: Option<&'a str>,
    /// Target service(s).
    pub audience: Option<&'a str>,
    /// Target resource URI.
    pub resource: Option<&'a str>,
    /// Requested scope.
    pub scope: Option<&'a str>,
    /// Requested token type.
    pub requested_token_type: Option<&'a str>,
    /// Actor token (delegation).
    pub actor_token: Option<&'a str>,
    /// Actor token type; required with `actor_token`.
    pub actor_token_type: Option<&'a str>,
}

/// The grant of a token request: its own fields, in wire order.
pub(crate) enum Grant<'a> {
    /// `grant_type=client_credentials` (RFC 6749 4.4; Coze step 1).
    ClientCredentials,
    /// `grant_type=password` (RFC 6749 4.3).
    Password {
        username: &'a str,
        password: &'a str,
    },
    /// `grant_type=refresh_token` (RFC 6749 6).
    RefreshToken(&'a str),
    /// Coze step 2, in the version 1 order: subject token, its type, grant type.
    CozeExchange { id_token: &'a str },
    /// RFC 8693: grant type, then every parameter given.
    TokenExchange(&'a ExchangeParams<'a>),
}

/// `scope`, `audience` and `resource` of a flow, each sent when set.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Targets<'a> {
    pub(crate) scope: Option<&'a str>,
    pub(crate) audience: Option<&'a str>,
    pub(crate) resource: Option<&'a str>,
}

/// The body of a token request: the client's credential fields first, then
/// the grant's fields, then the targets (not for exchanges, whose parameters
/// carry their own). Wiped on drop.
pub(crate) fn token_request_body(
    credentials: &[(&str, &str)],
    grant: &Grant<'_>,
    targets: Targets<'_>,
) -> Zeroizing<Vec<u8>> {
    let mut fields: Vec<(&str, &str)> = credentials.to_vec();
    match grant {
        Grant::ClientCredentials => fields.push(("grant_type", "client_credentials")),
        Grant::Password { username, password } => fields.extend([
            ("grant_type", "password"),
            ("username", *username),
            ("password", *password),
        ]),
        Grant::RefreshToken(refresh_token) => fields.extend([
            ("grant_type", "refresh_token"),
            ("refresh_token", *refresh_token),
        ]),
        Grant::CozeExchange { id_token } => fields.extend([
            ("subject_token", *id_token),
            ("subject_token_type", TOKEN_TYPE_ID_TOKEN),
            ("grant_type", GRANT_TOKEN_EXCHANGE),
        ]),
        Grant::TokenExchange(params) => {
            fields.extend([
                ("grant_type", GRANT_TOKEN_EXCHANGE),
                ("subject_token", params.subject_token),
                (
                    "subject_token_type",
                    params.subject_token_type.unwrap_or(TOKEN_TYPE_ACCESS_TOKEN),
                ),
            ]);
            let optional = [
                ("audience", params.audience),
                ("resource", params.resource),
                ("scope", params.scope),
                ("requested_token_type", params.requested_token_type),
                ("actor_token", params.actor_token),
                ("actor_token_type", params.actor_token_type),
            ];
            fields.extend(
                optional
                    .iter()
                    .filter_map(|(name, value)| Some((*name, (*value)?))),
            );
        }
    }
    if !matches!(grant, Grant::CozeExchange { .. } | Grant::TokenExchange(_)) {
        let optional = [
            ("scope", targets.scope),
            ("audience", targets.audience),
            ("resource", targets.resource),
        ];
        fields.extend(
            optional
                .iter()
                .filter_map(|(name, value)| Some((*name, (*value)?))),
        );
    }
    form_encode(&fields)
}

/// `Bearer` credentials for an `Authorization` header, allocated once at their
/// exact size. Wiped on drop.
pub(crate) fn bearer_authorization(token: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(7 + token.len()));
    out.push_str("Bearer ");
    out.push_str(token);
    out
}

/// A parsed response whose strings (tokens, credentials, env-var values) are
/// wiped when it is dropped; serde_json would free them unwiped.
struct WipedJson(Value);

impl WipedJson {
    fn parse(body: &[u8]) -> Option<WipedJson> {
        serde_json::from_slice(body).ok().map(WipedJson)
    }

    fn object(&self) -> Option<&Map<String, Value>> {
        self.0.as_object()
    }
}

impl Drop for WipedJson {
    fn drop(&mut self) {
        wipe_json(&mut self.0);
    }
}

/// Parses a token endpoint response. Any failure is an error of `operation`.
pub(crate) fn parse_token_response(
    status: u16,
    body: &[u8],
    operation: Operation,
) -> Result<TokenResponse, Error> {
    let parsed = WipedJson::parse(body);
    let json = parsed.as_ref().and_then(WipedJson::object);
    if let Some(error) = error_answer(status, json, operation) {
        return Err(error);
    }
    let map = json.ok_or_else(|| {
        Error::new(operation, "response is not a JSON object").with_http_status(status)
    })?;
    let malformed = |why: String| Error::new(operation, why).with_http_status(status);
    let access_token = match map.get("access_token") {
        Some(Value::String(token)) if !token.is_empty() && fits_a_header(token) => {
            SecretString::from(token.as_str())
        }
        Some(Value::String(_)) => {
            return Err(malformed(format!(
                "access_token is empty or {NOT_A_HEADER_VALUE}"
            )))
        }
        Some(_) => return Err(malformed("access_token is not a string".into())),
        None => return Err(malformed("response has no access_token".into())),
    };
    let expires_in_stated = !matches!(map.get("expires_in"), None | Some(Value::Null));
    let expires_in = match map.get("expires_in") {
        None | Some(Value::Null) => DEFAULT_EXPIRES_IN,
        Some(value) => {
            parse_lifetime(value).map_err(|why| malformed(format!("expires_in {why}")))?
        }
    };
    let refresh_in = map
        .get("refresh_in")
        .and_then(|value| parse_lifetime(value).ok())
        .filter(|refresh_in| *refresh_in < expires_in);
    let text = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(TokenResponse {
        access_token,
        expires_in,
        expires_in_stated,
        refresh_in,
        token_type: text("token_type"),
        issued_token_type: text("issued_token_type"),
        scope: text("scope"),
        refresh_token: match map.get("refresh_token") {
            Some(Value::String(token)) if !token.is_empty() && !token.contains('\0') => {
                Some(SecretString::from(token.as_str()))
            }
            _ => None,
        },
    })
}

/// The error an OAuth endpoint's answer carries, if any: an RFC 6749 `error`
/// member (RFC 6749 5.2: whatever the HTTP status, as some servers answer 200;
/// `null` is no error), else a status that is not 2xx. Retryable: 408, 429,
/// 5xx, `temporarily_unavailable`, `server_error`.
fn error_answer(
    status: u16,
    json: Option<&Map<String, Value>>,
    operation: Operation,
) -> Option<Error> {
    let status_retryable = matches!(status, 408 | 429 | 500..=599);
    if let Some(code) = json
        .and_then(|map| map.get("error"))
        .filter(|code| !code.is_null())
    {
        let code = match code {
            Value::String(code) => quote(code),
            other => quote(&other.to_string()),
        };
        let description = json
            .and_then(|map| map.get("error_description"))
            .and_then(Value::as_str)
            .map(quote);
        let retryable =
            status_retryable || code == "temporarily_unavailable" || code == "server_error";
        let mut message = format!("server returned error {code}");
        if let Some(text) = &description {
            message.push_str(": ");
            message.push_str(text);
        }
        return Some(
            Error::new(operation, message)
                .with_oauth(Some(code), description)
                .with_http_status(status)
                .retryable(retryable),
        );
    }
    if !(200..300).contains(&status) {
        return Some(
            Error::new(operation, format!("unexpected HTTP status {status}"))
                .with_http_status(status)
                .retryable(status_retryable),
        );
    }
    None
}

/// A lifetime in seconds, given as a JSON number or a numeric string.
fn parse_lifetime(value: &Value) -> Result<Duration, String> {
    let seconds = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|seconds| seconds.is_finite())
    .ok_or_else(|| format!("is not a number: {}", quote(&value.to_string())))?;
    if seconds < 1.0 {
        return Err(format!("is {seconds}: the token is already expired"));
    }
    if seconds > MAX_EXPIRES_IN_SECS {
        return Err(format!("is out of range: {seconds}"));
    }
    Ok(Duration::from_secs(seconds as u64))
}

/// Parses an integration-credential response.
pub(crate) fn parse_integration_response(status: u16, body: &[u8]) -> Result<SecretString, Error> {
    let data = parse_outbound(status, body, Operation::IntegrationCredential)?;
    match data.0.get("credential") {
        Some(Value::String(credential)) if fits_a_header(credential) => {
            Ok(SecretString::from(credential.as_str()))
        }
        Some(Value::String(_)) => Err(Error::new(
            Operation::IntegrationCredential,
            format!("data.credential {NOT_A_HEADER_VALUE}"),
        )
        .with_http_status(status)),
        Some(_) => Err(Error::new(
            Operation::IntegrationCredential,
            "data.credential is not a string",
        )
        .with_http_status(status)),
        None => Err(Error::new(
            Operation::IntegrationCredential,
            "response has no data.credential",
        )
        .with_http_status(status)),
    }
}

/// Parses a project env-vars response, keeping the server's order.
pub(crate) fn parse_env_vars_response(status: u16, body: &[u8]) -> Result<Vec<EnvVar>, Error> {
    let data = parse_outbound(status, body, Operation::ProjectEnvVars)?;
    let malformed = |why: &str| Error::new(Operation::ProjectEnvVars, why).with_http_status(status);
    let secrets = match data.0.get("secrets") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(malformed("data.secrets is not an array")),
        None => return Err(malformed("response has no data.secrets")),
    };
    secrets
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let field = |name: &str| match item.get(name) {
                Some(Value::String(text)) if !text.contains('\0') => Ok(text.as_str()),
                _ => Err(malformed(&format!(
                    "data.secrets[{index}] has no string {name:?}"
                ))),
            };
            Ok(EnvVar {
                key: field("key")?.to_owned(),
                value: SecretString::from(field("value")?),
            })
        })
        .collect()
}

/// The env-var document of the C API, `{"vars":[{"key":"K","value":"V"},...]}`
/// in the server's order, as UTF-8 in a buffer allocated once, large enough
/// for any escaping (at most 6 bytes per byte), and wiped on drop.
pub(crate) fn env_vars_document(vars: &[EnvVar]) -> Zeroizing<Vec<u8>> {
    let size: usize = 11
        + vars
            .iter()
            .map(|var| 6 * (var.key.len() + var.value.len()) + 28)
            .sum::<usize>();
    let mut json = Zeroizing::new(Vec::with_capacity(size));
    json.extend_from_slice(b"{\"vars\":[");
    for (index, var) in vars.iter().enumerate() {
        if index > 0 {
            json.push(b',');
        }
        json.extend_from_slice(b"{\"key\":");
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *json, var.key.as_str());
        json.extend_from_slice(b",\"value\":");
        let _ = serde_json::to_writer(&mut *json, var.value.expose());
        json.push(b'}');
    }
    json.extend_from_slice(b"]}");
    json
}

/// The `data` object of an outbound-auth API response (wiped on drop), or the
/// error it carries.
fn parse_outbound(status: u16, body: &[u8], operation: Operation) -> Result<WipedJson, Error> {
    let mut json = WipedJson::parse(body);
    let server_msg = json
        .as_ref()
        .and_then(|json| json.0.get("msg"))
        .and_then(Value::as_str)
        .map(quote);
    if status != 200 {
        let class = if (400..500).contains(&status) {
            "client error"
        } else {
            "server error"
        };
        let mut message = format!("HTTP {status} ({class})");
        if let Some(msg) = server_msg {
            message.push_str(": ");
            message.push_str(&msg);
        }
        return Err(Error::new(operation, message)
            .with_http_status(status)
            .retryable(matches!(status, 408 | 429 | 500..=599)));
    }
    let Some(map) = json.as_mut().and_then(|json| json.0.as_object_mut()) else {
        return Err(Error::new(operation, "response is not a JSON object").with_http_status(status));
    };
    match map.get("code") {
        Some(code) if code.as_i64() == Some(0) => {}
        Some(code) => {
            return Err(Error::new(
                operation,
                format!(
                    "business error code {}: {}",
                    quote(&code.to_string()),
                    server_msg.unwrap_or_default()
                ),
            )
            .with_http_status(status))
        }
        None => return Err(Error::new(operation, "response has no code").with_http_status(status)),
    }
    match map.remove("data").map(WipedJson) {
        Some(data) if data.object().is_some() => Ok(data),
        Some(_) => Err(Error::new(operation, "data is not an object").with_http_status(status)),
        None => Err(Error::new(operation, "response has no data").with_http_status(status)),
    }
}

/// Why a token or credential was refused by [`fits_a_header`].
const NOT_A_HEADER_VALUE: &str =
    "holds a character that cannot go in an HTTP header (only visible ASCII is accepted)";

/// Whether a token or credential can go in an HTTP header as it is: visible
/// ASCII only (RFC 7230 `VCHAR`; RFC 6750's `b64token` is a subset), so no
/// control character (no header injection), no space, no non-ASCII byte.
fn fits_a_header(value: &str) -> bool {
    value.bytes().all(|byte| byte.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_matches_python_urlencode() {
        let body = form_encode(&[("grant_type", GRANT_TOKEN_EXCHANGE), ("x", "a b+c&d=é~")]);
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&x=a+b%2Bc%26d%3D%C3%A9~"
        );
    }

    #[test]
    fn basic_authorization_is_base64_of_encoded_pair() {
        assert_eq!(
            basic_authorization("Aladdin", "open sesame").as_str(),
            "Basic QWxhZGRpbjpvcGVuK3Nlc2FtZQ=="
        );
        assert_eq!(basic_authorization("a", "b").as_str(), "Basic YTpi");
        assert_eq!(
            basic_authorization("ab", "c:").as_str(),
            "Basic YWI6YyUzQQ=="
        );
    }

    #[test]
    fn expires_in_number_string_absent_and_invalid() {
        let parse = |body: &str| parse_token_response(200, body.as_bytes(), Operation::AccessToken);
        assert_eq!(
            parse(r#"{"access_token":"t","expires_in":120}"#)
                .unwrap()
                .expires_in
                .as_secs(),
            120
        );
        assert_eq!(
            parse(r#"{"access_token":"t","expires_in":"90"}"#)
                .unwrap()
                .expires_in
                .as_secs(),
            90
        );
        assert_eq!(
            parse(r#"{"access_token":"t"}"#)
                .unwrap()
                .expires_in
                .as_secs(),
            3600
        );
        for bad in [r#""abc""#, "0", "-5", "1e30", "true", "[1]"] {
            let error =
                parse(&format!(r#"{{"access_token":"t","expires_in":{bad}}}"#)).unwrap_err();
            assert!(error.message().contains("expires_in"), "{error}");
            assert!(!error.is_retryable());
        }
    }

    #[test]
    fn token_errors_are_classified() {
        let error = parse_token_response(
            401,
            br#"{"error":"invalid_client","error_description":"bad secret"}"#,
            Operation::IdToken,
        )
        .unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::TokenRetrieval);
        assert_eq!(error.oauth_error(), Some("invalid_client"));
        assert_eq!(error.http_status(), Some(401));
        assert!(!error.is_retryable() && error.is_non_recoverable());
        let error = parse_token_response(503, b"<html>", Operation::AccessToken).unwrap_err();
        assert!(error.is_retryable());
        assert_eq!(error.kind(), crate::ErrorKind::TokenExchange);
        let error = parse_token_response(200, b"not json", Operation::AccessToken).unwrap_err();
        assert!(error.message().contains("JSON"));
        let error =
            parse_token_response(200, br#"{"token":"x"}"#, Operation::AccessToken).unwrap_err();
        assert!(error.message().contains("access_token"));
        let error = parse_token_response(
            400,
            br#"{"error":"temporarily_unavailable"}"#,
            Operation::IdToken,
        )
        .unwrap_err();
        assert!(error.is_retryable());
    }

    #[test]
    fn tokens_and_credentials_must_fit_a_header() {
        for bad in [
            "a\r\nX-Injected: evil",
            "a b",
            "é",
            "a\u{7f}",
            "a\u{0}",
            "\t",
        ] {
            let body = serde_json::json!({ "access_token": bad }).to_string();
            let error = parse_token_response(200, body.as_bytes(), Operation::IdToken).unwrap_err();
            assert!(error.message().contains("HTTP header"), "{bad:?}: {error}");
            assert!(!error.is_retryable());
            assert_eq!(error.http_status(), Some(200));
            let body = serde_json::json!({ "code": 0, "data": { "credential": bad } }).to_string();
            let error = parse_integration_response(200, body.as_bytes()).unwrap_err();
            assert!(error.message().contains("HTTP header"), "{bad:?}: {error}");
        }
        let visible: String = (0x21u8..=0x7e).map(char::from).collect();
        let body = serde_json::json!({ "access_token": visible }).to_string();
        let parsed = parse_token_response(200, body.as_bytes(), Operation::IdToken).unwrap();
        assert_eq!(parsed.access_token.expose(), visible);
    }

    #[test]
    fn oauth_errors_are_classified_by_content() {
        let error = parse_token_response(200, br#"{"error":"invalid_grant"}"#, Operation::IdToken)
            .unwrap_err();
        assert_eq!(error.http_status(), Some(200));
        assert_eq!(error.oauth_error(), Some("invalid_grant"));
        assert!(!error.is_retryable() && error.is_non_recoverable());
        let error = parse_token_response(
            200,
            br#"{"error":"temporarily_unavailable"}"#,
            Operation::IdToken,
        )
        .unwrap_err();
        assert!(error.is_retryable() && !error.is_non_recoverable());
        let body = br#"{"access_token":"t","error":null,"error_description":null}"#;
        let parsed = parse_token_response(200, body, Operation::IdToken).unwrap();
        assert_eq!(parsed.access_token.expose(), "t");
        let error = parse_token_response(200, br#"{"error":false}"#, Operation::IdToken);
        assert!(error.is_err(), "any other error member is an error");
    }

    #[test]
    fn outbound_responses() {
        let ok = br#"{"code":0,"msg":"success","data":{"credential":"c1"}}"#;
        assert_eq!(parse_integration_response(200, ok).unwrap().expose(), "c1");
        let business = br#"{"code":1001,"msg":"integration not found"}"#;
        let error = parse_integration_response(200, business).unwrap_err();
        assert!(error.message().contains("1001") && error.message().contains("not found"));
        let error = parse_integration_response(404, br#"{"msg":"nope"}"#).unwrap_err();
        assert!(error.message().contains("client error") && error.message().contains("nope"));
        assert!(parse_integration_response(200, br#"{"code":0,"data":[]}"#).is_err());
        assert!(parse_integration_response(200, br#"{"code":0,"data":{"credential":5}}"#).is_err());
        let vars = parse_env_vars_response(
            200,
            br#"{"code":0,"msg":"","data":{"secrets":[{"key":"B","value":"2"},{"key":"A","value":"1"}]}}"#,
        )
        .unwrap();
        assert_eq!(vars[0].key, "B");
        assert_eq!(vars[1].value.expose(), "1");
        assert!(
            parse_env_vars_response(200, br#"{"code":0,"data":{"secrets":[{"key":"A"}]}}"#)
                .is_err()
        );
    }
}
