//! The skill environment agent directory's config.json (and the matching of its
//! skills), and the identity ticket file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| workload_identity::fuzzing::skill_env_config(data));
