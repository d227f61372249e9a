//! `flow=token_exchange`: an RFC 8693 exchange of a subject token read from a
//! file at every fetch (a Kubernetes projected service-account token rotates
//! underneath), as the cloud SDKs' workload identity federation does.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use zeroize::Zeroizing;

use super::refresh_token::with_refresh_token;
use super::{request_token, Fetched, TokenSource};
use crate::client_auth::Purpose;
use crate::error::{Error, Operation};
use crate::protocol::{ExchangeParams, Grant};
use crate::redact;
use crate::secret::SecretString;
use crate::session::Session;

/// Largest subject token file read.
const MAX_SUBJECT_TOKEN_BYTES: u64 = 64 * 1024;

/// The exchange of the file's subject token. Thread-safe.
pub(crate) struct SubjectTokenFileExchange {
    pub(crate) session: Arc<Session>,
}

impl TokenSource for SubjectTokenFileExchange {
    fn fetch(&self, deadline: Instant) -> Result<Fetched, Error> {
        let config = &self.session.config;
        with_refresh_token(&self.session, deadline, |deadline| {
            let path = config
                .subject_token_file
                .as_deref()
                .unwrap_or(Path::new(""));
            let subject_token = read_subject_token(path)?;
            let params = ExchangeParams {
                subject_token: subject_token.expose(),
                subject_token_type: Some(&config.subject_token_type),
                audience: config.audience.as_deref(),
                resource: config.resource.as_deref(),
                scope: config.scope.as_deref(),
                ..ExchangeParams::default()
            };
            request_token(
                &self.session,
                Operation::Exchange,
                Purpose::OAuth,
                &Grant::TokenExchange(&params),
                deadline,
            )
        })
    }
}

/// The token in `path`, without surrounding whitespace. Errors name the path.
fn read_subject_token(path: &Path) -> Result<SecretString, Error> {
    let shown = format!("{:?}", redact::cap(&path.display().to_string()));
    let fail = |why: String| {
        Error::new(
            Operation::Exchange,
            format!("subject_token_file {shown}: {why}"),
        )
    };
    let file = std::fs::File::open(path)
        .map_err(|error| fail(format!("cannot open: {}", error.kind())))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_SUBJECT_TOKEN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| fail(format!("cannot read: {}", error.kind())))?;
    if bytes.len() as u64 > MAX_SUBJECT_TOKEN_BYTES {
        return Err(fail(format!("larger than {MAX_SUBJECT_TOKEN_BYTES} bytes")));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| fail("not UTF-8 text".into()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(fail("empty".into()));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(fail(
            "holds characters that cannot be sent in a form".into(),
        ));
    }
    Ok(SecretString::from(token))
}
