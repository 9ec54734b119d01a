//! The registry: every rule id ngxray can report, in one list ([`ALL`]) —
//! syntax and include checks found while loading, grammar validation, the
//! 502/504 rules over the model, and inline-suppression checks. `ngxray
//! rules`, `explain`, SARIF's `tool.driver.rules`, shell completions,
//! `.ngxray.toml` and the docs tests read it; the order here is the order
//! of `ngxray rules` and of SARIF's rule list.
//!
//! Adding a rule over the model is one line: its module name in its
//! category's [`rules!`](crate::rules) list (`rules/<category>/mod.rs`;
//! the file declares the rule with [`rule!`]). A rule file left out of that
//! list is not compiled, and `tests/rules.rs` fails on it.

use super::rule::{Check, Rule, RuleMeta};
use super::rules::*;
use crate::rule;
use std::sync::LazyLock;

/// The checks built into loading and grammar validation, registered here
/// because no rule file declares them.
const BUILTIN: &[Rule] = &[
    // Loading: syntax errors (`syntax`) and includes (`load`).
    rule! {
        id: "syntax/unexpected-brace",
        severity: Error,
        summary: "a `{` or `}` where no statement can take it",
    },
    rule! {
        id: "syntax/unexpected-character",
        severity: Error,
        summary: "a character right after a closing quote",
    },
    rule! {
        id: "syntax/unexpected-eof",
        severity: Error,
        summary: "a block still open at end of file",
    },
    rule! {
        id: "syntax/unterminated-directive",
        severity: Error,
        summary: "a directive without its `;` (cut by `}` or end of file)",
    },
    rule! {
        id: "syntax/empty-statement",
        severity: Error,
        summary: "a `;` with no directive before it",
    },
    rule! {
        id: "syntax/token-too-long",
        severity: Error,
        summary: "a single word of 4096 bytes or more",
    },
    rule! {
        id: "syntax/unterminated-lua-block",
        severity: Error,
        summary: "a `*_by_lua_block` body that never closes",
    },
    rule! {
        id: "syntax/template",
        severity: Info,
        summary: "a template (`{% %}`, `{{ }}`, `<% %>`, `${VAR}`, …) that needs rendering before nginx can load it",
    },
    rule! {
        id: "include/not-found",
        severity: Error,
        summary: "an `include` of a file that does not exist",
    },
    rule! {
        id: "include/incomplete-config",
        severity: Info,
        summary: "checks for missing directives skipped: a fragment linted alone, or an include that could not be read",
    },
    rule! {
        id: "include/cycle",
        severity: Error,
        summary: "files that include each other",
    },
    rule! {
        id: "io/unreadable",
        severity: Error,
        summary: "an input that could not be read (missing, no permission, an empty directory or standard input); the run exits 2",
    },
    // Grammar validation (`lint::grammar`, `lint::variables`): `nginx -t` parity.
    rule! {
        id: "grammar/unknown-directive",
        severity: Error,
        summary: "a directive name nginx does not know (typo, or a module that is not loaded)",
    },
    rule! {
        id: "grammar/not-allowed-here",
        severity: Error,
        summary: "a directive in a context nginx does not allow it in",
    },
    rule! {
        id: "grammar/invalid-argument-count",
        severity: Error,
        summary: "a directive with a number of arguments nginx rejects",
    },
    rule! {
        id: "grammar/invalid-terminator",
        severity: Error,
        summary: "a block directive ended by `;`, or a simple directive opening a block",
    },
    rule! {
        id: "grammar/invalid-flag-value",
        severity: Error,
        summary: "an on/off directive with another value",
    },
    rule! {
        id: "grammar/invalid-value",
        severity: Error,
        summary: "a size, time, number, keyword or parameter nginx rejects at load",
    },
    rule! {
        id: "grammar/duplicate-directive",
        severity: Error,
        summary: "a directive nginx allows once per block, given twice",
    },
    rule! {
        id: "grammar/unavailable-in-version",
        severity: Error,
        summary: "a directive or parameter the target nginx version or flavor lacks",
    },
    rule! {
        id: "grammar/third-party-directive",
        severity: Info,
        summary: "a directive of a third-party module: nginx needs that module",
    },
    rule! {
        id: "grammar/missing-events",
        severity: Error,
        summary: "a main configuration without an `events` block",
    },
    rule! {
        id: "grammar/empty-upstream",
        severity: Error,
        summary: "an `upstream` block without any `server`",
    },
    rule! {
        id: "grammar/unknown-log-format",
        severity: Error,
        summary: "an `access_log` naming a `log_format` that is not defined before it",
    },
    rule! {
        id: "grammar/undefined-zone",
        severity: Error,
        summary: "a `limit_req`/`limit_conn` or cache zone that nothing defines",
    },
    rule! {
        id: "grammar/ssl-without-certificate",
        severity: Error,
        summary: "a `listen ... ssl` server without `ssl_certificate`",
    },
    rule! {
        id: "grammar/duplicate-variable",
        severity: Error,
        summary: "a `map`/`geo`/`set` that redefines a built-in variable nginx does not let change",
    },
    rule! {
        id: "grammar/unknown-variable",
        severity: Error,
        summary: "a `$variable` nginx does not know, such as a bare prefix (`$arg`, `$http`)",
    },
];

/// Inline-suppression checks (`lint::suppress`).
const SUPPRESS: &[Rule] = &[
    rule! {
        id: "suppress/unknown-rule",
        severity: Warning,
        summary: "an `# ngxray: ignore[…]` names a rule id or category that does not exist",
    },
    rule! {
        id: "suppress/unused",
        severity: Info,
        summary: "an `# ngxray: ignore[…]` that suppressed nothing",
    },
];

/// Every registered rule, in the order `ngxray rules` lists them: the
/// built-in checks, each category's rules over the model (its `rules!`
/// list), then the suppression checks.
pub static ALL: LazyLock<Vec<&'static Rule>> = LazyLock::new(|| {
    let categories: &[&'static [Rule]] = &[
        dns::RULES,
        upstream::RULES,
        timeout::RULES,
        keepalive::RULES,
        buffer::RULES,
        tls::RULES,
        protocol::RULES,
        inherit::RULES,
        resources::RULES,
    ];
    BUILTIN
        .iter()
        .chain(categories.iter().copied().flatten())
        .chain(SUPPRESS)
        .collect()
});

/// The metadata of every registered id, in registry order.
pub fn all() -> Vec<&'static RuleMeta> {
    ALL.iter().map(|r| &r.meta).collect()
}

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static Rule> {
    ALL.iter().find(|r| r.meta.id == id).copied()
}

/// The rules over the model, in registry order.
pub fn model_rules() -> impl Iterator<Item = &'static Rule> {
    ALL.iter()
        .copied()
        .filter(|r| matches!(r.check, Check::Model { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_invariants() {
        for k in crate::syntax::SyntaxErrorKind::ALL {
            let r = find(k.rule_id()).expect("every syntax error kind is registered");
            assert!(matches!(r.check, Check::Builtin));
        }
        let mut ids: Vec<_> = ALL.iter().map(|r| r.meta.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(n, ids.len(), "duplicate rule ids");
        for r in all() {
            let (cat, name) = r.id.split_once('/').expect("category/name");
            assert!(!cat.is_empty() && !name.is_empty());
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.id
            );
            assert!(r.doc.starts_with(&format!("# {}\n", r.id)), "{}", r.id);
        }
    }

    #[test]
    fn the_ids_the_passes_report_are_registered() {
        use crate::lint::{grammar, variables};
        for id in grammar::IDS.iter().chain([&variables::UNKNOWN_VARIABLE]) {
            assert!(
                matches!(find(id).map(|r| r.check), Some(Check::Builtin)),
                "{id}"
            );
        }
        for id in [
            "suppress/unknown-rule",
            "suppress/unused",
            "syntax/template",
            "include/not-found",
            "include/incomplete-config",
            "include/cycle",
            "io/unreadable",
        ] {
            assert!(find(id).is_some(), "{id}");
        }
    }
}
