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

use crate::diag::Diagnostic;
use crate::syntax::{Directive, Span};

pub const UNKNOWN_VARIABLE: &str = "grammar/unknown-variable";

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

/// The [`PREFIX_ONLY`] name that is the whole identifier at `start`, if
/// any (identifiers are `[A-Za-z0-9_]+`).
#[inline]
fn prefix_at(b: &[u8], start: usize) -> Option<&'static str> {
    let rest = b.get(start..)?;
    let candidates: &[&'static str] = match rest.first()? {
        b'a' => &["arg"],
        b'h' => &["http"],
        b'c' => &["cookie"],
        b's' => &["sent_http", "sent_trailer"],
        b'u' => &["upstream_http", "upstream_cookie", "upstream_trailer"],
        _ => return None,
    };
    candidates.iter().copied().find(|p| {
        rest.starts_with(p.as_bytes())
            && !rest
                .get(p.len())
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
    })
}

/// Does any of the eight bytes of `x` equal `$` or `(`? (The classic
/// "has a zero byte" bit trick: exact as a yes/no answer.)
#[inline]
fn hit(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let d = x ^ (ONES * u64::from(b'$'));
    let p = x ^ (ONES * u64::from(b'('));
    ((d.wrapping_sub(ONES) & !d) | (p.wrapping_sub(ONES) & !p)) & HIGH != 0
}

#[inline]
fn read8(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Does the word have `$` or `(` (a variable reference or a regex group)?
#[inline]
fn dollar_or_paren(s: &str) -> bool {
    memchr::memchr2(b'$', b'(', s.as_bytes()).is_some()
}

/// Named captures `(?<name>…)`, `(?P<name>…)` and `(?'name'…)` in a word.
pub(crate) fn named_captures<H: std::hash::BuildHasher>(s: &str, out: &mut HashSet<String, H>) {
    let b = s.as_bytes();
    for i in 0..b.len() {
        if b[i] != b'(' || b.get(i + 1) != Some(&b'?') {
            continue;
        }
        let rest = &b[i + 2..];
        let skip = match rest {
            [b'<', ..] | [b'\'', ..] => 1,
            [b'P', b'<', ..] => 2,
            _ => continue,
        };
        let name = &rest[skip..];
        let n = name
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        if n > 0 {
            out.insert(s[i + 2 + skip..i + 2 + skip + n].to_string());
        }
    }
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
    /// One directive; `defines` is [`defining_arg`] of its name. Says
    /// whether any argument has a `$` (or a `(`): when not, no argument
    /// uses variables.
    #[inline]
    pub(crate) fn visit(&mut self, d: &Directive, defines: Option<DefArg>) -> bool {
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
        let mut any = false;
        for w in &d.args {
            // Most words have neither `$` nor `(`: one memchr2 each.
            if dollar_or_paren(&w.value) {
                any = true;
                self.word(w.span, w.value.as_str());
            }
        }
        any
    }

    /// A word with `$` or `(`: every `$` starts a reference (an
    /// identifier never contains `$`), so one pass finds the bare prefix
    /// names without extracting every variable name.
    fn word(&mut self, span: Span, s: &str) {
        let b = s.as_bytes();
        let mut captures = false;
        let mut i = 0;
        while i < b.len() {
            // Skip eight bytes at a time while they have neither.
            if i + 8 <= b.len() && !hit(read8(b, i)) {
                i += 8;
                continue;
            }
            let c = b[i];
            if c == b'$' {
                let start = i + 1 + usize::from(b.get(i + 1) == Some(&b'{'));
                if let Some(name) = prefix_at(b, start) {
                    self.uses.push((span, name.to_string()));
                }
            } else if c == b'(' && b.get(i + 1) == Some(&b'?') {
                captures = true;
            }
            i += 1;
        }
        if captures {
            named_captures(s, &mut self.defined);
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
    use crate::syntax::{parse, FileId};

    /// [`dollar_or_paren`] of `w`, which parsing `x 'w';` must keep.
    fn lexed_flag(w: &str) -> bool {
        let p = parse(format!("x '{w}';").as_bytes(), FileId(0));
        assert_eq!(p.root.directives[0].args[0].value, w);
        dollar_or_paren(w)
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

    /// The bare prefix names of a word, the slow way: every reference.
    fn slow(s: &str) -> Vec<&str> {
        references(s)
            .map(|(_, n)| n)
            .filter(|n| PREFIX_ONLY.iter().any(|(p, _)| p == n))
            .collect()
    }

    #[test]
    fn finds_references() {
        let r: Vec<_> = references("a $arg ${http}x $1 $ $arg_x")
            .map(|(_, n)| n)
            .collect();
        assert_eq!(r, ["arg", "http", "1", "arg_x"]);
        let words = [
            "a $arg ${http}x $1 $ $arg_x",
            "$arg$http${cookie}",
            "$$arg",
            "${{arg}",
            "$sent_http$sent_trailer-$upstream_http.$upstream_cookie/$upstream_trailer",
            "$sent_httpx $upstream_http_x $args $ar $h $",
            "$host $remote_addr $proxy_add_x_forwarded_for",
            "'$remote_addr - $remote_user [$time_local] \"$request\" $http'",
            "abcdefgh$arg",
            "abcdefg$arg",
            "abcdefghabcdefgh${arg}",
            "x(?<arg>y)$http",
        ];
        for w in words {
            let mut v = Variables::default();
            v.word(Span::new(crate::syntax::FileId(0), 0, 0), w);
            let fast: Vec<&str> = v.uses.iter().map(|(_, n)| n.as_str()).collect();
            assert_eq!(fast, slow(w), "{w}");
        }
        for (p, _) in PREFIX_ONLY {
            assert_eq!(prefix_at(format!("${p}").as_bytes(), 1), Some(*p));
            assert_eq!(prefix_at(format!("${p}_x").as_bytes(), 1), None);
        }
        for w in [
            "$",
            "(",
            "ab$d",
            "abc(",
            "$bcdefg",
            "abcdefgh$",
            "abcdefgh(",
            "abcdefghabcdefg$",
            "abcdefghabcdefgh$",
            "a$b",
        ] {
            assert!(lexed_flag(w), "{w}");
        }
        for w in [
            "",
            "ab",
            "abcd",
            "abcdefg",
            "abcdefgh",
            "abcdefghabcdefghi",
            "/srv/www/docs3/public",
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
        ] {
            assert!(!lexed_flag(w), "{w}");
        }
        let mut d = HashSet::new();
        named_captures("~^/(?<arg>\\d+)(?P<x>.)(?'y'z)(?<=w)(?:v)(?<(?<u", &mut d);
        let mut d: Vec<_> = d.into_iter().collect();
        d.sort();
        assert_eq!(d, ["arg", "u", "x", "y"]);
    }
}
