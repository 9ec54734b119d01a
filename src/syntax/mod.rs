//! Configuration text to syntax trees: source map, nginx-exact lexer,
//! error-recovering parser, AST. Nothing here knows directive semantics.

pub mod ast;
pub mod errors;
pub mod lexer;
pub mod parser;
pub mod print;

pub use ast::{Block, Comment, Directive, Item, Quote, RawBody, Terminator, Word};
pub use errors::{SyntaxError, SyntaxErrorKind};
pub use parser::{parse, ParsedFile};
// The source layer sits below both `syntax` and `diag`; re-exported here
// because every syntax consumer needs spans.
pub use crate::source::{FileId, LineIndex, Position, SourceFile, SourceMap, Span, MAX_FILE_LEN};
