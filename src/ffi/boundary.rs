//! The panic boundary and every raw-pointer cast of the C ABI.
//!
//! Handles: `wi_client` is an `Arc` (shared between threads), `wi_options` and
//! `wi_error` are `Box`es. Strings handed out are `CString`s, wiped when freed.

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use zeroize::Zeroize;

use crate::error::Error;
use crate::ffi::client::wi_client;
use crate::ffi::error::{wi_error, wi_status};
use crate::ffi::options::wi_options;

/// Runs `body`, turning its error or a panic into a status and an optional
/// `wi_error`. `on_panic` runs after a caught panic (e.g. to clear a cache).
pub(crate) fn guard(
    out_error: *mut *mut wi_error,
    body: impl FnOnce() -> Result<(), Error>,
    on_panic: impl FnOnce(),
) -> wi_status {
    if !out_error.is_null() {
        // SAFETY: the caller passes NULL or a writable `wi_error *` slot.
        unsafe { *out_error = std::ptr::null_mut() };
    }
    let result = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(_) => {
            let _ = catch_unwind(AssertUnwindSafe(on_panic));
            Err(Error::internal(
                "a panic was caught at the C boundary (this is a bug)",
            ))
        }
    };
    match result {
        Ok(()) => wi_status::WI_STATUS_OK,
        Err(error) => {
            let status = wi_status::of(&error);
            if !out_error.is_null() {
                // SAFETY: checked non-NULL above; ownership passes to the caller.
                unsafe { *out_error = Box::into_raw(Box::new(wi_error::new(error))) };
            }
            status
        }
    }
}

/// Runs `body` for a function that cannot report errors; a panic gives `fallback`.
pub(crate) fn guard_infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required string argument: not NULL, valid UTF-8.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    optional_str_arg(ptr, name)?.ok_or_else(|| Error::invalid_argument(format!("{name} is NULL")))
}

/// An optional string argument: NULL is `None`; otherwise valid UTF-8.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn optional_str_arg<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map(Some)
        .map_err(|_| Error::invalid_argument(format!("{name} is not valid UTF-8")))
}

/// A required pointer to a `#[repr(C)]` value.
///
/// # Safety
/// `ptr` is NULL or points to a valid `T` for `'a`.
pub(crate) unsafe fn struct_arg<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Error> {
    ptr.as_ref()
        .ok_or_else(|| Error::invalid_argument(format!("{name} is NULL")))
}

/// A required out-parameter; it is set to NULL at once so that it holds NULL on failure.
///
/// # Safety
/// `ptr` is NULL or a writable slot valid for `'a`.
pub(crate) unsafe fn out_arg<'a, T>(ptr: *mut *mut T, name: &str) -> Result<&'a mut *mut T, Error> {
    let slot = ptr
        .as_mut()
        .ok_or_else(|| Error::invalid_argument(format!("{name} is NULL")))?;
    *slot = std::ptr::null_mut();
    Ok(slot)
}

/// A required out-parameter for a plain struct.
///
/// # Safety
/// `ptr` is NULL or points to a writable `T` valid for `'a`.
pub(crate) unsafe fn out_struct_arg<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Error> {
    ptr.as_mut()
        .ok_or_else(|| Error::invalid_argument(format!("{name} is NULL")))
}

/// A caller-provided byte buffer; NULL is allowed only with length 0.
///
/// # Safety
/// `ptr` is NULL or points to `len` writable bytes valid for `'a`.
pub(crate) unsafe fn byte_buffer_arg<'a>(
    ptr: *mut c_char,
    len: usize,
    name: &str,
) -> Result<&'a mut [u8], Error> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&mut []);
        }
        return Err(Error::invalid_argument(format!("{name} is NULL")));
    }
    Ok(std::slice::from_raw_parts_mut(ptr.cast::<u8>(), len))
}

/// Hands a client to C.
pub(crate) fn client_into_raw(client: wi_client) -> *mut wi_client {
    Arc::into_raw(Arc::new(client)).cast_mut()
}

/// Borrows a client.
///
/// # Safety
/// `ptr` is NULL or a live pointer from [`client_into_raw`].
pub(crate) unsafe fn client_ref<'a>(ptr: *const wi_client) -> Result<&'a wi_client, Error> {
    ptr.as_ref()
        .ok_or_else(|| Error::invalid_argument("client is NULL"))
}

/// Releases a client handed out by [`client_into_raw`]; NULL is ignored.
///
/// # Safety
/// `ptr` is NULL or live, and no call on it is running or will run.
pub(crate) unsafe fn client_free(ptr: *mut wi_client) {
    if !ptr.is_null() {
        drop(Arc::from_raw(ptr.cast_const()));
    }
}

/// Hands options to C.
pub(crate) fn options_into_raw(options: wi_options) -> *mut wi_options {
    Box::into_raw(Box::new(options))
}

/// Borrows options.
///
/// # Safety
/// `ptr` is NULL or a live pointer from [`options_into_raw`].
pub(crate) unsafe fn options_ref<'a>(ptr: *const wi_options) -> Option<&'a wi_options> {
    ptr.as_ref()
}

/// Borrows options mutably.
///
/// # Safety
/// As [`options_ref`], with no other use of `ptr` at the same time.
pub(crate) unsafe fn options_mut<'a>(ptr: *mut wi_options) -> Result<&'a mut wi_options, Error> {
    ptr.as_mut()
        .ok_or_else(|| Error::invalid_argument("options is NULL"))
}

/// Releases options; NULL is ignored.
///
/// # Safety
/// `ptr` is NULL or live from [`options_into_raw`], freed once.
pub(crate) unsafe fn options_free(ptr: *mut wi_options) {
    if !ptr.is_null() {
        drop(Box::from_raw(ptr));
    }
}

/// Borrows an error.
///
/// # Safety
/// `ptr` is NULL or a live `wi_error` handed out by [`guard`].
pub(crate) unsafe fn error_ref<'a>(ptr: *const wi_error) -> Option<&'a wi_error> {
    ptr.as_ref()
}

/// Releases an error; NULL is ignored.
///
/// # Safety
/// `ptr` is NULL or live from [`guard`], freed once.
pub(crate) unsafe fn error_free(ptr: *mut wi_error) {
    if !ptr.is_null() {
        drop(Box::from_raw(ptr));
    }
}

/// Copies `value` into a new C string owned by the caller (freed by `wi_free_string`).
/// Interior NUL bytes cannot occur: every string handed out was checked for them.
pub(crate) fn string_into_raw(value: &str) -> *mut c_char {
    let mut bytes = Vec::with_capacity(value.len() + 1);
    bytes.extend_from_slice(value.as_bytes());
    match CString::new(bytes) {
        Ok(string) => string.into_raw(),
        Err(error) => {
            error.into_vec().zeroize();
            CString::default().into_raw()
        }
    }
}

/// Wipes and frees a string from [`string_into_raw`]; NULL is ignored.
///
/// # Safety
/// `ptr` is NULL or live from [`string_into_raw`], freed once.
pub(crate) unsafe fn string_free(ptr: *mut c_char) {
    if !ptr.is_null() {
        CString::from_raw(ptr).into_bytes_with_nul().zeroize();
    }
}

/// A C string of `text` with any NUL byte dropped.
pub(crate) fn c_string_lossy(text: &str) -> CString {
    CString::new(text.replace('\0', "")).unwrap_or_default()
}
