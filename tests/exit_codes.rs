//! Exit codes end to end, in every output format: 0 nothing at or above
//! `--fail-on`, 1 findings at or above it, 2 usage, configuration or I/O
//! errors.

use crate::util::*;

const FORMATS: &[&str] = &[
    "text", "concise", "json", "sarif", "github", "gitlab", "rdjson",
];

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
    // empty stdin (`nginx -T 2>/dev/null | ngxray lint -` when nginx
    // failed) is an error, never a silent pass
    for (text, want) in [
        ("events {}\n", 0),
        ("events {\n", 1),
        ("", 2),
        ("\n  \n", 2),
    ] {
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

#[test]
fn fail_on_below_and_above_an_info_finding() {
    // The fixture's only finding is an `info` (a third-party directive).
    let dir = repo().join("testdata/formats/info");
    let out = ngxray_in(&dir, &["lint", "--format", "concise", "nginx.conf"]);
    let text = stdout(&out);
    assert!(
        !text.is_empty() && text.lines().all(|l| l.contains(": info[")),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(0), "default --fail-on warning");
    for (t, want) in [("error", 0), ("warning", 0), ("info", 1), ("never", 0)] {
        for f in FORMATS {
            assert_eq!(
                code(&dir, &["lint", "--format", f, "--fail-on", t, "nginx.conf"]),
                Some(want),
                "--fail-on {t} --format {f}"
            );
        }
    }
}

/// A copy of the `multi` fixture (findings: errors) with this `.ngxray.toml`.
fn with_config(toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("testdata/formats/multi");
    std::fs::create_dir(dir.path().join("conf.d")).unwrap();
    for f in ["nginx.conf", "conf.d/app.conf"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(dir.path().join(".ngxray.toml"), toml).unwrap();
    dir
}

#[test]
fn malformed_config_file_is_2_with_file_line_and_key() {
    for (toml, line, key) in [
        // unknown key (a typo must never silently disable a setting)
        (
            "nginx-version = \"1.24\"\nfail_on = \"never\"\n",
            2,
            "fail_on",
        ),
        // bad value
        ("fail-on = \"sometimes\"\n", 1, "fail-on"),
        ("\n\nflavor = \"enterprise\"\n", 3, "flavor"),
        // unknown rule id
        (
            "[rules.\"dns/no-such-rule\"]\nseverity = \"off\"\n",
            1,
            "dns/no-such-rule",
        ),
        ("ignore = [\"dns\", \"nosuch\"]\n", 1, "nosuch"),
    ] {
        let dir = with_config(toml);
        for f in FORMATS {
            let out = ngxray_in(dir.path(), &["lint", "--format", f, "nginx.conf"]);
            assert_eq!(out.status.code(), Some(2), "{toml:?} {f}: {}", stdout(&out));
            let err = stderr(&out);
            assert!(
                err.contains(&format!(".ngxray.toml:{line}:")),
                "{toml:?}: no file:line in {err}"
            );
            assert!(err.contains(key), "{toml:?}: key {key} not named in {err}");
            assert!(stdout(&out).is_empty(), "{f}: half a document on stdout");
        }
    }
    // A TOML syntax error names the file and line too.
    let dir = with_config("select = [\"dns\"\nignore = []\n");
    let out = ngxray_in(dir.path(), &["lint", "nginx.conf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(".ngxray.toml:"), "{}", stderr(&out));
}

#[test]
fn config_file_is_read_not_ignored() {
    // The same findings pass with `fail-on = "never"` in the file...
    let dir = with_config("fail-on = \"never\"\n");
    let out = ngxray_in(dir.path(), &["lint", "--format", "concise", "nginx.conf"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!stdout(&out).is_empty());
    // ...and the command line wins over the file.
    let out = ngxray_in(
        dir.path(),
        &[
            "lint",
            "--format",
            "concise",
            "--fail-on",
            "error",
            "nginx.conf",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    // An explicit --config that does not exist is an error naming it.
    let out = ngxray_in(dir.path(), &["lint", "--config", "nope.toml", "nginx.conf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.toml"), "{}", stderr(&out));
}

/// A report that cannot be written is exit 2 with a message, never a
/// silent success; a closed pipe ends quietly with the usual code.
#[test]
fn write_errors_are_exit_2_and_closed_pipes_are_quiet() {
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        crate::util::skip("write_errors_are_exit_2", "/dev/full not available");
        return;
    }
    let example = crate::util::repo().join("testdata/examples/nginx.conf");
    for format in ["text", "concise", "json", "sarif", "github"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ngxray"))
            .args(["lint", "--format", format])
            .arg(&example)
            .stdout(std::fs::File::create(full).expect("open /dev/full"))
            .output()
            .expect("run ngxray");
        assert_eq!(out.status.code(), Some(2), "{format}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot write the report"), "{format}: {err}");
    }
    // `| head -c 1`: the reader goes away; exit 1 (findings), no error text
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ngxray"))
        .args(["lint", "--format", "sarif"])
        .arg(&example)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn logs_empty_stdin_with_a_gate_or_filters_is_2() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let line = "2024/05/01 10:00:00 [error] 11#11: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:9000/\", host: \"a\"\n";
    let run = |args: &[&str], input: &str| {
        let mut child = Command::new(bin())
            .arg("logs")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    // `journalctl … | ngxray logs --fail-on-cause …` when the producer failed
    for args in [
        &["--fail-on-cause", "connect-refused"][..],
        &["--max-count", "0"],
        &["--level", "error", "-"],
        &["--cause", "connect-refused", "--format", "json"],
    ] {
        let out = run(args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("no log lines on standard input"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // without a gate an empty pipe is just an empty report; with lines the
    // gate decides
    assert_eq!(run(&[], "").status.code(), Some(0));
    assert_eq!(
        run(&["--fail-on-cause", "connect-refused"], line)
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&["--fail-on-cause", "read-timeout"], line)
            .status
            .code(),
        Some(0)
    );
}
