//! Statement parser (`ngx_conf_parse`): words up to `;` or `{`, blocks up to
//! `}`. The lexer's nom combinators recognise tokens; this is an explicit
//! loop over them, because it owns what a combinator grammar does badly:
//! recovery. It never aborts: each error is recorded with nginx's wording
//! (one per cause) and parsing resumes at the next `;`, `{` or `}` of the
//! same depth. Open blocks live on an explicit stack, so nesting depth is
//! bounded only by memory.
//!
//! Directives and comments of open blocks wait on two shared stacks; a block
//! takes its own when it closes, in exactly sized `Vec`s (no regrowth
//! copies of large directives, no slack memory).

use super::ast::{Block, Comment, Directive, RawBody, Terminator, Word};
use super::errors::{Listed, SyntaxError, SyntaxErrorKind};
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

/// Parse one file's bytes.
pub fn parse(src: &[u8], file: FileId) -> ParsedFile {
    let mut p = Parser::new(src, file);
    p.run();
    p.finish()
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
    errors: Listed,
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
    let args = words.split_off(1).into_boxed_slice();
    let name = words.pop()?;
    Some(Directive::new(name, args, terminator, end))
}

impl<'a> Parser<'a> {
    fn new(src: &'a [u8], file: FileId) -> Self {
        Parser {
            src,
            file,
            lx: Lexer::new(src, file),
            errors: Listed::default(),
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

    /// Parse to the end of file.
    fn run(&mut self) {
        loop {
            let tok = self.lx.next_token();
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
                    match self.lx.lua_block(s) {
                        Some((body, close)) => {
                            if let Some(mut d) = finish(&mut self.words, Terminator::Block, s) {
                                d.set_raw(RawBody {
                                    text: String::from_utf8_lossy(&src[body.start()..body.end()])
                                        .into_owned(),
                                    span: s.to(close),
                                });
                                d.extend_to(close);
                                self.push(d);
                            }
                        }
                        None => {
                            if let Some(mut d) = finish(&mut self.words, Terminator::Block, s) {
                                d.set_raw(RawBody {
                                    text: String::from_utf8_lossy(&src[s.end()..]).into_owned(),
                                    span: Span::new(self.file, s.start(), src.len()),
                                });
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
                        .map(|d| (d.name.value.clone(), d.end()));
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
        d.extend_to(close.unwrap_or(frame.open));
        d.set_block(block);
        self.push(d);
    }

    fn finish(mut self) -> ParsedFile {
        let all = Listed::merge(
            std::mem::take(&mut self.lx.errors),
            std::mem::take(&mut self.errors),
        );
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
        let server = &http.block().unwrap().directives[0];
        assert_eq!(server.block().unwrap().directives[0].args[0].value, "80");
    }

    /// The tree is most of a lint's memory: a directive every 25-40 bytes
    /// of config. A field added to `Directive` or `Word` shows here first.
    #[test]
    fn tree_nodes_stay_small() {
        assert!(std::mem::size_of::<Directive>() <= 80);
        assert!(std::mem::size_of::<Word>() <= 40);
    }

    #[test]
    fn spans_of_statements_and_their_ends() {
        let src = "a 1;\nb { c; }\nd {\n";
        let f = p(src);
        let text = |s: Span| &src[s.start()..s.end()];
        let [a, b, d] = &f.root.directives[..] else {
            panic!("{:?}", f.root.directives);
        };
        assert_eq!((text(a.span()), text(a.end())), ("a 1;", ";"));
        assert_eq!((text(b.span()), text(b.end())), ("b { c; }", "{"));
        let c = &b.block().unwrap().directives[0];
        assert_eq!((text(c.span()), text(c.end())), ("c;", ";"));
        // an unclosed block ends at its `{`
        assert_eq!((text(d.span()), text(d.end())), ("d {", "{"));
        assert_eq!(a.file(), FileId(0));
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
            .raw()
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
