//! Routing the library's log lines to a C callback.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use crate::ffi::boundary::guard;
use crate::ffi::error::wi_status;
use crate::log::{set_log_sink, Level};

/// Severity of a log line (`uint32_t`).
pub type wi_log_level = u32;
/// Failures the caller sees.
pub const WI_LOG_ERROR: wi_log_level = 1;
/// Trouble worked around (e.g. a still-valid token served while refresh fails).
pub const WI_LOG_WARN: wi_log_level = 2;
/// Token refreshes.
pub const WI_LOG_INFO: wi_log_level = 3;
/// Every request and retry.
pub const WI_LOG_DEBUG: wi_log_level = 4;

/// A log callback: `message` is borrowed for the call only. It may be called
/// from any thread (including the library's background refresh thread), so it
/// must be thread-safe. Messages never contain a secret or a token.
pub type wi_log_callback = Option<
    unsafe extern "C" fn(level: wi_log_level, message: *const c_char, user_data: *mut c_void),
>;

/// The host's pointer, passed back untouched.
struct UserData(*mut c_void);
// SAFETY: the C contract makes the callback (and what it reads through
// `user_data`) thread-safe; the library never dereferences the pointer.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl UserData {
    /// A method, not a field access, so that closures capture the whole wrapper.
    fn pointer(&self) -> *mut c_void {
        self.0
    }
}

/// Sends log lines up to `max_level` (WI_LOG_ERROR..WI_LOG_DEBUG) to `callback`
/// instead of stderr, process-wide. `callback` NULL restores the default: stderr
/// at the level of the `WI_LOG` environment variable (off when unset).
///
/// An out-of-range `max_level` gives `WI_STATUS_INVALID_ARGUMENT`. Thread-safe;
/// `user_data` must stay valid until the callback is replaced.
#[no_mangle]
pub extern "C" fn wi_set_log_callback(
    callback: wi_log_callback,
    max_level: wi_log_level,
    user_data: *mut c_void,
) -> wi_status {
    guard(
        std::ptr::null_mut(),
        || {
            let level =
                match max_level {
                    WI_LOG_ERROR => Level::Error,
                    WI_LOG_WARN => Level::Warn,
                    WI_LOG_INFO => Level::Info,
                    WI_LOG_DEBUG => Level::Debug,
                    _ => return Err(crate::Error::invalid_argument(
                        "max_level must be WI_LOG_ERROR, WI_LOG_WARN, WI_LOG_INFO or WI_LOG_DEBUG",
                    )),
                };
            let sink = callback.map(|callback| {
                let user_data = UserData(user_data);
                Arc::new(move |level: Level, message: &str| {
                    let text = CString::new(message.replace('\0', "")).unwrap_or_default();
                    // SAFETY: a C function pointer given by the host for this purpose.
                    unsafe { callback(level as wi_log_level, text.as_ptr(), user_data.pointer()) }
                }) as crate::log::LogSink
            });
            set_log_sink(sink, level);
            Ok(())
        },
        || {},
    )
}
