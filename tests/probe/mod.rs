//! `ngxray probe` end to end, on loopback only, against backends the test
//! starts itself: an HTTP server answering 200, a closed port, a listener
//! that accepts and never answers, a TLS backend with a certificate from a
//! private CA (verify on without and with that CA), a missing unix socket,
//! a socket without permission, names that do not resolve, and a small DNS
//! server (hickory-proto messages over UDP) that answers differently from
//! the system resolver.
//!
//! One module per concern: [`faults`] (every fault and its cause, the
//! deadline, exit codes, the JSON schema), [`tls`] (the private CA and the
//! TLS backend), [`protocols`] (FastCGI, uwsgi, SCGI, gRPC, memcached and
//! the connect timeout), [`via`] (through a gateway), [`nginx_log`] (the
//! causes against real nginx's error log). The helpers are here.

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

use hickory_proto::rr::RecordType;

use crate::util::{self, bin, stderr, stdout, DnsAnswer};

mod faults;
mod nginx_log;
mod protocols;
mod tls;
mod via;

use tls::{pki, tls_backend};

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

/// A DNS server on 127.0.0.1: `localhost` is 127.0.0.2 (the system says
/// 127.0.0.1), `*.invalid` is NXDOMAIN, `servfail.test` SERVFAIL.
fn dns_server(b: &Backends) -> u16 {
    util::dns_server(b.stop.clone(), |name, qtype| {
        if name.ends_with(".invalid.") {
            DnsAnswer::NxDomain
        } else if name == "servfail.test." {
            DnsAnswer::ServFail
        } else if name == "localhost." && qtype == RecordType::A {
            DnsAnswer::A([127, 0, 0, 2])
        } else {
            DnsAnswer::Empty
        }
    })
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
