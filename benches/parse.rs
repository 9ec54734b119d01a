//! Parse and lint throughput on a generated 5,000-server configuration
//! (`bench/gen_config.rs`, about 4.8 MB). Figures are recorded in
//! docs/benchmarks.md. Run: `cargo bench --bench parse`.

#[path = "../bench/gen_config.rs"]
mod gen_config;

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use ngxray::crossplane::{Options, Payload};
use ngxray::lint::{lint_loaded, lint_paths, LintOptions};
use ngxray::load::{LoadOptions, Loaded};
use ngxray::syntax::{parse, FileId};

const SERVERS: usize = 5000;

fn benches(c: &mut Criterion) {
    let text = gen_config::generate(SERVERS);
    let bytes = text.as_bytes().to_vec();
    let dir = std::env::temp_dir().join(format!("ngxray-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path: PathBuf = dir.join("nginx.conf");
    if let Err(e) = std::fs::write(&path, &bytes) {
        eprintln!("cannot write {}: {e}", path.display());
        return;
    }

    let mut g = c.benchmark_group("5000-servers");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(20);

    // The tree is freed outside the timed region: this is lex + parse.
    g.bench_function("syntax::parse (lex+parse)", |b| {
        b.iter_with_large_drop(|| parse(black_box(&bytes), FileId(0)))
    });

    g.bench_function("syntax::parse + drop", |b| {
        b.iter(|| {
            let parsed = parse(black_box(&bytes), FileId(0));
            black_box(parsed.root.directives.len())
        })
    });

    g.bench_function("crossplane format (single file, to sink)", |b| {
        let opts = Options {
            single: true,
            ..Options::default()
        };
        b.iter(|| {
            let payload = Payload::parse_bytes("nginx.conf", bytes.clone(), opts.clone());
            payload.write_json(std::io::sink()).map(|_| ())
        })
    });

    let lint_opts = LintOptions::default();
    g.bench_function("lint_loaded (parse + all checks)", |b| {
        b.iter(|| {
            let mut loaded = Loaded::default();
            let load_opts = LoadOptions {
                prefix: None,
                follow_includes: true,
                ..Default::default()
            };
            loaded.load_text(path.clone(), bytes.clone(), &load_opts);
            black_box(lint_loaded(loaded, &lint_opts).diagnostics.len())
        })
    });

    g.bench_function("lint_paths (read + parse + all checks)", |b| {
        b.iter(|| lint_paths(std::slice::from_ref(&path), &lint_opts).map(|o| o.diagnostics.len()))
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(parse_benches, benches);
criterion_main!(parse_benches);
