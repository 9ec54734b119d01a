//! Fixes end to end: `--diff`, `--fix` (safe only by default,
//! `--unsafe-fixes`), comments / indentation / CRLF kept, symlinks kept,
//! JSON and SARIF carry the fix; and on the corpus: every fixed file
//! re-lints without fixable findings and parses identically outside the
//! edited directives.

use std::path::Path;

use ngxray::diag::Edit;
use ngxray::lint::{lint_paths, LintOptions};
use ngxray::syntax::{parse, Block, FileId};

use crate::util::{corpus, ngxray_in, stderr, stdout};

const CONF: &str = "upstream app {\r\n    server 10.0.0.1:80;  # primary\r\n    server 10.0.0.2:80 weight=2;\r\n    keepalive 16;\r\n}\r\nserver {\r\n    listen 80;\r\n    location / {\r\n        proxy_pass http://app;   # main app\r\n        proxy_read_timeout 1s;\r\n    }\r\n}\r\n";

/// A diff is the file's own bytes: a config with Latin-1 text and a control
/// character (read lossily for the report) gets a diff that `git apply`
/// takes and that gives exactly what `--fix` writes.
#[test]
fn diff_of_a_file_that_is_not_utf8_applies_byte_for_byte() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let conf: &[u8] = b"events {}\n# caf\xe9 \x07\nhttp {\n  upstream u { server 127.0.0.1:8080; keepalive 8; }\n  server { listen 80; location / { proxy_pass http://u; add_header X-A \"\xe9t\xe9\"; } }\n}\n";
    std::fs::write(p.join("nginx.conf"), conf).unwrap();
    std::fs::write(p.join("fixed.conf"), conf).unwrap();
    let out = ngxray_in(p, &["lint", "--diff", "nginx.conf"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        out.stdout.windows(10).any(|w| w == b" # caf\xe9 \x07\n"),
        "context lines are not the file's bytes: {}",
        stdout(&out)
    );
    std::fs::write(p.join("fix.diff"), &out.stdout).unwrap();
    let applied = std::process::Command::new("git")
        .current_dir(p)
        .args(["apply", "fix.diff"])
        .output()
        .expect("run git apply");
    assert!(applied.status.success(), "{}", stderr(&applied));
    let out = ngxray_in(p, &["lint", "--fix", "fixed.conf"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let patched = std::fs::read(p.join("nginx.conf")).unwrap();
    assert_eq!(patched, std::fs::read(p.join("fixed.conf")).unwrap());
    assert!(patched.windows(4).any(|w| w == b"caf\xe9"));
}

#[test]
fn diff_then_fix_keeps_layout_and_symlinks() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir(p.join("sites-available")).unwrap();
    std::fs::create_dir(p.join("sites-enabled")).unwrap();
    std::fs::write(p.join("sites-available/app"), CONF).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("../sites-available/app", p.join("sites-enabled/app")).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(p.join("sites-available/app"), p.join("sites-enabled/app")).unwrap();
    let out = ngxray_in(p, &["lint", "--diff", "sites-enabled/app"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let want = "--- a/sites-enabled/app\n+++ b/sites-enabled/app\n@@ -1,12 +1,14 @@\n upstream app {\r\n-    server 10.0.0.1:80;  # primary\r\n-    server 10.0.0.2:80 weight=2;\r\n+    server 10.0.0.1:80 max_fails=3 fail_timeout=30s;  # primary\r\n+    server 10.0.0.2:80 weight=2 max_fails=3 fail_timeout=30s;\r\n     keepalive 16;\r\n }\r\n server {\r\n     listen 80;\r\n     location / {\r\n         proxy_pass http://app;   # main app\r\n+        proxy_http_version 1.1;\r\n+        proxy_set_header Connection \"\";\r\n         proxy_read_timeout 1s;\r\n     }\r\n }\r\n";
    assert_eq!(stdout(&out), want);
    assert!(
        stderr(&out).contains("2 fix(es) in 1 file(s) would be applied (1 more fix(es) available with --unsafe-fixes)"),
        "{}",
        stderr(&out)
    );
    // --diff writes nothing.
    assert_eq!(
        std::fs::read_to_string(p.join("sites-available/app")).unwrap(),
        CONF
    );
    // --fix: safe fixes only; what is left is reported.
    let out = ngxray_in(
        p,
        &["lint", "--fix", "--format", "concise", "sites-enabled/app"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "fixed 2 finding(s) in 1 file(s) (1 more fix(es) available with --unsafe-fixes)"
        ),
        "{err}"
    );
    assert!(
        err.contains("fixed sites-enabled/app: [upstream/missing-health-params]"),
        "{err}"
    );
    let left = stdout(&out);
    assert!(left.contains("[timeout/aggressive-read-timeout]"), "{left}");
    assert!(!left.contains("[upstream/missing-health-params]"), "{left}");
    assert!(
        !left.contains("[keepalive/upstream-keepalive-ineffective]"),
        "{left}"
    );
    // The link is still a link; the real file got the edits.
    #[cfg(unix)]
    assert!(std::fs::symlink_metadata(p.join("sites-enabled/app"))
        .unwrap()
        .file_type()
        .is_symlink());
    let text = std::fs::read_to_string(p.join("sites-available/app")).unwrap();
    assert!(
        text.contains("    server 10.0.0.1:80 max_fails=3 fail_timeout=30s;  # primary\r\n"),
        "{text}"
    );
    assert!(
        text.contains("        proxy_set_header Connection \"\";\r\n"),
        "{text}"
    );
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "line endings changed: {text:?}"
    );
    // --unsafe-fixes: the rest.
    let out = ngxray_in(
        p,
        &[
            "lint",
            "--fix",
            "--unsafe-fixes",
            "--format",
            "concise",
            "sites-enabled/app",
        ],
    );
    assert!(
        stderr(&out).contains("fixed 1 finding(s)"),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(p.join("sites-available/app")).unwrap();
    assert!(
        text.contains("        proxy_read_timeout 60s;\r\n"),
        "{text}"
    );
    // Nothing left to fix.
    let out = ngxray_in(
        p,
        &["lint", "--diff", "--unsafe-fixes", "sites-enabled/app"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "");
}

#[test]
fn unsafe_when_inherited_headers_would_be_dropped() {
    let d = tempfile::tempdir().unwrap();
    let conf = "upstream app { server 10.0.0.1:80 max_fails=3; keepalive 8; }\nserver {\n    listen 80;\n    proxy_set_header Host $host;\n    location / {\n        proxy_pass http://app;\n    }\n}\n";
    std::fs::write(d.path().join("a.conf"), conf).unwrap();
    let out = ngxray_in(d.path(), &["lint", "--format", "json", "a.conf"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ka = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "keepalive/upstream-keepalive-ineffective")
        .expect("keepalive finding");
    assert_eq!(ka["fix"]["applicability"], "unsafe", "{ka}");
    assert_eq!(
        ka["fix"]["edits"][0]["replacement"],
        "\n        proxy_http_version 1.1;\n        proxy_set_header Connection \"\";"
    );
    let out = ngxray_in(d.path(), &["lint", "--fix", "a.conf"]);
    assert!(
        stderr(&out).contains("fixed 0 finding(s)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("a.conf")).unwrap(),
        conf
    );
}

#[test]
fn sarif_carries_fixes() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.conf"), CONF).unwrap();
    let out = ngxray_in(d.path(), &["lint", "--format", "sarif", "a.conf"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "upstream/missing-health-params")
        .unwrap();
    let change = &r["fixes"][0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "a.conf");
    let rep = &change["replacements"][0];
    assert_eq!(rep["deletedRegion"]["startLine"], 2);
    assert_eq!(rep["deletedRegion"]["startColumn"], 23);
    assert_eq!(rep["deletedRegion"]["charLength"], 0);
    assert_eq!(
        rep["insertedContent"]["text"],
        " max_fails=3 fail_timeout=30s"
    );
}

/// `depth|name args` of every directive, in order, with its span.
fn flatten(b: &Block, depth: usize, out: &mut Vec<(String, usize, usize)>) {
    for d in &b.directives {
        let mut s = format!("{depth}|{}", d.name());
        for a in &d.args {
            s.push(' ');
            s.push_str(a.as_str());
        }
        let h = d.head_span();
        out.push((s, h.start(), h.end()));
        if let Some(inner) = d.block() {
            flatten(inner, depth + 1, out);
        }
    }
}

#[test]
fn corpus_fixes_change_only_the_edited_directives() {
    let Some(corpus) = corpus("corpus_fixes_change_only_the_edited_directives") else {
        return;
    };
    let mut fixed_files = 0;
    let mut entries: Vec<_> = std::fs::read_dir(corpus.join("configs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for src in entries {
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(&name);
        std::fs::copy(&src, &path).unwrap();
        let o = lint_paths(std::slice::from_ref(&path), &LintOptions::default()).unwrap();
        let planned = ngxray::fix::plan(&o.diagnostics, &o.loaded.sources, true);
        let Some(ff) = planned.into_iter().find(|f| f.path == path) else {
            continue;
        };
        fixed_files += 1;
        let old = parse(&ff.old, FileId(0));
        let new = parse(&ff.new, FileId(0));
        assert_eq!(
            old.errors.len(),
            new.errors.len(),
            "{name}: syntax errors changed"
        );
        let (mut a, mut b) = (Vec::new(), Vec::new());
        flatten(&old.root, 0, &mut a);
        flatten(&new.root, 0, &mut b);
        let touched = |s: usize, e: usize| {
            ff.edits.iter().any(|x: &Edit| {
                x.span.start() <= e && s <= x.span.end() && !x.replacement.contains(';')
            })
        };
        let inserted: usize = ff
            .edits
            .iter()
            .filter(|x| x.replacement.contains(';'))
            .map(|x| x.replacement.matches(';').count())
            .sum();
        let ak: Vec<&str> = a.iter().map(|x| x.0.as_str()).collect();
        let bk: Vec<&str> = b.iter().map(|x| x.0.as_str()).collect();
        let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &ak, &bk);
        let mut changed_old = 0;
        for op in ops {
            let (tag, old_range, _) = op.as_tag_tuple();
            if tag == similar::DiffTag::Equal {
                continue;
            }
            for i in old_range {
                changed_old += 1;
                assert!(
                    touched(a[i].1, a[i].2),
                    "{name}: directive changed outside the edits: {}",
                    a[i].0
                );
            }
        }
        assert_eq!(
            b.len(),
            a.len() + inserted,
            "{name}: directives added or lost beyond the inserted ones"
        );
        assert!(changed_old <= a.iter().filter(|x| touched(x.1, x.2)).count());
        // Applied on disk (all rounds), nothing fixable is left and the
        // file still parses as before.
        let out = ngxray_in(
            dir.path(),
            &["lint", "--fix", "--unsafe-fixes", "--format", "json", &name],
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: {}",
            stderr(&out)
        );
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let left: Vec<&serde_json::Value> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| !d["fix"].is_null())
            .collect();
        assert!(
            left.is_empty(),
            "{name}: fixable findings left after --fix: {left:?}"
        );
        let after = std::fs::read(&path).unwrap();
        assert_eq!(
            parse(&after, FileId(0)).errors.len(),
            old.errors.len(),
            "{name}"
        );
        assert!(Path::new(&path).is_file());
    }
    assert!(
        fixed_files >= 5,
        "only {fixed_files} corpus files had fixes"
    );
    eprintln!("corpus: {fixed_files} files fixed and checked");
}
