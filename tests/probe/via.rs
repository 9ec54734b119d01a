//! `probe --via`: a gateway in front tells which side fails.

use super::*;

/// A stand-in for nginx in front: 200 for paths under /good, 502 else;
/// records the `Host` it was asked for.
fn fake_gateway(b: &Backends) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind gateway");
    l.set_nonblocking(true).expect("nonblocking");
    let port = l.local_addr().expect("addr").port();
    let stop = b.stop.clone();
    let hosts = b.hosts.clone();
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            let Ok((mut s, _)) = l.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let _ = s.set_nonblocking(false);
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let head = read_head(&mut s);
            hosts
                .lock()
                .expect("lock")
                .push(format!("gateway:{}", host_of(&head)));
            let reply: &[u8] = if head.starts_with("GET /good") {
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            } else {
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
            };
            let _ = s.write_all(reply);
        }
    });
    port
}

#[test]
fn probe_via_tells_which_side_fails() {
    let b = Backends::new();
    let ok = http_backend("127.0.0.1:0", &b);
    let closed = closed_port();
    let gw = fake_gateway(&b);
    let tmp = tempfile::tempdir().expect("tempdir");
    let conf = format!(
        r#"http {{
    server {{
        server_name gw.test;
        location /good/ {{ proxy_pass http://127.0.0.1:{ok}; }}
        location /bad/ {{ proxy_pass http://127.0.0.1:{ok}/v1/; }}
        location = /dead {{ proxy_pass http://127.0.0.1:{closed}; }}
        location /good-but-dead {{ proxy_pass http://127.0.0.1:{closed}; }}
        location ~ \.php$ {{ proxy_pass http://127.0.0.1:{ok}; }}
    }}
}}
"#
    );
    std::fs::write(tmp.path().join("nginx.conf"), conf).expect("write");
    let url = format!("http://127.0.0.1:{gw}");
    let (o, _) = run_probe(tmp.path(), &["--via", &url, "--timeout", "5s"], false);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).expect("json");
    let via = doc["via"].as_array().expect("via");
    let verdict = |loc: &str| -> &Value {
        via.iter()
            .find(|v| v["location"] == loc)
            .unwrap_or_else(|| panic!("no {loc}: {via:#?}"))
    };
    assert_eq!(verdict("/good/")["verdict"], "ok");
    let v = verdict("/bad/");
    assert_eq!(v["verdict"], "gateway", "{v:#}");
    assert_eq!(v["gateway"]["status"], 502);
    assert_eq!(v["direct"][0]["status"], 200);
    assert_eq!(verdict("= /dead")["verdict"], "backend");
    assert_eq!(verdict("/good-but-dead")["verdict"], "gateway-recovers");
    assert_eq!(verdict("~ \\.php$")["verdict"], "skipped");
    // nginx is asked with the server's name; the backend with the mapped path
    let hosts = b.hosts.lock().expect("lock").clone();
    assert!(hosts.iter().any(|h| h == "gateway:gw.test"), "{hosts:?}");
    let paths = b.paths.lock().expect("lock").clone();
    assert!(paths.iter().any(|p| p == "/v1/"), "{paths:?}");
    assert!(paths.iter().any(|p| p == "/good/"), "{paths:?}");
    // the document still matches the schema
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::util::repo().join("docs/schema/probe.schema.json"))
            .expect("schema file"),
    )
    .expect("schema JSON");
    let v = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // text: one line per location
    let o = Command::new(bin())
        .arg("probe")
        .arg(tmp.path().join("nginx.conf"))
        .args(["--via", &url])
        .output()
        .expect("run");
    let text = stdout(&o);
    assert!(
        text.starts_with("through the gateway vs directly\n"),
        "{text}"
    );
    assert!(text.contains("location /bad/"), "{text}");
}
