//! `flow=client_credentials`: one `grant_type=client_credentials` request
//! (RFC 6749 section 4.4) whose `access_token` is the access token.

use std::sync::Arc;
use std::time::Instant;

use super::refresh_token::with_refresh_token;
use super::{request_token, Fetched, TokenSource};
use crate::client_auth::Purpose;
use crate::error::{Error, Operation};
use crate::protocol::Grant;
use crate::session::Session;

/// The client credentials grant. Thread-safe.
pub(crate) struct ClientCredentials {
    pub(crate) session: Arc<Session>,
}

impl TokenSource for ClientCredentials {
    fn fetch(&self, deadline: Instant) -> Result<Fetched, Error> {
        with_refresh_token(&self.session, deadline, |deadline| {
            request_token(
                &self.session,
                Operation::TokenRequest,
                Purpose::OAuth,
                &Grant::ClientCredentials,
                deadline,
            )
        })
    }
}
