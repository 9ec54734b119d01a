//! nginx's tokenizer (`ngx_conf_read_token`), byte for byte: four whitespace
//! bytes, `#` comments only where a token may start, `"`/`'` quoting with
//! backslash escapes, `${var}`, `}` not ending an unquoted word, the 4 KiB
//! token limit, and the raw Lua lexer used by `*_by_lua_block` bodies.
//!
//! The lexer never fails: problems are returned as [`SyntaxError`]s and
//! lexing continues, so the parser can report every error in a file.

use compact_str::CompactString;

use super::ast::{Comment, Quote, Word};
use super::errors::{SyntaxError, SyntaxErrorKind};
use crate::source::{FileId, Span};

/// nginx's `NGX_CONF_BUFFER`: one token must fit in it.
pub const TOKEN_LIMIT: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Word(Word),
    Semicolon(Span),
    OpenBrace(Span),
    CloseBrace(Span),
    Comment(Comment),
    Eof(Span),
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

// Byte classes: one table load per byte in the word loops.
const WS: u8 = 1;
/// `;`: ends an unquoted word.
const SEMI: u8 = 2;
/// `{`: ends an unquoted word unless right after `$`.
const OPEN: u8 = 4;
const ESCAPE: u8 = 8;
/// `$` or `(`: recorded in [`Word::dollar_or_paren`].
const SPECIAL: u8 = 16;

const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = WS;
    t[b'\t' as usize] = WS;
    t[b'\r' as usize] = WS;
    t[b'\n' as usize] = WS;
    t[b';' as usize] = SEMI;
    t[b'{' as usize] = OPEN;
    t[b'\\' as usize] = ESCAPE;
    t[b'$' as usize] = SPECIAL;
    t[b'(' as usize] = SPECIAL;
    t
};

fn class(b: u8) -> u8 {
    CLASS[b as usize]
}

/// Apply nginx's escape rewriting to a word's raw bytes (quotes excluded).
pub fn unescape(raw: &[u8]) -> CompactString {
    if memchr::memchr(b'\\', raw).is_none() {
        // Valid UTF-8 (the usual case) is copied as is, without the slower
        // lossy decoder; short words are stored inline.
        return match std::str::from_utf8(raw) {
            Ok(s) => CompactString::new(s),
            Err(_) => CompactString::from_utf8_lossy(raw),
        };
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'\\' && i + 1 < raw.len() {
            let n = raw[i + 1];
            match n {
                b'"' | b'\'' | b'\\' => out.push(n),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                _ => {
                    out.push(b);
                    out.push(n);
                }
            }
            i += 2;
        } else {
            out.push(b);
            i += 1;
        }
    }
    match std::str::from_utf8(&out) {
        Ok(s) => CompactString::new(s),
        Err(_) => CompactString::from_utf8_lossy(&out),
    }
}

pub struct Lexer<'a> {
    src: &'a [u8],
    /// The whole input as text when it is valid UTF-8 (checked once), so
    /// that words are sliced without validating each one.
    text: Option<&'a str>,
    pos: usize,
    file: FileId,
    pub errors: Vec<SyntaxError>,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8], file: FileId) -> Self {
        Lexer {
            src,
            text: std::str::from_utf8(src).ok(),
            pos: 0,
            file,
            errors: Vec::new(),
        }
    }

    /// The value of the word at `start..end` (quotes excluded), which has a
    /// backslash if `escaped`. Word boundaries are ASCII bytes, so slicing
    /// the validated text is exact.
    fn value(&self, start: usize, end: usize, escaped: bool) -> CompactString {
        match self.text.and_then(|t| t.get(start..end)) {
            Some(t) if !escaped => CompactString::new(t),
            _ => unescape(&self.src[start..end]),
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// A lexer over the same bytes starting at `pos`, sharing the UTF-8
    /// check already made on the whole input (`text`).
    pub fn resume(src: &'a [u8], text: Option<&'a str>, file: FileId, pos: usize) -> Self {
        Lexer {
            src,
            text,
            pos: pos.min(src.len()),
            file,
            errors: Vec::new(),
        }
    }

    /// The whole input as text, when it is valid UTF-8.
    pub fn text(&self) -> Option<&'a str> {
        self.text
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Continue lexing at `pos` (a token start or whitespace before one).
    /// The next token depends only on the bytes from there on.
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.src.len());
    }

    /// Skip whitespace: the offset where the next token starts (the input's
    /// length at end of file).
    pub fn skip_whitespace(&mut self) -> usize {
        let src = self.src;
        let mut i = self.pos;
        while i < src.len() && class(src[i]) == WS {
            i += 1;
        }
        self.pos = i;
        i
    }

    fn error(&mut self, kind: SyntaxErrorKind, message: String, span: Span) {
        self.errors.push(SyntaxError {
            kind,
            message,
            span,
            related: None,
        });
    }

    pub fn next_token(&mut self) -> Token {
        let start = self.skip_whitespace();
        if start >= self.src.len() {
            return Token::Eof(self.span(self.src.len(), self.src.len()));
        }
        match self.src[start] {
            b'#' => {
                let rest = &self.src[start + 1..];
                let body = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
                let end = start + 1 + body.len();
                self.pos = end;
                let mut text = body;
                if text.last() == Some(&b'\r') {
                    text = &text[..text.len() - 1];
                }
                Token::Comment(Comment {
                    text: String::from_utf8_lossy(text).into_owned(),
                    span: self.span(start, end),
                })
            }
            b';' => {
                self.pos += 1;
                Token::Semicolon(self.span(start, start + 1))
            }
            b'{' => {
                self.pos += 1;
                Token::OpenBrace(self.span(start, start + 1))
            }
            b'}' => {
                self.pos += 1;
                Token::CloseBrace(self.span(start, start + 1))
            }
            q @ (b'"' | b'\'') => self.quoted(start, q),
            _ => self.unquoted(start),
        }
    }

    fn unquoted(&mut self, start: usize) -> Token {
        let src = self.src;
        let mut i = start;
        // Whether the raw bytes hold a backslash, and `$` or `(` (escapes
        // never add or remove either, so the raw bytes decide for the value).
        let mut escaped = false;
        let mut special = false;
        while i < src.len() {
            let c = class(src[i]);
            if c == 0 {
                i += 1;
                continue;
            }
            if c & (WS | SEMI) != 0 {
                break;
            }
            if c == ESCAPE {
                escaped = true;
                if let Some(&n) = src.get(i + 1) {
                    special |= class(n) == SPECIAL;
                }
                i = (i + 2).min(src.len());
                continue;
            }
            if c == OPEN && !(i > start && src[i - 1] == b'$') {
                break;
            }
            special |= c == SPECIAL;
            i += 1;
        }
        self.pos = i;
        let raw = &src[start..i];
        if raw.len() >= TOKEN_LIMIT {
            let head = String::from_utf8_lossy(&raw[..10.min(raw.len())]).into_owned();
            self.error(
                SyntaxErrorKind::TokenTooLong,
                format!("too long parameter \"{head}...\" started"),
                self.span(start, i),
            );
        }
        Token::Word(Word {
            value: self.value(start, i, escaped),
            span: self.span(start, i),
            quote: Quote::None,
            dollar_or_paren: special,
        })
    }

    fn quoted(&mut self, start: usize, q: u8) -> Token {
        let src = self.src;
        let mut i = start + 1;
        let mut closed = false;
        let mut escaped = false;
        let mut special = false;
        while i < src.len() {
            let b = src[i];
            if b == b'\\' {
                escaped = true;
                if let Some(&n) = src.get(i + 1) {
                    special |= class(n) == SPECIAL;
                }
                i = (i + 2).min(src.len());
                continue;
            }
            if b == q {
                closed = true;
                break;
            }
            special |= class(b) == SPECIAL;
            i += 1;
        }
        let quote = if q == b'"' {
            Quote::Double
        } else {
            Quote::Single
        };
        if !closed {
            // Let the parser report the end of file; the word is kept.
            self.pos = src.len();
            if src.len() - start >= TOKEN_LIMIT {
                self.error(
                    SyntaxErrorKind::TokenTooLong,
                    format!(
                        "too long parameter, probably missing terminating \"{}\" character",
                        q as char
                    ),
                    self.span(start, src.len()),
                );
            }
            return Token::Word(Word {
                value: unescape(&src[start + 1..]),
                span: self.span(start, src.len()),
                quote,
                dollar_or_paren: special,
            });
        }
        let content = &src[start + 1..i];
        let end = i + 1;
        self.pos = end;
        // content + closing quote must fit in the buffer
        if content.len() + 1 >= TOKEN_LIMIT {
            self.error(
                SyntaxErrorKind::TokenTooLong,
                format!(
                    "too long parameter, probably missing terminating \"{}\" character",
                    q as char
                ),
                self.span(start, end),
            );
        }
        if let Some(&next) = src.get(end) {
            if !(is_ws(next) || next == b';' || next == b'{' || next == b')') {
                // nginx: unexpected "X" right after a closing quote. `}` is
                // left for the parser, which reports it (missing `;`).
                if next != b'}' {
                    let ch = String::from_utf8_lossy(&src[end..(end + 1)]).into_owned();
                    self.error(
                        SyntaxErrorKind::UnexpectedChar,
                        format!("unexpected \"{ch}\""),
                        self.span(end, end + 1),
                    );
                }
            }
        }
        Token::Word(Word {
            value: self.value(start + 1, i, escaped),
            span: self.span(start, end),
            quote,
            dollar_or_paren: special,
        })
    }

    /// Read a `*_by_lua_block` body. Called right after its `{`. Returns the
    /// body text span (between the braces) and the span of the closing `}`,
    /// or `None` at end of file (the error is recorded).
    pub fn lua_block(&mut self, open: Span) -> Option<(Span, Span)> {
        let src = self.src;
        let body_start = self.pos;
        let mut i = body_start;
        let mut level = 1usize;
        while i < src.len() {
            match src[i] {
                b'{' => {
                    level += 1;
                    i += 1;
                }
                b'}' => {
                    level -= 1;
                    if level == 0 {
                        self.pos = i + 1;
                        return Some((self.span(body_start, i), self.span(i, i + 1)));
                    }
                    i += 1;
                }
                b'[' => match long_bracket_open(&src[i..]) {
                    Some(eqs) => match find_long_close(src, i + eqs + 2, eqs) {
                        Some(end) => i = end,
                        None => {
                            let closer = format!("]{}]", "=".repeat(eqs));
                            self.error(
                                SyntaxErrorKind::UnterminatedLua,
                                format!("Lua code block missing the closing long bracket \"{closer}\", the inlined Lua code may be too long"),
                                self.span(i, src.len()),
                            );
                            self.pos = src.len();
                            return None;
                        }
                    },
                    None => i += 1,
                },
                b'-' if src.get(i + 1) == Some(&b'-') => {
                    if let Some(eqs) = long_bracket_open(&src[i + 2..]) {
                        match find_long_close(src, i + 2 + eqs + 2, eqs) {
                            Some(end) => i = end,
                            None => {
                                let closer = format!("]{}]", "=".repeat(eqs));
                                self.error(
                                    SyntaxErrorKind::UnterminatedLua,
                                    format!("Lua code block missing the closing long bracket \"{closer}\", the inlined Lua code may be too long"),
                                    self.span(i, src.len()),
                                );
                                self.pos = src.len();
                                return None;
                            }
                        }
                    } else {
                        i = memchr::memchr(b'\n', &src[i..])
                            .map(|n| i + n)
                            .unwrap_or(src.len());
                    }
                }
                q @ (b'"' | b'\'') => {
                    // A Lua string cannot span a newline; if unterminated on
                    // this line the quote is plain text.
                    let mut j = i + 1;
                    let mut end = None;
                    while j < src.len() {
                        match src[j] {
                            b'\\' if j + 1 < src.len() && src[j + 1] != b'\n' => j += 2,
                            b'\n' | b'\\' => break,
                            b if b == q => {
                                end = Some(j + 1);
                                break;
                            }
                            _ => j += 1,
                        }
                    }
                    i = end.unwrap_or(i + 1);
                }
                _ => i += 1,
            }
        }
        self.pos = src.len();
        self.error(
            SyntaxErrorKind::UnterminatedLua,
            "unexpected end of file, expecting terminating characters for lua code block".into(),
            open,
        );
        None
    }
}

/// `[`, `=`*, `[` at the start of `s`: the number of `=`.
fn long_bracket_open(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&b'[') {
        return None;
    }
    let eqs = s[1..].iter().take_while(|&&b| b == b'=').count();
    (s.get(1 + eqs) == Some(&b'[')).then_some(eqs)
}

/// Offset just after the `]=*]` closer with `eqs` equals signs, from `from`.
fn find_long_close(src: &[u8], from: usize, eqs: usize) -> Option<usize> {
    let mut i = from;
    while let Some(n) = memchr::memchr(b']', src.get(i..)?) {
        let at = i + n;
        let e = src[at + 1..].iter().take_while(|&&b| b == b'=').count();
        if e == eqs && src.get(at + 1 + e) == Some(&b']') {
            return Some(at + 2 + e);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_decodes_lossily() {
        assert_eq!(unescape(b"plain"), "plain");
        assert_eq!(unescape(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(unescape(b"a\\\"b\xff"), "a\"b\u{fffd}");
    }

    fn words(s: &str) -> Vec<String> {
        let mut lx = Lexer::new(s.as_bytes(), FileId(0));
        let mut out = vec![];
        loop {
            match lx.next_token() {
                Token::Word(w) => out.push(w.value.to_string()),
                Token::Semicolon(_) => out.push(";".into()),
                Token::OpenBrace(_) => out.push("{".into()),
                Token::CloseBrace(_) => out.push("}".into()),
                Token::Comment(c) => out.push(format!("#{}", c.text)),
                Token::Eof(_) => break,
            }
        }
        out
    }

    #[test]
    fn nginx_token_rules() {
        assert_eq!(words("return 200 a#b;"), ["return", "200", "a#b", ";"]);
        assert_eq!(words("return 200 a}b;"), ["return", "200", "a}b", ";"]);
        assert_eq!(words("ab\"c d\""), ["ab\"c", "d\""]);
        assert_eq!(words("location /a{"), ["location", "/a", "{"]);
        assert_eq!(
            words("return 200 ${uri}z;"),
            ["return", "200", "${uri}z", ";"]
        );
        assert_eq!(words(r#"a\ b\"c\x;"#), ["a\\ b\"c\\x", ";"]);
        assert_eq!(words("\"t\\tn\\n\";"), ["t\tn\n", ";"]);
        assert_eq!(words("if ($a = \"b\")"), ["if", "($a", "=", "b", ")"]);
        assert_eq!(words("# c\r\nx;"), ["# c", "x", ";"]);
        assert_eq!(words("\"\";"), ["", ";"]);
    }

    #[test]
    fn token_limit() {
        let ok = format!("a {};", "x".repeat(4095));
        let mut lx = Lexer::new(ok.as_bytes(), FileId(0));
        while !matches!(lx.next_token(), Token::Eof(_)) {}
        assert!(lx.errors.is_empty());
        let bad = format!("a {};", "x".repeat(4096));
        let mut lx = Lexer::new(bad.as_bytes(), FileId(0));
        while !matches!(lx.next_token(), Token::Eof(_)) {}
        assert_eq!(lx.errors.len(), 1);
        let q_ok = format!("a \"{}\";", "x".repeat(4094));
        let mut lx = Lexer::new(q_ok.as_bytes(), FileId(0));
        while !matches!(lx.next_token(), Token::Eof(_)) {}
        assert!(lx.errors.is_empty());
        let q_bad = format!("a \"{}\";", "x".repeat(4095));
        let mut lx = Lexer::new(q_bad.as_bytes(), FileId(0));
        while !matches!(lx.next_token(), Token::Eof(_)) {}
        assert_eq!(lx.errors.len(), 1);
    }

    proptest::proptest! {
        /// The flags gathered while scanning agree with the raw bytes, and
        /// the value with nginx's escape rewriting of them.
        #[test]
        fn word_flags_match_raw_bytes(parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just("\\"), proptest::strategy::Just("$"),
                proptest::strategy::Just("("), proptest::strategy::Just("{"),
                proptest::strategy::Just("\""), proptest::strategy::Just("'"),
                proptest::strategy::Just(" "), proptest::strategy::Just(";"),
                proptest::strategy::Just("a"), proptest::strategy::Just("\u{e9}"),
                proptest::strategy::Just("\n"), proptest::strategy::Just("#"),
            ], 0..60)) {
            let s = parts.concat();
            let mut lx = Lexer::new(s.as_bytes(), FileId(0));
            loop {
                match lx.next_token() {
                    Token::Word(w) => {
                        let bytes = s.as_bytes();
                        let (a, b) = if w.quote.is_quoted() {
                            // the closing quote: the first unescaped one
                            let q = bytes[w.span.start()];
                            let mut j = w.span.start() + 1;
                            while j < bytes.len() && bytes[j] != q {
                                j += if bytes[j] == b'\\' { 2 } else { 1 };
                            }
                            (w.span.start() + 1, j.min(bytes.len()))
                        } else {
                            (w.span.start(), w.span.end())
                        };
                        let raw = &bytes[a..b];
                        proptest::prop_assert_eq!(
                            w.dollar_or_paren,
                            raw.iter().any(|&c| c == b'$' || c == b'('),
                            "{:?}", s
                        );
                        proptest::prop_assert_eq!(w.value, unescape(raw));
                    }
                    Token::Eof(_) => break,
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn after_quote() {
        let mut lx = Lexer::new(b"a \"x\"#c;", FileId(0));
        while !matches!(lx.next_token(), Token::Eof(_)) {}
        assert_eq!(lx.errors[0].message, "unexpected \"#\"");
    }
}
