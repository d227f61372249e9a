//! `flow=password`: the resource owner password credentials grant (RFC 6749
//! section 4.3), for the systems that still use it (CDSE).

use std::sync::Arc;
use std::time::Instant;

use super::refresh_token::with_refresh_token;
use super::{request_token, Fetched, TokenSource};
use crate::client_auth::Purpose;
use crate::error::{Error, Operation};
use crate::protocol::Grant;
use crate::secret::SecretString;
use crate::session::Session;

/// The password grant. Thread-safe.
pub(crate) struct PasswordGrant {
    pub(crate) session: Arc<Session>,
}

impl TokenSource for PasswordGrant {
    fn fetch(&self, deadline: Instant) -> Result<Fetched, Error> {
        let config = &self.session.config;
        let username = config.username.as_deref().unwrap_or_default();
        let password = config
            .password
            .as_ref()
            .map(SecretString::expose)
            .unwrap_or_default();
        with_refresh_token(&self.session, deadline, |deadline| {
            request_token(
                &self.session,
                Operation::TokenRequest,
                Purpose::OAuth,
                &Grant::Password { username, password },
                deadline,
            )
        })
    }
}
