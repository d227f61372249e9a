//! Option (key, value) pairs, split at NUL bytes, then a build without the environment.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| workload_identity::fuzzing::options(data));
