//! Authorization server metadata: RFC 8414 and OpenID Connect Discovery.
//!
//! `GET /.well-known/oauth-authorization-server{/path}` answers for the issuer
//! `{base}{/path}` (RFC 8414 section 3.1 inserts the well-known part between
//! host and path); `GET {/path}/.well-known/openid-configuration` answers for
//! the same issuer (OpenID Connect appends it). Any path names an issuer; the
//! endpoints are this server's whatever the issuer. A well-known part after
//! the path in the RFC 8414 form (`/tenant/.well-known/oauth-authorization-server`)
//! is not found, as on a real server.

use serde_json::json;

use crate::grants::TOKEN_EXCHANGE_GRANT;
use crate::http::Reply;
use crate::state::State;

const OAUTH_WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";
const OPENID_WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// The issuer path a discovery URL path asks about, or `None` if it is no discovery URL.
pub(crate) fn issuer_path(path: &str) -> Option<&str> {
    match path.strip_prefix(OAUTH_WELL_KNOWN) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => Some(rest),
        _ => path.strip_suffix(OPENID_WELL_KNOWN),
    }
}

/// The metadata document for the issuer `{base}{issuer_path}`.
pub(crate) fn metadata(state: &State, issuer_path: &str) -> Reply {
    let base = &state.base_url;
    let auth_methods = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ];
    let algs = ["RS256", "ES256"];
    let document = json!({
        "issuer": format!("{base}{issuer_path}"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "introspection_endpoint": format!("{base}/oauth2/introspect"),
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "registration_endpoint": format!("{base}/oauth2/register"),
        "grant_types_supported": ["client_credentials", "password", "refresh_token", TOKEN_EXCHANGE_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": algs,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": algs,
    });
    Reply::json(200, &document)
}
