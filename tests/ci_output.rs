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

/// The fenced blocks of the README between `## CI and editor integration`
/// and the next `## ` heading: (subsection heading, language, text, the
/// prose after the block up to the next block or heading).
fn readme_ci_blocks() -> Vec<(String, String, String, String)> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("\n## CI and editor integration\n")
        .expect("README has a CI section");
    let section = &readme[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let section = &section[..end];
    let mut out = Vec::new();
    let mut heading = String::new();
    let mut lines = section.lines().peekable();
    while let Some(l) = lines.next() {
        if let Some(h) = l.strip_prefix("### ") {
            heading = h.to_string();
        } else if let Some(lang) = l.strip_prefix("```").filter(|s| !s.is_empty()) {
            let mut text = String::new();
            for l in lines.by_ref().take_while(|l| *l != "```") {
                text.push_str(l);
                text.push('\n');
            }
            let mut prose = String::new();
            while let Some(l) = lines.next_if(|l| !l.starts_with("```") && !l.starts_with('#')) {
                prose.push_str(l);
                prose.push('\n');
            }
            out.push((heading.clone(), lang.to_string(), text, prose));
        }
    }
    out
}

/// The block of the README's CI section under `heading`.
fn readme_ci_block(heading: &str) -> String {
    readme_ci_blocks()
        .into_iter()
        .find(|(h, ..)| h == heading)
        .unwrap_or_else(|| panic!("no block under ### {heading}"))
        .2
}

/// A repository (`.git`) with `nginx/nginx.conf` holding [`CONFIG`] (two
/// warnings), as the recipes assume.
fn recipe_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("nginx")).unwrap();
    std::fs::write(dir.path().join("nginx/nginx.conf"), CONFIG).unwrap();
    dir
}

/// A recipe line run by bash in `dir`, with the tested binary first on PATH
/// (before `extra`, then the system's).
fn sh(dir: &Path, line: &str, extra: &[&Path]) -> Output {
    let bin_dir = bin().parent().unwrap().to_path_buf();
    let mut dirs = vec![bin_dir];
    dirs.extend(extra.iter().map(|p| p.to_path_buf()));
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    for d in ["/usr/sbin", "/sbin"] {
        dirs.push(d.into());
    }
    let mut c = Command::new("bash");
    c.current_dir(dir)
        .args(["-c", line])
        .env("PATH", std::env::join_paths(dirs).unwrap())
        .stdin(Stdio::null());
    for k in ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "LESS", "PAGER"] {
        c.env_remove(k);
    }
    c.output().expect("bash")
}

/// Every recipe of the README's CI section says how it is tested, or why
/// it is not run.
#[test]
fn readme_ci_recipes_say_how_they_are_tested() {
    let blocks = readme_ci_blocks();
    assert!(blocks.len() >= 6, "{blocks:?}");
    for (heading, _, text, prose) in &blocks {
        assert!(
            prose.contains("Tests: "),
            "README recipe under `### {heading}` lacks a `Tests:` line saying how it is run (or why not):\n{text}"
        );
    }
}

/// GitHub code scanning and annotations recipes: the `run:` lines of the
/// workflow snippets, as written.
#[test]
fn readme_github_recipes_run_as_written() {
    let block = readme_ci_block("GitHub Actions: code scanning (SARIF)");
    let runs: Vec<&str> = block
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- run: "))
        .collect();
    assert_eq!(runs.len(), 2, "{block}");
    // Not run (PyPI): the pinned version is this one.
    assert_eq!(
        runs[0],
        format!("pipx install ngxray=={}", env!("CARGO_PKG_VERSION"))
    );
    let d = recipe_repo();
    let out = sh(d.path(), runs[1], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let file = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("sarif_file: "))
        .expect("sarif_file:");
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join(file)).unwrap()).unwrap();
    assert_valid(SARIF_SCHEMA, &log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{log:#}");
    for r in results {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "nginx/nginx.conf"
        );
        assert!(r["partialFingerprints"]["ngxray/v1"].is_string(), "{r:#}");
    }

    let block = readme_ci_block("GitHub Actions: annotations on the pull request");
    let run = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("- run: "))
        .expect("run:");
    let out = sh(d.path(), run, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("::") && l.contains(" file=nginx/nginx.conf,line="))
            .count(),
        2,
        "{text}"
    );
}

/// The GitLab CI job: its `ngxray` script lines in order, as written.
#[test]
fn readme_gitlab_recipe_runs_as_written() {
    let block = readme_ci_block("GitLab CI");
    let script: Vec<&str> = block
        .lines()
        .skip_while(|l| l.trim() != "script:")
        .skip(1)
        .map_while(|l| l.trim().strip_prefix("- "))
        .collect();
    assert_eq!(script.len(), 3, "{block}");
    // Not run (PyPI): the pinned version is this one.
    assert_eq!(
        script[0],
        format!("pip install ngxray=={}", env!("CARGO_PKG_VERSION"))
    );
    let d = recipe_repo();
    // The report run: exit 0 whatever the findings, a valid report.
    let out = sh(d.path(), script[1], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let file = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("codequality: "))
        .expect("codequality:");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join(file)).unwrap())
            .expect("the artifact the job declares");
    assert_valid(GITLAB_SCHEMA, &report);
    let issues = report.as_array().unwrap();
    assert_eq!(issues.len(), 2, "{report:#}");
    assert!(issues
        .iter()
        .all(|i| i["location"]["path"] == "nginx/nginx.conf"));
    // The log run: the findings, and the job fails.
    let out = sh(d.path(), script[2], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.starts_with("nginx/nginx.conf:"))
            .count(),
        2,
        "{}",
        stdout(&out)
    );
}

/// The reviewdog recipe: the `ngxray` half of the pipe as written, its
/// output valid rdjson; reviewdog reads it with `-f=rdjson`.
#[test]
fn readme_reviewdog_recipe_runs_as_written() {
    let block = readme_ci_block("reviewdog");
    let line = block.lines().next().unwrap();
    let (ours, theirs) = line.split_once(" | ").expect("a pipe");
    assert!(theirs.starts_with("reviewdog -f=rdjson "), "{line}");
    let d = recipe_repo();
    let out = sh(d.path(), ours, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_valid(RDJSON_SCHEMA, &doc);
    assert_eq!(doc["diagnostics"].as_array().unwrap().len(), 2, "{doc:#}");
    assert_eq!(
        doc["diagnostics"][0]["location"]["path"],
        "nginx/nginx.conf"
    );
}

/// The plain-shell recipes, each line as written.
#[test]
fn readme_shell_recipes_run_as_written() {
    let test = "readme_shell_recipes_run_as_written";
    let block = readme_ci_block("Plain shell, any CI");
    let lines: Vec<&str> = block.lines().collect();
    assert_eq!(lines.len(), 4, "{block}");
    let d = recipe_repo();
    let nginx = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists());

    // 1. The machine's /etc/nginx/: exit 1 exactly when an error is shown.
    assert!(lines[0].starts_with("ngxray lint --format concise --fail-on error /etc/nginx/"));
    if Path::new("/etc/nginx/nginx.conf").exists() {
        let out = sh(d.path(), lines[0], &[]);
        let text = stdout(&out);
        let errors = text.lines().any(|l| l.contains(": error["));
        assert_eq!(
            out.status.code(),
            Some(if errors { 1 } else { 0 }),
            "{text}{}",
            stderr(&out)
        );
        let concise =
            regex::Regex::new(r"^/\S+:\d+:\d+: (error|warning|info)\[[a-z-]+/[a-z0-9-]+\] ")
                .unwrap();
        assert!(text.lines().all(|l| concise.is_match(l)), "{text}");
    } else {
        skip(test, "no /etc/nginx/nginx.conf (.ci/run installs nginx)");
    }

    // 2. `nginx -T | ngxray lint -`: the loaded config, split back into its
    // files; and when `nginx -T` fails, exit 2, never a pass.
    match nginx {
        Some(_) => {
            let out = sh(d.path(), lines[1], &[]);
            let dumped = sh(d.path(), "nginx -T >/dev/null 2>&1", &[]);
            if dumped.status.success() {
                assert!(
                    matches!(out.status.code(), Some(0 | 1)),
                    "{}{}",
                    stdout(&out),
                    stderr(&out)
                );
                assert!(
                    stdout(&out).contains("/etc/nginx/") || stdout(&out).contains("no problems"),
                    "{}",
                    stdout(&out)
                );
            } else {
                assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
            }
        }
        None => skip(test, "no nginx (.ci/run installs it)"),
    }
    let fake = tempfile::tempdir().unwrap();
    let stub = fake.path().join("nginx");
    std::fs::write(
        &stub,
        "#!/bin/sh\necho 'nginx: [emerg] no such file' >&2\nexit 1\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = sh(d.path(), lines[1], &[fake.path()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("no configuration on standard input"),
        "{}",
        stderr(&out)
    );

    // 3. Statistics: one row per rule.
    let out = sh(d.path(), lines[2], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    for rule in [
        "timeout/aggressive-read-timeout",
        "timeout/connect-timeout-out-of-range",
    ] {
        assert!(text.contains(rule), "{text}");
    }

    // 4. Colour through a pipe (less copies its input to a non-terminal).
    let (ours, pager) = lines[3].split_once(" | ").expect("a pipe");
    assert!(pager.starts_with("less -R"), "{}", lines[3]);
    let out = sh(d.path(), ours, &[]);
    assert!(stdout(&out).contains("\x1b["), "{}", stdout(&out));
    if sh(d.path(), "command -v less", &[]).status.success() {
        let out = sh(d.path(), lines[3], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).contains("\x1b["), "{}", stdout(&out));
        assert!(
            stdout(&out).contains("nginx/nginx.conf"),
            "{}",
            stdout(&out)
        );
    } else {
        eprintln!("SKIP {test}: no `less` for the pager line (its ngxray half ran)");
    }
}
