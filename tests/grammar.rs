//! Directive grammar validation: `nginx -t` parity on the corpus (every file
//! nginx rejects for syntax, context, arguments or an unknown directive gets
//! an ngxray error on the same line; every file nginx accepts gets no syntax
//! or grammar error), and end-to-end checks of each grammar rule.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ngxray::diag::{Diagnostic, Severity};
use ngxray::lint::{lint_paths, LintOptions, LintOutcome, NginxVersion};
use ngxray::model::Context;

use crate::util::*;

/// The dynamic modules Debian's nginx-extras 1.22.1 loads from
/// `/etc/nginx/modules-enabled` (the `debian_modules_preloaded` column of
/// `expected/nginx-t.tsv`): nginx -t saw their directives, and no others.
pub const DEBIAN_EXTRAS_MODULES: &[&str] = &[
    "ndk_http_module.so",
    "ngx_http_auth_pam_module.so",
    "ngx_http_cache_purge_module.so",
    "ngx_http_dav_ext_module.so",
    "ngx_http_echo_module.so",
    "ngx_http_fancyindex_module.so",
    "ngx_http_geoip_module.so",
    "ngx_http_geoip2_module.so",
    "ngx_http_headers_more_filter_module.so",
    "ngx_http_image_filter_module.so",
    "ngx_http_lua_module.so",
    "ngx_http_perl_module.so",
    "ngx_http_subs_filter_module.so",
    "ngx_http_uploadprogress_module.so",
    "ngx_http_upstream_fair_module.so",
    "ngx_http_xslt_filter_module.so",
    "ngx_mail_module.so",
    "ngx_nchan_module.so",
    "ngx_stream_module.so",
    "ngx_stream_geoip_module.so",
    "ngx_stream_geoip2_module.so",
];

struct Row {
    file: String,
    folder: String,
    class: String,
    line: Option<usize>,
    wrapped: String,
    preloaded: bool,
    message: String,
}

fn rows(corpus: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(corpus.join("expected/nginx-t.tsv")).expect("nginx-t.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).expect(n);
    let (f, fo, cl, li, wr, pre, msg) = (
        col("file"),
        col("folder"),
        col("class"),
        col("line"),
        col("wrapped"),
        col("debian_modules_preloaded"),
        col("message"),
    );
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Row {
                file: c[f].to_string(),
                folder: c[fo].to_string(),
                class: c[cl].to_string(),
                line: c[li].parse().ok(),
                wrapped: c[wr].to_string(),
                preloaded: c[pre] == "yes",
                message: c[msg].to_string(),
            }
        })
        .collect()
}

/// The `--context` matching how the file was wrapped for nginx -t.
/// `None`: the file was nginx's main configuration (context inferred).
fn context_for(wrapped: &str) -> Option<Context> {
    if wrapped.starts_with("no") {
        None
    } else if wrapped.contains("server{ include") {
        Some(Context::Server)
    } else if wrapped.contains("stream{ include") {
        Some(Context::Stream)
    } else if wrapped.contains("http{ include") {
        Some(Context::Http)
    } else {
        // "events{} include FILE;": a main-level fragment
        Some(Context::Main)
    }
}

fn lint_like_nginx_t(path: &Path, context: Option<Context>, preloaded: bool) -> LintOutcome {
    let opts = LintOptions {
        context,
        nginx_version: NginxVersion(1, 22, 1),
        version_known: true,
        flavor_known: true,
        complete: true,
        modules: if preloaded {
            DEBIAN_EXTRAS_MODULES
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    lint_paths(&[path.to_path_buf()], &opts).expect("lint")
}

/// The line nginx would report this finding at. nginx logs a statement error
/// at the line of the statement's terminating `;` or `{` (it has read the
/// whole statement when it checks it), while ngxray points at the name or the
/// offending argument. So: if the finding's start lies inside a statement's
/// head (name to terminator), use the terminator's line; otherwise (a brace,
/// a whole-file finding) the finding's own line.
fn nginx_line(o: &LintOutcome, d: &Diagnostic) -> Option<(PathBuf, usize)> {
    let span = d.span?;
    let file = o.loaded.sources.get(span.file);
    let parsed = o.loaded.file(span.file);
    let mut line = file.position(span.start()).line;
    for (_, dir) in parsed.root.walk() {
        if dir.name.span.start() <= span.start()
            && span.start() < dir.end().end().max(dir.end().start() + 1)
        {
            line = file.position(dir.end().start()).line;
        }
    }
    Some((file.path.clone(), line))
}

/// nginx errors ngxray does not model, by message. Files failing only for
/// these are counted apart and listed, not silently passed.
fn is_load_error(d: &Diagnostic) -> bool {
    d.severity == Severity::Error && matches!(d.category(), "syntax" | "grammar")
}

#[test]
fn nginx_t_parity_on_corpus() {
    let Some(corpus) = corpus("nginx_t_parity_on_corpus") else {
        return;
    };
    let mut stats: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for r in rows(&corpus) {
        let must_fail = matches!(
            r.class.as_str(),
            "syntax" | "context" | "args" | "unknown-directive"
        );
        if !must_fail && r.class != "ok" {
            continue;
        }
        let path = corpus.join(&r.folder).join(&r.file);
        let o = lint_like_nginx_t(&path, context_for(&r.wrapped), r.preloaded);
        let errors: Vec<&Diagnostic> = o.diagnostics.iter().filter(|d| is_load_error(d)).collect();
        let ok = if must_fail {
            errors.iter().any(|d| match (nginx_line(&o, d), r.line) {
                (Some((p, l)), Some(want)) => l == want && p == path,
                // nginx printed no line (errors found after parsing)
                (_, None) => true,
                _ => false,
            })
        } else {
            errors.is_empty()
        };
        let e = stats.entry(r.class.clone()).or_default();
        e.1 += 1;
        if ok {
            e.0 += 1;
        } else {
            let got: Vec<String> = errors
                .iter()
                .map(|d| {
                    let l = nginx_line(&o, d).map(|x| x.1).unwrap_or(0);
                    format!("{}:{} {}", d.rule, l, d.message)
                })
                .collect();
            failures.push(format!(
                "{} [{}] nginx: {} (line {:?})\n    ngxray: {:?}",
                r.file, r.class, r.message, r.line, got
            ));
        }
    }
    for (class, (ok, total)) in &stats {
        eprintln!("parity {class}: {ok}/{total}");
    }
    assert!(stats.get("ok").is_some_and(|s| s.1 > 0), "no ok rows read");
    assert!(
        failures.is_empty(),
        "nginx -t parity failures:\n{}",
        failures.join("\n")
    );
}

/// Lint a file of `testdata/grammar` with the CLI; the JSON findings.
fn lint_json(file: &str) -> Vec<serde_json::Value> {
    let path = repo().join("testdata/grammar").join(file);
    let out = ngxray(&[
        "lint",
        "--format",
        "json",
        path.to_str().expect("utf-8 path"),
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json output");
    v["diagnostics"].as_array().cloned().unwrap_or_default()
}

/// The third-party modules added from their own `ngx_command_t` tables
/// (grammar/thirdparty-extra.tsv) validate as real configurations use them:
/// no grammar error, one `grammar/third-party-directive` info per module.
#[test]
fn third_party_modules_validate() {
    let found = lint_json("third-party.conf");
    let errors: Vec<String> = found
        .iter()
        .filter(|d| d["severity"] != "info")
        .map(|d| format!("{}:{} {}", d["rule"], d["line"], d["message"]))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let mut modules: Vec<&str> = found
        .iter()
        .filter(|d| d["rule"] == "grammar/third-party-directive")
        .filter_map(|d| d["message"].as_str())
        .filter_map(|m| m.split("third-party module ").nth(1))
        .filter_map(|m| m.split(' ').next())
        .collect();
    modules.sort_unstable();
    assert_eq!(
        modules,
        [
            "ngx_http_auth_ldap_module",
            "ngx_http_naxsi_module",
            "ngx_http_proxy_connect_module",
            "ngx_http_push_stream_module",
            "ngx_http_redis2_module",
            "ngx_http_redis_module",
            "ngx_http_secure_token_filter_module",
            "ngx_http_upload_module",
            "ngx_http_upstream_check_module",
            "ngx_http_upstream_jdomain_module",
            "ngx_http_vod_module",
        ]
    );
}

/// Every row of grammar/thirdparty-extra.tsv, placed in each context it
/// lists with its fewest arguments, is accepted; one argument too many is
/// rejected where the mask has a maximum (the table is what ngxray
/// enforces, not only what it knows by name). One file, one case a line.
#[test]
fn third_party_extra_rows_are_enforced() {
    let text = std::fs::read_to_string(repo().join("grammar/thirdparty-extra.tsv"))
        .expect("thirdparty-extra.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).expect(n);
    let (name, contexts, args, lo, hi, block) = (
        col("name"),
        col("contexts"),
        col("args"),
        col("min_args"),
        col("max_args"),
        col("is_block"),
    );
    // (config line, case, must be rejected)
    let mut cases: Vec<(String, bool)> = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let n: usize = f[lo].parse().expect("min_args");
        let value = if f[args] == "flag" { "on" } else { "a" };
        let mut argvs = vec![(vec![value; n], false)];
        if let Ok(max) = f[hi].parse::<usize>() {
            argvs.push((vec![value; max + 1], true));
        }
        for ctx in f[contexts].split(',') {
            for (argv, bad) in &argvs {
                let stmt = format!(
                    "{} {}{}",
                    f[name],
                    argv.join(" "),
                    if f[block] == "yes" { " { }" } else { ";" }
                );
                let i = cases.len();
                let line = match ctx {
                    "http" => stmt,
                    "server" => format!("server {{ {stmt} }}"),
                    "location" => format!("server {{ location / {{ {stmt} }} }}"),
                    "if_in_location" => {
                        format!("server {{ location / {{ if ($uri) {{ {stmt} }} }} }}")
                    }
                    "limit_except" => {
                        format!("server {{ location / {{ limit_except GET {{ {stmt} }} }} }}")
                    }
                    "upstream" => format!("upstream u{i} {{ server 127.0.0.1; {stmt} }}"),
                    other => panic!("context {other} of {} has no test case", f[name]),
                };
                cases.push((line, *bad));
            }
        }
    }
    assert!(cases.len() > 400, "only {} cases", cases.len());
    let dir = std::env::temp_dir().join(format!("ngxray-thirdparty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // A file lists 100 findings of one rule (the rest are counted): the
    // cases go in files of 90.
    let mut failures = Vec::new();
    for (n, chunk) in cases.chunks(90).enumerate() {
        let path = dir.join(format!("nginx{n}.conf"));
        let body: Vec<&str> = chunk.iter().map(|(l, _)| l.as_str()).collect();
        std::fs::write(
            &path,
            format!("events {{}}\nhttp {{\n{}\n}}\n", body.join("\n")),
        )
        .expect("write");
        let out = ngxray(&[
            "lint",
            "--format",
            "json",
            "--select",
            "grammar",
            path.to_str().expect("utf-8 path"),
        ]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        let mut rejected: BTreeMap<u64, String> = BTreeMap::new();
        for d in v["diagnostics"].as_array().into_iter().flatten() {
            if d["severity"] == "error" {
                let line = d["line"].as_u64().unwrap_or(0);
                rejected.insert(line, format!("{} {}", d["rule"], d["message"]));
            }
        }
        for (i, (line, bad)) in chunk.iter().enumerate() {
            let at = i as u64 + 3;
            match (rejected.remove(&at), bad) {
                (Some(e), false) => failures.push(format!("{line}: {e}")),
                (None, true) => {
                    failures.push(format!("{line}: accepted, but has too many arguments"))
                }
                _ => {}
            }
        }
        failures.extend(rejected.values().cloned());
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Unknown directives sharing a module prefix are one finding, with the
/// other lines as related spans; a typo of a known directive stays its own.
#[test]
fn unknown_directives_of_one_prefix_are_one_finding() {
    let found = lint_json("unknown-prefix.conf");
    let unknown: Vec<&serde_json::Value> = found
        .iter()
        .filter(|d| d["rule"] == "grammar/unknown-directive")
        .collect();
    assert_eq!(unknown.len(), 2, "{unknown:#?}");
    let group = unknown[0];
    assert_eq!(group["line"], 5);
    assert_eq!(
        group["message"],
        "unknown directives with prefix \"foo_\": \"foo_zone\", \"foo_enable\", \"foo_pass\""
    );
    let related: Vec<(u64, &str)> = group["related"]
        .as_array()
        .expect("related")
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap_or(0),
                r["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        related,
        [
            (8, "also unknown: \"foo_enable\""),
            (10, "also unknown: \"foo_pass\"")
        ]
    );
    assert_eq!(unknown[1]["line"], 11);
    assert_eq!(unknown[1]["message"], "unknown directive \"proxy_passs\"");
    let text = ngxray_in(
        &repo(),
        &[
            "lint",
            "--format",
            "text",
            "--select",
            "grammar/unknown-directive",
            "testdata/grammar/unknown-prefix.conf",
        ],
    );
    insta::assert_snapshot!(stdout(&text));
}
