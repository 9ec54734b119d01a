//! `lint --format gitlab`: a GitLab Code Quality report (the `codequality`
//! artifact behind the merge-request widget): a JSON array with one issue
//! per finding, `description`, `check_name` (the rule id), `fingerprint`
//! (see [`super::fingerprint`]), `severity` and `location.path` /
//! `location.lines.begin`, paths relative to the repository root. Severity
//! mapping: error → `critical`, warning → `major`, info → `info`. The help
//! line and the rule page's URL are in `content.body` (Markdown).

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::syntax::SourceMap;

use super::RunInfo;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'static str,
    description: &'a str,
    content: Content,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: &'a str,
    location: Location,
    engine_name: &'static str,
}

#[derive(Serialize)]
struct Content {
    body: String,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

/// Write the report, pretty-printed, and a newline.
pub fn write(
    w: &mut impl Write,
    diags: &[Diagnostic],
    sources: &SourceMap,
    info: &RunInfo,
) -> io::Result<()> {
    let issues = diags.iter().enumerate().map(|(i, d)| {
        let at = d.span.and_then(|s| {
            let f = sources.try_get(s.file)?;
            Some((f, f.position(s.start()), f.position(s.end())))
        });
        let (path, begin, end) = match at {
            Some((f, s, e)) => (info.repo_path(&f.path), s.line, e.line.max(s.line)),
            // a finding about an input (`io/unreadable`) names it in its label
            None => (
                d.label
                    .as_deref()
                    .map_or_else(|| ".".to_string(), |p| info.repo_path(Path::new(p))),
                1,
                1,
            ),
        };
        let mut body = String::new();
        if let Some(h) = &d.help {
            body.push_str("**help:** ");
            body.push_str(h);
            body.push_str("\n\n");
        }
        body.push_str(&format!("[{}]({})", d.rule, super::rule_url(d.rule)));
        Issue {
            kind: "issue",
            check_name: d.rule,
            description: &d.message,
            content: Content { body },
            categories: ["Bug Risk"],
            severity: severity(d.severity),
            fingerprint: info.fingerprint(i),
            location: Location {
                path,
                lines: Lines { begin, end },
            },
            engine_name: "ngxray",
        }
    });
    let mut w = io::BufWriter::new(w);
    serde_json::to_writer_pretty(&mut w, &super::Streamed::new(issues)).map_err(io::Error::from)?;
    w.write_all(b"\n")?;
    w.flush()
}
