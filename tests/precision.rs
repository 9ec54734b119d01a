//! Precision on real configurations: lints every root of
//! `../shared/corpus/wild` through its main file (in its own folder, as a
//! user would) and every file of `corpus/configs` and `corpus/odd`, and
//! snapshots the per-rule counts of warnings and errors and how many files
//! fail. Any change in noise (or recall) shows up in review as a snapshot
//! diff; `docs/precision.md` holds the verdict on each finding.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::{corpus, ngxray_in};

#[derive(Default)]
struct Tally {
    files: usize,
    failing: usize,
    /// (rule, severity) → (findings, files)
    rules: BTreeMap<(String, String), (usize, usize)>,
}

impl Tally {
    fn add(&mut self, dir: &Path, file: &str) {
        let out = ngxray_in(dir, &["lint", "--format", "json", file]);
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "{}/{file}: exit {code:?}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("lint json");
        self.files += 1;
        if code == Some(1) {
            self.failing += 1;
        }
        let mut seen = std::collections::BTreeSet::new();
        for d in doc["diagnostics"].as_array().into_iter().flatten() {
            let sev = d["severity"].as_str().unwrap_or_default().to_string();
            if sev == "info" {
                continue;
            }
            let key = (d["rule"].as_str().unwrap_or_default().to_string(), sev);
            self.rules.entry(key.clone()).or_default().0 += 1;
            seen.insert(key);
        }
        for k in seen {
            self.rules.entry(k).or_default().1 += 1;
        }
    }

    fn render(&self, name: &str) -> String {
        let mut s = format!("## {name}: {} files, {} exit 1\n", self.files, self.failing);
        for ((rule, sev), (n, f)) in &self.rules {
            s.push_str(&format!("{sev:7} {rule}: {n} in {f} files\n"));
        }
        s
    }
}

#[test]
fn warnings_and_errors_on_real_configs() {
    let Some(corpus) = corpus("warnings_and_errors_on_real_configs") else {
        return;
    };
    let mut report = String::new();
    let wild = corpus.join("wild");
    let sources = std::fs::read_to_string(wild.join("SOURCES.tsv")).expect("wild/SOURCES.tsv");
    let mut by_kind: BTreeMap<String, Tally> = BTreeMap::new();
    for line in sources.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [tree, _, _, _, main, kind, ..] = cols.as_slice() else {
            panic!("bad SOURCES.tsv line: {line}");
        };
        let kind = if kind.starts_with("fragment") {
            "fragment"
        } else {
            kind
        };
        by_kind
            .entry(kind.to_string())
            .or_default()
            .add(&wild.join(tree), main);
    }
    for (kind, t) in &by_kind {
        report.push_str(&t.render(&format!("wild {kind}")));
    }
    for set in ["configs", "odd"] {
        let dir = corpus.join(set);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("corpus dir")
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut t = Tally::default();
        for n in &names {
            t.add(&dir, n);
        }
        report.push_str(&t.render(set));
    }
    insta::assert_snapshot!("precision", report);
}
