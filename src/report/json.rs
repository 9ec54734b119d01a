//! The `ngxray/lint/v1` JSON document (docs/schema/lint.schema.json),
//! written by serde from [`Located`](crate::diag::Located) findings. The
//! findings are a serde sequence fed by an iterator, so a run with tens of
//! thousands of findings is streamed, never held as one JSON value.

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

/// Write the document, pretty-printed, followed by a newline. Findings
/// are located and serialized one at a time (a serde sequence fed by an
/// iterator), so memory does not grow with their number.
pub fn write(
    w: &mut impl Write,
    diags: &[Diagnostic],
    sources: &SourceMap,
    summary: &Summary,
) -> io::Result<()> {
    let mut w = io::BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer_pretty(&mut w, &Document::new(diags, sources, summary))
        .map_err(io::Error::from)?;
    w.write_all(b"\n")?;
    w.flush()
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
        let urls = super::rule_urls();
        s.collect_seq(self.diags.iter().map(|d| Finding {
            at: d.locate(self.sources),
            url: super::rule_url(&urls, d.rule),
        }))
    }
}

/// One finding: its located fields, then its rule page's URL.
#[derive(Serialize)]
struct Finding<'a> {
    #[serde(flatten)]
    at: crate::diag::Located,
    url: &'a str,
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
