//! Statement parser (`ngx_conf_parse`): words up to `;` or `{`, blocks up to
//! `}`. Iterative, with an explicit stack, so nesting depth is bounded only by
//! memory. It never aborts: each error is recorded with nginx's wording and
//! parsing resumes at the next `;`, `{` or `}` of the same depth.

use super::ast::{Block, Directive, RawBody, Terminator, Word};
use super::errors::{SyntaxError, SyntaxErrorKind};
use super::lexer::{Lexer, Token};
use super::source::{FileId, Span};

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

struct Frame {
    /// The directive that opened the block (`None` for a stray `{`).
    head: Option<(Vec<Word>, Span)>,
    block: Block,
}

/// Parse one file's bytes.
pub fn parse(src: &[u8], file: FileId) -> ParsedFile {
    let mut lx = Lexer::new(src, file);
    let mut errors: Vec<SyntaxError> = Vec::new();
    let mut stack: Vec<Frame> = vec![Frame {
        head: None,
        block: Block::opened(Span::new(file, 0, 0)),
    }];
    let mut words: Vec<Word> = Vec::new();

    fn finish(words: &mut Vec<Word>, terminator: Terminator, end: Span) -> Option<Directive> {
        if words.is_empty() {
            return None;
        }
        // Drain (keeping `words`' buffer for the next statement) into an
        // exactly sized argument list.
        let mut args: Vec<Word> = Vec::with_capacity(words.len() - 1);
        let mut it = words.drain(..);
        let name = it.next()?;
        args.extend(it);
        let span = name.span.to(end);
        Some(Directive {
            name,
            args,
            block: None,
            raw: None,
            terminator,
            end,
            span,
        })
    }

    loop {
        let tok = lx.next_token();
        let top = stack.len() - 1;
        match tok {
            Token::Word(w) => words.push(w),
            Token::Comment(c) => stack[top].block.comments.push(c),
            Token::Semicolon(s) => match finish(&mut words, Terminator::Semicolon, s) {
                Some(d) => stack[top].block.directives.push(d),
                None => errors.push(SyntaxError {
                    kind: SyntaxErrorKind::EmptyStatement,
                    message: "unexpected \";\"".into(),
                    span: s,
                    related: None,
                }),
            },
            Token::OpenBrace(s) => {
                if words.is_empty() {
                    errors.push(SyntaxError {
                        kind: SyntaxErrorKind::UnexpectedBrace,
                        message: "unexpected \"{\"".into(),
                        span: s,
                        related: None,
                    });
                    // Parse the body anyway (its errors are real) and drop it.
                    stack.push(Frame {
                        head: None,
                        block: Block::opened(s),
                    });
                } else if is_lua_block(&words[0].value) {
                    match lx.lua_block(s) {
                        Some((body, close)) => {
                            if let Some(mut d) = finish(&mut words, Terminator::Block, s) {
                                d.raw = Some(Box::new(RawBody {
                                    text: String::from_utf8_lossy(&src[body.start..body.end])
                                        .into_owned(),
                                    span: s.to(close),
                                }));
                                d.span = d.name.span.to(close);
                                stack[top].block.directives.push(d);
                            }
                        }
                        None => {
                            if let Some(mut d) = finish(&mut words, Terminator::Block, s) {
                                d.raw = Some(Box::new(RawBody {
                                    text: String::from_utf8_lossy(&src[s.end..]).into_owned(),
                                    span: Span::new(file, s.start, src.len()),
                                }));
                                stack[top].block.directives.push(d);
                            }
                        }
                    }
                } else {
                    let head = std::mem::take(&mut words);
                    stack.push(Frame {
                        head: Some((head, s)),
                        block: Block::opened(s),
                    });
                }
            }
            Token::CloseBrace(s) => {
                if let Some(d) = finish(&mut words, Terminator::Missing, s) {
                    errors.push(SyntaxError {
                        kind: SyntaxErrorKind::UnterminatedDirective,
                        message: "unexpected \"}\"".into(),
                        span: s,
                        related: Some((
                            d.head_span(),
                            format!("\"{}\" is missing its \";\"", d.name()),
                        )),
                    });
                    stack[top].block.directives.push(d);
                }
                if stack.len() == 1 {
                    if errors.last().map(|e| e.span) != Some(s) {
                        errors.push(SyntaxError {
                            kind: SyntaxErrorKind::UnexpectedBrace,
                            message: "unexpected \"}\"".into(),
                            span: s,
                            related: None,
                        });
                    }
                } else {
                    close_frame(&mut stack, Some(s));
                }
            }
            Token::Eof(s) => {
                let words_cut_at_eof = !words.is_empty();
                if let Some(d) = finish(&mut words, Terminator::Missing, s) {
                    errors.push(SyntaxError {
                        kind: SyntaxErrorKind::UnterminatedDirective,
                        message: "unexpected end of file, expecting \";\" or \"}\"".into(),
                        span: s,
                        related: Some((
                            d.head_span(),
                            format!("\"{}\" is missing its \";\"", d.name()),
                        )),
                    });
                    stack[top].block.directives.push(d);
                }
                // One error per cause: an unterminated statement or Lua
                // block at end of file already says the file ended early.
                let eof_reported = words_cut_at_eof
                    || lx
                        .errors
                        .iter()
                        .any(|e| e.kind == SyntaxErrorKind::UnterminatedLua);
                if stack.len() > 1 && !eof_reported {
                    let opener = stack[stack.len() - 1]
                        .head
                        .as_ref()
                        .map(|(w, o)| (w[0].value.clone(), *o));
                    errors.push(SyntaxError {
                        kind: SyntaxErrorKind::UnexpectedEof,
                        message: "unexpected end of file, expecting \"}\"".into(),
                        span: s,
                        related: opener
                            .map(|(n, o)| (o, format!("this \"{n}\" block is never closed"))),
                    });
                }
                while stack.len() > 1 {
                    close_frame(&mut stack, None);
                }
                break;
            }
        }
    }

    let mut all = lx.errors;
    all.append(&mut errors);
    all.sort_by_key(|e| (e.span.start, e.span.end));
    all.dedup_by(|a, b| a.span.start == b.span.start && a.message == b.message);
    let root = stack.pop().map(|f| f.block).unwrap_or_default();
    ParsedFile {
        file,
        root,
        errors: all,
    }
}

fn close_frame(stack: &mut Vec<Frame>, close: Option<Span>) {
    let Some(mut frame) = stack.pop() else { return };
    frame.block.close = close;
    let Some((words, open)) = frame.head.take() else {
        return; // stray `{ … }`: reported already, body dropped
    };
    let end = close.unwrap_or(open);
    let mut it = words.into_iter();
    let Some(name) = it.next() else { return };
    let args: Vec<Word> = it.collect();
    let span = name.span.to(end);
    let d = Directive {
        name,
        args,
        block: Some(Box::new(frame.block)),
        raw: None,
        terminator: Terminator::Block,
        end: open,
        span,
    };
    if let Some(parent) = stack.last_mut() {
        parent.block.directives.push(d);
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
