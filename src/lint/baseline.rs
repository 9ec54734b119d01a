//! Baselines: adopt the linter on an existing fleet without fixing
//! everything first. `--write-baseline FILE` records today's findings;
//! `--baseline FILE` then reports only findings that are not in it.
//!
//! A finding is recorded by its fingerprint, the one SARIF carries as
//! `partialFingerprints` and GitLab as `fingerprint`
//! ([`crate::report::fingerprint`]): the rule id, the file's path relative
//! to the repository root, the normalized directive, the blocks around it
//! and an occurrence index. This module only stores and matches them; the
//! caller computes them once (`report::RunInfo`), so a baselined finding
//! and the same finding in a SARIF report carry the same value.
//!
//! Version 2 of the file. Version 1 (ngxray 0.1 before the fingerprints
//! were shared) hashed other parts with FNV-1a relative to the baseline
//! file's folder; such a file is refused with a message saying to record
//! it again, rather than matched wrongly.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::load::Loaded;

/// The baseline file format version.
pub const VERSION: u32 = 2;

/// A baseline file could not be read or written (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write baseline {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not an ngxray baseline: {message}")]
    Invalid { path: String, message: String },
}

/// One recorded finding. `file`, `line` and `message` are for the reader
/// of the file; `rule` and `fingerprint` are compared (the fingerprint
/// covers the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub rule: String,
    pub file: String,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// A baseline file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// The path a finding is recorded under: its file as `path` shows it, or
/// for a finding without a location (an unreadable input) its label.
fn file_of(d: &Diagnostic, loaded: &Loaded, path: &dyn Fn(&Path) -> String) -> String {
    match d.span.and_then(|s| loaded.sources.try_get(s.file)) {
        Some(f) => path(&f.path),
        None => d.label.as_deref().unwrap_or_default().to_string(),
    }
}

/// Record `diags` as a baseline (entries sorted by file, line, rule).
/// `fingerprints` are the findings' fingerprints in order
/// (`report::RunInfo::fingerprints`), `path` shows a file's path relative
/// to the repository root (`report::RunInfo::repo_path`).
pub fn build(
    diags: &[Diagnostic],
    loaded: &Loaded,
    fingerprints: &[String],
    path: &dyn Fn(&Path) -> String,
) -> Baseline {
    let mut findings: Vec<Entry> = diags
        .iter()
        .zip(fingerprints)
        .map(|(d, fingerprint)| Entry {
            rule: d.rule.to_string(),
            file: file_of(d, loaded, path),
            fingerprint: fingerprint.clone(),
            line: d
                .span
                .and_then(|s| Some(loaded.sources.try_get(s.file)?.position(s.start()).line)),
            message: d.message.to_string(),
        })
        .collect();
    findings.sort_by(|a, b| (&a.file, a.line, &a.rule).cmp(&(&b.file, b.line, &b.rule)));
    Baseline {
        version: VERSION,
        findings,
    }
}

/// Write a baseline file (pretty JSON, one finding per object).
pub fn write(baseline: &Baseline, path: &Path) -> Result<(), BaselineError> {
    let mut text = serde_json::to_string_pretty(baseline).map_err(|e| BaselineError::Write {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    text.push('\n');
    crate::fix::create_output(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .map_err(|source| BaselineError::Write {
            path: path.display().to_string(),
            source,
        })
}

/// Read a baseline file.
pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text).map_err(|message| BaselineError::Invalid {
        path: path.display().to_string(),
        message,
    })
}

/// A baseline file's text, checked.
fn parse(text: &str) -> Result<Baseline, String> {
    #[derive(Deserialize)]
    struct Head {
        version: u32,
    }
    // The version first: an old file is named as such, not as malformed.
    let head: Head = serde_json::from_str(text).map_err(|e| e.to_string())?;
    match head.version {
        VERSION => serde_json::from_str(text).map_err(|e| e.to_string()),
        1 => Err(
            "version 1, whose fingerprints this ngxray no longer computes (they are \
                  now the SARIF/GitLab ones); record it again with --write-baseline"
                .to_string(),
        ),
        v => Err(format!("version {v} (this ngxray reads version {VERSION})")),
    }
}

/// Drop the findings the baseline records, and their fingerprints
/// (`fingerprints` runs parallel to `diags`); returns how many were dropped.
pub fn filter(
    diags: &mut Vec<Diagnostic>,
    fingerprints: &mut Vec<String>,
    baseline: &Baseline,
) -> usize {
    let known: HashSet<(&str, &str)> = baseline
        .findings
        .iter()
        .map(|e| (e.rule.as_str(), e.fingerprint.as_str()))
        .collect();
    let keep: Vec<bool> = diags
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let fp = fingerprints.get(i).map_or("", String::as_str);
            !known.contains(&(d.rule, fp))
        })
        .collect();
    let before = diags.len();
    let mut it = keep.iter();
    diags.retain(|_| *it.next().unwrap_or(&true));
    let mut it = keep.iter();
    fingerprints.retain(|_| *it.next().unwrap_or(&true));
    before - diags.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let ok = parse("{\"version\": 2, \"findings\": []}").unwrap();
        assert!(ok.findings.is_empty());
        let v1 = parse("{\"version\": 1, \"findings\": [{\"rule\": \"a/b\", \"file\": \"x\", \"fingerprint\": \"08f0d807b58d20e5\"}]}")
            .unwrap_err();
        assert!(
            v1.contains("version 1") && v1.contains("--write-baseline"),
            "{v1}"
        );
        let v9 = parse("{\"version\": 9, \"findings\": []}").unwrap_err();
        assert!(v9.contains("reads version 2"), "{v9}");
        assert!(parse("{\"version\": 2}").is_err());
        assert!(parse("[]").is_err());
    }
}
