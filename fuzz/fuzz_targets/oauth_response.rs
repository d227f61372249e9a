//! Authorization server answers (RFC 8414 metadata, RFC 7662 introspection,
//! RFC 7009 revocation, RFC 7591 registration) under statuses 200, 201, 400, 401, 503.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| workload_identity::fuzzing::oauth_response(data));
