//! `flow=refresh_token`, and the refresh-token rule every flow but `coze`
//! follows: when the identity holds a refresh token (configured, or from an
//! earlier answer), the next fetch uses it, and a new one in the answer
//! replaces it (rotation). A refused refresh token (`invalid_grant`) is
//! dropped; a flow with credentials of its own then starts again with its
//! own grant, the `refresh_token` flow fails (not retryable).

use std::sync::Arc;
use std::time::Instant;

use super::{request_token, Fetched, TokenSource};
use crate::client_auth::Purpose;
use crate::error::{Error, Operation};
use crate::log::{log, Level};
use crate::protocol::Grant;
use crate::session::Session;

/// The refresh token grant. Thread-safe.
pub(crate) struct RefreshTokenGrant {
    pub(crate) session: Arc<Session>,
}

impl TokenSource for RefreshTokenGrant {
    fn fetch(&self, deadline: Instant) -> Result<Fetched, Error> {
        match refresh(&self.session, deadline)? {
            Refresh::Done(fetched) => Ok(fetched),
            Refresh::Refused(error) => Err(error.with_message(|message| {
                format!(
                    "the server refused the refresh token, re-authentication is needed: {message}"
                )
            })),
            Refresh::NoToken => Err(Error::new(
                Operation::TokenRequest,
                "no refresh token left (the server refused the last one): \
                 re-authentication is needed",
            )),
        }
    }
}

/// Fetches with the identity's refresh token if it holds one, else (or when
/// the server refuses it) with `own_grant`.
pub(super) fn with_refresh_token(
    session: &Session,
    deadline: Instant,
    own_grant: impl FnOnce(Instant) -> Result<Fetched, Error>,
) -> Result<Fetched, Error> {
    match refresh(session, deadline)? {
        Refresh::Done(fetched) => Ok(fetched),
        Refresh::NoToken | Refresh::Refused(_) => own_grant(deadline),
    }
}

/// The outcome of trying the identity's refresh token.
enum Refresh {
    /// The identity holds none.
    NoToken,
    /// The server refused it (`invalid_grant`); it has been dropped.
    Refused(Error),
    Done(Fetched),
}

/// One `grant_type=refresh_token` request with the identity's refresh token.
fn refresh(session: &Session, deadline: Instant) -> Result<Refresh, Error> {
    let Some(refresh_token) = session.identity.refresh_token() else {
        return Ok(Refresh::NoToken);
    };
    let result = request_token(
        session,
        Operation::TokenRequest,
        Purpose::OAuth,
        &Grant::RefreshToken(refresh_token.expose()),
        deadline,
    );
    match result {
        Err(error) if error.oauth_error() == Some("invalid_grant") => {
            session.identity.drop_refresh_token(&refresh_token);
            log(Level::Warn, || {
                "the server refused the refresh token (invalid_grant)".to_owned()
            });
            Ok(Refresh::Refused(error))
        }
        Err(error) => Err(error),
        Ok(fetched) => Ok(Refresh::Done(fetched)),
    }
}
