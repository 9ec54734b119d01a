//! Per-stage cost of `ngxray logs` on the lines of
//! testdata/logs/sample.error.log (repeated to ~4 MB): parse only, parse +
//! classify, and parse + classify + aggregate, in bytes per second. The
//! end-to-end comparison with grep and zcat is bench/logs.sh; figures are in
//! docs/logs.md. Run: `cargo bench --bench logs`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use ngxray::logs::aggregate::Aggregate;
use ngxray::logs::{classify, line, reader};

fn input() -> Vec<u8> {
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/logs/sample.error.log"
    ))
    .unwrap_or_default();
    let mut data = Vec::with_capacity(4 << 20);
    while !sample.is_empty() && data.len() < 4 << 20 {
        data.extend_from_slice(&sample);
    }
    data
}

fn benches(c: &mut Criterion) {
    let data = input();
    let lines = reader::count_newlines(&data);
    let mut g = c.benchmark_group("logs");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);
    g.bench_function("split lines", |b| {
        b.iter(|| reader::lines(black_box(&data)).count())
    });
    g.bench_function("parse", |b| {
        b.iter(|| {
            reader::lines(black_box(&data))
                .filter(|l| line::parse(l).is_some())
                .count()
        })
    });
    g.bench_function("parse + classify", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for l in reader::lines(black_box(&data)) {
                if let Some(p) = line::parse(l) {
                    n += u64::from(classify::classify(&p).cause);
                }
            }
            n
        })
    });
    g.bench_function("parse + classify (memo, as in runs)", |b| {
        b.iter(|| {
            let mut memo = classify::Classifier::new();
            let mut n = 0u64;
            for l in reader::lines(black_box(&data)) {
                if let Some(p) = line::parse(l) {
                    n += u64::from(memo.classify(&p).cause);
                }
            }
            n
        })
    });
    g.bench_function("parse + classify + aggregate", |b| {
        b.iter(|| {
            let mut agg = Aggregate::new(60);
            let mut memo = classify::Classifier::new();
            let mut scratch = Vec::new();
            for (i, l) in reader::lines(black_box(&data)).enumerate() {
                let p = line::parse(l);
                let v = match &p {
                    Some(p) => memo.classify(p),
                    None => classify::unparsable(),
                };
                agg.add(0, i as u64 + 1, l, p.as_ref(), &v, &mut scratch);
            }
            agg.counted()
        })
    });
    g.finish();
    eprintln!("{} lines per iteration", lines);
}

criterion_group!(logs_benches, benches);
criterion_main!(logs_benches);
