//! `ngxray rules`, `ngxray explain`, `.ngxray.toml`, `--select`/`--ignore`,
//! `--fail-on` and inline suppressions, end to end.

use std::fs;

use crate::util::{ngxray, ngxray_in, stderr, stdout};

const CONF: &str = "events {}\nhttp {\n    server {\n        listen 80;\n        location / {\n            proxy_read_timeout 5s;\n            proxy_pass http://localhost:3000;\n        }\n    }\n}\n";

fn dir_with(conf: &str, toml: Option<&str>) -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    fs::write(d.path().join("nginx.conf"), conf).expect("write conf");
    if let Some(t) = toml {
        fs::write(d.path().join(".ngxray.toml"), t).expect("write toml");
    }
    d
}

fn rules_in(out: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(out).expect("json");
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn rules_lists_every_rule_as_json() {
    let o = ngxray(&["rules", "--format", "json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let ids: Vec<&str> = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    for id in [
        "dns/variable-pass-without-resolver",
        "upstream/undefined-upstream-name",
        "timeout/aggressive-read-timeout",
        "suppress/unused",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let text = stdout(&ngxray(&["rules"]));
    assert!(text.contains("timeout/connect-timeout-out-of-range"));
}

#[test]
fn explain_prints_the_doc() {
    let o = ngxray(&["explain", "dns/variable-pass-without-resolver"]);
    assert!(o.status.success());
    let s = stdout(&o);
    assert!(s.contains("## Why it causes 502 or 504"));
    assert!(s.contains("no resolver defined to resolve"));
    let o = ngxray(&["explain", "dns/nope"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Every registered id has its page: `explain` prints it (starting with
/// `# <id>`, the file under docs/rules), and SARIF carries the same text as
/// the rule's help and a full description taken from it.
#[test]
fn every_rule_explains_itself_and_in_sarif() {
    let o = ngxray(&["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let ids: Vec<String> = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["id"].as_str().map(String::from))
        .collect();
    let d = dir_with(CONF, None);
    let sarif = stdout(&ngxray_in(
        d.path(),
        &["lint", "--format", "sarif", "nginx.conf"],
    ));
    let sarif: serde_json::Value = serde_json::from_str(&sarif).expect("sarif json");
    let driver_rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("driver rules");
    let mut bad = Vec::new();
    for id in &ids {
        let page = fs::read_to_string(crate::util::repo().join(format!("docs/rules/{id}.md")))
            .unwrap_or_else(|e| panic!("docs/rules/{id}.md: {e}"));
        let out = stdout(&ngxray(&["explain", id]));
        if !out.starts_with(&format!("# {id}\n")) || out.trim_end() != page.trim_end() {
            bad.push(format!("explain {id}: not its page"));
        }
        let Some(r) = driver_rules.iter().find(|r| r["id"] == id.as_str()) else {
            bad.push(format!("sarif: {id} not in tool.driver.rules"));
            continue;
        };
        if r["help"]["text"].as_str().map(str::trim_end) != Some(page.trim_end()) {
            bad.push(format!("sarif {id}: help is not the page"));
        }
        let full = r["fullDescription"]["text"].as_str().unwrap_or_default();
        if full.trim().is_empty() || full.trim() == id.as_str() {
            bad.push(format!("sarif {id}: empty fullDescription"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn findings_and_fail_on() {
    let d = dir_with(CONF, None);
    let o = ngxray_in(d.path(), &["lint", "--format", "json", "nginx.conf"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rules = rules_in(&stdout(&o));
    assert!(rules.contains(&"dns/localhost-dual-stack".to_string()));
    assert!(rules.contains(&"timeout/aggressive-read-timeout".to_string()));
    let o = ngxray_in(d.path(), &["lint", "--fail-on", "error", "nginx.conf"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn select_and_ignore() {
    let d = dir_with(CONF, None);
    let o = ngxray_in(
        d.path(),
        &["lint", "--format", "json", "--select", "dns", "nginx.conf"],
    );
    assert_eq!(rules_in(&stdout(&o)), ["dns/localhost-dual-stack"]);
    let o = ngxray_in(
        d.path(),
        &[
            "lint",
            "--format",
            "json",
            "--ignore",
            "dns/localhost-dual-stack",
            "nginx.conf",
        ],
    );
    assert_eq!(rules_in(&stdout(&o)), ["timeout/aggressive-read-timeout"]);
    let o = ngxray_in(d.path(), &["lint", "--select", "dns/nope", "nginx.conf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dns/nope"));
}

/// With only grammar ids selected, or all of them ignored, one side of the
/// checks is skipped: the findings of the other side must be unchanged.
#[test]
fn grammar_and_rules_each_run_alone() {
    let conf = "events {}\nhttp {\n    server {\n        listen 80;\n        proxy_buffering maybe;\n        location / {\n            proxy_read_timeout 2s;\n            proxy_pass http://localhost:3000;\n        }\n    }\n}\n";
    let d = dir_with(conf, None);
    let all = rules_in(&stdout(&ngxray_in(
        d.path(),
        &["lint", "--format", "json", "nginx.conf"],
    )));
    assert!(
        all.contains(&"grammar/invalid-flag-value".to_string()),
        "{all:?}"
    );
    assert!(all.len() > 1, "{all:?}");
    let grammar = rules_in(&stdout(&ngxray_in(
        d.path(),
        &[
            "lint",
            "--format",
            "json",
            "--select",
            "grammar",
            "nginx.conf",
        ],
    )));
    let rest = rules_in(&stdout(&ngxray_in(
        d.path(),
        &[
            "lint",
            "--format",
            "json",
            "--ignore",
            "grammar",
            "nginx.conf",
        ],
    )));
    assert_eq!(grammar, ["grammar/invalid-flag-value"]);
    let mut both: Vec<String> = grammar.iter().chain(&rest).cloned().collect();
    let mut all_sorted = all.clone();
    both.sort();
    all_sorted.sort();
    assert_eq!(both, all_sorted);
    let one = rules_in(&stdout(&ngxray_in(
        d.path(),
        &[
            "lint",
            "--format",
            "json",
            "--select",
            "grammar/invalid-flag-value",
            "nginx.conf",
        ],
    )));
    assert_eq!(one, ["grammar/invalid-flag-value"]);
}

#[test]
fn config_file_is_found_upward_and_applied() {
    let d = dir_with(
        CONF,
        Some("ignore = [\"dns\"]\n[rules.\"timeout/aggressive-read-timeout\"]\nseverity = \"error\"\nthreshold = \"3s\"\n"),
    );
    fs::create_dir(d.path().join("sub")).expect("mkdir");
    fs::write(d.path().join("sub/site.conf"), "server {\n    listen 80;\n    location / {\n        proxy_read_timeout 5s;\n        proxy_pass http://localhost:3000;\n    }\n}\n").expect("write");
    // threshold 3s: 5s is fine; dns ignored
    let o = ngxray_in(d.path(), &["lint", "--format", "json", "sub/site.conf"]);
    assert_eq!(
        rules_in(&stdout(&o)),
        Vec::<String>::new(),
        "{}",
        stderr(&o)
    );
    assert_eq!(o.status.code(), Some(0));
    // severity override
    fs::write(
        d.path().join(".ngxray.toml"),
        "[rules.\"timeout/aggressive-read-timeout\"]\nseverity = \"error\"\n",
    )
    .expect("write");
    let o = ngxray_in(
        d.path(),
        &[
            "lint",
            "--format",
            "json",
            "--select",
            "timeout",
            "sub/site.conf",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["diagnostics"][0]["severity"], "error");
}

#[test]
fn malformed_config_is_exit_2_with_line_and_key() {
    let d = dir_with(CONF, Some("select = [\"dns\"]\n\n[rules.\"timeout/aggressive-read-timeout\"]\nthresold = \"3s\"\n"));
    let o = ngxray_in(d.path(), &["lint", "nginx.conf"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains(".ngxray.toml:4:"), "{e}");
    assert!(e.contains("thresold"), "{e}");
    let d = dir_with(CONF, Some("nginx-versoin = \"1.24\"\n"));
    let o = ngxray_in(d.path(), &["lint", "nginx.conf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(".ngxray.toml:1:"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nginx-versoin"), "{}", stderr(&o));
    // --config pointing at a missing file is an error, never a silent pass
    let o = ngxray_in(d.path(), &["lint", "--config", "nope.toml", "nginx.conf"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn inline_suppressions() {
    let conf = "events {}\nhttp {\n    server {\n        listen 80;\n        # ngxray: ignore[timeout] fail fast by design\n        location / {\n            proxy_read_timeout 5s;\n            proxy_pass http://localhost:3000; # ngxray: ignore[dns/localhost-dual-stack] both stacks\n        }\n        location /x/ {\n            proxy_pass http://127.0.0.1:3000; # ngxray: ignore[dns/localhost-dual-stack] stale\n        }\n    }\n}\n";
    let d = dir_with(conf, None);
    let o = ngxray_in(d.path(), &["lint", "--format", "json", "nginx.conf"]);
    assert_eq!(rules_in(&stdout(&o)), ["suppress/unused"]);
    // an ignored rule's suppressions are not "unused"
    let o = ngxray_in(
        d.path(),
        &["lint", "--format", "json", "--ignore", "dns", "nginx.conf"],
    );
    assert_eq!(rules_in(&stdout(&o)), Vec::<String>::new());
}

#[test]
fn resolve_reports_names_that_do_not_resolve() {
    let conf = "events {}\nhttp {\n    server {\n        listen 80;\n        location / { proxy_pass http://nothing-here.invalid:8080; }\n        location /l/ { proxy_pass http://127.0.0.1:8080; }\n    }\n}\n";
    let d = dir_with(conf, None);
    let o = ngxray_in(
        d.path(),
        &[
            "lint",
            "--format",
            "json",
            "--select",
            "dns/unresolvable-host",
            "nginx.conf",
        ],
    );
    assert_eq!(
        rules_in(&stdout(&o)),
        Vec::<String>::new(),
        "no lookups without --resolve"
    );
    let o = ngxray_in(
        d.path(),
        &[
            "lint",
            "--format",
            "json",
            "--resolve",
            "--select",
            "dns/unresolvable-host",
            "nginx.conf",
        ],
    );
    assert_eq!(rules_in(&stdout(&o)), ["dns/unresolvable-host"]);
}
