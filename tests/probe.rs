//! `ngxray probe` end to end, on loopback only, against backends the test
//! starts itself: an HTTP server answering 200, a closed port, a listener
//! that accepts and never answers, a TLS backend with a certificate from a
//! private CA (verify on without and with that CA), a missing unix socket,
//! a socket without permission, names that do not resolve, and a small DNS
//! server (hickory-proto messages over UDP) that answers differently from
//! the system resolver.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{bin, stderr, stdout};

/// Threads serving the test's backends stop when this is dropped.
struct Backends {
    stop: Arc<AtomicBool>,
    /// `Host` headers the HTTP backends received.
    hosts: Arc<Mutex<Vec<String>>>,
    /// Request targets (paths) the HTTP backends received.
    paths: Arc<Mutex<Vec<String>>>,
}

impl Backends {
    fn new() -> Backends {
        Backends {
            stop: Arc::new(AtomicBool::new(false)),
            hosts: Arc::new(Mutex::new(Vec::new())),
            paths: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

impl Drop for Backends {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_head(s: &mut impl Read) -> String {
    let mut buf = Vec::new();
    let mut b = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&b[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn host_of(head: &str) -> String {
    head.lines()
        .find_map(|l| l.strip_prefix("Host: "))
        .unwrap_or("")
        .to_string()
}

/// An HTTP backend on `addr` answering 200 to everything.
fn http_backend(addr: &str, b: &Backends) -> u16 {
    let l = TcpListener::bind(addr).expect("bind http backend");
    l.set_nonblocking(true).expect("nonblocking");
    let port = l.local_addr().expect("addr").port();
    let stop = b.stop.clone();
    let hosts = b.hosts.clone();
    let paths = b.paths.clone();
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match l.accept() {
                Ok((mut s, _)) => {
                    let _ = s.set_nonblocking(false);
                    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                    let head = read_head(&mut s);
                    hosts.lock().expect("lock").push(host_of(&head));
                    let path = head.split(' ').nth(1).unwrap_or("").to_string();
                    paths.lock().expect("lock").push(path);
                    let _ = s.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    );
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    port
}

/// A listener that accepts and never answers.
fn silent_backend(b: &Backends) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind silent");
    l.set_nonblocking(true).expect("nonblocking");
    let port = l.local_addr().expect("addr").port();
    let stop = b.stop.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            if let Ok((s, _)) = l.accept() {
                held.push(s);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    port
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A private CA and a certificate for `localhost` it signed.
struct Pki {
    ca_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ngxray test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("leaf key");
    let params = CertificateParams::new(vec!["localhost".to_string()]).expect("leaf params");
    let cert = params.signed_by(&key, &issuer).expect("leaf cert");
    Pki {
        ca_pem: ca_cert.pem(),
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
    }
}

/// A TLS backend answering 200 over HTTP/1.1.
fn tls_backend(pki: &Pki, b: &Backends) -> u16 {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(pki.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key_der.clone())),
        )
        .expect("server config");
    let config = Arc::new(config);
    let l = TcpListener::bind("127.0.0.1:0").expect("bind tls");
    l.set_nonblocking(true).expect("nonblocking");
    let port = l.local_addr().expect("addr").port();
    let stop = b.stop.clone();
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            let Ok((s, _)) = l.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let config = config.clone();
            std::thread::spawn(move || {
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut t = rustls::StreamOwned::new(conn, s);
                let _ = read_head(&mut t);
                let _ = t.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                let _ = t.flush();
                t.conn.send_close_notify();
                let _ = t.conn.complete_io(&mut t.sock);
            });
        }
    });
    port
}

/// A DNS server on 127.0.0.1: `localhost` is 127.0.0.2 (the system says
/// 127.0.0.1), `*.invalid` is NXDOMAIN, `servfail.test` SERVFAIL.
fn dns_server(b: &Backends) -> u16 {
    use hickory_proto::op::{Message, MessageType, ResponseCode};
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::{RData, Record, RecordType};
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind dns");
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let port = sock.local_addr().expect("addr").port();
    let stop = b.stop.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while !stop.load(Ordering::SeqCst) {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let Some(query) = q.queries().first().cloned() else {
                continue;
            };
            let mut r = Message::new();
            r.set_id(q.id())
                .set_message_type(MessageType::Response)
                .set_recursion_desired(true)
                .set_recursion_available(true);
            r.add_query(query.clone());
            let name = query.name().to_ascii().to_ascii_lowercase();
            if name.ends_with(".invalid.") {
                r.set_response_code(ResponseCode::NXDomain);
            } else if name == "servfail.test." {
                r.set_response_code(ResponseCode::ServFail);
            } else if name == "localhost." && query.query_type() == RecordType::A {
                r.add_answer(Record::from_rdata(
                    query.name().clone(),
                    60,
                    RData::A(A::new(127, 0, 0, 2)),
                ));
            }
            if let Ok(bytes) = r.to_vec() {
                let _ = sock.send_to(&bytes, from);
            }
        }
    });
    port
}

fn run_probe(dir: &Path, extra: &[&str], as_nobody: bool) -> (Output, Duration) {
    // nobody may not reach the build directory: run a copy from `dir`
    let exe = if as_nobody {
        let copy = dir.join("ngxray");
        std::fs::copy(bin(), &copy).expect("copy binary");
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755))
            .expect("chmod binary");
        copy
    } else {
        bin()
    };
    let mut c = Command::new(exe);
    c.current_dir(dir)
        .arg("probe")
        .arg(dir.join("nginx.conf"))
        .args(["--format", "json"])
        .args(extra);
    if as_nobody {
        use std::os::unix::process::CommandExt;
        c.uid(65534).gid(65534);
    }
    let t = Instant::now();
    let o = c.output().expect("run ngxray probe");
    (o, t.elapsed())
}

fn results(o: &Output) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)));
    assert_eq!(doc["schema"], "ngxray/probe/v1");
    doc["results"].as_array().expect("results").clone()
}

/// The one row of an upstream (or implicit target) name.
fn row<'a>(rs: &'a [Value], upstream: &str) -> &'a Value {
    let m: Vec<&Value> = rs.iter().filter(|r| r["upstream"] == upstream).collect();
    assert_eq!(m.len(), 1, "rows of {upstream}: {m:#?}");
    m[0]
}

fn assert_outcome(r: &Value, outcome: &str, cause: Option<&str>) {
    assert_eq!(r["outcome"], outcome, "{r:#}");
    match cause {
        Some(c) => assert_eq!(r["cause"], c, "{r:#}"),
        None => assert!(r["cause"].is_null(), "{r:#}"),
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

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

/// A server that reads whatever comes and answers `reply` at once.
fn eager_backend(reply: &'static [u8], b: &Backends) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind eager");
    l.set_nonblocking(true).expect("nonblocking");
    let port = l.local_addr().expect("addr").port();
    let stop = b.stop.clone();
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            let Ok((mut s, _)) = l.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let _ = s.set_nonblocking(false);
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(reply);
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    port
}

/// A listener whose accept queue is full: the kernel drops further SYNs,
/// so a connect times out (the loopback stand-in for a firewalled host).
fn full_backlog(held: &mut Vec<TcpStream>) -> Option<(TcpListener, u16)> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor this function owns; the
    // descriptor is handed to TcpListener, which closes it.
    let l = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        if fd < 0 {
            return None;
        }
        let l = TcpListener::from_raw_fd(fd);
        let mut a: libc::sockaddr_in = std::mem::zeroed();
        a.sin_family = libc::AF_INET as libc::sa_family_t;
        a.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        if libc::bind(fd, &a as *const _ as *const libc::sockaddr, len) != 0
            || libc::listen(fd, 0) != 0
        {
            return None;
        }
        l
    };
    let addr = l.local_addr().ok()?;
    for _ in 0..8 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => held.push(s),
            Err(_) => return Some((l, addr.port())),
        }
    }
    None
}

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
