//! Regular expressions nginx compiles at load (`location ~`, `rewrite`,
//! `if ($x ~ …)`, `map` keys `~…`): compiled here with PCRE2, as nginx
//! does (same library, same options: none, or caseless for `~*`), so that a
//! pattern nginx refuses gets nginx's `pcre2_compile() failed: …` and one it
//! accepts passes. The `regex` crate is not used for this: its syntax is
//! not PCRE's (no look-around, no back-references).

use super::Checker;
use crate::lint::grammar::INVALID_VALUE;
use crate::syntax::Word;

/// nginx's message for a pattern PCRE2 refuses (`ngx_regex_compile`), or
/// `None` when it compiles. A pattern that is not valid UTF-8 (decoded
/// lossily by the parser) is not checked.
pub(super) fn pcre_error(pattern: &str, caseless: bool) -> Option<String> {
    if pattern.contains('\u{fffd}') {
        return None;
    }
    let err = pcre2::bytes::RegexBuilder::new()
        .caseless(caseless)
        .build(pattern)
        .err()?;
    if !matches!(err.kind(), pcre2::ErrorKind::Compile) {
        return None;
    }
    // Display: "PCRE2: error compiling pattern at offset N: MESSAGE"
    let shown = err.to_string();
    let msg = shown
        .split_once("pattern at offset ")
        .and_then(|(_, r)| r.split_once(": "))
        .map(|(_, m)| m)
        .or_else(|| shown.split_once("pattern: ").map(|(_, m)| m))
        .unwrap_or(&shown);
    let at = err.offset().filter(|&o| o < pattern.len());
    Some(match at.and_then(|o| pattern.get(o..)) {
        Some(rest) => format!("pcre2_compile() failed: {msg} in \"{pattern}\" at \"{rest}\""),
        None => format!("pcre2_compile() failed: {msg} in \"{pattern}\""),
    })
}

impl Checker<'_> {
    /// Report `pattern` (the regex of word `w`, without its `~`/`~*`) if
    /// PCRE2 refuses it.
    pub(super) fn regex(&mut self, w: &Word, pattern: &str, caseless: bool) {
        let key = (pattern.to_string(), caseless);
        let verdict = match self.regexes.get(&key) {
            Some(v) => v.clone(),
            None => {
                let v = pcre_error(pattern, caseless);
                self.regexes.insert(key, v.clone());
                v
            }
        };
        if let Some(msg) = verdict {
            self.err(
                INVALID_VALUE,
                msg,
                w.span,
                "PCRE cannot compile this regular expression",
                "fix the pattern (an unbalanced parenthesis or bracket, a quantifier with nothing to repeat, a trailing backslash); quote it if it has `{`, `;` or spaces",
            );
        }
    }
}

/// The number of capture groups of `pattern` when PCRE2 compiles it.
fn captures(pattern: &str) -> Option<usize> {
    if pattern.contains('\u{fffd}') {
        return None;
    }
    let re = pcre2::bytes::RegexBuilder::new().build(pattern).ok()?;
    Some(re.captures_len().saturating_sub(1))
}

impl Checker<'_> {
    /// `fastcgi_split_path_info PATTERN`: compiled at load, and nginx needs
    /// exactly two captures (the script name and the path info).
    pub(super) fn split_path_info(&mut self, w: &Word) {
        if w.value.contains('$') && !w.value.ends_with('$') {
            // a variable: nginx compiles the text as written all the same,
            // but `$` in the middle is rare enough to leave alone
            return;
        }
        let Some(n) = captures(&w.value) else {
            // PCRE2 refuses it: nginx's compile error
            return self.regex(w, &w.value, false);
        };
        if n != 2 {
            self.err(
                INVALID_VALUE,
                format!("pattern \"{}\" must have 2 captures", w.value),
                w.span,
                match n {
                    1 => "1 capture",
                    _ => "not 2 captures",
                },
                "capture the script and the path info, e.g. `^(.+?\\.php)(/.*)$`",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pcre_error;

    #[test]
    fn nginx_wording() {
        assert_eq!(
            pcre_error("[:::80", false).as_deref(),
            Some("pcre2_compile() failed: missing terminating ] for character class in \"[:::80\"")
        );
        assert_eq!(
            pcre_error("a)b", false).as_deref(),
            Some("pcre2_compile() failed: unmatched closing parenthesis in \"a)b\" at \")b\"")
        );
        assert_eq!(pcre_error(r"^/(?<x>[a-z]+)\.php$", true), None);
        assert_eq!(pcre_error(r"(a)(?<=a)b\1?", false), None);
    }
}
