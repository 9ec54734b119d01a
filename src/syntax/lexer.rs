//! nginx's tokenizer (`ngx_conf_read_token`), byte for byte, and the raw Lua
//! lexer used by `*_by_lua_block` bodies.
//!
//! Each kind of token is a nom combinator over bytes: [`whitespace`] (nginx's
//! four bytes), [`comment`] (`#` only where a token may start), [`quoted`]
//! (`"`/`'` with backslash [`escape`]s), [`bare_word`] (ended by whitespace,
//! `;` or a `{` that does not follow `$`, see [`variable_open`]; `}` does not
//! end it), and for Lua bodies [`long_bracket`], [`lua_comment`] and
//! [`lua_string`]. [`token`] chooses among them.
//!
//! [`Lexer`] strings the combinators together: it turns what they recognise
//! into tokens with spans and values and records what nginx rejects (the
//! 4 KiB token limit, a character glued to a closing quote) as
//! [`SyntaxError`]s without stopping, so the parser can report every error
//! in a file. The lexer never fails.

use compact_str::CompactString;
use nom::branch::alt;
use nom::bytes::complete::{tag, take, take_while, take_while1};
use nom::character::complete::char;
use nom::combinator::{map, opt, recognize, value, verify};
use nom::multi::{fold_many0, many0_count, many1_count};
use nom::sequence::{delimited, pair, preceded};
use nom::IResult;

use super::ast::{Comment, Quote, Word};
use super::errors::{Listed, SyntaxError, SyntaxErrorKind};
use crate::source::{FileId, Span};

/// nginx's `NGX_CONF_BUFFER`: one token must fit in it.
pub const TOKEN_LIMIT: usize = 4096;

/// What every recognizer returns: the rest of the input and what it
/// recognised. The error carries nothing: the lexer only needs to know that
/// a recognizer did not match, and an empty error keeps that free.
pub type Res<'a, O> = IResult<&'a [u8], O, ()>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Word(Word),
    Semicolon(Span),
    OpenBrace(Span),
    CloseBrace(Span),
    Comment(Comment),
    Eof(Span),
}

// ---- the recognizers ----------------------------------------------------

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Bytes that end or change an unquoted word: whitespace, `;`, `{`, `\`
/// and `$`. One table load per byte in the word loop.
const WORD_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'\\' | b'$');
        i += 1;
    }
    t
};

fn is_word_byte(b: u8) -> bool {
    !WORD_SPECIAL[b as usize]
}

/// nginx's whitespace between tokens: space, tab, CR and LF.
pub fn whitespace(i: &[u8]) -> Res<'_, &[u8]> {
    take_while(is_ws)(i)
}

/// Everything up to the next newline (excluded), found with `memchr`.
fn rest_of_line(i: &[u8]) -> Res<'_, &[u8]> {
    let n = memchr::memchr(b'\n', i).unwrap_or(i.len());
    Ok((&i[n..], &i[..n]))
}

/// A `#` comment: its text, without the `#` and the newline.
pub fn comment(i: &[u8]) -> Res<'_, &[u8]> {
    preceded(char('#'), rest_of_line)(i)
}

/// A backslash and the byte it escapes (alone at the end of the input).
/// nginx keeps the escaped byte in the word whatever it is.
pub fn escape(i: &[u8]) -> Res<'_, &[u8]> {
    recognize(pair(char('\\'), opt(take(1usize))))(i)
}

/// `$` and the `{`s right after it. nginx goes on reading a word at a `{`
/// that follows an unescaped `$` (`${name}`), and at any `{` after that
/// one, until another byte comes.
pub fn variable_open(i: &[u8]) -> Res<'_, &[u8]> {
    recognize(pair(char('$'), take_while(|b| b == b'{')))(i)
}

/// An unquoted word: ordinary bytes, escapes and `$`/`${`, up to
/// whitespace, `;` or a `{` that does not follow `$`. `}`, `#` and quotes
/// inside a word are ordinary bytes (only at a token start do they mean
/// something else, see [`token`]).
pub fn bare_word(i: &[u8]) -> Res<'_, &[u8]> {
    recognize(many1_count(alt((
        take_while1(is_word_byte),
        escape,
        variable_open,
    ))))(i)
}

/// Up to the next `q` or backslash (at least one byte), found with `memchr`.
fn quoted_run(q: u8) -> impl Fn(&[u8]) -> Res<'_, &[u8]> {
    move |i| match memchr::memchr2(q, b'\\', i).unwrap_or(i.len()) {
        0 => Err(nom::Err::Error(())),
        n => Ok((&i[n..], &i[..n])),
    }
}

/// A word in quotes, as [`quoted`] recognises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted<'a> {
    /// `"` or `'`.
    pub quote: u8,
    /// The bytes between the quotes, escapes as written.
    pub body: &'a [u8],
    /// Whether the closing quote was found (else the body runs to the end
    /// of the input).
    pub closed: bool,
}

/// A word in double or single quotes: the other quote and `\`-escapes
/// inside, nothing special about whitespace, `;`, braces or `#`.
pub fn quoted(i: &[u8]) -> Res<'_, Quoted<'_>> {
    let (i, q) = alt((char('"'), char('\'')))(i)?;
    let q = q as u8;
    let (i, body) = recognize(many0_count(alt((quoted_run(q), escape))))(i)?;
    let (i, close) = opt(verify(take(1usize), |b: &[u8]| b[0] == q))(i)?;
    Ok((
        i,
        Quoted {
            quote: q,
            body,
            closed: close.is_some(),
        },
    ))
}

/// One token as the recognizers see it, before spans and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawToken<'a> {
    /// The text after `#`.
    Comment(&'a [u8]),
    /// A word of ordinary bytes only (no `\`, no `$`): its value is its
    /// text, with no escape to rewrite.
    Plain(&'a [u8]),
    Semicolon,
    OpenBrace,
    CloseBrace,
    Quoted(Quoted<'a>),
    Bare(&'a [u8]),
}

/// The token at the start of the input (whitespace already skipped): `#`,
/// `;`, `{`, `}` and quotes mean what they mean only here.
///
/// Inlined into [`Lexer::next_token`], its one caller on the lexing path:
/// the recognised token then stays in registers instead of being written
/// out as a `Result` and read back, once per token.
#[inline]
pub fn token(i: &[u8]) -> Res<'_, RawToken<'_>> {
    // The first byte decides which recognizer applies, as in nginx's
    // tokenizer: only that one runs.
    match i.first() {
        None => Err(nom::Err::Error(())),
        Some(b';') => value(RawToken::Semicolon, char(';'))(i),
        Some(b'{') => value(RawToken::OpenBrace, char('{'))(i),
        Some(b'}') => value(RawToken::CloseBrace, char('}'))(i),
        Some(b'#') => map(comment, RawToken::Comment)(i),
        Some(b'"' | b'\'') => map(quoted, RawToken::Quoted)(i),
        Some(_) => {
            // Most words are one run of ordinary bytes, ended by whitespace,
            // `;` or `{`: the loop of alternatives runs only at a `\` or a
            // `$`.
            let (rest, run) = take_while(is_word_byte)(i)?;
            if !run.is_empty() && !matches!(rest.first(), Some(b'\\' | b'$')) {
                return Ok((rest, RawToken::Plain(run)));
            }
            map(bare_word, RawToken::Bare)(i)
        }
    }
}

// ---- Lua bodies ---------------------------------------------------------

/// A Lua long bracket opener, `[`, `=`×n, `[`: n.
pub fn long_bracket_open(i: &[u8]) -> Res<'_, usize> {
    delimited(char('['), many0_count(char('=')), char('['))(i)
}

/// Everything up to and including the closer `]`, `=`×eqs, `]`.
fn long_bracket_close(eqs: usize) -> impl Fn(&[u8]) -> Res<'_, &[u8]> {
    move |i| {
        let mut from = 0;
        while let Some(n) = memchr::memchr(b']', &i[from..]) {
            let at = from + n;
            let e = i[at + 1..].iter().take_while(|&&b| b == b'=').count();
            if e == eqs && i.get(at + 1 + e) == Some(&b']') {
                let end = at + 2 + e;
                return Ok((&i[end..], &i[..end]));
            }
            from = at + 1;
        }
        Err(nom::Err::Error(()))
    }
}

/// A Lua long bracket string `[==[ … ]==]`: the number of `=` and whether
/// it is closed (if not, it runs to the end of the input).
pub fn long_bracket(i: &[u8]) -> Res<'_, (usize, bool)> {
    let (rest, eqs) = long_bracket_open(i)?;
    Ok(match long_bracket_close(eqs)(rest) {
        Ok((after, _)) => (after, (eqs, true)),
        Err(_) => (&rest[rest.len()..], (eqs, false)),
    })
}

/// A Lua comment: `--` and a long bracket (returned), or `--` to the end of
/// the line (`None`).
pub fn lua_comment(i: &[u8]) -> Res<'_, Option<(usize, bool)>> {
    preceded(
        tag("--"),
        alt((map(long_bracket, Some), map(rest_of_line, |_| None))),
    )(i)
}

/// A Lua short string: a quote, escapes (not of a newline) and other bytes
/// on one line, the same quote. Unterminated on its line, it does not
/// match (the quote is then plain text).
pub fn lua_string(i: &[u8]) -> Res<'_, &[u8]> {
    let (_, q) = alt((char('"'), char('\'')))(i)?;
    let q = q as u8;
    let run = take_while1(move |b| b != q && b != b'\\' && b != b'\n');
    let escape = pair(char('\\'), verify(take(1usize), |b: &[u8]| b[0] != b'\n'));
    recognize(delimited(
        take(1usize),
        many0_count(alt((run, recognize(escape)))),
        verify(take(1usize), move |b: &[u8]| b[0] == q),
    ))(i)
}

/// Bytes of a Lua body that start nothing the block lexer looks at.
fn lua_plain(i: &[u8]) -> Res<'_, &[u8]> {
    take_while(|b| !matches!(b, b'{' | b'}' | b'[' | b'-' | b'"' | b'\''))(i)
}

// ---- values -------------------------------------------------------------

/// Apply nginx's escape rewriting to a word's raw bytes (quotes excluded):
/// `\"`, `\'`, `\\`, `\t`, `\r`, `\n`; any other escape is kept as written.
/// Decoded lossily as UTF-8.
pub fn unescape(raw: &[u8]) -> CompactString {
    if memchr::memchr(b'\\', raw).is_none() {
        // Valid UTF-8 (the usual case) is copied as is, without the slower
        // lossy decoder; short words are stored inline.
        return match std::str::from_utf8(raw) {
            Ok(s) => CompactString::new(s),
            Err(_) => CompactString::from_utf8_lossy(raw),
        };
    }
    let run = take_while1(|b| b != b'\\');
    let piece = alt((run, escape));
    let out = fold_many0(
        piece,
        || Vec::with_capacity(raw.len()),
        |mut out: Vec<u8>, p: &[u8]| {
            match p {
                [b'\\', n @ (b'"' | b'\'' | b'\\')] => out.push(*n),
                [b'\\', b't'] => out.push(b'\t'),
                [b'\\', b'r'] => out.push(b'\r'),
                [b'\\', b'n'] => out.push(b'\n'),
                _ => out.extend_from_slice(p),
            }
            out
        },
    )(raw)
    .map_or_else(|_| raw.to_vec(), |(_, out)| out);
    match std::str::from_utf8(&out) {
        Ok(s) => CompactString::new(s),
        Err(_) => CompactString::from_utf8_lossy(&out),
    }
}

// ---- the lexer ----------------------------------------------------------

pub struct Lexer<'a> {
    src: &'a [u8],
    /// The whole input as text when it is valid UTF-8 (checked once), so
    /// that words are sliced without validating each one.
    text: Option<&'a str>,
    pos: usize,
    file: FileId,
    pub errors: Listed,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8], file: FileId) -> Self {
        Lexer {
            src,
            text: std::str::from_utf8(src).ok(),
            pos: 0,
            file,
            errors: Listed::default(),
        }
    }

    /// The value of the word at `start..end` (quotes excluded). Word
    /// boundaries are ASCII bytes, so slicing the validated text is exact.
    fn value(&self, start: usize, end: usize) -> CompactString {
        let raw = &self.src[start..end];
        match self.text.and_then(|t| t.get(start..end)) {
            Some(t) if memchr::memchr(b'\\', raw).is_none() => CompactString::new(t),
            _ => unescape(raw),
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// Offset of `rest`, a suffix of the input.
    fn offset(&self, rest: &[u8]) -> usize {
        self.src.len() - rest.len()
    }

    fn error(&mut self, kind: SyntaxErrorKind, message: String, span: Span) {
        self.errors.push(SyntaxError {
            kind,
            message,
            span,
            related: None,
        });
    }

    /// The next token. Inlined into the parser's loop for the same reason
    /// as [`token`] (the returned token is built in place).
    #[inline]
    pub fn next_token(&mut self) -> Token {
        let input = &self.src[self.pos..];
        let input = whitespace(input).map_or(input, |(rest, _)| rest);
        let start = self.offset(input);
        let Ok((rest, raw)) = token(input) else {
            // Only the end of the input starts no token.
            self.pos = self.src.len();
            return Token::Eof(self.span(self.src.len(), self.src.len()));
        };
        let end = self.offset(rest);
        self.pos = end;
        match raw {
            RawToken::Semicolon => Token::Semicolon(self.span(start, end)),
            RawToken::OpenBrace => Token::OpenBrace(self.span(start, end)),
            RawToken::CloseBrace => Token::CloseBrace(self.span(start, end)),
            RawToken::Comment(mut text) => {
                if text.last() == Some(&b'\r') {
                    text = &text[..text.len() - 1];
                }
                Token::Comment(Comment {
                    text: String::from_utf8_lossy(text).into_owned(),
                    span: self.span(start, end),
                })
            }
            RawToken::Plain(raw) if raw.len() < TOKEN_LIMIT => Token::Word(Word {
                value: match self.text.and_then(|t| t.get(start..end)) {
                    Some(t) => CompactString::new(t),
                    None => unescape(raw),
                },
                span: self.span(start, end),
                quote: Quote::None,
            }),
            RawToken::Plain(raw) | RawToken::Bare(raw) => {
                if raw.len() >= TOKEN_LIMIT {
                    let head = String::from_utf8_lossy(&raw[..10]).into_owned();
                    self.error(
                        SyntaxErrorKind::TokenTooLong,
                        format!("too long parameter \"{head}...\" started"),
                        self.span(start, end),
                    );
                }
                Token::Word(Word {
                    value: self.value(start, end),
                    span: self.span(start, end),
                    quote: Quote::None,
                })
            }
            RawToken::Quoted(q) => self.quoted_word(start, end, q),
        }
    }

    fn quoted_word(&mut self, start: usize, end: usize, q: Quoted<'_>) -> Token {
        let quote = if q.quote == b'"' {
            Quote::Double
        } else {
            Quote::Single
        };
        let too_long = || {
            format!(
                "too long parameter, probably missing terminating \"{}\" character",
                q.quote as char
            )
        };
        if !q.closed {
            // Let the parser report the end of file; the word is kept.
            if end - start >= TOKEN_LIMIT {
                self.error(
                    SyntaxErrorKind::TokenTooLong,
                    too_long(),
                    self.span(start, end),
                );
            }
            return Token::Word(Word {
                value: unescape(q.body),
                span: self.span(start, end),
                quote,
            });
        }
        // body + closing quote must fit in the buffer
        if q.body.len() + 1 >= TOKEN_LIMIT {
            self.error(
                SyntaxErrorKind::TokenTooLong,
                too_long(),
                self.span(start, end),
            );
        }
        // nginx wants whitespace, `;`, `{` or `)` right after a closing
        // quote: "unexpected X" otherwise. `}` is left for the parser,
        // which reports it (missing `;`).
        if let Some(&next) = self.src.get(end) {
            if !(is_ws(next) || matches!(next, b';' | b'{' | b')' | b'}')) {
                let ch = String::from_utf8_lossy(&self.src[end..end + 1]).into_owned();
                self.error(
                    SyntaxErrorKind::UnexpectedChar,
                    format!("unexpected \"{ch}\""),
                    self.span(end, end + 1),
                );
            }
        }
        Token::Word(Word {
            value: self.value(start + 1, end - 1),
            span: self.span(start, end),
            quote,
        })
    }

    /// Read a `*_by_lua_block` body. Called right after its `{`. Returns the
    /// body text span (between the braces) and the span of the closing `}`,
    /// or `None` at end of file (the error is recorded).
    pub fn lua_block(&mut self, open: Span) -> Option<(Span, Span)> {
        let body_start = self.pos;
        let mut level = 1usize;
        let mut i = &self.src[body_start..];
        loop {
            let at = lua_plain(i).map_or(i, |(rest, _)| rest);
            let Some(&b) = at.first() else { break };
            let start = self.offset(at);
            i = match b {
                b'{' => {
                    level += 1;
                    &at[1..]
                }
                b'}' => {
                    level -= 1;
                    if level == 0 {
                        self.pos = start + 1;
                        return Some((self.span(body_start, start), self.span(start, start + 1)));
                    }
                    &at[1..]
                }
                b'[' => match long_bracket(at) {
                    Ok((_, (eqs, false))) => return self.unterminated_long(start, eqs),
                    Ok((rest, _)) => rest,
                    Err(_) => &at[1..],
                },
                b'-' => match lua_comment(at) {
                    Ok((_, Some((eqs, false)))) => return self.unterminated_long(start, eqs),
                    Ok((rest, _)) => rest,
                    Err(_) => &at[1..],
                },
                _ => match lua_string(at) {
                    Ok((rest, _)) => rest,
                    // unterminated on its line: the quote is plain text
                    Err(_) => &at[1..],
                },
            };
        }
        self.pos = self.src.len();
        self.error(
            SyntaxErrorKind::UnterminatedLua,
            "unexpected end of file, expecting terminating characters for lua code block".into(),
            open,
        );
        None
    }

    /// A long bracket from `start` that never closes: the error, and the
    /// rest of the input is the body.
    fn unterminated_long(&mut self, start: usize, eqs: usize) -> Option<(Span, Span)> {
        let closer = format!("]{}]", "=".repeat(eqs));
        self.error(
            SyntaxErrorKind::UnterminatedLua,
            format!("Lua code block missing the closing long bracket \"{closer}\", the inlined Lua code may be too long"),
            self.span(start, self.src.len()),
        );
        self.pos = self.src.len();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_decodes_lossily() {
        assert_eq!(unescape(b"plain"), "plain");
        assert_eq!(unescape(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(unescape(b"a\\\"b\xff"), "a\"b\u{fffd}");
        assert_eq!(unescape(b"\\t\\r\\n\\'\\\\\\x\\"), "\t\r\n'\\\\x\\");
    }

    /// nginx's buffer holds a word shorter than 4096 bytes, whichever way
    /// the lexer reads the word (one plain run, or with `$` or escapes).
    #[test]
    fn token_limit_holds_for_plain_and_other_words() {
        let too_long = |word: String| {
            let text = format!("{word};");
            let mut lx = Lexer::new(text.as_bytes(), FileId(0));
            let Token::Word(w) = lx.next_token() else {
                panic!("a word")
            };
            assert_eq!(w.value, word);
            let errors = Listed::merge(std::mem::take(&mut lx.errors), Listed::default());
            errors
                .iter()
                .any(|e| e.kind == SyntaxErrorKind::TokenTooLong)
        };
        let n = TOKEN_LIMIT;
        assert!(!too_long("a".repeat(n - 1)));
        assert!(too_long("a".repeat(n)));
        assert!(!too_long(format!("${}", "a".repeat(n - 2))));
        assert!(too_long(format!("${}", "a".repeat(n - 1))));
        assert!(!too_long(format!("\\{}", "a".repeat(n - 2))));
        assert!(too_long(format!("\\{}", "a".repeat(n - 1))));
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
        assert_eq!(words("}a;"), ["}", "a", ";"]);
        assert_eq!(words("a\\"), ["a\\"]);
    }

    /// `{` goes on a word only right after an unescaped `$` and after the
    /// `{`s that follow it (nginx's `variable` flag), as `nginx -t` reads
    /// `default_type ${{x;` (one word) and `default_type a\${x;` (a word,
    /// then a block).
    #[test]
    fn braces_after_dollar() {
        assert_eq!(words("a ${{x;"), ["a", "${{x", ";"]);
        assert_eq!(words("a $${x;"), ["a", "$${x", ";"]);
        assert_eq!(words("a \\${x;"), ["a", "\\$", "{", "x", ";"]);
        assert_eq!(words("a $x{y;"), ["a", "$x", "{", "y", ";"]);
        assert_eq!(words("a $\\{x;"), ["a", "$\\{x", ";"]);
    }

    #[test]
    fn recognizers() {
        assert_eq!(whitespace(b" \t\r\nx"), Ok((&b"x"[..], &b" \t\r\n"[..])));
        assert_eq!(comment(b"# a;\nb"), Ok((&b"\nb"[..], &b" a;"[..])));
        assert_eq!(bare_word(b"a}b#c\"d;"), Ok((&b";"[..], &b"a}b#c\"d"[..])));
        assert_eq!(
            quoted(b"'a\\'b\"c' x"),
            Ok((
                &b" x"[..],
                Quoted {
                    quote: b'\'',
                    body: b"a\\'b\"c",
                    closed: true
                }
            ))
        );
        assert_eq!(
            quoted(b"\"ab\\"),
            Ok((
                &b""[..],
                Quoted {
                    quote: b'"',
                    body: b"ab\\",
                    closed: false
                }
            ))
        );
        assert_eq!(long_bracket(b"[==[ ]] ]==]x"), Ok((&b"x"[..], (2, true))));
        assert_eq!(long_bracket(b"[=[ ]]"), Ok((&b""[..], (1, false))));
        assert!(long_bracket(b"[ [").is_err());
        assert_eq!(lua_comment(b"-- a\nb"), Ok((&b"\nb"[..], None)));
        assert_eq!(lua_comment(b"--[[a]]b"), Ok((&b"b"[..], Some((0, true)))));
        assert_eq!(lua_string(b"'a\\'b'c"), Ok((&b"c"[..], &b"'a\\'b'"[..])));
        assert!(lua_string(b"'a\nb'").is_err());
        assert!(lua_string(b"'a\\\nb'").is_err());
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
        /// Words' values are nginx's escape rewriting of their raw bytes,
        /// and tokens tile the input: whitespace between them only.
        #[test]
        fn values_match_raw_bytes(parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just("\\"), proptest::strategy::Just("$"),
                proptest::strategy::Just("("), proptest::strategy::Just("{"),
                proptest::strategy::Just("\""), proptest::strategy::Just("'"),
                proptest::strategy::Just(" "), proptest::strategy::Just(";"),
                proptest::strategy::Just("a"), proptest::strategy::Just("\u{e9}"),
                proptest::strategy::Just("\n"), proptest::strategy::Just("#"),
                proptest::strategy::Just("}"),
            ], 0..60)) {
            let s = parts.concat();
            let bytes = s.as_bytes();
            let mut lx = Lexer::new(bytes, FileId(0));
            let mut last_end = 0;
            loop {
                let t = lx.next_token();
                let span = match &t {
                    Token::Word(w) => w.span,
                    Token::Comment(c) => c.span,
                    Token::Semicolon(s) | Token::OpenBrace(s) | Token::CloseBrace(s) | Token::Eof(s) => *s,
                };
                proptest::prop_assert!(bytes[last_end..span.start()].iter().all(|&b| is_ws(b)), "{:?}", s);
                proptest::prop_assert!(span.end() > span.start() || matches!(t, Token::Eof(_)));
                last_end = span.end();
                match t {
                    Token::Word(w) => {
                        let raw = &bytes[w.span.start()..w.span.end()];
                        let inner = if w.quote.is_quoted() {
                            let Ok((_, q)) = quoted(raw) else {
                                return Err(proptest::test_runner::TestCaseError::fail(s.clone()));
                            };
                            q.body
                        } else {
                            raw
                        };
                        proptest::prop_assert_eq!(w.value, unescape(inner));
                    }
                    Token::Eof(_) => break,
                    _ => {}
                }
            }
            proptest::prop_assert_eq!(last_end, bytes.len());
        }
    }

    #[test]
    fn after_quote() {
        let mut lx = Lexer::new(b"a \"x\"#c;", FileId(0));
        while !matches!(lx.next_token(), Token::Eof(_)) {}
        assert_eq!(lx.errors[0].message, "unexpected \"#\"");
    }
}
