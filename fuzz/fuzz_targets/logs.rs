//! Fuzz the error.log side: records, line parser, classifier, aggregates,
//! NDJSON events, text and JSON reports. Body: `ngxray::fuzzing::logs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ngxray::fuzzing::logs(data));
