//! Scoping end to end: what a directory walk skips (hidden, .gitignore,
//! `exclude`, `--exclude`), which `.ngxray.toml` governs each file,
//! `per-file-ignores`, file-level suppressions and baselines.

use std::path::Path;

use crate::util::{ngxray_in, stderr, stdout};

const VHOST: &str = "server {\n    listen 80;\n    location / {\n        proxy_pass http://127.0.0.1:8080;\n        proxy_read_timeout 1s;\n    }\n}\n";
const RULE: &str = "[timeout/aggressive-read-timeout]";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Files with a finding of [`RULE`], from concise output.
fn flagged(out: &std::process::Output) -> Vec<String> {
    let mut v: Vec<String> = stdout(out)
        .lines()
        .filter(|l| l.contains(RULE))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn lint(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut a = vec!["lint", "--format", "concise"];
    a.extend_from_slice(args);
    ngxray_in(dir, &a)
}

#[test]
fn walk_skips_hidden_and_gitignored_unless_no_ignore() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "site/conf.d/a.conf", VHOST);
    write(p, "site/.hidden/b.conf", VHOST);
    write(p, "site/conf.d/.c.conf", VHOST);
    write(p, "site/conf.d/generated.conf", VHOST);
    write(p, "site/.gitignore", "generated.conf\n");
    let out = lint(p, &["site"]);
    assert_eq!(flagged(&out), ["site/conf.d/a.conf"], "{}", stderr(&out));
    let out = lint(p, &["--no-ignore", "site"]);
    assert_eq!(
        flagged(&out),
        [
            "site/.hidden/b.conf",
            "site/conf.d/.c.conf",
            "site/conf.d/a.conf",
            "site/conf.d/generated.conf"
        ]
    );
    // A hidden folder named on the command line is walked.
    let out = lint(p, &["site/.hidden"]);
    assert_eq!(flagged(&out), ["site/.hidden/b.conf"]);
}

#[test]
fn exclude_from_config_and_command_line() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "conf.d/a.conf", VHOST);
    write(p, "conf.d/b.conf", VHOST);
    write(p, "legacy/c.conf", VHOST);
    write(p, "conf.d/a.conf.bak", VHOST);
    write(p, "conf.d/d.conf.dpkg-old", VHOST);
    // Default excludes: backups and package leftovers.
    let out = lint(p, &["."]);
    assert_eq!(
        flagged(&out),
        ["./conf.d/a.conf", "./conf.d/b.conf", "./legacy/c.conf"],
        "{}",
        stderr(&out)
    );
    write(p, ".ngxray.toml", "extend-exclude = [\"legacy/\"]\n");
    let out = lint(p, &["."]);
    assert_eq!(flagged(&out), ["./conf.d/a.conf", "./conf.d/b.conf"]);
    // --exclude adds to the config's; a file named explicitly is linted.
    let out = lint(p, &["--exclude", "b.conf", ".", "legacy/c.conf"]);
    assert_eq!(flagged(&out), ["./conf.d/a.conf", "legacy/c.conf"]);
    // `exclude` replaces the defaults.
    write(p, ".ngxray.toml", "exclude = [\"legacy\"]\n");
    let out = lint(p, &["."]);
    assert_eq!(
        flagged(&out),
        [
            "./conf.d/a.conf",
            "./conf.d/a.conf.bak",
            "./conf.d/b.conf",
            "./conf.d/d.conf.dpkg-old"
        ]
    );
    // Everything excluded: an error, never a silent pass.
    let out = lint(p, &["--exclude", "*.conf*", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("--exclude"), "{}", stderr(&out));
    // A bad pattern in the config is reported with its line.
    write(p, ".ngxray.toml", "\nexclude = [\"{a,b\"]\n");
    let out = lint(p, &["."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(".ngxray.toml:2:"), "{}", stderr(&out));
}

#[test]
fn nearest_config_governs_each_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, ".ngxray.toml", "fail-on = \"warning\"\n");
    write(p, "team-a/conf.d/a.conf", VHOST);
    write(
        p,
        "team-b/.ngxray.toml",
        "ignore = [\"timeout/aggressive-read-timeout\"]\n",
    );
    write(p, "team-b/conf.d/b.conf", VHOST);
    for args in [
        vec!["team-a", "team-b"],
        vec!["team-b", "team-a"],
        vec!["."],
    ] {
        let out = lint(p, &args);
        let a = if args == ["."] {
            "./team-a/conf.d/a.conf"
        } else {
            "team-a/conf.d/a.conf"
        };
        assert_eq!(flagged(&out), [a], "{args:?}: {}", stderr(&out));
    }
    // Team B's rule options apply to its files only.
    write(
        p,
        "team-b/.ngxray.toml",
        "[rules.\"timeout/aggressive-read-timeout\"]\nthreshold = \"500ms\"\n",
    );
    let out = lint(p, &["team-a", "team-b"]);
    assert_eq!(flagged(&out), ["team-a/conf.d/a.conf"]);
    // --config: one file for all.
    let out = lint(p, &["--config", ".ngxray.toml", "team-a", "team-b"]);
    assert_eq!(
        flagged(&out),
        ["team-a/conf.d/a.conf", "team-b/conf.d/b.conf"]
    );
}

/// A nested `.ngxray.toml`'s `exclude` prunes folders: the walk does not
/// enter them (an excluded tree may be huge or unreadable). The excluded
/// folder holds a broken `.ngxray.toml` and a vhost: entering it would read
/// that config and fail (exit 2), so this test fails if the folder is walked.
#[test]
fn nested_config_exclude_prunes_folders() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "site/conf.d/a.conf", VHOST);
    write(
        p,
        "site/.ngxray.toml",
        "extend-exclude = [\"generated/\"]\n",
    );
    write(p, "site/generated/.ngxray.toml", "not toml at all = = =\n");
    write(p, "site/generated/x.conf", VHOST);
    // Unreadable too (this part only bites without root's privileges).
    write(p, "site/generated/locked/y.conf", VHOST);
    let locked = p.join("site/generated/locked");
    set_mode(&locked, 0o000);
    for (args, want) in [
        (vec!["."], "./site/conf.d/a.conf"),
        (vec!["site"], "site/conf.d/a.conf"),
    ] {
        let out = lint(p, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert_eq!(flagged(&out), [want], "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("generated"), "{}", stderr(&out));
    }
    // Not excluded: the walk goes in, and the broken config is reported.
    write(p, "site/.ngxray.toml", "\n");
    let out = lint(p, &["site"]);
    set_mode(&locked, 0o755);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("generated/.ngxray.toml"),
        "{}",
        stderr(&out)
    );
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn per_file_ignores() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "conf.d/a.conf", VHOST);
    write(p, "sites-enabled/b", VHOST);
    write(
        p,
        ".ngxray.toml",
        "[per-file-ignores]\n\"sites-enabled/*\" = [\"timeout\"]\n",
    );
    let out = lint(p, &["."]);
    assert_eq!(flagged(&out), ["./conf.d/a.conf"], "{}", stderr(&out));
    // By file name when the pattern has no `/`.
    write(
        p,
        ".ngxray.toml",
        "[per-file-ignores]\n\"a.conf\" = [\"timeout/aggressive-read-timeout\"]\n",
    );
    let out = lint(p, &["."]);
    assert_eq!(flagged(&out), ["./sites-enabled/b"]);
    // Unknown ids are configuration errors.
    write(
        p,
        ".ngxray.toml",
        "[per-file-ignores]\n\"*\" = [\"timeout/nope\"]\n",
    );
    let out = lint(p, &["."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(".ngxray.toml:2:"), "{}", stderr(&out));
}

#[test]
fn file_level_suppression() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let text =
        format!("# ngxray: ignore-file[timeout] slow reports backend, tracked in OPS-1\n{VHOST}");
    write(p, "a.conf", &text);
    write(p, "b.conf", VHOST);
    let out = lint(p, &["a.conf", "b.conf"]);
    assert_eq!(flagged(&out), ["b.conf"], "{}", stdout(&out));
    assert!(!stdout(&out).contains("suppress/"), "{}", stdout(&out));
    // Unused and unknown ids are reported as for inline suppressions.
    write(
        p,
        "c.conf",
        "# ngxray: ignore-file[dns, timeout/nope]\nserver { listen 80; }\n",
    );
    let got = stdout(&lint(p, &["c.conf"]));
    assert!(got.contains("c.conf:1:28: warning[suppress/unknown-rule] unknown rule \"timeout/nope\" in ngxray: ignore-file[…]"), "{got}");
    assert!(got.contains("info[suppress/unused] suppression of \"dns\" matched nothing: the file has no such finding"), "{got}");
    // It cannot hide a syntax error.
    write(
        p,
        "d.conf",
        "# ngxray: ignore-file[syntax]\nserver { listen 80 }\n",
    );
    let out = lint(p, &["d.conf"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("error[syntax/"), "{}", stdout(&out));
}

#[test]
fn baseline_reports_only_new_findings() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "conf.d/a.conf", VHOST);
    write(p, "conf.d/b.conf", VHOST);
    let out = lint(p, &["--write-baseline", "ngxray-baseline.json", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 finding(s) recorded"),
        "{}",
        stderr(&out)
    );
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("ngxray-baseline.json")).unwrap())
            .unwrap();
    assert_eq!(base["findings"][0]["file"], "conf.d/a.conf");
    assert_eq!(
        base["findings"][0]["rule"],
        "timeout/aggressive-read-timeout"
    );
    assert_eq!(base["version"], 2);
    // One fingerprint: the baseline records the values SARIF carries as
    // partialFingerprints (and GitLab as fingerprint).
    let recorded: Vec<&str> = base["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(sarif_fingerprints(p, &["."]), recorded);
    let out = lint(p, &["--baseline", "ngxray-baseline.json", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("2 finding(s) hidden by baseline"),
        "{}",
        stderr(&out)
    );
    // Lines move, comments and blank lines come and go, indentation changes:
    // still baselined.
    let moved = format!(
        "# moved\n\n{}",
        VHOST.replace(
            "    proxy_read_timeout 1s;",
            "  proxy_read_timeout   1s; # short"
        )
    );
    write(p, "conf.d/a.conf", &moved);
    let out = lint(p, &["--baseline", "ngxray-baseline.json", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // A new finding (another location in the same file) is reported alone.
    let grown = moved.replace(
        "    location / {",
        "    location /api {\n        proxy_pass http://127.0.0.1:8081;\n        proxy_read_timeout 2s;\n    }\n    location / {",
    );
    write(p, "conf.d/a.conf", &grown);
    let out = lint(p, &["--baseline", "ngxray-baseline.json", "."]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(
        text.lines().filter(|l| l.contains(RULE)).count(),
        1,
        "{text}"
    );
    assert!(text.contains("proxy_read_timeout is 2s"), "{text}");
    // The new finding's fingerprint in SARIF is the same with and without
    // the baseline.
    let all = sarif_fingerprints(p, &["."]);
    let new = sarif_fingerprints(p, &["--baseline", "ngxray-baseline.json", "."]);
    assert_eq!(new.len(), 1);
    assert!(all.contains(&new[0]) && !recorded.contains(&new[0].as_str()));
    // The value changed: a new finding.
    write(p, "conf.d/b.conf", &VHOST.replace("1s;", "3s;"));
    let out = lint(p, &["--baseline", "ngxray-baseline.json", "."]);
    assert_eq!(flagged(&out), ["./conf.d/a.conf", "./conf.d/b.conf"]);
    // A broken baseline file is an error.
    write(p, "bad.json", "{\"version\": 9, \"findings\": []}");
    let out = lint(p, &["--baseline", "bad.json", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not an ngxray baseline"),
        "{}",
        stderr(&out)
    );
    // A version 1 file (FNV fingerprints of its own) is refused, saying what
    // to do, rather than matching nothing and failing on every finding.
    write(
        p,
        "v1.json",
        "{\"version\": 1, \"findings\": [{\"rule\": \"timeout/aggressive-read-timeout\", \"file\": \"conf.d/a.conf\", \"fingerprint\": \"08f0d807b58d20e5\"}]}",
    );
    let out = lint(p, &["--baseline", "v1.json", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("version 1") && stderr(&out).contains("--write-baseline"),
        "{}",
        stderr(&out)
    );
}

/// In a git repository, baseline paths and fingerprints are relative to its
/// root: the baseline matches from any folder of the repository.
#[test]
fn baseline_matches_from_any_folder_of_the_repository() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir(p.join(".git")).unwrap();
    write(p, "nginx/conf.d/a.conf", VHOST);
    let out = lint(p, &["--write-baseline", "ngxray-baseline.json", "nginx"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("ngxray-baseline.json")).unwrap())
            .unwrap();
    assert_eq!(base["findings"][0]["file"], "nginx/conf.d/a.conf");
    let sub = p.join("nginx");
    let out = lint(&sub, &["--baseline", "../ngxray-baseline.json", "conf.d"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("1 finding(s) hidden by baseline"),
        "{}",
        stderr(&out)
    );
    // The SARIF fingerprint from there is the recorded one.
    assert_eq!(
        sarif_fingerprints(&sub, &["conf.d"]),
        [base["findings"][0]["fingerprint"].as_str().unwrap()]
    );
}

/// The `partialFingerprints` of a SARIF report, in result order.
fn sarif_fingerprints(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut a = vec!["lint", "--format", "sarif"];
    a.extend_from_slice(args);
    let out = ngxray_in(dir, &a);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("SARIF");
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["ngxray/v1"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The README's baseline recipe, run exactly as written.
#[test]
fn readme_baseline_recipe_runs_as_written() {
    let readme = std::fs::read_to_string(crate::util::repo().join("README.md")).unwrap();
    let at = readme
        .find("### Adopting on an existing fleet: baseline")
        .expect("README has the baseline recipe");
    let a = at + readme[at..].find("```sh\n").unwrap() + "```sh\n".len();
    let b = a + readme[a..].find("```").unwrap();
    let block = &readme[a..b];
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "conf.d/a.conf", VHOST);
    let bin_dir = crate::util::bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |script: &str| {
        std::process::Command::new("bash")
            .args(["-e", "-c", script])
            .current_dir(p)
            .env("PATH", &path)
            .output()
            .expect("bash")
    };
    let out = run(block);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("1 finding(s) hidden by baseline ngxray-baseline.json"),
        "{}",
        stderr(&out)
    );
    // A new vhost with a finding: the CI line fails on it alone.
    write(p, "conf.d/b.conf", &VHOST.replace("1s;", "2s;"));
    let ci = block
        .lines()
        .rfind(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .unwrap();
    let out = run(ci);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("conf.d/b.conf"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("conf.d/a.conf"), "{}", stdout(&out));
}
