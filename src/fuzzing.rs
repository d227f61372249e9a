//! Entry points for the fuzz targets in `fuzz/` and for the corpus replay that
//! runs in the regular test suite. Not part of the supported API.

use std::ffi::CString;
use std::path::Path;

use serde_json::Value;

use crate::error::Operation;
use crate::ffi::client::{wi_client_free, wi_client_new, wi_invalidate_token};
use crate::ffi::error::{wi_error_free, wi_error_message, wi_error_status};
use crate::ffi::options::{wi_options_free, wi_options_new, wi_options_set};
use crate::protocol;
use crate::skill_env;
use crate::store::EntryKey;

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

/// The issuer that the metadata documents of the `oauth_response` corpus are for.
const OAUTH_ISSUER: &str = "https://auth.example.com/tenant";

/// Parses `data` as each answer of the authorization server's other endpoints
/// (RFC 8414 metadata, RFC 7662 introspection, RFC 7009 revocation, RFC 7591
/// registration) under a few statuses.
pub fn oauth_response(data: &[u8]) {
    for status in [200, 201, 400, 401, 503] {
        for allow_insecure_http in [false, true] {
            let metadata =
                protocol::parse_server_metadata(status, data, OAUTH_ISSUER, allow_insecure_http);
            if let Ok(metadata) = metadata {
                assert_eq!(metadata.document.as_bytes(), data);
            }
        }
        if let Ok(answer) = protocol::parse_introspection_response(status, data) {
            let _ = answer.has_scopes("read write");
            assert!(answer.has_scopes(answer.scope.as_deref().unwrap_or_default()));
        }
        let _ = protocol::parse_revocation_response(status, data);
        let _ = protocol::parse_registration_response(status, data);
    }
}

/// Opens `data` as a token store file, then frames `data` as an entry's
/// content (the MAC made with the entry's key, so that the content is
/// decoded): what opens must seal and open again to the same tokens, and
/// never open under another identity's key.
pub fn store_entry(data: &[u8]) {
    let key = EntryKey::derive(&[b"https://api.example.com", b"client"], &[b"secret"]);
    let other = EntryKey::derive(&[b"https://api.example.com", b"client"], &[b"secret2"]);
    let _ = key.open(data);
    let framed = key.frame(data);
    assert!(other.open(&framed).is_none());
    if let Some(tokens) = key.open(&framed) {
        assert_eq!(key.open(&key.seal(&tokens)), Some(tokens));
    }
}

/// Reads `data` as a 200 answer of the skill environment endpoint: variables
/// come with their names sorted, an API error as one line.
pub fn skill_env_response(data: &[u8]) {
    match skill_env::parse_answer(data) {
        skill_env::Answer::Variables(variables) => {
            assert!(variables.windows(2).all(|pair| pair[0].0 < pair[1].0));
        }
        skill_env::Answer::ApiError(payload) => assert!(!payload.contains(['\n', '\r'])),
        skill_env::Answer::Unusable(_) => {}
    }
}

/// Reads `data` as the agent directory's `config.json` (then matches its
/// skills against a few source paths) and as the identity ticket file.
pub fn skill_env_config(data: &[u8]) {
    let parse = || serde_json::from_slice::<Value>(data).ok();
    if let Some(json) = parse() {
        let _ = skill_env::ticket_of(json);
    }
    let Some(Ok(config)) = parse().map(skill_env::config_of) else {
        return;
    };
    for source in [
        "/home/agent/.coze/agents/7001/skills/weather/run.py",
        "C:\\agents\\7001\\skills\\weather",
        "/",
        "",
    ] {
        if let Some(id) = skill_env::match_skill(&config.skills, Path::new(source)) {
            assert!(!id.is_empty());
        }
    }
}

/// A fuzz target: takes arbitrary bytes, must never panic.
pub type Target = fn(&[u8]);

/// The fuzz targets, by corpus directory name.
pub const TARGETS: [(&str, Target); 8] = [
    ("token_response", token_response),
    ("outbound_response", outbound_response),
    ("options", options),
    ("c_entry_points", c_entry_points),
    ("oauth_response", oauth_response),
    ("store_entry", store_entry),
    ("skill_env_response", skill_env_response),
    ("skill_env_config", skill_env_config),
];

#[cfg(test)]
mod tests {
    /// Replays the committed fuzz corpus, so regressions are caught without a
    /// fuzzer. Every target has a corpus, and every corpus a target.
    #[test]
    fn corpus_replay() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        for entry in std::fs::read_dir(&root).unwrap() {
            let name = entry.unwrap().file_name();
            assert!(
                super::TARGETS.iter().any(|(target, _)| name == *target),
                "fuzz/corpus/{} has no target in TARGETS",
                name.to_string_lossy()
            );
        }
        let mut replayed = 0;
        for (name, target) in super::TARGETS {
            let entries = std::fs::read_dir(root.join(name))
                .unwrap_or_else(|error| panic!("fuzz/corpus/{name}: {error}"));
            let mut inputs = 0;
            for entry in entries {
                let path = entry.unwrap().path();
                target(&std::fs::read(&path).unwrap());
                inputs += 1;
            }
            assert!(inputs > 0, "fuzz/corpus/{name} is empty");
            replayed += inputs;
        }
        println!("replayed {replayed} corpus inputs");
    }
}
