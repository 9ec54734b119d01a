//! `lint --format sarif`: a SARIF 2.1.0 log for code scanning (e.g. GitHub's
//! `upload-sarif`). `tool.driver.rules` lists every registered rule (id,
//! short and full description, `helpUri` to its doc page, default level), so
//! a viewer can explain a rule even when the run found nothing for it. Each
//! result carries `ruleId`, `ruleIndex`, `level`, the message, and a location
//! with a relative `artifactLocation.uri` (relative to the repository root:
//! `--base-dir`, else the git root, else the current directory) and a
//! region, and `partialFingerprints` that survive line moves (see
//! [`super::fingerprint`]), so code scanning tracks a finding across
//! commits. `invocations[0]` records whether the run succeeded: an input
//! that could not be read (`io/unreadable`) makes it
//! `executionSuccessful: false` with one `toolExecutionNotification` per
//! input. Columns count Unicode code points (`columnKind`), like every
//! other ngxray output; `endColumn` is exclusive, as SARIF specifies.

use std::io::{self, Write};
use std::path::Path;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::diag::{Diagnostic, Located, Severity};
use crate::lint::registry;
use crate::lint::rule::RuleMeta;
use crate::syntax::SourceMap;

use super::{RunInfo, IO_UNREADABLE};

/// Base URL that repository-relative doc paths (`docs/rules/<id>.md`,
/// `README.md`) are resolved against for SARIF `helpUri` and
/// `informationUri`. Change it here when the repository moves; nothing else
/// spells the URL.
pub const DOCS_BASE: &str = "https://github.com/ngxray/ngxray/blob/main/";

/// The URL of a rule's documentation page.
pub fn help_uri(rule: &RuleMeta) -> String {
    format!("{DOCS_BASE}{}", rule.doc_path())
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The key of ngxray's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "ngxray/v1";

/// Render the SARIF log for these diagnostics (without the final newline).
pub fn render(diags: &[Diagnostic], sources: &SourceMap, info: &RunInfo) -> String {
    let mut buf = Vec::new();
    if let Err(e) = write(&mut buf, diags, sources, info) {
        return format!("{{\"error\":\"{e}\"}}");
    }
    buf.pop();
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Write the SARIF log, pretty-printed, and a newline. Results are built
/// and written one at a time, so memory does not grow with their number.
pub fn write(
    w: &mut impl Write,
    diags: &[Diagnostic],
    sources: &SourceMap,
    info: &RunInfo,
) -> io::Result<()> {
    let rules = registry::all();
    let doc = Log {
        diags,
        sources,
        info,
        rules: &rules,
    };
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

/// The log. Keys are written in the order a `serde_json::Value` sorts
/// them, which is how this document has always been printed.
struct Log<'a> {
    diags: &'a [Diagnostic],
    sources: &'a SourceMap,
    info: &'a RunInfo,
    rules: &'a [&'static RuleMeta],
}

impl Serialize for Log<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("$schema", "https://json.schemastore.org/sarif-2.1.0.json")?;
        m.serialize_entry("runs", &[Run(self)])?;
        m.serialize_entry("version", "2.1.0")?;
        m.end()
    }
}

struct Run<'a>(&'a Log<'a>);

impl Serialize for Run<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let log = self.0;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("columnKind", "unicodeCodePoints")?;
        m.serialize_entry("invocations", &[invocation(log)])?;
        m.serialize_entry("results", &Results(log))?;
        let driver_rules: Vec<Value> = log.rules.iter().map(|r| rule_descriptor(r)).collect();
        m.serialize_entry(
            "tool",
            &json!({
                "driver": {
                    "name": "ngxray",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": format!("{DOCS_BASE}README.md"),
                    "rules": driver_rules,
                }
            }),
        )?;
        m.end()
    }
}

struct Results<'a>(&'a Log<'a>);

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let log = self.0;
        s.collect_seq(log.diags.iter().enumerate().map(|(i, d)| {
            let index = log.rules.iter().position(|r| r.id == d.rule);
            let mut r = result(&d.locate(log.sources), index, log.info);
            if let Some(o) = r.as_object_mut() {
                o.insert(
                    "partialFingerprints".into(),
                    json!({ FINGERPRINT_KEY: log.info.fingerprint(i) }),
                );
            }
            r
        }))
    }
}

/// `invocations[0]`: whether every input was read; one notification per
/// input that was not (the same text as its `io/unreadable` result).
fn invocation(log: &Log) -> Value {
    let failed: Vec<Value> = log
        .diags
        .iter()
        .filter(|d| d.rule == IO_UNREADABLE)
        .map(|d| {
            let mut n = json!({
                "level": "error",
                "message": {"text": d.message},
                "descriptor": {"id": d.rule},
            });
            if let (Some(path), Some(o)) = (&d.label, n.as_object_mut()) {
                o.insert(
                    "locations".into(),
                    json!([{"physicalLocation": {"artifactLocation": artifact(path, log.info)}}]),
                );
            }
            n
        })
        .collect();
    json!({
        "executionSuccessful": failed.is_empty(),
        "toolExecutionNotifications": failed,
    })
}

fn rule_descriptor(r: &RuleMeta) -> Value {
    let name = r.id.split_once('/').map(|(_, n)| n).unwrap_or(r.id);
    let mut v = json!({
        "id": r.id,
        "name": name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": full_description(r)},
        "helpUri": help_uri(r),
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {"tags": [r.category()]},
    });
    if let Some(obj) = v.as_object_mut() {
        obj.insert("help".into(), json!({"text": r.doc, "markdown": r.doc}));
    }
    v
}

/// The first paragraph of the page's "What it finds" section (or of the page
/// after its title), on one line; the summary when the rule has no page.
pub fn full_description(r: &RuleMeta) -> String {
    let lines: Vec<&str> = r.doc.lines().collect();
    let start = lines
        .iter()
        .position(|l| {
            l.trim_start_matches('#')
                .trim()
                .eq_ignore_ascii_case("what it finds")
        })
        .map(|i| i + 1)
        .or_else(|| {
            lines
                .iter()
                .position(|l| l.starts_with("# "))
                .map(|i| i + 1)
        })
        .unwrap_or(0);
    let para: Vec<&str> = lines[start..]
        .iter()
        .map(|l| l.trim())
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("```"))
        .collect();
    if para.is_empty() {
        r.summary.to_string()
    } else {
        para.join(" ")
    }
}

/// An `artifactLocation`: relative to `%SRCROOT%` (the repository root)
/// when inside it, else a `file://` URI.
fn artifact(file: &str, info: &RunInfo) -> Value {
    let rel = info.repo_path(Path::new(file));
    let mut artifact = Map::new();
    if Path::new(&rel).is_absolute() {
        artifact.insert("uri".into(), json!(format!("file://{}", encode_uri(&rel))));
    } else {
        artifact.insert("uri".into(), json!(encode_uri(&rel)));
        artifact.insert("uriBaseId".into(), json!("%SRCROOT%"));
    }
    Value::Object(artifact)
}

fn physical_location(file: &str, lines: (usize, usize, usize, usize), info: &RunInfo) -> Value {
    let (sl, sc, el, ec) = lines;
    json!({
        "artifactLocation": artifact(file, info),
        "region": {
            "startLine": sl,
            "startColumn": sc,
            "endLine": el.max(sl),
            "endColumn": if el > sl { ec } else { ec.max(sc) },
        }
    })
}

fn result(l: &Located, rule_index: Option<usize>, info: &RunInfo) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(l.rule));
    if let Some(i) = rule_index {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(l.severity)));
    let mut text = l.message.to_string();
    if let Some(h) = &l.help {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    r.insert("message".into(), json!({ "text": text }));
    if let (Some(file), Some(sl), Some(sc), Some(el), Some(ec)) =
        (&l.file, l.line, l.column, l.end_line, l.end_column)
    {
        r.insert(
            "locations".into(),
            json!([{ "physicalLocation": physical_location(file, (sl, sc, el, ec), info) }]),
        );
    }
    if !l.related.is_empty() {
        let related: Vec<Value> = l
            .related
            .iter()
            .enumerate()
            .map(|(i, rl)| {
                json!({
                    "id": i,
                    "message": {"text": rl.message},
                    "physicalLocation": physical_location(
                        rl.file,
                        (rl.line, rl.column, rl.end_line, rl.end_column),
                        info,
                    ),
                })
            })
            .collect();
        r.insert("relatedLocations".into(), json!(related));
    }
    if let Some(f) = &l.fix {
        r.insert("fixes".into(), json!([fix(f, info)]));
    }
    Value::Object(r)
}

/// A SARIF `fix`: one `artifactChange` per file, each edit a `replacement`
/// of a `deletedRegion` (1-based, end column exclusive) by `insertedContent`.
fn fix(f: &crate::diag::LocatedFix, info: &RunInfo) -> Value {
    let mut files: Vec<&str> = Vec::new();
    for e in &f.edits {
        if !files.contains(&e.file) {
            files.push(e.file);
        }
    }
    let changes: Vec<Value> = files
        .iter()
        .map(|file| {
            let artifact = physical_location(file, (1, 1, 1, 1), info)["artifactLocation"].clone();
            let replacements: Vec<Value> = f
                .edits
                .iter()
                .filter(|e| e.file == *file)
                .map(|e| {
                    json!({
                        "deletedRegion": {
                            "startLine": e.line,
                            "startColumn": e.column,
                            "endLine": e.end_line,
                            "endColumn": e.end_column,
                            "charOffset": e.offset,
                            "charLength": e.end_offset - e.offset,
                        },
                        "insertedContent": { "text": e.replacement },
                    })
                })
                .collect();
            json!({ "artifactLocation": artifact, "replacements": replacements })
        })
        .collect();
    json!({
        "description": { "text": format!("{} ({})", f.message, f.applicability.as_str()) },
        "artifactChanges": changes,
    })
}

/// Percent-encode a path for a URI reference: everything but RFC 3986
/// unreserved characters and `/`.
pub fn encode_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encoding() {
        assert_eq!(encode_uri("a b/ü#.conf"), "a%20b/%C3%BC%23.conf");
    }

    #[test]
    fn full_description_reads_what_it_finds() {
        let r = RuleMeta {
            id: "dns/x",
            severity: Severity::Warning,
            summary: "short",
            doc: "# dns/x\n\n## What it finds\n\nA `proxy_pass`\nwith a name.\n\nMore.\n",
        };
        assert_eq!(full_description(&r), "A `proxy_pass` with a name.");
        assert!(help_uri(&r).ends_with("docs/rules/dns/x.md"));
    }
}
