//! Exit codes end to end, in every output format: 0 nothing at or above
//! `--fail-on`, 1 findings at or above it, 2 usage, configuration or I/O
//! errors.

use crate::util::*;

const FORMATS: &[&str] = &["text", "concise", "json", "sarif", "github"];

fn code(dir: &std::path::Path, args: &[&str]) -> Option<i32> {
    ngxray_in(dir, args).status.code()
}

#[test]
fn clean_is_0_in_every_format() {
    let dir = repo().join("testdata/formats/clean");
    for f in FORMATS {
        assert_eq!(
            code(&dir, &["lint", "--format", f, "nginx.conf"]),
            Some(0),
            "{f}"
        );
    }
}

#[test]
fn findings_are_1_in_every_format() {
    let dir = repo().join("testdata/formats/multi");
    for f in FORMATS {
        assert_eq!(
            code(&dir, &["lint", "--format", f, "nginx.conf"]),
            Some(1),
            "{f}"
        );
    }
}

#[test]
fn fail_on_threshold() {
    // The fixture's findings are errors: every threshold but `never` fails.
    let dir = repo().join("testdata/formats/multi");
    for (t, want) in [("error", 1), ("warning", 1), ("info", 1), ("never", 0)] {
        assert_eq!(
            code(
                &dir,
                &["lint", "--format", "concise", "--fail-on", t, "nginx.conf"]
            ),
            Some(want),
            "--fail-on {t}"
        );
    }
}

#[test]
fn stdin_findings_and_clean() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    for (text, want) in [("events {}\n", 0), ("events {\n", 1)] {
        let mut child = Command::new(bin())
            .args(["lint", "--format", "concise", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(want), "{text:?}: {}", stdout(&out));
    }
}

#[test]
fn usage_errors_are_2() {
    let clean = repo().join("testdata/formats/clean/nginx.conf");
    let clean = clean.to_str().unwrap();
    for args in [
        vec!["lint"],
        vec!["lint", "--format", "xml", clean],
        vec!["lint", "--fail-on", "sometimes", clean],
        vec!["lint", "--no-such-flag", clean],
        vec!["lint", "--context", "nowhere", clean],
        vec!["lint", "--nginx-version", "one.two", clean],
        vec!["frobnicate"],
        vec!["explain", "no/such-rule"],
    ] {
        let out = ngxray(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&out).is_empty(), "{args:?}: no message");
    }
}

#[test]
fn io_errors_are_2_and_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.conf");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for p in [&missing, &empty] {
        for f in FORMATS {
            let out = ngxray(&["lint", "--format", f, p.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2), "{f} {}", p.display());
            assert!(
                stderr(&out).contains(p.to_str().unwrap()),
                "{}",
                stderr(&out)
            );
        }
    }
}
