//! RFC 7591 dynamic client registration: client metadata (a JSON object) in,
//! the server's answer (with `client_id` and, when issued, `client_secret`)
//! out, the initial access token (`registration_token`) sent as Bearer.
//!
//! Sent once, never retried: a retry after an answer that was lost on the way
//! could register a second client. The caller decides whether to try again.

use zeroize::Zeroizing;

use super::discovery::{endpoint, Endpoint};
use crate::error::{Error, Operation};
use crate::protocol::{parse_registration_response, registration_request_body};
use crate::secret::SecretString;
use crate::session::Session;
use crate::transport::{HttpRequest, Payload};

/// Registers a client described by `metadata_json`; the answer is a secret.
pub(crate) fn register_client(
    session: &Session,
    metadata_json: &str,
) -> Result<SecretString, Error> {
    let body = registration_request_body(metadata_json)?;
    let deadline = session.deadline();
    let url = endpoint(session, Endpoint::Registration, deadline)?;
    let authorization = session
        .config
        .registration_token
        .as_ref()
        .map(|token| Zeroizing::new(format!("Bearer {}", token.expose())));
    let request = HttpRequest {
        url: &url,
        payload: Payload::Json(&body),
        authorization: authorization.as_deref().map(String::as_str),
    };
    session
        .send_with_retries(Operation::Registration, &request, deadline, 0, |response| {
            parse_registration_response(response.status, &response.body)
        })
        .map(|sent| sent.value)
}
