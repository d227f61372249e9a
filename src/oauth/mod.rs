//! The authorization server's other endpoints: RFC 8414 discovery, RFC 7662
//! introspection (and the fail-safe check on top of it), RFC 7009 revocation
//! and RFC 7591 registration. One file per operation; the wire format is in
//! `protocol::oauth`, client authentication in `client_auth`, sending and
//! retries in `session`.
//!
//! What an identity keeps for these operations ([`OAuthState`]): the
//! discovered metadata and the positive introspection answers, shared by
//! every client of the identity.

mod discovery;
mod introspection;
mod introspection_cache;
mod registration;
mod revocation;

pub(crate) use discovery::{endpoint, server_metadata, Endpoint};
pub(crate) use introspection::{introspect_token, token_is_active};
pub(crate) use registration::register_client;
pub(crate) use revocation::revoke_token;

use discovery::Discovery;
use introspection_cache::IntrospectionCache;

/// The OAuth-operation state of one identity. Thread-safe.
#[derive(Debug, Default)]
pub(crate) struct OAuthState {
    discovery: Discovery,
    introspection_cache: IntrospectionCache,
}

impl OAuthState {
    /// Forgets a positive introspection answer for `token` (it was revoked).
    pub(crate) fn forget_token(&self, token: &str) {
        self.introspection_cache.remove(token);
    }

    /// True while the identity should outlive its clients for these
    /// operations: for an hour after its metadata was fetched.
    pub(crate) fn keeps_identity(&self) -> bool {
        self.discovery.keeps_identity()
    }
}

/// A required token argument: not empty.
fn check_token(token: &str) -> Result<(), crate::error::Error> {
    if token.is_empty() {
        return Err(crate::error::Error::invalid_argument(
            "token must not be empty",
        ));
    }
    Ok(())
}

/// An optional argument: absent, or not empty.
fn check_optional(value: Option<&str>, name: &str) -> Result<(), crate::error::Error> {
    if value == Some("") {
        return Err(crate::error::Error::invalid_argument(format!(
            "{name} must not be empty (pass NULL to leave it out)"
        )));
    }
    Ok(())
}
