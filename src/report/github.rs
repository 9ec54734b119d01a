//! `lint --format github`.

use crate::diag::Diagnostic;
use crate::syntax::SourceMap;

pub fn render(_diags: &[Diagnostic], _sources: &SourceMap) -> String {
    String::from("github output is not available yet\n")
}
