//! `lint --statistics`: how many findings of each rule, instead of the
//! findings (as ruff's `--statistics`): a table for people, a JSON array
//! with `--format json`. Sorted by count, most frequent first, then by
//! rule id.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::diag::{Diagnostic, Severity};

/// Findings of one rule at one severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub rule: &'static str,
    pub severity: Severity,
    pub count: usize,
    pub url: String,
}

pub fn counts(diags: &[Diagnostic]) -> Vec<Count> {
    let mut by: BTreeMap<(&'static str, Severity), usize> = BTreeMap::new();
    for d in diags {
        *by.entry((d.rule, d.severity)).or_insert(0) += 1;
    }
    let mut v: Vec<Count> = by
        .into_iter()
        .map(|((rule, severity), count)| Count {
            rule,
            severity,
            count,
            url: super::rule_url(rule).to_string(),
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(b.rule)));
    v
}

/// One line per rule: count (right-aligned), severity, rule id.
pub fn render_text(counts: &[Count]) -> String {
    let width = counts
        .iter()
        .map(|c| c.count.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for c in counts {
        let _ = writeln!(
            out,
            "{:>width$}  {:<7}  {}",
            c.count,
            c.severity.as_str(),
            c.rule
        );
    }
    out
}

/// The counts as a pretty-printed JSON array, with a final newline.
pub fn render_json(counts: &[Count]) -> String {
    let mut s = serde_json::to_string_pretty(counts).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_and_sorted() {
        let d = |r: &'static str, s: Severity| Diagnostic::new(r, s, "m");
        let diags = vec![
            d("b/x", Severity::Warning),
            d("a/y", Severity::Error),
            d("b/x", Severity::Warning),
            d("c/z", Severity::Info),
        ];
        assert_eq!(
            render_text(&counts(&diags)),
            "2  warning  b/x\n1  error    a/y\n1  info     c/z\n"
        );
    }
}
