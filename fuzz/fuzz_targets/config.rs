//! Fuzz `.ngxray.toml`: parsing, validation of rule options, and a lint
//! driven by the settings. Body: `ngxray::fuzzing::config`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ngxray::fuzzing::config(data));
