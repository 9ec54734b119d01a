//! Syntax errors, worded as nginx words them, each with a stable rule id.

use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyntaxErrorKind {
    /// `unexpected "{"` / `unexpected "}"` where no statement can take it.
    UnexpectedBrace,
    /// `unexpected "X"` right after a closing quote.
    UnexpectedChar,
    /// `unexpected end of file, expecting "}"`.
    UnexpectedEof,
    /// A statement cut short: `}` or end of file before its `;`.
    UnterminatedDirective,
    /// `unexpected ";"`.
    EmptyStatement,
    /// `too long parameter …`.
    TokenTooLong,
    /// A `*_by_lua_block` body that never ends.
    UnterminatedLua,
}

impl SyntaxErrorKind {
    pub fn rule_id(self) -> &'static str {
        match self {
            SyntaxErrorKind::UnexpectedBrace => "syntax/unexpected-brace",
            SyntaxErrorKind::UnexpectedChar => "syntax/unexpected-character",
            SyntaxErrorKind::UnexpectedEof => "syntax/unexpected-eof",
            SyntaxErrorKind::UnterminatedDirective => "syntax/unterminated-directive",
            SyntaxErrorKind::EmptyStatement => "syntax/empty-statement",
            SyntaxErrorKind::TokenTooLong => "syntax/token-too-long",
            SyntaxErrorKind::UnterminatedLua => "syntax/unterminated-lua-block",
        }
    }

    pub const ALL: [SyntaxErrorKind; 7] = [
        SyntaxErrorKind::UnexpectedBrace,
        SyntaxErrorKind::UnexpectedChar,
        SyntaxErrorKind::UnexpectedEof,
        SyntaxErrorKind::UnterminatedDirective,
        SyntaxErrorKind::EmptyStatement,
        SyntaxErrorKind::TokenTooLong,
        SyntaxErrorKind::UnterminatedLua,
    ];
}

/// One syntax error: nginx's message and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub message: String,
    pub span: Span,
    /// A related place, e.g. the `{` of a block that was never closed.
    pub related: Option<(Span, String)>,
}

impl SyntaxError {
    pub fn help(&self) -> &'static str {
        match self.kind {
            SyntaxErrorKind::UnexpectedBrace => {
                "remove the stray brace, or add the directive name the block belongs to"
            }
            SyntaxErrorKind::UnexpectedChar => {
                "put whitespace or \";\" after the closing quote"
            }
            SyntaxErrorKind::UnexpectedEof => "close every block with \"}\"",
            SyntaxErrorKind::UnterminatedDirective => "end the directive with \";\"",
            SyntaxErrorKind::EmptyStatement => "remove the extra \";\"",
            SyntaxErrorKind::TokenTooLong => {
                "a single word must be shorter than 4096 bytes: check for a missing closing quote, or split the value"
            }
            SyntaxErrorKind::UnterminatedLua => {
                "balance the braces and long brackets of the Lua block"
            }
        }
    }
}

/// Syntax errors listed per file. nginx stops at the first; after this
/// many, the rest are counted in one last error ("N more …"), so a file of
/// a million stray `}` costs what a file of a hundred does.
pub const LISTED: usize = 100;

/// The errors a lexer or a parser reports: the first [`LISTED`] kept, the
/// rest counted, with the first of them (where the count is reported).
/// Reads as the slice of the kept ones.
#[derive(Debug, Default)]
pub struct Listed {
    kept: Vec<SyntaxError>,
    more: usize,
    first_more: Option<SyntaxError>,
}

impl Listed {
    pub fn push(&mut self, e: SyntaxError) {
        if self.kept.len() < LISTED {
            self.kept.push(e);
        } else {
            self.more += 1;
            self.first_more.get_or_insert(e);
        }
    }

    /// A file's errors from its lexer's and its parser's: in order,
    /// repeats dropped, the first [`LISTED`] kept and one last error
    /// counting the rest, at the first of them.
    pub fn merge(a: Listed, b: Listed) -> Vec<SyntaxError> {
        let mut all = a.kept;
        all.extend(b.kept);
        all.sort_by_key(|e| (e.span.start(), e.span.end()));
        all.dedup_by(|a, b| a.span.start() == b.span.start() && a.message == b.message);
        let mut more = a.more + b.more;
        let mut unlisted = vec![a.first_more, b.first_more];
        if all.len() > LISTED {
            let rest = all.split_off(LISTED);
            more += rest.len();
            unlisted.push(rest.into_iter().next());
        }
        if let Some(f) = unlisted
            .into_iter()
            .flatten()
            .min_by_key(|e| e.span.start())
        {
            all.push(SyntaxError {
                kind: f.kind,
                message: format!("{more} more syntax errors in this file are not listed"),
                span: f.span,
                related: None,
            });
            all.sort_by_key(|e| (e.span.start(), e.span.end()));
        }
        all
    }
}

impl std::ops::Deref for Listed {
    type Target = [SyntaxError];
    fn deref(&self) -> &[SyntaxError] {
        &self.kept
    }
}
