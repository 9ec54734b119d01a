//! Rule fixtures and docs: every registered rule has a doc page with the
//! required sections, cases that fire (`testdata/rules/<id>/fire*.conf`,
//! each with its rendered output beside it in `fire*.snap`) and cases that
//! must not (`ok*.conf`). `NGXRAY_BLESS=1` rewrites the `.snap` files.

use std::path::{Path, PathBuf};

use ngxray::lint::registry::{self, ALL};
use ngxray::lint::rule::{Check, RuleMeta};
use ngxray::lint::{config, lint_loaded, LintOptions, NginxVersion};
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

/// Ids with fixtures: the rules over the model and the suppression checks.
fn with_fixtures() -> impl Iterator<Item = &'static RuleMeta> {
    ALL.iter()
        .filter(|r| matches!(r.check, Check::Model { .. }) || r.meta.category() == "suppress")
        .map(|r| &r.meta)
}

/// The fixture stems of an id starting with `prefix` (`fire`, `fire-CASE`).
fn cases(id: &str, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixture_dir(id))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".conf").map(str::to_string))
        .filter(|n| n == prefix || n.starts_with(&format!("{prefix}-")))
        .collect();
    v.sort();
    v
}

#[test]
fn every_rule_has_doc_and_fixtures() {
    let mut missing = Vec::new();
    for r in with_fixtures() {
        let doc = repo().join(r.doc_path());
        match std::fs::read_to_string(&doc) {
            Ok(text) => {
                if text != r.doc {
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

/// A rule file that declares an id with `rule!` but is not in the registry
/// never runs: registering it is the one line a new rule needs.
#[test]
fn every_rule_file_is_registered() {
    let mut unregistered = Vec::new();
    let rules = repo().join("src/lint/rules");
    for entry in walkdir::WalkDir::new(&rules).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let Some(at) = text.find("pub const RULE: Rule = rule! {") else {
            continue;
        };
        let id = text[at..]
            .split('"')
            .nth(1)
            .expect("rule! starts with its id");
        match registry::find(id) {
            Some(r) if matches!(r.check, Check::Model { .. }) => {}
            _ => unregistered.push(format!(
                "{}: {id} is not in lint::registry::ALL",
                entry.path().display()
            )),
        }
        let rel = entry
            .path()
            .strip_prefix(&rules)
            .unwrap()
            .to_string_lossy()
            .replace('_', "-");
        if rel.trim_end_matches(".rs") != id {
            unregistered.push(format!(
                "{}: the file of {id} must be src/lint/rules/{}.rs",
                rel,
                id.replace('-', "_")
            ));
        }
    }
    assert!(unregistered.is_empty(), "{}", unregistered.join("\n"));
}

/// Every `fire*.conf` reports the rule, and its rendered findings are the
/// `.snap` beside it (written when `NGXRAY_BLESS` is set or it is missing).
#[test]
fn fire_fixtures_fire() {
    let bless = std::env::var_os("NGXRAY_BLESS").is_some();
    let mut failures = Vec::new();
    for r in with_fixtures() {
        for case in cases(r.id, "fire") {
            let (n, rendered) = run(r.id, &case);
            if n == 0 {
                failures.push(format!("{}: {case}.conf reported nothing", r.id));
                continue;
            }
            let snap = fixture_dir(r.id).join(format!("{case}.snap"));
            let expected = std::fs::read_to_string(&snap).ok();
            let rendered = format!("{}\n", rendered.trim_end());
            if expected.as_deref() == Some(rendered.as_str()) {
                continue;
            }
            if bless || expected.is_none() {
                std::fs::write(&snap, &rendered).unwrap();
                if expected.is_none() && !bless {
                    failures.push(format!(
                        "{}: wrote new {case}.snap; review and commit it",
                        r.id
                    ));
                }
                continue;
            }
            failures.push(format!(
                "{}: {case}.conf no longer renders as {case}.snap (NGXRAY_BLESS=1 rewrites it)\n--- expected\n{}--- got\n{rendered}",
                r.id,
                expected.unwrap_or_default()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `ok.conf` and every `ok-CASE.conf` (one must-not-fire edge case each).
#[test]
fn ok_fixtures_stay_quiet() {
    let mut failures = Vec::new();
    for r in with_fixtures() {
        for case in cases(r.id, "ok") {
            let (n, rendered) = run(r.id, &case);
            if n != 0 {
                failures.push(format!("{}: {case}.conf reported {n}:\n{rendered}", r.id));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
