//! `lint --format sarif`: a SARIF 2.1.0 log for code scanning (e.g. GitHub's
//! `upload-sarif`). `tool.driver.rules` lists every registered rule (id,
//! short and full description, `helpUri` to its doc page, default level), so
//! a viewer can explain a rule even when the run found nothing for it. Each
//! result carries `ruleId`, `ruleIndex`, `level`, the message, and a location
//! with a relative `artifactLocation.uri` (relative to the current
//! directory, i.e. the checkout) and a region. Columns count Unicode code
//! points (`columnKind`), like every other ngxray output; `endColumn` is
//! exclusive, as SARIF specifies.

use std::io::{self, Write};
use std::path::{Component, Path};

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::diag::{Diagnostic, Located, Severity};
use crate::lint::registry;
use crate::lint::rule::RuleMeta;
use crate::syntax::SourceMap;

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

/// Render the SARIF log for these diagnostics (without the final newline).
pub fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut buf = Vec::new();
    if let Err(e) = write(&mut buf, diags, sources) {
        return format!("{{\"error\":\"{e}\"}}");
    }
    buf.pop();
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Write the SARIF log, pretty-printed, and a newline. Results are built
/// and written one at a time, so memory does not grow with their number.
pub fn write(w: &mut impl Write, diags: &[Diagnostic], sources: &SourceMap) -> io::Result<()> {
    let cwd = std::env::current_dir().ok();
    let rules = registry::all();
    let doc = Log {
        diags,
        sources,
        cwd: cwd.as_deref(),
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
    cwd: Option<&'a Path>,
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
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("columnKind", "unicodeCodePoints")?;
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
        s.collect_seq(log.diags.iter().map(|d| {
            let index = log.rules.iter().position(|r| r.id == d.rule);
            result(&d.locate(log.sources), index, log.cwd)
        }))
    }
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

fn physical_location(file: &str, lines: (usize, usize, usize, usize), cwd: Option<&Path>) -> Value {
    let rel = relative_path(file, cwd);
    let mut artifact = Map::new();
    if Path::new(&rel).is_absolute() {
        artifact.insert("uri".into(), json!(format!("file://{}", encode_uri(&rel))));
    } else {
        artifact.insert("uri".into(), json!(encode_uri(&rel)));
        artifact.insert("uriBaseId".into(), json!("%SRCROOT%"));
    }
    let (sl, sc, el, ec) = lines;
    json!({
        "artifactLocation": artifact,
        "region": {
            "startLine": sl,
            "startColumn": sc,
            "endLine": el.max(sl),
            "endColumn": if el > sl { ec } else { ec.max(sc) },
        }
    })
}

fn result(l: &Located, rule_index: Option<usize>, cwd: Option<&Path>) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(l.rule));
    if let Some(i) = rule_index {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(l.severity)));
    let mut text = l.message.clone();
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
            json!([{ "physicalLocation": physical_location(file, (sl, sc, el, ec), cwd) }]),
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
                        &rl.file,
                        (rl.line, rl.column, rl.end_line, rl.end_column),
                        cwd,
                    ),
                })
            })
            .collect();
        r.insert("relatedLocations".into(), json!(related));
    }
    Value::Object(r)
}

/// A finding's path as code scanning and annotations want it: relative to
/// `cwd` when inside it, without `./`, with `/` separators. Paths outside
/// `cwd` (e.g. `/etc/nginx/…` from an `nginx -T` dump) stay absolute.
pub fn relative_path(file: &str, cwd: Option<&Path>) -> String {
    let p = Path::new(file);
    let p = match cwd {
        Some(c) if p.is_absolute() => p.strip_prefix(c).unwrap_or(p),
        _ => p,
    };
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::RootDir => absolute = true,
            Component::Prefix(x) => parts.push(x.as_os_str().to_string_lossy().into_owned()),
            Component::ParentDir => parts.push("..".into()),
            Component::Normal(x) => parts.push(x.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        file.to_string()
    } else {
        joined
    }
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
    fn relative_paths() {
        let cwd = Some(Path::new("/repo"));
        assert_eq!(relative_path("/repo/a/b.conf", cwd), "a/b.conf");
        assert_eq!(relative_path("./a/b.conf", cwd), "a/b.conf");
        assert_eq!(relative_path("/etc/nginx/x.conf", cwd), "/etc/nginx/x.conf");
        assert_eq!(relative_path("../x.conf", cwd), "../x.conf");
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
