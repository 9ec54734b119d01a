//! The causes `probe` gives against what real nginx logs for the same
//! backends.

use super::*;

/// A backend that accepts, reads the request and closes without answering.
fn closing_backend(b: &Backends) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind closing");
    l.set_nonblocking(true).expect("nonblocking");
    let port = l.local_addr().expect("addr").port();
    let stop = b.stop.clone();
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match l.accept() {
                Ok((mut s, _)) => {
                    let _ = s.set_nonblocking(false);
                    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                    let _ = read_head(&mut s);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    port
}

/// One GET through nginx; the status line, or "" when nginx closed.
fn get(port: u16, path: &str) -> String {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: probe.test\r\nConnection: close\r\n\r\n"
    );
    read_head(&mut s).lines().next().unwrap_or("").to_string()
}

/// Differential: for each planted fault, the cause `probe` gives equals the
/// cause `ngxray logs` gives the error.log line real nginx writes when it
/// proxies a request to the same backend with the same configuration.
#[test]
fn probe_causes_match_real_nginx_error_log() {
    let Some(nginx) = crate::util::nginx("probe_causes_match_real_nginx_error_log") else {
        return;
    };
    let b = Backends::new();
    let ok = http_backend("127.0.0.1:0", &b);
    let closed = closed_port();
    let silent = silent_backend(&b);
    let closing = closing_backend(&b);
    let garbage = eager_backend(b"\x00\x01garbage that is not HTTP\r\n\r\n", &b);
    let pki = pki();
    let tls = tls_backend(&pki, &b);
    let other = self::pki();
    let dns = dns_server(&b);
    let mut held = Vec::new();
    let full = full_backlog(&mut held);
    let listen = closed_port();

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("logs")).expect("logs dir");
    std::fs::write(dir.join("other-ca.pem"), &other.ca_pem).expect("write ca");
    let busy = dir.join("busy.sock");
    let busy_listener = UnixListener::bind(&busy).expect("bind busy");
    {
        use std::os::fd::AsRawFd;
        // SAFETY: listen() on a socket the listener owns.
        assert_eq!(unsafe { libc::listen(busy_listener.as_raw_fd(), 0) }, 0);
    }
    let _queued = std::os::unix::net::UnixStream::connect(&busy).expect("fill the queue");
    if is_root() {
        // nginx runs as root here (`user root`): the socket is reachable
        std::fs::set_permissions(&busy, std::fs::Permissions::from_mode(0o777))
            .expect("chmod busy");
    }
    let full_loc = match &full {
        Some((_, p)) => format!("location /f/full {{ proxy_pass http://127.0.0.1:{p}; }}"),
        None => String::new(),
    };
    let user = if is_root() { "user root;" } else { "" };
    let conf = format!(
        r#"{user}
error_log {dir}/logs/error.log info;
pid {dir}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    resolver 127.0.0.1:{dns};
    resolver_timeout 2s;
    proxy_connect_timeout 1s;
    proxy_read_timeout 1s;
    proxy_next_upstream off;
    server {{
        listen 127.0.0.1:{listen};
        server_name probe.test;
        location /f/ok {{ proxy_pass http://127.0.0.1:{ok}; }}
        location /f/closed {{ proxy_pass http://127.0.0.1:{closed}; }}
        location /f/silent {{ proxy_pass http://127.0.0.1:{silent}; }}
        location /f/closing {{ proxy_pass http://127.0.0.1:{closing}; }}
        location /f/garbage {{ proxy_pass http://127.0.0.1:{garbage}; }}
        location /f/tls {{
            proxy_pass https://127.0.0.1:{tls};
            proxy_ssl_verify on;
            proxy_ssl_name localhost;
            proxy_ssl_trusted_certificate {dir}/other-ca.pem;
        }}
        location /f/missing {{ proxy_pass http://unix:{dir}/missing.sock:/; }}
        location /f/busy {{ proxy_pass http://unix:{dir}/busy.sock:/; }}
        location /f/nxdomain {{ proxy_pass http://nothing-here.invalid:81$request_uri; }}
        location /f/servfail {{ proxy_pass http://servfail.test:81$request_uri; }}
        {full_loc}
    }}
}}
"#,
        dir = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), &conf).expect("write conf");
    // one process (no master, no orphaned worker when killed), nothing
    // written outside `dir`
    let mut child = Command::new(&nginx)
        .arg("-p")
        .arg(format!("{}/", dir.display()))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(dir.join("logs/error.log"))
        .args(["-g", "daemon off; master_process off;"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start nginx");
    // wait for nginx to listen
    let up = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        TcpStream::connect(("127.0.0.1", listen)).is_ok()
    });
    let paths = [
        "ok", "closed", "silent", "closing", "garbage", "tls", "missing", "busy", "nxdomain",
        "servfail", "full",
    ];
    let mut statuses = Vec::new();
    if up {
        for p in paths {
            statuses.push((p, get(listen, &format!("/f/{p}"))));
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("nginx exit");
    assert!(
        up,
        "nginx did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // what ngxray logs makes of nginx's error.log, by request path
    let log = dir.join("logs/error.log");
    let o = Command::new(bin())
        .args(["logs", "--format", "ndjson", "--level", "error"])
        .arg(&log)
        .output()
        .expect("ngxray logs");
    let mut nginx_cause: std::collections::HashMap<String, String> = Default::default();
    for line in stdout(&o).lines() {
        let e: Value = serde_json::from_str(line).expect("event");
        let Some(req) = e["request"].as_str() else {
            continue;
        };
        if let Some(p) = req.split(' ').nth(1).and_then(|p| p.strip_prefix("/f/")) {
            nginx_cause
                .entry(p.to_string())
                .or_insert_with(|| e["cause"].as_str().unwrap_or("").to_string());
        }
    }

    let (o, _) = run_probe(dir, &["--timeout", "10s"], false);
    let rs = results(&o);
    let line_of = |p: &str| -> u64 {
        conf.lines()
            .position(|l| l.contains(&format!("location /f/{p} ")))
            .map(|i| i as u64 + 1)
            .unwrap_or(0)
    };
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for p in paths {
        let line = line_of(p);
        if line == 0 {
            continue; // the full-queue case where the kernel does not drop SYNs
        }
        // the pass is on the location's line, or the next lines for /f/tls
        let Some(r) = rs.iter().find(|r| {
            let l = r["pass"]["line"].as_u64().unwrap_or(0);
            (line..line + 5).contains(&l)
        }) else {
            mismatches.push(format!("{p}: no probe row"));
            continue;
        };
        let probe_cause = r["cause"].as_str().unwrap_or("none");
        let want = nginx_cause.get(p).map(String::as_str).unwrap_or("none");
        compared += 1;
        if probe_cause != want {
            mismatches.push(format!(
                "{p}: probe says {probe_cause}, nginx's log says {want} ({r})"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{mismatches:#?}\nnginx answered: {statuses:?}\nerror.log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(compared >= 10, "compared {compared}");
    drop(held);
    drop(busy_listener);
}
