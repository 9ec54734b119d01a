//! What linting adds on top of parsing, on the generated 5,000-server
//! configuration (`bench/gen_config.rs`, shared with `benches/parse.rs`):
//! load + parse alone, the config model build alone, the 502/504 rules
//! over a built model, and the full `lint_loaded`. Targets: full lint at
//! most 3× parse; the model stays O(n). Run: `cargo bench --bench lint`.

#[allow(dead_code)]
#[path = "../bench/gen_config.rs"]
mod gen_config;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ngxray::lint::{lint_loaded, rules, LintOptions, LintOutcome, Root};
use ngxray::load::{LoadOptions, Loaded};
use ngxray::model::{Context, Model};

fn load(bytes: &[u8]) -> Loaded {
    let mut l = Loaded::default();
    l.load_text(
        "nginx.conf".into(),
        bytes.to_vec(),
        &LoadOptions {
            follow_includes: true,
            ..Default::default()
        },
    );
    l
}

fn bench(c: &mut Criterion) {
    let text = gen_config::generate(5000);
    let bytes = text.into_bytes();
    let opts = LintOptions::default();
    let mut g = c.benchmark_group("lint-5000-servers");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("load + parse", |b| b.iter(|| black_box(load(&bytes))));
    let loaded = load(&bytes);
    let root = loaded.roots[0];
    g.bench_function("model build", |b| {
        b.iter(|| {
            black_box(
                Model::build(&loaded, &[(root, Context::Main)])
                    .entries
                    .len(),
            )
        })
    });
    let outcome = LintOutcome {
        loaded,
        roots: vec![Root {
            file: root,
            context: Context::Main,
        }],
        diagnostics: Vec::new(),
    };
    g.bench_function("model + rules", |b| {
        b.iter(|| {
            let found = rules::check(&outcome, &opts, true);
            black_box(found.iter().map(Vec::len).sum::<usize>())
        })
    });
    g.bench_function("full lint (load + parse + grammar + rules)", |b| {
        b.iter(|| black_box(lint_loaded(load(&bytes), &opts).diagnostics.len()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
