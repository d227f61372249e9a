//! Option values, parsed once from their string where the string enters (an
//! option set by the caller, or an environment variable), into Rust types.

use std::path::PathBuf;
use std::time::Duration;

use super::options::{OptionKey, OptionKind, OptionSpec};
use crate::redact;
use crate::secret::SecretString;
use crate::url::HttpUrl;

/// How the access token of a client is obtained (option `flow`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flow {
    /// Client credentials for an ID token, then an RFC 8693 exchange (Coze).
    Coze,
    /// One `grant_type=client_credentials` request.
    ClientCredentials,
    /// `grant_type=refresh_token` from the configured refresh token.
    RefreshToken,
    /// `grant_type=password` (RFC 6749 section 4.3).
    Password,
    /// An RFC 8693 exchange of the subject token read from a file.
    TokenExchange,
    /// No access token: a client for the OAuth operations only.
    None,
}

impl Flow {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            Flow::Coze => "coze",
            Flow::ClientCredentials => "client_credentials",
            Flow::RefreshToken => "refresh_token",
            Flow::Password => "password",
            Flow::TokenExchange => "token_exchange",
            Flow::None => "none",
        }
    }

    fn parse(value: &str) -> Option<Flow> {
        [
            Flow::Coze,
            Flow::ClientCredentials,
            Flow::RefreshToken,
            Flow::Password,
            Flow::TokenExchange,
            Flow::None,
        ]
        .into_iter()
        .find(|flow| flow.name() == value)
    }
}

/// How the client authenticates to token, introspection and revocation
/// endpoints (option `client_auth`; RFC 6749 2.3, RFC 7523 2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientAuth {
    /// `client_id` alone in the form, no secret (`none` or `client_id`).
    ClientId,
    /// `client_id` and `client_secret` in the form.
    ClientSecretPost,
    /// HTTP Basic with the form-encoded id and secret.
    ClientSecretBasic,
    /// A client assertion signed with `private_key_path` (RFC 7523).
    PrivateKeyJwt,
}

impl ClientAuth {
    /// The option value (`client_id` for the id-alone method).
    pub fn name(self) -> &'static str {
        match self {
            ClientAuth::ClientId => "client_id",
            ClientAuth::ClientSecretPost => "client_secret_post",
            ClientAuth::ClientSecretBasic => "client_secret_basic",
            ClientAuth::PrivateKeyJwt => "private_key_jwt",
        }
    }

    fn parse(value: &str) -> Option<ClientAuth> {
        match value {
            "none" | "client_id" => Some(ClientAuth::ClientId),
            "client_secret_post" => Some(ClientAuth::ClientSecretPost),
            "client_secret_basic" => Some(ClientAuth::ClientSecretBasic),
            "private_key_jwt" => Some(ClientAuth::PrivateKeyJwt),
            _ => None,
        }
    }
}

/// Where cached tokens live (option `token_store`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum TokenStore {
    /// In this process only.
    #[default]
    Memory,
    /// Files in a directory shared by the processes of a host.
    File(PathBuf),
}

/// A parsed option value.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Text(String),
    Secret(SecretString),
    Duration(Duration),
    Count(u64),
    Bool(bool),
    Flow(Flow),
    ClientAuth(ClientAuth),
    Path(PathBuf),
    Store(TokenStore),
}

/// Parses `raw` for the option `spec`. The error says why, naming the key and
/// never echoing a secret (URLs are shown with credentials masked).
pub(crate) fn parse(spec: &OptionSpec, raw: &str) -> Result<Value, String> {
    let name = spec.name();
    let bad = |why: String| Err(format!("option {name}: {why}"));
    if raw.contains('\0') {
        return bad("must not contain a NUL byte".into());
    }
    let may_be_empty = matches!(
        spec.kind(),
        OptionKind::Text
            | OptionKind::Secret
            | OptionKind::Url
            | OptionKind::ProxyUrl
            | OptionKind::HeaderValue
    );
    if raw.is_empty() && may_be_empty {
        // Set but empty: counts as missing (and does not fall back to the environment).
        return Ok(Value::Text(String::new()));
    }
    match spec.kind() {
        OptionKind::Text if raw.chars().any(char::is_control) => {
            bad("must not contain control characters".into())
        }
        OptionKind::Text => Ok(Value::Text(raw.to_owned())),
        OptionKind::Secret => Ok(Value::Secret(SecretString::from(raw))),
        OptionKind::Url | OptionKind::ProxyUrl => match HttpUrl::parse(raw) {
            Ok(_) if spec.kind() == OptionKind::ProxyUrl => Ok(Value::Secret(raw.into())),
            Ok(_) => Ok(Value::Text(raw.to_owned())),
            Err(why) => bad(why),
        },
        OptionKind::Milliseconds => match raw.parse::<u64>() {
            Ok(ms) if (1..=3_600_000).contains(&ms) => {
                Ok(Value::Duration(Duration::from_millis(ms)))
            }
            _ => bad("expected milliseconds from 1 to 3600000".into()),
        },
        OptionKind::Seconds => match raw.parse::<u64>() {
            Ok(s) if s <= 86_400 => Ok(Value::Duration(Duration::from_secs(s))),
            _ => bad("expected seconds from 0 to 86400".into()),
        },
        OptionKind::Count { max } => match raw.parse::<u64>() {
            Ok(n) if n <= max => Ok(Value::Count(n)),
            _ => bad(format!("expected a number from 0 to {max}")),
        },
        OptionKind::Bool => match raw {
            "true" | "1" | "yes" => Ok(Value::Bool(true)),
            "false" | "0" | "no" => Ok(Value::Bool(false)),
            _ => bad("expected true or false".into()),
        },
        OptionKind::Choice(choices) => {
            let parsed = match spec.key() {
                OptionKey::Flow => Flow::parse(raw).map(Value::Flow),
                OptionKey::ClientAuth => ClientAuth::parse(raw).map(Value::ClientAuth),
                _ => None,
            };
            parsed.map(Ok).unwrap_or_else(|| {
                bad(format!(
                    "{} is not one of {}",
                    quoted(raw),
                    choices.join(", ")
                ))
            })
        }
        OptionKind::Path if raw.is_empty() => bad("must not be empty".into()),
        OptionKind::Path => Ok(Value::Path(PathBuf::from(raw))),
        OptionKind::TokenStore => match raw {
            "memory" => Ok(Value::Store(TokenStore::Memory)),
            _ => match raw.strip_prefix("file:") {
                Some(dir) if !dir.is_empty() => Ok(Value::Store(TokenStore::File(dir.into()))),
                _ => bad(format!("{} is neither memory nor file:<DIR>", quoted(raw))),
            },
        },
        OptionKind::HeaderValue if !is_header_text(raw) => bad(
            "must be visible ASCII with inner spaces only (it is sent as an HTTP header)".into(),
        ),
        OptionKind::HeaderValue => Ok(Value::Text(raw.to_owned())),
    }
}

/// A caller's input for a message: quoted and cut to a few hundred bytes.
pub(crate) fn quoted(text: &str) -> String {
    format!("{:?}", redact::cap(text))
}

/// Visible ASCII with inner spaces or tabs: safe as an HTTP header value.
pub(crate) fn is_header_text(value: &str) -> bool {
    value.trim() == value
        && value
            .bytes()
            .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
}

/// An HTTP header name: an RFC 9110 token.
pub(crate) fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Value {
    /// An empty text or secret: the setting counts as missing.
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Value::Text(text) => text.is_empty(),
            Value::Secret(secret) => secret.is_empty(),
            _ => false,
        }
    }
}

/// Checks a value set through a typed setter (strings were checked by [`parse`]).
pub(crate) fn check(spec: &OptionSpec, value: &Value) -> Result<(), String> {
    let name = spec.name();
    let why = match (spec.kind(), value) {
        (OptionKind::Url | OptionKind::ProxyUrl, Value::Text(url)) => HttpUrl::parse(url).err(),
        (OptionKind::ProxyUrl, Value::Secret(url)) => HttpUrl::parse(url.expose()).err(),
        (OptionKind::HeaderValue, Value::Text(text)) if !is_header_text(text) => Some(
            "must be visible ASCII with inner spaces only (it is sent as an HTTP header)".into(),
        ),
        (OptionKind::Text, Value::Text(text)) if text.chars().any(char::is_control) => {
            Some("must not contain control characters".into())
        }
        (OptionKind::Milliseconds, Value::Duration(duration))
            if !(Duration::from_millis(1)..=Duration::from_secs(3600)).contains(duration) =>
        {
            Some("expected milliseconds from 1 to 3600000".into())
        }
        (OptionKind::Seconds, Value::Duration(duration))
            if *duration > Duration::from_secs(86_400) =>
        {
            Some("expected seconds from 0 to 86400".into())
        }
        (OptionKind::Count { max }, Value::Count(count)) if *count > max => {
            Some(format!("expected a number from 0 to {max}"))
        }
        _ => None,
    };
    match why {
        Some(why) => Err(format!("option {name}: {why}")),
        None => Ok(()),
    }
}
