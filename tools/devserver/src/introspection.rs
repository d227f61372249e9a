//! RFC 7662 token introspection: `POST /oauth2/introspect`.
//!
//! Any authenticated (or, with `none`, identified) client may introspect any
//! token. A live token issued here is `"active": true` with its `client_id`,
//! `sub`, `iss`, `iat`, `exp`, `token_type`, and `username`, `scope`, `aud`,
//! `act` when it has them; anything else (unknown, expired, revoked, used) is
//! exactly `{"active": false}`.

use serde_json::json;

use crate::client_auth::{authenticate, Need};
use crate::form::{check_form, required};
use crate::http::{RecordedRequest, Reply};
use crate::state::State;

/// `POST /oauth2/introspect`: `token` (and an ignored `token_type_hint`) in.
pub(crate) fn introspect(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    check_form(request)?;
    authenticate(state, request, Need::Identity)?;
    let token = required(request, "token")?;
    let answer = match state.tokens.live(token) {
        Some(found) => found.introspection(&state.base_url),
        None => json!({ "active": false }),
    };
    Ok(Reply::json(200, &answer))
}
