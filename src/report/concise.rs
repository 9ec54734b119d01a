//! `lint --format concise`: one line per finding,
//! `path:line:col: severity[rule-id] message`, with the path exactly as the
//! finding's file was named (on the command line, by an `include`, or by an
//! `nginx -T` dump). It is the format rule pages show as example output, so
//! it must stay stable: no colour, no summary line, no wrapping.

use std::fmt::Write as _;

use crate::diag::{Diagnostic, Located};
use crate::syntax::SourceMap;

/// Render every diagnostic as one line (each ends with `\n`).
pub fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&line(&d.locate(sources)));
        out.push('\n');
    }
    out
}

/// Write every diagnostic as one line, a batch at a time (big runs are
/// rendered in chunks on all cores).
pub fn write(
    w: &mut impl std::io::Write,
    diags: &[Diagnostic],
    sources: &SourceMap,
) -> std::io::Result<()> {
    super::in_batches(
        diags,
        512,
        |c| Ok(render(c, sources).into_bytes()),
        |part| w.write_all(&part),
    )
}

/// One finding as one line, without the trailing newline. A finding without
/// a location (about the whole run) is `severity[rule-id] message`.
pub fn line(l: &Located) -> String {
    let mut s = String::new();
    if let (Some(file), Some(line), Some(col)) = (&l.file, l.line, l.column) {
        // a file name is text from the config's author too (a pull request
        // can add `a\x1b[2J.conf`): no control character reaches the terminal
        let _ = write!(s, "{}:{line}:{col}: ", crate::sanitize::clean(file));
    }
    let _ = write!(s, "{}[{}] {}", l.severity, l.rule, one_line(l.message));
    s
}

/// Keep a message on one line: line breaks become spaces.
fn one_line(msg: &str) -> String {
    if msg.contains(['\n', '\r']) {
        msg.split(['\n', '\r'])
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        msg.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{SourceFile, Span};

    #[test]
    fn one_line_per_finding() {
        let mut sources = SourceMap::new();
        let f = sources.add(SourceFile::new(
            "conf/a b.conf",
            b"events {}\nhttp {\n  x;\n}\n".to_vec(),
        ));
        let diags = vec![
            Diagnostic::warning("grammar/unknown-directive", "unknown directive \"x\"")
                .with_span(Span::new(f, 19, 20)),
            Diagnostic::error("include/cycle", "two\nlines"),
        ];
        assert_eq!(
            render(&diags, &sources),
            "conf/a b.conf:3:3: warning[grammar/unknown-directive] unknown directive \"x\"\n\
             error[include/cycle] two lines\n"
        );
    }
}
