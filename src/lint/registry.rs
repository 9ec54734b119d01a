//! The registry of every rule id ngxray can report: syntax and include
//! checks, grammar checks and the 502/504 rules. `ngxray rules`, `explain`,
//! SARIF's `tool.driver.rules` and the docs tests read it.

use crate::diag::Severity;
use crate::syntax::SyntaxErrorKind;

/// Metadata of one rule id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMeta {
    /// `category/kebab-name`.
    pub id: &'static str,
    pub severity: Severity,
    /// One line: what it finds.
    pub summary: &'static str,
    /// The rule's markdown page (`docs/rules/<category>/<name>.md`), when it has one.
    pub doc: Option<&'static str>,
}

impl RuleMeta {
    pub fn category(&self) -> &'static str {
        self.id.split('/').next().unwrap_or(self.id)
    }

    /// Relative path of the rule's doc page.
    pub fn doc_path(&self) -> String {
        format!("docs/rules/{}.md", self.id)
    }
}

const fn syntax(id: &'static str, summary: &'static str, doc: &'static str) -> RuleMeta {
    RuleMeta {
        id,
        severity: Severity::Error,
        summary,
        doc: Some(doc),
    }
}

/// Syntax and include checks performed while loading.
pub const LOADING: &[RuleMeta] = &[
    syntax(
        "syntax/unexpected-brace",
        "a `{` or `}` where no statement can take it",
        include_str!("../../docs/rules/syntax/unexpected-brace.md"),
    ),
    syntax(
        "syntax/unexpected-character",
        "a character right after a closing quote",
        include_str!("../../docs/rules/syntax/unexpected-character.md"),
    ),
    syntax(
        "syntax/unexpected-eof",
        "a block still open at end of file",
        include_str!("../../docs/rules/syntax/unexpected-eof.md"),
    ),
    syntax(
        "syntax/unterminated-directive",
        "a directive without its `;` (cut by `}` or end of file)",
        include_str!("../../docs/rules/syntax/unterminated-directive.md"),
    ),
    syntax(
        "syntax/empty-statement",
        "a `;` with no directive before it",
        include_str!("../../docs/rules/syntax/empty-statement.md"),
    ),
    syntax(
        "syntax/token-too-long",
        "a single word of 4096 bytes or more",
        include_str!("../../docs/rules/syntax/token-too-long.md"),
    ),
    syntax(
        "syntax/unterminated-lua-block",
        "a `*_by_lua_block` body that never closes",
        include_str!("../../docs/rules/syntax/unterminated-lua-block.md"),
    ),
    RuleMeta {
        id: "syntax/template",
        severity: Severity::Info,
        summary: "a template (`{% %}`, `{{ }}`, `<% %>`, `${VAR}`, …) that needs rendering before nginx can load it",
        doc: Some(include_str!("../../docs/rules/syntax/template.md")),
    },
    syntax(
        "include/not-found",
        "an `include` of a file that does not exist",
        include_str!("../../docs/rules/include/not-found.md"),
    ),
    RuleMeta {
        id: "include/incomplete-config",
        severity: Severity::Info,
        summary: "checks for missing directives skipped: a fragment linted alone, or an include that could not be read",
        doc: Some(include_str!("../../docs/rules/include/incomplete-config.md")),
    },
    syntax(
        "include/cycle",
        "files that include each other",
        include_str!("../../docs/rules/include/cycle.md"),
    ),
    syntax(
        "io/unreadable",
        "an input that could not be read (missing, no permission, an empty directory or standard input); the run exits 2",
        include_str!("../../docs/rules/io/unreadable.md"),
    ),
];

/// Every registered rule: loading checks, grammar checks, then rules.
pub fn all() -> Vec<&'static RuleMeta> {
    let mut v: Vec<&'static RuleMeta> = LOADING.iter().collect();
    v.extend(super::grammar::RULES.iter());
    v.extend(super::variables::RULES.iter());
    v.extend(super::rules::RULES.iter());
    v
}

pub fn find(id: &str) -> Option<&'static RuleMeta> {
    all().into_iter().find(|r| r.id == id)
}

/// Every syntax error kind has a registry entry.
pub fn syntax_kinds_registered() -> bool {
    SyntaxErrorKind::ALL
        .iter()
        .all(|k| LOADING.iter().any(|r| r.id == k.rule_id()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_invariants() {
        assert!(super::syntax_kinds_registered());
        let all = super::all();
        let mut ids: Vec<_> = all.iter().map(|r| r.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(n, ids.len(), "duplicate rule ids");
        for r in all {
            let (cat, name) = r.id.split_once('/').expect("category/name");
            assert!(!cat.is_empty() && !name.is_empty());
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.id
            );
        }
    }
}
