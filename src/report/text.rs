//! Human output: miette's graphical report (source snippet, label, help) for
//! each diagnostic, then a one-line summary.

use std::fmt::Write as _;

use std::borrow::Cow;
use std::collections::HashMap;

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
        let name = file.path.display().to_string();
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
        let first = self.line_index(start).saturating_sub(before);
        let last_byte = if end > start { end - 1 } else { end };
        let last = (self.line_index(last_byte) + after).min(self.starts.len() - 1);
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
    /// Message and help already wrapped by [`prewrap`], for the handler
    /// that does not wrap.
    wrapped: Option<(String, Option<String>)>,
}

impl Rendered<'_> {
    fn message(&self) -> &str {
        match &self.wrapped {
            Some((m, _)) => m,
            None => &self.d.message,
        }
    }
}

impl std::fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
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
        if let Some((_, help)) = &self.wrapped {
            return help
                .as_ref()
                .map(|h| Box::new(h.as_str()) as Box<dyn std::fmt::Display>);
        }
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
        Some(self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Render diagnostics with miette. `color` selects ANSI colours.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Wrap at ASCII spaces and never split words at hyphens: messages are
    // full of rule ids, directive names, paths and URLs that should stay
    // whole (and the Unicode line-break tables cost more than all of the
    // linting on big runs).
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation);
    let handlers = Handlers {
        prewrapped: handler.clone().with_wrap_lines(false),
        wrapping: handler,
    };
    // Each report is independent: big runs are rendered in chunks on all
    // cores, in order.
    use rayon::prelude::*;
    diags
        .par_chunks(256)
        .map(|chunk| render_chunk(chunk, sources, &handlers))
        .collect::<Vec<String>>()
        .concat()
}

/// The report width, and the widths miette wraps the message and the help
/// at: `width - 2` minus the indent (`"  × "`, `"  help: "`).
const WIDTH: usize = 100;
const MESSAGE_WIDTH: usize = WIDTH - 2 - 4;
const HELP_WIDTH: usize = WIDTH - 2 - 8;

/// miette wraps a report's message and help with textwrap, which measures
/// every word's display width through Unicode tables: on a big run that
/// cost more than all the linting. Plain ASCII text is wrapped here
/// instead ([`prewrap`], the same first-fit breaks) and given to a
/// handler that does not wrap; anything else goes through miette's.
struct Handlers {
    wrapping: GraphicalReportHandler,
    prewrapped: GraphicalReportHandler,
}

/// The lines textwrap's first-fit wrapping (ASCII-space word separator,
/// no hyphen splitting) makes of `text` at `width`, joined by `\n`, when
/// the text is one line without control characters or leading spaces
/// whose every word fits the width; `None` otherwise (the caller lets
/// textwrap do it). Words are measured with textwrap's own display width
/// when they are not ASCII. A test checks the result against textwrap on
/// random texts.
fn prewrap(text: &str, width: usize) -> Option<String> {
    let b = text.as_bytes();
    if b.is_empty() || b[0] == b' ' || b.iter().any(|&c| c < b' ' || c == 0x7f) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 8);
    // current line: from `line` to the end of its last word
    let (mut line, mut line_width) = (0, 0);
    let mut i = 0;
    while i < b.len() {
        let word_end = memchr::memchr(b' ', &b[i..]).map_or(b.len(), |k| i + k);
        let next = b[word_end..]
            .iter()
            .position(|&c| c != b' ')
            .map_or(b.len(), |k| word_end + k);
        let word = &b[i..word_end];
        let w = if word.is_ascii() {
            word.len()
        } else {
            textwrap::core::display_width(&text[i..word_end])
        };
        if w > width {
            return None;
        }
        if line_width + w > width && i > line {
            let end = text[line..i].trim_end_matches(' ').len() + line;
            out.push_str(&text[line..end]);
            out.push('\n');
            line = i;
            line_width = 0;
        }
        line_width += w + (next - word_end);
        i = next;
    }
    out.push_str(text[line..].trim_end_matches(' '));
    Some(out)
}

fn render_chunk(diags: &[Diagnostic], sources: &SourceMap, handlers: &Handlers) -> String {
    let mut out = String::new();
    let mut files: HashMap<FileId, FileSource> = HashMap::new();
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
        let src: &FileSource = files
            .entry(span.file)
            .or_insert_with(|| FileSource::new(file));
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            d.label.clone(),
            src.span(file, span),
        )];
        let mut foreign = Vec::new();
        for l in &d.related {
            if l.span.file == span.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(l.message.clone()),
                    src.span(file, l.span),
                ));
            } else if let Some(f) = sources.try_get(l.span.file) {
                let p = f.position(l.span.start());
                foreign.push(format!(
                    "{}: {}:{}:{}",
                    l.message,
                    f.path.display(),
                    p.line,
                    p.column
                ));
            }
        }
        let wrapped = if foreign.is_empty() {
            prewrap(&d.message, MESSAGE_WIDTH).and_then(|m| match &d.help {
                None => Some((m, None)),
                Some(h) => prewrap(h, HELP_WIDTH).map(|h| (m, Some(h))),
            })
        } else {
            None
        };
        let handler = match wrapped {
            Some(_) => &handlers.prewrapped,
            None => &handlers.wrapping,
        };
        let r = Rendered {
            d,
            src,
            labels,
            foreign,
            wrapped,
        };
        let _ = handler.render_report(&mut out, &r);
        out.push('\n');
    }
    out
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

    /// What miette prints for a wrapped text: textwrap with miette's
    /// options, against the pre-wrapped lines with the indents added.
    fn both(text: &str, indent: &str, rest: &str) -> Option<(String, String)> {
        let width = WIDTH - 2;
        let opts = textwrap::Options::new(width)
            .initial_indent(indent)
            .subsequent_indent(rest)
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        let mine = prewrap(text, width - indent.chars().count())?;
        let mine = format!("{indent}{}", mine.replace('\n', &format!("\n{rest}")));
        Some((textwrap::fill(text, opts), mine))
    }

    #[test]
    fn prewrap_breaks_like_textwrap() {
        let long = "set `proxy_http_version 1.1;` and `proxy_set_header Connection \"\";` where this location takes its proxy settings (for WebSockets use `map $http_upgrade $connection_upgrade { default upgrade; '' ''; }`)";
        for (indent, rest) in [("  × ", "  │ "), ("  help: ", "        ")] {
            let (theirs, mine) = both(long, indent, rest).expect("plain ASCII");
            assert_eq!(mine, theirs);
            assert!(mine.lines().count() > 1);
        }
        // not for prewrap: control characters, leading space, several
        // lines, empty, a word wider than the line (also in display width)
        for t in [
            "a\u{1b}[1mb",
            " x",
            "a\nb",
            "",
            &"x".repeat(95),
            &"漢".repeat(48),
        ] {
            assert_eq!(prewrap(t, 94), None, "{t:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn prewrap_matches_textwrap_on_random_text(
            words in proptest::collection::vec(("[a-z`$;\"(){}./:-]{0,30}", " {1,3}"), 1..40),
            tail in " {0,2}",
            help in proptest::bool::ANY,
        ) {
            let mut text: String = words.iter().map(|(w, s)| format!("{w}{s}")).collect();
        if help {
            text = text.replace('q', "—").replace('z', "×").replace('k', "漢");
        }
            text = text.trim_start().to_string();
            text.push_str(&tail);
            let (indent, rest) = if help { ("  help: ", "        ") } else { ("  × ", "  │ ") };
            if let Some((theirs, mine)) = both(&text, indent, rest) {
                proptest::prop_assert_eq!(mine, theirs);
            }
        }
    }
}
