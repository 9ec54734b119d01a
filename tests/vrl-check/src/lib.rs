//! Runs a VRL program (the output of `ngxray export vector`) with the vrl
//! crate's own compiler and runtime: one event `{"message": LINE}` per log
//! line, split on `\n` as `ngxray logs` splits (a last line without newline
//! included). Kept out of ngxray's own build because the vrl crate is heavy.

use std::collections::BTreeMap;

use vrl::compiler::{state::RuntimeState, Context, TargetValue, TimeZone};
use vrl::value::{Secrets, Value};

/// The `ngxray_*` fields of one event, without the prefix, as JSON.
pub type Fields = serde_json::Map<String, serde_json::Value>;

/// A compiled program.
pub struct Program {
    program: vrl::compiler::Program,
    /// Rendered compiler warnings (empty when clean).
    pub warnings: String,
}

/// Compile VRL source; the error is the rendered diagnostics.
pub fn compile(src: &str) -> Result<Program, String> {
    let fns = vrl::stdlib::all();
    match vrl::compiler::compile(src, &fns) {
        Ok(c) => {
            let warnings = if c.warnings.is_empty() {
                String::new()
            } else {
                vrl::diagnostic::Formatter::new(src, c.warnings.clone()).to_string()
            };
            Ok(Program {
                program: c.program,
                warnings,
            })
        }
        Err(diags) => Err(vrl::diagnostic::Formatter::new(src, diags).to_string()),
    }
}

/// The lines of a log file as `ngxray logs` counts them.
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => (*i).into(),
        Value::Boolean(b) => (*b).into(),
        other => match other.as_bytes() {
            Some(b) => String::from_utf8_lossy(b).into_owned().into(),
            None => format!("{other:?}").into(),
        },
    }
}

impl Program {
    /// Run the program on one line; the `ngxray_*` fields it set.
    pub fn run(&self, raw: &[u8]) -> Result<Fields, String> {
        let mut obj = BTreeMap::new();
        obj.insert("message".into(), Value::Bytes(raw.to_vec().into()));
        let mut target = TargetValue {
            value: Value::Object(obj),
            metadata: Value::Object(BTreeMap::new()),
            secrets: Secrets::default(),
        };
        let mut state = RuntimeState::default();
        let tz = TimeZone::default();
        let mut ctx = Context::new(&mut target, &mut state, &tz);
        self.program.resolve(&mut ctx).map_err(|e| e.to_string())?;
        let mut row = Fields::new();
        if let Value::Object(fields) = &target.value {
            for (k, v) in fields {
                if let Some(name) = k.strip_prefix("ngxray_") {
                    row.insert(name.to_string(), json(v));
                }
            }
        }
        Ok(row)
    }
}
