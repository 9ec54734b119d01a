//! Rule fixtures and docs: every registered rule has a doc page with the
//! required sections, a fixture that fires (its rendered output is a
//! snapshot) and one that must not fire.

use std::path::{Path, PathBuf};

use ngxray::lint::{config, lint_loaded, rules, LintOptions, NginxVersion};
use ngxray::load::{LoadOptions, Loaded};
use ngxray::model::Context;

use crate::util::repo;

const SECTIONS: &[&str] = &[
    "## What it finds",
    "## Why it causes 502 or 504",
    "## Example",
    "## Use instead",
    "## When to ignore it",
    "## Options",
    "## References",
];

fn fixture_dir(id: &str) -> PathBuf {
    repo().join("testdata/rules").join(id)
}

/// Options from `# ngxray-test: …` header lines and an optional `.toml`
/// sidecar (`fire.toml` / `ok.toml`).
fn options_for(conf: &Path, text: &str) -> LintOptions {
    // A fixture is the whole configuration of its case.
    let mut o = LintOptions {
        complete: true,
        ..Default::default()
    };
    for line in text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# ngxray-test:"))
    {
        for tok in line.split_whitespace() {
            match tok.split_once('=') {
                Some(("nginx-version", v)) => {
                    o.nginx_version = NginxVersion::parse(v).expect("fixture nginx-version");
                    o.version_known = true;
                }
                Some(("context", v)) => {
                    o.context = Some(Context::parse(v).expect("fixture context"))
                }
                None if tok == "resolve" => o.resolve = true,
                None if tok == "plus" => {
                    o.plus = true;
                    o.flavor_known = true;
                }
                _ => panic!("{}: unknown ngxray-test option {tok}", conf.display()),
            }
        }
    }
    let toml = conf.with_extension("toml");
    if toml.exists() {
        let c = config::load(&toml).unwrap_or_else(|e| panic!("{e}"));
        o.settings = c.settings;
    }
    o
}

/// Lint one fixture (named by its repository-relative path, so snapshots
/// are stable) and return the rendered diagnostics of `id` and their count.
fn run(id: &str, which: &str) -> (usize, String) {
    let rel = format!("testdata/rules/{id}/{which}.conf");
    let path = repo().join(&rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let opts = options_for(&path, &text);
    let mut loaded = Loaded::default();
    loaded.load_text(
        PathBuf::from(&rel),
        text.into_bytes(),
        &LoadOptions {
            follow_includes: true,
            prefix: Some(repo().join(format!("testdata/rules/{id}"))),
            ..Default::default()
        },
    );
    let outcome = lint_loaded(loaded, &opts);
    let mine: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.rule == id)
        .cloned()
        .collect();
    let rendered = ngxray::report::text::render(&mine, &outcome.loaded.sources, false);
    (mine.len(), rendered)
}

#[test]
fn every_rule_has_doc_and_fixtures() {
    let mut missing = Vec::new();
    for r in rules::RULES {
        let doc = repo().join(r.doc_path());
        match std::fs::read_to_string(&doc) {
            Ok(text) => {
                if Some(text.as_str()) != r.doc {
                    missing.push(format!("{}: RuleMeta.doc is not {}", r.id, r.doc_path()));
                }
                if !text.starts_with(&format!("# {}\n", r.id)) {
                    missing.push(format!("{}: doc must start with `# {}`", r.id, r.id));
                }
                for s in SECTIONS {
                    if !text.contains(s) {
                        missing.push(format!("{}: doc lacks `{s}`", r.id));
                    }
                }
                if r.category() != "suppress" && !text.contains("\n```\n") {
                    missing.push(format!("{}: doc lacks the error.log line block", r.id));
                }
            }
            Err(_) => missing.push(format!("{}: no doc at {}", r.id, r.doc_path())),
        }
        for f in ["fire.conf", "ok.conf"] {
            if !fixture_dir(r.id).join(f).is_file() {
                missing.push(format!("{}: no testdata/rules/{}/{f}", r.id, r.id));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn fire_fixtures_fire() {
    let mut failures = Vec::new();
    for r in rules::RULES {
        if !fixture_dir(r.id).join("fire.conf").is_file() {
            continue;
        }
        let (n, rendered) = run(r.id, "fire");
        if n == 0 {
            failures.push(format!("{}: fire.conf reported nothing", r.id));
            continue;
        }
        insta::assert_snapshot!(format!("rule__{}", r.id.replace('/', "__")), rendered);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ok_fixtures_stay_quiet() {
    let mut failures = Vec::new();
    for r in rules::RULES {
        // `ok.conf` and every `ok-CASE.conf` (one must-not-fire edge case each)
        let mut cases: Vec<String> = std::fs::read_dir(fixture_dir(r.id))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n == "ok.conf" || (n.starts_with("ok-") && n.ends_with(".conf")))
            .collect();
        cases.sort();
        for case in cases {
            let stem = case.trim_end_matches(".conf");
            let (n, rendered) = run(r.id, stem);
            if n != 0 {
                failures.push(format!("{}: {case} reported {n}:\n{rendered}", r.id));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
