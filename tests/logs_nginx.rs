//! `ngxray logs` against reality: a real nginx on loopback (private prefix
//! in a temp dir, master and one worker, `error_log … info`) is driven into
//! the failures that end in 5xx (and their neighbours: 4xx, retries, body
//! truncation, Lua, stream) by backends this test starts in threads, then
//! `ngxray logs --format ndjson` reads the error.log it wrote. The oracle is
//! what nginx itself logged in access.log (http) and stream.log (stream),
//! both with `$connection`, joined to error.log lines by `*N`.
//!
//! Scenarios (one location or server each): connection refused; connect
//! timeout (a loopback listener whose accept queue is full drops SYNs);
//! read timeout (a backend that never answers); send timeout (a backend
//! that never reads an 8 MB body); resets before and after the response
//! header (`SO_LINGER` 0); an invalid header line; a status line that is not
//! HTTP (relayed as HTTP/0.9, access log 009); a header over
//! `proxy_buffer_size`; premature close before the header and mid-body;
//! invalid chunking; FastCGI to a missing unix socket and to a socket file
//! nothing listens on, to an HTTP server, and to an application that
//! reports a fatal error, an unknown script or a warning on stderr; uwsgi and scgi to closed ports; grpc_pass to an
//! HTTP/1 backend and to a closed port; `https://` to a plain-TCP backend,
//! to one that closes at once and to one that never answers;
//! an upstream group whose two peers are down (`max_fails=1`: refused
//! twice, then `no live upstreams`); a group with a down peer, and one
//! with a peer that never answers, retried onto a good one; a resolver that answers SERVFAIL, one that never answers,
//! and no resolver; a request body temp path nginx may not write; Lua
//! (`error()`, a cosocket to a closed port then `ngx.exit(502)`, a cosocket
//! read timeout then `ngx.exit(504)`, `ngx.exit(502)` alone); auth_request
//! to a closed port; limit_req (with the default status and with
//! `limit_req_status 429`); limit_conn; client_max_body_size; a client
//! header timeout, an invalid request line and a client that goes away;
//! 404, 403, 401, a rewrite cycle, a `proxy_pass` variable without a
//! scheme; `return 502` (no error line); a response buffered to a temp
//! file; an idle upgraded (WebSocket) connection closed by
//! `proxy_read_timeout` (access log 101); stream{} to a closed port and to
//! a full accept queue; and a worker killed with SIGKILL (the master logs
//! it and starts another).
//!
//! The rules each error.log event is held to:
//!
//! 1. Its cause is known (never `unclassified` or `unparsable`).
//! 2. Without a connection number (start-up, signals, worker exits) it has
//!    no status.
//! 3. With one, the connection is in access.log or stream.log, and a status
//!    ngxray gives is either the status logged for that connection, or — a
//!    retried attempt, which the line alone cannot tell from a final one —
//!    the `$upstream_status` entry of the line's peer when that peer is not
//!    the last one in `$upstream_addr` (nginx went on to the next peer), or
//!    — a status the configuration sets, which the line does not show
//!    (`limit_req_status 429`) — nginx's default status for the line (503).
//! 4. Every request that ended in 4xx/5xx with error lines has one line
//!    whose status is the logged one (the default one where the
//!    configuration set it, as in 3), except where the status was decided
//!    by Lua code (`ngx.exit`): those lines have no status.
//! 5. Each scenario's lines have exactly the causes listed for it, and its
//!    requests the access status listed (the scenario really happened). A
//!    line without a status (a truncated body, a retried peer's `[warn]`,
//!    a Lua log line) is held to its scenario's cause and access status.
//!
//! Where the client saw a status line, it equals the logged status.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::diagnose_nginx::closed_ports;
use crate::diagnose_stream::stream_module;
use crate::util::*;

const TEST: &str = "logs_real_nginx_failures";

/// The body of `/buffered/`: more than the socket buffers between nginx
/// and a client that does not read yet.
const BIG: usize = 4 << 20;

type Handler = Arc<dyn Fn(TcpStream, &Held) + Send + Sync>;

/// Connections a backend keeps open (never answered) until it stops.
type Held = Mutex<Vec<TcpStream>>;

/// A backend thread; dropping it closes its port and every held connection.
struct Backend {
    port: u16,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    held: Arc<Held>,
}

impl Backend {
    fn start(h: impl Fn(TcpStream, &Held) + Send + Sync + 'static) -> Backend {
        Backend::on(TcpListener::bind("127.0.0.1:0").expect("bind"), h)
    }

    fn on(l: TcpListener, h: impl Fn(TcpStream, &Held) + Send + Sync + 'static) -> Backend {
        let port = l.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let held: Arc<Held> = Arc::default();
        let (s, hd) = (stop.clone(), held.clone());
        let h: Handler = Arc::new(h);
        let handle = thread::spawn(move || {
            for conn in l.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(c) = conn else { continue };
                let (h, hd) = (h.clone(), hd.clone());
                thread::spawn(move || {
                    let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
                    h(c, &hd)
                });
            }
        });
        Backend {
            port,
            stop,
            handle: Some(handle),
            held,
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        self.held.lock().map(|mut v| v.clear()).ok();
    }
}

/// Close with a reset (`SO_LINGER` 0) instead of a FIN.
fn reset(c: TcpStream) {
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket this test owns, with a valid linger.
    let rc = unsafe {
        libc::setsockopt(
            c.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            std::ptr::addr_of!(l).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "SO_LINGER");
}

/// Read the request, answer `bytes`, then close (after `linger`, so that
/// nginx reads what was sent before it sees the close).
fn answer(bytes: &'static [u8], linger: Duration) -> impl Fn(TcpStream, &Held) {
    move |mut c, _| {
        read_head(&mut c);
        let _ = c.write_all(bytes);
        thread::sleep(linger);
    }
}

/// One FastCGI record of request 1.
fn fcgi_record(kind: u8, content: &[u8]) -> Vec<u8> {
    let len = u16::try_from(content.len()).expect("short record");
    let mut r = vec![1, kind, 0, 1];
    r.extend_from_slice(&len.to_be_bytes());
    r.extend_from_slice(&[0, 0]);
    r.extend_from_slice(content);
    r
}

/// A FastCGI application (php-fpm as nginx sees it): writes `stderr` to
/// FCGI_STDERR, then `stdout` (CGI headers and body), ends the request and
/// closes, as php-fpm does. It reads the whole request first (up to the
/// empty FCGI_STDIN record), so that no unread byte turns the close into
/// a reset.
fn fastcgi(stderr: &'static str, stdout: &'static str) -> impl Fn(TcpStream, &Held) {
    move |mut c, _| {
        let mut req = Vec::new();
        let mut buf = [0u8; 4096];
        while !req.windows(8).any(|w| w == [1, 5, 0, 1, 0, 0, 0, 0]) {
            match c.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => req.extend_from_slice(&buf[..n]),
            }
        }
        let mut r = fcgi_record(7, stderr.as_bytes());
        r.extend(fcgi_record(6, stdout.as_bytes()));
        r.extend(fcgi_record(3, &[0; 8]));
        let _ = c.write_all(&r);
    }
}

/// An nginx started in its own process group; dropping it kills the group
/// (master and worker), whatever happened in the test.
struct Nginx {
    child: Child,
}

impl Nginx {
    fn start(nginx: &Path, d: &Path, conf: &Path) -> Nginx {
        use std::os::unix::process::CommandExt;
        let child = Command::new(nginx)
            .arg("-p")
            .arg(format!("{}/", d.display()))
            .arg("-c")
            .arg(conf)
            .arg("-e")
            .arg(d.join("logs/error.log"))
            .arg("-g")
            .arg("daemon off;")
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        Nginx { child }
    }

    fn pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.child.id()).expect("pid")
    }

    /// SIGQUIT (graceful shutdown, so that the worker's exit is logged);
    /// true when nginx exited within 10 s.
    fn quit(&mut self) -> bool {
        // SAFETY: signalling the process this test started.
        unsafe { libc::kill(self.pid(), libc::SIGQUIT) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: the process group this test's nginx leads.
            unsafe { libc::killpg(self.pid(), libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}

/// The `load_module` lines for Lua (the NDK first), from the build's
/// modules path or the usual places; `None` without the Lua module.
fn lua_modules(nginx: &Path) -> Option<String> {
    let v = Command::new(nginx).arg("-V").output().ok()?;
    let conf = String::from_utf8_lossy(&v.stderr).into_owned();
    let dirs = conf
        .split_whitespace()
        .filter_map(|a| a.strip_prefix("--modules-path="))
        .map(PathBuf::from)
        .chain(
            [
                "/usr/lib/nginx/modules",
                "/usr/lib64/nginx/modules",
                "/usr/share/nginx/modules",
            ]
            .map(PathBuf::from),
        );
    for d in dirs {
        let (ndk, lua) = (
            d.join("ndk_http_module.so"),
            d.join("ngx_http_lua_module.so"),
        );
        if ndk.exists() && lua.exists() {
            return Some(format!(
                "load_module {};\nload_module {};",
                ndk.display(),
                lua.display()
            ));
        }
    }
    None
}

/// Send `raw` on a new connection to `port` and read until nginx closes.
fn exchange(port: u16, raw: &[u8]) -> Vec<u8> {
    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect nginx");
    c.set_read_timeout(Some(Duration::from_secs(15))).ok();
    let _ = c.write_all(raw);
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    out
}

fn get(port: u16, uri: &str) -> Vec<u8> {
    exchange(
        port,
        format!("GET {uri} HTTP/1.0\r\nHost: t\r\n\r\n").as_bytes(),
    )
}

fn post(port: u16, uri: &str, len: usize) -> Vec<u8> {
    let mut raw =
        format!("POST {uri} HTTP/1.0\r\nHost: t\r\nContent-Length: {len}\r\n\r\n").into_bytes();
    raw.resize(raw.len() + len, b'x');
    exchange(port, &raw)
}

/// The status of an HTTP response, when it has a status line.
fn client_status(resp: &[u8]) -> Option<u16> {
    let s = std::str::from_utf8(resp.get(..12)?).ok()?;
    s.strip_prefix("HTTP/1.")?.get(2..5)?.parse().ok()
}

/// One access.log (or stream.log) line.
#[derive(Debug, Clone)]
struct Access {
    status: u16,
    /// `$upstream_addr` entries (empty for `-`).
    addrs: Vec<String>,
    /// `$upstream_status` entries, parallel to `addrs` when present.
    statuses: Vec<String>,
    uri: String,
}

/// The value of `key="…"` or `key=…` in a log line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let at = line
        .find(&format!(" {key}="))
        .map(|i| i + key.len() + 2)
        .or_else(|| {
            line.starts_with(&format!("{key}="))
                .then_some(key.len() + 1)
        })
        .unwrap_or_else(|| panic!("no {key} in {line}"));
    let rest = &line[at..];
    match rest.strip_prefix('"') {
        Some(q) => &q[..q.find('"').expect("closing quote")],
        None => rest.split(' ').next().unwrap_or(""),
    }
}

/// `$upstream_status` entries: `, ` between tries, ` : ` between groups.
fn statuses(v: &str) -> Vec<String> {
    if v == "-" || v.is_empty() {
        return Vec::new();
    }
    v.split([',', ':'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// `$upstream_addr` entries: `, ` between tries, ` : ` between groups
/// (internal redirects); an address keeps its own `:port`.
fn addrs(v: &str) -> Vec<String> {
    if v == "-" || v.is_empty() {
        return Vec::new();
    }
    v.split(", ")
        .flat_map(|s| s.split(" : "))
        .map(|s| s.trim().to_string())
        .collect()
}

/// The URI of a request line (`GET /x HTTP/1.0` → `/x`), or the whole
/// line when it is not one (`GARBAGE`).
fn request_uri(rq: &str) -> &str {
    rq.split(' ').nth(1).unwrap_or(rq)
}

/// Access lines by connection number.
fn read_access(text: &str) -> BTreeMap<u64, Access> {
    let mut m = BTreeMap::new();
    for l in text.lines() {
        let cn: u64 = field(l, "cn").parse().expect("cn");
        let a = Access {
            status: field(l, "st").parse().expect("status"),
            addrs: addrs(field(l, "up")),
            statuses: statuses(field(l, "us")),
            uri: request_uri(field(l, "rq")).to_string(),
        };
        assert!(m.insert(cn, a).is_none(), "connection {cn} logged twice");
    }
    m
}

/// The peer of an error line's `upstream:` (`http://127.0.0.1:8080/x` →
/// `127.0.0.1:8080`, `fastcgi://unix:/s.sock:` → `unix:/s.sock`).
fn peer(upstream: &str) -> String {
    let rest = upstream.split_once("://").map_or(upstream, |(_, r)| r);
    if let Some(path) = rest.strip_prefix("unix:") {
        return format!("unix:{}", path.strip_suffix(':').unwrap_or(path));
    }
    rest.split('/').next().unwrap_or(rest).to_string()
}

/// What one scenario must produce.
struct Expect {
    /// The URI prefix of its requests (`/stream-…` for stream servers, the
    /// whole request line when it has no URI).
    uri: &'static str,
    /// The access status of every request.
    status: u16,
    /// The causes of its error.log events, in order.
    causes: &'static [&'static str],
    /// The status was decided by Lua code, not by any one line.
    by_code: bool,
    /// The status its line gives when the configuration, which the line
    /// does not show, changed the client's (`limit_req_status 429`: the
    /// line gives nginx's default, 503).
    line_status: Option<u16>,
}

const fn ex(uri: &'static str, status: u16, causes: &'static [&'static str]) -> Expect {
    Expect {
        uri,
        status,
        causes,
        by_code: false,
        line_status: None,
    }
}

/// Per request (by URI), what each scenario expects. A scenario that sends
/// several requests lists one entry per URI.
const EXPECT: &[Expect] = &[
    ex("/refused/", 502, &["connect-refused"]),
    ex("/ctimeout/", 504, &["connect-timeout"]),
    ex("/rtimeout/", 504, &["read-timeout"]),
    ex("/stimeout/", 504, &["temp-file-buffering", "send-timeout"]),
    ex("/reset-head/", 502, &["connection-reset"]),
    ex("/reset-body/", 200, &["body-truncated"]),
    ex("/invalid/", 502, &["invalid-response"]),
    ex("/http09/", 9, &["invalid-response"]),
    ex("/bighead/", 502, &["header-too-big"]),
    ex("/close-head/", 502, &["premature-close"]),
    ex("/close-body/", 200, &["body-truncated"]),
    ex("/chunked/", 200, &["body-truncated"]),
    ex("/fcgi-missing/", 502, &["unix-socket-missing"]),
    ex("/fcgi-stale/", 502, &["connect-refused"]),
    ex("/fcgi-http/", 502, &["protocol-mismatch"]),
    ex("/php-fatal/", 500, &["app-error"]),
    ex("/php-missing/", 404, &["script-not-found"]),
    ex("/php-warning/", 200, &["fastcgi-stderr"]),
    ex("/uwsgi/", 502, &["connect-refused"]),
    ex("/scgi/", 502, &["connect-refused"]),
    ex("/grpc-http1/", 502, &["protocol-mismatch"]),
    ex("/grpc-closed/", 502, &["connect-refused"]),
    ex("/tls/", 502, &["tls-handshake"]),
    ex("/tls-closed/", 502, &["tls-handshake"]),
    ex("/tls-silent/", 504, &["tls-handshake"]),
    ex("/retry-slow/", 200, &["peer-disabled", "read-timeout"]),
    ex(
        "/dead/1",
        502,
        &[
            "connect-refused",
            "peer-disabled",
            "connect-refused",
            "peer-disabled",
        ],
    ),
    ex("/dead/2", 502, &["no-live-upstreams"]),
    ex("/dead/3", 502, &["no-live-upstreams"]),
    ex("/half/1", 200, &["connect-refused", "peer-disabled"]),
    ex("/half/2", 200, &[]),
    ex("/dns-servfail/", 502, &["dns-failure"]),
    ex("/dns-silent/", 502, &["dns-failure"]),
    ex("/no-resolver/", 502, &["no-resolver"]),
    ex("/temp-locked/", 500, &["file-error"]),
    ex("/lua-error/", 500, &["lua-error"]),
    Expect {
        by_code: true,
        ..ex("/lua-socket/", 502, &["connect-refused", "lua-log"])
    },
    Expect {
        by_code: true,
        ..ex("/lua-timeout/", 504, &["lua-socket-timeout", "lua-log"])
    },
    ex("/lua-exit/", 502, &[]),
    ex("/auth/", 500, &["connect-refused", "auth-request-failed"]),
    ex("/limit-req/1", 200, &[]),
    ex("/limit-req/2", 503, &["rate-limited"]),
    ex("/limit-429/1", 200, &[]),
    Expect {
        line_status: Some(503),
        ..ex("/limit-429/2", 429, &["rate-limited"])
    },
    ex("/limit-conn/1", 200, &[]),
    ex("/limit-conn/2", 503, &["rate-limited"]),
    ex("/body/", 413, &["request-rejected"]),
    ex("/header-timeout/", 408, &["client-abort"]),
    ex("GARBAGE", 400, &["request-rejected"]),
    ex("/gone/", 499, &["client-abort"]),
    ex("/static/", 404, &["not-found"]),
    ex("/deny/", 403, &["forbidden"]),
    ex("/basic/", 401, &["unauthorized"]),
    ex("/cycle/", 500, &["redirect-cycle"]),
    ex("/bad-address/", 500, &["bad-upstream-address"]),
    ex("/return/", 502, &[]),
    ex("/buffered/", 200, &["temp-file-buffering"]),
    ex("/ws/", 101, &["read-timeout"]),
    ex(
        "/stream-refused",
        502,
        &["connection-info", "connect-refused"],
    ),
    ex(
        "/stream-timeout",
        502,
        &["connection-info", "connect-timeout"],
    ),
];

#[test]
fn logs_real_nginx_failures() {
    let started = Instant::now();
    let Some(nginx) = nginx(TEST) else {
        return;
    };
    let Some(stream) = stream_module(&nginx) else {
        skip(TEST, "this nginx has no stream module");
        return;
    };
    let Some(lua) = lua_modules(&nginx) else {
        skip(TEST, "this nginx has no Lua module (libnginx-mod-http-lua)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // Workers of a root master run as `nobody`: they must reach the sockets
    // and files below.
    std::fs::set_permissions(d, PermissionsExt::from_mode(0o755)).expect("chmod");
    for sub in ["logs", "tmp", "html"] {
        std::fs::create_dir_all(d.join(sub)).expect("mkdir");
    }
    std::fs::write(d.join("htpasswd"), "user:{PLAIN}secret\n").expect("htpasswd");
    // A request body temp path nginx may not write: under a directory only
    // root may enter when the workers are `nobody`, else read-only.
    let locked = d.join("locked");
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        std::fs::create_dir(&locked).expect("mkdir");
        std::fs::set_permissions(&locked, PermissionsExt::from_mode(0o700)).expect("chmod");
    } else {
        std::fs::create_dir_all(locked.join("body")).expect("mkdir");
        std::fs::set_permissions(locked.join("body"), PermissionsExt::from_mode(0o500))
            .expect("chmod");
    }

    // Backends.
    let silent = Backend::start(|c, held| {
        if let Ok(mut v) = held.lock() {
            v.push(c);
        }
    });
    // Never reads: a small receive buffer, so that an 8 MB body stalls.
    let deaf_l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let small: libc::c_int = 4096;
    // SAFETY: setsockopt on a socket this test owns, with a valid int.
    unsafe {
        libc::setsockopt(
            deaf_l.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            std::ptr::addr_of!(small).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    let deaf = Backend::on(deaf_l, |c, held| {
        if let Ok(mut v) = held.lock() {
            v.push(c);
        }
    });
    let reset_head = Backend::start(|mut c, _| {
        read_head(&mut c);
        reset(c);
    });
    let reset_body = Backend::start(|mut c, _| {
        read_head(&mut c);
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc");
        thread::sleep(Duration::from_millis(200));
        reset(c);
    });
    let short = Duration::from_millis(100);
    let invalid = Backend::start(answer(
        b"HTTP/1.1 200 OK\r\nBad\x01Header: x\r\n\r\n",
        short,
    ));
    let http09 = Backend::start(answer(b"garbage\r\n\r\n", short));
    let bighead = Backend::start(|mut c, _| {
        read_head(&mut c);
        let mut h = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
        h.resize(h.len() + 4000, b'a');
        h.extend_from_slice(b"\r\n\r\nok");
        let _ = c.write_all(&h);
        thread::sleep(Duration::from_millis(100));
    });
    let close_head = Backend::start(|mut c, _| read_head(&mut c));
    let close_body = Backend::start(answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
        short,
    ));
    let chunked = Backend::start(answer(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
        short,
    ));
    // Answers HTTP/1.1 to whatever comes (an HTTP/2 preface, a ClientHello).
    let http1 = Backend::start(|mut c, _| {
        let mut buf = [0u8; 4096];
        let _ = c.read(&mut buf);
        let _ = c.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        thread::sleep(Duration::from_millis(100));
    });
    let ok = Backend::start(answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        Duration::ZERO,
    ));
    let slow = Backend::start(|mut c, _| {
        read_head(&mut c);
        thread::sleep(Duration::from_millis(1500));
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    // A body larger than the buffers of a client that is slow to read.
    let big_body = Backend::start(|mut c, _| {
        read_head(&mut c);
        let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {BIG}\r\n\r\n").into_bytes();
        r.resize(r.len() + BIG, b'b');
        let _ = c.write_all(&r);
    });
    let php_fatal = Backend::start(fastcgi(
        "PHP Fatal error:  Uncaught Error: Call to undefined function f() in /app/index.php:3",
        "Status: 500 Internal Server Error\r\nContent-Type: text/html\r\n\r\nerror",
    ));
    let php_missing = Backend::start(fastcgi(
        "Primary script unknown",
        "Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\nFile not found.",
    ));
    let php_warning = Backend::start(fastcgi(
        "PHP Warning:  Undefined variable $x in /app/index.php on line 2",
        "Content-Type: text/html\r\n\r\nok",
    ));
    // Reads the ClientHello, then closes (a TLS peer that goes away in the
    // handshake). Closing before nginx has sent anything races with its
    // start of the handshake: nginx then sees an upstream that closed
    // before the response header (`premature-close`), not a handshake.
    let closer = Backend::start(|mut c, _| {
        let mut hello = [0u8; 512];
        let _ = c.read(&mut hello);
    });
    // Switches protocols, then says nothing.
    let upgrade = Backend::start(|mut c, held| {
        read_head(&mut c);
        let _ = c.write_all(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
        );
        if let Ok(mut v) = held.lock() {
            v.push(c);
        }
    });
    // A peer whose accept queue is full: SYNs are dropped, connect() times out.
    let (_full, fillers, full_port) = full_accept_queue();
    // Resolvers: one answers SERVFAIL, one never answers.
    let dns_stop = Arc::new(AtomicBool::new(false));
    let servfail = dns_server(dns_stop.clone(), |_, _| DnsAnswer::ServFail);
    let mute = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let mute_port = mute.local_addr().expect("addr").port();
    // Unix sockets: a path that does not exist, and a socket file nothing
    // listens on (bound, then closed).
    let missing = d.join("missing.sock");
    let stale = d.join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).expect("bind unix"));
    std::fs::set_permissions(&stale, PermissionsExt::from_mode(0o777)).expect("chmod");

    let ports = closed_ports(12);
    let (listen, s_refused, s_timeout) = (ports[0], ports[1], ports[2]);
    let conf = format!(
        "{lua}
{stream}
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log info;
events {{ worker_connections 128; }}
stream {{
    log_format tcp 'cn=$connection st=$status up=\"$upstream_addr\" us=\"-\" rq=\"/stream-$server_port\"';
    access_log {d}/logs/stream.log tcp;
    server {{ listen 127.0.0.1:{s_refused}; proxy_pass 127.0.0.1:{p3}; }}
    server {{ listen 127.0.0.1:{s_timeout}; proxy_connect_timeout 1s; proxy_pass 127.0.0.1:{full_port}; }}
}}
http {{
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    log_format diff 'cn=$connection st=$status up=\"$upstream_addr\" us=\"$upstream_status\" rq=\"$request\"';
    access_log {d}/logs/access.log diff;
    limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=two:1m rate=1r/m;
    limit_conn_zone $binary_remote_addr zone=addr:1m;
    upstream dead {{
        server 127.0.0.1:{p4} max_fails=1;
        server 127.0.0.1:{p5} max_fails=1;
    }}
    upstream retry_slow {{
        server 127.0.0.1:{silent};
        server 127.0.0.1:{ok};
    }}
    upstream half {{
        server 127.0.0.1:{p6};
        server 127.0.0.1:{ok};
    }}
    server {{
        listen 127.0.0.1:{listen};
        client_header_timeout 1s;
        proxy_connect_timeout 1s;
        proxy_read_timeout 1s;
        proxy_send_timeout 1s;
        location /refused/ {{ proxy_pass http://127.0.0.1:{p7}; }}
        location /ctimeout/ {{ proxy_pass http://127.0.0.1:{full_port}; }}
        location /rtimeout/ {{ proxy_pass http://127.0.0.1:{silent}; }}
        location /stimeout/ {{
            client_max_body_size 64m;
            proxy_pass http://127.0.0.1:{deaf};
        }}
        location /reset-head/ {{ proxy_pass http://127.0.0.1:{reset_head}; }}
        location /reset-body/ {{ proxy_pass http://127.0.0.1:{reset_body}; }}
        location /invalid/ {{ proxy_pass http://127.0.0.1:{invalid}; }}
        location /http09/ {{ proxy_pass http://127.0.0.1:{http09}; }}
        location /bighead/ {{ proxy_buffer_size 1k; proxy_pass http://127.0.0.1:{bighead}; }}
        location /close-head/ {{ proxy_pass http://127.0.0.1:{close_head}; }}
        location /close-body/ {{ proxy_pass http://127.0.0.1:{close_body}; }}
        location /chunked/ {{ proxy_http_version 1.1; proxy_pass http://127.0.0.1:{chunked}; }}
        location /fcgi-missing/ {{ fastcgi_pass unix:{missing}; }}
        location /fcgi-stale/ {{ fastcgi_pass unix:{stale}; }}
        location /fcgi-http/ {{ fastcgi_pass 127.0.0.1:{http1}; }}
        location /php-fatal/ {{ fastcgi_pass 127.0.0.1:{php_fatal}; }}
        location /php-missing/ {{ fastcgi_pass 127.0.0.1:{php_missing}; }}
        location /php-warning/ {{ fastcgi_pass 127.0.0.1:{php_warning}; }}
        location /uwsgi/ {{ uwsgi_pass 127.0.0.1:{p8}; }}
        location /scgi/ {{ scgi_pass 127.0.0.1:{p9}; }}
        location /grpc-http1/ {{ grpc_pass grpc://127.0.0.1:{http1}; }}
        location /grpc-closed/ {{ grpc_pass grpc://127.0.0.1:{p10}; }}
        location /tls/ {{ proxy_pass https://127.0.0.1:{http1}; }}
        location /tls-closed/ {{ proxy_pass https://127.0.0.1:{closer}; }}
        location /tls-silent/ {{ proxy_pass https://127.0.0.1:{silent}; }}
        location /retry-slow/ {{ proxy_pass http://retry_slow; }}
        location /dead/ {{ proxy_pass http://dead; }}
        location /half/ {{ proxy_pass http://half; }}
        location /dns-servfail/ {{
            resolver 127.0.0.1:{servfail};
            set $h servfail.test;
            proxy_pass http://$h:80;
        }}
        location /dns-silent/ {{
            resolver 127.0.0.1:{mute_port};
            resolver_timeout 1s;
            set $h silent.test;
            proxy_pass http://$h:80;
        }}
        location /no-resolver/ {{ set $h nowhere.test; proxy_pass http://$h:80; }}
        location /temp-locked/ {{
            client_body_temp_path {d}/locked/body;
            client_body_buffer_size 1k;
            proxy_pass http://127.0.0.1:{ok};
        }}
        location /lua-error/ {{ content_by_lua_block {{ error(\"boom\") }} }}
        location /lua-socket/ {{
            content_by_lua_block {{
                local s = ngx.socket.tcp()
                local ok, err = s:connect(\"127.0.0.1\", {p11})
                if not ok then
                    ngx.log(ngx.ERR, \"failed to connect: \", err)
                    return ngx.exit(502)
                end
            }}
        }}
        location /lua-timeout/ {{
            content_by_lua_block {{
                local s = ngx.socket.tcp()
                s:settimeout(300)
                s:connect(\"127.0.0.1\", {silent})
                local line, err = s:receive()
                if not line then
                    ngx.log(ngx.ERR, \"failed to read: \", err)
                    return ngx.exit(504)
                end
            }}
        }}
        location /lua-exit/ {{ content_by_lua_block {{ ngx.exit(502) }} }}
        location /auth/ {{ auth_request /_auth; proxy_pass http://127.0.0.1:{ok}; }}
        location = /_auth {{ internal; proxy_pass http://127.0.0.1:{p12}; }}
        location /limit-req/ {{ limit_req zone=one; proxy_pass http://127.0.0.1:{ok}; }}
        location /limit-429/ {{
            limit_req zone=two;
            limit_req_status 429;
            proxy_pass http://127.0.0.1:{ok};
        }}
        location /limit-conn/ {{
            limit_conn addr 1;
            proxy_read_timeout 5s;
            proxy_pass http://127.0.0.1:{slow};
        }}
        location /body/ {{ client_max_body_size 1k; proxy_pass http://127.0.0.1:{ok}; }}
        location /gone/ {{ proxy_read_timeout 5s; proxy_pass http://127.0.0.1:{slow}; }}
        location /static/ {{ root {d}/html; }}
        location /deny/ {{ deny all; }}
        location /basic/ {{ auth_basic \"area\"; auth_basic_user_file {d}/htpasswd; }}
        location /cycle/ {{ rewrite ^ /cycle/ last; }}
        location /bad-address/ {{ set $u \"127.0.0.1\"; proxy_pass $u; }}
        location /return/ {{ return 502; }}
        location /buffered/ {{
            proxy_buffers 2 4k;
            proxy_busy_buffers_size 4k;
            proxy_pass http://127.0.0.1:{big_body};
        }}
        location /ws/ {{
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection upgrade;
            proxy_pass http://127.0.0.1:{upgrade};
        }}
    }}
}}
",
        d = d.display(),
        p3 = ports[3],
        p4 = ports[4],
        p5 = ports[5],
        p6 = ports[6],
        p7 = ports[7],
        p8 = ports[8],
        p9 = ports[9],
        p10 = ports[10],
        p11 = ports[11],
        p12 = closed_ports(1)[0],
        ok = ok.port,
        silent = silent.port,
        deaf = deaf.port,
        reset_head = reset_head.port,
        reset_body = reset_body.port,
        invalid = invalid.port,
        http09 = http09.port,
        bighead = bighead.port,
        close_head = close_head.port,
        close_body = close_body.port,
        chunked = chunked.port,
        http1 = http1.port,
        slow = slow.port,
        big_body = big_body.port,
        php_fatal = php_fatal.port,
        php_missing = php_missing.port,
        php_warning = php_warning.port,
        upgrade = upgrade.port,
        closer = closer.port,
        missing = missing.display(),
        stale = stale.display(),
    );
    let conf_path = d.join("nginx.conf");
    std::fs::write(&conf_path, &conf).expect("write conf");
    let mut guard = Nginx::start(&nginx, d, &conf_path);
    // Not by connecting: a probe would be a request of its own.
    crate::diagnose_stream::wait_pid_file(&d.join("nginx.pid"));
    let wait_listen = Instant::now();
    while std::fs::read_to_string(d.join("logs/error.log"))
        .map_or(true, |s| !s.contains("start worker process "))
    {
        assert!(wait_listen.elapsed() < Duration::from_secs(10), "no worker");
        thread::sleep(Duration::from_millis(20));
    }

    // The slow scenarios run side by side; the client's view by URI.
    let seen: Arc<Mutex<BTreeMap<String, Vec<u8>>>> = Arc::default();
    let record = |uri: &str, resp: Vec<u8>| {
        seen.lock().expect("lock").insert(uri.to_string(), resp);
    };
    let mut slow_ones: Vec<JoinHandle<()>> = Vec::new();
    for uri in [
        "/ctimeout/1",
        "/rtimeout/1",
        "/dns-silent/1",
        "/lua-timeout/1",
        "/tls-silent/1",
        "/retry-slow/1",
    ] {
        let seen = seen.clone();
        slow_ones.push(thread::spawn(move || {
            let r = get(listen, uri);
            seen.lock().expect("lock").insert(uri.to_string(), r);
        }));
    }
    {
        let seen = seen.clone();
        slow_ones.push(thread::spawn(move || {
            let r = post(listen, "/stimeout/1", 8 << 20);
            seen.lock().expect("lock").insert("/stimeout/1".into(), r);
        }));
    }
    slow_ones.push(thread::spawn(move || {
        // A request header that never ends: 408 after client_header_timeout.
        let _ = exchange(listen, b"GET /header-timeout/1 HTTP/1.0\r\nHost: t\r\n");
    }));
    slow_ones.push(thread::spawn(move || {
        // The client goes away while the upstream thinks: 499.
        let mut c = TcpStream::connect(("127.0.0.1", listen)).expect("connect");
        c.write_all(b"GET /gone/1 HTTP/1.0\r\nHost: t\r\n\r\n")
            .expect("send");
        thread::sleep(Duration::from_millis(300));
    }));
    for (port, name) in [(s_refused, "refused"), (s_timeout, "timeout")] {
        slow_ones.push(thread::spawn(move || {
            let _ = exchange(port, format!("stream {name}").as_bytes());
        }));
    }
    slow_ones.push(thread::spawn(move || {
        // An idle upgraded connection, closed after proxy_read_timeout.
        let _ = exchange(
            listen,
            b"GET /ws/1 HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
        );
    }));
    {
        let seen = seen.clone();
        slow_ones.push(thread::spawn(move || {
            // A client that reads the response late: nginx buffers it to disk.
            let mut c = TcpStream::connect(("127.0.0.1", listen)).expect("connect");
            c.write_all(b"GET /buffered/1 HTTP/1.0\r\nHost: t\r\n\r\n")
                .expect("send");
            thread::sleep(Duration::from_millis(500));
            c.set_read_timeout(Some(Duration::from_secs(15))).ok();
            let mut out = Vec::new();
            let _ = c.read_to_end(&mut out);
            assert!(out.len() > BIG, "the whole body: {}", out.len());
            seen.lock().expect("lock").insert("/buffered/1".into(), out);
        }));
    }
    {
        let seen = seen.clone();
        slow_ones.push(thread::spawn(move || {
            let r = get(listen, "/limit-conn/1");
            seen.lock().expect("lock").insert("/limit-conn/1".into(), r);
        }));
    }
    thread::sleep(Duration::from_millis(300));
    record("/limit-conn/2", get(listen, "/limit-conn/2"));

    for uri in [
        "/refused/1",
        "/reset-head/1",
        "/reset-body/1",
        "/invalid/1",
        "/http09/1",
        "/bighead/1",
        "/close-head/1",
        "/close-body/1",
        "/chunked/1",
        "/fcgi-missing/1",
        "/fcgi-stale/1",
        "/fcgi-http/1",
        "/php-fatal/1",
        "/php-missing/1",
        "/php-warning/1",
        "/uwsgi/1",
        "/scgi/1",
        "/grpc-http1/1",
        "/grpc-closed/1",
        "/tls/1",
        "/tls-closed/1",
        "/dead/1",
        "/dead/2",
        "/dead/3",
        "/half/1",
        "/half/2",
        "/dns-servfail/1",
        "/no-resolver/1",
        "/lua-error/1",
        "/lua-socket/1",
        "/lua-exit/1",
        "/auth/1",
        "/limit-req/1",
        "/limit-req/2",
        "/limit-429/1",
        "/limit-429/2",
        "/static/1",
        "/deny/1",
        "/basic/1",
        "/cycle/1",
        "/bad-address/1",
        "/return/1",
    ] {
        record(uri, get(listen, uri));
    }
    record("/body/1", post(listen, "/body/1", 10_000));
    record("/temp-locked/1", post(listen, "/temp-locked/1", 4096));
    let _ = exchange(listen, b"GARBAGE\r\n\r\n");
    for h in slow_ones {
        h.join().expect("client thread");
    }
    // A worker killed (as the OOM killer does): the master starts another.
    let log_path = d.join("logs/error.log");
    let text = std::fs::read_to_string(&log_path).expect("error.log");
    let worker: libc::pid_t = text
        .lines()
        .filter_map(|l| l.split("start worker process ").nth(1))
        .next_back()
        .and_then(|p| p.trim().parse().ok())
        .expect("worker pid");
    // SAFETY: signalling the worker of the nginx this test started.
    unsafe { libc::kill(worker, libc::SIGKILL) };
    let killed = Instant::now();
    while !std::fs::read_to_string(&log_path)
        .is_ok_and(|s| s.matches("start worker process ").count() == 2)
    {
        assert!(killed.elapsed() < Duration::from_secs(10), "no new worker");
        thread::sleep(Duration::from_millis(20));
    }
    assert!(guard.quit(), "nginx did not exit on SIGQUIT");
    drop(fillers);
    dns_stop.store(true, Ordering::SeqCst);

    let error_log = std::fs::read_to_string(d.join("logs/error.log")).expect("error.log");
    let mut access =
        read_access(&std::fs::read_to_string(d.join("logs/access.log")).expect("access.log"));
    let stream_log = std::fs::read_to_string(d.join("logs/stream.log")).expect("stream.log");
    for (cn, a) in read_access(&stream_log) {
        let port = a.uri.trim_start_matches("/stream-");
        let name = if port == s_refused.to_string() {
            "/stream-refused"
        } else {
            "/stream-timeout"
        };
        assert!(
            access
                .insert(
                    cn,
                    Access {
                        uri: name.into(),
                        ..a
                    }
                )
                .is_none(),
            "connection {cn} in both logs"
        );
    }

    // What the clients saw agrees with access.log.
    let seen = seen.lock().expect("lock");
    for a in access.values() {
        if let Some(resp) = seen.get(&a.uri) {
            if let Some(st) = client_status(resp) {
                assert_eq!(st, a.status, "client vs access.log for {}", a.uri);
            }
        }
    }

    let out = ngxray(&[
        "logs",
        "--format",
        "ndjson",
        d.join("logs/error.log").to_str().expect("utf8"),
    ]);
    assert!(out.status.success(), "ngxray logs: {}", stderr(&out));
    let events: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson"))
        .collect();
    let physical: u64 = events
        .iter()
        .map(|e| e["lines"].as_u64().expect("lines"))
        .sum();
    assert_eq!(
        physical,
        error_log.lines().count() as u64,
        "every line is in an event"
    );

    let mut by_conn: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    let mut without: BTreeSet<&str> = BTreeSet::new();
    let mut problems = Vec::new();
    for e in &events {
        let cause = e["cause"].as_str().expect("cause");
        let what = format!(
            "{}:{} {cause} {} {}",
            e["file"], e["line"], e["status"], e["message"]
        );
        if cause == "unclassified" || cause == "unparsable" {
            problems.push(format!("unknown cause: {what}"));
        }
        match e["connection"].as_u64() {
            None => {
                without.insert(cause);
                if !e["status"].is_null() {
                    problems.push(format!("status outside a connection: {what}"));
                }
            }
            Some(cn) => {
                let Some(a) = access.get(&cn) else {
                    problems.push(format!("connection {cn} not in access.log: {what}"));
                    continue;
                };
                by_conn.entry(cn).or_default().push(e);
                let Some(st) = e["status"].as_u64() else {
                    continue;
                };
                let st = st as u16;
                let expect = EXPECT.iter().find(|x| a.uri.starts_with(x.uri));
                if st == a.status || expect.and_then(|x| x.line_status) == Some(st) {
                    continue;
                }
                // A retried attempt: its peer is not the last one tried.
                let p = e["upstream"].as_str().map(peer);
                let attempt = p.as_ref().and_then(|p| {
                    let i = a.addrs.iter().position(|x| x == p)?;
                    (i + 1 < a.addrs.len()).then(|| a.statuses.get(i).cloned())?
                });
                if attempt != Some(st.to_string()) {
                    problems.push(format!(
                        "status {st} but access.log says {} (upstreams {:?} {:?}): {what}",
                        a.status, a.addrs, a.statuses
                    ));
                }
            }
        }
    }
    assert!(
        without.contains("lifecycle") && without.contains("worker-crash"),
        "start-up, exit and the killed worker: {without:?}"
    );

    // Per scenario: the access status, the causes, and who explains it.
    for x in EXPECT {
        let reqs: Vec<(&u64, &Access)> = access
            .iter()
            .filter(|(_, a)| a.uri.starts_with(x.uri))
            .collect();
        if reqs.len() != 1 {
            problems.push(format!("{}: {} requests in the logs", x.uri, reqs.len()));
            continue;
        }
        let (cn, a) = reqs[0];
        if a.status != x.status {
            problems.push(format!(
                "{}: access status {} not {}",
                x.uri, a.status, x.status
            ));
        }
        let lines = by_conn.get(cn).cloned().unwrap_or_default();
        let causes: Vec<&str> = lines
            .iter()
            .map(|e| e["cause"].as_str().expect("cause"))
            .collect();
        if causes != x.causes {
            problems.push(format!(
                "{}: causes {causes:?}, expected {:?}",
                x.uri, x.causes
            ));
        }
        let want = x.line_status.unwrap_or(a.status);
        let explained = lines
            .iter()
            .any(|e| e["status"].as_u64() == Some(u64::from(want)));
        if x.by_code {
            if lines.iter().any(|e| !e["status"].is_null()) {
                problems.push(format!("{}: a line claims the status Lua decided", x.uri));
            }
        } else if a.status >= 400 && !lines.is_empty() && !explained {
            problems.push(format!("{}: no line gives the logged {}", x.uri, a.status));
        }
    }
    // The retried attempts, spelled out: the line gives the attempt's
    // status, the client got the next peer's answer.
    for (uri, attempt) in [("/half/1", 502), ("/retry-slow/1", 504)] {
        let (cn, a) = access
            .iter()
            .find(|(_, a)| a.uri == uri)
            .expect("retried request");
        assert_eq!(
            (a.status, a.statuses.clone()),
            (200, vec![attempt.to_string(), "200".to_string()]),
            "{uri}"
        );
        let claimed: Vec<u64> = by_conn[cn]
            .iter()
            .filter_map(|e| e["status"].as_u64())
            .collect();
        assert_eq!(claimed, [attempt], "{uri}");
    }
    let unexpected: Vec<&Access> = access
        .values()
        .filter(|a| !EXPECT.iter().any(|x| a.uri.starts_with(x.uri)))
        .collect();
    if !unexpected.is_empty() {
        problems.push(format!("requests no scenario expects: {unexpected:?}"));
    }
    let checked = events.len();
    eprintln!(
        "{TEST}: {checked} events ({physical} lines) over {} connections, {:.1}s",
        by_conn.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        problems.is_empty(),
        "{}\n\nerror.log:\n{error_log}",
        problems.join("\n")
    );
}
