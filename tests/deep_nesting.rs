//! Configuration depth costs heap, never stack: 100,000 nested `location`
//! blocks, each with a `proxy_pass` (a configuration `nginx -t` accepts),
//! are linted on a thread with an ordinary 8 MiB stack, where any walk
//! that recursed once per level would overflow; the rules run on rayon's
//! threads (2 MiB stacks). The binary lints it and reports in text, JSON
//! and SARIF.

use std::path::PathBuf;

use crate::util::{ngxray, stdout};
use ngxray::diag::Severity;
use ngxray::lint::{lint_paths, LintOptions};

const DEPTH: usize = 100_000;

/// The nested config; with `upgrade`, every level also sets its own
/// `proxy_set_header Upgrade` (the WebSocket rules look up the chain for
/// it, and for the enclosing server, at every level).
fn nested_config(upgrade: bool) -> (tempfile::TempDir, PathBuf) {
    let mut conf = String::from(
        "events {}\nhttp {\n    upstream app {\n        server 127.0.0.1:8080;\n    }\n    server {\n        listen 80;\n",
    );
    for _ in 0..DEPTH {
        conf.push_str("location /a {\nproxy_pass http://app;\n");
        if upgrade {
            conf.push_str("proxy_set_header Upgrade $http_upgrade;\n");
        }
    }
    for _ in 0..DEPTH {
        conf.push_str("}\n");
    }
    conf.push_str("    }\n}\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    (dir, path)
}

#[test]
fn hundred_thousand_nested_locations_lint_on_a_small_stack() {
    nested_lint(false);
}

/// Every level's rule work is constant: a walk to the enclosing server or
/// the root per level would make this run quadratic (minutes).
#[test]
fn hundred_thousand_nested_websocket_locations_lint() {
    nested_lint(true);
}

fn nested_lint(upgrade: bool) {
    let (_dir, path) = nested_config(upgrade);
    let outcome = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let out = lint_paths(&[path], &LintOptions::default()).unwrap();
            let errors: Vec<String> = out
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| format!("{}: {}", d.rule, d.message))
                .collect();
            let directives = out
                .loaded
                .file(ngxray::syntax::FileId(0))
                .root
                .walk()
                .count();
            (errors, directives)
        })
        .unwrap()
        .join()
        .expect("lint must not overflow its stack");
    assert_eq!(outcome.0, Vec::<String>::new());
    // events, http, upstream, its server, server, listen, then two (or
    // three) per level
    assert_eq!(outcome.1, 6 + (2 + usize::from(upgrade)) * DEPTH);
}

#[test]
fn hundred_thousand_nested_locations_through_the_binary() {
    let (_dir, path) = nested_config(false);
    let path = path.to_str().unwrap();
    for format in ["text", "json", "sarif"] {
        let o = ngxray(&["lint", "--format", format, path]);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{format}: {:?} {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        if format == "json" || format == "sarif" {
            let _: serde_json::Value = serde_json::from_str(&stdout(&o))
                .unwrap_or_else(|e| panic!("{format}: not JSON: {e}"));
        }
    }
}

/// `parse --format json` writes blocks with an explicit stack: the tree of
/// 100,000 nested locations is written on the same 8 MiB stack (a
/// serializer recursing per level needs several times that), and holds
/// every level.
#[test]
fn hundred_thousand_nested_locations_print_as_json_on_a_small_stack() {
    let (_dir, path) = nested_config(false);
    let json = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let mut loaded = ngxray::load::Loaded::default();
            loaded
                .load_path(&path, &ngxray::load::LoadOptions::default())
                .unwrap();
            let mut out = Vec::new();
            ngxray::report::tree::write(&mut out, &loaded, false).unwrap();
            out
        })
        .unwrap()
        .join()
        .expect("printing must not overflow its stack");
    let text = String::from_utf8(json).unwrap();
    assert!(text.starts_with("{\"schema\":\"ngxray/parse/v1\""));
    assert_eq!(text.matches("\"directive\":\"location\"").count(), DEPTH);
    assert!(
        text.ends_with("]}]}]}]}]}]}"),
        "{}",
        &text[text.len() - 40..]
    );
}
