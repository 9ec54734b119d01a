//! `lint --format github`: GitHub Actions workflow commands, one per
//! finding, so that a `run: ngxray lint --format github …` step annotates the
//! pull request diff:
//! `::error file=…,line=…,endLine=…,col=…,endColumn=…,title=ngxray (rule-id)::message`.
//! `info` findings become `::notice`. Paths are made relative to the
//! repository root (`--base-dir`, else the git root) when they are inside
//! it, because GitHub matches annotation paths against the repository.

use std::fmt::Write as _;

use crate::diag::{Diagnostic, Located, Severity};
use crate::syntax::SourceMap;

use super::RunInfo;

/// Render every diagnostic as one workflow command line.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, info: &RunInfo) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail; the commands are UTF-8.
    let _ = write(&mut out, diags, sources, info);
    String::from_utf8_lossy(&out).into_owned()
}

/// Write every diagnostic as one workflow command line.
pub fn write(
    w: &mut impl std::io::Write,
    diags: &[Diagnostic],
    sources: &SourceMap,
    info: &RunInfo,
) -> std::io::Result<()> {
    for d in diags {
        w.write_all(command(&d.locate(sources), info).as_bytes())?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

fn command_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// One finding as one workflow command (no trailing newline).
pub fn command(l: &Located, info: &RunInfo) -> String {
    let mut props = Vec::new();
    if let Some(file) = &l.file {
        props.push(format!(
            "file={}",
            escape_property(&crate::sanitize::clean(
                &info.repo_path(std::path::Path::new(file))
            ))
        ));
        let pos = [
            ("line", l.line),
            ("endLine", l.end_line),
            ("col", l.column),
            ("endColumn", l.end_column),
        ];
        for (k, v) in pos {
            if let Some(v) = v {
                props.push(format!("{k}={v}"));
            }
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("ngxray ({})", l.rule))
    ));
    let mut msg = l.message.to_string();
    if let Some(h) = &l.help {
        let _ = write!(msg, "\nhelp: {h}");
    }
    format!(
        "::{} {}::{}",
        command_name(l.severity),
        props.join(","),
        escape_data(&msg)
    )
}

/// Escape a command's message (as `@actions/core` does).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a command property value: data escapes plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{SourceFile, Span};
    use std::path::PathBuf;

    #[test]
    fn commands_and_escaping() {
        let mut sources = SourceMap::new();
        let f = sources.add(SourceFile::new(
            "/repo/conf/a,b.conf",
            b"http {\n  proxy_pass x;\n}\n".to_vec(),
        ));
        let d = Diagnostic::warning("dns/x", "100% bad: really")
            .with_span(Span::new(f, 9, 22))
            .with_help("write y\ninstead");
        let info = RunInfo {
            cwd: Some(PathBuf::from("/repo")),
            base: Some(PathBuf::from("/repo")),
            fingerprints: Vec::new(),
        };
        let got = command(&d.locate(&sources), &info);
        assert_eq!(
            got,
            "::warning file=conf/a%2Cb.conf,line=2,endLine=2,col=3,endColumn=16,\
             title=ngxray (dns/x)::100%25 bad: really%0Ahelp: write y%0Ainstead"
        );
        let i = Diagnostic::info("include/cycle", "x");
        assert_eq!(
            command(&i.locate(&sources), &info),
            "::notice title=ngxray (include/cycle)::x"
        );
    }
}
