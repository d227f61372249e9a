//! Strings the library hands to C, and the one function that frees them.

use std::ffi::c_char;

use crate::ffi::boundary::{guard_infallible, string_free};

/// Frees a string returned by this library (a token, credential or JSON
/// document), overwriting its bytes first.
///
/// NULL is allowed and ignored. Must not be called twice with the same value,
/// and never with memory from elsewhere (nor may these strings go to `free`).
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wi_free_string(s: *mut c_char) {
    guard_infallible((), || string_free(s))
}
