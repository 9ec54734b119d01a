//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path to the built `ngxray` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ngxray"))
}

pub fn ngxray(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("run ngxray")
}

pub fn ngxray_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run ngxray")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A test cannot run because an oracle or data set is missing: a visible
/// skip, or a failure when `NGXRAY_REQUIRE_ORACLES=1` (CI sets it, so a
/// differential test never passes silently there).
pub fn skip(test: &str, why: &str) {
    if std::env::var_os("NGXRAY_REQUIRE_ORACLES").is_some_and(|v| v == "1") {
        panic!("{test}: {why}, and NGXRAY_REQUIRE_ORACLES=1");
    }
    eprintln!("SKIP {test}: {why}");
}

/// The Python interpreter with the test oracles (crossplane): `NGXRAY_PYTHON`,
/// else `python3`.
pub fn python() -> std::ffi::OsString {
    std::env::var_os("NGXRAY_PYTHON").unwrap_or_else(|| "python3".into())
}

/// `../shared/corpus` beside the repository, when present. Prints a visible
/// skip message otherwise.
pub fn corpus(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("NGXRAY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(
            test,
            &format!("corpus not found at {} (set NGXRAY_CORPUS)", dir.display()),
        );
        None
    }
}

/// The real nginx binary, when installed.
pub fn nginx(test: &str) -> Option<PathBuf> {
    for p in ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(p).exists() {
            return Some(PathBuf::from(p));
        }
    }
    skip(test, "nginx not installed (apt-get install nginx-extras)");
    None
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `nginx -t` on `DIR/nginx.conf` with `DIR` as prefix, pid file and error
/// log redirected so that nothing outside `DIR` is touched and no server
/// starts.
pub fn nginx_test_config(nginx: &Path, dir: &Path) -> Output {
    Command::new(nginx)
        .arg("-t")
        .arg("-q")
        .arg("-p")
        .arg(format!("{}/", dir.display()))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-g")
        .arg(format!(
            "pid {}/nginx.pid; error_log stderr;",
            dir.display()
        ))
        .output()
        .expect("run nginx")
}

/// What the test DNS server ([`dns_server`]) answers to one question.
pub enum DnsAnswer {
    /// One A record (TTL 60).
    A([u8; 4]),
    NxDomain,
    ServFail,
    /// NOERROR without records.
    Empty,
}

/// A DNS server on 127.0.0.1 (UDP, hickory-proto messages) that answers
/// each question with `answer(name, type)` (`name` in lowercase with its
/// final dot, `localhost.`), until `stop` is set. Returns its port.
pub fn dns_server(
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    answer: impl Fn(&str, hickory_proto::rr::RecordType) -> DnsAnswer + Send + 'static,
) -> u16 {
    use hickory_proto::op::{Message, MessageType, ResponseCode};
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::{RData, Record};
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind dns");
    sock.set_read_timeout(Some(std::time::Duration::from_millis(50)))
        .expect("timeout");
    let port = sock.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
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
            match answer(&name, query.query_type()) {
                DnsAnswer::A([a, b, c, d]) => {
                    r.add_answer(Record::from_rdata(
                        query.name().clone(),
                        60,
                        RData::A(A::new(a, b, c, d)),
                    ));
                }
                DnsAnswer::NxDomain => {
                    r.set_response_code(ResponseCode::NXDomain);
                }
                DnsAnswer::ServFail => {
                    r.set_response_code(ResponseCode::ServFail);
                }
                DnsAnswer::Empty => {}
            }
            if let Ok(bytes) = r.to_vec() {
                let _ = sock.send_to(&bytes, from);
            }
        }
    });
    port
}

/// Read a request from `c` up to the end of its header (or until the peer
/// closes or the read fails).
pub fn read_head(c: &mut std::net::TcpStream) {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match c.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A loopback peer whose accept queue is full, so that a connect to it
/// times out (SYNs are dropped): the listener (backlog 0, never accepted
/// from), the connections that fill its queue, and its port. Keep all
/// three alive while the peer is needed.
#[cfg(unix)]
pub fn full_accept_queue() -> (std::net::TcpListener, Vec<std::net::TcpStream>, u16) {
    use std::os::fd::AsRawFd;
    let full = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    // SAFETY: listen(2) on a socket this test owns, to shrink its backlog.
    let rc = unsafe { libc::listen(full.as_raw_fd(), 0) };
    assert_eq!(rc, 0, "listen backlog 0");
    let port = full.local_addr().expect("addr").port();
    let fillers: Vec<std::net::TcpStream> = (0..2)
        .filter_map(|_| {
            std::net::TcpStream::connect_timeout(
                &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                std::time::Duration::from_millis(300),
            )
            .ok()
        })
        .collect();
    assert!(!fillers.is_empty(), "the accept queue holds one connection");
    (full, fillers, port)
}
