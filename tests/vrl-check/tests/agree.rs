//! The VRL program of `ngxray export vector`, compiled and run by the vrl
//! crate the way the sample vector.toml runs it, agrees with `ngxray logs
//! --format ndjson` on every line of the test logs (every `*.log` under
//! tests/ and testdata/, the shared corpus logs, generated hostile lines
//! and 3000 mutated ones), record by record and field by field; it
//! compiles without warnings.
//!
//! Lines are grouped as Vector's file source groups them with the
//! `multiline` setting of `ngxray export vector --config` (read from that
//! file, aggregated as Vector's `line_agg` does), each group is one event
//! for the program, and the events it emits (one per record of `ngxray
//! logs`) must be exactly ngxray's events: same first line, same number of
//! lines, same fields (tests/export/common.rs). Nothing is normalised.
//!
//! The ngxray binary is `NGXRAY_BIN`, else `target/debug/ngxray` of the
//! repository (build it first: `cargo build`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../export/common.rs"]
mod common;

use common::{Got, Tally};

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

fn corpus() -> Option<PathBuf> {
    let corpus = std::env::var_os("NGXRAY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"));
    if corpus.is_dir() {
        return Some(corpus);
    }
    assert!(
        std::env::var("NGXRAY_REQUIRE_ORACLES").as_deref() != Ok("1"),
        "corpus not found at {}",
        corpus.display()
    );
    eprintln!(
        "SKIP corpus logs: not found at {} (set NGXRAY_CORPUS)",
        corpus.display()
    );
    None
}

fn export(bin: &Path, args: &[&str]) -> String {
    let out = Command::new(bin).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn vrl_export_agrees_with_ndjson_line_for_line() {
    let bin = ngxray_bin();
    // NGXRAY_VRL_FILE: a program to try instead (when working on the generator).
    let src = match std::env::var_os("NGXRAY_VRL_FILE") {
        Some(f) => std::fs::read_to_string(f).expect("NGXRAY_VRL_FILE"),
        None => export(&bin, &["export", "vector"]),
    };
    let prog =
        ngxray_vrl_check::compile(&src).unwrap_or_else(|e| panic!("VRL does not compile:\n{e}"));
    assert!(prog.warnings.is_empty(), "VRL warnings:\n{}", prog.warnings);
    let conf: toml::Value =
        toml::from_str(&export(&bin, &["export", "vector", "--config"])).expect("vector.toml");
    let source = &conf["sources"]["nginx_error"];
    let multiline = ngxray_vrl_check::Multiline::from_source(source)
        .expect("multiline setting")
        .expect("the sample vector.toml groups multi-line messages");
    let max_line = source["max_line_bytes"]
        .as_integer()
        .expect("max_line_bytes") as usize;

    let dir = std::env::temp_dir().join(format!("ngxray-vrl-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut logs = common::agreement_logs(&repo(), corpus().as_deref());
    let mutated = common::mutated_log(&dir, &logs);
    logs.push(mutated);
    logs.push(common::generated_log(&dir));

    let mut tally = Tally::default();
    for path in &logs {
        let data = std::fs::read(path).unwrap();
        let lines = ngxray_vrl_check::lines(&data);
        // Vector drops a line longer than max_line_bytes: none may be here.
        let longest = lines.iter().map(|l| l.len()).max().unwrap_or(0);
        assert!(
            longest <= max_line,
            "{}: a line of {longest} bytes",
            path.display()
        );
        let mut got = BTreeMap::new();
        for (start, n) in multiline.groups(&lines) {
            let group = lines[start..start + n].join(&b'\n');
            let events = prog
                .run(&group)
                .unwrap_or_else(|err| panic!("{}:{}: {err}", path.display(), start + 1));
            let mut line = start as u64 + 1;
            for e in events {
                assert!(e.fields.get("taxonomy").is_some_and(|t| t
                    .as_str()
                    .is_some_and(|t| t.starts_with("ngxray/export/v1"))));
                got.insert(
                    line,
                    Got {
                        lines: e.lines as u64,
                        continuation_of: None,
                        fields: e.fields,
                    },
                );
                line += e.lines as u64;
            }
            assert_eq!(
                line,
                (start + n) as u64 + 1,
                "{}:{}: the events of a group of {n} lines cover {} lines",
                path.display(),
                start + 1,
                line - start as u64 - 1
            );
        }
        let events = common::ndjson(&bin, path);
        tally.file(path, lines.len(), &events, &got, &common::exact);
    }
    let _ = std::fs::remove_dir_all(&dir);
    tally.assert_all_agree("vrl");
}
