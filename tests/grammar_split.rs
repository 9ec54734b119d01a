//! Grammar validation sets the `server` and `upstream` blocks of an `http`
//! block aside and validates them on all cores, then merges what they
//! found in read order. That must change nothing: on every corpus file, on
//! generated configurations and on one built to exercise every fact that
//! depends on read order (log formats defined between servers, the first
//! report of a third-party module, upstreams learnt from their bodies,
//! certificates, zones, variables), the findings of the split walk are the
//! serial walk's, in the same order.

#[path = "../bench/gen_config.rs"]
mod gen_config;

use crate::util;

use ngxray::diag::Diagnostic;
use ngxray::lint::grammar::{check_with, Split};
use ngxray::lint::{infer_context, lint_paths, LintOptions, LintOutcome, Root};
use ngxray::load::{LoadOptions, Loaded};

fn both(outcome: &LintOutcome, opts: &LintOptions) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    let mut serial = Vec::new();
    check_with(outcome, opts, &mut serial, Split::Never);
    let mut split = Vec::new();
    check_with(outcome, opts, &mut split, Split::Always);
    (serial, split)
}

fn outcome_of_text(text: &str) -> LintOutcome {
    let mut loaded = Loaded::default();
    let roots = loaded.load_text(
        "nginx.conf".into(),
        text.as_bytes().to_vec(),
        &LoadOptions::default(),
    );
    let roots = roots
        .into_iter()
        .map(|file| Root {
            file,
            context: infer_context(&loaded.file(file).root),
        })
        .collect();
    LintOutcome {
        roots,
        loaded,
        diagnostics: Vec::new(),
    }
}

/// Every fact of grammar validation that depends on read order, with
/// bodies set aside in between.
const ORDERED: &str = r#"
events {}
http {
    server {
        listen 80;
        more_set_headers "X-A: a";
        access_log /var/log/a main;
        access_log /var/log/b late;
        access_log /var/log/c combined;
        set $http x;
        return 200 $arg;
        limit_req zone=z burst=5;
        limit_conn perip 10;
        ssl on;
        sendfle on;
    }
    log_format main '$remote_addr';
    upstream empty { }
    upstream one { server 127.0.0.1:1 max_fails=x; }
    upstream zoned { zone z 64k; }
    upstream maybe { include /nonexistent/upstreams/*.conf; }
    more_set_headers "X-B: b";
    server {
        listen 443 ssl;
        more_set_headers "X-C: c";
        access_log /var/log/d main;
        proxy_pass_header;
        location / { client_max_body_size 10q; }
    }
    log_format late '$x';
    server {
        listen 443 ssl;
        ssl_certificate /etc/c.pem;
        server_name a;
        location / {
            proxy_pass http://one;
            location /x { return 200 $sent_http; }
            location = /exact { location /in { } }
        }
        root /a;
        root /b;
        listen 80 bogus_param;
    }
    limit_req_zone $binary_remote_addr zone=z:10m rate=1r/s;
    ssl on;
    server {
        location / {
            return 200 $cookie;
            if ($x) { set $args 1; }
            headers_more_x;
        }
        foo { return 200 $upstream_http; }
    }
    upstream late_empty { }
    map $uri $cookie { default 1; }
}
stream {
    upstream s { }
    server { listen 1; proxy_pass s; }
}
"#;

#[test]
fn ordered_facts_survive_the_split() {
    let outcome = outcome_of_text(ORDERED);
    let (serial, split) = both(&outcome, &LintOptions::default());
    // The configuration makes most grammar checks fire, in bodies set aside
    // and around them.
    for rule in [
        "grammar/third-party-directive",
        "grammar/unknown-log-format",
        "grammar/unknown-variable",
        "grammar/empty-upstream",
        "grammar/ssl-without-certificate",
        "grammar/invalid-value",
        "grammar/duplicate-directive",
        "grammar/unknown-directive",
    ] {
        assert!(
            serial.iter().any(|d| d.rule == rule),
            "{rule} does not fire: {serial:#?}"
        );
    }
    assert_eq!(serial, split);
}

#[test]
fn generated_configurations_split_alike() {
    for servers in [1, 2, 7, 64, 300] {
        let outcome = outcome_of_text(&gen_config::generate(servers));
        let (serial, split) = both(&outcome, &LintOptions::default());
        assert_eq!(serial, split, "{servers} servers");
    }
}

#[test]
fn corpus_splits_alike() {
    let Some(corpus) = util::corpus("corpus_splits_alike") else {
        return;
    };
    let mut files = 0;
    for dir in ["configs", "odd"] {
        let Ok(entries) = std::fs::read_dir(corpus.join(dir)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths.into_iter().filter(|p| p.is_file()) {
            let opts = LintOptions::default();
            let outcome = lint_paths(std::slice::from_ref(&path), &opts).expect("lint");
            let (serial, split) = both(&outcome, &opts);
            assert_eq!(serial, split, "{}", path.display());
            files += 1;
        }
    }
    assert!(files > 100, "only {files} corpus files");
}

/// Pieces of an `http` block: `server` and `upstream` blocks (set aside)
/// and the directives between them whose facts the blocks depend on.
const HTTP_PIECES: &[&str] = &[
    "server { listen 80; server_name a; location / { proxy_pass http://u1; } }",
    "server { listen 443 ssl; ssl_certificate /c.pem; ssl_certificate_key /k.pem; }",
    "server { listen 443 ssl; return 200 $arg; }",
    "server { access_log /l f1; access_log /l f2; access_log /l combined; }",
    "server { more_set_headers \"X: y\"; echo hi; }",
    "server { root /a; root /b; location = /x { location /y { } } }",
    "server { limit_req zone=z1 burst=1; limit_conn c1 5; set $args 1; }",
    "server { ssl on; listen 80 bogus; client_max_body_size 1q; }",
    "server { location / { if ($x) { return 200 $cookie; } } foo { bar $http; } }",
    "server { include /nonexistent/*.conf; sendfle on; }",
    "server bad { }",
    "upstream u1 { server 127.0.0.1:1 max_fails=x; }",
    "upstream u2 { }",
    "upstream u3 { zone z 64k; }",
    "upstream u4 { include /nonexistent/up/*.conf; }",
    "upstream { }",
    "log_format f1 '$remote_addr';",
    "log_format f2 '$x';",
    "limit_req_zone $binary_remote_addr zone=z1:10m rate=1r/s;",
    "limit_conn_zone $binary_remote_addr zone=c1:10m;",
    "ssl on;",
    "ssl_certificate /http.pem;",
    "more_set_headers \"A: b\";",
    "map $uri $cookie { default 1; }",
    "geo $remote_addr $http { default 0; }",
    "sendfile on;",
    "sendfile off;",
    "bogus_directive 1;",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Any mix of the pieces: the split walk finds what the serial one
    /// finds, in the same order.
    #[test]
    fn random_http_blocks_split_alike(
        pieces in proptest::collection::vec(0..HTTP_PIECES.len(), 0..40),
        events in proptest::bool::ANY,
    ) {
        let mut text = String::from(if events { "events {}\n" } else { "" });
        text.push_str("http {\n");
        for i in pieces {
            text.push_str("    ");
            text.push_str(HTTP_PIECES[i]);
            text.push('\n');
        }
        text.push_str("}\n");
        let outcome = outcome_of_text(&text);
        let (serial, split) = both(&outcome, &LintOptions::default());
        proptest::prop_assert_eq!(serial, split, "{}", text);
    }
}
