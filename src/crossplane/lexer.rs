//! crossplane's lexer, reproduced quirk for quirk.
//!
//! crossplane (0.5.8) does not lex like nginx: `{`, `}` and `;` end any
//! unquoted token, a quote inside a token is an ordinary character, `${…}`
//! swallows up to the next `}`, a backslash glues itself to the next
//! character, an unfinished token at end of file is dropped, and thirteen
//! `*_by_lua_block` names switch to its small Lua block lexer. Brace balance
//! is checked while the tokens are pulled. This module mirrors that
//! behaviour on the decoded text (see [`decode`]), so that
//! `parse --format crossplane` gives byte-identical JSON.
//!
//! It is a pull lexer: tokens borrow the source whenever crossplane's token
//! is a contiguous slice of it (all but quoted strings containing an escaped
//! quote), so lexing a large file allocates almost nothing.

use std::borrow::Cow;
use std::collections::VecDeque;

/// Python's `str.isspace()` for one code point.
pub fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Decode a file the way crossplane opens it: UTF-8 with `errors='replace'`
/// and universal newlines (`\r\n` and lone `\r` become `\n`).
pub fn decode(bytes: Vec<u8>) -> String {
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    if !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('\n') {
            rest = r;
        }
    }
    out.push_str(rest);
    out
}

/// The 13 directive names crossplane's Lua extension lexes as one block.
pub fn is_lua_block(name: &str) -> bool {
    matches!(
        name,
        "access_by_lua_block"
            | "balancer_by_lua_block"
            | "body_filter_by_lua_block"
            | "content_by_lua_block"
            | "header_filter_by_lua_block"
            | "init_by_lua_block"
            | "init_worker_by_lua_block"
            | "log_by_lua_block"
            | "rewrite_by_lua_block"
            | "set_by_lua_block"
            | "ssl_certificate_by_lua_block"
            | "ssl_session_fetch_by_lua_block"
            | "ssl_session_store_by_lua_block"
    )
}

/// One token: its text, the line it starts on, whether it was quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok<'a> {
    pub text: Cow<'a, str>,
    pub line: u32,
    pub quoted: bool,
}

impl Tok<'_> {
    /// An unquoted token equal to `s` (`{`, `}` or `;` as syntax).
    pub fn is(&self, s: &str) -> bool {
        !self.quoted && self.text == s
    }
}

/// A lexing error that ends the file, already worded as crossplane prints
/// it (`unexpected "}" in nginx.conf:3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub message: String,
    pub line: u32,
}

/// One lexer "character": a code point, or a backslash with the character
/// after it (crossplane's `_iterescape`). `line` counts newlines up to and
/// including this unit (`_iterlinecount`).
#[derive(Debug, Clone, Copy)]
struct Unit {
    start: usize,
    end: usize,
    c: char,
    /// The escaped character when this unit is a backslash pair.
    second: Option<char>,
    line: u32,
}

impl Unit {
    fn is(&self, ch: char) -> bool {
        self.second.is_none() && self.c == ch
    }
    fn is_space(&self) -> bool {
        self.second.is_none() && py_isspace(self.c)
    }
    fn ends_nl(&self) -> bool {
        self.second.unwrap_or(self.c) == '\n'
    }
}

/// Bytes that [`Units::plain_run`] may take.
static PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = !matches!(
            c,
            b'\t'..=b'\r' | 0x1c..=0x1f | b' ' | b'{' | b'}' | b';' | b'"' | b'\'' | b'\\'
        );
        i += 1;
    }
    t
};

struct Units<'a> {
    src: &'a str,
    pos: usize,
    line: u32,
}

impl Units<'_> {
    fn char_at(&self, i: usize) -> Option<char> {
        let b = *self.src.as_bytes().get(i)?;
        if b < 0x80 {
            Some(b as char)
        } else {
            self.src.get(i..)?.chars().next()
        }
    }

    /// Skip ASCII whitespace bytes (counting newlines): the same as
    /// taking whitespace units one by one, only faster.
    fn skip_ascii_space(&mut self) {
        let b = self.src.as_bytes();
        let mut i = self.pos;
        while let Some(&c) = b.get(i) {
            match c {
                b'\n' => self.line += 1,
                b'\t' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f | b' ' => {}
                _ => break,
            }
            i += 1;
        }
        self.pos = i;
    }

    /// Length of the run of "plain" bytes at the cursor: ASCII bytes that
    /// are not whitespace, a quote, a backslash or `{`, `}`, `;`. Inside an
    /// unquoted token each of them is simply appended.
    fn plain_run(&self) -> usize {
        self.src.as_bytes()[self.pos..]
            .iter()
            .take_while(|&&c| PLAIN[c as usize])
            .count()
    }

    fn next(&mut self) -> Option<Unit> {
        let start = self.pos;
        let c = self.char_at(start)?;
        let mut end = start + c.len_utf8();
        let mut second = None;
        if c == '\\' {
            match self.char_at(end) {
                Some(s) => {
                    end += s.len_utf8();
                    second = Some(s);
                }
                None => {
                    // A trailing backslash ends the stream (StopIteration
                    // inside `_iterescape`, swallowed by `fix_pep_479`).
                    self.pos = self.src.len();
                    return None;
                }
            }
        }
        self.pos = end;
        let u = Unit {
            start,
            end,
            c,
            second,
            line: 0,
        };
        if u.ends_nl() {
            self.line += 1;
        }
        Some(Unit {
            line: self.line,
            ..u
        })
    }
}

enum State {
    Running,
    Ended,
    Failed(LexError),
}

enum Lua {
    Done,
    Eof,
    Failed,
}

/// crossplane's `lex()` (with `_balance_braces`) as a pull iterator.
pub struct Lexer<'a> {
    src: &'a str,
    filename: &'a str,
    units: Units<'a>,
    queue: VecDeque<Tok<'a>>,
    state: State,
    next_is_directive: bool,
    depth: i64,
    last_line: u32,
    /// The token being built, as a byte range of `src` (always contiguous).
    tok: Option<(usize, usize)>,
    tok_line: u32,
}

impl<'a> Lexer<'a> {
    /// `filename` is only used in error messages.
    pub fn new(src: &'a str, filename: &'a str) -> Self {
        Lexer {
            src,
            filename,
            units: Units {
                src,
                pos: 0,
                line: 1,
            },
            queue: VecDeque::new(),
            state: State::Running,
            next_is_directive: true,
            depth: 0,
            last_line: 0,
            tok: None,
            tok_line: 0,
        }
    }

    /// The next token, `None` at a clean end, or the error that ends the
    /// file (after every token before it was returned).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Tok<'a>>, LexError> {
        loop {
            if let Some(t) = self.queue.pop_front() {
                return Ok(Some(t));
            }
            match &self.state {
                State::Running => self.step(),
                State::Ended => {
                    if self.depth > 0 {
                        self.fail(
                            r#"unexpected end of file, expecting "}""#.to_string(),
                            self.last_line,
                        );
                    } else {
                        return Ok(None);
                    }
                }
                State::Failed(e) => return Err(e.clone()),
            }
        }
    }

    fn fail(&mut self, reason: String, line: u32) {
        if matches!(self.state, State::Failed(_)) {
            return;
        }
        let message = format!("{reason} in {}:{line}", self.filename);
        self.state = State::Failed(LexError { message, line });
    }

    fn finish(&mut self) {
        if matches!(self.state, State::Running) {
            self.state = State::Ended;
        }
    }

    /// Hand a token to the brace balancer, then to the queue.
    fn emit(&mut self, text: Cow<'a, str>, line: u32, quoted: bool) {
        if !matches!(self.state, State::Running) {
            return;
        }
        if !quoted {
            if text == "}" {
                self.depth -= 1;
                if self.depth < 0 {
                    self.fail(r#"unexpected "}""#.to_string(), line);
                    return;
                }
            } else if text == "{" {
                self.depth += 1;
            }
        }
        self.last_line = line;
        self.queue.push_back(Tok { text, line, quoted });
    }

    fn push_unit(&mut self, u: Unit) {
        self.tok = match self.tok {
            None => Some((u.start, u.end)),
            Some((s, e)) => {
                debug_assert_eq!(e, u.start);
                Some((s, u.end))
            }
        };
    }

    fn tok_last_char(&self) -> Option<char> {
        let (s, e) = self.tok?;
        self.src[s..e].chars().next_back()
    }

    /// One turn of the main loop of crossplane's `_lex_file_object`.
    fn step(&mut self) {
        let src = self.src;
        let Some(mut c) = self.units.next() else {
            // An unfinished token at end of file is dropped.
            return self.finish();
        };

        if c.is_space() {
            if let Some((s, e)) = self.tok.take() {
                let text = &src[s..e];
                self.emit(Cow::Borrowed(text), self.tok_line, false);
                if self.next_is_directive && is_lua_block(text) {
                    match self.lua(text) {
                        Lua::Done => self.next_is_directive = true,
                        Lua::Eof => return self.finish(),
                        Lua::Failed => return,
                    }
                } else {
                    self.next_is_directive = false;
                }
            }
            while c.is_space() {
                self.units.skip_ascii_space();
                match self.units.next() {
                    Some(u) => c = u,
                    None => return self.finish(),
                }
            }
        }

        if self.tok.is_none() && c.is('#') {
            let start = c.start;
            let line = c.line;
            let bytes = src.as_bytes();
            loop {
                // Up to the next newline or backslash (a backslash pair
                // ending in a newline also ends the comment).
                match memchr::memchr2(b'\n', b'\\', &bytes[self.units.pos..]) {
                    Some(k) => self.units.pos += k,
                    None => {
                        self.units.pos = bytes.len();
                        return self.finish();
                    }
                }
                match self.units.next() {
                    Some(u) if u.ends_nl() => {
                        c = u;
                        break;
                    }
                    Some(_) => {}
                    None => return self.finish(),
                }
            }
            self.emit(Cow::Borrowed(&src[start..c.start]), line, false);
            return;
        }

        if self.tok.is_none() {
            self.tok_line = c.line;
        }

        // Parameter expansion: `${` runs to the next `}` or whitespace.
        if c.is('{') && self.tok.is_some() && self.tok_last_char() == Some('$') {
            self.next_is_directive = false;
            while self.tok_last_char() != Some('}') && !c.is_space() {
                self.push_unit(c);
                match self.units.next() {
                    Some(u) => c = u,
                    None => return self.finish(),
                }
            }
        }

        if c.is('"') || c.is('\'') {
            if self.tok.is_some() {
                self.push_unit(c);
                return;
            }
            let quote = c.c;
            let Some(text) = self.quoted_body(quote) else {
                return self.finish();
            };
            let lua = self.next_is_directive && is_lua_block(&text);
            let name = if lua { Some(text.clone()) } else { None };
            self.emit(text, self.tok_line, true);
            match name {
                Some(name) => match self.lua(&name) {
                    Lua::Done => self.next_is_directive = true,
                    Lua::Eof => return self.finish(),
                    Lua::Failed => return,
                },
                None => self.next_is_directive = false,
            }
            return;
        }

        if c.is('{') || c.is('}') || c.is(';') {
            if let Some((s, e)) = self.tok.take() {
                self.emit(Cow::Borrowed(&src[s..e]), self.tok_line, false);
            }
            self.emit(Cow::Borrowed(&src[c.start..c.end]), c.line, false);
            self.next_is_directive = true;
            return;
        }

        self.push_unit(c);
        let run = self.units.plain_run();
        if run > 0 {
            self.units.pos += run;
            if let Some((_, e)) = self.tok.as_mut() {
                *e += run;
            }
        }
    }

    /// The body of a quoted token, after its opening quote, up to and
    /// including the closing quote; `None` at end of file. Only a
    /// backslash before the same quote is unescaped.
    fn quoted_body(&mut self, quote: char) -> Option<Cow<'a, str>> {
        let src = self.src;
        let bytes = src.as_bytes();
        let q = quote as u8;
        let start = self.units.pos;
        let mut owned: Option<String> = None;
        let mut seg = start;
        loop {
            let k = memchr::memchr3(q, b'\\', b'\n', &bytes[self.units.pos..])?;
            let p = self.units.pos + k;
            match bytes[p] {
                b'\n' => {
                    self.units.line += 1;
                    self.units.pos = p + 1;
                }
                b'\\' => {
                    self.units.pos = p;
                    let u = self.units.next()?;
                    if u.second == Some(quote) {
                        let o = owned.get_or_insert_with(String::new);
                        o.push_str(&src[seg..p]);
                        o.push(quote);
                        seg = u.end;
                    }
                }
                _ => {
                    self.units.pos = p + 1;
                    return Some(match owned {
                        Some(mut o) => {
                            o.push_str(&src[seg..p]);
                            Cow::Owned(o)
                        }
                        None => Cow::Borrowed(&src[start..p]),
                    });
                }
            }
        }
    }

    /// crossplane's `LuaBlockPlugin.lex`: the body up to the matching `}`
    /// becomes one quoted token followed by `;`.
    fn lua(&mut self, directive: &str) -> Lua {
        let src = self.src;
        if directive == "set_by_lua_block" {
            let mut arg: Option<(usize, usize)> = None;
            loop {
                let Some(mut c) = self.units.next() else {
                    return Lua::Eof;
                };
                if c.is_space() {
                    if let Some((s, e)) = arg {
                        self.emit(Cow::Borrowed(&src[s..e]), c.line, false);
                        break;
                    }
                    while c.is_space() {
                        match self.units.next() {
                            Some(u) => c = u,
                            None => return Lua::Eof,
                        }
                    }
                }
                arg = Some(match arg {
                    None => (c.start, c.end),
                    Some((s, _)) => (s, c.end),
                });
            }
        }

        let mut c = loop {
            match self.units.next() {
                Some(u) if u.is_space() => continue,
                Some(u) => break u,
                None => return Lua::Eof,
            }
        };
        if !c.is('{') {
            let message = format!("expected {{ to start Lua block in None:{}", c.line);
            if matches!(self.state, State::Running) {
                self.state = State::Failed(LexError {
                    message,
                    line: c.line,
                });
            }
            return Lua::Failed;
        }
        let body_start = c.end;
        let mut depth = 1u32;
        let mut pending: Option<Unit> = None;
        loop {
            c = match pending.take().or_else(|| self.units.next()) {
                Some(u) => u,
                None => return Lua::Eof,
            };
            if c.is('-') {
                let Some(n) = self.units.next() else {
                    return Lua::Eof;
                };
                if n.is('-') {
                    c = n;
                    while !c.is('\n') {
                        match self.units.next() {
                            Some(u) => c = u,
                            None => return Lua::Eof,
                        }
                    }
                } else {
                    pending = Some(n);
                }
            } else if c.is('{') {
                depth += 1;
            } else if c.is('}') {
                depth -= 1;
            } else if c.is('"') || c.is('\'') {
                let quote = c.c;
                loop {
                    match self.units.next() {
                        Some(u) => c = u,
                        None => return Lua::Eof,
                    }
                    if c.is(quote) {
                        break;
                    }
                }
            }
            if depth == 0 {
                self.emit(Cow::Borrowed(&src[body_start..c.start]), c.line, true);
                self.emit(Cow::Borrowed(";"), c.line, false);
                return Lua::Done;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str) -> (Vec<(String, u32, bool)>, Option<String>) {
        let mut lx = Lexer::new(src, "t.conf");
        let mut out = Vec::new();
        loop {
            match lx.next() {
                Ok(Some(t)) => out.push((t.text.into_owned(), t.line, t.quoted)),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e.message)),
            }
        }
    }

    fn texts(src: &str) -> Vec<String> {
        lex(src).0.into_iter().map(|t| t.0).collect()
    }

    #[test]
    fn braces_and_semicolons_end_tokens() {
        assert_eq!(texts("a{b}c;\n"), ["a", "{", "b", "}", "c", ";"]);
    }

    #[test]
    fn unfinished_token_at_eof_is_dropped() {
        assert_eq!(texts("a b"), ["a"]);
        assert_eq!(texts("a b\n"), ["a", "b"]);
    }

    #[test]
    fn quote_inside_token_is_plain() {
        assert_eq!(texts("a b\"c d\";\n"), ["a", "b\"c", "d\"", ";"]);
    }

    #[test]
    fn escaped_quote_unescaped_only_for_its_own_quote() {
        let (t, _) = lex(r#"a "x\"y\'z\\w";"#);
        assert_eq!(t[1], (r#"x"y\'z\\w"#.to_string(), 1, true));
    }

    #[test]
    fn parameter_expansion_keeps_braces_and_spaces() {
        assert_eq!(texts("a ${x}y;\n"), ["a", "${x}y", ";"]);
        // The whitespace that stops `${` is appended to the token.
        assert_eq!(texts("a ${ x;\n"), ["a", "${ x", ";"]);
    }

    #[test]
    fn comment_lines_and_lines() {
        let (t, e) = lex("a b; # c d\n\ne;\n");
        assert_eq!(e, None);
        assert_eq!(t[3], ("# c d".to_string(), 1, false));
        assert_eq!(t[4], ("e".to_string(), 3, false));
    }

    #[test]
    fn backslash_pairs_stay_in_tokens() {
        assert_eq!(texts("a \\;b;\n"), ["a", "\\;b", ";"]);
        // A trailing backslash ends the stream.
        assert_eq!(texts("a b \\"), ["a", "b"]);
    }

    #[test]
    fn balance_errors() {
        assert_eq!(
            lex("a;\n}\n").1.as_deref(),
            Some(r#"unexpected "}" in t.conf:2"#)
        );
        assert_eq!(
            lex("a {\nb;\n").1.as_deref(),
            Some(r#"unexpected end of file, expecting "}" in t.conf:2"#)
        );
    }

    #[test]
    fn lua_block_is_one_token() {
        let (t, e) =
            lex("content_by_lua_block {\n  if x then -- }\n ngx.say(\"}\") end\n}\nnext;\n");
        assert_eq!(e, None);
        assert_eq!(t[0].0, "content_by_lua_block");
        assert_eq!(t[1].0, "\n  if x then -- }\n ngx.say(\"}\") end\n");
        assert!(t[1].2);
        assert_eq!(t[2].0, ";");
        assert_eq!(t[3], ("next".to_string(), 5, false));
    }

    #[test]
    fn set_by_lua_block_takes_one_argument() {
        assert_eq!(
            texts("set_by_lua_block $v { return 1 }\n"),
            ["set_by_lua_block", "$v", " return 1 ", ";"]
        );
    }

    #[test]
    fn lua_block_without_brace_is_an_error() {
        assert_eq!(
            lex("content_by_lua_block x;\n").1.as_deref(),
            Some("expected { to start Lua block in None:1")
        );
    }

    #[test]
    fn lua_name_as_argument_is_plain() {
        assert_eq!(
            texts("a content_by_lua_block {\n}\n"),
            ["a", "content_by_lua_block", "{", "}"]
        );
    }

    #[test]
    fn decode_universal_newlines_and_replacement() {
        assert_eq!(decode(b"a\r\nb\rc\n".to_vec()), "a\nb\nc\n");
        assert_eq!(decode(b"a\xffb".to_vec()), "a\u{fffd}b");
    }

    #[test]
    fn python_whitespace() {
        assert!(py_isspace('\u{1c}') && py_isspace('\u{a0}') && py_isspace('\u{3000}'));
        assert!(!py_isspace('\u{feff}') && !py_isspace('x'));
    }
}
