//! Fuzz the whole lint pipeline (parse, grammar, model, rules, reporters) on
//! one in-memory file: no input may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ngxray::lint::{lint_loaded, LintOptions};
use ngxray::load::{LoadOptions, Loaded};

fuzz_target!(|data: &[u8]| {
    let mut loaded = Loaded::default();
    loaded.load_text("fuzz.conf".into(), data.to_vec(), &LoadOptions::default());
    let out = lint_loaded(loaded, &LintOptions::default());
    let _ = ngxray::report::text::render(&out.diagnostics, &out.loaded.sources, false);
    let _ = ngxray::report::concise::render(&out.diagnostics, &out.loaded.sources);
});
