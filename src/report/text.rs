//! Human output: miette's graphical report (source snippet, label, help) for
//! each diagnostic, then a one-line summary.

use std::fmt::Write as _;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use crate::diag::{Diagnostic, Severity};
use crate::syntax::{SourceMap, Span};

struct Rendered<'a> {
    d: &'a Diagnostic,
    src: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    /// Related spans in other files (miette shows one source per report).
    foreign: Vec<String>,
}

impl std::fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.d.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        let mut h = self.d.help.clone().unwrap_or_default();
        for f in &self.foreign {
            if !h.is_empty() {
                h.push('\n');
            }
            h.push_str(f);
        }
        (!h.is_empty()).then(|| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Byte offset in the lossily decoded text for a byte offset in the raw text.
fn lossy_offset(raw: &[u8], valid: bool, offset: usize) -> usize {
    if valid {
        offset.min(raw.len())
    } else {
        String::from_utf8_lossy(&raw[..offset.min(raw.len())]).len()
    }
}

fn source_span(raw: &[u8], valid: bool, span: Span) -> SourceSpan {
    let s = lossy_offset(raw, valid, span.start);
    let e = lossy_offset(raw, valid, span.end);
    SourceSpan::new(s.into(), e.saturating_sub(s))
}

/// Render diagnostics with miette. `color` selects ANSI colours.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in diags {
        let Some(span) = d.span.filter(|s| sources.try_get(s.file).is_some()) else {
            let _ = writeln!(out, "{}[{}]: {}", d.severity, d.rule, d.message);
            if let Some(h) = &d.help {
                let _ = writeln!(out, "  help: {h}");
            }
            out.push('\n');
            continue;
        };
        let file = sources.get(span.file);
        let valid = std::str::from_utf8(&file.text).is_ok();
        let text = file.text_lossy();
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            d.label.clone(),
            source_span(&file.text, valid, span),
        )];
        let mut foreign = Vec::new();
        for l in &d.related {
            if l.span.file == span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(l.message.clone()),
                    source_span(&file.text, valid, l.span),
                ));
            } else if let Some(f) = sources.try_get(l.span.file) {
                let p = f.position(l.span.start);
                foreign.push(format!(
                    "{}: {}:{}:{}",
                    l.message,
                    f.path.display(),
                    p.line,
                    p.column
                ));
            }
        }
        let r = Rendered {
            d,
            src: NamedSource::new(file.path.display().to_string(), text),
            labels,
            foreign,
        };
        let _ = handler.render_report(&mut out, &r);
        out.push('\n');
    }
    out
}
