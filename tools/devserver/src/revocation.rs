//! RFC 7009 token revocation: `POST /oauth2/revoke`.
//!
//! 200 with an empty body whether or not the token was known (section 2.2).
//! A refresh token takes every token of its grant with it; a token issued to
//! another client is refused with `invalid_grant` (section 2.1).

use crate::client_auth::{authenticate, Need};
use crate::form::{check_form, invalid_grant, required};
use crate::http::{RecordedRequest, Reply};
use crate::state::State;

/// `POST /oauth2/revoke`: `token` (and an ignored `token_type_hint`) in.
pub(crate) fn revoke(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    check_form(request)?;
    let client_id = authenticate(state, request, Need::Identity)?;
    let token = required(request, "token")?;
    if let Some(found) = state.tokens.live(token) {
        if found.claims.client_id != client_id {
            return Err(invalid_grant("the token was issued to another client"));
        }
    }
    state.tokens.revoke(token);
    Ok(Reply::raw(200, String::new()))
}
