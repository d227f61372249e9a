//! Flows: how the access token of a client is obtained (option `flow`). Each
//! flow is a [`TokenSource`] in a file of its own; the identity's cache calls
//! `fetch` on a miss, once for all concurrent callers.

mod client_credentials;
mod coze;
mod password;
mod refresh_token;
mod token_exchange;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client_auth::Purpose;
use crate::config::Flow;
use crate::error::{Error, Operation};
use crate::protocol::{token_request_body, Grant, Targets};
use crate::secret::SecretString;
use crate::session::Session;

/// A token as the server issued it.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) token: SecretString,
    /// When the request that produced it was sent (identity clock).
    pub(crate) sent_at: Instant,
    pub(crate) expires_in: Duration,
    /// The server's `refresh_in`, which sets the advisory point.
    pub(crate) refresh_in: Option<Duration>,
    /// False for a token that goes to the callers of its fetch only (an
    /// exchanged token whose answer had no `expires_in`).
    pub(crate) cacheable: bool,
}

/// Fetches new access tokens. Thread-safe.
pub(crate) trait TokenSource: Send + Sync {
    /// Fetches a token, giving up at `deadline`.
    fn fetch(&self, deadline: Instant) -> Result<Fetched, Error>;
}

/// The token source of the session's flow; `None` for `flow=none`.
pub(crate) fn source_for(session: &Arc<Session>) -> Option<Arc<dyn TokenSource>> {
    let session = session.clone();
    Some(match session.config.flow {
        Flow::Coze => Arc::new(coze::CozeTwoStep { session }),
        Flow::ClientCredentials => Arc::new(client_credentials::ClientCredentials { session }),
        Flow::RefreshToken => Arc::new(refresh_token::RefreshTokenGrant { session }),
        Flow::Password => Arc::new(password::PasswordGrant { session }),
        Flow::TokenExchange => Arc::new(token_exchange::SubjectTokenFileExchange { session }),
        Flow::None => return None,
    })
}

/// The flow's `scope`, `audience` and `resource`.
fn targets(session: &Session) -> Targets<'_> {
    let config = &session.config;
    Targets {
        scope: config.scope.as_deref(),
        audience: config.audience.as_deref(),
        resource: config.resource.as_deref(),
    }
}

/// One token request of `grant` to the token endpoint, authenticated for
/// `purpose`. A refresh token in the answer becomes the identity's (rotation).
fn request_token(
    session: &Session,
    operation: Operation,
    purpose: Purpose,
    grant: &Grant<'_>,
    deadline: Instant,
) -> Result<Fetched, Error> {
    let endpoint = session.token_endpoint()?;
    let credentials = session.auth.credentials(purpose, &endpoint)?;
    let body = token_request_body(&credentials.pairs(), grant, targets(session));
    let sent = session.token_request(
        operation,
        &endpoint,
        &body,
        credentials.authorization(),
        deadline,
    )?;
    let response = sent.value;
    if let Some(refresh_token) = response.refresh_token {
        session.identity.keep_refresh_token(refresh_token);
    }
    Ok(Fetched {
        token: response.access_token,
        sent_at: sent.sent_at,
        expires_in: response.expires_in,
        refresh_in: response.refresh_in,
        cacheable: true,
    })
}
