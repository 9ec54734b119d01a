//! Fuzz the whole lint pipeline (parse, grammar, model, rules, reporters) on
//! one in-memory file: no input may panic. Body: `ngxray::fuzzing::lint`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ngxray::fuzzing::lint(data));
