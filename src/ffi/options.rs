//! `wi_options`: string settings for `wi_client_new`.

use std::ffi::c_char;

use crate::config::ConfigBuilder;
use crate::ffi::boundary::{
    guard, guard_infallible, optional_str_arg, options_free, options_into_raw, options_mut, str_arg,
};
use crate::ffi::error::{wi_error, wi_status};

/// String settings for `wi_client_new` (Rust: `wi_options` holding a
/// `workload_identity::ConfigBuilder`). Values are checked as they are set.
///
/// Not thread-safe: use from one thread at a time. Independent of the clients
/// made from it: may be freed right after `wi_client_new`.
///
/// Methods: `wi_options_new`, `wi_options_set`, `wi_options_free`.
pub struct wi_options {
    pub(crate) builder: ConfigBuilder,
}

/// Creates an empty set of options (every key falls back to its environment
/// variable, or its default).
///
/// Returns a new handle owned by the caller, freed with `wi_options_free`;
/// NULL only if memory ran out.
#[no_mangle]
pub extern "C" fn wi_options_new() -> *mut wi_options {
    guard_infallible(std::ptr::null_mut(), || {
        options_into_raw(wi_options {
            builder: ConfigBuilder::new(),
        })
    })
}

/// Sets option `key` to `value` (UTF-8, NUL-terminated; copied).
///
/// Keys: client_id, client_secret, token_endpoint, access_token_endpoint,
/// outbound_auth_endpoint, server_env, timeout_ms, connect_timeout_ms,
/// deadline_ms, expiry_buffer_s, max_retries, proxy, ca_bundle_path, user_agent,
/// allow_insecure_http, client_auth. `value` NULL removes the key again (it falls
/// back to the environment). An unknown key, a NULL or non-UTF-8 key, or a value
/// that does not parse for the key gives `WI_STATUS_INVALID_ARGUMENT` naming the
/// key, and leaves the options unchanged. On failure `*out_error` (if
/// `out_error` is not NULL) receives a `wi_error` to free with `wi_error_free`.
/// Not thread-safe for the same `options`.
#[no_mangle]
pub unsafe extern "C" fn wi_options_set(
    options: *mut wi_options,
    key: *const c_char,
    value: *const c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    guard(
        out_error,
        || {
            let options = options_mut(options)?;
            let key = str_arg(key, "key")?;
            let name = format!("the value of option {}", crate::redact::cap(key));
            match optional_str_arg(value, &name)? {
                Some(value) => options.builder.set(key, value)?,
                None => options.builder.unset(key)?,
            };
            Ok(())
        },
        || {},
    )
}

/// Frees options (the secrets they hold are wiped). NULL is allowed and ignored.
/// Must not be called twice with the same value.
#[no_mangle]
pub unsafe extern "C" fn wi_options_free(options: *mut wi_options) {
    guard_infallible((), || options_free(options))
}
