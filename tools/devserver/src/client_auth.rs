//! Client authentication of every OAuth endpoint (RFC 6749 section 2.3, RFC 7523).
//!
//! Methods: `client_secret_basic` (`Authorization: Basic`), `client_secret_post`
//! (`client_id` + `client_secret` in the form), `private_key_jwt` (a signed
//! `client_assertion`) and `none` (`client_id` alone). [`method_used`] names
//! what a request sent, valid or not, for the recorded requests;
//! [`authenticate`] checks it.

use crate::assertion::{self, JWT_BEARER};
use crate::encoding::{base64_decode, percent_decode};
use crate::form::{invalid_client, invalid_request, param};
use crate::http::{RecordedRequest, Reply};
use crate::state::State;

/// What an endpoint asks of the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// A secret or a signed assertion (client credentials grants).
    Proof,
    /// A known `client_id` is enough; any credential sent is still checked.
    Identity,
}

/// Names the client authentication methods a request carries, valid or not:
/// one of `client_secret_basic`, `client_secret_post`, `private_key_jwt`,
/// `client_secret_jwt` (an HS* assertion) or `none`, several joined by `+`
/// (in that order), or `None` when the request names no client.
pub(crate) fn method_used(request: &RecordedRequest) -> Option<String> {
    let mut methods = Vec::new();
    if basic_header(request).is_some() {
        methods.push("client_secret_basic");
    }
    if param(request, "client_secret").is_some() {
        methods.push("client_secret_post");
    }
    if let Some(compact) = param(request, "client_assertion") {
        let symmetric = assertion::header_alg(compact).is_some_and(|alg| alg.starts_with("HS"));
        methods.push(if symmetric {
            "client_secret_jwt"
        } else {
            "private_key_jwt"
        });
    }
    if methods.is_empty() && param(request, "client_id").is_some() {
        methods.push("none");
    }
    (!methods.is_empty()).then(|| methods.join("+"))
}

/// Authenticates the client of `request` as `need` requires; returns its id.
///
/// Errors: 400 `invalid_request` for more than one method or a malformed
/// assertion request, 401 `invalid_client` for anything else.
pub(crate) fn authenticate(
    state: &mut State,
    request: &RecordedRequest,
    need: Need,
) -> Result<String, Reply> {
    let form_id = param(request, "client_id");
    let form_secret = param(request, "client_secret");
    let basic = basic_credentials(state, request)?;
    let assertion_type = param(request, "client_assertion_type");
    let compact = param(request, "client_assertion");
    if assertion_type.is_some() || compact.is_some() {
        if basic.is_some() || form_secret.is_some() {
            return Err(invalid_request("use only one client authentication method"));
        }
        let (Some(assertion_type), Some(compact)) = (assertion_type, compact) else {
            return Err(invalid_request(
                "client_assertion and client_assertion_type go together",
            ));
        };
        if assertion_type != JWT_BEARER {
            return Err(invalid_request(&format!(
                "client_assertion_type must be {JWT_BEARER}"
            )));
        }
        let client_id = verify_assertion(state, request, compact)?;
        if form_id.is_some_and(|form_id| form_id != client_id) {
            return Err(invalid_client(
                "client_id does not match the client_assertion",
            ));
        }
        return Ok(client_id);
    }
    let (client_id, secret) = match basic {
        Some((id, secret)) => {
            if form_secret.is_some() || form_id.is_some_and(|form_id| form_id != id) {
                return Err(invalid_request("use only one client authentication method"));
            }
            (id, Some(secret))
        }
        None => {
            let id = form_id.ok_or_else(|| invalid_client("client_id is required"))?;
            (id.to_owned(), form_secret.map(str::to_owned))
        }
    };
    let client = state
        .client(&client_id)
        .ok_or_else(|| invalid_client("unknown client"))?;
    match (secret, &client.secret) {
        (Some(sent), Some(expected)) if sent == *expected => Ok(client_id),
        (Some(_), _) => Err(invalid_client("client authentication failed")),
        (None, _) if need == Need::Proof => Err(invalid_client("client_secret is required")),
        (None, _) => Ok(client_id),
    }
}

fn verify_assertion(
    state: &mut State,
    request: &RecordedRequest,
    compact: &str,
) -> Result<String, Reply> {
    let mut audiences = vec![format!("{}{}", state.base_url, request.path)];
    if let Some(host) = request.header("host") {
        audiences.push(format!("http://{host}{}", request.path));
    }
    let mut seen = std::mem::take(&mut state.seen_assertions);
    let verified = assertion::verify(
        compact,
        |client_id| state.client(client_id).map(|client| client.keys.as_slice()),
        &audiences,
        &mut seen,
    );
    state.seen_assertions = seen;
    verified.map_err(|description| invalid_client(&description))
}

/// The value after `Basic ` in `Authorization`, if that is the scheme.
fn basic_header(request: &RecordedRequest) -> Option<&str> {
    let (scheme, encoded) = request.header("authorization")?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("basic").then_some(encoded)
}

/// `Authorization: Basic` credentials.
///
/// RFC 6749 section 2.3.1 form-encodes both parts, but many clients do not:
/// the decoded pair is used when it names a client with that secret, else the raw pair.
fn basic_credentials(
    state: &State,
    request: &RecordedRequest,
) -> Result<Option<(String, String)>, Reply> {
    let Some(encoded) = basic_header(request) else {
        return Ok(None);
    };
    let decoded = base64_decode(encoded.trim()).and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded.as_deref().and_then(|text| text.split_once(':')) {
        Some((id, secret)) => {
            let (decoded_id, decoded_secret) = (percent_decode(id), percent_decode(secret));
            let known = state
                .client(&decoded_id)
                .and_then(|client| client.secret.as_deref());
            if known == Some(decoded_secret.as_str()) {
                Ok(Some((decoded_id, decoded_secret)))
            } else {
                Ok(Some((id.to_owned(), secret.to_owned())))
            }
        }
        None => Err(invalid_client("malformed Basic credentials")),
    }
}
