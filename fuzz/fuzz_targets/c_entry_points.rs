//! The C entry points that need no network, with arbitrary bytes (invalid UTF-8 included).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| workload_identity::fuzzing::c_entry_points(data));
