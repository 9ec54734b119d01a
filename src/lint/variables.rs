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
//!
//! The check runs inside grammar validation's single walk
//! ([`crate::lint::grammar::check`]), which feeds every directive to
//! [`Variables`].

use std::collections::HashSet;

use super::registry::RuleMeta;
use crate::diag::{Diagnostic, Severity};
use crate::syntax::{Directive, Span};

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

/// Which argument of a directive defines a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefArg {
    First,
    Second,
    Last,
}

/// Directives whose first (or, for `map`/`split_clients`, second; for
/// `geo`, last) argument defines a variable. Grammar validation resolves
/// this once per table name; names outside the table ask here.
pub(crate) fn defining_arg(name: &str) -> Option<DefArg> {
    match name {
        "set" | "perl_set" | "js_set" | "js_var" | "auth_request_set" | "set_by_lua"
        | "set_by_lua_file" | "set_by_lua_block" => Some(DefArg::First),
        "map" | "split_clients" => Some(DefArg::Second),
        "geo" | "geoip2" => Some(DefArg::Last),
        _ => None,
    }
}

/// Is `name` one of [`PREFIX_ONLY`]?
fn prefix_only(name: &str) -> bool {
    matches!(
        name,
        "arg"
            | "http"
            | "cookie"
            | "sent_http"
            | "sent_trailer"
            | "upstream_http"
            | "upstream_cookie"
            | "upstream_trailer"
    )
}

/// Does the word contain `$` or `(`? Eight bytes at a time (the classic
/// "has a zero byte" bit trick), as most words are short and have neither.
#[inline]
fn has_dollar_or_paren(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    #[inline]
    fn hit(x: u64) -> bool {
        let d = x ^ (ONES * u64::from(b'$'));
        let p = x ^ (ONES * u64::from(b'('));
        ((d.wrapping_sub(ONES) & !d) | (p.wrapping_sub(ONES) & !p)) & HIGH != 0
    }
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        if hit(u64::from_le_bytes(w)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&c| c == b'$' || c == b'(')
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

/// What `grammar/unknown-variable` collects during grammar validation's
/// walk (every directive reachable from every root, data blocks and
/// directives grammar rejects included), reported once all roots are done.
#[derive(Default)]
pub(crate) struct Variables {
    defined: HashSet<String>,
    uses: Vec<(Span, String)>,
}

impl Variables {
    /// One directive; `defines` is [`defining_arg`] of its name.
    #[inline]
    pub(crate) fn visit(&mut self, d: &Directive, defines: Option<DefArg>) {
        if let Some(which) = defines {
            let arg = match which {
                DefArg::First => d.arg(0),
                DefArg::Second => d.arg(1),
                DefArg::Last => d.args.last().map(|w| w.value.as_str()),
            };
            if let Some(n) = arg.and_then(|a| a.strip_prefix('$')) {
                self.defined.insert(n.to_string());
            }
        }
        // The first word is a directive name or, in `map`/`geo`
        // bodies, a literal key: only arguments can reference variables.
        for w in &d.args {
            let s = w.value.as_str();
            // One cheap scan for the common case: neither `$` nor `(`.
            if has_dollar_or_paren(s.as_bytes()) {
                self.word(w.span, s);
            }
        }
    }

    fn word(&mut self, span: Span, s: &str) {
        let b = s.as_bytes();
        if b.windows(2).any(|p| p == b"(?") {
            named_captures(s, &mut self.defined);
        }
        if b.contains(&b'$') {
            for (_, name) in references(s) {
                if prefix_only(name) {
                    self.uses.push((span, name.to_string()));
                }
            }
        }
    }

    /// Report bare prefix variables that the configuration does not define.
    pub(crate) fn finish(self, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::new();
        for (span, name) in self.uses {
            if self.defined.contains(&name) || !seen.insert((span, name.clone())) {
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
        for (p, _) in PREFIX_ONLY {
            assert!(prefix_only(p));
        }
        assert!(!prefix_only("args") && !prefix_only("arg_x"));
        for w in [
            "$",
            "(",
            "abcdefgh$",
            "abcdefgh(",
            "abcdefghabcdefg$",
            "a$b",
        ] {
            assert!(has_dollar_or_paren(w.as_bytes()), "{w}");
        }
        for w in [
            "",
            "abcdefgh",
            "/srv/www/docs3/public",
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
        ] {
            assert!(!has_dollar_or_paren(w.as_bytes()), "{w}");
        }
        let mut d = HashSet::new();
        named_captures("~^/(?<arg>\\d+)(?P<x>.)", &mut d);
        assert!(d.contains("arg") && d.contains("x"));
    }
}
