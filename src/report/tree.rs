//! `parse --format json`: ngxray's own tree, with byte spans, line/column,
//! quoting and include edges (`ngxray/parse/v1`).

use serde_json::{json, Map, Value};

use crate::load::Loaded;
use crate::syntax::{Block, Item, Quote, SourceFile, Span};

fn span_json(f: &SourceFile, s: Span) -> Value {
    let a = f.position(s.start);
    let b = f.position(s.end);
    json!({"start": s.start, "end": s.end, "line": a.line, "column": a.column, "end_line": b.line, "end_column": b.column})
}

fn block_json(loaded: &Loaded, f: &SourceFile, b: &Block, comments: bool) -> Vec<Value> {
    let mut out = Vec::new();
    for item in b.items() {
        match item {
            Item::Comment(c) => {
                if comments {
                    out.push(json!({"comment": c.text, "span": span_json(f, c.span)}));
                }
            }
            Item::Directive(d) => {
                let mut m = Map::new();
                m.insert("directive".into(), json!(d.name()));
                m.insert("span".into(), span_json(f, d.span));
                m.insert("name_span".into(), span_json(f, d.name.span));
                m.insert(
                    "args".into(),
                    Value::Array(
                        d.args
                            .iter()
                            .map(|a| {
                                json!({
                                    "value": a.value,
                                    "quote": match a.quote { Quote::None => Value::Null, Quote::Double => json!("\""), Quote::Single => json!("'") },
                                    "span": span_json(f, a.span),
                                })
                            })
                            .collect(),
                    ),
                );
                if let Some(blk) = &d.block {
                    m.insert(
                        "block".into(),
                        Value::Array(block_json(loaded, f, blk, comments)),
                    );
                }
                if let Some(raw) = &d.raw {
                    m.insert(
                        "raw".into(),
                        json!({"text": raw.text, "span": span_json(f, raw.span)}),
                    );
                }
                let inc = loaded.included_by(d);
                if d.name() == "include" {
                    m.insert(
                        "includes".into(),
                        json!(inc.iter().map(|i| i.0).collect::<Vec<_>>()),
                    );
                }
                out.push(Value::Object(m));
            }
        }
    }
    out
}

/// The whole document.
pub fn render(loaded: &Loaded, comments: bool) -> String {
    let files: Vec<Value> = loaded
        .files
        .iter()
        .map(|pf| {
            let f = loaded.sources.get(pf.file);
            let errors: Vec<Value> = pf
                .errors
                .iter()
                .map(|e| json!({"rule": e.kind.rule_id(), "message": e.message, "span": span_json(f, e.span)}))
                .collect();
            json!({
                "id": pf.file.0,
                "file": f.path.display().to_string(),
                "status": if pf.errors.is_empty() { "ok" } else { "failed" },
                "errors": errors,
                "directives": block_json(loaded, f, &pf.root, comments),
            })
        })
        .collect();
    let doc = json!({"schema": "ngxray/parse/v1", "roots": loaded.roots.iter().map(|r| r.0).collect::<Vec<_>>(), "files": files});
    serde_json::to_string(&doc).unwrap_or_default()
}
