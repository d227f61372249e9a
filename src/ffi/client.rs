//! `wi_client`: the C handle of a [`crate::Client`].

use std::ffi::c_char;

use crate::cache::exchanged::Lent;
use crate::client::Client;
use crate::config::ConfigBuilder;
use crate::error::Error;
use crate::exchange::{Exchange, ExchangeBytes, ParamBytes};
use crate::ffi::boundary::{
    byte_buffer_arg, client_free, client_into_raw, client_ref, guard, optional_bytes_arg,
    optional_str_arg, options_ref, out_arg, out_struct_arg, str_arg, string_into_raw, struct_arg,
};
use crate::ffi::error::{wi_error, wi_status};
use crate::ffi::options::wi_options;
use crate::protocol::{env_vars_document, ExchangeParams};

/// A workload-identity client (Rust: `wi_client` holding a
/// `workload_identity::Client`, shared as an `Arc`).
///
/// Thread-safe: any number of threads may call the functions taking
/// `const wi_client *` at once. Clients with the same identity (client id,
/// secret, endpoints, lane) share one token cache and one in-flight refresh.
///
/// Methods: `wi_client_new`, `wi_get_access_token`,
/// `wi_get_access_token_with_expiry`, `wi_peek_access_token`, `wi_peek_access_token_lease`,
/// `wi_get_access_token_lease`, `wi_get_access_token_into`, `wi_exchange_token`,
/// `wi_get_delegated_token`,
/// `wi_get_integration_credential`, `wi_get_project_env_vars`,
/// `wi_invalidate_token`, `wi_force_refresh`, `wi_client_stats`, `wi_client_free`;
/// the authorization server's other endpoints: `wi_get_server_metadata`,
/// `wi_introspect_token`, `wi_token_is_active`, `wi_revoke_token`,
/// `wi_register_client`.
pub struct wi_client {
    pub(crate) client: Client,
}

/// The parameters of a general RFC 8693 token exchange (section 2.1). Strings
/// are UTF-8, NUL-terminated and borrowed for the duration of the call.
#[repr(C)]
pub struct wi_exchange_params {
    /// Required.
    pub subject_token: *const c_char,
    /// NULL: urn:ietf:params:oauth:token-type:access_token.
    pub subject_token_type: *const c_char,
    /// NULL: left out of the request (as every member below).
    pub audience: *const c_char,
    /// Target resource URI.
    pub resource: *const c_char,
    /// Requested scope (space-separated).
    pub scope: *const c_char,
    /// Requested token type.
    pub requested_token_type: *const c_char,
    /// Actor token, for delegation.
    pub actor_token: *const c_char,
    /// Required when actor_token is given.
    pub actor_token_type: *const c_char,
}

/// Runs a client call: a panic clears the identity's cache.
/// The client argument, checked only when the body asks for it: bodies reset
/// every out-parameter first (all of them, before reporting any NULL one), so
/// that each holds NULL or 0 after any failure.
pub(crate) struct ClientArg<'a>(&'a Result<&'a wi_client, Error>);

impl<'a> ClientArg<'a> {
    #[inline]
    pub(crate) fn get(self) -> Result<&'a Client, Error> {
        self.0
            .as_ref()
            .map(|handle| &handle.client)
            .map_err(Clone::clone)
    }
}

#[inline]
pub(crate) fn with_client(
    client: *const wi_client,
    out_error: *mut *mut wi_error,
    body: impl FnOnce(ClientArg<'_>) -> Result<(), Error>,
) -> wi_status {
    // SAFETY: the C contract: `client` is NULL or live for the whole call.
    let handle = unsafe { client_ref(client) };
    let on_panic = || {
        if let Ok(handle) = &handle {
            handle.client.clear_cache();
        }
    };
    guard(out_error, || body(ClientArg(&handle)), on_panic)
}

/// Creates a client.
///
/// `options` NULL reads the whole configuration from the environment
/// (COZE_WORKLOAD_IDENTITY_CLIENT_ID, ..._CLIENT_SECRET, ..._TOKEN_ENDPOINT,
/// COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT, COZE_OUTBOUND_AUTH_ENDPOINT,
/// COZE_SERVER_ENV); otherwise each key set overrides its variable. `options`
/// is only read: free it whenever convenient. No network traffic happens here.
///
/// On success `*out_client` receives a new client owned by the caller, freed
/// with `wi_client_free`. On failure (`WI_STATUS_CONFIGURATION` naming every
/// missing setting, or `WI_STATUS_INVALID_ARGUMENT` if `out_client` is NULL)
/// `*out_client` is NULL and `*out_error` (if `out_error` is not NULL) receives
/// a `wi_error`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_client_new(
    options: *const wi_options,
    out_client: *mut *mut wi_client,
    out_error: *mut *mut wi_error,
) -> wi_status {
    guard(
        out_error,
        || {
            let slot = out_arg(out_client, "out_client")?;
            let config = match options_ref(options) {
                Some(options) => options.builder.build()?,
                None => ConfigBuilder::new().build()?,
            };
            *slot = client_into_raw(wi_client {
                client: Client::new(config)?,
            });
            Ok(())
        },
        || {},
    )
}

/// Frees a client. NULL is allowed and ignored. Call it once, after every call
/// on that client has returned; must not be called twice with the same value.
/// A token cached for the identity stays usable by other clients of it.
#[no_mangle]
pub unsafe extern "C" fn wi_client_free(client: *mut wi_client) {
    crate::ffi::boundary::guard_infallible((), || client_free(client))
}

/// Gets the access token: from the cache, or through the two-step flow
/// (client credentials for an ID token, then an RFC 8693 exchange).
///
/// On success `*out_token` receives a NUL-terminated token owned by the caller,
/// freed with `wi_free_string`. On failure (`WI_STATUS_TOKEN_RETRIEVAL` for
/// step 1, `WI_STATUS_TOKEN_EXCHANGE` for step 2, `WI_STATUS_INVALID_ARGUMENT`
/// for a NULL argument) `*out_token` is NULL and `*out_error` (if not NULL)
/// receives a `wi_error`. Thread-safe; concurrent callers share one refresh.
#[no_mangle]
pub unsafe extern "C" fn wi_get_access_token(
    client: *const wi_client,
    out_token: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let slot = out_arg(out_token, "out_token")?;
        let client = client.get()?;
        *slot = client.access_token_with(string_into_raw)?;
        Ok(())
    })
}

/// Gets the access token with its expiry: the time the request that obtained
/// it was sent plus its `expires_in`, as Unix milliseconds. Otherwise as
/// `wi_get_access_token`.
///
/// `out_expires_at_unix_ms` is required. On success `*out_token` receives the
/// token, owned by the caller and freed with `wi_free_string`, and
/// `*out_expires_at_unix_ms` its expiry. On failure (statuses as for
/// `wi_get_access_token`; `WI_STATUS_INVALID_ARGUMENT` for a NULL argument)
/// `*out_token` is NULL, `*out_expires_at_unix_ms` is 0, and `*out_error` (if
/// not NULL) receives a `wi_error`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_get_access_token_with_expiry(
    client: *const wi_client,
    out_token: *mut *mut c_char,
    out_expires_at_unix_ms: *mut i64,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        // Both out-parameters are reset before either NULL is reported.
        let slot = out_arg(out_token, "out_token");
        let expires =
            out_struct_arg(out_expires_at_unix_ms, "out_expires_at_unix_ms").map(|expires| {
                *expires = 0;
                expires
            });
        let (slot, expires) = (slot?, expires?);
        let client = client.get()?;
        let (token, expires_at) = client
            .access_token_lease(|lease| (string_into_raw(lease.token), lease.expires_at_unix_ms))?;
        *slot = token;
        *expires = expires_at;
        Ok(())
    })
}

/// Returns a valid cached access token without ever waiting on the network.
///
/// Returns true with `*out_token` set to a token owned by the caller (freed
/// with `wi_free_string`) when one is cached and may be handed out now (fresh,
/// or in the window where the library refreshes it in the background: this
/// call then starts that refresh and returns at once). Returns false with
/// `*out_token` NULL when the caller must call `wi_get_access_token` instead:
/// nothing cached, past the point where callers wait for a refresh, `flow`
/// `none`, or a NULL `client` or `out_token` (nothing is written through a
/// NULL `out_token`). Never blocks on I/O. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_peek_access_token(
    client: *const wi_client,
    out_token: *mut *mut c_char,
) -> bool {
    peek(client, out_token, std::ptr::null_mut())
}

/// Like `wi_peek_access_token`, plus the lease of `wi_get_access_token_lease`:
/// `*out_lease_ms` (required; 0 on false) receives how many milliseconds the
/// caller may keep reusing the token without calling again. For bindings
/// whose caller has a cancellation context (Go's `ctx`): they answer from
/// here without a thread, and go to the network only when this returns
/// false. Ownership and NULL handling as for `wi_peek_access_token`; a NULL
/// `out_lease_ms` gives false. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_peek_access_token_lease(
    client: *const wi_client,
    out_token: *mut *mut c_char,
    out_lease_ms: *mut u32,
) -> bool {
    if out_lease_ms.is_null() {
        if let Some(slot) = out_token.as_mut() {
            *slot = std::ptr::null_mut();
        }
        return false;
    }
    peek(client, out_token, out_lease_ms)
}

/// The body of the two peek functions; `out_lease_ms` may be NULL.
unsafe fn peek(
    client: *const wi_client,
    out_token: *mut *mut c_char,
    out_lease_ms: *mut u32,
) -> bool {
    let mut found = false;
    with_client(client, std::ptr::null_mut(), |client| {
        if let Some(lease) = out_lease_ms.as_mut() {
            *lease = 0;
        }
        let slot = out_arg(out_token, "out_token")?;
        if let Some((token, lease_ms)) = client.get()?.peek_access_token_with(|lease| {
            (string_into_raw(lease.token), lease_ms(lease.fresh_for))
        }) {
            *slot = token;
            if let Some(lease) = out_lease_ms.as_mut() {
                *lease = lease_ms;
            }
            found = true;
        }
        Ok(())
    });
    found
}

/// Longest lease handed out: a binding still asks the library at least once a
/// second (invalidations end leases at once, through `wi_invalidation_counter`).
const MAX_LEASE_MS: u32 = 1_000;

/// A lease in milliseconds: how long the token stays fresh, at most [`MAX_LEASE_MS`].
fn lease_ms(fresh_for: std::time::Duration) -> u32 {
    fresh_for.as_millis().min(u128::from(MAX_LEASE_MS)) as u32
}

/// Gets the access token like `wi_get_access_token`, plus a lease: how many
/// milliseconds the caller may keep reusing this token without calling again
/// (at most one second, never past the point where the library would start
/// refreshing it; 0 means "ask again next time"), and only while
/// `*wi_invalidation_counter()` keeps the value read before this call. For
/// bindings whose foreign call costs more than a local time check; the
/// library still decides.
///
/// `out_lease_ms` is required. Ownership and failures as for
/// `wi_get_access_token`; on any failure (whatever argument was NULL)
/// `*out_token` is NULL and `*out_lease_ms` 0, for each that is not NULL.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_get_access_token_lease(
    client: *const wi_client,
    out_token: *mut *mut c_char,
    out_lease_ms: *mut u32,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        // Both out-parameters are reset before either NULL is reported.
        let lease = out_struct_arg(out_lease_ms, "out_lease_ms").map(|lease| {
            *lease = 0;
            lease
        });
        let slot = out_arg(out_token, "out_token");
        let (lease, slot) = (lease?, slot?);
        let client = client.get()?;
        let (token, lease_ms) = client.access_token_lease(|lease| {
            (string_into_raw(lease.token), lease_ms(lease.fresh_for))
        })?;
        *slot = token;
        *lease = lease_ms;
        Ok(())
    })
}

/// The process-wide invalidation counter: it changes whenever a cached token
/// (an access token, or an exchanged one: the counter does not tell them
/// apart) is dropped or replaced before its time, through any client
/// (`wi_invalidate_token`, `wi_force_refresh`, the integration API's 401
/// retry, a caught panic). A token from `wi_get_access_token_lease` may be
/// reused during its lease only while the counter holds the value it had
/// before that call, so that an invalidation reaches every client at once.
///
/// Returns a pointer to static memory, valid for the life of the process:
/// never free it. Read it with an (acquire) atomic load, without a call.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn wi_invalidation_counter() -> *const u32 {
    crate::cache::invalidation_counter().as_ptr().cast_const()
}

/// Copies the access token into the caller's buffer: no allocation on the
/// cached path.
///
/// `buffer` receives the token and a terminating NUL when `buffer_len` is large
/// enough; `*out_len` (required) receives the token's length without the NUL.
/// A buffer too small gives `WI_STATUS_INVALID_ARGUMENT` with `*out_len` set to
/// the length needed and the buffer left empty (its first byte NUL, if any).
/// The caller should wipe the buffer when done. Other failures as for
/// `wi_get_access_token`, with `*out_len` 0 and the buffer empty (whatever
/// argument was NULL, for each that is not NULL). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_get_access_token_into(
    client: *const wi_client,
    buffer: *mut c_char,
    buffer_len: usize,
    out_len: *mut usize,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let mut buffer = byte_buffer_arg(buffer, buffer_len, "buffer");
        if let Some(first) = buffer.as_mut().ok().and_then(|buffer| buffer.first_mut()) {
            *first = 0;
        }
        let mut length = out_struct_arg(out_len, "out_len");
        if let Ok(length) = &mut length {
            **length = 0;
        }
        let (buffer, length) = (buffer?, length?);
        let client = client.get()?;
        client.access_token_with(|token| {
            *length = token.len();
            if token.len() < buffer.len() {
                buffer[..token.len()].copy_from_slice(token.as_bytes());
                buffer[token.len()] = 0;
                Ok(())
            } else {
                Err(Error::invalid_argument(format!(
                    "buffer_len {} is too small: the token needs {} bytes and a NUL",
                    buffer.len(),
                    token.len()
                )))
            }
        })?
    })
}

/// Performs a general RFC 8693 token exchange at the access-token endpoint,
/// authenticated as the option `client_auth` says (default: `client_id` in the
/// form). Results are cached.
///
/// Cache: per identity and every parameter (a parameter differing in any byte
/// is another entry), in a bounded LRU shared by the clients of the identity
/// (option `exchange_cache_size`, default 1024; 0 disables it for this
/// client). A cached token is returned until the access token's expiry buffer
/// before its expiry and refreshed ahead in the background; concurrent calls
/// for one exchange share one request; a token whose answer has no
/// `expires_in`, and a failed exchange, are not cached. The index keeps a
/// keyed hash of the parameters, never the parameters. With
/// `token_store=file:<DIR>` the processes sharing the directory share the
/// exchanged tokens too.
///
/// `params` and `params->subject_token` (not empty) are required;
/// `actor_token` requires `actor_token_type` (else
/// `WI_STATUS_INVALID_ARGUMENT`). On success `*out_token` receives the issued
/// token, owned by the caller and freed with `wi_free_string`. On failure
/// (`WI_STATUS_TOKEN_EXCHANGE`, or `WI_STATUS_INVALID_ARGUMENT`) `*out_token`
/// is NULL and `*out_error` (if not NULL) receives a `wi_error`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_exchange_token(
    client: *const wi_client,
    params: *const wi_exchange_params,
    out_token: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let slot = out_arg(out_token, "out_token")?;
        let client = client.get()?;
        let params = struct_arg(params, "params")?;
        let bytes = optional_bytes_arg(params.subject_token).map(|subject_token| {
            ExchangeBytes::General(ParamBytes {
                subject_token,
                subject_token_type: optional_bytes_arg(params.subject_token_type),
                audience: optional_bytes_arg(params.audience),
                resource: optional_bytes_arg(params.resource),
                scope: optional_bytes_arg(params.scope),
                requested_token_type: optional_bytes_arg(params.requested_token_type),
                actor_token: optional_bytes_arg(params.actor_token),
                actor_token_type: optional_bytes_arg(params.actor_token_type),
            })
        });
        let checked = || {
            Ok(Exchange::General(ExchangeParams {
                subject_token: str_arg(params.subject_token, "params->subject_token")?,
                subject_token_type: optional_str_arg(
                    params.subject_token_type,
                    "params->subject_token_type",
                )?,
                audience: optional_str_arg(params.audience, "params->audience")?,
                resource: optional_str_arg(params.resource, "params->resource")?,
                scope: optional_str_arg(params.scope, "params->scope")?,
                requested_token_type: optional_str_arg(
                    params.requested_token_type,
                    "params->requested_token_type",
                )?,
                actor_token: optional_str_arg(params.actor_token, "params->actor_token")?,
                actor_token_type: optional_str_arg(
                    params.actor_token_type,
                    "params->actor_token_type",
                )?,
            }))
        };
        *slot = client.exchanged_unchecked_with(bytes, checked, copy_out)?;
        Ok(())
    })
}

/// Copies an exchanged token out (see `wi_free_string`).
fn copy_out(lent: Lent<'_>) -> *mut c_char {
    string_into_raw(lent.token)
}

/// Gets a token for this workload acting for a user (RFC 8693 delegation):
/// `subject_token` = `user_token` (type
/// `urn:ietf:params:oauth:token-type:access_token`), `actor_token` = this
/// client's own access token (the token of `wi_get_access_token`, same type),
/// `audience` and `scope` sent when not NULL, at the access-token endpoint
/// (the token endpoint when none is set).
///
/// Cached per (identity, `user_token`, `audience`, `scope`) as
/// `wi_exchange_token` results are: a user's delegated token never goes to
/// another user. A server that refuses the user token (`invalid_grant`:
/// expired or revoked) gives `WI_STATUS_TOKEN_EXCHANGE`, not retryable, with
/// a message saying the user token was refused (never the token itself);
/// nothing is cached.
///
/// `user_token` is required and must not be empty (else
/// `WI_STATUS_INVALID_ARGUMENT`); `audience` and `scope` may be NULL. On
/// success `*out_token` receives the delegated token, owned by the caller and
/// freed with `wi_free_string`. On failure (`WI_STATUS_TOKEN_EXCHANGE`, the
/// status of the client's own access token when that fails,
/// `WI_STATUS_INVALID_ARGUMENT`) `*out_token` is NULL and `*out_error` (if
/// not NULL) receives a `wi_error`. Thread-safe; concurrent calls for one
/// user share one request.
#[no_mangle]
pub unsafe extern "C" fn wi_get_delegated_token(
    client: *const wi_client,
    user_token: *const c_char,
    audience: *const c_char,
    scope: *const c_char,
    out_token: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let slot = out_arg(out_token, "out_token")?;
        let client = client.get()?;
        let bytes = optional_bytes_arg(user_token).map(|user_token| ExchangeBytes::Delegation {
            user_token,
            audience: optional_bytes_arg(audience),
            scope: optional_bytes_arg(scope),
        });
        let checked = || {
            Ok(Exchange::Delegation {
                user_token: str_arg(user_token, "user_token")?,
                audience: optional_str_arg(audience, "audience")?,
                scope: optional_str_arg(scope, "scope")?,
            })
        };
        *slot = client.exchanged_unchecked_with(bytes, checked, copy_out)?;
        Ok(())
    })
}

/// Gets the credential of integration `integration_name` from
/// `{outbound_auth_endpoint}/integration`, authenticated with the access token
/// (a 401 invalidates it and retries once with a new one).
///
/// On success `*out_credential` receives the credential, owned by the caller and
/// freed with `wi_free_string`. On failure (`WI_STATUS_CONFIGURATION` without an
/// outbound endpoint, `WI_STATUS_INTEGRATION` for the API, a token status for
/// the access token, `WI_STATUS_INVALID_ARGUMENT` for NULL, non-UTF-8 or empty
/// name) `*out_credential` is NULL and `*out_error` (if not NULL) receives a
/// `wi_error`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_get_integration_credential(
    client: *const wi_client,
    integration_name: *const c_char,
    out_credential: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let slot = out_arg(out_credential, "out_credential")?;
        let client = client.get()?;
        let name = str_arg(integration_name, "integration_name")?;
        *slot = string_into_raw(client.integration_credential(name)?.expose());
        Ok(())
    })
}

/// Gets the project's environment variables from `{outbound_auth_endpoint}/env`
/// as JSON: `{"vars":[{"key":"K","value":"V"},...]}` in server order.
///
/// On success `*out_json` receives the document, owned by the caller and freed
/// with `wi_free_string` (values are secrets: it wipes them). Failures as for
/// `wi_get_integration_credential`; `*out_json` is then NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_get_project_env_vars(
    client: *const wi_client,
    out_json: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let slot = out_arg(out_json, "out_json")?;
        let json = env_vars_document(&client.get()?.project_env_vars()?);
        let json = std::str::from_utf8(&json)
            .map_err(|_| Error::internal("the env-var document is not UTF-8"))?;
        *slot = string_into_raw(json);
        Ok(())
    })
}

/// Drops whichever cached token, access or exchanged (`wi_exchange_token`,
/// `wi_get_delegated_token`), is still `rejected_token` (one that a service
/// refused), for every client of the identity and in the file token store; a
/// token refreshed meanwhile by another thread is kept.
///
/// `rejected_token` is required (else `WI_STATUS_INVALID_ARGUMENT`). Succeeds
/// whether or not the token matched. On failure `*out_error` (if not NULL)
/// receives a `wi_error`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_invalidate_token(
    client: *const wi_client,
    rejected_token: *const c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let rejected_token = str_arg(rejected_token, "rejected_token")?;
        client.get()?.invalidate_token(rejected_token);
        Ok(())
    })
}

/// Fetches a new access token now, whatever the cache holds (joining a refresh
/// already in flight), and returns it. On failure a still-valid cached token
/// stays in service for other callers.
///
/// Ownership and failures as for `wi_get_access_token`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_force_refresh(
    client: *const wi_client,
    out_token: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    with_client(client, out_error, |client| {
        let slot = out_arg(out_token, "out_token")?;
        *slot = string_into_raw(client.get()?.force_refresh()?.expose());
        Ok(())
    })
}
