//! `wi_status` and `wi_error`: the outcome of a call and the detail of a failure.

use std::ffi::{c_char, CString};

use crate::error::{Error, ErrorKind};
use crate::ffi::boundary::{c_string_lossy, error_free, error_ref, guard_infallible};

/// The outcome of a call. Fixed width (`uint32_t`); numbers are never reused.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum wi_status {
    /// Success.
    WI_STATUS_OK = 0,
    /// NULL where a value is required, invalid UTF-8, unknown option key or bad option value.
    WI_STATUS_INVALID_ARGUMENT = 1,
    /// Required configuration missing or invalid.
    WI_STATUS_CONFIGURATION = 2,
    /// Step 1 (ID token) failed.
    WI_STATUS_TOKEN_RETRIEVAL = 3,
    /// Step 2, or wi_exchange_token, failed.
    WI_STATUS_TOKEN_EXCHANGE = 4,
    /// Integration-credential or env-var API failed.
    WI_STATUS_INTEGRATION = 5,
    /// Discovery, introspection, revocation or registration failed.
    WI_STATUS_OAUTH_OPERATION = 6,
    /// The token store's directory cannot be created or written (a corrupt entry is
    /// no error: it is ignored and replaced).
    WI_STATUS_STORE = 7,
    /// The skill environment endpoint answered with an API error code
    /// (`wi_load_skill_env`; every other failure of it is "nothing loaded").
    WI_STATUS_SKILL_ENV = 8,
    /// A bug: a panic was caught at the boundary.
    WI_STATUS_INTERNAL = 99,
}

impl wi_status {
    pub(crate) fn of(error: &Error) -> wi_status {
        match error.kind() {
            ErrorKind::InvalidArgument => wi_status::WI_STATUS_INVALID_ARGUMENT,
            ErrorKind::Configuration => wi_status::WI_STATUS_CONFIGURATION,
            ErrorKind::TokenRetrieval => wi_status::WI_STATUS_TOKEN_RETRIEVAL,
            ErrorKind::TokenExchange => wi_status::WI_STATUS_TOKEN_EXCHANGE,
            ErrorKind::Integration => wi_status::WI_STATUS_INTEGRATION,
            ErrorKind::OAuthOperation => wi_status::WI_STATUS_OAUTH_OPERATION,
            ErrorKind::Store => wi_status::WI_STATUS_STORE,
            ErrorKind::SkillEnv => wi_status::WI_STATUS_SKILL_ENV,
            ErrorKind::Internal => wi_status::WI_STATUS_INTERNAL,
        }
    }
}

/// The detail of one failure (Rust: `wi_error` holding a `workload_identity::Error`).
///
/// Created by any failing call that was given a non-NULL `out_error`; owned by the
/// caller and freed with `wi_error_free`. Immutable: may be read from any thread.
///
/// Methods: `wi_error_status`, `wi_error_message`, `wi_error_http_status`,
/// `wi_error_oauth_code`, `wi_error_retryable`, `wi_error_free`.
pub struct wi_error {
    error: Error,
    message: CString,
    oauth_code: Option<CString>,
}

impl wi_error {
    pub(crate) fn new(error: Error) -> Self {
        wi_error {
            message: c_string_lossy(&error.to_string()),
            oauth_code: error.oauth_error().map(c_string_lossy),
            error,
        }
    }
}

/// The status class of `error`.
///
/// `error` NULL gives `WI_STATUS_INVALID_ARGUMENT`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_error_status(error: *const wi_error) -> wi_status {
    guard_infallible(wi_status::WI_STATUS_INVALID_ARGUMENT, || {
        error_ref(error).map_or(wi_status::WI_STATUS_INVALID_ARGUMENT, |e| {
            wi_status::of(&e.error)
        })
    })
}

/// A one-line, human-readable description, free of secrets and tokens: the
/// operation, what went wrong, and the OAuth error code and HTTP status if any.
///
/// Borrowed: valid until `wi_error_free(error)`. `error` NULL gives NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_error_message(error: *const wi_error) -> *const c_char {
    guard_infallible(std::ptr::null(), || {
        error_ref(error).map_or(std::ptr::null(), |e| e.message.as_ptr())
    })
}

/// The HTTP status of the response that failed; 0 when no HTTP response was
/// involved (or `error` is NULL). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_error_http_status(error: *const wi_error) -> u16 {
    guard_infallible(0, || {
        error_ref(error)
            .and_then(|e| e.error.http_status())
            .unwrap_or(0)
    })
}

/// The RFC 6749 `error` member of the server's response (e.g. "invalid_client"),
/// or NULL when there was none (or `error` is NULL).
///
/// Borrowed: valid until `wi_error_free(error)`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_error_oauth_code(error: *const wi_error) -> *const c_char {
    guard_infallible(std::ptr::null(), || {
        error_ref(error)
            .and_then(|e| e.oauth_code.as_ref())
            .map_or(std::ptr::null(), |code| code.as_ptr())
    })
}

/// True when the same call may succeed if tried again later (network failure,
/// timeout, 408, 429, 5xx, `temporarily_unavailable`). `error` NULL gives false.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_error_retryable(error: *const wi_error) -> bool {
    guard_infallible(false, || {
        error_ref(error).is_some_and(|e| e.error.is_retryable())
    })
}

/// Frees an error. NULL is allowed and ignored. Must not be called twice with
/// the same value; the strings borrowed from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn wi_error_free(error: *mut wi_error) {
    guard_infallible((), || error_free(error))
}
