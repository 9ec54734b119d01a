//! Fuzz the lexer and parser: any bytes parse without panicking, every
//! error span lies inside the input, and printing the tree (bytes kept) and
//! parsing it again gives the same tree. Body: `ngxray::fuzzing::parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ngxray::fuzzing::parse(data));
