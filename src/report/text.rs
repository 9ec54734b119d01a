//! Human output: miette's graphical report (source snippet, label, help) for
//! each diagnostic, then a one-line summary.

use std::fmt::Write as _;

use std::borrow::Cow;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use crate::diag::{Diagnostic, Severity};
use crate::syntax::{FileId, SourceFile, SourceMap, Span};

/// One file as miette sees it. miette's own `SourceCode` for strings finds
/// lines by scanning from the start of the text, once per label: on a big
/// config with thousands of findings that is quadratic (minutes for a
/// 5 MB file). This one finds lines with the file's line index, so each
/// label costs a binary search, and the text is shared by all diagnostics.
/// Labels at most this many lines beyond another label's snippet share it.
const MERGE_GAP: usize = 2;

/// Longest line a snippet quotes (bytes). A finding on a longer line (a
/// minified or generated config, a hostile one) names its place instead of
/// quoting it, and longer lines around a label are left out of its
/// snippet: a report never quotes more than a bounded piece of the source.
const MAX_QUOTED_LINE: usize = 1024;

struct FileSource<'a> {
    name: String,
    /// The text miette reads: the file's bytes, or their lossy UTF-8
    /// decoding when the file is not valid UTF-8 (miette decodes lossily,
    /// so offsets must be in decoded bytes).
    text: Cow<'a, [u8]>,
    /// Line starts in `text`.
    starts: Cow<'a, [usize]>,
    /// Whether `text` is the raw bytes (offsets need no mapping).
    raw: bool,
}

impl<'a> FileSource<'a> {
    fn new(file: &'a SourceFile) -> Self {
        // file names come from the config's author too: no control
        // character reaches the terminal
        let name = crate::sanitize::clean(file.display_name()).into_owned();
        if std::str::from_utf8(&file.text).is_ok() {
            // control bytes masked, offsets kept: a config cannot drive
            // the terminal through a snippet
            return FileSource {
                name,
                text: crate::sanitize::mask_controls(&file.text),
                starts: Cow::Borrowed(file.line_starts()),
                raw: true,
            };
        }
        let text = crate::sanitize::mask_controls(file.text_lossy().as_bytes()).into_owned();
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', &text).map(|i| i + 1));
        FileSource {
            name,
            text: Cow::Owned(text),
            starts: Cow::Owned(starts),
            raw: false,
        }
    }

    /// Offset in `text` of a byte offset of the file. Lossy decoding keeps
    /// every newline, so lines correspond one to one.
    fn offset(&self, file: &SourceFile, raw: usize) -> usize {
        let raw = raw.min(file.text.len());
        if self.raw {
            return raw;
        }
        let line = file.line_of(raw).max(1);
        let line_start = file.line_starts()[line - 1];
        self.starts[line - 1] + String::from_utf8_lossy(&file.text[line_start..raw]).len()
    }

    fn span(&self, file: &SourceFile, span: Span) -> SourceSpan {
        let s = self.offset(file, span.start());
        let e = self.offset(file, span.end());
        SourceSpan::new(s.into(), e.saturating_sub(s))
    }

    /// Length in bytes of 0-based line `i` of `text`, its newline included.
    fn line_len(&self, i: usize) -> usize {
        let end = self.starts.get(i + 1).copied().unwrap_or(self.text.len());
        end.saturating_sub(self.starts.get(i).copied().unwrap_or(end))
    }

    /// 0-based index of the line holding `offset` of `text`.
    fn line_index(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }
}

impl SourceCode for FileSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let len = self.text.len();
        let (start, end) = (span.offset(), span.offset() + span.len());
        if start > len || end > len {
            return Err(MietteError::OutOfBounds);
        }
        // The last byte of the span decides its last line (a span ending
        // right after a newline does not reach into the next line).
        let last_byte = if end > start { end - 1 } else { end };
        let (top, bottom) = (self.line_index(start), self.line_index(last_byte));
        // context lines too long to quote are left out
        let mut first = top.saturating_sub(before);
        while first < top && self.line_len(first) > MAX_QUOTED_LINE {
            first += 1;
        }
        let mut last = (bottom + after).min(self.starts.len() - 1);
        while last > bottom && self.line_len(last) > MAX_QUOTED_LINE {
            last -= 1;
        }
        // Like miette's own implementation: lines end after their newline;
        // without lines before, the data starts at the span itself and
        // the column is its byte column.
        let (from, column) = if before == 0 {
            (start, start - self.starts[first])
        } else {
            (self.starts[first], 0)
        };
        let to = self.starts.get(last + 1).copied().unwrap_or(len).max(from);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text[from..to],
            SourceSpan::new(from.into(), to - from),
            first,
            column,
            // miette merges two labels' snippets when the first one's
            // line + line_count reaches the second: merge labels a few
            // lines apart, show distant ones as separate snippets.
            last - first + 1 + MERGE_GAP,
        )))
    }
}

struct Rendered<'a> {
    d: &'a Diagnostic,
    src: &'a FileSource<'a>,
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
        let mut h = self.d.help.as_deref().unwrap_or_default().to_string();
        for f in &self.foreign {
            if !h.is_empty() {
                h.push('\n');
            }
            h.push_str(f);
        }
        (!h.is_empty()).then(|| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Render diagnostics with miette. `color` selects ANSI colours.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = String::new();
    let handler = handler(color);
    let files = Snippets::new(sources);
    // Chunks are whole `String`s: each part is valid UTF-8.
    let _ = super::in_batches(
        diags,
        CHUNK,
        |c| Ok(render_chunk(c, sources, &files, &handler).into_bytes()),
        |part| {
            out.push_str(&String::from_utf8_lossy(&part));
            Ok(())
        },
    );
    out
}

/// Write the reports of `diags` to `w`, a batch at a time.
pub fn write(
    w: &mut impl std::io::Write,
    diags: &[Diagnostic],
    sources: &SourceMap,
    color: bool,
) -> std::io::Result<()> {
    let handler = handler(color);
    let files = Snippets::new(sources);
    super::in_batches(
        diags,
        CHUNK,
        |c| Ok(render_chunk(c, sources, &files, &handler).into_bytes()),
        |part| w.write_all(&part),
    )
}

/// Each file's snippet source, made once per report when a finding first
/// needs it and shared by all chunks: made per chunk, every file would be
/// masked again for each 256 findings, a cost that grows with findings ×
/// config size.
struct Snippets<'a> {
    files: Vec<std::sync::OnceLock<FileSource<'a>>>,
}

impl<'a> Snippets<'a> {
    fn new(sources: &SourceMap) -> Self {
        Snippets {
            files: (0..sources.len())
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }

    fn get(&self, id: FileId, file: &'a SourceFile) -> Option<&FileSource<'a>> {
        Some(
            self.files
                .get(id.0 as usize)?
                .get_or_init(|| FileSource::new(file)),
        )
    }
}

/// Findings rendered together (on one core): each report is independent.
const CHUNK: usize = 256;

fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // miette wraps the message and help (with textwrap): at ASCII spaces,
    // never splitting words at hyphens, because messages are full of rule
    // ids, directive names, paths and URLs that should stay whole.
    GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// A span cut to the line it starts on. miette quotes every line a label
/// covers: an unterminated statement in an included file that is no
/// config (`include /etc/passwd;`) would put the whole file in the
/// report. A snippet is the label's first line and miette's context line
/// on either side.
fn first_line(file: &SourceFile, span: Span) -> Span {
    let line = file.line_of(span.start());
    match file.line_starts().get(line) {
        // the next line's start, less its newline
        Some(&next) if span.end() >= next => {
            Span::new(span.file, span.start(), (next - 1).max(span.start()))
        }
        _ => span,
    }
}

/// The report width.
const WIDTH: usize = 100;

fn render_chunk<'a>(
    diags: &[Diagnostic],
    sources: &'a SourceMap,
    files: &Snippets<'a>,
    handler: &GraphicalReportHandler,
) -> String {
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
        let longest = std::iter::once(span)
            .chain(d.related.iter().map(|l| l.span))
            .filter(|s| s.file == span.file)
            .map(|s| quoted_line_len(file, s.start()))
            .max()
            .unwrap_or(0);
        if longest > MAX_QUOTED_LINE {
            let p = file.position(span.start());
            let _ = writeln!(out, "{}[{}]: {}", d.severity, d.rule, d.message);
            let _ = writeln!(
                out,
                "  --> {}:{}:{} (a line of {longest} bytes: not quoted)",
                crate::sanitize::clean(file.display_name()),
                p.line,
                p.column
            );
            if let Some(h) = &d.help {
                let _ = writeln!(out, "  help: {h}");
            }
            out.push('\n');
            continue;
        }
        let Some(src) = files.get(span.file, file) else {
            continue;
        };
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            d.label.as_deref().map(str::to_string),
            src.span(file, first_line(file, span)),
        )];
        let mut foreign = Vec::new();
        for l in &d.related {
            if l.span.file == span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(l.message.to_string()),
                    src.span(file, first_line(file, l.span)),
                ));
            } else if let Some(f) = sources.try_get(l.span.file) {
                let p = f.position(l.span.start());
                foreign.push(format!(
                    "{}: {}:{}:{}",
                    l.message,
                    crate::sanitize::clean(f.display_name()),
                    p.line,
                    p.column
                ));
            }
        }
        let r = Rendered {
            d,
            src,
            labels,
            foreign,
        };
        let _ = handler.render_report(&mut out, &r);
        out.push('\n');
    }
    out
}

/// Length in bytes of the line of `file` holding `offset`.
fn quoted_line_len(file: &SourceFile, offset: usize) -> usize {
    let starts = file.line_starts();
    let i = file.line_of(offset.min(file.text.len())).max(1) - 1;
    let end = starts.get(i + 1).copied().unwrap_or(file.text.len());
    end.saturating_sub(starts.get(i).copied().unwrap_or(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &[u8], needle: &str, related: Option<&str>) -> String {
        let mut map = SourceMap::new();
        let id = map.add(SourceFile::new("t.conf", text.to_vec()));
        let at = |w: &str| {
            let s = text
                .windows(w.len())
                .position(|x| x == w.as_bytes())
                .expect("needle in test text");
            Span::new(id, s, s + w.len())
        };
        let mut d = Diagnostic::warning("t/rule", "msg")
            .with_span(at(needle))
            .with_label("here");
        if let Some(r) = related {
            d = d.with_related(at(r), "there");
        }
        render(&[d], &map, false)
    }

    #[test]
    fn labels_point_at_their_words_past_invalid_utf8() {
        let out = one(
            b"# caf\xe9 \xff\xfe\nworker_processes 2;\nuser nginx;\n",
            "user",
            None,
        );
        assert!(out.contains("[t.conf:3:1]"), "{out}");
        assert!(out.contains(" 3 │ user nginx;"), "{out}");
        let out = one(b"# caf\xe9 \xff\xfe\nworker_processes 2;\n", "worker", None);
        assert!(out.contains("# caf\u{fffd} \u{fffd}\u{fffd}"), "{out}");
        let out = one(b"a \xff\xff b;\nc \xfe d;\n", "d;", None);
        assert!(out.contains("[t.conf:2:7]"), "{out}");
        let caret = out.lines().find(|l| l.contains('┬')).unwrap_or("");
        let line = out.lines().find(|l| l.contains(" 2 │ ")).unwrap_or("");
        assert_eq!(
            caret.chars().position(|c| c == '─'),
            line.chars().position(|c| c == 'd'),
            "{out}"
        );
    }

    #[test]
    fn distant_labels_get_their_own_snippets() {
        let mut text = String::from("upstream a { server x; }\n");
        for i in 0..100 {
            text.push_str(&format!("# filler {i}\n"));
        }
        text.push_str("proxy_pass http://a;\n");
        let out = one(text.as_bytes(), "proxy_pass", Some("upstream a"));
        assert!(out.contains("[t.conf:102:1]"), "{out}");
        assert!(!out.contains("filler 50"), "{out}");
        assert_eq!(out.matches("╰────").count(), 2, "{out}");
        assert!(out.contains("filler 99"), "{out}");
    }
}
