//! The one error type of the library: what failed, how, and whether to try again.

use std::fmt;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::redact;

/// The class of a failure; the numbers are the C ABI's `wi_status` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A required argument is missing, not UTF-8, or not a valid value.
    InvalidArgument = 1,
    /// Required configuration is missing or invalid.
    Configuration = 2,
    /// Step 1 (the ID token), or the token request of a one-step flow, failed.
    TokenRetrieval = 3,
    /// Step 2, or a general RFC 8693 exchange, failed.
    TokenExchange = 4,
    /// The integration-credential or env-var API failed.
    Integration = 5,
    /// Discovery, introspection, revocation or registration failed.
    OAuthOperation = 6,
    /// The token store's directory cannot be created, checked or written.
    Store = 7,
    /// The skill environment endpoint answered with an API error code.
    SkillEnv = 8,
    /// A bug: a panic was caught.
    Internal = 99,
}

/// The operation during which an error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Checking arguments or options.
    Arguments,
    /// Building the configuration.
    Configuration,
    /// Step 1: client credentials for an ID token.
    IdToken,
    /// Step 2: exchanging the ID token for the access token.
    AccessToken,
    /// A general RFC 8693 exchange, or the exchange of `flow=token_exchange`.
    Exchange,
    /// The one token request of `flow=client_credentials`, `password` or
    /// `refresh_token` (or a refresh-token request of any flow but `coze`).
    TokenRequest,
    /// Fetching an integration credential.
    IntegrationCredential,
    /// Fetching the project's environment variables.
    ProjectEnvVars,
    /// Opening, reading, writing or locking the token store.
    Store,
    /// Fetching the authorization server's metadata (RFC 8414).
    Discovery,
    /// Token introspection (RFC 7662).
    Introspection,
    /// Token revocation (RFC 7009).
    Revocation,
    /// Dynamic client registration (RFC 7591).
    Registration,
    /// Loading the skill environment (only an API error code fails it).
    SkillEnv,
    /// Waiting for or running a token refresh (a panic, or a wait that timed out).
    Refresh,
    /// None that the caller started: a bug (a caught panic).
    Internal,
}

impl Operation {
    /// The error class of a failure during this operation.
    pub fn kind(self) -> ErrorKind {
        match self {
            Operation::Arguments => ErrorKind::InvalidArgument,
            Operation::Configuration => ErrorKind::Configuration,
            Operation::IdToken | Operation::TokenRequest | Operation::Refresh => {
                ErrorKind::TokenRetrieval
            }
            Operation::Internal => ErrorKind::Internal,
            Operation::AccessToken | Operation::Exchange => ErrorKind::TokenExchange,
            Operation::IntegrationCredential | Operation::ProjectEnvVars => ErrorKind::Integration,
            Operation::Store => ErrorKind::Store,
            Operation::Discovery
            | Operation::Introspection
            | Operation::Revocation
            | Operation::Registration => ErrorKind::OAuthOperation,
            Operation::SkillEnv => ErrorKind::SkillEnv,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Operation::Arguments => "invalid argument",
            Operation::Configuration => "configuration error",
            Operation::IdToken => "ID token request failed",
            Operation::AccessToken => "access token exchange failed",
            Operation::Exchange => "token exchange failed",
            Operation::TokenRequest => "token request failed",
            Operation::IntegrationCredential => "integration credential request failed",
            Operation::ProjectEnvVars => "project env vars request failed",
            Operation::Store => "token store error",
            Operation::Discovery => "server metadata discovery failed",
            Operation::Introspection => "token introspection failed",
            Operation::Revocation => "token revocation failed",
            Operation::Registration => "client registration failed",
            Operation::SkillEnv => "skill environment API error",
            Operation::Refresh => "token refresh failed",
            Operation::Internal => "internal error",
        }
    }
}

/// A failure, with everything a caller needs to decide what to do next.
///
/// Messages never contain a secret or a token value. Cheap to clone; `Send + Sync`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    operation: Operation,
    message: String,
    http_status: Option<u16>,
    oauth_error: Option<String>,
    oauth_error_description: Option<String>,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Error {
    /// A new error of `operation`'s class; not retryable until said otherwise.
    pub fn new(operation: Operation, message: impl Into<String>) -> Self {
        Error {
            kind: operation.kind(),
            operation,
            message: message.into(),
            http_status: None,
            oauth_error: None,
            oauth_error_description: None,
            retryable: false,
            retry_after: None,
        }
    }

    /// An invalid-argument error naming the argument.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(Operation::Arguments, message)
    }

    /// A configuration error.
    pub fn configuration(message: impl Into<String>) -> Self {
        Error::new(Operation::Configuration, message)
    }

    /// An internal error (a caught panic).
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(Operation::Internal, message)
    }

    pub(crate) fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub(crate) fn with_oauth(mut self, code: Option<String>, description: Option<String>) -> Self {
        self.oauth_error = code;
        self.oauth_error_description = description;
        self
    }

    pub(crate) fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// The same error with its message rewritten by `rewrite`.
    pub(crate) fn with_message(mut self, rewrite: impl FnOnce(&str) -> String) -> Self {
        self.message = rewrite(&self.message);
        self
    }

    /// This error with each of `secrets` masked wherever it occurs in the
    /// message or the OAuth members (server-supplied text may echo a request).
    /// The unmasked texts are wiped.
    pub(crate) fn masking(mut self, secrets: &[&str]) -> Self {
        let mask = |text: &mut String| {
            let masked = redact::secrets(text, secrets);
            drop(Zeroizing::new(std::mem::replace(text, masked)));
        };
        mask(&mut self.message);
        if let Some(code) = &mut self.oauth_error {
            mask(code);
        }
        if let Some(description) = &mut self.oauth_error_description {
            mask(description);
        }
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// The error class.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// A human-readable description, free of secrets.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the response that failed, if a response was received.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// RFC 6749 `error` member of the response, if any.
    pub fn oauth_error(&self) -> Option<&str> {
        self.oauth_error.as_deref()
    }

    /// RFC 6749 `error_description` member of the response, if any.
    pub fn oauth_error_description(&self) -> Option<&str> {
        self.oauth_error_description.as_deref()
    }

    /// True when trying again later may succeed (network, timeout, 408, 429, 5xx).
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// The server's `Retry-After`, when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Failures that will not go away by asking again soon: credentials or
    /// request rejected with an OAuth error (other than the retryable ones),
    /// whatever the HTTP status it came with (RFC 6749 5.2 is by content;
    /// 5xx are retryable).
    pub(crate) fn is_non_recoverable(&self) -> bool {
        !self.retryable && self.http_status.is_some() && self.oauth_error.is_some()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation.describe(), self.message)?;
        if let Some(code) = &self.oauth_error {
            write!(f, " (error={code}")?;
            if let Some(status) = self.http_status {
                write!(f, ", HTTP {status}")?;
            }
            write!(f, ")")?;
        } else if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
