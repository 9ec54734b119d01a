//! The `ngxray/lint/v1` JSON document (docs/schema/lint.schema.json),
//! written by serde from [`Located`](crate::diag::Located) findings. A run
//! with tens of thousands of findings is written a batch at a time (each
//! batch rendered in chunks on all cores), never held as one JSON value.

use std::io::{self, Write};

use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::syntax::SourceMap;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub total: usize,
}

impl Summary {
    pub fn of(diags: &[Diagnostic], files: usize) -> Summary {
        let (mut errors, mut warnings, mut infos) = (0, 0, 0);
        for d in diags {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
                Severity::Info => infos += 1,
            }
        }
        Summary {
            files,
            errors,
            warnings,
            infos,
            total: diags.len(),
        }
    }
}

/// Write the document, pretty-printed, followed by a newline.
///
/// serde writes the envelope (with an empty `diagnostics` list) and each
/// finding; the findings are rendered apart, in chunks on all cores for a
/// big run (each one is independent, as in the text and concise reports),
/// and spliced into the envelope in order ([`super::in_batches`]). A run
/// with tens of thousands of findings writes megabytes of JSON: rendered on
/// one core, that was a third of a whole lint's time.
pub fn write(
    w: &mut impl Write,
    diags: &[Diagnostic],
    sources: &SourceMap,
    summary: &Summary,
) -> io::Result<()> {
    let mut w = io::BufWriter::with_capacity(1 << 16, w);
    let envelope = render(&[], sources, summary);
    let Some((head, tail)) = envelope.split_once(EMPTY_LIST) else {
        return Err(io::Error::other(
            "the JSON envelope lacks its diagnostics list",
        ));
    };
    w.write_all(head.as_bytes())?;
    if diags.is_empty() {
        w.write_all(EMPTY_LIST.as_bytes())?;
    } else {
        w.write_all(b"\"diagnostics\": [")?;
        let mut first = true;
        super::in_batches(
            diags,
            256,
            |c| findings(c, sources),
            |part| {
                // Every finding starts with `,\n`; the list's first does not.
                let part = if first { &part[1..] } else { &part[..] };
                first = false;
                w.write_all(part)
            },
        )?;
        w.write_all(b"\n  ]")?;
    }
    w.write_all(tail.as_bytes())?;
    w.write_all(b"\n")?;
    w.flush()
}

/// The empty findings list as serde pretty-prints it in the envelope.
const EMPTY_LIST: &str = "\"diagnostics\": []";

/// Findings as they stand in the document's `diagnostics` list, each
/// preceded by `,\n` and its indentation: serde_json's pretty formatter,
/// entered two levels deep (the document object, then the list).
fn findings(diags: &[Diagnostic], sources: &SourceMap) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(diags.len() * 2048);
    for d in diags {
        out.extend_from_slice(b",\n    ");
        let finding = d.locate(sources).with_url(super::rule_url(d.rule));
        let f = Pretty {
            depth: 2,
            has_value: false,
        };
        finding.serialize(&mut serde_json::Serializer::with_formatter(&mut out, f))?;
    }
    Ok(out)
}

/// serde_json's `PrettyFormatter` (two-space indentation), byte for byte,
/// but writing each line break and its indentation in one piece: the
/// pretty formatter writes the indentation two spaces at a time, and a
/// finding of ~35 lines is most of its writes.
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    fn newline(&self, w: &mut (impl Write + ?Sized), comma: bool) -> io::Result<()> {
        const LINE: &[u8; 34] = b",\n                                ";
        let line = &LINE[usize::from(!comma)..];
        match line.get(..usize::from(comma) + 1 + 2 * self.depth) {
            Some(piece) => w.write_all(piece),
            None => {
                w.write_all(&line[..usize::from(comma) + 1])?;
                (0..self.depth).try_for_each(|_| w.write_all(b"  "))
            }
        }
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline(w, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline(w, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// The document as a string (without the final newline).
pub fn render(diags: &[Diagnostic], sources: &SourceMap, summary: &Summary) -> String {
    serde_json::to_string_pretty(&Document::new(diags, sources, summary)).unwrap_or_default()
}

/// The `ngxray/lint/v1` document (docs/schema/lint.schema.json).
#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    version: &'static str,
    diagnostics: Findings<'a>,
    summary: &'a Summary,
}

impl<'a> Document<'a> {
    fn new(diags: &'a [Diagnostic], sources: &'a SourceMap, summary: &'a Summary) -> Self {
        Document {
            schema: "ngxray/lint/v1",
            version: env!("CARGO_PKG_VERSION"),
            diagnostics: Findings { diags, sources },
            summary,
        }
    }
}

/// The findings, located as they are serialized.
struct Findings<'a> {
    diags: &'a [Diagnostic],
    sources: &'a SourceMap,
}

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.diags
                .iter()
                .map(|d| d.locate(self.sources).with_url(super::rule_url(d.rule))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{SourceFile, Span};

    fn sample(message: &str, help: Option<&str>, path: &str) -> (Vec<Diagnostic>, SourceMap) {
        let mut map = SourceMap::new();
        let a = map.add(SourceFile::new(
            path,
            "http {\n  server { listen 80; }\n}\n".into(),
        ));
        let b = map.add(SourceFile::new(
            "b é.conf",
            "upstream x { server y; }\n".into(),
        ));
        let mut d = Diagnostic::warning("dns/some-rule", message)
            .with_span(Span::new(a, 9, 15))
            .with_label("here")
            .with_related(Span::new(b, 0, 10), message)
            .with_related(Span::new(a, 0, 4), "same file");
        if let Some(h) = help {
            d = d.with_help(h);
        }
        let mut e = Diagnostic::error("syntax/x", "no span");
        e.severity = Severity::Info;
        let f = Diagnostic::error("include/not-found", "plain").with_span(Span::new(b, 3, 3));
        (vec![d, e, f], map)
    }

    /// The one-piece line breaks are serde's pretty printing at any depth,
    /// past the prepared indentation too.
    #[test]
    fn pretty_is_serde_pretty_at_any_depth() {
        let mut v = serde_json::json!({"a": [1, "x", {}, []], "b": null});
        for i in 0..24 {
            v = serde_json::json!({"k": [v.clone(), {"i": i}], "e": []});
        }
        let mut out = Vec::new();
        let f = Pretty {
            depth: 0,
            has_value: false,
        };
        v.serialize(&mut serde_json::Serializer::with_formatter(&mut out, f))
            .expect("write to a Vec");
        let serde = serde_json::to_string_pretty(&v).expect("serialize");
        assert_eq!(String::from_utf8(out).expect("UTF-8"), serde);
    }

    /// Findings rendered in parallel chunks and batches are spliced in
    /// order, exactly as serde writes the whole document at once.
    #[test]
    fn chunked_write_is_the_document() {
        let (one, map) = sample("m \"q\"", Some("h"), "a.conf");
        let diags: Vec<Diagnostic> = (0..5000).map(|i| one[i % 3].clone()).collect();
        let summary = Summary::of(&diags, 2);
        let mut buf = Vec::new();
        write(&mut buf, &diags, &map, &summary).expect("write to a Vec");
        assert_eq!(
            String::from_utf8(buf).expect("UTF-8"),
            render(&diags, &map, &summary) + "\n"
        );
    }

    /// The document's exact bytes (every escape class, null positions,
    /// related locations, the empty document): the snapshots were written
    /// by the hand-made writer this module replaced, so the output is
    /// byte-identical to it.
    #[test]
    fn document_shape() {
        let nasty = "quote \" backslash \\ nl \n cr \r tab \t bs \u{8} ff \u{c} nul \u{0} us \u{1f} del \u{7f} é → 😀 end";
        let (diags, map) = sample(nasty, Some("use \"x\""), "dir/\"q\"\\x.conf");
        let summary = Summary::of(&diags, 2);
        let version = |s: String| s.replace(env!("CARGO_PKG_VERSION"), "[version]");
        insta::assert_snapshot!(version(render(&diags, &map, &summary)));
        let mut buf = Vec::new();
        write(&mut buf, &diags, &map, &summary).expect("write to a Vec");
        assert_eq!(
            String::from_utf8(buf).expect("UTF-8"),
            render(&diags, &map, &summary) + "\n"
        );
        let map = SourceMap::new();
        insta::assert_snapshot!("empty", version(render(&[], &map, &Summary::of(&[], 0))));
    }
}
