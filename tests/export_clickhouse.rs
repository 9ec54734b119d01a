//! `ngxray export clickhouse` agrees with `ngxray logs --format ndjson` on
//! every line of the test logs (every `*.log` under tests/ and testdata/,
//! the shared corpus logs, generated hostile lines and 3000 mutated ones),
//! run in chDB (ClickHouse in-process).
//!
//! The SQL is loaded as printed, twice: once over a table of physical
//! lines (a shipper that sends each line with its line number; read back
//! through the `_by_line` view, where a multi-line record is classified on
//! its head row and its continuation rows have no cause), once over a table
//! of records (a multi-line message in one row, as Vector with the sample
//! `multiline` setting ships it; read back through the main view). Every
//! record's cause, status, level, upstream, server, client, request, time,
//! message, action, errno, pid, connection and host must equal its ndjson
//! event (tests/export/common.rs). Two normalisations, both documented in
//! docs/fleet.md: a run of U+FFFD counts as one (ClickHouse's
//! `toValidUTF8` replaces a run of invalid bytes by one), and times outside
//! ClickHouse's DateTime range (1970 to 2105) are not compared. chDB is
//! found through `NGXRAY_PYTHON` or `.ci/venv/bin/python`; without it the
//! test skips visibly, or fails when `NGXRAY_REQUIRE_ORACLES=1`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::util::{corpus, ngxray, repo, stdout};

#[path = "export/common.rs"]
mod common;

use common::{Got, Tally};

/// ndjson field name → view column, and whether the SQL side hex-encodes it.
const COLUMNS: &[(&str, &str, bool)] = &[
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
    let py = match std::env::var_os("NGXRAY_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => repo().join(".ci/venv/bin/python"),
    };
    let ok = Command::new(&py)
        .args(["-c", "import chdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    let msg = format!(
        "SKIP {test}: no Python with chdb (set NGXRAY_PYTHON, or python3 -m venv .ci/venv && .ci/venv/bin/pip install chdb)"
    );
    assert!(!require_oracles(), "{msg} (NGXRAY_REQUIRE_ORACLES=1)");
    eprintln!("{msg}");
    None
}

/// The agreement inputs (tests/export/common.rs) with the shared corpus
/// when present.
pub fn agreement_logs(test: &str) -> Vec<PathBuf> {
    common::agreement_logs(&repo(), corpus(test).as_deref())
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

/// The SQL side's value of a row, by ndjson field name.
fn fields_of(row: &Value) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    for (name, col, hex) in COLUMNS {
        let v = &row[*col];
        let v = match (hex, v.as_str()) {
            (true, Some(h)) => {
                let bytes: Vec<u8> = (0..h.len() / 2)
                    .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex from SQL"))
                    .collect();
                Value::String(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => v.clone(),
        };
        m.insert((*name).to_string(), v);
    }
    m
}

/// ClickHouse's normalisation: U+FFFD runs folded; times outside DateTime
/// (1970 to 2105) not compared.
fn normal(field: &str, want: &Value, got: &Value) -> Result<(Value, Value), String> {
    if field == "time" {
        let in_range = want
            .as_str()
            .and_then(|t| t.get(..4))
            .and_then(|y| y.parse::<u32>().ok())
            .is_none_or(|y| (1970..=2105).contains(&y));
        if !in_range {
            return Err("year outside ClickHouse DateTime".to_string());
        }
    }
    let fold = |v: &Value| match v {
        Value::String(s) => Value::String(fold_replacement(s)),
        other => other.clone(),
    };
    Ok((fold(want), fold(got)))
}

#[test]
fn clickhouse_export_agrees_with_ndjson_line_for_line() {
    let test = "clickhouse_export_agrees_with_ndjson_line_for_line";
    let Some(py) = chdb_python(test) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut logs = agreement_logs(test);
    let mutated = common::mutated_log(dir.path(), &logs);
    logs.push(mutated);
    logs.push(common::generated_log(dir.path()));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_ngxray"));
    let events: Vec<Vec<Value>> = logs.iter().map(|p| common::ndjson(&bin, p)).collect();

    let write = |name: &str, args: &[&str]| {
        let out = ngxray(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        let path = dir.path().join(name);
        std::fs::write(&path, &out.stdout).unwrap();
        path
    };
    let lines_sql = write("lines.sql", &["export", "clickhouse"]);
    let records_sql = write(
        "records.sql",
        &[
            "export",
            "clickhouse",
            "--table",
            "ngxray_records",
            "--view",
            "ngxray_record_events",
        ],
    );
    let queries = write("queries.sql", &["export", "clickhouse", "--queries"]);
    let records: Vec<Vec<[u64; 2]>> = events
        .iter()
        .map(|evs| {
            evs.iter()
                .map(|e| {
                    [
                        e["line"].as_u64().unwrap(),
                        e["lines"].as_u64().unwrap_or(1),
                    ]
                })
                .collect()
        })
        .collect();
    let spec = dir.path().join("spec.json");
    std::fs::write(
        &spec,
        serde_json::json!({ "logs": logs, "records": records }).to_string(),
    )
    .unwrap();

    let out = Command::new(&py)
        .arg(repo().join("tests/export/chdb_run.py"))
        .args([&lines_sql, &records_sql, &queries, &spec])
        .output()
        .expect("run chdb");
    assert!(
        out.status.success(),
        "chdb run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every example query ran.
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("query ok").count(), 4, "{err}");
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSONEachRow"))
        .collect();

    for set in ["lines", "records"] {
        let mut tally = Tally::default();
        for (fi, path) in logs.iter().enumerate() {
            let file = format!("f{fi}");
            let got: BTreeMap<u64, Got> = rows
                .iter()
                .filter(|r| r["set"] == set && r["file"] == file)
                .map(|r| {
                    let line = r["line_no"].as_u64().unwrap();
                    // A row of the records table is one of ngxray's records
                    // (built from the ndjson line ranges): its size is the
                    // event's; the by-line view computes its own.
                    let lines = match r["lines"].as_u64() {
                        Some(n) => n,
                        None => records[fi]
                            .iter()
                            .find(|rec| rec[0] == line)
                            .map_or(1, |rec| rec[1]),
                    };
                    let g = Got {
                        lines,
                        continuation_of: r["continuation_of"].as_u64(),
                        fields: fields_of(r),
                    };
                    (line, g)
                })
                .collect();
            let data = std::fs::read(path).unwrap();
            let n = common::lines(&data).len();
            tally.file(path, n, &events[fi], &got, &normal);
        }
        tally.assert_all_agree(&format!("clickhouse ({set})"));
    }
}

/// The fields the agreement tests compare are the exports' own (the VRL
/// test crate includes `common.rs` without the library, so it keeps a copy).
#[test]
fn compared_fields_are_the_export_fields() {
    assert_eq!(common::FIELDS, ngxray::export::FIELDS);
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
    assert!(vrl.contains("ngx_cause = get!("));
    assert!(vrl.contains("\"ngxray_cause\": ngx_cause"));
    assert!(vrl.contains(&ngxray::export::taxonomy_version()));
    let conf = stdout(&ngxray(&["export", "vector", "--config"]));
    assert!(conf.contains("[transforms.ngxray]") && conf.contains("type = \"remap\""));
    // The sample configuration is valid TOML.
    let parsed: toml::Value = toml::from_str(&conf).expect("vector.toml parses");
    // Multi-line messages are grouped at nginx header lines.
    let ml = &parsed["sources"]["nginx_error"]["multiline"];
    assert_eq!(ml["mode"].as_str(), Some("halt_before"));
    assert_eq!(
        ml["condition_pattern"].as_str(),
        Some(ngxray::export::vector::HEADER_LINE)
    );
    assert_eq!(
        parsed["sinks"]["clickhouse"]["table"].as_str(),
        Some("nginx_error_log")
    );
}
