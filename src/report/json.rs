//! The `ngxray/lint/v1` JSON document.

use serde::Serialize;

use crate::diag::{Diagnostic, Located, Severity};
use crate::syntax::SourceMap;

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
        let count = |s| diags.iter().filter(|d| d.severity == s).count();
        Summary {
            files,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            total: diags.len(),
        }
    }
}

#[derive(Debug, Serialize)]
struct Document<'a> {
    schema: &'static str,
    version: &'static str,
    diagnostics: Vec<Located>,
    summary: &'a Summary,
}

pub fn render(diags: &[Diagnostic], sources: &SourceMap, summary: &Summary) -> String {
    let doc = Document {
        schema: "ngxray/lint/v1",
        version: env!("CARGO_PKG_VERSION"),
        diagnostics: diags.iter().map(|d| d.locate(sources)).collect(),
        summary,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
