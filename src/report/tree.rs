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

struct BlockJson<'a>(&'a Ctx<'a>, &'a Block);

impl Serialize for BlockJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let cx = self.0;
        let mut seq = s.serialize_seq(None)?;
        for item in self.1.items() {
            match item {
                Item::Comment(c) => {
                    if cx.comments {
                        seq.serialize_element(&CommentJson(cx, &c.text, c.span))?;
                    }
                }
                Item::Directive(d) => seq.serialize_element(&DirectiveJson(cx, d))?,
            }
        }
        seq.end()
    }
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

struct DirectiveJson<'a>(&'a Ctx<'a>, &'a Directive);

impl Serialize for DirectiveJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (cx, d) = (self.0, self.1);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("directive", d.name())?;
        m.serialize_entry("span", &SpanJson(cx.file, d.span))?;
        m.serialize_entry("name_span", &SpanJson(cx.file, d.name.span))?;
        m.serialize_entry("args", &ArgsJson(cx, d))?;
        if let Some(b) = &d.block {
            m.serialize_entry("block", &BlockJson(cx, b))?;
        }
        if let Some(raw) = &d.raw {
            m.serialize_entry("raw", &CommentJson(cx, &raw.text, raw.span).raw())?;
        }
        if d.name() == "include" {
            let inc: Vec<u32> = cx.loaded.included_by(d).iter().map(|i| i.0).collect();
            m.serialize_entry("includes", &inc)?;
        }
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

struct FileJson<'a>(&'a Loaded, &'a ParsedFile, bool);

impl Serialize for FileJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (loaded, pf) = (self.0, self.1);
        let f = loaded.sources.get(pf.file);
        let cx = Ctx {
            loaded,
            file: f,
            comments: self.2,
        };
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("id", &pf.file.0)?;
        m.serialize_entry("file", &f.path.display().to_string())?;
        m.serialize_entry("status", if pf.errors.is_empty() { "ok" } else { "failed" })?;
        m.serialize_entry("errors", &ErrorsJson(f, pf))?;
        m.serialize_entry("directives", &BlockJson(&cx, &pf.root))?;
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

struct Doc<'a>(&'a Loaded, bool);

impl Serialize for Doc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let loaded = self.0;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("schema", "ngxray/parse/v1")?;
        let roots: Vec<u32> = loaded.roots.iter().map(|r| r.0).collect();
        m.serialize_entry("roots", &roots)?;
        let files: Vec<FileJson<'_>> = loaded
            .files
            .iter()
            .map(|pf| FileJson(loaded, pf, self.1))
            .collect();
        m.serialize_entry("files", &files)?;
        m.end()
    }
}

/// Write the whole document (one line of JSON) to `w`.
pub fn write(w: &mut impl Write, loaded: &Loaded, comments: bool) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *w, &Doc(loaded, comments))
}

/// The whole document as a string.
pub fn render(loaded: &Loaded, comments: bool) -> String {
    let mut buf = Vec::new();
    let _ = write(&mut buf, loaded, comments);
    String::from_utf8_lossy(&buf).into_owned()
}
