//! `diagnose` against reality: a real nginx on loopback with a private
//! prefix, real misbehaving backends started here in threads, bounded
//! traffic, then `ngxray diagnose` on the config and both logs.
//!
//! Backends: a FastCGI unix socket with a listen queue of one that never
//! accepts (a saturated php-fpm: one read timeout, then `backend-busy`);
//! `dead_pool` = two closed ports (refused, then `no live upstreams`);
//! `api_pool` = a stopped peer (closed port, `max_fails=0` so it
//! keeps being tried) + a healthy one, so every try of the stopped peer is
//! retried and served; `legacy` = one peer that works, then is stopped
//! (final 502s, with an onset after the healthy phase); `slow_pool` = one
//! peer slower than `proxy_read_timeout 1s` (final 504s). The test asserts
//! the attributions (group, peers, governing directives and their lines),
//! that final-status totals equal what the clients got and what access.log
//! says, the retried-vs-final split, and the onsets.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// A backend thread; stopping it closes its port.
pub(crate) struct Backend {
    pub(crate) port: u16,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Backend {
    /// Answers 200 after `delay`.
    pub(crate) fn start(delay: Duration) -> Backend {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind backend");
        let port = l.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = thread::spawn(move || {
            for conn in l.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut c) = conn else { continue };
                thread::spawn(move || {
                    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match c.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    thread::sleep(delay);
                    let _ = c.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    );
                    let _ = c.shutdown(Shutdown::Both);
                });
            }
        });
        Backend {
            port,
            stop,
            handle: Some(handle),
        }
    }

    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `n` distinct ports nothing listens on (bound together, then released).
pub(crate) fn closed_ports(n: usize) -> Vec<u16> {
    let ls: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    ls.iter()
        .map(|l| l.local_addr().expect("addr").port())
        .collect()
}

pub(crate) struct Nginx(pub(crate) Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.0 request to the incident's host; the status line's code.
fn get(port: u16, path: &str) -> u16 {
    get_host(port, "api.example.test", path)
}

/// nginx's work folder with its `tmp` and `logs` folders.
pub(crate) fn nginx_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for sub in ["tmp", "logs"] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
    }
    dir
}

/// One HTTP/1.0 request with this `Host`; the status line's code.
pub(crate) fn get_host(port: u16, host: &str, path: &str) -> u16 {
    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect nginx");
    c.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(c, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("send");
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    let head = String::from_utf8_lossy(&out);
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in response: {head}"))
}

pub(crate) fn line_of(conf: &str, needle: &str) -> u64 {
    conf.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("{needle} not in config"))
}

pub(crate) fn wait_port(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nginx did not start listening on {port}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn finding<'a>(j: &'a Value, cause: &str, upstream: &str) -> &'a Value {
    j["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["cause"] == cause && f["upstream"] == upstream)
        .unwrap_or_else(|| panic!("no {cause} finding for {upstream}: {j:#}"))
}

pub(crate) fn directive<'a>(f: &'a Value, name: &str, value_prefix: &str) -> &'a Value {
    f["directives"]
        .as_array()
        .expect("directives")
        .iter()
        .find(|d| {
            d["name"] == name
                && d["value"]
                    .as_str()
                    .is_some_and(|v| v.starts_with(value_prefix))
        })
        .unwrap_or_else(|| panic!("no directive {name} {value_prefix} in {f:#}"))
}

#[test]
fn diagnose_real_nginx_incident() {
    let Some(nginx) = nginx("diagnose_real_nginx_incident") else {
        return;
    };
    let dir = nginx_dir();
    let d = dir.path();
    // stopped peer, two dead peers, nginx's own port
    let ports = closed_ports(4);
    let (stopped, dead1, dead2, listen) = (ports[0], ports[1], ports[2], ports[3]);
    let healthy = Backend::start(Duration::ZERO);
    let mut legacy = Backend::start(Duration::ZERO);
    let slow = Backend::start(Duration::from_millis(1500));
    // A saturated FastCGI backend: a unix socket whose listen queue holds
    // one connection and which never accepts (php-fpm with every child busy).
    let sock = d.join("fpm.sock");
    let fpm = std::os::unix::net::UnixListener::bind(&sock).expect("bind unix socket");
    // SAFETY: listen(2) on a socket this test owns, to shrink its backlog.
    let rc = unsafe { libc::listen(std::os::fd::AsRawFd::as_raw_fd(&fpm), 0) };
    assert_eq!(rc, 0, "listen backlog 0");
    let conf = format!(
        "worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 128; }}
http {{
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    log_format diag '$remote_addr - [$time_local] \"$request\" $status $body_bytes_sent '
                    'host=$host up=$upstream_addr us=$upstream_status '
                    'urt=$upstream_response_time uct=$upstream_connect_time rt=$request_time cn=$connection pid=$pid';
    access_log {d}/logs/access.log diag;
    upstream api_pool {{
        server 127.0.0.1:{stopped} max_fails=0;
        server 127.0.0.1:{healthy};
    }}
    upstream legacy {{
        server 127.0.0.1:{legacy};
    }}
    upstream slow_pool {{
        server 127.0.0.1:{slow};
    }}
    upstream dead_pool {{
        server 127.0.0.1:{dead1};
        server 127.0.0.1:{dead2};
    }}
    server {{
        listen 127.0.0.1:{listen};
        server_name api.example.test;
        proxy_connect_timeout 2s;
        location /api/ {{
            proxy_pass http://api_pool;
        }}
        location /legacy/ {{
            proxy_pass http://legacy;
        }}
        location /dead/ {{
            proxy_pass http://dead_pool;
        }}
        location /slow/ {{
            proxy_read_timeout 1s;
            proxy_pass http://slow_pool;
        }}
        location ~ \\.php$ {{
            fastcgi_read_timeout 1s;
            fastcgi_pass unix:{sock};
        }}
    }}
}}
",
        d = d.display(),
        healthy = healthy.port,
        legacy = legacy.port,
        slow = slow.port,
        sock = sock.display(),
    );
    let conf_path = d.join("nginx.conf");
    std::fs::write(&conf_path, &conf).expect("write conf");
    let child = Command::new(&nginx)
        .arg("-p")
        .arg(format!("{}/", d.display()))
        .arg("-c")
        .arg(&conf_path)
        .arg("-e")
        .arg(d.join("logs/error.log"))
        .arg("-g")
        .arg("daemon off; master_process off;")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nginx");
    let _guard = Nginx(child);
    wait_port(listen);

    let mut client: std::collections::BTreeMap<u16, u64> = Default::default();
    let mut hit = |path: &str| *client.entry(get(listen, path)).or_default() += 1;
    // Phase 1: everything healthy except api_pool's stopped peer.
    for i in 0..6 {
        hit(&format!("/legacy/{i}"));
    }
    for i in 0..4 {
        hit(&format!("/api/{i}"));
    }
    // The legacy backend stops; a second later the failures begin.
    legacy.stop();
    thread::sleep(Duration::from_millis(1100));
    for i in 0..8 {
        hit(&format!("/api/p2/{i}"));
    }
    for i in 0..5 {
        hit(&format!("/legacy/p2/{i}"));
    }
    // both peers refuse, are marked failed; then `no live upstreams`
    for i in 0..3 {
        hit(&format!("/dead/{i}"));
    }
    for i in 0..3 {
        hit(&format!("/slow/{i}"));
    }
    // the first waits in the backend's queue until the read timeout; the
    // queue is then full and the others are refused at once
    for i in 0..4 {
        hit(&format!("/app/{i}.php"));
    }
    drop(_guard); // nginx stops: logs are complete
    let access = std::fs::read_to_string(d.join("logs/access.log")).expect("access.log");
    let error_log = std::fs::read_to_string(d.join("logs/error.log")).expect("error.log");
    assert_eq!(
        access.lines().count(),
        33,
        "one access.log line per request"
    );

    let out = ngxray(&[
        "diagnose",
        "--config",
        conf_path.to_str().expect("utf8"),
        "--format",
        "json",
        "--bucket",
        "1s",
        d.join("logs/access.log").to_str().expect("utf8"),
        d.join("logs/error.log").to_str().expect("utf8"),
    ]);
    assert!(out.status.success(), "diagnose failed: {}", stderr(&out));
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["schema"], "ngxray/diagnose/v1");
    crate::formats::assert_valid("docs/schema/diagnose.schema.json", &j);

    // Final statuses: what the clients got, and what access.log says.
    let mut from_log: std::collections::BTreeMap<String, u64> = Default::default();
    for l in access.lines() {
        let st = l
            .split("\" ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .expect("status");
        *from_log.entry(st.to_string()).or_default() += 1;
    }
    let got: std::collections::BTreeMap<String, u64> =
        client.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    assert_eq!(from_log, got, "access.log agrees with the clients");
    let status: std::collections::BTreeMap<String, u64> =
        serde_json::from_value(j["access"]["status"].clone()).expect("status map");
    assert_eq!(status, got, "diagnose's totals equal what clients got");
    assert_eq!(j["access"]["parsed"], 33);
    assert_eq!(j["access"]["unparsable"], 0);
    // every per-attempt failure in error.log is one attempt in access.log
    assert!(j["errors"]["failures"].as_u64() > Some(10));
    assert_eq!(j["errors"]["joined"], j["errors"]["failures"]);
    assert_eq!(got.get("502"), Some(&11));
    assert_eq!(got.get("504"), Some(&4));
    assert_eq!(got.get("200"), Some(&18));

    // api_pool: every try of the stopped peer was retried and served.
    let tries_of_stopped = access
        .lines()
        .filter(|l| l.contains(&format!("up=127.0.0.1:{stopped}, ")))
        .count() as u64;
    assert!(
        tries_of_stopped >= 2,
        "round robin tried the stopped peer: {access}"
    );
    let refused_lines = error_log
        .lines()
        .filter(|l| l.contains("Connection refused") && l.contains(&format!(":{stopped}")))
        .count() as u64;
    assert_eq!(
        refused_lines, tries_of_stopped,
        "one error.log line per try"
    );
    let api = finding(&j, "connect-refused", "api_pool");
    assert_eq!(
        api["peers"],
        serde_json::json!([format!("127.0.0.1:{stopped}")])
    );
    assert_eq!(api["server"], "api.example.test");
    assert_eq!(api["location"], "/api/");
    assert_eq!(api["count"], tries_of_stopped);
    assert_eq!(api["retried_ok"], tries_of_stopped);
    assert_eq!(api["final"], serde_json::json!({"200": tries_of_stopped}));
    let sl = directive(api, "server", &format!("127.0.0.1:{stopped}"));
    assert_eq!(
        sl["line"],
        line_of(&conf, &format!("server 127.0.0.1:{stopped} max_fails=0;"))
    );
    assert!(sl["file"].as_str().expect("file").ends_with("nginx.conf"));
    let nu = directive(api, "proxy_next_upstream", "error timeout");
    assert_eq!(nu["default"], true);
    assert_eq!(nu["line"], Value::Null);

    // legacy: the stopped peer, final 502s, onset after the healthy phase.
    let leg = finding(&j, "connect-refused", "legacy");
    assert_eq!(
        leg["peers"],
        serde_json::json!([format!("127.0.0.1:{}", legacy.port)])
    );
    assert_eq!(leg["location"], "/legacy/");
    assert_eq!(leg["count"], 5);
    assert_eq!(leg["final"], serde_json::json!({"502": 5}));
    assert_eq!(leg["retried_ok"], 0);
    let sl = directive(leg, "server", &format!("127.0.0.1:{}", legacy.port));
    assert_eq!(
        sl["line"],
        line_of(&conf, &format!("server 127.0.0.1:{};", legacy.port))
    );
    let onset = &leg["onset"];
    assert_eq!(
        onset["time"], leg["first"],
        "failures began with the first one: {leg:#}"
    );
    assert_eq!(onset["baseline"], 0.0);
    assert_eq!(onset["steady"], false);
    assert_eq!(
        onset["requests_before"], 6,
        "the healthy phase came before the onset"
    );
    let first_ok = access
        .lines()
        .find(|l| l.contains("/legacy/0 "))
        .expect("legacy line");
    let first_fail = access
        .lines()
        .find(|l| l.contains("/legacy/p2/0 "))
        .expect("legacy p2 line");
    let t = |l: &str| {
        l.split('[')
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .expect("time")
            .to_string()
    };
    assert!(t(first_ok) < t(first_fail), "phases are a second apart");
    assert!(
        leg["first"]
            .as_str()
            .expect("first")
            .contains(&t(first_fail)[12..]),
        "first failure at {}: {leg:#}",
        t(first_fail)
    );

    // slow_pool: read timeouts, governed by proxy_read_timeout 1s on its line.
    let sp = finding(&j, "read-timeout", "slow_pool");
    assert_eq!(
        sp["peers"],
        serde_json::json!([format!("127.0.0.1:{}", slow.port)])
    );
    assert_eq!(sp["location"], "/slow/");
    assert_eq!(sp["count"], 3);
    assert_eq!(sp["final"], serde_json::json!({"504": 3}));
    let rt = directive(sp, "proxy_read_timeout", "1s");
    assert_eq!(rt["line"], line_of(&conf, "proxy_read_timeout 1s;"));
    let lat = &sp["latency"];
    assert_eq!(lat["read_timeout"], 1.0);
    assert!(lat["p99"].as_f64().expect("p99") >= 0.99, "{lat:#}");
    // p99 at the timeout is a finding of its own
    finding(&j, "latency-near-timeout", "slow_pool");

    // dead_pool: two refused tries disable both peers; the next requests
    // get `no live upstreams` without any try.
    let dead = finding(&j, "connect-refused", "dead_pool");
    assert_eq!(dead["count"], 2);
    assert_eq!(dead["requests"], 1);
    assert_eq!(dead["final"], serde_json::json!({"502": 1}));
    let mut peers = vec![format!("127.0.0.1:{dead1}"), format!("127.0.0.1:{dead2}")];
    peers.sort();
    assert_eq!(dead["peers"], serde_json::json!(peers));
    let nolive = finding(&j, "no-live-upstreams", "dead_pool");
    assert_eq!(nolive["count"], 2);
    assert_eq!(nolive["final"], serde_json::json!({"502": 2}));
    assert_eq!(nolive["location"], "/dead/");
    for port in [dead1, dead2] {
        let d = directive(nolive, "server", &format!("127.0.0.1:{port}"));
        assert_eq!(
            d["line"],
            line_of(&conf, &format!("server 127.0.0.1:{port};"))
        );
    }

    // the saturated FastCGI backend: backend-busy (EAGAIN on connect) after
    // one read timeout, in the implicit group of the literal fastcgi_pass
    let group = format!("unix:{}", sock.display());
    let busy = finding(&j, "backend-busy", &group);
    assert_eq!(busy["peers"], serde_json::json!([group]));
    assert_eq!(busy["location"], "~ \\.php$");
    assert_eq!(busy["count"], 3);
    assert_eq!(busy["final"], serde_json::json!({"502": 3}));
    let pass = directive(busy, "fastcgi_pass", "unix:");
    assert_eq!(pass["line"], line_of(&conf, "fastcgi_pass unix:"));
    let fto = finding(&j, "read-timeout", &group);
    assert_eq!(fto["final"], serde_json::json!({"504": 1}));
    let rt = directive(fto, "fastcgi_read_timeout", "1s");
    assert_eq!(rt["line"], line_of(&conf, "fastcgi_read_timeout 1s;"));
    drop(fpm);

    // The split in one place: every failure of a group is either retried
    // and served or final.
    for f in j["findings"].as_array().expect("findings") {
        let finals: u64 = f["final"]
            .as_object()
            .expect("final")
            .values()
            .map(|v| v.as_u64().unwrap_or(0))
            .sum();
        assert_eq!(finals, f["requests"].as_u64().expect("requests"), "{f:#}");
    }
    // The text and HTML reports render the same answer.
    let text = ngxray(&[
        "diagnose",
        "--config",
        conf_path.to_str().expect("utf8"),
        d.join("logs/access.log").to_str().expect("utf8"),
        d.join("logs/error.log").to_str().expect("utf8"),
    ]);
    let text = stdout(&text);
    eprintln!("{text}");
    assert!(text.contains("connect-refused"), "{text}");
    assert!(
        text.contains(&format!(
            "proxy_read_timeout 1s   ({}:{})",
            conf_path.display(),
            line_of(&conf, "proxy_read_timeout 1s;")
        )),
        "{text}"
    );
    let html = ngxray(&[
        "diagnose",
        "--config",
        conf_path.to_str().expect("utf8"),
        "--format",
        "html",
        d.join("logs/access.log").to_str().expect("utf8"),
        d.join("logs/error.log").to_str().expect("utf8"),
    ]);
    let html = stdout(&html);
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<svg"),
        "{html}"
    );
    for remote in ["<script", "<link", " src=", "url("] {
        assert!(!html.contains(remote), "self-contained page: {remote}");
    }
    assert!(html.contains("slow_pool") && html.contains("proxy_read_timeout"));

    // No logs given: the paths the config's error_log/access_log name.
    let auto = ngxray(&[
        "diagnose",
        "--config",
        conf_path.to_str().expect("utf8"),
        "--format",
        "json",
    ]);
    assert!(auto.status.success(), "{}", stderr(&auto));
    let a: Value = serde_json::from_slice(&auto.stdout).expect("json");
    assert_eq!(a["access"]["status"], j["access"]["status"]);
    assert_eq!(
        a["findings"].as_array().map(Vec::len),
        j["findings"].as_array().map(Vec::len)
    );

    // The config as an `nginx -T` dump on stdin: same directives and lines.
    let dump = Command::new(&nginx)
        .arg("-T")
        .arg("-p")
        .arg(format!("{}/", d.display()))
        .arg("-c")
        .arg(&conf_path)
        .arg("-e")
        .arg(d.join("dump-error.log"))
        .output()
        .expect("nginx -T");
    assert!(dump.status.success(), "{}", stderr(&dump));
    let mut child = Command::new(bin())
        .args(["diagnose", "--config", "-", "--format", "json"])
        .arg(d.join("logs/access.log"))
        .arg(d.join("logs/error.log"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run ngxray");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&dump.stdout)
        .expect("write dump");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let t: Value = serde_json::from_slice(&out.stdout).expect("json");
    let sp = finding(&t, "read-timeout", "slow_pool");
    let rt = directive(sp, "proxy_read_timeout", "1s");
    assert_eq!(rt["line"], line_of(&conf, "proxy_read_timeout 1s;"));
    assert_eq!(rt["file"], conf_path.display().to_string());
    assert_eq!(t["access"]["status"], j["access"]["status"]);
}
