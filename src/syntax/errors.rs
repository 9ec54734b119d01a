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
