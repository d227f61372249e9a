//! Entry points for the fuzz targets in `fuzz/` and for the corpus replay that
//! runs in the regular test suite. Not part of the supported API.

use std::ffi::CString;

use crate::error::Operation;
use crate::ffi::client::{wi_client_free, wi_client_new, wi_invalidate_token};
use crate::ffi::error::{wi_error_free, wi_error_message, wi_error_status};
use crate::ffi::options::{wi_options_free, wi_options_new, wi_options_set};
use crate::protocol;

/// Parses `data` as a token response under a few statuses.
pub fn token_response(data: &[u8]) {
    for status in [200, 400, 503] {
        let _ = protocol::parse_token_response(status, data, Operation::AccessToken);
    }
}

/// Parses `data` as integration-credential and env-var responses.
pub fn outbound_response(data: &[u8]) {
    for status in [200, 401, 500] {
        let _ = protocol::parse_integration_response(status, data);
        let _ = protocol::parse_env_vars_response(status, data);
    }
}

/// Splits `data` at NUL bytes into (key, value) pairs for `ConfigBuilder::set`,
/// then builds without the environment.
pub fn options(data: &[u8]) {
    let mut builder = crate::ConfigBuilder::new();
    let parts: Vec<String> = data
        .split(|byte| *byte == 0)
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect();
    for pair in parts.chunks(2) {
        if let [key, value] = pair {
            let _ = builder.set(key, value);
        }
    }
    let _ = builder.build_with_env(|_| None);
}

/// Feeds arbitrary bytes (split at NUL, so invalid UTF-8 included) to the C
/// entry points that need no network: options, client creation, invalidation,
/// and the error accessors.
pub fn c_entry_points(data: &[u8]) {
    let parts: Vec<CString> = data
        .split(|byte| *byte == 0)
        .map(|part| CString::new(part).expect("split at NUL"))
        .collect();
    // SAFETY: every pointer passed is NULL or valid for the call; every handle
    // returned is freed once.
    unsafe {
        let options = wi_options_new();
        for pair in parts.chunks(2) {
            let value = pair.get(1).map_or(std::ptr::null(), |value| value.as_ptr());
            let mut error = std::ptr::null_mut();
            if wi_options_set(options, pair[0].as_ptr(), value, &mut error)
                != crate::ffi::error::wi_status::WI_STATUS_OK
            {
                assert!(!wi_error_message(error).is_null());
                let _ = wi_error_status(error);
            }
            wi_error_free(error);
        }
        let mut client = std::ptr::null_mut();
        let mut error = std::ptr::null_mut();
        wi_client_new(options, &mut client, &mut error);
        wi_error_free(error);
        if let Some(token) = parts.first() {
            wi_invalidate_token(client, token.as_ptr(), std::ptr::null_mut());
        }
        wi_client_free(client);
        wi_options_free(options);
    }
}

/// A fuzz target: takes arbitrary bytes, must never panic.
pub type Target = fn(&[u8]);

/// The fuzz targets, by corpus directory name.
pub const TARGETS: [(&str, Target); 4] = [
    ("token_response", token_response),
    ("outbound_response", outbound_response),
    ("options", options),
    ("c_entry_points", c_entry_points),
];

#[cfg(test)]
mod tests {
    /// Replays the committed fuzz corpus, so regressions are caught without a fuzzer.
    #[test]
    fn corpus_replay() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        let mut replayed = 0;
        for (name, target) in super::TARGETS {
            let Ok(entries) = std::fs::read_dir(root.join(name)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                target(&std::fs::read(&path).unwrap());
                replayed += 1;
            }
        }
        println!("replayed {replayed} corpus inputs");
    }
}
