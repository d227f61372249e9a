//! Client authentication (RFC 6749 section 2.3, RFC 7523 section 2.2): the one
//! place that decides what a request to a token, introspection or revocation
//! endpoint carries to authenticate the client, whatever the request form.

use zeroize::Zeroizing;

use crate::config::{ClientAuth, Config, Flow};
use crate::error::Error;
use crate::protocol::basic_authorization;
use crate::secret::SecretString;

/// The `client_assertion_type` of RFC 7523.
const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Which request is being authenticated when `client_auth` is not configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Coze step 1: the version 1 wire, id and secret in the form.
    CozeIdToken,
    /// Coze step 2, and general exchanges of the `coze` flow: `client_id` alone.
    CozeExchange,
    /// Every other request: `client_secret_post` when a secret is configured,
    /// else `client_id` alone when an id is, else nothing.
    OAuth,
}

/// The client's credentials and configured method. Immutable, `Send + Sync`;
/// secrets wiped on drop.
pub(crate) struct ClientAuthenticator {
    configured: Option<ClientAuth>,
    flow: Flow,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
}

/// A form value: borrowed from the configuration, or made for this request.
pub(crate) enum FieldValue<'a> {
    Borrowed(&'a str),
    #[allow(dead_code)] // the private_key_jwt assertion, wired in with the signer
    Owned(SecretString),
}

impl FieldValue<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            FieldValue::Borrowed(value) => value,
            FieldValue::Owned(value) => value.expose(),
        }
    }
}

/// What one request carries to authenticate the client: form fields that
/// come first in the body, and/or an `Authorization` header value.
#[derive(Default)]
pub(crate) struct Credentials<'a> {
    pub(crate) fields: Vec<(&'static str, FieldValue<'a>)>,
    pub(crate) authorization: Option<Zeroizing<String>>,
}

impl Credentials<'_> {
    /// The fields as borrowed pairs, to be followed by the request's own.
    pub(crate) fn pairs(&self) -> Vec<(&str, &str)> {
        self.fields
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect()
    }

    /// The `Authorization` header value, if any.
    pub(crate) fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref().map(String::as_str)
    }
}

impl ClientAuthenticator {
    /// Takes the method and credentials of `config`.
    pub(crate) fn new(config: &Config) -> Result<ClientAuthenticator, Error> {
        Ok(ClientAuthenticator {
            configured: config.client_auth,
            flow: config.flow,
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
        })
    }

    /// The method used for `purpose`, `None` meaning "send nothing".
    fn method(&self, purpose: Purpose) -> Option<ClientAuth> {
        if let Some(method) = self.configured {
            return Some(method);
        }
        let purpose = match (purpose, self.flow) {
            (Purpose::OAuth, Flow::Coze) => Purpose::CozeExchange,
            _ => purpose,
        };
        match purpose {
            Purpose::CozeIdToken => Some(ClientAuth::ClientSecretPost),
            Purpose::CozeExchange => Some(ClientAuth::ClientId),
            Purpose::OAuth if self.client_secret.is_some() => Some(ClientAuth::ClientSecretPost),
            Purpose::OAuth if self.client_id.is_some() => Some(ClientAuth::ClientId),
            Purpose::OAuth => None,
        }
    }

    /// The credentials of one request to `endpoint` (the assertion's audience).
    pub(crate) fn credentials(
        &self,
        purpose: Purpose,
        endpoint: &str,
    ) -> Result<Credentials<'_>, Error> {
        let _ = endpoint;
        let mut credentials = Credentials::default();
        let id = self.client_id.as_deref();
        let secret = self.client_secret.as_ref().map(SecretString::expose);
        match self.method(purpose) {
            None => {}
            Some(ClientAuth::ClientId) => {
                if let Some(id) = id {
                    credentials
                        .fields
                        .push(("client_id", FieldValue::Borrowed(id)));
                }
            }
            Some(ClientAuth::ClientSecretPost) => {
                credentials
                    .fields
                    .push(("client_id", FieldValue::Borrowed(id.unwrap_or_default())));
                credentials.fields.push((
                    "client_secret",
                    FieldValue::Borrowed(secret.unwrap_or_default()),
                ));
            }
            Some(ClientAuth::ClientSecretBasic) => {
                credentials.authorization = Some(basic_authorization(
                    id.unwrap_or_default(),
                    secret.unwrap_or_default(),
                ));
            }
            Some(ClientAuth::PrivateKeyJwt) => {
                let _ = JWT_BEARER_ASSERTION;
                return Err(Error::configuration(
                    "client_auth private_key_jwt is not available yet",
                ));
            }
        }
        Ok(credentials)
    }
}
