//! RFC 7009 revocation. The token is also dropped from this process's caches
//! of the identity (access and refresh token, positive introspection answers,
//! and any other cache that [`crate::identity::Identity::forget_token`]
//! covers) and from the file store, whatever the server answers: a caller
//! revoking a token never wants it served again.

use super::discovery::{endpoint, Endpoint};
use super::{check_optional, check_token};
use crate::client_auth::Purpose;
use crate::error::{Error, Operation};
use crate::protocol::{parse_revocation_response, token_operation_body};
use crate::session::Session;
use crate::store::forget_token;
use crate::transport::{HttpRequest, Payload};

/// Revokes `token` at the revocation endpoint.
pub(crate) fn revoke_token(
    session: &Session,
    token: &str,
    token_type_hint: Option<&str>,
) -> Result<(), Error> {
    check_token(token)?;
    check_optional(token_type_hint, "token_type_hint")?;
    let deadline = session.deadline();
    let url = endpoint(session, Endpoint::Revocation, deadline)?;
    let _ = session.identity.forget_token(token);
    if let Some(entry) = &session.identity.store {
        forget_token(session, entry, token);
    }
    let credentials = session.auth.credentials(Purpose::OAuth, &url)?;
    let body = token_operation_body(&credentials.pairs(), token, token_type_hint);
    let request = HttpRequest {
        url: &url,
        payload: Payload::Form(&body),
        authorization: credentials.authorization(),
    };
    session
        .send(Operation::Revocation, &request, deadline, |response| {
            parse_revocation_response(response.status, &response.body)
        })
        .map(|sent| sent.value)
}
