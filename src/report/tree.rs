//! `parse --format json`: ngxray's own tree, with byte spans, line/column,
//! quoting and include edges (`ngxray/parse/v1`). Serialized straight from
//! the AST to the writer (no intermediate JSON values), so memory stays
//! close to the size of the tree.

use std::io::Write;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::load::Loaded;
use crate::syntax::{Block, Directive, Item, ParsedFile, Quote, SourceFile, Span};

struct SpanJson<'a>(&'a SourceFile, Span);

impl Serialize for SpanJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (a, b) = (
            self.0.position(self.1.start()),
            self.0.position(self.1.end()),
        );
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("start", &self.1.start())?;
        m.serialize_entry("end", &self.1.end())?;
        m.serialize_entry("line", &a.line)?;
        m.serialize_entry("column", &a.column)?;
        m.serialize_entry("end_line", &b.line)?;
        m.serialize_entry("end_column", &b.column)?;
        m.end()
    }
}

struct Ctx<'a> {
    loaded: &'a Loaded,
    file: &'a SourceFile,
    comments: bool,
}

struct CommentJson<'a>(&'a Ctx<'a>, &'a str, Span);

impl Serialize for CommentJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("comment", self.1)?;
        m.serialize_entry("span", &SpanJson(self.0.file, self.2))?;
        m.end()
    }
}

struct ArgsJson<'a>(&'a Ctx<'a>, &'a Directive);

impl Serialize for ArgsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.1.args.len()))?;
        for a in &self.1.args {
            seq.serialize_element(&ArgJson(self.0, a))?;
        }
        seq.end()
    }
}

struct ArgJson<'a>(&'a Ctx<'a>, &'a crate::syntax::Word);

impl Serialize for ArgJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.1;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("value", a.value.as_str())?;
        let q = match a.quote {
            Quote::None => None,
            Quote::Double => Some("\""),
            Quote::Single => Some("'"),
        };
        m.serialize_entry("quote", &q)?;
        m.serialize_entry("span", &SpanJson(self.0.file, a.span))?;
        m.end()
    }
}

impl<'a> CommentJson<'a> {
    /// The same shape under the key `text` (for raw Lua bodies).
    fn raw(self) -> RawJson<'a> {
        RawJson(self)
    }
}

struct RawJson<'a>(CommentJson<'a>);

impl Serialize for RawJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = &self.0;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("text", c.1)?;
        m.serialize_entry("span", &SpanJson(c.0.file, c.2))?;
        m.end()
    }
}

struct ErrorsJson<'a>(&'a SourceFile, &'a ParsedFile);

impl Serialize for ErrorsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.1.errors.len()))?;
        for e in &self.1.errors {
            seq.serialize_element(&serde_json::json!({
                "rule": e.kind.rule_id(),
                "message": e.message,
                "span": SpanJson(self.0, e.span),
            }))?;
        }
        seq.end()
    }
}

/// Write the whole document (one line of JSON) to `w`. Leaves (spans,
/// words, comments) go through serde; blocks are written with an explicit
/// stack, so no nesting depth overflows the stack (a million nested blocks
/// print as well as one).
pub fn write(w: &mut impl Write, loaded: &Loaded, comments: bool) -> serde_json::Result<()> {
    let io = serde_json::Error::io;
    w.write_all(b"{\"schema\":\"ngxray/parse/v1\",\"roots\":")
        .map_err(io)?;
    let roots: Vec<u32> = loaded.roots.iter().map(|r| r.0).collect();
    serde_json::to_writer(&mut *w, &roots)?;
    w.write_all(b",\"files\":[").map_err(io)?;
    for (i, pf) in loaded.files.iter().enumerate() {
        if i > 0 {
            w.write_all(b",").map_err(io)?;
        }
        let f = loaded.sources.get(pf.file);
        let cx = Ctx {
            loaded,
            file: f,
            comments,
        };
        write!(w, "{{\"id\":{},\"file\":", pf.file.0).map_err(io)?;
        serde_json::to_writer(&mut *w, &f.path.display().to_string())?;
        let status = if pf.errors.is_empty() { "ok" } else { "failed" };
        write!(w, ",\"status\":\"{status}\",\"errors\":").map_err(io)?;
        serde_json::to_writer(&mut *w, &ErrorsJson(f, pf))?;
        w.write_all(b",\"directives\":").map_err(io)?;
        write_block(w, &cx, &pf.root)?;
        w.write_all(b"}").map_err(io)?;
    }
    w.write_all(b"]}").map_err(io)
}

/// A block as a JSON array of its directives (and comments), depth first
/// with an explicit stack: (the block's items, the directive owning the
/// block, whether an element was written).
fn write_block(w: &mut impl Write, cx: &Ctx<'_>, root: &Block) -> serde_json::Result<()> {
    let io = serde_json::Error::io;
    type Frame<'b> = (
        Box<dyn Iterator<Item = Item<'b>> + 'b>,
        Option<&'b Directive>,
        bool,
    );
    let mut stack: Vec<Frame<'_>> = vec![(Box::new(root.items()), None, false)];
    w.write_all(b"[").map_err(io)?;
    while let Some((items, owner, written)) = stack.last_mut() {
        let Some(item) = items.next() else {
            let owner = *owner;
            stack.pop();
            w.write_all(b"]").map_err(io)?;
            if let Some(d) = owner {
                directive_tail(w, cx, d)?;
            }
            continue;
        };
        let d = match item {
            Item::Comment(c) => {
                if cx.comments {
                    if std::mem::replace(written, true) {
                        w.write_all(b",").map_err(io)?;
                    }
                    serde_json::to_writer(&mut *w, &CommentJson(cx, &c.text, c.span))?;
                }
                continue;
            }
            Item::Directive(d) => d,
        };
        if std::mem::replace(written, true) {
            w.write_all(b",").map_err(io)?;
        }
        w.write_all(b"{\"directive\":").map_err(io)?;
        serde_json::to_writer(&mut *w, d.name())?;
        w.write_all(b",\"span\":").map_err(io)?;
        serde_json::to_writer(&mut *w, &SpanJson(cx.file, d.span()))?;
        w.write_all(b",\"name_span\":").map_err(io)?;
        serde_json::to_writer(&mut *w, &SpanJson(cx.file, d.name.span))?;
        w.write_all(b",\"args\":").map_err(io)?;
        serde_json::to_writer(&mut *w, &ArgsJson(cx, d))?;
        match d.block() {
            Some(b) => {
                w.write_all(b",\"block\":[").map_err(io)?;
                stack.push((Box::new(b.items()), Some(d), false));
            }
            None => directive_tail(w, cx, d)?,
        }
    }
    Ok(())
}

/// What follows a directive's block (or its arguments): its raw body, the
/// files an `include` brought, and the closing brace.
fn directive_tail(w: &mut impl Write, cx: &Ctx<'_>, d: &Directive) -> serde_json::Result<()> {
    let io = serde_json::Error::io;
    if let Some(raw) = d.raw() {
        w.write_all(b",\"raw\":").map_err(io)?;
        serde_json::to_writer(&mut *w, &CommentJson(cx, &raw.text, raw.span).raw())?;
    }
    if d.name() == "include" {
        let inc: Vec<u32> = cx.loaded.included_by(d).iter().map(|i| i.0).collect();
        w.write_all(b",\"includes\":").map_err(io)?;
        serde_json::to_writer(&mut *w, &inc)?;
    }
    w.write_all(b"}").map_err(io)
}

/// The whole document as a string.
pub fn render(loaded: &Loaded, comments: bool) -> String {
    let mut buf = Vec::new();
    let _ = write(&mut buf, loaded, comments);
    String::from_utf8_lossy(&buf).into_owned()
}
