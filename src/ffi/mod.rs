//! The C ABI (`include/workload_identity.h`): thin wrappers over the safe API.
//!
//! Every exported body runs inside the panic boundary of `boundary`, which also
//! holds every raw-pointer cast. One file per C handle. The safety requirements
//! of each `unsafe extern "C"` function are the C contract in its doc comment.
#![allow(non_camel_case_types, clippy::missing_safety_doc)]

mod boundary;
pub mod client;
pub mod egress;
pub mod error;
pub mod log;
pub mod oauth;
pub mod options;
pub mod skill_env;
pub mod stats;
pub mod strings;

/// The library version, e.g. "0.1.0" (the same as `Cargo.toml` and the
/// `WI_VERSION_*` macros).
///
/// Returns a static NUL-terminated string: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn wi_version() -> *const std::os::raw::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
