//! RFC 7662 introspection, and the fail-safe check on top of it: a token is
//! active only when the server says `"active": true` (and grants the required
//! scopes); every failure is an error, which the C ABI turns into `false`.

use std::sync::Arc;

use super::discovery::{endpoint, Endpoint};
use super::{check_optional, check_token};
use crate::client_auth::Purpose;
use crate::error::{Error, Operation};
use crate::protocol::{parse_introspection_response, token_operation_body, Introspection};
use crate::session::Session;
use crate::transport::{HttpRequest, Payload};

/// The server's answer about `token`, as it sent it.
pub(crate) fn introspect_token(
    session: &Session,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<String, Error> {
    Ok(introspect(session, token, token_type_hint)?
        .document
        .clone())
}

/// True only when introspection answers `"active": true` and, when
/// `required_scope` is given, the token's scopes hold every one of its
/// space-separated scopes. `Ok(false)` is the server's answer; any failure
/// (bad argument, network, server, malformed answer) is an error.
pub(crate) fn token_is_active(
    session: &Session,
    token: &str,
    required_scope: Option<&str>,
) -> Result<bool, Error> {
    check_optional(required_scope, "required_scope")?;
    let answer = introspect(session, token, None)?;
    Ok(answer.active && required_scope.map_or(true, |scope| answer.has_scopes(scope)))
}

/// A live positive answer from the identity's cache (when `introspection_cache_s`
/// is set), else one from the introspection endpoint.
fn introspect(
    session: &Session,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<Arc<Introspection>, Error> {
    check_token(token)?;
    check_optional(token_type_hint, "token_type_hint")?;
    let clock = &session.config.clock;
    let reuse = session.config.introspection_cache;
    let cache = &session.identity.oauth.introspection_cache;
    let deadline = session.deadline();
    let url = endpoint(session, Endpoint::Introspection, deadline)?;
    if !reuse.is_zero() {
        if let Some(answer) = cache.get(&url, token, reuse, clock.now(), clock.wall()) {
            return Ok(answer);
        }
    }
    let credentials = session.auth.credentials(Purpose::OAuth, &url)?;
    let body = token_operation_body(&credentials.pairs(), token, token_type_hint);
    let request = HttpRequest {
        url: &url,
        payload: Payload::Form(&body),
        authorization: credentials.authorization(),
    };
    let sent = session.send(Operation::Introspection, &request, deadline, |response| {
        parse_introspection_response(response.status, &response.body)
    })?;
    let answer = Arc::new(sent.value);
    if !reuse.is_zero() {
        cache.put(&url, token, &answer, reuse, sent.sent_at, clock.wall());
    }
    Ok(answer)
}
