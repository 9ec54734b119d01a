//! Runs a VRL program (the output of `ngxray export vector`) with the vrl
//! crate's own compiler and runtime over log files, the way Vector's file
//! source feeds it: one event per line, or per group of lines when the
//! source has a `multiline` setting ([`Multiline`], the aggregation of
//! Vector's `line_agg`). The program may turn one event into several (an
//! array assigned to `.`); each comes back with its `ngxray_*` fields and
//! the number of lines of its `.message`. Kept out of ngxray's own build
//! because the vrl crate is heavy.

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

/// The lines of a log file as `ngxray logs` counts them (and as Vector's
/// file source splits them: on `\n`, a last line without newline
/// included).
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Vector's multiline aggregation (`line_agg`, file source): which lines
/// go into one event. No timeout: the whole file is there at once.
pub struct Multiline {
    start: regex::bytes::Regex,
    condition: regex::bytes::Regex,
    mode: Mode,
}

/// `multiline.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ContinueThrough,
    ContinuePast,
    HaltBefore,
    HaltWith,
}

impl Multiline {
    /// The `multiline` table of a file source in a vector.toml, if any.
    pub fn from_source(source: &toml::Value) -> Result<Option<Multiline>, String> {
        let Some(m) = source.get("multiline") else {
            return Ok(None);
        };
        let s = |k: &str| {
            m.get(k)
                .and_then(toml::Value::as_str)
                .ok_or_else(|| format!("multiline.{k} missing"))
        };
        let re = |k: &str| {
            s(k).and_then(|p| {
                regex::bytes::Regex::new(p).map_err(|e| format!("multiline.{k}: {e}"))
            })
        };
        let mode = match s("mode")? {
            "continue_through" => Mode::ContinueThrough,
            "continue_past" => Mode::ContinuePast,
            "halt_before" => Mode::HaltBefore,
            "halt_with" => Mode::HaltWith,
            other => return Err(format!("multiline.mode {other:?}")),
        };
        Ok(Some(Multiline {
            start: re("start_pattern")?,
            condition: re("condition_pattern")?,
            mode,
        }))
    }

    /// Group lines as Vector does: `(first line index, lines)`. A buffered
    /// group continues or ends by the condition and mode; a line that ends
    /// a group without joining it is handled afresh (it may start the next
    /// one); a line that is not buffered and does not match the start
    /// pattern is an event of its own.
    pub fn groups(&self, lines: &[&[u8]]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut open: Option<(usize, usize)> = None;
        for (i, line) in lines.iter().enumerate() {
            let mut line_left = true;
            if let Some((start, n)) = open {
                let matched = self.condition.is_match(line);
                // (continue, include this line when ending)
                let (cont, include) = match (self.mode, matched) {
                    (Mode::ContinueThrough, true) | (Mode::ContinuePast, true) => (true, true),
                    (Mode::ContinueThrough, false) => (false, false),
                    (Mode::ContinuePast, false) => (false, true),
                    (Mode::HaltBefore, true) => (false, false),
                    (Mode::HaltBefore, false) | (Mode::HaltWith, false) => (true, true),
                    (Mode::HaltWith, true) => (false, true),
                };
                if cont {
                    open = Some((start, n + 1));
                    line_left = false;
                } else if include {
                    out.push((start, n + 1));
                    open = None;
                    line_left = false;
                } else {
                    out.push((start, n));
                    open = None;
                }
            }
            if line_left {
                if self.start.is_match(line) {
                    open = Some((i, 1));
                } else {
                    out.push((i, 1));
                }
            }
        }
        if let Some(g) = open {
            out.push(g);
        }
        out
    }
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

/// One event the program emitted.
#[derive(Debug, Clone)]
pub struct Event {
    /// Lines of its `.message`.
    pub lines: usize,
    /// Its `ngxray_*` fields.
    pub fields: Fields,
}

fn event(value: &Value) -> Result<Event, String> {
    let Value::Object(fields) = value else {
        return Err(format!("event is not an object: {value:?}"));
    };
    let message = fields
        .get("message")
        .and_then(Value::as_bytes)
        .ok_or("event without .message")?;
    let mut row = Fields::new();
    for (k, v) in fields {
        if let Some(name) = k.strip_prefix("ngxray_") {
            row.insert(name.to_string(), json(v));
        }
    }
    Ok(Event {
        lines: message.iter().filter(|&&b| b == b'\n').count() + 1,
        fields: row,
    })
}

impl Program {
    /// Run the program on one event whose `.message` is `raw`; the events
    /// it emits (several when it assigns an array to `.`).
    pub fn run(&self, raw: &[u8]) -> Result<Vec<Event>, String> {
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
        match &target.value {
            Value::Array(events) => events.iter().map(event).collect(),
            other => Ok(vec![event(other)?]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ml(mode: &str) -> Multiline {
        let t: toml::Value = toml::from_str(&format!(
            "[multiline]\nstart_pattern = '^[^\\s]'\ncondition_pattern = '^[\\s]+'\nmode = \"{mode}\"\ntimeout_ms = 1"
        ))
        .unwrap();
        Multiline::from_source(&t).unwrap().unwrap()
    }

    #[test]
    fn continue_through_groups_indented_lines() {
        // Vector's own `mode_continue_through_1` case.
        let lines: Vec<&[u8]> = vec![
            b"some usual line",
            b"some other usual line",
            b"first part",
            b" second part",
            b" last part",
            b"another normal message",
            b"finishing message",
            b" last part of the incomplete finishing message",
        ];
        assert_eq!(
            ml("continue_through").groups(&lines),
            [(0, 1), (1, 1), (2, 3), (5, 1), (6, 2)]
        );
    }

    #[test]
    fn halt_before_starts_again_at_the_halting_line() {
        let lines: Vec<&[u8]> = vec![b"a", b"b", b" c", b"d"];
        // Condition `^\s+` halts before an indented line, which is then
        // not a start line: an event of its own.
        assert_eq!(ml("halt_before").groups(&lines), [(0, 2), (2, 1), (3, 1)]);
    }
}
