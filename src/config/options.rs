//! The one table of option keys. Each row gives a key's C name, where it is
//! read from the environment, the kind of value it takes (which decides how
//! the string is parsed, once, where it enters), its default and one line of
//! documentation. The parser, the `WI_` environment names, the README's
//! configuration table and the bindings' option lists all come from it.

use std::borrow::Cow;

/// Every setting a client takes, by its C option key. `header.<Name>` keys
/// (extra HTTP headers) are not listed: their names are the caller's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum OptionKey {
    /// `flow`: how the access token is obtained.
    Flow,
    /// `client_id`.
    ClientId,
    /// `client_secret`.
    ClientSecret,
    /// `token_endpoint`.
    TokenEndpoint,
    /// `access_token_endpoint`: the Coze step 2 and general exchanges.
    AccessTokenEndpoint,
    /// `outbound_auth_endpoint`: base URL of `/integration` and `/env`.
    OutboundAuthEndpoint,
    /// `server_env`: the lane.
    ServerEnv,
    /// `scope`.
    Scope,
    /// `audience`.
    Audience,
    /// `resource`.
    Resource,
    /// `refresh_token`: the initial refresh token of `flow=refresh_token`.
    RefreshToken,
    /// `username` of `flow=password`.
    Username,
    /// `password` of `flow=password`.
    Password,
    /// `subject_token_file` of `flow=token_exchange`.
    SubjectTokenFile,
    /// `subject_token_type` of `flow=token_exchange`.
    SubjectTokenType,
    /// `client_auth`: client authentication method.
    ClientAuth,
    /// `private_key_path`: PEM key of `private_key_jwt`.
    PrivateKeyPath,
    /// `private_key_id`: `kid` of the client assertion.
    PrivateKeyId,
    /// `issuer`: RFC 8414 discovery.
    Issuer,
    /// `introspection_endpoint` (RFC 7662).
    IntrospectionEndpoint,
    /// `revocation_endpoint` (RFC 7009).
    RevocationEndpoint,
    /// `registration_endpoint` (RFC 7591).
    RegistrationEndpoint,
    /// `registration_token`: initial access token of RFC 7591.
    RegistrationToken,
    /// `introspection_cache_s`: reuse of positive introspection answers.
    IntrospectionCacheS,
    /// `token_store`: `memory` or `file:<DIR>`.
    TokenStore,
    /// `exchange_cache_size`: bound of the exchanged-token cache.
    ExchangeCacheSize,
    /// `timeout_ms`: read timeout of one attempt.
    TimeoutMs,
    /// `connect_timeout_ms`.
    ConnectTimeoutMs,
    /// `deadline_ms`: overall bound of one call.
    DeadlineMs,
    /// `expiry_buffer_s`.
    ExpiryBufferS,
    /// `max_retries`.
    MaxRetries,
    /// `proxy`.
    Proxy,
    /// `ca_bundle_path`.
    CaBundlePath,
    /// `user_agent`.
    UserAgent,
    /// `allow_insecure_http`.
    AllowInsecureHttp,
}

/// The kind of value an option takes: how its string is parsed and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionKind {
    /// Free text (no NUL, no control characters).
    Text,
    /// A secret: redacted everywhere, wiped when dropped.
    Secret,
    /// An `http(s)` URL.
    Url,
    /// An `http(s)` proxy URL, which may carry credentials.
    ProxyUrl,
    /// Milliseconds from 1 to 3600000.
    Milliseconds,
    /// Seconds from 0 to 86400.
    Seconds,
    /// A count from 0 to `max`.
    Count {
        /// The largest value accepted.
        max: u64,
    },
    /// `true`/`false` (also `1`/`0`, `yes`/`no`).
    Bool,
    /// One of the names listed.
    Choice(&'static [&'static str]),
    /// A file-system path.
    Path,
    /// `memory` or `file:<DIR>`.
    TokenStore,
    /// Visible ASCII and inner spaces (sent as an HTTP header value).
    HeaderValue,
}

/// Where an option is read from the environment when it is not set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EnvSource {
    /// A variable of the Coze SDK (shared/PROTOCOL.md).
    Coze(&'static str),
    /// `WI_` + the key in upper case.
    Wi,
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    key: OptionKey,
    name: &'static str,
    env: EnvSource,
    kind: OptionKind,
    default: &'static str,
    doc: &'static str,
}

/// The `flow` values.
pub(crate) const FLOWS: &[&str] = &[
    "coze",
    "client_credentials",
    "refresh_token",
    "password",
    "token_exchange",
    "none",
];
/// The `client_auth` values (`none` and `client_id` mean the same).
pub(crate) const CLIENT_AUTHS: &[&str] = &[
    "client_secret_post",
    "client_secret_basic",
    "private_key_jwt",
    "none",
    "client_id",
];

const fn row(
    key: OptionKey,
    name: &'static str,
    env: EnvSource,
    kind: OptionKind,
    default: &'static str,
    doc: &'static str,
) -> OptionSpec {
    OptionSpec {
        key,
        name,
        env,
        kind,
        default,
        doc,
    }
}

use EnvSource::{Coze, Wi};
use OptionKind::*;

/// The table, in documentation order.
#[rustfmt::skip]
static OPTIONS: &[OptionSpec] = &[
    row(OptionKey::Flow, "flow", Wi, Choice(FLOWS), "`coze`",
        "how the access token is obtained: `coze` (two steps), `client_credentials`, `refresh_token`, `password`, `token_exchange` (of `subject_token_file`), `none` (no token: OAuth operations only)"),
    row(OptionKey::ClientId, "client_id", Coze("COZE_WORKLOAD_IDENTITY_CLIENT_ID"), Text, "required by `coze`, `client_credentials`",
        "client id"),
    row(OptionKey::ClientSecret, "client_secret", Coze("COZE_WORKLOAD_IDENTITY_CLIENT_SECRET"), Secret, "required by `coze`",
        "client secret"),
    row(OptionKey::TokenEndpoint, "token_endpoint", Coze("COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT"), Url, "required (or `issuer`)",
        "token endpoint; for `coze`, step 1 (the ID token)"),
    row(OptionKey::AccessTokenEndpoint, "access_token_endpoint", Coze("COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT"), Url, "required by `coze`",
        "`coze` step 2 and `wi_exchange_token` (other flows: `token_endpoint` when unset)"),
    row(OptionKey::OutboundAuthEndpoint, "outbound_auth_endpoint", Coze("COZE_OUTBOUND_AUTH_ENDPOINT"), Url, "none",
        "base URL of `/integration` and `/env` (required for those calls)"),
    row(OptionKey::ServerEnv, "server_env", Coze("COZE_SERVER_ENV"), HeaderValue, "none",
        "lane: `ppe_*` adds `x-tt-env` and `x-use-ppe: 1`; `NONE` or unset adds nothing; anything else adds `x-tt-env`"),
    row(OptionKey::Scope, "scope", Wi, Text, "none", "`scope` sent with the flow's token requests"),
    row(OptionKey::Audience, "audience", Wi, Text, "none", "`audience` sent with the flow's token requests"),
    row(OptionKey::Resource, "resource", Wi, Text, "none", "`resource` sent with the flow's token requests"),
    row(OptionKey::RefreshToken, "refresh_token", Wi, Secret, "required by `refresh_token`",
        "initial refresh token (rotated: each new one replaces it)"),
    row(OptionKey::Username, "username", Wi, Text, "required by `password`", "resource owner's user name (RFC 6749 4.3)"),
    row(OptionKey::Password, "password", Wi, Secret, "required by `password`", "resource owner's password"),
    row(OptionKey::SubjectTokenFile, "subject_token_file", Wi, Path, "required by `token_exchange`",
        "file holding the subject token, read at every fetch (e.g. a Kubernetes projected service-account token)"),
    row(OptionKey::SubjectTokenType, "subject_token_type", Wi, Text, "`urn:ietf:params:oauth:token-type:jwt`",
        "type of the subject token of `token_exchange`"),
    row(OptionKey::ClientAuth, "client_auth", Wi, Choice(CLIENT_AUTHS), "per flow",
        "`client_secret_post`, `client_secret_basic`, `private_key_jwt`, `none` or `client_id` (the two send `client_id` alone); unset: `coze` as in version 1, others `client_secret_post` when a secret is set"),
    row(OptionKey::PrivateKeyPath, "private_key_path", Wi, Path, "required by `private_key_jwt`",
        "PEM private key (RSA or EC P-256; PKCS#8, PKCS#1 or SEC1) that signs client assertions"),
    row(OptionKey::PrivateKeyId, "private_key_id", Wi, HeaderValue, "none", "`kid` of the client assertion header"),
    row(OptionKey::Issuer, "issuer", Wi, Url, "none",
        "RFC 8414 discovery: endpoints not set explicitly come from the issuer's metadata, fetched at first need"),
    row(OptionKey::IntrospectionEndpoint, "introspection_endpoint", Wi, Url, "none (or `issuer`)", "RFC 7662 introspection"),
    row(OptionKey::RevocationEndpoint, "revocation_endpoint", Wi, Url, "none (or `issuer`)", "RFC 7009 revocation"),
    row(OptionKey::RegistrationEndpoint, "registration_endpoint", Wi, Url, "none (or `issuer`)", "RFC 7591 registration"),
    row(OptionKey::RegistrationToken, "registration_token", Wi, Secret, "none",
        "initial access token of RFC 7591, sent as Bearer"),
    row(OptionKey::IntrospectionCacheS, "introspection_cache_s", Wi, Seconds, "0",
        "reuse a positive introspection answer (`\"active\": true`) for this long, never past the token's `exp`; at most 10000 tokens; 0 asks the server every time"),
    row(OptionKey::TokenStore, "token_store", Wi, TokenStore, "`memory`",
        "`memory`, or `file:<DIR>`: tokens shared by the processes of a host (0700 directory, 0600 files)"),
    row(OptionKey::ExchangeCacheSize, "exchange_cache_size", Wi, Count { max: 1_000_000 }, "1024",
        "bound of the exchanged-token cache; 0 disables it"),
    row(OptionKey::TimeoutMs, "timeout_ms", Wi, Milliseconds, "30000", "read timeout of one attempt"),
    row(OptionKey::ConnectTimeoutMs, "connect_timeout_ms", Wi, Milliseconds, "5000", "connect timeout of one attempt"),
    row(OptionKey::DeadlineMs, "deadline_ms", Wi, Milliseconds, "(attempts x timeouts + backoff)",
        "overall bound of one call, every step and retry included"),
    row(OptionKey::ExpiryBufferS, "expiry_buffer_s", Wi, Seconds, "60",
        "a token stops being handed out this long before it expires"),
    row(OptionKey::MaxRetries, "max_retries", Wi, Count { max: 10 }, "2",
        "retries of network errors, timeouts, 408, 429, 5xx"),
    row(OptionKey::Proxy, "proxy", Wi, ProxyUrl, "`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`",
        "HTTP(S) proxy URL (`WI_PROXY` first, then the standard variables); never used for a loopback endpoint"),
    row(OptionKey::CaBundlePath, "ca_bundle_path", Wi, Path, "built-in roots",
        "PEM file whose certificates become the trust anchors (as `curl --cacert`)"),
    row(OptionKey::UserAgent, "user_agent", Wi, HeaderValue, "`workload-identity/<version>`", "`User-Agent` header"),
    row(OptionKey::AllowInsecureHttp, "allow_insecure_http", Wi, Bool, "`false`",
        "allow plain `http://` to a host that is not loopback"),
];

impl OptionKey {
    /// Every key, in documentation order.
    pub fn all() -> impl Iterator<Item = OptionKey> {
        OPTIONS.iter().map(|spec| spec.key)
    }

    /// This key's row of the table.
    pub fn spec(self) -> &'static OptionSpec {
        OPTIONS
            .iter()
            .find(|spec| spec.key == self)
            .expect("every key has a row")
    }

    /// The C option key.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The environment variable this key falls back to.
    pub fn env_var(self) -> Cow<'static, str> {
        self.spec().env_var()
    }

    /// Looks a key up by its C name (not `header.<Name>`).
    pub fn from_name(name: &str) -> Option<OptionKey> {
        OPTIONS
            .iter()
            .find(|spec| spec.name == name)
            .map(|spec| spec.key)
    }
}

impl OptionSpec {
    /// Every row, in documentation order.
    pub fn all() -> &'static [OptionSpec] {
        OPTIONS
    }

    /// The key.
    pub fn key(&self) -> OptionKey {
        self.key
    }

    /// The C option key.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The kind of value.
    pub fn kind(&self) -> OptionKind {
        self.kind
    }

    /// The default, as documented.
    pub fn default_text(&self) -> &'static str {
        self.default
    }

    /// One line of documentation.
    pub fn doc(&self) -> &'static str {
        self.doc
    }

    /// True for values that are secrets.
    pub fn is_secret(&self) -> bool {
        self.kind == OptionKind::Secret
    }

    /// The environment variable read when the option is not set: the Coze
    /// SDK's name where there is one, else `WI_` + the key in upper case.
    pub fn env_var(&self) -> Cow<'static, str> {
        match self.env {
            EnvSource::Coze(name) => Cow::Borrowed(name),
            EnvSource::Wi => Cow::Owned(format!("WI_{}", self.name.to_ascii_uppercase())),
        }
    }
}
