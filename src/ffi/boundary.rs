//! The panic boundary and every raw-pointer cast of the C ABI.
//!
//! Handles: `wi_client` is an `Arc` (shared between threads), `wi_options` and
//! `wi_error` are `Box`es. Strings handed out are `malloc`ed C strings,
//! wiped when freed.

use std::ffi::{c_char, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use zeroize::Zeroize;

use crate::error::Error;
use crate::ffi::client::wi_client;
use crate::ffi::error::{wi_error, wi_status};
use crate::ffi::options::wi_options;

/// Runs `body`, turning its error or a panic into a status and an optional
/// `wi_error`. `on_panic` runs after a caught panic (e.g. to clear a cache).
#[inline]
pub(crate) fn guard(
    out_error: *mut *mut wi_error,
    body: impl FnOnce() -> Result<(), Error>,
    on_panic: impl FnOnce(),
) -> wi_status {
    if !out_error.is_null() {
        // SAFETY: the caller passes NULL or a writable `wi_error *` slot.
        unsafe { *out_error = std::ptr::null_mut() };
    }
    // The error is reported inside: only a status leaves the unwinding frame.
    let reported = catch_unwind(AssertUnwindSafe(|| match body() {
        Ok(()) => wi_status::WI_STATUS_OK,
        Err(error) => report(error, out_error),
    }));
    match reported {
        Ok(status) => status,
        Err(_) => {
            let _ = catch_unwind(AssertUnwindSafe(on_panic));
            report(
                Error::internal("a panic was caught at the C boundary (this is a bug)"),
                out_error,
            )
        }
    }
}

/// The status of `error`; `*out_error` (if `out_error` is not NULL) receives it.
#[cold]
#[inline(never)]
fn report(error: Error, out_error: *mut *mut wi_error) -> wi_status {
    let status = wi_status::of(&error);
    if !out_error.is_null() {
        // SAFETY: the caller passes NULL or a writable `wi_error *` slot;
        // ownership passes to the caller.
        unsafe { *out_error = Box::into_raw(Box::new(wi_error::new(error))) };
    }
    status
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

/// An optional string argument as bytes, unchecked (NULL is `None`): for a
/// cached path that only compares them with checked ones.
///
/// # Safety
/// As [`str_arg`].
#[inline]
pub(crate) unsafe fn optional_bytes_arg<'a>(ptr: *const c_char) -> Option<&'a [u8]> {
    (!ptr.is_null()).then(|| CStr::from_ptr(ptr).to_bytes())
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

/// An optional out-parameter: NULL is `None` (the caller skips that output);
/// otherwise set to NULL at once, as [`out_arg`].
///
/// # Safety
/// As [`out_arg`].
pub(crate) unsafe fn optional_out_arg<'a, T>(
    ptr: *mut *mut T,
    name: &str,
) -> Result<Option<&'a mut *mut T>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    out_arg(ptr, name).map(Some)
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

/// A required path argument: not NULL; any bytes but NUL (paths need not be UTF-8).
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for the call.
pub(crate) unsafe fn path_arg(ptr: *const c_char, name: &str) -> Result<PathBuf, Error> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{name} is NULL")));
    }
    let bytes = CStr::from_ptr(ptr).to_bytes();
    Ok(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

/// An optional path argument: NULL is `None`; any bytes but NUL.
///
/// # Safety
/// As [`path_arg`].
pub(crate) unsafe fn optional_path_arg(ptr: *const c_char) -> Option<PathBuf> {
    (!ptr.is_null())
        .then(|| PathBuf::from(std::ffi::OsStr::from_bytes(CStr::from_ptr(ptr).to_bytes())))
}

/// A caller-provided array of `len` values; NULL is allowed only with length 0.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable values valid for `'a`.
pub(crate) unsafe fn slice_arg<'a, T>(
    ptr: *const T,
    len: usize,
    name: &str,
) -> Result<&'a [T], Error> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(Error::invalid_argument(format!("{name} is NULL")));
    }
    Ok(std::slice::from_raw_parts(ptr, len))
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

/// The bytes before a string from [`string_into_raw`]: its length.
const HEADER: usize = std::mem::size_of::<usize>();

/// Copies `value` into a new C string owned by the caller (freed by
/// `wi_free_string`). Interior NUL bytes cannot occur: every string handed
/// out was checked for them; should one occur all the same, the caller gets "".
///
/// The block is `malloc`ed with the length in front of the string, so that
/// freeing needs no `strlen` and wipes every byte even if the caller wrote a
/// NUL into it.
#[inline]
pub(crate) fn string_into_raw(value: &str) -> *mut c_char {
    let mut bytes = value.as_bytes();
    // One pass without early exit, which the compiler vectorises: on strings
    // of a token's length a fraction of what `memchr` costs to set up.
    if bytes.iter().fold(false, |nul, &byte| nul | (byte == 0)) {
        bytes = b"";
    }
    let size = HEADER + bytes.len() + 1;
    // SAFETY: `size` bytes are allocated (checked), aligned for the length;
    // the string is copied after it from a slice that cannot overlap the block.
    unsafe {
        let block = libc::malloc(size).cast::<u8>();
        if block.is_null() {
            // As every failed allocation of the library: abort, saying so.
            let layout = std::alloc::Layout::from_size_align(size, 1);
            std::alloc::handle_alloc_error(layout.unwrap_or(std::alloc::Layout::new::<u8>()));
        }
        block.cast::<usize>().write(bytes.len());
        let string = block.add(HEADER);
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), string, bytes.len());
        string.add(bytes.len()).write(0);
        string.cast()
    }
}

/// Wipes and frees a string from [`string_into_raw`]; NULL is ignored.
///
/// # Safety
/// `ptr` is NULL or live from [`string_into_raw`], freed once.
pub(crate) unsafe fn string_free(ptr: *mut c_char) {
    if !ptr.is_null() {
        let block = ptr.cast::<u8>().sub(HEADER);
        let length = block.cast::<usize>().read();
        // One `memset` that the compiler must keep although `free` follows.
        std::slice::from_raw_parts_mut(ptr.cast::<u8>(), length).zeroize();
        libc::free(block.cast());
    }
}

/// A C string of `text` with any NUL byte dropped.
pub(crate) fn c_string_lossy(text: &str) -> CString {
    CString::new(text.replace('\0', "")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    //! Every pointer helper with plain Rust data, no network: run under Miri by
    //! `scripts/miri.sh` to check the casts, ownership hand-offs and frees.

    use super::*;
    use crate::config::ConfigBuilder;
    use crate::error::ErrorKind;

    #[test]
    fn string_arguments() {
        let valid = CString::new("héllo").unwrap();
        let invalid = CString::new(vec![b'f', 0xff, b'o']).unwrap();
        // SAFETY: every pointer is NULL or a live NUL-terminated string.
        unsafe {
            assert_eq!(str_arg(valid.as_ptr(), "key").unwrap(), "héllo");
            assert_eq!(
                optional_str_arg(valid.as_ptr(), "key").unwrap(),
                Some("héllo")
            );
            assert_eq!(optional_str_arg(std::ptr::null(), "key").unwrap(), None);
            assert_eq!(optional_bytes_arg(invalid.as_ptr()), Some(&b"f\xffo"[..]));
            assert_eq!(optional_bytes_arg(std::ptr::null()), None);
            let error = str_arg(std::ptr::null(), "key").unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidArgument);
            assert!(error.message().contains("key is NULL"));
            let error = optional_str_arg(invalid.as_ptr(), "value").unwrap_err();
            assert!(error.message().contains("value is not valid UTF-8"));
        }
    }

    #[test]
    fn out_and_struct_arguments() {
        let mut value = 7_u32;
        let mut slot: *mut u32 = &mut value;
        let mut length = 5_usize;
        let mut buffer = [b'x'; 4];
        // SAFETY: every pointer is NULL or points to a live local.
        unsafe {
            let out = out_arg(&mut slot, "out").unwrap();
            assert!(out.is_null(), "an out-parameter is cleared at once");
            assert!(out_arg::<u32>(std::ptr::null_mut(), "out").is_err());
            assert!(optional_out_arg::<u32>(std::ptr::null_mut(), "out")
                .unwrap()
                .is_none());
            assert_eq!(*struct_arg(&value, "params").unwrap(), 7);
            assert!(struct_arg::<u32>(std::ptr::null(), "params").is_err());
            *out_struct_arg(&mut length, "out_len").unwrap() = 9;
            assert!(out_struct_arg::<usize>(std::ptr::null_mut(), "out_len").is_err());
            let bytes =
                byte_buffer_arg(buffer.as_mut_ptr().cast(), buffer.len(), "buffer").unwrap();
            bytes[3] = 0;
            assert!(byte_buffer_arg(std::ptr::null_mut(), 0, "buffer")
                .unwrap()
                .is_empty());
            assert!(byte_buffer_arg(std::ptr::null_mut(), 1, "buffer").is_err());
        }
        assert!(slot.is_null());
        assert_eq!((length, buffer), (9, *b"xxx\0"));
    }

    #[test]
    fn path_and_array_arguments() {
        let path = CString::new(vec![b'/', b't', 0xff]).unwrap();
        let items = [1_u8, 2, 3];
        // SAFETY: every pointer is NULL or live for the block.
        unsafe {
            assert_eq!(
                path_arg(path.as_ptr(), "path")
                    .unwrap()
                    .as_os_str()
                    .as_bytes(),
                b"/t\xff"
            );
            assert!(path_arg(std::ptr::null(), "path").is_err());
            assert!(optional_path_arg(std::ptr::null()).is_none());
            assert!(optional_path_arg(path.as_ptr()).is_some());
            assert_eq!(slice_arg(items.as_ptr(), 3, "items").unwrap(), &items);
            assert!(slice_arg::<u8>(std::ptr::null(), 0, "items")
                .unwrap()
                .is_empty());
            assert!(slice_arg::<u8>(std::ptr::null(), 1, "items").is_err());
        }
    }

    #[test]
    fn strings_round_trip_and_are_freed() {
        let raw = string_into_raw("token-é");
        // SAFETY: `raw` comes from `string_into_raw` and is freed once.
        unsafe {
            assert_eq!(CStr::from_ptr(raw).to_str().unwrap(), "token-é");
            string_free(raw);
            string_free(std::ptr::null_mut());
        }
        let raw = string_into_raw("a\0b");
        // SAFETY: as above.
        unsafe {
            assert_eq!(
                CStr::from_ptr(raw).to_bytes(),
                b"",
                "an interior NUL gives \"\""
            );
            string_free(raw);
        }
        assert_eq!(c_string_lossy("a\0b").as_bytes(), b"ab");
    }

    #[test]
    fn guard_reports_errors_and_panics() {
        let mut error: *mut wi_error = std::ptr::null_mut();
        let status = guard(
            &mut error,
            || Err(Error::invalid_argument("x is NULL")),
            || {},
        );
        assert_eq!(status, wi_status::WI_STATUS_INVALID_ARGUMENT);
        // SAFETY: `error` was handed out by `guard` and is freed once.
        unsafe {
            assert!(error_ref(error).is_some());
            error_free(error);
        }
        let mut cleaned = false;
        let status = guard(&mut error, || panic!("boom"), || cleaned = true);
        assert_eq!(status, wi_status::WI_STATUS_INTERNAL);
        assert!(cleaned && !error.is_null());
        // SAFETY: as above; NULL is ignored.
        unsafe {
            error_free(error);
            error_free(std::ptr::null_mut());
            assert!(error_ref(std::ptr::null()).is_none());
        }
        assert_eq!(
            guard(std::ptr::null_mut(), || Ok(()), || {}),
            wi_status::WI_STATUS_OK
        );
        assert_eq!(guard_infallible(5, || panic!("boom")), 5);
    }

    #[test]
    fn options_handle_round_trip() {
        let raw = options_into_raw(wi_options {
            builder: ConfigBuilder::new(),
        });
        // SAFETY: `raw` is live until the one `options_free`.
        unsafe {
            options_mut(raw)
                .unwrap()
                .builder
                .set("client_id", "miri")
                .unwrap();
            assert!(options_ref(raw).is_some());
            assert!(options_ref(std::ptr::null()).is_none());
            assert!(options_mut(std::ptr::null_mut()).is_err());
            options_free(raw);
            options_free(std::ptr::null_mut());
        }
    }

    #[test]
    fn client_handle_round_trip() {
        let mut builder = ConfigBuilder::new();
        for (key, value) in [
            ("client_id", "miri"),
            ("client_secret", "s"),
            ("token_endpoint", "http://127.0.0.1:9/t"),
            ("access_token_endpoint", "http://127.0.0.1:9/a"),
        ] {
            builder.set(key, value).unwrap();
        }
        let client = crate::Client::new(builder.build_with_env(|_| None).unwrap()).unwrap();
        let raw = client_into_raw(wi_client { client });
        // SAFETY: `raw` is live until the one `client_free`.
        unsafe {
            assert_eq!(
                client_ref(raw).unwrap().client.config().client_id(),
                Some("miri")
            );
            assert!(client_ref(std::ptr::null()).is_err());
            client_free(raw);
            client_free(std::ptr::null_mut());
        }
    }
}
