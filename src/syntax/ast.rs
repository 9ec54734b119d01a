//! The syntax tree of one configuration file: directives with their words,
//! optional blocks and byte spans. Comments are kept beside the directives of
//! each block (both lists are in source order), so rules iterate directives
//! without skipping comments while `parse --include-comments` can still
//! interleave them.

use compact_str::CompactString;

use crate::source::{FileId, Span};

/// How a word was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quote {
    None,
    Double,
    Single,
}

impl Quote {
    pub fn is_quoted(self) -> bool {
        self != Quote::None
    }
}

/// One word of a statement: the directive name or an argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The value after nginx's escape rewriting (`\"`, `\'`, `\\`, `\t`, `\r`,
    /// `\n`), decoded lossily as UTF-8. Quotes are not part of the value.
    /// Stored inline (no allocation) up to 24 bytes, which covers most words.
    pub value: CompactString,
    /// Span of the word as written, quotes included.
    pub span: Span,
    pub quote: Quote,
}

impl Word {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// A `#` comment. `text` excludes the `#` and the line terminator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// How a statement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminator {
    /// `;`
    Semicolon,
    /// `{ … }` (the block may be unclosed at end of file)
    Block,
    /// The statement was cut by a syntax error (missing `;` before `}` or end
    /// of file).
    Missing,
}

/// A raw, non-nginx body (`*_by_lua_block { … }`): kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBody {
    /// The bytes between the braces, lossily decoded.
    pub text: String,
    /// Span of `{ … }`, braces included.
    pub span: Span,
}

/// One statement: `name args… ;` or `name args… { block }`.
///
/// A config has a directive every 25–40 bytes and every rule reads them, so
/// the struct is kept small (80 bytes): the body is one boxed enum, and the
/// spans that share the name's file are stored as offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: Word,
    /// Exactly sized (no growth slack, no capacity field).
    pub args: Box<[Word]>,
    /// Most directives have none.
    body: Option<Box<Body>>,
    pub terminator: Terminator,
    /// Offsets of the terminating `;` or `{` (see [`Directive::end`]).
    end: (u32, u32),
    /// End offset of the whole statement (see [`Directive::span`]).
    span_end: u32,
}

/// What follows a directive's arguments in braces.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    Block(Block),
    Raw(RawBody),
}

impl Directive {
    /// A directive without a body; `end` is its terminator's span.
    pub(crate) fn new(name: Word, args: Box<[Word]>, terminator: Terminator, end: Span) -> Self {
        let span_end = end.end().max(name.span.end()) as u32;
        Directive {
            name,
            args,
            body: None,
            terminator,
            end: (end.start() as u32, end.end() as u32),
            span_end,
        }
    }

    pub fn name(&self) -> &str {
        &self.name.value
    }

    pub fn file(&self) -> FileId {
        self.name.span.file
    }

    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(|w| w.value.as_str())
    }

    /// Span of the terminating `;` or `{` (nginx reports statement errors
    /// at this token's line); for [`Terminator::Missing`], where it stopped.
    pub fn end(&self) -> Span {
        Span::new(self.file(), self.end.0 as usize, self.end.1 as usize)
    }

    /// From the start of the name to the end of the statement (the `;` or
    /// the closing `}`).
    pub fn span(&self) -> Span {
        Span::new(self.file(), self.name.span.start(), self.span_end as usize)
    }

    /// Make the statement end at `end` (the closing brace of its body).
    pub(crate) fn extend_to(&mut self, end: Span) {
        self.span_end = end.end() as u32;
    }

    /// The nginx block of `name … { … }`.
    pub fn block(&self) -> Option<&Block> {
        match self.body.as_deref() {
            Some(Body::Block(b)) => Some(b),
            _ => None,
        }
    }

    pub fn block_mut(&mut self) -> Option<&mut Block> {
        match self.body.as_deref_mut() {
            Some(Body::Block(b)) => Some(b),
            _ => None,
        }
    }

    /// The raw body of a `*_by_lua_block` directive.
    pub fn raw(&self) -> Option<&RawBody> {
        match self.body.as_deref() {
            Some(Body::Raw(r)) => Some(r),
            _ => None,
        }
    }

    pub(crate) fn set_block(&mut self, block: Block) {
        self.body = Some(Box::new(Body::Block(block)));
    }

    pub(crate) fn set_raw(&mut self, raw: RawBody) {
        self.body = Some(Box::new(Body::Raw(raw)));
    }

    /// Span of the name and all arguments (the "head" of the statement).
    pub fn head_span(&self) -> Span {
        match self.args.last() {
            Some(a) => self.name.span.to(a.span),
            None => self.name.span,
        }
    }

    pub fn is_block(&self) -> bool {
        self.body.is_some()
    }
}

/// The body of a block, or the top level of a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Block {
    pub directives: Vec<Directive>,
    pub comments: Vec<Comment>,
    /// Span of `{` (empty for a file's top level).
    pub open: Span,
    /// Span of `}` when it was found.
    pub close: Option<Span>,
}

/// Dropping is iterative so that pathological nesting (100,000 levels) cannot
/// overflow the stack. Only the children's `Vec`s are moved to the work
/// stack (not each directive), so dropping a large tree costs little more
/// than freeing it.
impl Drop for Block {
    fn drop(&mut self) {
        if self.directives.is_empty() {
            return;
        }
        let mut stack = vec![std::mem::take(&mut self.directives)];
        while let Some(mut list) = stack.pop() {
            for d in &mut list {
                if let Some(b) = d.block_mut() {
                    if !b.directives.is_empty() {
                        stack.push(std::mem::take(&mut b.directives));
                    }
                }
            }
            // The children's blocks are empty now: no recursion.
            drop(list);
        }
    }
}

/// One item of a block in source order.
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    Directive(&'a Directive),
    Comment(&'a Comment),
}

impl Block {
    /// Directives and comments merged in source order.
    pub fn items(&self) -> impl Iterator<Item = Item<'_>> {
        let mut d = self.directives.iter().peekable();
        let mut c = self.comments.iter().peekable();
        std::iter::from_fn(move || match (d.peek(), c.peek()) {
            (Some(x), Some(y)) => {
                if y.span.start() < x.span().start() {
                    c.next().map(Item::Comment)
                } else {
                    d.next().map(Item::Directive)
                }
            }
            (Some(_), None) => d.next().map(Item::Directive),
            (None, Some(_)) => c.next().map(Item::Comment),
            (None, None) => None,
        })
    }

    /// Every directive in this block and below, depth first, in source order,
    /// with its depth (0 = this block). Iterative.
    pub fn walk(&self) -> impl Iterator<Item = (usize, &Directive)> {
        let mut stack: Vec<(usize, std::slice::Iter<'_, Directive>)> =
            vec![(0, self.directives.iter())];
        std::iter::from_fn(move || loop {
            let (depth, it) = stack.last_mut()?;
            let depth = *depth;
            match it.next() {
                Some(d) => {
                    if let Some(b) = d.block() {
                        stack.push((depth + 1, b.directives.iter()));
                    }
                    return Some((depth, d));
                }
                None => {
                    stack.pop();
                }
            }
        })
    }

    /// First directive of this block (not below) with this name.
    pub fn find(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name() == name)
    }
}

impl Block {
    /// An empty block whose `{` is at `open`.
    pub fn opened(open: Span) -> Block {
        Block {
            directives: Vec::new(),
            comments: Vec::new(),
            open,
            close: None,
        }
    }
}
