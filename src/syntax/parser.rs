//! Statement parser (`ngx_conf_parse`): words up to `;` or `{`, blocks up to
//! `}`. Iterative, with an explicit stack, so nesting depth is bounded only by
//! memory. It never aborts: each error is recorded with nginx's wording and
//! parsing resumes at the next `;`, `{` or `}` of the same depth.
//!
//! Large files are lexed on two cores: while this thread lexes and parses
//! the first part, another lexes the rest ahead from a line start and sends
//! its tokens in chunks. Lexing is deterministic from a token start, so as
//! soon as this thread's next token starts exactly where a token lexed ahead
//! starts, those tokens (and their errors) are what serial lexing would have
//! produced. Until then (a quote or a Lua body across the split point, a
//! Lua body later on, a chunk not there yet) this thread lexes itself; it
//! never waits for the other one. The tree and errors are identical either
//! way, whatever the timing.
//!
//! Directives and comments of open blocks wait on two shared stacks; a block
//! takes its own when it closes, in exactly sized `Vec`s (no regrowth
//! copies of large directives, no slack memory).

use super::ast::{Block, Comment, Directive, RawBody, Terminator, Word};
use super::errors::{SyntaxError, SyntaxErrorKind};
use super::lexer::{Lexer, Token};
use crate::source::{FileId, Span};

/// The result of parsing one file: a tree and every syntax error.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub file: FileId,
    pub root: Block,
    pub errors: Vec<SyntaxError>,
}

/// Directives whose `{ … }` body is Lua, read by the Lua lexer.
pub fn is_lua_block(name: &str) -> bool {
    name.ends_with("_by_lua_block")
}

/// Files at least this large are lexed on two cores.
pub const PARALLEL_MIN: usize = 256 * 1024;

/// Where the second core starts lexing: the first line start after a fifth
/// of the file. This core lexes and parses up to there, then parses the
/// tokens the other one lexed (lexing is over a third of the cost).
fn split_point(src: &[u8]) -> Option<usize> {
    if src.len() < PARALLEL_MIN {
        return None;
    }
    let from = src.len() / 5;
    memchr::memchr(b'\n', &src[from..]).map(|n| from + n + 1)
}

/// Tokens per chunk sent by the lexer ahead.
const CHUNK: usize = 1024;
/// Chunks lexed ahead and not yet taken, at most (about 4 MB).
const AHEAD_CHUNKS: usize = 64;

/// Parse one file's bytes (on two cores when the file is large).
pub fn parse(src: &[u8], file: FileId) -> ParsedFile {
    parse_split_at(src, file, split_point(src))
}

/// Parse with the second core lexing ahead from byte `split` (any offset;
/// `None`: serially). The result does not depend on `split` nor on timing;
/// this entry point exists so that tests can compare any split with the
/// serial parse.
pub fn parse_split_at(src: &[u8], file: FileId, split: Option<usize>) -> ParsedFile {
    let mut p = Parser::new(src, file);
    match split {
        Some(at) if at < src.len() => {
            let text = p.lx.text();
            // Bounded: if this thread falls behind (say in a long Lua body),
            // the lexer ahead waits instead of buffering the whole file.
            let (tx, rx) = std::sync::mpsc::sync_channel(AHEAD_CHUNKS);
            let done = std::sync::atomic::AtomicBool::new(false);
            p.ahead = Some(Ahead::new(rx, at));
            rayon::join(
                || {
                    p.run();
                    done.store(true, std::sync::atomic::Ordering::Relaxed);
                    // Dropping the receiver stops the lexer ahead.
                    p.ahead = None;
                },
                || lex_ahead(src, text, file, at, CHUNK, |c| tx.send(c).is_ok(), &done),
            );
        }
        _ => p.run(),
    }
    p.finish()
}

/// Like [`parse_split_at`], but with every chunk (of `chunk` tokens) lexed
/// ahead before parsing starts: deterministic, for tests of resyncing.
pub fn parse_lexed_ahead(src: &[u8], file: FileId, split: usize, chunk: usize) -> ParsedFile {
    let mut p = Parser::new(src, file);
    let (tx, rx) = std::sync::mpsc::channel();
    let done = std::sync::atomic::AtomicBool::new(false);
    let send = |c| tx.send(c).is_ok();
    lex_ahead(src, p.lx.text(), file, split, chunk.max(1), send, &done);
    p.ahead = Some(Ahead::new(rx, split));
    p.run();
    p.finish()
}

/// Lex from `from` to the end of file, sending tokens in chunks, each lexer
/// error tagged with the index in its chunk of the token that raised it.
/// Stops early once the parser is done or gone.
fn lex_ahead(
    src: &[u8],
    text: Option<&str>,
    file: FileId,
    from: usize,
    chunk: usize,
    send: impl Fn(Chunk) -> bool,
    done: &std::sync::atomic::AtomicBool,
) {
    let mut lx = Lexer::resume(src, text, file, from);
    loop {
        if done.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let mut tokens = Vec::with_capacity(chunk);
        let mut errors = Vec::new();
        let mut eof = false;
        while tokens.len() < chunk && !eof {
            let t = lx.next_token();
            let index = tokens.len();
            errors.extend(lx.errors.drain(..).map(|e| (index, e)));
            eof = matches!(t, Token::Eof(_));
            tokens.push(t);
        }
        if !send(Chunk { tokens, errors }) || eof {
            return;
        }
    }
}

struct Chunk {
    tokens: Vec<Token>,
    errors: Vec<(usize, SyntaxError)>,
}

/// The parser's side of the lexer ahead: chunks as they arrive, consumed
/// strictly forward. Never waits: a chunk not there yet means lexing here.
struct Ahead {
    rx: std::sync::mpsc::Receiver<Chunk>,
    tokens: std::iter::Peekable<std::vec::IntoIter<Token>>,
    errors: std::iter::Peekable<std::vec::IntoIter<(usize, SyntaxError)>>,
    /// Index in the current chunk of the token `tokens` yields next.
    index: usize,
    /// Where the lexer ahead started: no token of it starts before.
    from: usize,
    /// The parser takes its tokens from here (it is in sync).
    live: bool,
    /// Tokens to lex here before looking for a chunk again, after one was
    /// not there (keeps the checks cheap when the other core is busy).
    backoff: u32,
}

/// Tokens lexed here after finding no chunk, before looking again.
const BACKOFF: u32 = 64;

fn token_start(t: &Token) -> usize {
    match t {
        Token::Word(w) => w.span.start(),
        Token::Comment(c) => c.span.start(),
        Token::Semicolon(s) | Token::OpenBrace(s) | Token::CloseBrace(s) | Token::Eof(s) => {
            s.start()
        }
    }
}

fn token_end(t: &Token) -> usize {
    match t {
        Token::Word(w) => w.span.end(),
        Token::Comment(c) => c.span.end(),
        Token::Semicolon(s) | Token::OpenBrace(s) | Token::CloseBrace(s) | Token::Eof(s) => s.end(),
    }
}

impl Ahead {
    fn new(rx: std::sync::mpsc::Receiver<Chunk>, from: usize) -> Self {
        Ahead {
            rx,
            tokens: Vec::new().into_iter().peekable(),
            errors: Vec::new().into_iter().peekable(),
            index: 0,
            from,
            live: false,
            backoff: 0,
        }
    }

    /// Move to the next chunk if it has arrived.
    fn next_chunk(&mut self) -> bool {
        match self.rx.try_recv() {
            Ok(c) => {
                self.tokens = c.tokens.into_iter().peekable();
                self.errors = c.errors.into_iter().peekable();
                self.index = 0;
                true
            }
            Err(_) => {
                self.backoff = BACKOFF;
                false
            }
        }
    }

    /// Drop tokens that start before `pos`; is the next one at `pos`
    /// exactly? (Lexing from there gives the same tokens: take them.)
    fn sync(&mut self, pos: usize) -> bool {
        if pos < self.from {
            return false;
        }
        if self.backoff > 0 {
            self.backoff -= 1;
            return false;
        }
        loop {
            match self.tokens.peek() {
                Some(t) => {
                    let start = token_start(t);
                    if start >= pos {
                        return start == pos;
                    }
                    self.tokens.next();
                    self.index += 1;
                }
                None => {
                    if !self.next_chunk() {
                        return false;
                    }
                }
            }
        }
    }

    /// The next token lexed ahead, if it has arrived; its lexer errors go
    /// to `errors` in the order serial lexing records them.
    fn take(&mut self, errors: &mut Vec<SyntaxError>) -> Option<Token> {
        let t = match self.tokens.next() {
            Some(t) => t,
            None => {
                if !self.next_chunk() {
                    return None;
                }
                self.tokens.next()?
            }
        };
        let i = self.index;
        self.index += 1;
        while let Some((at, _)) = self.errors.peek() {
            if *at > i {
                break;
            }
            if let Some((at, e)) = self.errors.next() {
                if at == i {
                    errors.push(e);
                }
            }
        }
        Some(t)
    }
}

struct Frame {
    /// The directive that opened the block (`None` for a stray `{` and for
    /// the file's top level).
    head: Option<Directive>,
    open: Span,
    /// Where this block's directives and comments start on the shared stacks.
    directives: usize,
    comments: usize,
}

struct Parser<'a> {
    src: &'a [u8],
    file: FileId,
    lx: Lexer<'a>,
    ahead: Option<Ahead>,
    errors: Vec<SyntaxError>,
    stack: Vec<Frame>,
    words: Vec<Word>,
    directives: Vec<Directive>,
    comments: Vec<Comment>,
}

fn finish(words: &mut Vec<Word>, terminator: Terminator, end: Span) -> Option<Directive> {
    if words.is_empty() {
        return None;
    }
    // An exactly sized argument list, moved in one copy; `words` keeps its
    // buffer for the next statement.
    let args = words.split_off(1);
    let name = words.pop()?;
    let span = name.span.to(end);
    Some(Directive {
        name,
        args_dollar_or_paren: args.iter().any(|w| w.dollar_or_paren),
        args,
        block: None,
        raw: None,
        terminator,
        end,
        span,
    })
}

impl<'a> Parser<'a> {
    fn new(src: &'a [u8], file: FileId) -> Self {
        Parser {
            src,
            file,
            lx: Lexer::new(src, file),
            ahead: None,
            errors: Vec::new(),
            stack: vec![Frame {
                head: None,
                open: Span::new(file, 0, 0),
                directives: 0,
                comments: 0,
            }],
            words: Vec::new(),
            directives: Vec::new(),
            comments: Vec::new(),
        }
    }

    fn next_token(&mut self) -> Token {
        if let Some(a) = &mut self.ahead {
            if !a.live {
                let pos = self.lx.skip_whitespace();
                a.live = a.sync(pos);
            }
            if a.live {
                if let Some(t) = a.take(&mut self.lx.errors) {
                    // Where this thread's lexer resumes if it must.
                    self.lx.set_pos(token_end(&t));
                    return t;
                }
                a.live = false;
            }
        }
        self.lx.next_token()
    }

    /// Read a Lua body with this thread's lexer (the lexer ahead read it as
    /// nginx tokens), resyncing afterwards.
    fn lua_block(&mut self, open: Span) -> Option<(Span, Span)> {
        if let Some(a) = &mut self.ahead {
            a.live = false;
        }
        self.lx.lua_block(open)
    }

    /// Parse to the end of file.
    fn run(&mut self) {
        loop {
            let tok = self.next_token();
            if self.step(tok) {
                return;
            }
        }
    }

    fn push(&mut self, d: Directive) {
        self.directives.push(d);
    }

    /// Handle one token; true at end of file.
    fn step(&mut self, tok: Token) -> bool {
        match tok {
            Token::Word(w) => self.words.push(w),
            Token::Comment(c) => self.comments.push(c),
            Token::Semicolon(s) => match finish(&mut self.words, Terminator::Semicolon, s) {
                Some(d) => self.push(d),
                None => self.errors.push(SyntaxError {
                    kind: SyntaxErrorKind::EmptyStatement,
                    message: "unexpected \";\"".into(),
                    span: s,
                    related: None,
                }),
            },
            Token::OpenBrace(s) => {
                if self.words.is_empty() {
                    self.errors.push(SyntaxError {
                        kind: SyntaxErrorKind::UnexpectedBrace,
                        message: "unexpected \"{\"".into(),
                        span: s,
                        related: None,
                    });
                    // Parse the body anyway (its errors are real) and drop it.
                    self.open(None, s);
                } else if is_lua_block(&self.words[0].value) {
                    let src = self.src;
                    match self.lua_block(s) {
                        Some((body, close)) => {
                            if let Some(mut d) = finish(&mut self.words, Terminator::Block, s) {
                                d.raw = Some(Box::new(RawBody {
                                    text: String::from_utf8_lossy(&src[body.start()..body.end()])
                                        .into_owned(),
                                    span: s.to(close),
                                }));
                                d.span = d.name.span.to(close);
                                self.push(d);
                            }
                        }
                        None => {
                            if let Some(mut d) = finish(&mut self.words, Terminator::Block, s) {
                                d.raw = Some(Box::new(RawBody {
                                    text: String::from_utf8_lossy(&src[s.end()..]).into_owned(),
                                    span: Span::new(self.file, s.start(), src.len()),
                                }));
                                self.push(d);
                            }
                        }
                    }
                } else {
                    let head = finish(&mut self.words, Terminator::Block, s);
                    self.open(head, s);
                }
            }
            Token::CloseBrace(s) => {
                if let Some(d) = finish(&mut self.words, Terminator::Missing, s) {
                    self.errors.push(SyntaxError {
                        kind: SyntaxErrorKind::UnterminatedDirective,
                        message: "unexpected \"}\"".into(),
                        span: s,
                        related: Some((
                            d.head_span(),
                            format!("\"{}\" is missing its \";\"", d.name()),
                        )),
                    });
                    self.push(d);
                }
                if self.stack.len() == 1 {
                    if self.errors.last().map(|e| e.span) != Some(s) {
                        self.errors.push(SyntaxError {
                            kind: SyntaxErrorKind::UnexpectedBrace,
                            message: "unexpected \"}\"".into(),
                            span: s,
                            related: None,
                        });
                    }
                } else {
                    self.close(Some(s));
                }
            }
            Token::Eof(s) => {
                let words_cut_at_eof = !self.words.is_empty();
                if let Some(d) = finish(&mut self.words, Terminator::Missing, s) {
                    self.errors.push(SyntaxError {
                        kind: SyntaxErrorKind::UnterminatedDirective,
                        message: "unexpected end of file, expecting \";\" or \"}\"".into(),
                        span: s,
                        related: Some((
                            d.head_span(),
                            format!("\"{}\" is missing its \";\"", d.name()),
                        )),
                    });
                    self.push(d);
                }
                // One error per cause: an unterminated statement or Lua
                // block at end of file already says the file ended early.
                let eof_reported = words_cut_at_eof
                    || self
                        .lx
                        .errors
                        .iter()
                        .any(|e| e.kind == SyntaxErrorKind::UnterminatedLua);
                if self.stack.len() > 1 && !eof_reported {
                    let opener = self
                        .stack
                        .last()
                        .and_then(|f| f.head.as_ref())
                        .map(|d| (d.name.value.clone(), d.end));
                    self.errors.push(SyntaxError {
                        kind: SyntaxErrorKind::UnexpectedEof,
                        message: "unexpected end of file, expecting \"}\"".into(),
                        span: s,
                        related: opener
                            .map(|(n, o)| (o, format!("this \"{n}\" block is never closed"))),
                    });
                }
                while self.stack.len() > 1 {
                    self.close(None);
                }
                return true;
            }
        }
        false
    }

    fn open(&mut self, head: Option<Directive>, open: Span) {
        self.stack.push(Frame {
            head,
            open,
            directives: self.directives.len(),
            comments: self.comments.len(),
        });
    }

    fn close(&mut self, close: Option<Span>) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let Some(mut d) = frame.head else {
            // stray `{ … }`: reported already, body dropped
            self.directives.truncate(frame.directives);
            self.comments.truncate(frame.comments);
            return;
        };
        let block = Block {
            directives: self.directives.split_off(frame.directives),
            comments: self.comments.split_off(frame.comments),
            open: frame.open,
            close,
        };
        d.span = d.name.span.to(close.unwrap_or(frame.open));
        d.block = Some(Box::new(block));
        self.push(d);
    }

    fn finish(mut self) -> ParsedFile {
        let mut all = std::mem::take(&mut self.lx.errors);
        all.append(&mut self.errors);
        all.sort_by_key(|e| (e.span.start(), e.span.end()));
        all.dedup_by(|a, b| a.span.start() == b.span.start() && a.message == b.message);
        let mut directives = std::mem::take(&mut self.directives);
        let mut comments = std::mem::take(&mut self.comments);
        directives.shrink_to_fit();
        comments.shrink_to_fit();
        ParsedFile {
            file: self.file,
            root: Block {
                directives,
                comments,
                open: Span::new(self.file, 0, 0),
                close: None,
            },
            errors: all,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ParsedFile {
        parse(s.as_bytes(), FileId(0))
    }

    #[test]
    fn simple_tree() {
        let f = p("events {}\nhttp { server { listen 80; } }\n");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.root.directives.len(), 2);
        let http = &f.root.directives[1];
        let server = &http.block.as_ref().unwrap().directives[0];
        assert_eq!(
            server.block.as_ref().unwrap().directives[0].args[0].value,
            "80"
        );
    }

    #[test]
    fn recovers_and_reports_all() {
        let f = p("a;;\nhttp {\n  x 1 }\n}\nb 2;\n");
        let msgs: Vec<_> = f
            .errors
            .iter()
            .map(|e| (e.kind, e.message.as_str()))
            .collect();
        assert_eq!(
            msgs,
            [
                (SyntaxErrorKind::EmptyStatement, "unexpected \";\""),
                (SyntaxErrorKind::UnterminatedDirective, "unexpected \"}\""),
                (SyntaxErrorKind::UnexpectedBrace, "unexpected \"}\""),
            ]
        );
        assert_eq!(f.root.directives.len(), 3);
    }

    #[test]
    fn eof_in_block() {
        let f = p("http {\n server {\n");
        assert_eq!(f.errors.len(), 1);
        assert_eq!(f.errors[0].kind, SyntaxErrorKind::UnexpectedEof);
        assert_eq!(f.root.directives.len(), 1);
    }

    #[test]
    fn lua_block() {
        let f = p(
            "content_by_lua_block { local s = \"}\" -- }\n local t = [[ } ]] if x then end }\nx 1;",
        );
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.root.directives.len(), 2);
        assert!(f.root.directives[0]
            .raw
            .as_ref()
            .unwrap()
            .text
            .contains("[[ } ]]"));
    }

    #[test]
    fn wide_and_nested_tree_walks_and_drops() {
        let s = "s { l1 { a 1; b { c 2 3; } } l2 { d; } }\n".repeat(1000);
        let f = p(&s);
        assert!(f.errors.is_empty());
        assert_eq!(f.root.directives.len(), 1000);
        assert_eq!(f.root.walk().count(), 7000);
        let c = f
            .root
            .walk()
            .find(|(_, d)| d.name() == "c")
            .map(|(_, d)| d.args.len());
        assert_eq!(c, Some(2));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let n = 100_000;
        let s = format!("{}{}", "a {".repeat(n), "}".repeat(n));
        let f = p(&s);
        assert!(f.errors.is_empty());
        assert_eq!(f.root.walk().count(), n);
    }
}

#[cfg(test)]
mod eof_tests {
    use super::*;

    #[test]
    fn one_error_per_cause_at_eof() {
        let f = parse(b"http {\n server {\n  listen 80", FileId(0));
        assert_eq!(f.errors.len(), 1, "{:?}", f.errors);
        assert_eq!(f.errors[0].kind, SyntaxErrorKind::UnterminatedDirective);
        // the tree is still closed and complete
        assert_eq!(f.root.walk().count(), 3);
        let f = parse(b"http { content_by_lua_block { local t = { {\n", FileId(0));
        assert_eq!(f.errors.len(), 1, "{:?}", f.errors);
        assert_eq!(f.errors[0].kind, SyntaxErrorKind::UnterminatedLua);
    }
}
