//! `flow=coze`, the default: client credentials for an ID token at the token
//! endpoint, then an RFC 8693 exchange of it for the access token at the
//! access-token endpoint, byte for byte as shared/PROTOCOL.md. Refresh tokens
//! in the answers are ignored (the version 1 wire).

use std::sync::Arc;
use std::time::Instant;

use super::{Fetched, TokenSource};
use crate::client_auth::Purpose;
use crate::error::{Error, Operation};
use crate::protocol::{token_request_body, Grant, Targets};
use crate::session::Session;

/// The Coze two-step flow. Thread-safe.
pub(crate) struct CozeTwoStep {
    pub(crate) session: Arc<Session>,
}

impl TokenSource for CozeTwoStep {
    fn fetch(&self, deadline: Instant) -> Result<Fetched, Error> {
        let session = &self.session;
        let config = &session.config;
        let token_endpoint = config.token_endpoint.as_deref().unwrap_or_default();
        let credentials = session
            .auth
            .credentials(Purpose::CozeIdToken, token_endpoint)?;
        let body = token_request_body(
            &credentials.pairs(),
            &Grant::ClientCredentials,
            Targets::default(),
        );
        let id_token = session
            .token_request(
                Operation::IdToken,
                token_endpoint,
                &body,
                credentials.authorization(),
                deadline,
            )?
            .value;
        let access_token_endpoint = config.access_token_endpoint.as_deref().unwrap_or_default();
        let credentials = session
            .auth
            .credentials(Purpose::CozeExchange, access_token_endpoint)?;
        let body = token_request_body(
            &credentials.pairs(),
            &Grant::CozeExchange {
                id_token: id_token.access_token.expose(),
            },
            Targets::default(),
        );
        let access = session.token_request(
            Operation::AccessToken,
            access_token_endpoint,
            &body,
            credentials.authorization(),
            deadline,
        )?;
        Ok(Fetched {
            token: access.value.access_token,
            sent_at: access.sent_at,
            expires_in: access.value.expires_in,
            refresh_in: access.value.refresh_in,
            cacheable: true,
        })
    }
}
