//! The VRL program of `ngxray export vector`, compiled and run by the vrl
//! crate, agrees with `ngxray logs --format ndjson` on every line of the
//! test logs (the repo's fixtures, the export edge cases and the shared
//! corpus), field by field; it compiles without warnings.
//!
//! The ngxray binary is `NGXRAY_BIN`, else `target/debug/ngxray` of the
//! repository (build it first: `cargo build`).

use std::path::{Path, PathBuf};
use std::process::Command;

const FIELDS: &[&str] = &[
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

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ngxray_bin() -> PathBuf {
    let bin = std::env::var_os("NGXRAY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/debug/ngxray"));
    assert!(
        bin.exists(),
        "{} not found: run `cargo build` in the repository or set NGXRAY_BIN",
        bin.display()
    );
    bin
}

fn logs() -> Vec<PathBuf> {
    let mut logs = vec![
        repo().join("testdata/logs/pasted.log"),
        repo().join("testdata/logs/sample.error.log"),
        repo().join("tests/export/edge.error.log"),
    ];
    let corpus = std::env::var_os("NGXRAY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"));
    if corpus.is_dir() {
        logs.push(corpus.join("logs/error.log"));
    } else {
        assert!(
            std::env::var("NGXRAY_REQUIRE_ORACLES").as_deref() != Ok("1"),
            "corpus not found at {}",
            corpus.display()
        );
        eprintln!(
            "SKIP corpus logs: not found at {} (set NGXRAY_CORPUS)",
            corpus.display()
        );
    }
    logs
}

#[test]
fn vrl_export_agrees_with_ndjson_line_for_line() {
    let bin = ngxray_bin();
    let out = Command::new(&bin)
        .args(["export", "vector"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let src = String::from_utf8(out.stdout).expect("VRL is UTF-8");
    let prog =
        ngxray_vrl_check::compile(&src).unwrap_or_else(|e| panic!("VRL does not compile:\n{e}"));
    assert!(prog.warnings.is_empty(), "VRL warnings:\n{}", prog.warnings);

    let mut mismatches = Vec::new();
    let mut compared = 0;
    for path in logs() {
        let data = std::fs::read(&path).unwrap();
        let out = Command::new(&bin)
            .args(["logs", "--format", "ndjson"])
            .arg(&path)
            .output()
            .unwrap();
        let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let lines = ngxray_vrl_check::lines(&data);
        assert_eq!(lines.len(), events.len(), "{}", path.display());
        for (raw, e) in lines.iter().zip(&events) {
            let got = prog
                .run(raw)
                .unwrap_or_else(|err| panic!("{}:{}: {err}", path.display(), e["line"]));
            for f in FIELDS {
                compared += 1;
                let g = got.get(*f).cloned().unwrap_or(serde_json::Value::Null);
                if g != e[*f] {
                    mismatches.push(format!(
                        "{}:{} {f}: vrl {g} != ngxray {}",
                        path.display(),
                        e["line"],
                        e[*f]
                    ));
                }
            }
            assert!(got.get("taxonomy").is_some_and(|t| t
                .as_str()
                .is_some_and(|t| t.starts_with("ngxray/export/v1"))));
        }
    }
    assert!(compared > 1000, "compared only {compared} values");
    assert!(
        mismatches.is_empty(),
        "{} disagreements:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(40)].join("\n")
    );
}
