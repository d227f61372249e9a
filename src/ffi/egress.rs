//! `wi_get_outbound_proxy`: the settings of Coze's authenticating outbound proxy.

use std::ffi::c_char;

use crate::egress::{mask_url_credentials, outbound_ca_bundle_path, outbound_proxy_url};
use crate::error::Error;
use crate::ffi::boundary::{
    guard, guard_infallible, optional_out_arg, optional_str_arg, string_into_raw,
};
use crate::ffi::error::{wi_error, wi_status};

/// The outbound proxy settings, ready for an HTTP client (libcurl:
/// `CURLOPT_PROXY` and `CURLOPT_CAINFO`; Go, Node, Python: a proxy URL and a CA
/// file).
///
/// Read from the environment at each call (shared/PROTOCOL.md, "The outbound
/// auth proxy and skill environment"):
/// - proxy URL: `COZE_SKILL_PROXY_DOMAIN`, else `COZE_OUTBOUND_AUTH_PROXY`, with
///   the credentials `space` : `identity_ticket` (form-encoded) replacing any
///   userinfo. It holds the identity ticket: a secret, never to be logged.
/// - CA bundle: `COZE_OUTBOUND_AUTH_PROXY_CA` (PEM content) written to a file
///   readable only by this user (once per process and content, removed at
///   `exit` by this process only, so never by a forked child), else
///   `COZE_OUTBOUND_AUTH_PROXY_CA_PATH`, else none.
///
/// `out_proxy_url`: receives the proxy URL; NULL skips the proxy URL (and its
/// errors). `out_ca_bundle_path`: receives the CA file path, or NULL when no CA
/// is configured; NULL skips the CA. At least one must be non-NULL
/// (`WI_STATUS_INVALID_ARGUMENT` otherwise). Both strings are owned by the
/// caller and freed with `wi_free_string` (which wipes the URL's ticket).
///
/// Errors, all `WI_STATUS_CONFIGURATION`: neither proxy variable set;
/// `identity_ticket` unset; a proxy URL that is not http(s) (the message shows
/// it with its credentials masked); `COZE_OUTBOUND_AUTH_PROXY_CA_PATH` set to a
/// path that does not exist; the CA file cannot be written. On any failure
/// both out-parameters hold NULL and `*out_error` (if `out_error` is not NULL)
/// receives a `wi_error`. Messages never hold the ticket.
///
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_get_outbound_proxy(
    out_proxy_url: *mut *mut c_char,
    out_ca_bundle_path: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    guard(
        out_error,
        || {
            let url_slot = optional_out_arg(out_proxy_url, "out_proxy_url")?;
            let ca_slot = optional_out_arg(out_ca_bundle_path, "out_ca_bundle_path")?;
            if url_slot.is_none() && ca_slot.is_none() {
                return Err(Error::invalid_argument(
                    "out_proxy_url and out_ca_bundle_path are both NULL",
                ));
            }
            let url = url_slot
                .as_ref()
                .map(|_| outbound_proxy_url())
                .transpose()?;
            let ca = match ca_slot {
                Some(_) => outbound_ca_bundle_path()?,
                None => None,
            };
            let ca = ca
                .map(|path| {
                    path.into_os_string().into_string().map_err(|path| {
                        Error::configuration(format!(
                            "the CA bundle path is not UTF-8: {}",
                            path.to_string_lossy()
                        ))
                    })
                })
                .transpose()?;
            if let (Some(slot), Some(url)) = (url_slot, url) {
                *slot = string_into_raw(url.expose());
            }
            if let (Some(slot), Some(ca)) = (ca_slot, ca) {
                *slot = string_into_raw(&ca);
            }
            Ok(())
        },
        || {},
    )
}

/// `url` with its credentials masked, fit for a log line or a message:
/// `http://space:***@proxy:8080` (a password becomes `***`; userinfo without
/// a password is masked whole; text that is not a URL is masked up to its last
/// `@`).
///
/// Returns a new string owned by the caller, freed with `wi_free_string`;
/// NULL when `url` is NULL or not UTF-8. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_mask_url(url: *const c_char) -> *mut c_char {
    guard_infallible(std::ptr::null_mut(), || {
        match optional_str_arg(url, "url") {
            Ok(Some(url)) => string_into_raw(&mask_url_credentials(url)),
            _ => std::ptr::null_mut(),
        }
    })
}
