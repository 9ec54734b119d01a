//! What the agreement tests of the exports share: the input logs, the
//! generated hostile and mutated lines, and the comparison of an export's
//! events with `ngxray logs --format ndjson`, record by record.
//!
//! Used by `tests/export_clickhouse.rs` (SQL run in chDB) and by
//! `tests/vrl-check/tests/agree.rs` (VRL run by the vrl crate), which
//! include this file with `#[path]`; it depends on std and serde_json only.
//!
//! A record is what `ngxray logs` calls an event: one physical line, or a
//! head line and its continuation lines (PHP stack traces, Lua
//! tracebacks). An export reports each record either once, with the number
//! of physical lines it covers (Vector with the sample `multiline` setting,
//! or a ClickHouse row holding the whole record), or as a head row plus
//! continuation rows (ClickHouse rows of physical lines, see
//! `ngxray_line_events`); continuation rows must point at their head and
//! carry no cause. Every physical line of every input is accounted for.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

/// The event fields compared (names of `ngxray logs --format ndjson`): a
/// copy of `ngxray::export::FIELDS`, which the VRL test crate cannot link;
/// `export_clickhouse::compared_fields_are_the_export_fields` keeps them equal.
pub const FIELDS: &[&str] = &[
    "cause",
    "status",
    "level",
    "upstream",
    "server",
    "client",
    "request",
    "time",
    "message",
    "action",
    "errno",
    "pid",
    "connection",
    "host",
];

/// The physical lines of a file as `ngxray logs` counts them: split on
/// `\n`, a last line without newline included.
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn push_logs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            // Build output of the test crate is not an input.
            if p.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            push_logs(&p, out);
        } else if p.extension().is_some_and(|e| e == "log") {
            out.push(p);
        }
    }
}

/// The logs every agreement test reads: every `*.log` under `tests/` and
/// `testdata/` of the repository (error logs, but access and JSON logs
/// too: their lines must come out unparsable or bare the same way) and,
/// when given, every `*.log` of the shared corpus's `logs/`.
pub fn agreement_logs(repo: &Path, corpus: Option<&Path>) -> Vec<PathBuf> {
    let mut logs = Vec::new();
    push_logs(&repo.join("tests"), &mut logs);
    push_logs(&repo.join("testdata"), &mut logs);
    if let Some(c) = corpus {
        push_logs(&c.join("logs"), &mut logs);
    }
    logs
}

/// Lines too big or too odd for a fixture file, written to
/// `dir/generated.error.log`: a 100 KiB request and referrer, a line
/// longer than `ngxray logs` keeps (256 KiB, cut there), a 600-line
/// traceback (more than the 500 continuation lines a record takes), all
/// bytes 0x00 to 0xff, and no newline after the last line.
pub fn generated_log(dir: &Path) -> PathBuf {
    let t = "2026/11/25 15:19:36";
    let mut out: Vec<u8> = Vec::new();
    let big = "a".repeat(100 * 1024);
    out.extend_from_slice(
        format!(
            "{t} [error] 7#7: *1 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: s, request: \"GET /{big} HTTP/1.1\", upstream: \"http://10.0.0.2:80/\", host: \"h\", referrer: \"{big}, client: 6.6.6.6\"\n"
        )
        .as_bytes(),
    );
    let huge = "é".repeat(150 * 1024);
    out.extend_from_slice(
        format!(
            "{t} [error] 7#7: *2 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: s, request: \"GET /{huge} HTTP/1.1\", upstream: \"http://10.0.0.2:80/\", host: \"h\"\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(
        format!(
            "{t} [error] 7#7: *3 lua entry thread aborted: runtime error: boom\nstack traceback:\n"
        )
        .as_bytes(),
    );
    for i in 0..600 {
        out.extend_from_slice(format!("\tframe {i}: in function 'f'\n").as_bytes());
    }
    let all: Vec<u8> = (0u8..=255).filter(|&b| b != b'\n').collect();
    out.extend_from_slice(format!("{t} [error] 7#7: *4 ").as_bytes());
    out.extend_from_slice(&all);
    out.extend_from_slice(b", client: 10.0.0.1, server: s\n");
    out.extend_from_slice(&all);
    out.push(b'\n');
    out.extend_from_slice(
        format!("{t} [error] 7#7: *5 FastCGI sent in stderr: \"PHP message: PHP Fatal error:  x\nStack trace:\n#0 {{main}}\n  thrown in /a.php on line 2\" while reading response header from upstream, client: 10.0.0.1, server: s, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://127.0.0.1:9000\", host: \"h\"\n")
            .as_bytes(),
    );
    out.extend_from_slice(
        format!("{t} [error] 7#7: *6 no live upstreams while connecting to upstream, client: 10.0.0.1, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://b/\", host: \"h\"").as_bytes(),
    );
    let path = dir.join("generated.error.log");
    std::fs::write(&path, out).expect("write generated log");
    path
}

/// Corpus-like lines mutated at random (fixed seed): context keys, quotes,
/// commas, backslashes, errnos, actions, prefixes, invalid UTF-8 and
/// newlines inserted, bytes cut. Written to `dir/mutated.error.log`.
pub fn mutated_log(dir: &Path, seeds: &[PathBuf]) -> PathBuf {
    const FRAGS: &[&[u8]] = &[
        b", client: ",
        b", server: ",
        b", udp client: ",
        b", request: \"",
        b"\"",
        b"\\\"",
        b"\\",
        b", upstream: \"",
        b" while ",
        b" (111: Connection refused)",
        b" (104: x)",
        b" (10054: An existing connection was forcibly closed)",
        b", resolver: ",
        b", host: \"",
        b", referrer: \"",
        b", context: ",
        b" in /a b:3",
        b":12",
        b"(",
        b")",
        b",",
        b" ",
        "é".as_bytes(),
        b"\xff",
        b"\xc3",
        b"\r",
        b"\n",
        b"\nStack trace:\n#0 {main}\n",
        b"\nstack traceback:\n\t[C]: in ?",
        b"lua ",
        b"runtime error",
        b"nginx: ",
        b"[error] ",
        b"2026/11/25 15:19:36 [warn] ",
        b"*12 ",
        b"1#2: ",
        b" could not be resolved",
        b"connect() to ",
        b" failed",
        b"unix:",
        b"[::1]:80",
        b"http://",
        b"bytes from/to client:",
        b"while reading upstream",
        b"while connecting to upstream",
        b"upstream timed out",
    ];
    let mut seed_lines: Vec<Vec<u8>> = Vec::new();
    for p in seeds {
        let data = std::fs::read(p).expect("read seed log");
        seed_lines.extend(
            lines(&data)
                .into_iter()
                .filter(|l| !l.is_empty() && l.len() < 4096)
                .map(<[u8]>::to_vec),
        );
    }
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = |n: usize| -> usize {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let mut out = Vec::new();
    for _ in 0..3000 {
        let mut l = seed_lines[rnd(seed_lines.len())].clone();
        for _ in 0..1 + rnd(4) {
            let at = rnd(l.len() + 1);
            match rnd(10) {
                0..=5 => {
                    let f = FRAGS[rnd(FRAGS.len())];
                    l.splice(at..at, f.iter().copied());
                }
                6..=7 => {
                    let end = (at + 1 + rnd(12)).min(l.len());
                    l.drain(at..end);
                }
                _ => l.truncate(at),
            }
        }
        out.extend_from_slice(&l);
        out.push(b'\n');
    }
    let path = dir.join("mutated.error.log");
    std::fs::write(&path, out).expect("write mutated log");
    path
}

/// `ngxray logs --format ndjson` of one file: its events in line order.
pub fn ndjson(bin: &Path, path: &Path) -> Vec<Value> {
    let out = Command::new(bin)
        .args(["logs", "--format", "ndjson"])
        .arg(path)
        .output()
        .expect("run ngxray logs");
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "ngxray logs {}: {out:?}",
        path.display()
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson line"))
        .collect()
}

/// One event or row of an export, keyed by its first physical line.
#[derive(Debug, Clone)]
pub struct Got {
    /// Physical lines it covers (1 for a single line or a continuation row).
    pub lines: u64,
    /// For a continuation row: the line number of its head.
    pub continuation_of: Option<u64>,
    /// The event fields, by their ndjson names.
    pub fields: Map<String, Value>,
}

/// Counts of one engine's agreement run.
#[derive(Debug, Default)]
pub struct Tally {
    pub files: usize,
    /// Physical lines of all inputs (each one is accounted for).
    pub lines: u64,
    /// Physical lines in records whose every field agreed (continuation
    /// rows included when they point at their head with no cause).
    pub agreeing_lines: u64,
    /// ngxray events (records) compared.
    pub records: u64,
    /// Of them, records of more than one line.
    pub multi_line_records: u64,
    /// Records whose every field agreed.
    pub agreeing_records: u64,
    /// Field values compared.
    pub values: u64,
    /// Values not compared, with the reason, by field.
    pub not_compared: BTreeMap<String, u64>,
    pub mismatches: Vec<String>,
}

/// How an engine's values are normalised before comparing: `(field,
/// expected, got)` to `None` (not comparable, counted with a reason) or
/// the two values to compare.
pub type Normal<'a> = &'a dyn Fn(&str, &Value, &Value) -> Result<(Value, Value), String>;

/// Values compared as they are.
pub fn exact(_field: &str, want: &Value, got: &Value) -> Result<(Value, Value), String> {
    Ok((want.clone(), got.clone()))
}

impl Tally {
    /// Compare the events of one file. `n_lines` is its count of physical
    /// lines, `got` the export's events keyed by first line.
    pub fn file(
        &mut self,
        path: &Path,
        n_lines: usize,
        events: &[Value],
        got: &BTreeMap<u64, Got>,
        normal: Normal<'_>,
    ) {
        self.files += 1;
        self.lines += n_lines as u64;
        let name = path.display();
        let covered: u64 = events
            .iter()
            .map(|e| e["lines"].as_u64().unwrap_or(1))
            .sum();
        if covered != n_lines as u64 {
            self.mismatches.push(format!(
                "{name}: ngxray events cover {covered} lines of {n_lines}"
            ));
        }
        let mut expected_keys = 0usize;
        for e in events {
            let line = e["line"].as_u64().expect("ndjson line number");
            let n = e["lines"].as_u64().unwrap_or(1);
            self.records += 1;
            if n > 1 {
                self.multi_line_records += 1;
            }
            expected_keys += 1;
            let mut ok = true;
            match got.get(&line) {
                None => {
                    ok = false;
                    self.mismatches
                        .push(format!("{name}:{line}: no event from the export"));
                }
                Some(g) => {
                    if g.continuation_of.is_some() || g.lines != n {
                        ok = false;
                        self.mismatches.push(format!(
                            "{name}:{line}: export event covers {} lines (continuation of {:?}), ngxray {n}",
                            g.lines, g.continuation_of
                        ));
                    }
                    for f in FIELDS {
                        let want = &e[*f];
                        let have = g.fields.get(*f).cloned().unwrap_or(Value::Null);
                        match normal(f, want, &have) {
                            Err(why) => {
                                *self.not_compared.entry(format!("{f}: {why}")).or_default() += 1;
                            }
                            Ok((w, h)) => {
                                self.values += 1;
                                if w != h {
                                    ok = false;
                                    self.mismatches.push(format!(
                                        "{name}:{line} {f}: export {h} != ngxray {w}"
                                    ));
                                }
                            }
                        }
                    }
                }
            }
            // Continuation rows, when the export has them: each points at
            // its head and carries no cause.
            for k in line + 1..line + n {
                if let Some(c) = got.get(&k) {
                    expected_keys += 1;
                    let cause = c.fields.get("cause").cloned().unwrap_or(Value::Null);
                    if c.continuation_of != Some(line) || !cause.is_null() {
                        ok = false;
                        self.mismatches.push(format!(
                            "{name}:{k}: continuation row of {line}: continuation_of {:?}, cause {cause}",
                            c.continuation_of
                        ));
                    }
                }
            }
            if ok {
                self.agreeing_records += 1;
                self.agreeing_lines += n;
            }
        }
        if got.len() != expected_keys {
            let known: std::collections::BTreeSet<u64> = events
                .iter()
                .flat_map(|e| {
                    let l = e["line"].as_u64().unwrap_or(0);
                    l..l + e["lines"].as_u64().unwrap_or(1)
                })
                .collect();
            let extra: Vec<u64> = got
                .keys()
                .copied()
                .filter(|k| !known.contains(k))
                .take(10)
                .collect();
            self.mismatches.push(format!(
                "{name}: the export has {} events, ngxray {expected_keys} (extra at lines {extra:?}, or a continuation row counted as an event)",
                got.len()
            ));
        }
    }

    /// One line for the test output.
    pub fn summary(&self, engine: &str) -> String {
        format!(
            "{engine}: {} files, {} physical lines, {} agreeing ({:.2} %); {} records ({} multi-line), {} agreeing; {} values compared; not compared: {:?}; {} disagreements",
            self.files,
            self.lines,
            self.agreeing_lines,
            100.0 * self.agreeing_lines as f64 / self.lines.max(1) as f64,
            self.records,
            self.multi_line_records,
            self.agreeing_records,
            self.values,
            self.not_compared,
            self.mismatches.len()
        )
    }

    /// Fail with the first disagreements unless every line agreed.
    pub fn assert_all_agree(&self, engine: &str) {
        eprintln!("{}", self.summary(engine));
        assert!(self.lines > 5000, "only {} lines compared", self.lines);
        assert!(
            self.mismatches.is_empty() && self.agreeing_lines == self.lines,
            "{}\n{}",
            self.summary(engine),
            self.mismatches[..self.mismatches.len().min(40)].join("\n")
        );
    }
}
