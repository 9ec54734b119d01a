//! Differential test against the real nginx: generate small configurations
//! (valid ones, and mutations: wrong context, wrong argument count, typos,
//! bad values) and compare ngxray's verdict with `nginx -t` on each. nginx
//! runs under a private `-p` prefix with `pid` and `error_log` overridden by
//! `-g`, so it reads and writes nothing outside a temporary directory and
//! never starts a server. Agreement means: both accept, or both reject and
//! ngxray has an error on the line nginx names. Every disagreement fails the
//! test unless it is listed in [`EXCEPTIONS`] with its reason.

use std::path::Path;

use ngxray::diag::Severity;
use ngxray::lint::grammar::table::{table, ModuleKind};
use ngxray::lint::{lint_paths, LintOptions, NginxVersion};
use ngxray::model::Context;

use crate::util::*;

const TARGET: NginxVersion = NginxVersion(1, 22, 1);

/// Known disagreements: (directive or case prefix, why).
const EXCEPTIONS: &[(&str, &str)] = &[(
    "location: proxy_cache nosuchzone;",
    "nginx finds the unknown cache zone when it merges the locations, and reports the line where the http block ends; ngxray reports the same message at the proxy_cache that names the zone",
)];

/// The skeleton: every context once, each with a marker line where the
/// case's directive goes. Stream and mail are dynamic modules in Debian's
/// build, so they are loaded explicitly (ngxray reads those lines too).
const SKELETON: &str = "\
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
load_module /usr/lib/nginx/modules/ngx_mail_module.so;
#@main
events {
#@events
}
http {
  access_log off;
  client_body_temp_path tmp/body; proxy_temp_path tmp/proxy; fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi; scgi_temp_path tmp/scgi;
#@http
  upstream u {
    server 127.0.0.1:1;
#@upstream
  }
  server {
    listen 127.0.0.1:8080;
#@server
    location / {
#@location
      if ($uri) {
#@if_in_location
      }
      limit_except GET {
#@limit_except
      }
    }
    if ($uri) {
#@if_in_server
    }
  }
}
stream {
#@stream
  upstream su {
    server 127.0.0.1:1;
#@stream_upstream
  }
  server {
    listen 127.0.0.1:9090;
    proxy_pass su;
#@stream_server
  }
}
mail {
  server_name x;
  auth_http 127.0.0.1:1;
#@mail
  server {
    listen 127.0.0.1:2525;
    protocol smtp;
#@mail_server
  }
}
";

struct Case {
    id: String,
    context: Context,
    line: String,
}

/// The config text and the 1-based line of the inserted directive.
fn render(case: &Case) -> (String, usize) {
    let marker = format!("#@{}", case.context.as_str());
    let mut out = String::new();
    let mut at = 0;
    for (i, l) in SKELETON.lines().enumerate() {
        if l == marker {
            at = i + 1;
            out.push_str(&case.line);
        } else if !l.starts_with("#@") {
            out.push_str(l);
        }
        out.push('\n');
    }
    (out, at)
}

/// nginx's verdict: None = accepted, Some((message, line)).
fn nginx_t(nginx: &Path, dir: &Path) -> Option<(String, Option<usize>)> {
    let conf = dir.join("nginx.conf");
    let out = crate::util::nginx_test_config(nginx, dir);
    if out.status.success() {
        return None;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.contains("[emerg]"))
        .unwrap_or_else(|| err.lines().next().unwrap_or(""))
        .to_string();
    let msg = line
        .split_once("[emerg] ")
        .map(|(_, m)| m.split_once(": ").map(|(_, m)| m).unwrap_or(m))
        .unwrap_or(&line)
        .to_string();
    let conf_s = conf.display().to_string();
    let at = msg
        .rsplit_once(&format!(" in {conf_s}:"))
        .and_then(|(_, n)| n.trim().parse().ok());
    let msg = msg
        .split(&format!(" in {conf_s}:"))
        .next()
        .unwrap_or(&msg)
        .to_string();
    Some((msg, at))
}

/// ngxray's verdict: the nginx-style lines of its load errors.
fn ngxray_t(dir: &Path) -> Vec<(usize, String)> {
    let opts = LintOptions {
        nginx_version: TARGET,
        version_known: true,
        flavor_known: true,
        complete: true,
        ..Default::default()
    };
    let o = lint_paths(&[dir.join("nginx.conf")], &opts).expect("lint");
    let mut v = Vec::new();
    for d in &o.diagnostics {
        if d.severity != Severity::Error || !matches!(d.category(), "syntax" | "grammar") {
            continue;
        }
        let Some(span) = d.span else { continue };
        let file = o.loaded.sources.get(span.file);
        // nginx reports at the statement's terminator line.
        let mut line = file.position(span.start()).line;
        for (_, dir) in o.loaded.file(span.file).root.walk() {
            if dir.name.span.start() <= span.start() && span.start() <= dir.end().start() {
                line = file.position(dir.end().start()).line;
            }
        }
        v.push((line, d.message.to_string()));
    }
    v
}

/// Cases from the table: for each directive of nginx 1.22.1 (rotating), a
/// wrong context, a wrong argument count, or a misspelt name.
fn grammar_cases() -> Vec<Case> {
    let mut rows: Vec<_> = table()
        .entries()
        .filter(|e| matches!(e.kind, ModuleKind::Oss | ModuleKind::Removed) && e.exists_in(TARGET))
        .collect();
    rows.sort_by_key(|e| (e.name, e.module));
    rows.dedup_by_key(|e| e.name);
    let mut cases = Vec::new();
    for (i, e) in rows.iter().enumerate() {
        let all: u32 = table()
            .get(e.name)
            .iter()
            .filter(|r| {
                matches!(r.kind, ModuleKind::Oss | ModuleKind::Removed) && r.exists_in(TARGET)
            })
            .fold(0, |m, r| m | r.at(TARGET).0);
        let (mask, args) = e.at(TARGET);
        let bit = |c: Context| ngxray::lint::grammar::table::context_bit(c);
        let allowed = Context::NAMED.iter().copied().find(|&c| mask & bit(c) != 0);
        let forbidden = Context::NAMED.iter().copied().find(|&c| all & bit(c) == 0);
        let valid_n = (0..8).find(|&n| args.accepts(n)).unwrap_or(1);
        let words = |n: usize| {
            let w = if args.flag { "on" } else { "x" };
            vec![w; n].join(" ")
        };
        let stmt = |name: &str, n: usize| {
            let a = words(n);
            let sep = if a.is_empty() { "" } else { " " };
            if e.is_block {
                format!("{name}{sep}{a} {{ }}")
            } else {
                format!("{name}{sep}{a};")
            }
        };
        let kind = i % 3;
        if kind == 0 {
            if let Some(c) = forbidden {
                cases.push(Case {
                    id: format!("{} context {}", e.name, c),
                    context: c,
                    line: stmt(e.name, valid_n),
                });
                continue;
            }
        }
        if kind <= 1 && !args.any {
            let bad_n = if args.flag {
                2
            } else if args.more1 {
                0
            } else if args.more2 {
                1
            } else {
                (0..9).find(|&n| !args.accepts(n)).unwrap_or(8)
            };
            if let Some(c) = allowed {
                cases.push(Case {
                    id: format!("{} args {bad_n}", e.name),
                    context: c,
                    line: stmt(e.name, bad_n),
                });
                continue;
            }
        }
        let typo = format!("{}{}", e.name, &e.name[e.name.len() - 1..]);
        if let (Some(c), true) = (allowed, table().get(&typo).is_empty()) {
            cases.push(Case {
                id: format!("{typo} typo"),
                context: c,
                line: stmt(&typo, valid_n),
            });
        }
    }
    cases
}

/// Hand-written value and semantic cases, valid and invalid.
fn value_cases() -> Vec<Case> {
    use Context::*;
    let raw: &[(Context, &str)] = &[
        (Http, "client_max_body_size 10m;"),
        (Http, "client_max_body_size 10mb;"),
        (Http, "client_max_body_size 1g;"),
        (Http, "client_max_body_size 1.5m;"),
        (Http, "client_body_buffer_size 16k;"),
        (Http, "client_body_buffer_size 1g;"),
        (Location, "proxy_read_timeout 1h30m;"),
        (Location, "proxy_read_timeout 500ms;"),
        (Location, "proxy_read_timeout 1.5s;"),
        (Location, "proxy_read_timeout 30m1h;"),
        (Location, "proxy_read_timeout 60;"),
        (Location, "proxy_connect_timeout 5x;"),
        (Http, "keepalive_timeout 65;"),
        (Http, "keepalive_timeout 65 60;"),
        (Http, "keepalive_timeout 65s 500ms;"),
        (Http, "send_timeout abc;"),
        (Http, "gzip on;"),
        (Http, "gzip ON;"),
        (Http, "gzip yes;"),
        (Http, "sendfile 1;"),
        (Location, "proxy_buffering off;"),
        (Location, "proxy_buffers 8 16k;"),
        (Location, "proxy_buffers 8 16kb;"),
        (Location, "proxy_next_upstream error timeout http_502;"),
        (Location, "proxy_next_upstream error http_999;"),
        (Location, "proxy_next_upstream error updating;"),
        (Location, "fastcgi_next_upstream error http_502;"),
        (Location, "fastcgi_next_upstream error http_503;"),
        (Location, "lingering_close sometimes;"),
        (Location, "lingering_close ALWAYS;"),
        (Server, "server_tokens maybe;"),
        (Location, "satisfy any;"),
        (Location, "keepalive_disable firefox;"),
        (Location, "gzip_min_length 1.5k;"),
        (Location, "gzip_comp_level high;"),
        (Location, "open_file_cache_valid 1ms;"),
        (Location, "proxy_cache nosuchzone;"),
        (Location, "proxy_cache off;"),
        (Location, "alias /srv/a/; root /srv;"),
        (Location, "root /srv; alias /srv/a/;"),
        (Server, "ssl_ecdh_curve auto; ssl_ecdh_curve auto;"),
        (Server, "location /dup {} location /dup {}"),
        (Server, "location ^~ /dup {} location /dup {}"),
        (Server, "location = /dup {} location /dup {}"),
        (Server, "location ~ ^/dup {} location ~ ^/dup {}"),
        (Location, "location /x/dup {} location /x/dup {}"),
        (Server, "location ~ \\.php$ { proxy_pass http://127.0.0.1:9/x; }"),
        (Server, "location ~ \\.php$ { proxy_pass http://127.0.0.1:9; }"),
        (Server, "location @up { proxy_pass http://127.0.0.1:9/; }"),
        (Location, "if ($arg_a) { proxy_pass http://127.0.0.1:9/x; }"),
        (Location, "limit_except GET { proxy_pass http://127.0.0.1:9/x; }"),
        (Server, "location ~ /v { proxy_pass http://127.0.0.1:9/$uri; }"),
        (Location, "proxy_cache_valid 200 302 10m;"),
        (Location, "access_log tmp/a.log combined buffer=32k gzip flush=5m;"),
        (Location, "access_log tmp/a.log combined gzip=0;"),
        (Location, "access_log tmp/a.log combined buffer=1.5k;"),
        (Location, "access_log tmp/a.log combined flush=5m;"),
        (Location, "access_log tmp/a.log combined bogus;"),
        (Location, "fastcgi_split_path_info ^(.+\\.php)(/.+)$;"),
        (Location, "fastcgi_split_path_info ^(.+)$;"),
        (Location, "proxy_cache_valid 404 1mins;"),
        (Location, "proxy_cache_valid 600 1m;"),
        (Location, "proxy_cache_valid any 500ms;"),
        (
            Http,
            "upstream hb { hash $uri; server 127.0.0.1:9 backup; server 127.0.0.1:8; }",
        ),
        (
            Http,
            "upstream lb { least_conn; server 127.0.0.1:9 backup; server 127.0.0.1:8; }",
        ),
        (
            Http,
            "server { listen 127.0.0.1:7 default_server; } server { listen 127.0.0.1:7 default_server; }",
        ),
        (
            Http,
            "server { listen 127.0.0.1:7 default_server; } server { listen 127.0.0.1:8 default_server; }",
        ),
        (Location, "proxy_cache_use_stale error updating;"),
        (Location, "proxy_pass http://127.0.0.1:8080;"),
        (Location, "proxy_pass http://127.0.0.1:99999;"),
        (Location, "proxy_pass http://127.0.0.1:abc;"),
        (Location, "proxy_pass 127.0.0.1:8080;"),
        (Location, "proxy_pass http://u;"),
        (Location, "fastcgi_pass 127.0.0.1:9000;"),
        (Location, "fastcgi_pass 127.0.0.1:PORT;"),
        (Location, "fastcgi_pass unix:/run/php.sock;"),
        (Location, "error_page 502 504 /50x.html;"),
        (Location, "error_page 502 =200 /50x.html;"),
        (Location, "error_page 200 /x.html;"),
        (Location, "error_page 70x /x.html;"),
        (Server, "listen 127.0.0.1:8081 default_server;"),
        (Server, "listen 127.0.0.1:8082 bogus;"),
        (Server, "listen 127.0.0.1:8083 backlog=511 rcvbuf=64k;"),
        (Server, "listen 127.0.0.1:8084 backlog=abc;"),
        (Server, "listen 127.0.0.1:99999;"),
        (Server, "listen 127.0.0.1:8085 http2 reuseport;"),
        (Server, "listen 127.0.0.1:8086 quic;"),
        (Server, "listen 127.0.0.1:8087 ssl;"),
        (Server, "root /a; root /b;"),
        (Location, "alias /a;"),
        (Location, "try_files $uri /x; try_files $uri /y;"),
        (Server, "server_name a; server_name b;"),
        (Server, "add_header X 1; add_header Y 2;"),
        (
            Upstream,
            "server 127.0.0.1:2 weight=5 max_fails=3 fail_timeout=30s;",
        ),
        (Upstream, "server 127.0.0.1:2 weight=0;"),
        (Upstream, "server 127.0.0.1:2 max_fails=three;"),
        (Upstream, "server 127.0.0.1:2 fail_timeout=10ms;"),
        (Upstream, "server 127.0.0.1:2 backup;"),
        (Upstream, "server 127.0.0.1:2 down;"),
        (Upstream, "server 127.0.0.1:2 bogus;"),
        (Upstream, "server 127.0.0.1:2 slow_start=30s;"),
        (Upstream, "server 127.0.0.1:2 resolve;"),
        (Upstream, "server 127.0.0.1:2 max_conns=10;"),
        (Upstream, "server 127.0.0.1:99999;"),
        (Upstream, "keepalive 16;"),
        (Upstream, "keepalive 16 32;"),
        (StreamUpstream, "server 127.0.0.1:2 weight=2;"),
        (StreamUpstream, "server 127.0.0.1;"),
        (StreamServer, "proxy_timeout 10m;"),
        (StreamServer, "proxy_timeout 10q;"),
        (Http, "log_format main '$remote_addr';"),
        (Http, "access_log /dev/null nosuchformat;"),
        (Http, "access_log /dev/null combined;"),
        (Http, "upstream empty { }"),
        (Http, "upstream z { zone z 64k; }"),
        (Server, "limit_req zone=nosuch;"),
        (
            Http,
            "limit_req_zone $binary_remote_addr zone=one:10m rate=1r/s;",
        ),
        (Server, "set $host x;"),
        (Server, "set $args x;"),
        (Server, "set $myvar x;"),
        (Http, "map $scheme $https { default 1; }"),
        (Http, "map $scheme $is_https { default 1; }"),
        (Http, "ssl_protocols TLSv1.2 TLSv1.3;"),
        (Http, "ssl_protocols TLSv1.4;"),
        (Http, "worker_processes 2;"),
        (Main, "worker_processes auto;"),
        (Main, "worker_processes lots;"),
        (Events, "worker_connections 1024;"),
        (Events, "worker_connections many;"),
        (Main, "ssl on;"),
        (Http, "ssl on;"),
        (Location, "proxy_pas http://u;"),
        (Location, "Proxy_pass http://u;"),
        (Http, "server_tokens off;"),
        (Location, "if ($uri) { if ($uri) { } }"),
        (Server, "location /a { location /b { } }"),
        (Server, "location /a { location /a/b { } }"),
        (Server, "location /a { location ~ \\.php$ { } }"),
        (Server, "location = /a { location /a { } }"),
        (Server, "location @n { location /a { } }"),
        (Server, "location /a { location @m { } }"),
        (Server, "location @n { return 502; }"),
        (Server, "ssl on;"),
        (Server, "ssl off;"),
        (LimitExcept, "deny all;"),
        (LimitExcept, "proxy_pass http://u;"),
        (IfInServer, "return 403;"),
        (IfInServer, "proxy_pass http://u;"),
        (Mail, "proxy_pass_error_message on;"),
        (MailServer, "listen 127.0.0.1:2526 bogus;"),
        (Stream, "map $remote_addr $x { default 1; }"),
        (Stream, "proxy_pass su;"),
        (Location, "proxy_http_version 1.1;"),
        (Location, "content_by_lua_block { ngx.say(1) }"),
        (Server, "status_zone z;"),
        (Upstream, "sticky cookie srv;"),
        (Location, "more_set_headers 'X: y';"),
    ];
    raw.iter()
        .map(|(c, l)| Case {
            id: format!("{c}: {l}"),
            context: *c,
            line: l.to_string(),
        })
        .collect()
}

#[test]
fn nginx_t_differential() {
    let Some(nginx) = nginx("nginx_t_differential") else {
        return;
    };
    for m in ["ngx_stream_module.so", "ngx_mail_module.so"] {
        if !Path::new("/usr/lib/nginx/modules").join(m).exists() {
            crate::util::skip(
                "nginx_t_differential",
                &format!("Debian's {m} not installed"),
            );
            return;
        }
    }
    let mut cases = grammar_cases();
    let n_grammar = cases.len();
    cases.extend(value_cases());
    let base = tempfile::tempdir().expect("tempdir");
    // Sanity: the skeleton itself passes both.
    let mut disagreements = Vec::new();
    let mut agree = 0;
    let mut same_message = 0;
    let mut excepted = 0;
    let mut rejected = 0;
    let skeleton = Case {
        id: "skeleton".into(),
        context: Context::Main,
        line: String::new(),
    };
    for (k, case) in std::iter::once(&skeleton).chain(cases.iter()).enumerate() {
        let dir = base.path().join(k.to_string());
        std::fs::create_dir_all(dir.join("tmp")).expect("mkdir");
        let (text, at) = render(case);
        std::fs::write(dir.join("nginx.conf"), &text).expect("write");
        let theirs = nginx_t(&nginx, &dir);
        let ours = ngxray_t(&dir);
        let ok = match &theirs {
            None => ours.is_empty(),
            Some((msg, Some(line))) => {
                rejected += 1;
                if ours.iter().any(|(_, m)| m == msg) {
                    same_message += 1;
                }
                ours.iter().any(|(l, _)| l == line)
            }
            Some((_, None)) => {
                rejected += 1;
                !ours.is_empty()
            }
        };
        if ok {
            agree += 1;
        } else if let Some((_, why)) = EXCEPTIONS.iter().find(|(p, _)| case.id.starts_with(p)) {
            excepted += 1;
            eprintln!("exception {}: {why}", case.id);
        } else {
            disagreements.push(format!(
                "{} (line {at}): nginx {:?}, ngxray {:?}",
                case.id, theirs, ours
            ));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    eprintln!(
        "nginx -t differential: {} configs ({} generated from the table, {} hand-written value cases), {} agree, {} documented exceptions, {} disagree; nginx rejected {}, same message {}",
        cases.len() + 1,
        n_grammar,
        cases.len() - n_grammar,
        agree,
        excepted,
        disagreements.len(),
        rejected,
        same_message
    );
    assert!(n_grammar > 300, "too few generated cases: {n_grammar}");
    assert!(
        disagreements.is_empty(),
        "{} disagreements with nginx -t:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
