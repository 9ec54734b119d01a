//! Every fault gets its cause; the global deadline; exit codes; the JSON
//! output against its published schema.

use super::*;

#[test]
fn probe_every_fault_gets_its_cause() {
    let b = Backends::new();
    let ok = http_backend("127.0.0.1:0", &b);
    let closed = closed_port();
    let silent = silent_backend(&b);
    let pki = pki();
    let tls = tls_backend(&pki, &b);
    let dns = dns_server(&b);
    // what the test's DNS says `localhost` is; the system says 127.0.0.1
    let dyn_port = http_backend("127.0.0.2:0", &b);
    // a DNS server that never answers
    let mute_dns = UdpSocket::bind("127.0.0.1:0").expect("bind mute dns");
    let mute = mute_dns.local_addr().expect("addr").port();

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("ca.pem"), &pki.ca_pem).expect("write ca");
    let perm_sock = dir.join("perm.sock");
    let _perm_listener = UnixListener::bind(&perm_sock).expect("bind unix");
    std::fs::set_permissions(&perm_sock, std::fs::Permissions::from_mode(0o000))
        .expect("chmod socket");
    let conf = format!(
        r#"events {{}}
http {{
    resolver 127.0.0.1:{dns} valid=1s;
    resolver_timeout 2s;
    proxy_connect_timeout 2s;
    proxy_read_timeout 1s;

    upstream app_ok {{ server 127.0.0.1:{ok} weight=3; }}
    upstream closed_pool {{ server 127.0.0.1:{closed}; }}
    upstream silent_pool {{ server 127.0.0.1:{silent} max_fails=2; }}
    upstream nores_pool {{ server nothing-here.invalid:80; }}
    upstream twoview_pool {{ server localhost:{dyn_port}; }}

    server {{
        listen 8080;
        server_name probe.test;
        location /ok {{ proxy_http_version 1.0; proxy_pass http://app_ok; }}
        location /closed {{ proxy_pass http://closed_pool; }}
        location /silent {{ proxy_pass http://silent_pool; }}
        location /nores {{ proxy_pass http://nores_pool; }}
        location /twoview {{ proxy_pass http://twoview_pool; }}
        location /tls-untrusted {{
            proxy_pass https://127.0.0.1:{tls};
            proxy_ssl_verify on;
            proxy_ssl_name localhost;
        }}
        location /tls-trusted {{
            proxy_pass https://127.0.0.1:{tls};
            proxy_ssl_verify on;
            proxy_ssl_name localhost;
            proxy_ssl_server_name on;
            proxy_ssl_trusted_certificate ca.pem;
        }}
        location /missing {{ proxy_pass http://unix:{dir}/missing.sock:/; }}
        location /perm {{ proxy_pass http://unix:{dir}/perm.sock:/; }}
        location /dyn {{ proxy_pass http://localhost:{dyn_port}$request_uri; }}
        location /dyn-nx {{ proxy_pass http://nothing-here.invalid:81$request_uri; }}
        location /dyn-mute {{
            resolver 127.0.0.1:{mute};
            resolver_timeout 1s;
            proxy_pass http://servfail.test:82$request_uri;
        }}
        location /dyn-servfail {{ proxy_pass http://servfail.test:83$request_uri; }}
        location /var {{ proxy_pass http://$arg_backend; }}
    }}
}}
"#,
        dir = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).expect("write conf");

    let (o, took) = run_probe(dir, &["--timeout", "10s"], false);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(took < Duration::from_secs(12), "run took {took:?}");
    let rs = results(&o);

    // a real backend answering 200, with the Host nginx sends ($proxy_host)
    let r = row(&rs, "app_ok");
    assert_outcome(r, "ok", None);
    assert_eq!(r["status"], 200);
    assert_eq!(r["address"], format!("127.0.0.1:{ok}"));
    assert_eq!(r["weight"], 3);
    assert_eq!(r["request"], "HEAD / HTTP/1.0, Host: app_ok");
    assert!(b
        .hosts
        .lock()
        .expect("lock")
        .contains(&"app_ok".to_string()));
    assert_eq!(r["line"], 8);

    // a closed port
    let r = row(&rs, "closed_pool");
    assert_outcome(r, "failed", Some("connect-refused"));
    assert_eq!(r["failed_step"], "connect");

    // accepts and never answers: read-timeout within proxy_read_timeout 1s
    let r = row(&rs, "silent_pool");
    assert_outcome(r, "failed", Some("read-timeout"));
    assert_eq!(r["timeouts"]["read_ms"], 1000);
    let ms = r["elapsed_ms"].as_u64().expect("elapsed");
    assert!((1000..3000).contains(&ms), "read timeout took {ms} ms");

    // TLS: verify on without the CA fails, with it passes
    let tls_rows: Vec<&Value> = rs
        .iter()
        .filter(|r| r["upstream"] == format!("127.0.0.1:{tls}"))
        .collect();
    assert_eq!(tls_rows.len(), 2, "{tls_rows:#?}");
    let untrusted = tls_rows
        .iter()
        .find(|r| r["tls"]["trusted_certificate"].is_null())
        .expect("untrusted row");
    assert_outcome(untrusted, "failed", Some("tls-handshake"));
    assert_eq!(untrusted["failed_step"], "tls");
    assert!(untrusted["tls"]["sni"].is_null(), "SNI off by default");
    assert_eq!(
        untrusted["tls"]["certificate"]["names"],
        serde_json::json!(["localhost"])
    );
    let trusted = tls_rows
        .iter()
        .find(|r| !r["tls"]["trusted_certificate"].is_null())
        .expect("trusted row");
    assert_outcome(trusted, "ok", None);
    assert_eq!(trusted["status"], 200);
    assert_eq!(trusted["tls"]["sni"], "localhost");
    assert!(
        trusted["tls"]["certificate"]["days_left"]
            .as_i64()
            .expect("days")
            > 0
    );

    // unix sockets
    let missing = format!("unix:{}/missing.sock", dir.display());
    assert_outcome(row(&rs, &missing), "failed", Some("unix-socket-missing"));
    let perm = format!("unix:{}/perm.sock", dir.display());
    if is_root() {
        // root ignores the socket's mode: connecting succeeds (nothing
        // answers on it), and a note says nginx's worker user could not;
        // the kernel's verdict is checked as nobody below
        let r = row(&rs, &perm);
        assert!(!r["connect_ms"].is_null());
        let notes = r["notes"][0].as_str().unwrap_or_default();
        assert!(
            notes.contains("worker user \"nobody\" may not write the socket (mode 0000"),
            "{r:#}"
        );
    } else {
        assert_outcome(row(&rs, &perm), "failed", Some("permission-denied"));
    }

    // a static name the system resolver does not know
    let r = row(&rs, "nores_pool");
    assert_outcome(r, "failed", Some("dns-failure"));
    assert_eq!(r["dns"]["used"], "system");
    assert!(r["detail"]
        .as_str()
        .expect("detail")
        .contains("could not be resolved"));

    // two views of `localhost`: nginx resolved it at load (system,
    // 127.0.0.1, where nothing listens on that port); the resolver says 127.0.0.2
    let tv: Vec<&Value> = rs
        .iter()
        .filter(|r| r["upstream"] == "twoview_pool")
        .collect();
    assert!(!tv.is_empty());
    for r in &tv {
        assert_eq!(r["dns"]["differ"], true, "{r:#}");
        assert_eq!(r["dns"]["used"], "system");
        assert_eq!(
            r["dns"]["resolver"]["addresses"],
            serde_json::json!(["127.0.0.2"])
        );
    }
    let v4 = tv
        .iter()
        .find(|r| r["address"] == format!("127.0.0.1:{dyn_port}"))
        .expect("127.0.0.1 row");
    assert_outcome(v4, "failed", Some("connect-refused"));

    // per request through the resolver: 127.0.0.2, where the backend is
    let r = row(&rs, &format!("localhost:{dyn_port}"));
    assert_outcome(r, "ok", None);
    assert_eq!(r["dns"]["used"], "resolver");
    assert_eq!(r["address"], format!("127.0.0.2:{dyn_port}"));
    assert!(r["dns"]["system"].is_null());

    let r = row(&rs, "nothing-here.invalid:81");
    assert_outcome(r, "failed", Some("dns-failure"));
    assert!(
        r["detail"].as_str().expect("detail").contains("NXDOMAIN"),
        "{r:#}"
    );

    let r = row(&rs, "servfail.test:83");
    assert_outcome(r, "failed", Some("dns-failure"));
    assert!(
        r["detail"].as_str().expect("detail").contains("SERVFAIL"),
        "{r:#}"
    );

    // a resolver that never answers: within resolver_timeout 1s
    let r = row(&rs, "servfail.test:82");
    assert_outcome(r, "failed", Some("dns-failure"));
    assert!(
        r["detail"].as_str().expect("detail").contains("timed out"),
        "{r:#}"
    );
    let ms = r["dns"]["resolver"]["elapsed_ms"]
        .as_u64()
        .expect("elapsed");
    assert!((1000..3000).contains(&ms), "resolver timeout took {ms} ms");

    // variables: listed, not probed
    let r = row(&rs, "http://$arg_backend");
    assert_outcome(r, "not-probed", None);
    assert!(r["detail"]
        .as_str()
        .expect("detail")
        .contains("$arg_backend"));

    // the permission case as an unprivileged user, when we are root
    if is_root() {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
        std::fs::set_permissions(
            dir.join("nginx.conf"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod conf");
        let (o, _) = run_probe(dir, &["--upstream", &perm], true);
        let rs = results(&o);
        assert_outcome(row(&rs, &perm), "failed", Some("permission-denied"));
        assert_eq!(o.status.code(), Some(1));
    }
    drop(mute_dns);
}

#[test]
fn probe_global_deadline_bounds_the_run() {
    let b = Backends::new();
    let silent = silent_backend(&b);
    let tmp = tempfile::tempdir().expect("tempdir");
    let conf = format!(
        "http {{ server {{ location / {{ proxy_pass http://127.0.0.1:{silent}; }} location /b {{ proxy_read_timeout 30s; proxy_pass http://127.0.0.1:{silent}/b; }} }} }}\n"
    );
    std::fs::write(tmp.path().join("nginx.conf"), conf).expect("write");
    let (o, took) = run_probe(tmp.path(), &["--timeout", "1500ms"], false);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(took < Duration::from_millis(3000), "took {took:?}");
    let rs = results(&o);
    assert!(!rs.is_empty());
    for r in &rs {
        assert_eq!(r["outcome"], "failed", "{r:#}");
        // cut by --timeout, not by nginx's 60s/30s read timeout: no cause
        assert!(r["cause"].is_null(), "{r:#}");
        assert!(r["detail"].as_str().expect("detail").contains("--timeout"));
    }
}

#[test]
fn probe_all_ok_exits_zero_and_text_groups_by_upstream() {
    let b = Backends::new();
    let ok = http_backend("127.0.0.1:0", &b);
    let tmp = tempfile::tempdir().expect("tempdir");
    let conf = format!(
        "http {{\n upstream pool {{ server 127.0.0.1:{ok}; server 127.0.0.1:{ok} backup; server 127.0.0.1:1 down; }}\n server {{ server_name site.test; location / {{ proxy_set_header Host $host; proxy_pass http://pool; }} }}\n}}\n"
    );
    std::fs::write(tmp.path().join("nginx.conf"), conf).expect("write");
    let o = Command::new(bin())
        .arg("probe")
        .arg(tmp.path().join("nginx.conf"))
        .args(["--path", "/health"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("upstream pool\n"), "{text}");
    assert!(text.contains("PEER"), "{text}");
    assert!(text.contains("backup"), "{text}");
    assert!(text.contains("not probed"), "{text}");
    assert!(text.contains("200 OK"), "{text}");
    assert!(text.contains("2 ok, 0 failed, 1 not probed"), "{text}");
    // $host stands for the client's name: the server_name
    assert!(b
        .hosts
        .lock()
        .expect("lock")
        .iter()
        .all(|h| h == "site.test"));
}

#[test]
fn probe_bad_input_exits_two() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("nginx.conf"),
        "http { upstream a { server 127.0.0.1:1; } }\n",
    )
    .expect("write");
    let conf = tmp.path().join("nginx.conf");
    let conf = conf.to_str().expect("utf-8 path");
    let o = Command::new(bin())
        .args(["probe", conf, "--upstream", "nope"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no upstream named \"nope\""),
        "{}",
        stderr(&o)
    );
    let o = Command::new(bin())
        .args(["probe", "/nonexistent/nginx.conf"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(bin())
        .args(["probe", conf, "--timeout", "soon"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    std::fs::write(tmp.path().join("bad.conf"), "http { server { \n").expect("write");
    let o = Command::new(bin())
        .arg("probe")
        .arg(tmp.path().join("bad.conf"))
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.conf:"), "{}", stderr(&o));
}

#[test]
fn probe_json_matches_published_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::util::repo().join("docs/schema/probe.schema.json"))
            .expect("schema file"),
    )
    .expect("schema JSON");
    let b = Backends::new();
    let ok = http_backend("127.0.0.1:0", &b);
    let closed = closed_port();
    let tmp = tempfile::tempdir().expect("tempdir");
    let conf = format!(
        "http {{ upstream p {{ server 127.0.0.1:{ok}; server 127.0.0.1:{closed}; }} server {{ location / {{ proxy_pass http://p; }} location /v {{ proxy_pass http://$x; }} location /u {{ fastcgi_pass unix:/nonexistent/php.sock; }} }} }}\n"
    );
    std::fs::write(tmp.path().join("nginx.conf"), conf).expect("write");
    let (o, _) = run_probe(tmp.path(), &[], false);
    let doc: Value = serde_json::from_slice(&o.stdout).expect("json");
    let v = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(4));
}
