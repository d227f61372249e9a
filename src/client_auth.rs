//! Client authentication (RFC 6749 section 2.3, RFC 7523 section 2.2): the one
//! place that decides what a request to a token, introspection or revocation
//! endpoint carries to authenticate the client, whatever the request form.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::config::{ClientAuth, Config, Flow};
use crate::error::Error;
use crate::jwt::{client_assertion, SigningKey};
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
/// secrets and key material wiped on drop.
pub(crate) struct ClientAuthenticator {
    configured: Option<ClientAuth>,
    flow: Flow,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    /// The `private_key_jwt` key and its `kid`; the clock dates assertions.
    signing_key: Option<SigningKey>,
    key_id: Option<String>,
    clock: Arc<dyn Clock>,
}

/// A form value: borrowed from the configuration, or made for this request.
pub(crate) enum FieldValue<'a> {
    Borrowed(&'a str),
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
    /// Takes the method and credentials of `config`; with `private_key_jwt`
    /// the key is loaded here (an unusable key is a configuration error naming
    /// the path, never the key).
    pub(crate) fn new(config: &Config) -> Result<ClientAuthenticator, Error> {
        let signing_key = match (config.client_auth, &config.private_key_path) {
            (Some(ClientAuth::PrivateKeyJwt), Some(path)) => Some(SigningKey::load(path)?),
            _ => None,
        };
        Ok(ClientAuthenticator {
            configured: config.client_auth,
            flow: config.flow,
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            signing_key,
            key_id: config.private_key_id.clone(),
            clock: config.clock.clone(),
        })
    }

    /// The digest of the signing key, if any (part of the identity's secrets).
    pub(crate) fn key_digest(&self) -> Option<&[u8; 32]> {
        self.signing_key.as_ref().map(SigningKey::secret_digest)
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
                let (Some(key), Some(id)) = (&self.signing_key, id) else {
                    return Err(Error::configuration(
                        "private_key_jwt needs client_id and private_key_path",
                    ));
                };
                let assertion =
                    client_assertion(key, self.key_id.as_deref(), id, endpoint, self.clock.wall())?;
                credentials
                    .fields
                    .push(("client_id", FieldValue::Borrowed(id)));
                credentials.fields.push((
                    "client_assertion_type",
                    FieldValue::Borrowed(JWT_BEARER_ASSERTION),
                ));
                credentials
                    .fields
                    .push(("client_assertion", FieldValue::Owned(assertion)));
            }
        }
        Ok(credentials)
    }
}
