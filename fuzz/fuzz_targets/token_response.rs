//! Token endpoint responses under statuses 200, 400 and 503.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| workload_identity::fuzzing::token_response(data));
