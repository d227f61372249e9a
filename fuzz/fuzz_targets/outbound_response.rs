//! Integration-credential and env-var responses under statuses 200, 401 and 500.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| workload_identity::fuzzing::outbound_response(data));
