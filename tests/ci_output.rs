//! CI output end to end: fingerprints that survive line moves (SARIF and
//! GitLab), paths relative to the repository root, the GitLab Code Quality
//! and rdjson formats against their schemas, `--statistics`,
//! `--exit-zero`, `-q`, `--output-file`, `--stdin-filename`, `--color`,
//! and an unreadable input among several (`io/unreadable`) in every format.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::formats::{assert_valid, validator};
use crate::util::*;

const SARIF_SCHEMA: &str = "testdata/formats/sarif-schema-2.1.0.json";
const GITLAB_SCHEMA: &str = "testdata/formats/gitlab-codequality.schema.json";
const RDJSON_SCHEMA: &str = "testdata/formats/rdjson.schema.json";
const LINT_SCHEMA: &str = "docs/schema/lint.schema.json";

/// `ngxray ARGS` in `dir` with colour variables cleared and `env` set.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(bin());
    c.current_dir(dir).args(args).stdin(Stdio::null());
    for k in ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run ngxray")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(out), stderr(out)))
}

/// Two findings: an aggressive read timeout and a long connect timeout.
const CONFIG: &str = "events {}\nhttp {\n    upstream app { server 127.0.0.1:8080; }\n    server {\n        server_name a.example;\n        location / { proxy_pass http://app; proxy_read_timeout 1s; }\n        location /x { proxy_pass http://app; proxy_connect_timeout 500s; }\n    }\n}\n";

/// A repository (`.git`) with `deploy/nginx.conf`.
fn repo_with(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("deploy")).unwrap();
    std::fs::write(dir.path().join("deploy/nginx.conf"), config).unwrap();
    dir
}

fn sarif_results(dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut a = vec!["lint", "--format", "sarif"];
    a.extend_from_slice(args);
    let out = run(dir, &a, &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let log = json(&out);
    assert_valid(SARIF_SCHEMA, &log);
    log["runs"][0]["results"].as_array().unwrap().clone()
}

/// (rule, uri, line, fingerprint) of each SARIF result.
fn sarif_fps(dir: &Path, args: &[&str]) -> Vec<(String, String, u64, String)> {
    sarif_results(dir, args)
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                loc["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                loc["region"]["startLine"].as_u64().unwrap_or(0),
                r["partialFingerprints"]["ngxray/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn sarif_paths_are_relative_to_the_git_root() {
    let repo = repo_with(CONFIG);
    let deploy = repo.path().join("deploy");
    // from the subfolder, from the root, and with --base-dir
    for (dir, args) in [
        (&deploy, vec!["nginx.conf"]),
        (&repo.path().to_path_buf(), vec!["deploy/nginx.conf"]),
        (&deploy, vec!["--base-dir", "..", "nginx.conf"]),
    ] {
        let fps = sarif_fps(dir, &args);
        assert!(!fps.is_empty());
        for (_, uri, _, _) in &fps {
            assert_eq!(uri, "deploy/nginx.conf", "{args:?}");
        }
    }
    // --base-dir overrides the git root
    let fps = sarif_fps(&deploy, &["--base-dir", ".", "nginx.conf"]);
    assert!(fps.iter().all(|f| f.1 == "nginx.conf"), "{fps:?}");
    // GitHub annotations use the same paths
    let gh = run(&deploy, &["lint", "--format", "github", "nginx.conf"], &[]);
    assert!(
        stdout(&gh)
            .lines()
            .all(|l| l.contains(" file=deploy/nginx.conf,")),
        "{}",
        stdout(&gh)
    );
}

#[test]
fn fingerprints_survive_line_moves() {
    let repo = repo_with(CONFIG);
    let deploy = repo.path().join("deploy");
    let before = sarif_fps(&deploy, &["nginx.conf"]);
    assert!(before.len() >= 2, "{before:?}");
    let fps: Vec<&String> = before.iter().map(|f| &f.3).collect();
    let mut unique = fps.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), fps.len(), "fingerprints collide: {before:?}");

    // Lines added above, another indentation, a comment: same
    // fingerprints, other line numbers.
    let moved = format!(
        "# moved\n\n\n{}",
        CONFIG
            .replace("    ", "\t")
            .replace("location /x {", "# note\n        location /x {")
    );
    std::fs::write(deploy.join("nginx.conf"), &moved).unwrap();
    let after = sarif_fps(&deploy, &["nginx.conf"]);
    assert_eq!(after.len(), before.len());
    for (a, b) in before.iter().zip(&after) {
        assert_eq!((&a.0, &a.3), (&b.0, &b.3), "{before:?}\n{after:?}");
        assert_ne!(a.2, b.2, "the lines did move");
    }

    // GitLab's fingerprints are the same values.
    let gl = json(&run(
        &deploy,
        &["lint", "--format", "gitlab", "nginx.conf"],
        &[],
    ));
    let gl: Vec<&str> = gl
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(gl, after.iter().map(|f| f.3.as_str()).collect::<Vec<_>>());

    // Another value in one finding's directive: a new fingerprint for that
    // finding only.
    std::fs::write(deploy.join("nginx.conf"), moved.replace("500s", "400s")).unwrap();
    let changed = sarif_fps(&deploy, &["nginx.conf"]);
    assert_eq!(changed.len(), after.len());
    for (a, c) in after.iter().zip(&changed) {
        assert_eq!(a.0, c.0);
        if a.0 == "timeout/connect-timeout-out-of-range" {
            assert_ne!(a.3, c.3);
        } else {
            assert_eq!(a.3, c.3);
        }
    }
}

#[test]
fn gitlab_code_quality_report() {
    let dir = repo().join("testdata/formats/multi");
    let out = run(
        &dir,
        &[
            "lint",
            "--format",
            "gitlab",
            "--base-dir",
            ".",
            "nginx.conf",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_valid(GITLAB_SCHEMA, &report);
    let issues = report.as_array().unwrap();
    let diags = json(&run(&dir, &["lint", "--format", "json", "nginx.conf"], &[]));
    let diags = diags["diagnostics"].as_array().unwrap();
    assert_eq!(issues.len(), diags.len());
    for (i, d) in issues.iter().zip(diags) {
        assert_eq!(i["check_name"], d["rule"]);
        assert_eq!(i["description"], d["message"]);
        assert_eq!(i["location"]["path"], d["file"]);
        assert_eq!(i["location"]["lines"]["begin"], d["line"]);
        let want = match d["severity"].as_str().unwrap() {
            "error" => "critical",
            "warning" => "major",
            _ => "info",
        };
        assert_eq!(i["severity"], want);
        assert!(i["content"]["body"]
            .as_str()
            .unwrap()
            .contains(d["url"].as_str().unwrap()));
    }
    // the schema has teeth
    let v = validator(GITLAB_SCHEMA);
    let mut bad = report.clone();
    bad[0]["severity"] = serde_json::json!("error");
    assert!(!v.is_valid(&bad));
    let mut bad = report.clone();
    bad[0].as_object_mut().unwrap().remove("fingerprint");
    assert!(!v.is_valid(&bad));
}

#[test]
fn rdjson_report() {
    let dir = repo().join("testdata/formats/multi");
    let out = run(
        &dir,
        &[
            "lint",
            "--format",
            "rdjson",
            "--base-dir",
            ".",
            "nginx.conf",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_valid(RDJSON_SCHEMA, &doc);
    assert_eq!(doc["source"]["name"], "ngxray");
    let items = doc["diagnostics"].as_array().unwrap();
    let diags = json(&run(&dir, &["lint", "--format", "json", "nginx.conf"], &[]));
    let diags = diags["diagnostics"].as_array().unwrap();
    assert_eq!(items.len(), diags.len());
    for (i, d) in items.iter().zip(diags) {
        assert_eq!(i["code"]["value"], d["rule"]);
        assert_eq!(i["code"]["url"], d["url"]);
        assert_eq!(i["message"], d["message"]);
        assert_eq!(i["location"]["path"], d["file"]);
        assert_eq!(i["location"]["range"]["start"]["line"], d["line"]);
        assert_eq!(
            i["severity"],
            d["severity"].as_str().unwrap().to_uppercase()
        );
    }
    // Columns are UTF-8 bytes for reviewdog: the finding after the
    // two-byte `ü` is one column further than in characters.
    let (i, d) = items
        .iter()
        .zip(diags)
        .find(|(_, d)| d["rule"] == "syntax/unexpected-character")
        .unwrap();
    assert_eq!(
        i["location"]["range"]["start"]["column"].as_u64().unwrap(),
        d["column"].as_u64().unwrap() + 1
    );
    let v = validator(RDJSON_SCHEMA);
    let mut bad = doc.clone();
    bad["diagnostics"][0]["severity"] = serde_json::json!("FATAL");
    assert!(!v.is_valid(&bad));
}

#[test]
fn json_findings_link_their_rule_page() {
    let dir = repo().join("testdata/formats/multi");
    let v = json(&run(&dir, &["lint", "--format", "json", "nginx.conf"], &[]));
    assert_valid(LINT_SCHEMA, &v);
    for d in v["diagnostics"].as_array().unwrap() {
        let url = d["url"].as_str().unwrap();
        let page = format!("docs/rules/{}.md", d["rule"].as_str().unwrap());
        assert!(url.ends_with(&page), "{url}");
        assert!(repo().join(&page).is_file(), "{page}");
    }
}

/// Findings in `good.conf`, `missing.conf` absent, in every format.
#[test]
fn an_unreadable_input_is_a_finding_and_exit_2_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.conf"), "events {\n").unwrap();
    let args = |f: &'static str| vec!["lint", "--format", f, "good.conf", "missing.conf"];
    for f in [
        "text", "concise", "json", "sarif", "github", "gitlab", "rdjson",
    ] {
        let out = run(dir.path(), &args(f), &[]);
        assert_eq!(out.status.code(), Some(2), "{f}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot read missing.conf: No such file or directory"),
            "{f}: {}",
            stderr(&out)
        );
        let text = stdout(&out);
        // the other input is still linted
        assert!(text.contains("syntax/unexpected-eof"), "{f}: {text}");
        assert!(text.contains("io/unreadable"), "{f}: {text}");
        match f {
            "json" => assert_valid(LINT_SCHEMA, &json(&out)),
            "gitlab" => {
                let v = json(&out);
                assert_valid(GITLAB_SCHEMA, &v);
                assert!(v
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["location"]["path"] == "missing.conf"));
            }
            "rdjson" => assert_valid(RDJSON_SCHEMA, &json(&out)),
            "sarif" => {
                let v = json(&out);
                assert_valid(SARIF_SCHEMA, &v);
                let inv = &v["runs"][0]["invocations"][0];
                assert_eq!(inv["executionSuccessful"], false);
                let n = &inv["toolExecutionNotifications"][0];
                assert_eq!(n["level"], "error");
                assert_eq!(n["descriptor"]["id"], "io/unreadable");
                assert_eq!(
                    n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                    "missing.conf"
                );
            }
            _ => {}
        }
    }
    // neither --exit-zero, --fail-on never nor --ignore hides it
    for extra in [["--exit-zero"], ["--fail-on=never"], ["--ignore=io"]] {
        let mut a = vec!["lint", "--format", "concise"];
        a.extend_from_slice(&extra);
        a.extend_from_slice(&["good.conf", "missing.conf"]);
        let out = run(dir.path(), &a, &[]);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(stdout(&out).contains("error[io/unreadable]"), "{extra:?}");
    }
    // a successful run says so in SARIF
    let out = run(
        dir.path(),
        &[
            "lint",
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "good.conf",
        ],
        &[],
    );
    let v = json(&out);
    assert_eq!(v["runs"][0]["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn statistics_count_findings_per_rule() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.conf"),
        "events {}\nhttp {\n  ;\n  ;\n  server { listen 80; proxy_pass http://nowhere_defined; }\n}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["lint", "--statistics", "a.conf"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let first = text.lines().next().unwrap();
    assert_eq!(
        first.split_whitespace().collect::<Vec<_>>(),
        ["2", "error", "syntax/empty-statement"],
        "{text}"
    );
    assert!(!text.contains("file(s) checked"), "{text}");
    let v = json(&run(
        dir.path(),
        &["lint", "--statistics", "--format", "json", "a.conf"],
        &[],
    ));
    let counts = v.as_array().unwrap();
    assert_eq!(counts[0]["rule"], "syntax/empty-statement");
    assert_eq!(counts[0]["count"], 2);
    let all = json(&run(
        dir.path(),
        &["lint", "--format", "json", "a.conf"],
        &[],
    ));
    let total: u64 = counts.iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(total, all["summary"]["total"].as_u64().unwrap());
    // statistics are not SARIF
    let out = run(
        dir.path(),
        &["lint", "--statistics", "--format", "sarif", "a.conf"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn exit_zero_quiet_and_output_file() {
    let dir = repo().join("testdata/formats/multi");
    let out = run(&dir, &["lint", "--exit-zero", "nginx.conf"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("include/not-found"));

    let loud = stdout(&run(&dir, &["lint", "nginx.conf"], &[]));
    let quiet = run(&dir, &["lint", "-q", "nginx.conf"], &[]);
    assert_eq!(quiet.status.code(), Some(1));
    assert!(loud.contains("file(s) checked"));
    assert!(!stdout(&quiet).contains("file(s) checked"));
    assert_eq!(
        stdout(&quiet),
        loud.lines()
            .filter(|l| !l.starts_with("ngxray: "))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    );
    let clean = repo().join("testdata/formats/clean");
    let out = run(&clean, &["lint", "--quiet", "nginx.conf"], &[]);
    assert_eq!((out.status.code(), stdout(&out)), (Some(0), String::new()));

    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("report.sarif");
    let out = run(
        &dir,
        &[
            "lint",
            "--format",
            "sarif",
            "--output-file",
            file.to_str().unwrap(),
            "nginx.conf",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_valid(SARIF_SCHEMA, &log);
    // an output file that cannot be written is exit 2 with a message
    for bad in ["/dev/full", "/nonexistent-dir/x.json"] {
        if bad == "/dev/full" && !Path::new(bad).exists() {
            continue;
        }
        let out = run(
            &dir,
            &[
                "lint",
                "--format",
                "json",
                "--output-file",
                bad,
                "nginx.conf",
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains("ngxray: error:"), "{bad}");
    }
}

#[test]
fn stdin_filename_names_standard_input() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sites")).unwrap();
    // the config found from the named file applies
    std::fs::write(
        dir.path().join("sites/.ngxray.toml"),
        "fail-on = \"never\"\n",
    )
    .unwrap();
    let lint = |args: &[&str]| {
        let mut child = Command::new(bin())
            .current_dir(dir.path())
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
            .write_all(b"events {\n")
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = lint(&[
        "lint",
        "--format",
        "concise",
        "--stdin-filename",
        "sites/app.conf",
        "-",
    ]);
    // `fail-on = "never"` from sites/.ngxray.toml
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("sites/app.conf:2:1: error[syntax/unexpected-eof]"),
        "{}",
        stdout(&out)
    );
    let plain = lint(&["lint", "--format", "concise", "-"]);
    assert_eq!(plain.status.code(), Some(1));
    assert!(
        stdout(&plain).starts_with("<stdin>:2:1:"),
        "{}",
        stdout(&plain)
    );
    // SARIF: a repository path
    let out = lint(&[
        "lint",
        "--format",
        "sarif",
        "--base-dir",
        ".",
        "--stdin-filename",
        "sites/app.conf",
        "-",
    ]);
    let v = json(&out);
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "sites/app.conf"
    );
    // without `-` it is a usage error
    let out = run(
        dir.path(),
        &["lint", "--stdin-filename", "x.conf", "sites"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn colour_flag_and_environment() {
    let dir = repo().join("testdata/formats/multi");
    let has_colour = |args: &[&str], env: &[(&str, &str)]| {
        let mut a = vec!["lint"];
        a.extend_from_slice(args);
        a.push("nginx.conf");
        stdout(&run(&dir, &a, env)).contains('\u{1b}')
    };
    // piped: no colour unless asked for
    assert!(!has_colour(&[], &[]));
    assert!(has_colour(&["--color", "always"], &[]));
    assert!(has_colour(&[], &[("FORCE_COLOR", "1")]));
    assert!(has_colour(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!has_colour(&[], &[("FORCE_COLOR", "")]));
    assert!(!has_colour(&[], &[("FORCE_COLOR", "0")]));
    assert!(!has_colour(&["--color", "never"], &[("FORCE_COLOR", "1")]));
    assert!(!has_colour(&["--color=never"], &[]));
}

#[test]
fn colour_on_a_terminal_and_no_color_only_when_non_empty() {
    // util-linux `script` gives the command a terminal as stdout.
    if Command::new("script").arg("--version").output().is_err() {
        skip(
            "colour_on_a_terminal_and_no_color_only_when_non_empty",
            "`script` (util-linux) not installed",
        );
        return;
    }
    let dir = repo().join("testdata/formats/multi");
    let cmd = format!("{} lint nginx.conf", bin().display());
    let tty = |env: &[(&str, &str)]| {
        let mut c = Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .current_dir(&dir)
            .stdin(Stdio::null());
        for k in ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"] {
            c.env_remove(k);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        stdout(&c.output().expect("run script")).contains('\u{1b}')
    };
    assert!(tty(&[]));
    assert!(!tty(&[("NO_COLOR", "1")]));
    assert!(tty(&[("NO_COLOR", "")]), "an empty NO_COLOR is not set");
    assert!(tty(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")]));
}
