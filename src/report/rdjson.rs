//! `lint --format rdjson`: reviewdog's Diagnostic Format (rdjson), for
//! `reviewdog -f=rdjson` to comment on pull and merge requests. One
//! document: `source` (ngxray) and `diagnostics`, each with `message`,
//! `location.path` (relative to the repository root) and `location.range`
//! (1-based lines; columns in UTF-8 bytes, as reviewdog counts them; the
//! end is exclusive), `severity` (`ERROR`, `WARNING`, `INFO`), `code`
//! (the rule id and its page's URL) and `related_locations`.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::syntax::{SourceFile, SourceMap, Span};

use super::RunInfo;

#[derive(Serialize)]
#[serde(bound(serialize = "super::Streamed<I>: Serialize"))]
struct Document<I> {
    source: Source,
    diagnostics: super::Streamed<I>,
}

#[derive(Serialize)]
struct Source {
    name: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Item<'a> {
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    severity: &'static str,
    code: Code<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Related<'a>>,
}

#[derive(Serialize)]
struct Code<'a> {
    value: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Related<'a> {
    message: &'a str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    range: Option<Range>,
}

#[derive(Serialize)]
struct Range {
    start: Pos,
    end: Pos,
}

#[derive(Serialize)]
struct Pos {
    line: usize,
    column: usize,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Info => "INFO",
    }
}

fn source() -> Source {
    Source {
        name: "ngxray",
        url: format!("{}README.md", super::sarif::DOCS_BASE),
    }
}

/// Line and 1-based UTF-8 byte column of an offset.
fn pos(f: &SourceFile, offset: usize) -> Pos {
    let p = f.position(offset);
    let start = f
        .line_starts()
        .get(p.line.saturating_sub(1))
        .copied()
        .unwrap_or(0);
    Pos {
        line: p.line,
        column: p.offset.saturating_sub(start) + 1,
    }
}

fn location(sources: &SourceMap, span: Span, info: &RunInfo) -> Option<Location> {
    let f = sources.try_get(span.file)?;
    Some(Location {
        path: info.repo_path(&f.path),
        range: Some(Range {
            start: pos(f, span.start()),
            end: pos(f, span.end()),
        }),
    })
}

/// Write the document, pretty-printed, and a newline.
pub fn write(
    w: &mut impl Write,
    diags: &[Diagnostic],
    sources: &SourceMap,
    info: &RunInfo,
) -> io::Result<()> {
    let items = diags.iter().map(|d| Item {
        message: &d.message,
        location: match d.span {
            Some(s) => location(sources, s, info),
            // a finding about an input (`io/unreadable`) names it in its label
            None => d.label.as_deref().map(|p| Location {
                path: info.repo_path(Path::new(p)),
                range: None,
            }),
        },
        severity: severity(d.severity),
        code: Code {
            value: d.rule,
            url: super::rule_url(d.rule),
        },
        related_locations: d
            .related
            .iter()
            .filter_map(|l| {
                Some(Related {
                    message: &l.message,
                    location: location(sources, l.span, info)?,
                })
            })
            .collect(),
    });
    let doc = Document {
        source: source(),
        diagnostics: super::Streamed::new(items),
    };
    let mut w = io::BufWriter::new(w);
    serde_json::to_writer_pretty(&mut w, &doc).map_err(io::Error::from)?;
    w.write_all(b"\n")?;
    w.flush()
}
