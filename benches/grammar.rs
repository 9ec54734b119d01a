//! Grammar validation cost against parse cost on the 5,000-server
//! benchmark configuration (`bench/gen_config.rs`); the target: validation
//! adds at most 20% to parsing. "Parse" is `Loaded::load_text` (lex, parse,
//! include loading); "grammar" is everything grammar validation runs
//! (`lint::grammar::check`, which includes `grammar/unknown-variable`).
//!
//! * `cargo bench --bench grammar`: criterion, `parse` vs `grammar`.
//! * `NGXRAY_GRAMMAR_ONCE=FILE target/release/deps/grammar-*`: load FILE
//!   and validate it once, for `valgrind --tool=callgrind` (instruction
//!   counts are stable where wall-clock times are not). The inclusive costs
//!   of `measured_parse` and `measured_grammar` are the two figures; the
//!   directive table and other lazily built data are built beforehand.
//! * `NGXRAY_GRAMMAR_INTERLEAVED=ROUNDS target/release/deps/grammar-*`:
//!   parse and validate in turns, each validation on the tree just parsed
//!   (as in a lint), and print the medians; on a noisy machine both are
//!   slowed alike. `SERVERS=N` changes the size.

#[path = "../bench/gen_config.rs"]
mod gen_config;

use std::hint::black_box;

use criterion::Criterion;
use ngxray::diag::Diagnostic;
use ngxray::lint::{grammar, LintOptions, LintOutcome, Root};
use ngxray::load::{LoadOptions, Loaded};
use ngxray::model::Context;

const SERVERS: usize = 5000;

/// Lex + parse + include loading.
#[inline(never)]
fn measured_parse(text: Vec<u8>) -> LintOutcome {
    load(text)
}

/// All of grammar validation.
#[inline(never)]
fn measured_grammar(outcome: &LintOutcome, opts: &LintOptions) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    grammar::check(outcome, opts, &mut out);
    out
}

/// Build the lazily initialised tables outside the measured functions.
fn warm_up(opts: &LintOptions) {
    let small = gen_config::generate(2);
    let outcome = load(small.into_bytes());
    let mut out = Vec::new();
    grammar::check(&outcome, opts, &mut out);
    black_box(out);
}

fn load(text: Vec<u8>) -> LintOutcome {
    let mut loaded = Loaded::default();
    let roots = loaded.load_text("nginx.conf".into(), text, &LoadOptions::default());
    LintOutcome {
        roots: roots
            .into_iter()
            .map(|file| Root {
                file,
                context: Context::Main,
            })
            .collect(),
        loaded,
        diagnostics: Vec::new(),
    }
}

fn once(path: &str) {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    let opts = LintOptions::default();
    warm_up(&opts);
    let outcome = measured_parse(text);
    let out = measured_grammar(&outcome, &opts);
    println!("{} diagnostics", out.len());
}

fn bench(c: &mut Criterion) {
    let text = gen_config::generate(SERVERS).into_bytes();
    let opts = LintOptions::default();
    warm_up(&opts);
    let mut g = c.benchmark_group("5000-servers");
    g.sample_size(20);
    g.bench_function("parse", |b| {
        b.iter_with_large_drop(|| measured_parse(black_box(text.clone())))
    });
    let outcome = measured_parse(text.clone());
    g.bench_function("grammar", |b| {
        b.iter(|| measured_grammar(black_box(&outcome), &opts))
    });
    g.finish();
}

/// Parse and validation in turns, each validation on the tree parsed just
/// before (as in a lint, where it is partly still in the caches), so that
/// a noisy machine slows both alike; prints medians, minimums and the
/// ratio of the medians. `SERVERS` sets the size (default 5,000).
fn interleaved(rounds: usize) {
    use std::time::{Duration, Instant};
    let text = gen_config::generate(
        std::env::var("SERVERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(SERVERS),
    )
    .into_bytes();
    let opts = LintOptions::default();
    warm_up(&opts);
    let mut times: [Vec<Duration>; 2] = Default::default();
    for _ in 0..rounds {
        // Validation runs on a tree parsed just before, as in a lint.
        let input = text.clone();
        let t = Instant::now();
        let outcome = measured_parse(black_box(input));
        times[0].push(t.elapsed());
        let t = Instant::now();
        black_box(measured_grammar(black_box(&outcome), &opts));
        times[1].push(t.elapsed());
    }
    let mut medians = [0.0f64; 2];
    for (k, name) in ["parse", "grammar"].iter().enumerate() {
        times[k].sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        medians[k] = ms(times[k][times[k].len() / 2]);
        println!(
            "{name:8} median {:8.3} ms   min {:8.3} ms",
            medians[k],
            ms(times[k][0])
        );
    }
    println!(
        "grammar / parse (medians): {:.1}%",
        medians[1] / medians[0] * 100.0
    );
}

fn main() {
    if let Ok(path) = std::env::var("NGXRAY_GRAMMAR_ONCE") {
        once(&path);
        return;
    }
    if let Ok(n) = std::env::var("NGXRAY_GRAMMAR_INTERLEAVED") {
        interleaved(n.parse().unwrap_or(100).max(1));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
