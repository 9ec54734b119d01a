//! The non-HTTP protocols (FastCGI, uwsgi, SCGI, gRPC, memcached) and the
//! connect timeout (a listener with a full backlog).

use super::*;

#[test]
fn probe_protocols_and_connect_timeout() {
    let b = Backends::new();
    let http400 = eager_backend(
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        &b,
    );
    // FCGI_GET_VALUES_RESULT with FCGI_MAX_CONNS=10
    let fcgi = eager_backend(
        b"\x01\x0a\x00\x00\x00\x12\x00\x00\x0e\x02FCGI_MAX_CONNS10",
        &b,
    );
    // an HTTP/2 server's first frame: empty SETTINGS
    let h2 = eager_backend(b"\x00\x00\x00\x04\x00\x00\x00\x00\x00", &b);
    let memcached = eager_backend(b"VERSION 1.6.21\r\n", &b);
    let mut held = Vec::new();
    let full = full_backlog(&mut held);
    let tmp = tempfile::tempdir().expect("tempdir");
    // a unix socket whose listen queue is full: backlog 0 and one
    // connection nobody accepts
    let busy = tmp.path().join("busy.sock");
    let busy_listener = UnixListener::bind(&busy).expect("bind busy");
    {
        use std::os::fd::AsRawFd;
        // SAFETY: listen() on a socket the listener owns.
        assert_eq!(unsafe { libc::listen(busy_listener.as_raw_fd(), 0) }, 0);
    }
    let _queued = std::os::unix::net::UnixStream::connect(&busy).expect("fill the queue");
    let timeout_loc = match &full {
        Some((_, p)) => format!(
            "location /full {{ proxy_connect_timeout 1s; proxy_pass http://127.0.0.1:{p}; }}"
        ),
        None => String::new(),
    };
    let conf = format!(
        r#"http {{
    fastcgi_read_timeout 2s;
    grpc_read_timeout 2s;
    server {{
        location /php {{ fastcgi_pass 127.0.0.1:{fcgi}; }}
        location /php-on-http {{ fastcgi_pass 127.0.0.1:{http400}; }}
        location /grpc {{ grpc_pass grpc://127.0.0.1:{h2}; }}
        location /grpc-on-http {{ grpc_pass 127.0.0.1:{http400}; }}
        location /mc {{ set $memcached_key $uri; memcached_pass 127.0.0.1:{memcached}; }}
        {timeout_loc}
        location /busy {{ proxy_pass http://unix:{busy}:/; }}
    }}
}}
"#,
        busy = busy.display()
    );
    std::fs::write(tmp.path().join("nginx.conf"), conf).expect("write");
    let (o, _) = run_probe(tmp.path(), &["--timeout", "8s"], false);
    let rs = results(&o);
    let by_line = |line: u64| -> &Value {
        rs.iter()
            .find(|r| r["line"] == line)
            .unwrap_or_else(|| panic!("no row at line {line}: {rs:#?}"))
    };
    let r = by_line(5);
    assert_outcome(r, "ok", None);
    assert_eq!(r["protocol"], "fastcgi");
    assert_eq!(r["response"], "FCGI_GET_VALUES_RESULT FCGI_MAX_CONNS=10");
    let r = by_line(6);
    assert_outcome(r, "failed", Some("protocol-mismatch"));
    assert!(r["detail"]
        .as_str()
        .expect("detail")
        .contains("version: 72"));
    let r = by_line(7);
    assert_outcome(r, "ok", None);
    assert_eq!(r["response"], "HTTP/2 SETTINGS");
    let r = by_line(8);
    assert_outcome(r, "failed", Some("protocol-mismatch"));
    let r = by_line(9);
    assert_outcome(r, "ok", None);
    assert_eq!(r["response"], "VERSION 1.6.21");
    // nginx connects without blocking: (11: Resource temporarily unavailable)
    let r = by_line(11);
    assert_outcome(r, "failed", Some("backend-busy"));
    assert!(r["elapsed_ms"].as_u64().expect("elapsed") < 1000, "{r:#}");
    drop(busy_listener);
    match &full {
        Some(_) => {
            let r = by_line(10);
            assert_outcome(r, "failed", Some("connect-timeout"));
            let ms = r["elapsed_ms"].as_u64().expect("elapsed");
            assert!((1000..3000).contains(&ms), "connect timeout took {ms} ms");
        }
        None => {
            eprintln!("SKIP connect-timeout case: this kernel accepts past a full listen queue")
        }
    }
}
