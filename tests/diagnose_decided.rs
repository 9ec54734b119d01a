//! `diagnose` on statuses the config decides, against a real nginx on
//! loopback: `limit_req` with `limit_req_status 429` and with the default
//! (503), `auth_request` whose auth service is down (nginx answers 500;
//! error.log has the subrequest's refused connect and "auth request
//! unexpected status") and auth locations that answer 401 and 403 (no
//! error.log line: only the config explains them). The test asserts each
//! finding names its governing directive with file:line and effective
//! value, and that the status totals equal access.log's and the clients'.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::diagnose_nginx::{closed_ports, directive, get_host, line_of, nginx_dir, Backend};
use crate::diagnose_stream::{start_nginx, wait_pid_file};
use crate::util::*;

fn get(port: u16, path: &str) -> u16 {
    get_host(port, "app.example.test", path)
}

fn at<'a>(j: &'a Value, cause: &str, location: &str) -> &'a Value {
    j["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["cause"] == cause && f["location"] == location)
        .unwrap_or_else(|| panic!("no {cause} finding at {location}: {j:#}"))
}

#[test]
fn diagnose_real_nginx_decided_statuses() {
    let Some(nginx) = nginx("diagnose_real_nginx_decided_statuses") else {
        return;
    };
    let dir = nginx_dir();
    let d = dir.path();
    let ports = closed_ports(2);
    let (auth_down, listen) = (ports[0], ports[1]);
    let app = Backend::start(Duration::ZERO);
    let conf = format!(
        "worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    log_format diag '$remote_addr - [$time_local] \"$request\" $status $body_bytes_sent '
                    'host=$host up=$upstream_addr us=$upstream_status rt=$request_time cn=$connection pid=$pid';
    access_log {d}/logs/access.log diag;
    limit_req_zone $binary_remote_addr zone=login:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=search:1m rate=1r/m;
    upstream app {{
        server 127.0.0.1:{app};
    }}
    server {{
        listen 127.0.0.1:{listen};
        server_name app.example.test;
        location /login/ {{
            limit_req zone=login;
            limit_req_status 429;
            proxy_pass http://app;
        }}
        location /search/ {{
            limit_req zone=search;
            proxy_pass http://app;
        }}
        location /private/ {{
            auth_request /_auth_down;
            proxy_pass http://app;
        }}
        location /members/ {{
            auth_request /_auth_deny;
            proxy_pass http://app;
        }}
        location /staff/ {{
            auth_request /_auth_forbid;
            proxy_pass http://app;
        }}
        location = /_auth_down {{
            internal;
            proxy_pass http://127.0.0.1:{auth_down};
        }}
        location = /_auth_deny {{
            internal;
            return 401;
        }}
        location = /_auth_forbid {{
            internal;
            return 403;
        }}
    }}
}}
",
        d = d.display(),
        app = app.port,
    );
    let conf_path = d.join("nginx.conf");
    std::fs::write(&conf_path, &conf).expect("write conf");
    let guard = start_nginx(&nginx, d, &conf_path);
    wait_pid_file(&d.join("nginx.pid"));

    let mut client: BTreeMap<String, u64> = BTreeMap::new();
    let mut hit = |path: &str| *client.entry(get(listen, path).to_string()).or_default() += 1;
    // one request per minute per zone: the first passes, the rest are limited
    for i in 0..3 {
        hit(&format!("/login/{i}"));
    }
    for i in 0..3 {
        hit(&format!("/search/{i}"));
    }
    for i in 0..2 {
        hit(&format!("/private/{i}"));
    }
    hit("/members/0");
    hit("/staff/0");
    drop(guard);
    let access = std::fs::read_to_string(d.join("logs/access.log")).expect("access.log");
    let error_log = std::fs::read_to_string(d.join("logs/error.log")).expect("error.log");
    let expected: BTreeMap<String, u64> = [
        ("200", 2),
        ("401", 1),
        ("403", 1),
        ("429", 2),
        ("500", 2),
        ("503", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(client, expected, "{access}\n{error_log}");

    let out = ngxray(&[
        "diagnose",
        "--config",
        conf_path.to_str().expect("utf8"),
        "--format",
        "json",
        d.join("logs/access.log").to_str().expect("utf8"),
        d.join("logs/error.log").to_str().expect("utf8"),
    ]);
    assert!(out.status.success(), "diagnose failed: {}", stderr(&out));
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    crate::formats::assert_valid("docs/schema/diagnose.schema.json", &j);

    // Totals: access.log's status column and what the clients got.
    let mut from_log: BTreeMap<String, u64> = BTreeMap::new();
    for l in access.lines() {
        let st = l
            .split("\" ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .expect("status");
        *from_log.entry(st.to_string()).or_default() += 1;
    }
    assert_eq!(from_log, client);
    let status: BTreeMap<String, u64> =
        serde_json::from_value(j["access"]["status"].clone()).expect("status map");
    assert_eq!(status, client);
    // every error.log failure is explained by one of the requests
    assert_eq!(j["errors"]["joined"], j["errors"]["failures"], "{j:#}");

    // limit_req_status 429, set on its own line
    let login = at(&j, "rate-limited", "/login/");
    assert_eq!(login["upstream"], Value::Null, "nginx answered itself");
    assert_eq!(login["final"], serde_json::json!({"429": 2}));
    assert_eq!(login["retried_ok"], 0);
    let ls = directive(login, "limit_req_status", "429");
    assert_eq!(ls["line"], line_of(&conf, "limit_req_status 429;"));
    assert!(ls["file"].as_str().expect("file").ends_with("nginx.conf"));
    let lr = directive(login, "limit_req", "zone=login");
    assert_eq!(lr["line"], line_of(&conf, "limit_req zone=login;"));

    // limit_req with nginx's default status 503
    let search = at(&j, "rate-limited", "/search/");
    assert_eq!(search["final"], serde_json::json!({"503": 2}));
    let ds = directive(search, "limit_req_status", "503");
    assert_eq!(ds["default"], true);
    assert_eq!(ds["line"], Value::Null);

    // auth service down: 500 to the client, governed by auth_request and
    // the auth location's proxy_pass; the refused connect belongs to the
    // auth location
    let auth = at(&j, "auth-request-failed", "/private/");
    assert_eq!(auth["final"], serde_json::json!({"500": 2}));
    let ar = directive(auth, "auth_request", "/_auth_down");
    assert_eq!(ar["line"], line_of(&conf, "auth_request /_auth_down;"));
    let ap = directive(auth, "proxy_pass", &format!("http://127.0.0.1:{auth_down}"));
    assert_eq!(
        ap["line"],
        line_of(&conf, &format!("proxy_pass http://127.0.0.1:{auth_down};"))
    );
    let refused = at(&j, "connect-refused", "= /_auth_down");
    assert_eq!(
        refused["peers"],
        serde_json::json!([format!("127.0.0.1:{auth_down}")])
    );
    assert_eq!(refused["final"], serde_json::json!({"500": 2}));

    // 401 and 403 from the auth subrequest: no error.log line, the config
    // explains them
    for (loc, uri, st) in [
        ("/members/", "/_auth_deny", "401"),
        ("/staff/", "/_auth_forbid", "403"),
    ] {
        let f = at(&j, "auth-denied", loc);
        assert_eq!(f["final"], serde_json::json!({ st: 1 }));
        assert_eq!(f["error_lines"], 0);
        let d = directive(f, "auth_request", uri);
        assert_eq!(d["line"], line_of(&conf, &format!("auth_request {uri};")));
    }
    // a served request is no finding
    assert!(
        j["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["final"].get("200").is_none()),
        "{j:#}"
    );
}
