//! Protocol steps 1 and 2: `POST /oauth/token` and `POST /oauth/exchange`.
//!
//! Errors follow RFC 6749 section 5.2: `{"error", "error_description"}`.

use serde_json::{Map, Value};

use crate::encoding::{base64_decode, percent_decode};
use crate::http::{RecordedRequest, Reply};
use crate::state::{State, TokenKind};

const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Step 1: client credentials in, ID token out.
pub(crate) fn token(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    check_form(request)?;
    check_grant(request, "client_credentials")?;
    let client_id = authenticate(state, request, true)?;
    let id_token = state.issue(TokenKind::Id, &client_id);
    Ok(token_reply(state, id_token, Map::new()))
}

/// Step 2 and general RFC 8693 token exchange: subject token in, access token out.
pub(crate) fn exchange(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    check_form(request)?;
    check_grant(request, TOKEN_EXCHANGE_GRANT)?;
    let client_id = authenticate(state, request, false)?;
    let subject_token = required(request, "subject_token")?;
    let subject_type = required(request, "subject_token_type")?;
    check_actor(request)?;
    check_subject(state, &client_id, subject_token, subject_type)?;
    let access_token = state.issue(TokenKind::Access, &client_id);
    let mut extra = Map::new();
    let issued_type = param(request, "requested_token_type").unwrap_or(ACCESS_TOKEN_TYPE);
    extra.insert("issued_token_type".to_owned(), issued_type.into());
    if let Some(scope) = param(request, "scope") {
        extra.insert("scope".to_owned(), scope.into());
    }
    Ok(token_reply(state, access_token, extra))
}

/// RFC 8693: `actor_token` and `actor_token_type` come together or not at all.
fn check_actor(request: &RecordedRequest) -> Result<(), Reply> {
    let token = param(request, "actor_token").is_some();
    let token_type = param(request, "actor_token_type").is_some();
    match (token, token_type) {
        (true, false) => Err(invalid_request(
            "actor_token_type is required with actor_token",
        )),
        (false, true) => Err(invalid_request(
            "actor_token_type given without actor_token",
        )),
        _ => Ok(()),
    }
}

/// ID tokens must be live and the caller's, access tokens live; other types are external.
fn check_subject(
    state: &State,
    client_id: &str,
    token: &str,
    token_type: &str,
) -> Result<(), Reply> {
    match token_type {
        ID_TOKEN_TYPE => match state.token_client(token, TokenKind::Id) {
            Some(owner) if owner == client_id => Ok(()),
            Some(_) => Err(invalid_grant("subject_token was issued to another client")),
            None => Err(invalid_grant(
                "subject_token is not a live ID token issued here",
            )),
        },
        ACCESS_TOKEN_TYPE => match state.token_client(token, TokenKind::Access) {
            Some(_) => Ok(()),
            None => Err(invalid_grant(
                "subject_token is not a live access token issued here",
            )),
        },
        _ => Ok(()),
    }
}

fn token_reply(state: &State, token: String, mut body: Map<String, Value>) -> Reply {
    body.insert("access_token".to_owned(), token.into());
    body.insert("token_type".to_owned(), "Bearer".into());
    state.settings.lifetime_members(&mut body);
    Reply::json(200, &Value::Object(body))
}

/// Requires a form body in which no parameter is repeated (RFC 6749 section 3.2).
fn check_form(request: &RecordedRequest) -> Result<(), Reply> {
    if !request.has_content_type("application/x-www-form-urlencoded") {
        return Err(invalid_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    for (i, (name, _)) in request.form.iter().enumerate() {
        if request.form[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(invalid_request(&format!("parameter {name} is repeated")));
        }
    }
    Ok(())
}

fn check_grant(request: &RecordedRequest, expected: &str) -> Result<(), Reply> {
    match required(request, "grant_type")? {
        grant if grant == expected => Ok(()),
        _ => Err(Reply::error(
            400,
            "unsupported_grant_type",
            &format!("grant_type must be {expected}"),
        )),
    }
}

/// Identifies the client by HTTP Basic or form fields and checks any secret sent.
///
/// With `require_secret` a client must authenticate; otherwise a bare
/// `client_id` identifies it. Returns the client id.
fn authenticate(
    state: &State,
    request: &RecordedRequest,
    require_secret: bool,
) -> Result<String, Reply> {
    let form_id = param(request, "client_id");
    let form_secret = param(request, "client_secret");
    let (client_id, secret) = match basic_credentials(state, request)? {
        Some((id, secret)) => {
            if form_secret.is_some() || form_id.is_some_and(|form_id| form_id != id) {
                return Err(invalid_request("use only one client authentication method"));
            }
            (id, Some(secret))
        }
        None => {
            let id = form_id.ok_or_else(|| invalid_client("client_id is required"))?;
            (id.to_owned(), form_secret.map(str::to_owned))
        }
    };
    let expected = state
        .client_secret(&client_id)
        .ok_or_else(|| invalid_client("unknown client"))?;
    match secret {
        Some(secret) if secret != expected => Err(invalid_client("client authentication failed")),
        None if require_secret => Err(invalid_client("client_secret is required")),
        _ => Ok(client_id),
    }
}

/// `Authorization: Basic` credentials.
///
/// RFC 6749 section 2.3.1 form-encodes both parts, but many clients do not:
/// the decoded pair is used when it names a client with that secret, else the raw pair.
fn basic_credentials(
    state: &State,
    request: &RecordedRequest,
) -> Result<Option<(String, String)>, Reply> {
    let Some((scheme, encoded)) = request
        .header("authorization")
        .and_then(|v| v.split_once(' '))
    else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = base64_decode(encoded.trim()).and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded.as_deref().and_then(|text| text.split_once(':')) {
        Some((id, secret)) => {
            let (decoded_id, decoded_secret) = (percent_decode(id), percent_decode(secret));
            if state.client_secret(&decoded_id) == Some(decoded_secret.as_str()) {
                Ok(Some((decoded_id, decoded_secret)))
            } else {
                Ok(Some((id.to_owned(), secret.to_owned())))
            }
        }
        None => Err(invalid_client("malformed Basic credentials")),
    }
}

/// A non-empty form parameter.
fn param<'a>(request: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    request.form_value(name).filter(|value| !value.is_empty())
}

fn required<'a>(request: &'a RecordedRequest, name: &str) -> Result<&'a str, Reply> {
    param(request, name).ok_or_else(|| invalid_request(&format!("missing {name}")))
}

fn invalid_request(description: &str) -> Reply {
    Reply::error(400, "invalid_request", description)
}

fn invalid_grant(description: &str) -> Reply {
    Reply::error(400, "invalid_grant", description)
}

fn invalid_client(description: &str) -> Reply {
    Reply::error(401, "invalid_client", description).with_header(
        "WWW-Authenticate",
        r#"Basic realm="wi-devserver""#.to_owned(),
    )
}
