//! Skill environment endpoint answers (status 200).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| workload_identity::fuzzing::skill_env_response(data));
