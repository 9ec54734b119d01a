//! The `ngxray/lint/v1` JSON document.
//!
//! CI runs on big configurations can carry tens of thousands of findings,
//! and going through serde for them cost as much as the whole rule engine:
//! serde_json escapes strings one byte at a time and the pretty printer
//! writes its indentation piece by piece. The document has one fixed
//! shape, so it is written here directly into a buffer, with string
//! escaping that skips eight clean bytes at a time. The output is byte for
//! byte what `serde_json::to_string_pretty` gives for the same document (a
//! test compares the two on every escape class and on random strings).

use std::io::{self, Write};

use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::syntax::{Position, SourceMap};

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
pub fn write(
    w: &mut impl Write,
    diags: &[Diagnostic],
    sources: &SourceMap,
    summary: &Summary,
) -> io::Result<()> {
    emit(diags, sources, summary, &mut |piece| w.write_all(piece))
}

/// The document as a string (without the final newline).
pub fn render(diags: &[Diagnostic], sources: &SourceMap, summary: &Summary) -> String {
    let mut buf = Vec::new();
    let _ = emit(diags, sources, summary, &mut |piece| {
        buf.extend_from_slice(piece);
        Ok(())
    });
    buf.pop();
    // Only valid UTF-8 is ever written (string values are `&str`).
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Diagnostics per chunk, and how many it takes to bother with threads.
const CHUNK: usize = 512;
const PARALLEL_FROM: usize = 2 * CHUNK;

/// Where the previous position lookups landed, per kind of span: findings
/// are sorted, so the next primary span is usually on the same or a
/// following line (see [`crate::syntax::SourceFile::position_near`]).
#[derive(Default)]
struct Hints {
    primary: (u32, usize),
    related: (u32, usize),
}

fn near(
    f: &crate::syntax::SourceFile,
    file: u32,
    offset: usize,
    hint: &mut (u32, usize),
) -> Position {
    if hint.0 != file {
        *hint = (file, 0);
    }
    f.position_near(offset, &mut hint.1)
}

/// Produce the document piece by piece (head, diagnostics, tail) into
/// `sink`. Big runs are written in chunks on all cores, a window of chunks
/// at a time: the next window is rendered while the sink takes the current
/// one, so the whole document is never in memory.
fn emit(
    diags: &[Diagnostic],
    sources: &SourceMap,
    summary: &Summary,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    // Display path of each file, escaped once.
    let paths: Vec<Vec<u8>> = sources
        .files()
        .map(|(_, f)| {
            let mut v = Vec::new();
            string(&mut v, &f.path.display().to_string());
            v
        })
        .collect();
    let mut o = Vec::with_capacity(256);
    o.extend_from_slice(b"{\n  \"schema\": \"ngxray/lint/v1\",\n  \"version\": ");
    string(&mut o, env!("CARGO_PKG_VERSION"));
    o.extend_from_slice(b",\n  \"diagnostics\": [");
    // Each diagnostic is written as `,\n    {…}`; the first one's comma is
    // dropped.
    let chunk = |c: &[Diagnostic]| -> Vec<u8> {
        let mut out = Vec::with_capacity(estimate(c, &paths));
        let mut hints = Hints::default();
        for d in c {
            out.extend_from_slice(b",\n    {");
            diagnostic(&mut out, d, sources, &paths, &mut hints);
            out.extend_from_slice(b"\n    }");
        }
        out
    };
    if diags.len() >= PARALLEL_FROM {
        use rayon::prelude::*;
        sink(&o)?;
        let window = CHUNK * 2 * rayon::current_num_threads().max(1);
        let render =
            |w: &[Diagnostic]| -> Vec<Vec<u8>> { w.par_chunks(CHUNK).map(chunk).collect() };
        let mut windows = diags.chunks(window);
        let mut pending = windows.next().map(render).unwrap_or_default();
        if let Some(first) = pending.first_mut() {
            first.drain(..1.min(first.len()));
        }
        loop {
            let upcoming = windows.next();
            let mut next = None;
            let slot = &mut next;
            let render = &render;
            rayon::in_place_scope(|s| {
                if let Some(w) = upcoming {
                    s.spawn(move |_| *slot = Some(render(w)));
                }
                pending.iter().try_for_each(|p| sink(p))
            })?;
            match next {
                Some(n) => pending = n,
                None => break,
            }
        }
        o.clear();
    } else {
        let out = chunk(diags);
        o.extend_from_slice(out.get(1..).unwrap_or_default());
    }
    if !diags.is_empty() {
        o.extend_from_slice(b"\n  ");
    }
    o.extend_from_slice(b"],\n  \"summary\": {\n    \"files\": ");
    number(&mut o, summary.files);
    o.extend_from_slice(b",\n    \"errors\": ");
    number(&mut o, summary.errors);
    o.extend_from_slice(b",\n    \"warnings\": ");
    number(&mut o, summary.warnings);
    o.extend_from_slice(b",\n    \"infos\": ");
    number(&mut o, summary.infos);
    o.extend_from_slice(b",\n    \"total\": ");
    number(&mut o, summary.total);
    o.extend_from_slice(b"\n  }\n}\n");
    sink(&o)
}

/// Bytes a chunk takes when nothing needs escaping (the fixed keys and
/// indentation, the strings, the paths and numbers), so that its buffer is
/// allocated once.
fn estimate(c: &[Diagnostic], paths: &[Vec<u8>]) -> usize {
    let path = |f: u32| paths.get(f as usize).map_or(4, Vec::len);
    c.iter()
        .map(|d| {
            let own = 300
                + d.rule.len()
                + d.message.len()
                + d.help.as_ref().map_or(4, String::len)
                + d.span.map_or(4, |s| path(s.file.0));
            own + d
                .related
                .iter()
                .map(|l| 200 + l.message.len() + path(l.span.file.0))
                .sum::<usize>()
        })
        .sum()
}

fn diagnostic(
    o: &mut Vec<u8>,
    d: &Diagnostic,
    sources: &SourceMap,
    paths: &[Vec<u8>],
    hints: &mut Hints,
) {
    const F: &[u8] = b",\n      \"";
    o.extend_from_slice(b"\n      \"rule\": ");
    string(o, d.rule);
    o.extend_from_slice(b",\n      \"severity\": \"");
    o.extend_from_slice(d.severity.as_str().as_bytes());
    o.extend_from_slice(b"\",\n      \"message\": ");
    string(o, &d.message);
    let at = d
        .span
        .and_then(|sp| sources.try_get(sp.file).map(|f| (sp, f)))
        .and_then(|(sp, f)| {
            let path = paths.get(sp.file.0 as usize)?;
            let start = near(f, sp.file.0, sp.start(), &mut hints.primary);
            let end = near(f, sp.file.0, sp.end(), &mut hints.primary);
            Some((path, start, end))
        });
    let fields: [(&[u8], Option<usize>); 6] = [
        (b"line", at.as_ref().map(|a| a.1.line)),
        (b"column", at.as_ref().map(|a| a.1.column)),
        (b"end_line", at.as_ref().map(|a| a.2.line)),
        (b"end_column", at.as_ref().map(|a| a.2.column)),
        (b"offset", at.as_ref().map(|a| a.1.offset)),
        (b"end_offset", at.as_ref().map(|a| a.2.offset)),
    ];
    o.extend_from_slice(b",\n      \"file\": ");
    match &at {
        Some((path, _, _)) => o.extend_from_slice(path),
        None => o.extend_from_slice(b"null"),
    }
    for (key, v) in fields {
        o.extend_from_slice(F);
        o.extend_from_slice(key);
        o.extend_from_slice(b"\": ");
        match v {
            Some(n) => number(o, n),
            None => o.extend_from_slice(b"null"),
        }
    }
    o.extend_from_slice(b",\n      \"help\": ");
    match &d.help {
        Some(h) => string(o, h),
        None => o.extend_from_slice(b"null"),
    }
    o.extend_from_slice(b",\n      \"related\": [");
    let mut any = false;
    for l in &d.related {
        let (Some(f), Some(path)) = (
            sources.try_get(l.span.file),
            paths.get(l.span.file.0 as usize),
        ) else {
            continue;
        };
        o.extend_from_slice(if any {
            b",\n        {\n          \"message\": "
        } else {
            b"\n        {\n          \"message\": "
        });
        any = true;
        string(o, &l.message);
        o.extend_from_slice(b",\n          \"file\": ");
        o.extend_from_slice(path);
        let start = near(f, l.span.file.0, l.span.start(), &mut hints.related);
        let end = near(f, l.span.file.0, l.span.end(), &mut hints.related);
        label_positions(o, start, end);
        o.extend_from_slice(b"\n        }");
    }
    if any {
        o.extend_from_slice(b"\n      ");
    }
    o.push(b']');
    if d.fix.is_some() {
        // The fix, resolved to positions (rare: serde is fast enough).
        if let Some(f) = d.locate(sources).fix {
            o.extend_from_slice(b",\n      \"fix\": ");
            o.extend_from_slice(&serde_json::to_vec(&f).unwrap_or_else(|_| b"null".to_vec()));
        }
    }
}

fn label_positions(o: &mut Vec<u8>, s: Position, e: Position) {
    o.extend_from_slice(b",\n          \"line\": ");
    number(o, s.line);
    o.extend_from_slice(b",\n          \"column\": ");
    number(o, s.column);
    o.extend_from_slice(b",\n          \"end_line\": ");
    number(o, e.line);
    o.extend_from_slice(b",\n          \"end_column\": ");
    number(o, e.column);
}

fn number(o: &mut Vec<u8>, n: usize) {
    o.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Bytes of `w` (little endian) that need escaping: `"`, `\` or a control
/// character below 0x20 have their high bit set. These are the classic
/// "has a zero / has a byte less than n" bit tricks: a borrow can only
/// flag bytes above a real match, so the lowest flagged byte is exact.
fn escape_mask(w: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let below_space = w.wrapping_sub(LO * 0x20) & !w & HI;
    below_space | has_zero(w ^ (LO * b'"' as u64)) | has_zero(w ^ (LO * b'\\' as u64))
}

/// A JSON string literal, escaped exactly as serde_json does.
fn string(o: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    o.reserve(b.len() + 2);
    o.push(b'"');
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        if let Some(chunk) = b.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let m = escape_mask(u64::from_le_bytes(w));
            if m == 0 {
                i += 8;
                continue;
            }
            // straight to the first byte that needs escaping
            i += (m.trailing_zeros() / 8) as usize;
        }
        let c = b[i];
        let short: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            c if c < 0x20 => b"",
            _ => {
                i += 1;
                continue;
            }
        };
        o.extend_from_slice(&b[start..i]);
        if short.is_empty() {
            o.extend_from_slice(b"\\u00");
            o.push(HEX[(c >> 4) as usize]);
            o.push(HEX[(c & 0xf) as usize]);
        } else {
            o.extend_from_slice(short);
        }
        i += 1;
        start = i;
    }
    o.extend_from_slice(&b[start..]);
    o.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Located;
    use crate::syntax::{SourceFile, Span};
    use proptest::prelude::*;

    /// The document as serde_json writes it from the `Located` view: the
    /// reference the direct writer must match byte for byte.
    fn reference(diags: &[Diagnostic], sources: &SourceMap, summary: &Summary) -> String {
        #[derive(Serialize)]
        struct Document<'a> {
            schema: &'static str,
            version: &'static str,
            diagnostics: Vec<Located>,
            summary: &'a Summary,
        }
        let doc = Document {
            schema: "ngxray/lint/v1",
            version: env!("CARGO_PKG_VERSION"),
            diagnostics: diags.iter().map(|d| d.locate(sources)).collect(),
            summary,
        };
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

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

    #[test]
    fn matches_serde_json_on_every_escape() {
        let nasty = "quote \" backslash \\ nl \n cr \r tab \t bs \u{8} ff \u{c} nul \u{0} us \u{1f} del \u{7f} é → 😀 \"\"\\\\ end";
        for (m, h) in [
            (nasty, Some(nasty)),
            ("plain message long enough to use whole words", None),
            ("", Some("")),
        ] {
            let (diags, map) = sample(m, h, "dir/\"q\"\\x.conf");
            let summary = Summary::of(&diags, 2);
            assert_eq!(
                render(&diags, &map, &summary),
                reference(&diags, &map, &summary)
            );
        }
        // Enough findings to be written in parallel chunks.
        let (diags, map) = sample(nasty, None, "nginx.conf");
        let many: Vec<Diagnostic> = diags
            .iter()
            .cycle()
            .take(3 * PARALLEL_FROM + 7)
            .cloned()
            .collect();
        let summary = Summary::of(&many, 2);
        assert_eq!(
            render(&many, &map, &summary),
            reference(&many, &map, &summary)
        );
        let map = SourceMap::new();
        let summary = Summary::of(&[], 0);
        assert_eq!(render(&[], &map, &summary), reference(&[], &map, &summary));
    }

    proptest! {
        #[test]
        fn matches_serde_json_on_random_strings(m in "(?s).{0,80}", h in proptest::option::of("(?s).{0,40}")) {
            let (diags, map) = sample(&m, h.as_deref(), "nginx.conf");
            let summary = Summary::of(&diags, 2);
            prop_assert_eq!(render(&diags, &map, &summary), reference(&diags, &map, &summary));
        }
    }
}
