//! `grammar/unknown-variable`: references to variables nginx cannot know.
//!
//! nginx resolves `$name` at load time and refuses to start on an unknown
//! one (`unknown "NAME" variable`). A complete check would need every
//! variable of every module the build has (third-party modules add their
//! own), so this check is deliberately narrow and has no false positives
//! that way: it reports only the bare *prefix* names — `$arg`, `$http`,
//! `$cookie`, `$sent_http`, … — which nginx only knows with a suffix
//! (`$arg_page`, `$http_host`), unless the configuration defines the name
//! itself (`set`, `map`, `geo`, `split_clients`, `perl_set`, `js_set`,
//! `*_by_lua*`, regex named captures).

use std::collections::HashSet;

use super::registry::RuleMeta;
use super::LintOutcome;
use crate::diag::{Diagnostic, Severity};
use crate::model::walk;

pub const UNKNOWN_VARIABLE: &str = "grammar/unknown-variable";

pub const RULES: &[RuleMeta] = &[RuleMeta {
    id: UNKNOWN_VARIABLE,
    severity: Severity::Error,
    summary: "a `$variable` nginx does not know, such as a bare prefix (`$arg`, `$http`)",
    doc: Some(include_str!("../../docs/rules/grammar/unknown-variable.md")),
}];

/// Variable names nginx only knows as prefixes, with what they need.
const PREFIX_ONLY: &[(&str, &str)] = &[
    (
        "arg",
        "`$arg_NAME` (one query argument) or `$args` (the whole query string)",
    ),
    (
        "http",
        "`$http_NAME` (a request header, e.g. `$http_user_agent`)",
    ),
    ("cookie", "`$cookie_NAME` (one cookie)"),
    ("sent_http", "`$sent_http_NAME` (a response header)"),
    ("sent_trailer", "`$sent_trailer_NAME` (a response trailer)"),
    (
        "upstream_http",
        "`$upstream_http_NAME` (an upstream response header)",
    ),
    (
        "upstream_cookie",
        "`$upstream_cookie_NAME` (an upstream cookie)",
    ),
    (
        "upstream_trailer",
        "`$upstream_trailer_NAME` (an upstream trailer)",
    ),
];

/// Directives whose first (or, for `map`/`geo`/`split_clients`, last
/// head) argument defines a variable.
fn defined_by(d: &crate::syntax::Directive) -> Option<&str> {
    let name = d.name();
    let arg = match name {
        "set" | "perl_set" | "js_set" | "js_var" | "auth_request_set" | "set_by_lua"
        | "set_by_lua_file" | "set_by_lua_block" => d.arg(0),
        "map" | "split_clients" => d.arg(1),
        "geo" | "geoip2" => d.args.last().map(|w| w.value.as_str()),
        _ => None,
    }?;
    arg.strip_prefix('$')
}

/// Named captures `(?<name>…)`, `(?P<name>…)` and `(?'name'…)` in a word.
fn named_captures(s: &str, out: &mut HashSet<String>) {
    for pat in ["(?<", "(?P<", "(?'"] {
        let mut rest = s;
        while let Some(i) = rest.find(pat) {
            rest = &rest[i + pat.len()..];
            let n: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !n.is_empty() {
                out.insert(n);
            }
        }
    }
}

/// `$name` / `${name}` references in a word.
fn references(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if b[i] != b'$' {
                i += 1;
                continue;
            }
            let braced = b.get(i + 1) == Some(&b'{');
            let start = i + 1 + usize::from(braced);
            let mut end = start;
            while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                end += 1;
            }
            let at = i;
            i = end.max(i + 1);
            if end > start {
                return Some((at, &s[start..end]));
            }
        }
        None
    })
}

/// Report bare prefix variables that the configuration does not define.
pub fn check(outcome: &LintOutcome, out: &mut Vec<Diagnostic>) {
    let loaded = &outcome.loaded;
    let mut defined: HashSet<String> = HashSet::new();
    let mut uses = Vec::new();
    for root in &outcome.roots {
        walk(loaded, root.file, root.context, |v| {
            let d = v.directive;
            if let Some(n) = defined_by(d) {
                defined.insert(n.to_string());
            }
            // The first word is a directive name or, in `map`/`geo`
            // bodies, a literal key: only arguments can reference variables.
            for w in &d.args {
                if w.value.contains("(?") {
                    named_captures(&w.value, &mut defined);
                }
                if w.value.contains('$') {
                    for (_, name) in references(&w.value) {
                        if PREFIX_ONLY.iter().any(|(p, _)| *p == name) {
                            uses.push((w.span, name.to_string()));
                        }
                    }
                }
            }
            true
        });
    }
    let mut seen = HashSet::new();
    for (span, name) in uses {
        if defined.contains(&name) || !seen.insert((span, name.clone())) {
            continue;
        }
        let want = PREFIX_ONLY
            .iter()
            .find(|(p, _)| *p == name)
            .map(|(_, w)| *w)
            .unwrap_or("a defined variable");
        out.push(
            Diagnostic::error(UNKNOWN_VARIABLE, format!("unknown \"{name}\" variable"))
                .with_span(span)
                .with_label(format!("nginx has no variable \"${name}\""))
                .with_help(format!(
                    "nginx knows this name only with a suffix: use {want}"
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references() {
        let r: Vec<_> = references("a $arg ${http}x $1 $ $arg_x")
            .map(|(_, n)| n)
            .collect();
        assert_eq!(r, ["arg", "http", "1", "arg_x"]);
        let mut d = HashSet::new();
        named_captures("~^/(?<arg>\\d+)(?P<x>.)", &mut d);
        assert!(d.contains("arg") && d.contains("x"));
    }
}
