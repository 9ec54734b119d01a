//! Fuzz the lexer and parser: any bytes parse without panicking, every
//! error span lies inside the input, and printing the tree and parsing it
//! again gives the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ngxray::syntax::{parse, print::print, FileId};

fuzz_target!(|data: &[u8]| {
    let f = parse(data, FileId(0));
    for e in &f.errors {
        assert!(e.span.start <= data.len() && e.span.end <= data.len());
    }
    if f.errors.is_empty() {
        let printed = print(&f.root, false);
        let g = parse(printed.as_bytes(), FileId(0));
        assert!(g.errors.is_empty());
        assert_eq!(print(&g.root, false), printed);
    }
});
