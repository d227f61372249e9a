//! The `wi_client` functions of the authorization server's other endpoints
//! (RFC 8414, 7662, 7009, 7591): the same handle as `ffi::client`, kept in a
//! file of their own so that each file holds one family of calls.

use std::ffi::c_char;

use crate::ffi::boundary::{optional_str_arg, out_arg, str_arg, string_into_raw};
use crate::ffi::client::{wi_client, with_client};
use crate::ffi::error::{wi_error, wi_status};

/// Gets the authorization server's metadata (RFC 8414), as the server sent it.
///
/// Needs the option `issuer`. The document is fetched at the first call that
/// needs it (this one, or any call whose endpoint is not configured), once
/// per identity, from `/.well-known/oauth-authorization-server` inserted
/// between the issuer's host and path, else from
/// `{issuer}/.well-known/openid-configuration`; it must name the configured
/// issuer and a `token_endpoint`. A failed fetch is tried again at the next
/// need, after a backoff (1 s doubling to 60 s); meanwhile its error is
/// returned at once.
///
/// On success `*out_json` receives the JSON document, owned by the caller and
/// freed with `wi_free_string`. On failure (`WI_STATUS_CONFIGURATION` without
/// `issuer`, `WI_STATUS_OAUTH_OPERATION` when the document cannot be fetched,
/// is not a JSON object, is larger than 1 MiB, names another issuer or no
/// token endpoint, `WI_STATUS_INVALID_ARGUMENT` for a NULL argument)
/// `*out_json` is NULL and `*out_error` (if not NULL) receives a `wi_error`.
/// Thread-safe; concurrent first callers share one fetch.
#[no_mangle]
pub unsafe extern "C" fn wi_get_server_metadata(
    client: *const wi_client,
    out_json: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let slot = out_arg(out_json, "out_json")?;
        *slot = string_into_raw(&client.get()?.server_metadata()?);
        Ok(())
    })
}

/// Introspects `token` (RFC 7662) at the introspection endpoint (configured,
/// or from discovery), authenticated as the option `client_auth` says.
///
/// `token` is required and not empty; `token_type_hint` may be NULL (not sent).
/// With the option `introspection_cache_s`, a positive answer may come from
/// the identity's cache. The token never appears in a message or log line.
///
/// On success `*out_json` receives the server's answer (a JSON object with a
/// boolean `active`), owned by the caller and freed with `wi_free_string`. On
/// failure (`WI_STATUS_OAUTH_OPERATION`: network, server error, an answer that
/// is not a JSON object or has no boolean `active`; `WI_STATUS_CONFIGURATION`:
/// no endpoint; `WI_STATUS_INVALID_ARGUMENT`: NULL, empty or non-UTF-8
/// argument) `*out_json` is NULL and `*out_error` (if not NULL) receives a
/// `wi_error`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_introspect_token(
    client: *const wi_client,
    token: *const c_char,
    token_type_hint: *const c_char,
    out_json: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let slot = out_arg(out_json, "out_json")?;
        let client = client.get()?;
        let token = str_arg(token, "token")?;
        let hint = optional_str_arg(token_type_hint, "token_type_hint")?;
        *slot = string_into_raw(&client.introspect_token(token, hint)?);
        Ok(())
    })
}

/// Fail-safe check: true only when introspection of `token` answered
/// `"active": true` and, when `required_scope` is not NULL, the token's
/// space-separated `scope` contains every space-separated scope of it.
///
/// Any failure (network, server, an answer without a boolean `active`, a
/// NULL, empty or non-UTF-8 `token` or `required_scope`, a NULL client, a
/// caught panic) is false, with the reason in `*out_error` when `out_error`
/// is not NULL (freed with `wi_error_free`). An inactive token, or one
/// missing a scope, is false with `*out_error` NULL: that is the server's
/// answer, not a failure. Uses the positive-answer cache as
/// `wi_introspect_token` does. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_token_is_active(
    client: *const wi_client,
    token: *const c_char,
    required_scope: *const c_char,
    out_error: *mut *mut wi_error,
) -> bool {
    let mut active = false;
    let status = with_client(client, out_error, |client| {
        let client = client.get()?;
        let token = str_arg(token, "token")?;
        let scope = optional_str_arg(required_scope, "required_scope")?;
        active = client.token_is_active(token, scope)?;
        Ok(())
    });
    active && status == wi_status::WI_STATUS_OK
}

/// Revokes `token` (RFC 7009) at the revocation endpoint (configured, or from
/// discovery), authenticated as the option `client_auth` says.
///
/// Also drops the token from this process's caches of the client's identity
/// (every client of that identity: the access token, the refresh token,
/// cached introspection answers) and from the file token store when one is
/// configured, whatever the server answers. `token` is required and not
/// empty; `token_type_hint` may be NULL (not sent). The token never appears in
/// a message or log line.
///
/// On failure (`WI_STATUS_OAUTH_OPERATION`, `WI_STATUS_CONFIGURATION` without
/// an endpoint, `WI_STATUS_INVALID_ARGUMENT`) `*out_error` (if not NULL)
/// receives a `wi_error`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_revoke_token(
    client: *const wi_client,
    token: *const c_char,
    token_type_hint: *const c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let client = client.get()?;
        let token = str_arg(token, "token")?;
        let hint = optional_str_arg(token_type_hint, "token_type_hint")?;
        client.revoke_token(token, hint)
    })
}

/// Registers a client (RFC 7591) at the registration endpoint (configured, or
/// from discovery), with the option `registration_token` sent as Bearer when
/// set. Sent once, never retried (a retry after a lost answer could register
/// a second client).
///
/// `metadata_json` is the client metadata, a JSON object (anything else is
/// `WI_STATUS_INVALID_ARGUMENT`, before any request). On success `*out_json`
/// receives the server's answer (a JSON object with `client_id` and, when
/// issued, `client_secret`), owned by the caller and freed with
/// `wi_free_string`, which wipes it. On failure (`WI_STATUS_OAUTH_OPERATION`,
/// `WI_STATUS_CONFIGURATION` without an endpoint,
/// `WI_STATUS_INVALID_ARGUMENT`) `*out_json` is NULL and `*out_error` (if not
/// NULL) receives a `wi_error`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_register_client(
    client: *const wi_client,
    metadata_json: *const c_char,
    out_json: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let slot = out_arg(out_json, "out_json")?;
        let client = client.get()?;
        let metadata = str_arg(metadata_json, "metadata_json")?;
        *slot = string_into_raw(client.register_client(metadata)?.expose());
        Ok(())
    })
}
