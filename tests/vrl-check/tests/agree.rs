//! The VRL program of `ngxray export vector`, compiled and run by the vrl
//! crate, agrees with `ngxray logs --format ndjson` on every single-line
//! event (multi-line messages are joined by `ngxray logs` only) of the
//! test logs (the repo's fixtures, the export edge cases and the shared
//! corpus), field by field; it compiles without warnings.
//!
//! 2000 randomly mutated corpus lines (fixed seed, the same generator as
//! tests/export_clickhouse.rs) are compared too.
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

/// Corpus-like lines mutated at random (fixed seed): context keys, quotes,
/// commas, errnos, actions and prefixes inserted, bytes cut. Valid UTF-8
/// only (invalid bytes are the one documented difference). Written to
/// `dir/mutated.error.log`.
fn mutated_log(dir: &Path, seeds: &[PathBuf]) -> PathBuf {
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
    let dir = std::env::temp_dir().join(format!("ngxray-vrl-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut all = logs();
    let mutated = mutated_log(&dir, &all);
    all.push(mutated);
    for path in all {
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
        // Every physical line is one event for Vector; ndjson events cover
        // them all (a multi-line message is one event of several lines).
        let covered: u64 = events
            .iter()
            .map(|e| e["lines"].as_u64().unwrap_or(1))
            .sum();
        assert_eq!(lines.len() as u64, covered, "{}", path.display());
        for e in &events {
            // Multi-line messages are classified per physical line by the
            // exports (documented in docs/fleet.md): not compared.
            if e["lines"].as_u64().unwrap_or(1) > 1 {
                continue;
            }
            let raw = lines[e["line"].as_u64().unwrap() as usize - 1];
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
    let _ = std::fs::remove_dir_all(&dir);
    assert!(compared > 1000, "compared only {compared} values");
    assert!(
        mismatches.is_empty(),
        "{} disagreements:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(40)].join("\n")
    );
}
