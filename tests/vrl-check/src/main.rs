//! Runs a VRL program (the output of `ngxray export vector`) with the vrl
//! crate's own compiler and runtime over log files: one event per line,
//! `{"message": LINE}`, and prints the resulting `ngxray_*` fields of each
//! event as one JSON object per line (`file` index and `line` number first).
//!
//! Usage: ngxray-vrl-check PROGRAM.vrl LOG...

use std::collections::BTreeMap;
use std::process::ExitCode;

use vrl::compiler::{state::RuntimeState, Context, TargetValue, TimeZone};
use vrl::value::{Secrets, Value};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((program, logs)) = args.split_first() else {
        eprintln!("usage: ngxray-vrl-check PROGRAM.vrl LOG...");
        return ExitCode::from(2);
    };
    let src = match std::fs::read_to_string(program) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{program}: {e}");
            return ExitCode::from(2);
        }
    };
    let fns = vrl::stdlib::all();
    let compiled = match vrl::compiler::compile(&src, &fns) {
        Ok(c) => c,
        Err(diags) => {
            eprintln!(
                "{}",
                vrl::diagnostic::Formatter::new(&src, diags).to_string()
            );
            return ExitCode::from(1);
        }
    };
    if !compiled.warnings.is_empty() {
        eprintln!(
            "{}",
            vrl::diagnostic::Formatter::new(&src, compiled.warnings.clone()).to_string()
        );
    }
    let tz = TimeZone::default();
    let mut out = String::new();
    for (fi, path) in logs.iter().enumerate() {
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(2);
            }
        };
        let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        if lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        for (n, raw) in lines.iter().enumerate() {
            let mut obj = BTreeMap::new();
            obj.insert("message".into(), Value::Bytes(raw.to_vec().into()));
            let mut target = TargetValue {
                value: Value::Object(obj),
                metadata: Value::Object(BTreeMap::new()),
                secrets: Secrets::default(),
            };
            let mut state = RuntimeState::default();
            let mut ctx = Context::new(&mut target, &mut state, &tz);
            if let Err(e) = compiled.program.resolve(&mut ctx) {
                eprintln!("{path}:{}: runtime error: {e}", n + 1);
                return ExitCode::from(1);
            }
            let mut row = serde_json::Map::new();
            row.insert("file".into(), fi.into());
            row.insert("line".into(), (n + 1).into());
            if let Value::Object(fields) = &target.value {
                for (k, v) in fields {
                    if let Some(name) = k.strip_prefix("ngxray_") {
                        let j = match v {
                            Value::Null => serde_json::Value::Null,
                            Value::Integer(i) => (*i).into(),
                            Value::Boolean(b) => (*b).into(),
                            other => match other.as_bytes() {
                                Some(b) => String::from_utf8_lossy(b).into_owned().into(),
                                None => format!("{other:?}").into(),
                            },
                        };
                        row.insert(name.to_string(), j);
                    }
                }
            }
            out.push_str(&serde_json::Value::Object(row).to_string());
            out.push('\n');
        }
    }
    print!("{out}");
    ExitCode::SUCCESS
}
