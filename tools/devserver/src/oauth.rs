//! The Coze two-step protocol: `POST /oauth/token` (step 1) and `POST /oauth/exchange` (step 2).
//!
//! Both accept every client authentication method (see [`crate::client_auth`]);
//! the answers are exactly the version 1 ones.

use serde_json::Map;

use crate::client_auth::{authenticate, Need};
use crate::form::{check_form, required, unsupported_grant_type};
use crate::grants::{token_exchange, token_reply, TOKEN_EXCHANGE_GRANT};
use crate::http::{RecordedRequest, Reply};
use crate::state::State;
use crate::tokens::TokenKind;

/// Step 1: client credentials in, ID token out.
pub(crate) fn token(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    check_form(request)?;
    check_grant(request, "client_credentials")?;
    let client_id = authenticate(state, request, Need::Proof)?;
    let id_token = state.issue(TokenKind::Id, &client_id);
    Ok(token_reply(state, id_token, Map::new()))
}

/// Step 2 and general RFC 8693 token exchange: subject token in, access token out.
pub(crate) fn exchange(state: &mut State, request: &RecordedRequest) -> Result<Reply, Reply> {
    check_form(request)?;
    check_grant(request, TOKEN_EXCHANGE_GRANT)?;
    let client_id = authenticate(state, request, Need::Identity)?;
    token_exchange(state, request, client_id)
}

fn check_grant(request: &RecordedRequest, expected: &str) -> Result<(), Reply> {
    match required(request, "grant_type")? {
        grant if grant == expected => Ok(()),
        _ => Err(unsupported_grant_type(&format!(
            "grant_type must be {expected}"
        ))),
    }
}
