//! Baselines: adopt the linter on an existing fleet without fixing
//! everything first. `--write-baseline FILE` records today's findings;
//! `--baseline FILE` then reports only findings that are not in it.
//!
//! A finding is recorded by a fingerprint that survives line moves and
//! edits elsewhere in the file: the rule id, the file's path relative to the
//! baseline file's folder, the normalized text of the directive the finding
//! is on (name and arguments, whitespace and comments ignored), the path of
//! block directives around it (`http > server > location /api`) and its
//! occurrence index among findings that share all of these. The hash is
//! FNV-1a (64 bits): stable across releases and platforms, as a stored
//! baseline requires.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::config::absolute;
use crate::diag::Diagnostic;
use crate::load::Loaded;
use crate::syntax::{Block, Directive, Span};

/// The baseline file format version.
pub const VERSION: u32 = 1;

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

/// One recorded finding. `line` and `message` are for the reader of the
/// file; only `rule`, `file` and `fingerprint` are compared.
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

/// 64-bit FNV-1a of the parts, each followed by a NUL byte.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in p.as_bytes().iter().chain(&[0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// `name arg…` of a directive, whitespace and quoting normalized.
fn head(d: &Directive) -> String {
    let mut s = d.name().to_string();
    for a in &d.args {
        s.push(' ');
        s.push_str(a.as_str());
    }
    s
}

/// The innermost directive holding `span`, and the heads of the block
/// directives around it (outermost first).
fn locate(root: &Block, span: Span) -> (Option<&Directive>, Vec<String>) {
    let mut path = Vec::new();
    let mut block = root;
    let mut found = None;
    'descend: loop {
        for d in &block.directives {
            if d.span.start() <= span.start() && span.end() <= d.span.end() {
                if let Some(inner) = d.block.as_deref() {
                    let inside = inner
                        .directives
                        .iter()
                        .any(|c| c.span.start() <= span.start() && span.end() <= c.span.end());
                    if inside {
                        path.push(head(d));
                        block = inner;
                        continue 'descend;
                    }
                }
                found = Some(d);
                break 'descend;
            }
        }
        break;
    }
    (found, path)
}

/// A file's path as recorded: relative to `base` when under it, with `/`.
pub fn relative_path(path: &Path, base: &Path) -> String {
    let abs = absolute(path);
    let shown = abs.strip_prefix(base).map(Path::to_path_buf).unwrap_or(abs);
    shown
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The fingerprint and recorded path of each diagnostic (same order).
pub fn fingerprints(diags: &[Diagnostic], loaded: &Loaded, base: &Path) -> Vec<(String, String)> {
    let mut seen: HashMap<u64, usize> = HashMap::new();
    diags
        .iter()
        .map(|d| {
            let (file, directive, context) = match d.span {
                Some(span) if (span.file.0 as usize) < loaded.files.len() => {
                    let src = loaded.sources.get(span.file);
                    let file = relative_path(&src.path, base);
                    let (dir, ctx) = locate(&loaded.file(span.file).root, span);
                    let text = match dir {
                        Some(dir) => head(dir),
                        None => {
                            let raw = src.text.get(span.start()..span.end()).unwrap_or_default();
                            String::from_utf8_lossy(raw)
                                .split_whitespace()
                                .collect::<Vec<_>>()
                                .join(" ")
                        }
                    };
                    (file, text, ctx.join(" > "))
                }
                _ => (String::new(), d.message.clone(), String::new()),
            };
            let key = fnv1a(&[d.rule, &file, &directive, &context]);
            let n = seen.entry(key).or_insert(0);
            let index = n.to_string();
            *n += 1;
            let fp = fnv1a(&[d.rule, &file, &directive, &context, &index]);
            (format!("{fp:016x}"), file)
        })
        .collect()
}

/// The folder baseline paths are relative to.
pub fn base_of(baseline: &Path) -> PathBuf {
    absolute(baseline)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Record `diags` as a baseline (entries sorted by file, rule, line).
pub fn build(diags: &[Diagnostic], loaded: &Loaded, baseline_path: &Path) -> Baseline {
    let base = base_of(baseline_path);
    let mut findings: Vec<Entry> = diags
        .iter()
        .zip(fingerprints(diags, loaded, &base))
        .map(|(d, (fingerprint, file))| Entry {
            rule: d.rule.to_string(),
            file,
            fingerprint,
            line: d
                .span
                .filter(|s| (s.file.0 as usize) < loaded.files.len())
                .map(|s| loaded.sources.get(s.file).position(s.start()).line),
            message: d.message.clone(),
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
    std::fs::write(path, text).map_err(|source| BaselineError::Write {
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
    let b: Baseline = serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    if b.version != VERSION {
        return Err(BaselineError::Invalid {
            path: path.display().to_string(),
            message: format!(
                "version {} (this ngxray reads version {VERSION})",
                b.version
            ),
        });
    }
    Ok(b)
}

/// Drop the findings the baseline records; returns how many were dropped.
pub fn filter(
    diags: &mut Vec<Diagnostic>,
    loaded: &Loaded,
    baseline: &Baseline,
    baseline_path: &Path,
) -> usize {
    let known: HashSet<(&str, &str, &str)> = baseline
        .findings
        .iter()
        .map(|e| (e.rule.as_str(), e.file.as_str(), e.fingerprint.as_str()))
        .collect();
    let fps = fingerprints(diags, loaded, &base_of(baseline_path));
    let before = diags.len();
    let mut i = 0;
    diags.retain(|d| {
        let (fp, file) = &fps[i];
        i += 1;
        !known.contains(&(d.rule, file.as_str(), fp.as_str()))
    });
    before - diags.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable() {
        // Stored baselines depend on these exact values.
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&["a"]), fnv1a(&["a"]));
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
        assert_eq!(format!("{:016x}", fnv1a(&["x"])), "08f0d807b58d20e5");
    }
}
