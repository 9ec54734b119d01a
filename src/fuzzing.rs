//! The bodies of the fuzz targets (`fuzz/fuzz_targets/*.rs`), here so that
//! a normal test compiles and runs them on stable Rust over a corpus of
//! seeds (`tests/fuzz_seeds.rs`): a target that no longer compiles, or a
//! seed that panics, fails the ordinary test suite, not only a nightly
//! fuzzing session. Each function panics exactly when an invariant breaks.

use std::path::Path;

use crate::lint::{lint_loaded, LintOptions};
use crate::load::{LoadOptions, Loaded};
use crate::syntax::{parse as parse_file, print::print_bytes, Block, FileId, Word};

/// Words of a tree in read order with their nesting, without recursion:
/// (depth, name or argument index, value, the bytes as written).
fn words<'a>(root: &'a Block, src: &'a [u8]) -> Vec<(usize, &'a str, &'a [u8])> {
    let mut out = Vec::new();
    let mut stack: Vec<(std::slice::Iter<'a, crate::syntax::Directive>, usize)> =
        vec![(root.directives.iter(), 0)];
    let raw = |w: &Word| src.get(w.span.start()..w.span.end()).unwrap_or_default();
    while let Some((it, depth)) = stack.last_mut() {
        let depth = *depth;
        let Some(d) = it.next() else {
            stack.pop();
            continue;
        };
        out.push((depth, d.name.value.as_str(), raw(&d.name)));
        for a in &d.args {
            out.push((depth, a.value.as_str(), raw(a)));
        }
        if let Some(b) = d.block() {
            stack.push((b.directives.iter(), depth + 1));
        }
    }
    out
}

/// Lexer and parser on any bytes: error spans inside the input; a file
/// without errors prints (bytes kept: invalid UTF-8 is not replaced) and
/// parses back to the same tree, and printing that is a fixed point.
pub fn parse(data: &[u8]) {
    let f = parse_file(data, FileId(0));
    for e in &f.errors {
        assert!(e.span.start() <= e.span.end() && e.span.end() <= data.len());
    }
    if !f.errors.is_empty() {
        return;
    }
    let printed = print_bytes(&f.root, data, true);
    let g = parse_file(&printed, FileId(0));
    assert!(g.errors.is_empty(), "printed tree does not parse");
    let a = words(&f.root, data);
    let b = words(&g.root, &printed);
    assert_eq!(a.len(), b.len(), "word count changed");
    for ((da, va, ra), (db, vb, rb)) in a.iter().zip(&b) {
        assert_eq!((da, va), (db, vb), "tree changed");
        if va.contains('\u{FFFD}') {
            // a word that was not UTF-8 is printed as written
            assert_eq!(ra, rb, "bytes of a non-UTF-8 word changed");
        }
    }
    assert_eq!(
        print_bytes(&g.root, &printed, true),
        printed,
        "not a fixed point"
    );
}

/// The whole lint pipeline (parse, grammar, model, rules, reporters) on one
/// in-memory file.
pub fn lint(data: &[u8]) {
    let mut loaded = Loaded::default();
    loaded.load_text("fuzz.conf".into(), data.to_vec(), &LoadOptions::default());
    let out = lint_loaded(loaded, &LintOptions::default());
    let sources = &out.loaded.sources;
    let _ = crate::report::text::render(&out.diagnostics, sources, false);
    let _ = crate::report::concise::render(&out.diagnostics, sources);
    let info = crate::report::RunInfo::new(None, &out.diagnostics, sources, &out.loaded.files);
    let _ = crate::report::github::render(&out.diagnostics, sources, &info);
    let summary = crate::report::json::Summary::of(&out.diagnostics, out.loaded.files.len());
    let mut sink = Vec::new();
    crate::report::json::write(&mut sink, &out.diagnostics, sources, &summary)
        .expect("json into memory");
    sink.clear();
    crate::report::sarif::write(&mut sink, &out.diagnostics, sources, &info)
        .expect("sarif into memory");
    sink.clear();
    crate::report::gitlab::write(&mut sink, &out.diagnostics, sources, &info)
        .expect("gitlab into memory");
    sink.clear();
    crate::report::rdjson::write(&mut sink, &out.diagnostics, sources, &info)
        .expect("rdjson into memory");
}

/// error.log analysis on any bytes: records, line parser, classifier,
/// aggregates, NDJSON events and the text and JSON reports.
pub fn logs(data: &[u8]) {
    use crate::logs::{aggregate::Aggregate, classify, line, ndjson, record};
    let mut agg = Aggregate::new(60);
    let mut classifier = classify::Classifier::new();
    let mut scratch = Vec::new();
    let mut events = Vec::new();
    let mut line_no = 1;
    let mut lines = 0;
    for (raw, n, mut parsed) in record::records(data) {
        let verdict = match &parsed {
            Some(l) => classifier.classify(l),
            None => match line::parse_bare(raw)
                .and_then(|l| classify::classify_bare(&l).map(|v| (l, v)))
            {
                Some((l, v)) => {
                    parsed = Some(l);
                    v
                }
                None => classify::unparsable(),
            },
        };
        if let Some(l) = &parsed {
            let _ = classify::hint(l);
            let mut req = Vec::new();
            line::normalize_request(l.fields.request.unwrap_or_default(), &mut req);
        }
        agg.add(0, line_no, raw, parsed.as_ref(), &verdict, &mut scratch);
        ndjson::write_record(
            &mut events,
            "fuzz.log",
            line_no,
            n,
            raw,
            parsed.as_ref(),
            &verdict,
        );
        line_no += n;
        lines += n;
    }
    agg.read_lines(0, lines);
    agg.finish_timelines(true);
    let outcome = crate::logs::Outcome {
        inputs: vec![crate::logs::InputInfo {
            name: "fuzz.log".into(),
            gzip: false,
            lines,
        }],
        aggregate: agg,
        warnings: Vec::new(),
        skipped: Vec::new(),
    };
    let _ = crate::logs::report_text::render(&outcome, false);
    let _ = crate::logs::report_text::render(&outcome, true);
    let _ = crate::logs::report_text::render_live(&outcome.aggregate, 5);
    let json = crate::logs::report_json::render(&outcome);
    serde_json::from_str::<serde_json::Value>(&json).expect("the JSON report is JSON");
    for l in events.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        serde_json::from_slice::<serde_json::Value>(l).expect("an NDJSON event is JSON");
    }
}

/// `.ngxray.toml` on any text: parsed and validated without panicking; a
/// file that loads drives a small lint with its settings.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = match crate::lint::config::parse(text, Path::new(".ngxray.toml")) {
        Ok(f) => f,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let opts = LintOptions {
        nginx_version: file.nginx_version.unwrap_or_default(),
        version_known: file.nginx_version.is_some(),
        plus: file.plus.unwrap_or(false),
        flavor_known: file.plus.is_some(),
        select: file.select.clone(),
        ignore: file.ignore.clone(),
        path_map: file.path_map.clone(),
        settings: file.settings.clone(),
        ..Default::default()
    };
    let mut loaded = Loaded::default();
    loaded.load_text(
        "nginx.conf".into(),
        b"events {}\nhttp {\n  upstream u { server 127.0.0.1:1; }\n  server {\n    listen 80;\n    location / { proxy_pass http://u; proxy_read_timeout 1s; }\n  }\n}\n".to_vec(),
        &LoadOptions::default(),
    );
    let out = lint_loaded(loaded, &opts);
    let _ = crate::lint::fails(&out.diagnostics, file.fail_on.flatten());
}
