//! `ngxray export clickhouse` agrees with `ngxray logs --format ndjson` on
//! every single-line event of the test logs, run in chDB (ClickHouse
//! in-process). Multi-line messages, which `ngxray logs` joins and the
//! exports see line by line, are counted and left out (docs/fleet.md).
//!
//! The SQL is loaded as printed, the lines go into its raw-line table and
//! the view is read back; each line's cause, status, level, upstream,
//! server, client and request (and time, message, action, errno, pid,
//! connection, host) must equal the ndjson event of the same line. chDB is
//! found through `NGXRAY_PYTHON` or `.ci/venv/bin/python`; without it the
//! test skips visibly, or fails when `NGXRAY_REQUIRE_ORACLES=1`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{corpus, ngxray, repo, stdout};

/// Fields compared per line: (ndjson name, view column, hex-encoded).
const FIELDS: &[(&str, &str, bool)] = &[
    ("cause", "cause", false),
    ("status", "status", false),
    ("level", "level", false),
    ("upstream", "upstream", true),
    ("server", "server", true),
    ("client", "client", true),
    ("request", "request", true),
    ("time", "time", false),
    ("message", "text", true),
    ("action", "action", true),
    ("errno", "errno", false),
    ("pid", "pid", false),
    ("connection", "connection", false),
    ("host", "request_host", true),
];

fn require_oracles() -> bool {
    std::env::var("NGXRAY_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

/// A Python with chDB, or `None` after a visible skip message.
pub fn chdb_python(test: &str) -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("NGXRAY_PYTHON") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec![repo().join(".ci/venv/bin/python")],
    };
    for py in candidates {
        let ok = Command::new(&py)
            .args(["-c", "import chdb"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    let msg = format!(
        "SKIP {test}: no Python with chdb (set NGXRAY_PYTHON, or python3 -m venv .ci/venv && .ci/venv/bin/pip install chdb)"
    );
    assert!(!require_oracles(), "{msg} (NGXRAY_REQUIRE_ORACLES=1)");
    eprintln!("{msg}");
    None
}

/// The logs every agreement test reads: the repo's fixtures, the export
/// edge cases and, when present, the shared corpus.
pub fn agreement_logs(test: &str) -> Vec<PathBuf> {
    let mut logs = vec![
        repo().join("testdata/logs/pasted.log"),
        repo().join("testdata/logs/sample.error.log"),
        repo().join("tests/export/edge.error.log"),
    ];
    match corpus(test) {
        Some(dir) => logs.push(dir.join("logs/error.log")),
        None => assert!(!require_oracles(), "{test}: corpus missing"),
    }
    logs
}

/// Runs of U+FFFD count as one: ClickHouse's `toValidUTF8` replaces a run
/// of invalid bytes by one replacement character, Rust by one per invalid
/// sequence. Everything else is compared exactly.
pub fn fold_replacement(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = false;
    for c in s.chars() {
        let r = c == '\u{fffd}';
        if !(r && prev) {
            out.push(c);
        }
        prev = r;
    }
    out
}

fn normal(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) => serde_json::Value::String(fold_replacement(s)),
        other => other.clone(),
    }
}

fn unhex(v: &serde_json::Value) -> serde_json::Value {
    match v.as_str() {
        None => v.clone(),
        Some(h) => {
            let bytes: Vec<u8> = (0..h.len() / 2)
                .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex from SQL"))
                .collect();
            serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
        }
    }
}

/// ndjson events of one file, in line order.
pub fn ndjson(path: &Path) -> Vec<serde_json::Value> {
    let out = ngxray(&["logs", "--format", "ndjson", path.to_str().unwrap()]);
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{out:?}"
    );
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson line"))
        .collect()
}

/// Corpus-like lines mutated at random (fixed seed): context keys, quotes,
/// commas, errnos, actions and prefixes inserted, bytes cut. Valid UTF-8
/// only (invalid bytes are the one documented difference). Written to
/// `dir/mutated.error.log`.
pub fn mutated_log(dir: &Path, seeds: &[PathBuf]) -> PathBuf {
    const FRAGS: &[&str] = &[
        ", client: ",
        ", server: ",
        ", udp client: ",
        ", request: \"",
        "\"",
        ", upstream: \"",
        " while ",
        " (111: Connection refused)",
        " (104: x)",
        ", resolver: ",
        ", host: \"",
        " in /a b:3",
        ":12",
        "(",
        ")",
        ",",
        " ",
        "é",
        "\r",
        "nginx: ",
        "[error] ",
        "2026/11/25 15:19:36 [warn] ",
        "*12 ",
        "1#2: ",
        " could not be resolved",
        "connect() to ",
        " failed",
        "unix:",
        "[::1]:80",
        "http://",
        "bytes from/to client:",
        "while reading upstream",
        "while connecting to upstream",
        "upstream timed out",
    ];
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for p in seeds {
        let data = std::fs::read(p).unwrap();
        lines.extend(
            data.split(|&b| b == b'\n')
                .filter(|l| std::str::from_utf8(l).is_ok() && !l.is_empty())
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
    for _ in 0..2000 {
        let mut l = lines[rnd(lines.len())].clone();
        for _ in 0..1 + rnd(4) {
            // Cut and insert at character boundaries.
            let text = String::from_utf8(l.clone()).unwrap();
            let bounds: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            let at = bounds[rnd(bounds.len())];
            match rnd(10) {
                0..=5 => {
                    let f = FRAGS[rnd(FRAGS.len())].as_bytes();
                    l.splice(at..at, f.iter().copied());
                }
                6..=7 => {
                    let end = bounds
                        .iter()
                        .copied()
                        .filter(|&b| b > at)
                        .nth(rnd(12))
                        .unwrap_or(at);
                    l.drain(at..end);
                }
                _ => l.truncate(at),
            }
        }
        out.extend_from_slice(&l);
        out.push(b'\n');
    }
    let path = dir.join("mutated.error.log");
    std::fs::write(&path, out).unwrap();
    path
}

/// ClickHouse's DateTime holds 1970 to 2105 only: outside, `ngxray_time`
/// is NULL (documented), so such times are not compared.
fn time_in_range(v: &serde_json::Value) -> bool {
    v.as_str()
        .and_then(|t| t.get(..4))
        .and_then(|y| y.parse::<u32>().ok())
        .is_none_or(|y| (1970..=2105).contains(&y))
}

#[test]
fn clickhouse_export_agrees_with_ndjson_line_for_line() {
    let test = "clickhouse_export_agrees_with_ndjson_line_for_line";
    let Some(py) = chdb_python(test) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut logs = agreement_logs(test);
    let mutated = mutated_log(dir.path(), &logs);
    logs.push(mutated);
    let sql = dir.path().join("ngxray.sql");
    let queries = dir.path().join("queries.sql");
    let out = ngxray(&["export", "clickhouse"]);
    assert!(out.status.success());
    std::fs::write(&sql, &out.stdout).unwrap();
    let out = ngxray(&["export", "clickhouse", "--queries"]);
    assert!(out.status.success());
    std::fs::write(&queries, &out.stdout).unwrap();

    let mut cmd = Command::new(&py);
    cmd.arg(repo().join("tests/export/chdb_run.py"))
        .arg(&sql)
        .arg(&queries)
        .args(&logs);
    let out = cmd.output().expect("run chdb");
    assert!(
        out.status.success(),
        "chdb run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every example query ran.
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("query ok").count(), 4, "{err}");
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSONEachRow"))
        .collect();

    let mut mismatches = Vec::new();
    let mut compared = 0;
    let mut multi_line = 0;
    for (fi, path) in logs.iter().enumerate() {
        let events = ndjson(path);
        let file = format!("f{fi}");
        let mine: BTreeMap<u64, &serde_json::Value> = rows
            .iter()
            .filter(|r| r["file"] == file)
            .map(|r| (r["line_no"].as_u64().unwrap(), r))
            .collect();
        // Every physical line is one row; ndjson events cover them all.
        let covered: u64 = events
            .iter()
            .map(|e| e["lines"].as_u64().unwrap_or(1))
            .sum();
        assert_eq!(
            mine.len() as u64,
            covered,
            "{}: {} rows from SQL, {} lines in ndjson events",
            path.display(),
            mine.len(),
            covered
        );
        for e in &events {
            // A multi-line message (continuation lines joined to their head
            // by `ngxray logs`) is classified per physical line by the
            // exports: a documented difference, not compared.
            if e["lines"].as_u64().unwrap_or(1) > 1 {
                multi_line += 1;
                continue;
            }
            let r = mine[&e["line"].as_u64().unwrap()];
            for (name, col, hex) in FIELDS {
                let got = if *hex {
                    unhex(&r[*col])
                } else {
                    r[*col].clone()
                };
                if *name == "time" && !time_in_range(&e[*name]) {
                    continue;
                }
                compared += 1;
                if normal(&got) != normal(&e[*name]) {
                    mismatches.push(format!(
                        "{}:{} {name}: sql {} != ngxray {}",
                        path.display(),
                        e["line"],
                        got,
                        e[*name]
                    ));
                }
            }
        }
    }
    assert!(compared > 1000, "compared only {compared} values");
    eprintln!("{compared} values compared; {multi_line} multi-line messages not compared");
    assert!(
        mismatches.is_empty(),
        "{} disagreements:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(40)].join("\n")
    );
}

#[test]
fn clickhouse_export_is_reproducible_and_versioned() {
    let a = ngxray(&["export", "clickhouse"]);
    let b = ngxray(&["export", "clickhouse"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let sql = stdout(&a);
    assert!(sql.contains("CREATE OR REPLACE FUNCTION ngxray_cause AS (raw)"));
    assert!(sql.contains("CREATE OR REPLACE FUNCTION ngxray_status AS (raw)"));
    assert!(sql.contains("CREATE OR REPLACE VIEW ngxray_events AS"));
    let version = ngxray::export::taxonomy_version();
    assert!(sql.contains(&format!("-- Taxonomy: {version}")), "{sql}");
    // Names are options; bad names are refused.
    let out = ngxray(&[
        "export",
        "clickhouse",
        "--table",
        "logs.raw",
        "--view",
        "ev",
    ]);
    assert!(stdout(&out).contains("CREATE OR REPLACE VIEW ev AS"));
    assert!(stdout(&out).contains("FROM logs.raw)"));
    let out = ngxray(&["export", "clickhouse", "--table", "x; DROP TABLE y"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn vector_export_is_reproducible_and_versioned() {
    let a = ngxray(&["export", "vector"]);
    let b = ngxray(&["export", "vector"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let vrl = stdout(&a);
    assert!(vrl.contains(".ngxray_cause = get!("));
    assert!(vrl.contains(&ngxray::export::taxonomy_version()));
    let conf = stdout(&ngxray(&["export", "vector", "--config"]));
    assert!(conf.contains("[transforms.ngxray]") && conf.contains("type = \"remap\""));
    // The sample configuration is valid TOML.
    let parsed: toml::Value = toml::from_str(&conf).expect("vector.toml parses");
    assert_eq!(
        parsed["sinks"]["clickhouse"]["table"].as_str(),
        Some("nginx_error_log")
    );
}
