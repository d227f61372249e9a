//! The OAuth 2.0 token endpoint `POST /oauth2/token` and every grant it serves:
//! `client_credentials` (RFC 6749 4.4), `password` (4.3), `refresh_token`
//! (section 6, with rotation) and RFC 8693 token exchange, which the Coze step 2
//! endpoint shares.
//!
//! Every answer carries `scope` when the issued token has one, and a new
//! `refresh_token` when the grant is in the configured refresh-token grants.

use serde_json::{Map, Value};

use crate::client_auth::{authenticate, Need};
use crate::form::{
    check_form, invalid_grant, invalid_request, param, params, required, unsupported_grant_type,
};
use crate::http::{RecordedRequest, Reply};
use crate::state::State;
use crate::tokens::{Claims, TokenKind};

/// `grant_type` of RFC 8693 token exchange.
pub(crate) const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// `POST /oauth2/token`: dispatches on `grant_type`.
pub(crate) fn token(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    check_form(request)?;
    match required(request, "grant_type")? {
        "client_credentials" => {
            let client_id = authenticate(state, request, Need::Proof)?;
            let claims = Claims {
                subject: client_id.clone(),
                client_id,
                ..requested_claims(state, request)
            };
            Ok(issue(state, claims, "client_credentials", Map::new()))
        }
        "password" => password(state, request),
        "refresh_token" => refresh(state, request),
        TOKEN_EXCHANGE_GRANT => {
            let client_id = authenticate(state, request, Need::Identity)?;
            token_exchange(state, request, client_id)
        }
        other => Err(unsupported_grant_type(&format!(
            "grant_type {other} is not supported (client_credentials, password, refresh_token, {TOKEN_EXCHANGE_GRANT})"
        ))),
    }
}

/// RFC 6749 4.3: a user's name and password for a token (and a refresh token).
fn password(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    let client_id = authenticate(state, request, Need::Identity)?;
    let username = required(request, "username")?;
    let password = required(request, "password")?;
    if !state.user_matches(username, password) {
        return Err(invalid_grant("wrong username or password"));
    }
    let claims = Claims {
        client_id,
        subject: username.to_owned(),
        username: Some(username.to_owned()),
        ..requested_claims(state, request)
    };
    Ok(issue(state, claims, "password", Map::new()))
}

/// RFC 6749 section 6: a refresh token for a new access token; with rotation,
/// the answer's refresh token replaces the one sent, which then dies.
fn refresh(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    let client_id = authenticate(state, request, Need::Identity)?;
    let sent = required(request, "refresh_token")?;
    let original = match state.tokens.live(sent) {
        Some(token) if token.kind == TokenKind::Refresh => token.claims.clone(),
        _ => {
            return Err(invalid_grant(
                "refresh_token is unknown, revoked or already used",
            ))
        }
    };
    if original.client_id != client_id {
        return Err(invalid_grant("refresh_token was issued to another client"));
    }
    let scope = match param(request, "scope") {
        None => original.scope.clone(),
        Some(asked) => {
            let granted: Vec<&str> = original.scope.as_deref().unwrap_or("").split(' ').collect();
            if let Some(extra) = asked.split(' ').find(|s| !granted.contains(s)) {
                return Err(Reply::error(
                    400,
                    "invalid_scope",
                    &format!("scope {extra} was not granted to this refresh token"),
                ));
            }
            Some(asked.to_owned())
        }
    };
    let mut body = Map::new();
    if state.settings.issues_refresh_token("refresh_token") {
        state.tokens.consume(sent);
        let refresh_token = state.issue_with(TokenKind::Refresh, original.clone());
        body.insert("refresh_token".to_owned(), refresh_token.into());
    }
    if let Some(scope) = &scope {
        body.insert("scope".to_owned(), scope.clone().into());
    }
    let access_token = state.issue_with(TokenKind::Access, Claims { scope, ..original });
    Ok(token_reply(state, access_token, body))
}

/// RFC 8693 exchange of `subject_token` (and an optional actor) for an access token.
///
/// ID tokens must be live and the caller's, access tokens live; other types
/// are external tokens, accepted as they are.
pub(crate) fn token_exchange(
    state: &mut State,
    request: &RecordedRequest,
    client_id: String,
) -> Result<Reply, Reply> {
    let subject_token = required(request, "subject_token")?;
    let subject_type = required(request, "subject_token_type")?;
    let actor = match (
        param(request, "actor_token"),
        param(request, "actor_token_type"),
    ) {
        (Some(token), Some(token_type)) => Some(token_subject(
            state,
            &client_id,
            "actor_token",
            token,
            token_type,
        )?),
        (Some(_), None) => {
            return Err(invalid_request(
                "actor_token_type is required with actor_token",
            ))
        }
        (None, Some(_)) => {
            return Err(invalid_request(
                "actor_token_type given without actor_token",
            ))
        }
        (None, None) => None,
    };
    let subject = token_subject(
        state,
        &client_id,
        "subject_token",
        subject_token,
        subject_type,
    )?;
    let claims = Claims {
        client_id,
        subject,
        actor,
        ..requested_claims(state, request)
    };
    let issued_type = param(request, "requested_token_type").unwrap_or(ACCESS_TOKEN_TYPE);
    let mut extra = Map::new();
    extra.insert("issued_token_type".to_owned(), issued_type.into());
    Ok(issue(state, claims, TOKEN_EXCHANGE_GRANT, extra))
}

/// The subject a subject or actor token (`name`) stands for, after the checks
/// of [`token_exchange`]; a refusal names the token that failed, never its value.
fn token_subject(
    state: &State,
    client_id: &str,
    name: &str,
    token: &str,
    token_type: &str,
) -> Result<String, Reply> {
    let live = |kind| {
        state
            .tokens
            .live(token)
            .filter(|found| found.kind == kind)
            .map(|found| found.claims.clone())
    };
    match token_type {
        ID_TOKEN_TYPE => match live(TokenKind::Id) {
            Some(claims) if claims.client_id == client_id => Ok(claims.subject),
            Some(_) => Err(invalid_grant(&format!(
                "{name} was issued to another client"
            ))),
            None => Err(invalid_grant(&format!(
                "{name} is not a live ID token issued here"
            ))),
        },
        ACCESS_TOKEN_TYPE => live(TokenKind::Access)
            .map(|claims| claims.subject)
            .ok_or_else(|| {
                invalid_grant(&format!(
                    "{name} is not a live access token issued here (unknown, expired or revoked)"
                ))
            }),
        _ => Ok("external".to_owned()),
    }
}

/// Scope, audience and resource of the request, in a new grant family.
fn requested_claims(state: &mut State, request: &RecordedRequest) -> Claims {
    let mut audience: Vec<String> = params(request, "audience")
        .into_iter()
        .map(str::to_owned)
        .collect();
    audience.extend(params(request, "resource").into_iter().map(str::to_owned));
    Claims {
        scope: param(request, "scope").map(str::to_owned),
        audience,
        family: state.tokens.new_family(),
        ..Claims::default()
    }
}

/// Issues an access token for `claims` (and a refresh token when `grant_type` gets one).
fn issue(
    state: &mut State,
    claims: Claims,
    grant_type: &str,
    mut body: Map<String, Value>,
) -> Reply {
    if state.settings.issues_refresh_token(grant_type) {
        let refresh_token = state.issue_with(TokenKind::Refresh, claims.clone());
        body.insert("refresh_token".to_owned(), refresh_token.into());
    }
    let scope = claims.scope.clone();
    let access_token = state.issue_with(TokenKind::Access, claims);
    if let Some(scope) = scope {
        body.insert("scope".to_owned(), scope.into());
    }
    token_reply(state, access_token, body)
}

/// The RFC 6749 section 5.1 answer: `access_token`, `token_type`, the lifetime
/// members, and `body`'s members.
pub(crate) fn token_reply(state: &State, token: String, mut body: Map<String, Value>) -> Reply {
    body.insert("access_token".to_owned(), token.into());
    body.insert("token_type".to_owned(), "Bearer".into());
    state.settings.lifetime_members(&mut body);
    Reply::json(200, &Value::Object(body))
}
