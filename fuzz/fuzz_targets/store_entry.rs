//! Token store files: opened as they are, and framed with a valid MAC so that
//! the content is decoded.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| workload_identity::fuzzing::store_entry(data));
