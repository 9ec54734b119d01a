//! One probe of one peer address: connect (TCP or unix socket) within the
//! connect timeout, the TLS handshake (nginx bounds it by the connect
//! timeout too), then the first exchange of the protocol nginx speaks —
//! an HTTP/1.x request (response head parsed with httparse), a FastCGI
//! `FCGI_GET_VALUES` record, an HTTP/2 connection preface for gRPC, a
//! memcached `version`. Every failure is named by the error.log cause id
//! the same failure gets from nginx (`src/logs/causes.rs`).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};

use super::target::{PeerSettings, Protocol};
use super::tls::{self, TlsReport};

/// A failed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error.log cause id (`None`: no nginx log line stands for it).
    pub cause: Option<&'static str>,
    pub detail: String,
}

fn fail(cause: &'static str, detail: impl Into<String>) -> Failure {
    Failure {
        cause: Some(cause),
        detail: detail.into(),
    }
}

/// The outcome of each step of one probe.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    pub connect_ms: Option<u64>,
    pub tls: Option<TlsReport>,
    /// The request sent, in one line (`HEAD / HTTP/1.0, Host: api`).
    pub request: Option<String>,
    pub status: Option<u16>,
    /// What the backend answered, in a few words.
    pub response: Option<String>,
    pub failure: Option<Failure>,
    /// The step that failed: `connect`, `tls`, `send`, `read`.
    pub failed_step: Option<&'static str>,
}

/// Where to connect.
#[derive(Debug, Clone)]
pub enum Peer<'a> {
    Tcp(SocketAddr),
    Unix(&'a Path),
}

enum Plain {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Read for Plain {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Plain::Tcp(s) => s.read(buf),
            Plain::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Plain {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Plain::Tcp(s) => s.write(buf),
            Plain::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Plain::Tcp(s) => s.flush(),
            Plain::Unix(s) => s.flush(),
        }
    }
}

impl Plain {
    fn set_timeouts(&self, d: Duration) -> io::Result<()> {
        // a zero timeout means "block forever" to the OS
        let d = Some(d.max(Duration::from_millis(1)));
        match self {
            Plain::Tcp(s) => s.set_read_timeout(d).and_then(|()| s.set_write_timeout(d)),
            Plain::Unix(s) => s.set_read_timeout(d).and_then(|()| s.set_write_timeout(d)),
        }
    }
}

enum Conn {
    Plain(Plain),
    Tls(Box<StreamOwned<ClientConnection, Plain>>),
}

impl Conn {
    fn set_timeouts(&self, d: Duration) -> io::Result<()> {
        match self {
            Conn::Plain(p) => p.set_timeouts(d),
            Conn::Tls(t) => t.sock.set_timeouts(d),
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) || e.raw_os_error() == Some(libc_errno::ETIMEDOUT)
}

/// errno values nginx's log lines carry (Linux numbering).
mod libc_errno {
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const EAGAIN: i32 = 11;
    pub const EACCES: i32 = 13;
    pub const ENOTDIR: i32 = 20;
    pub const EPIPE: i32 = 32;
    pub const EADDRNOTAVAIL: i32 = 99;
    pub const ENETDOWN: i32 = 100;
    pub const ENETUNREACH: i32 = 101;
    pub const ECONNRESET: i32 = 104;
    pub const ETIMEDOUT: i32 = 110;
    pub const ECONNREFUSED: i32 = 111;
    pub const EHOSTDOWN: i32 = 112;
    pub const EHOSTUNREACH: i32 = 113;
}

/// An OS error as nginx prints it: `(111: Connection refused)`.
fn errno_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => {
            let s = e.to_string();
            let msg = s.split(" (os error").next().unwrap_or(&s);
            format!("({n}: {msg})")
        }
        None => format!("({e})"),
    }
}

/// A `connect()` error as nginx logs it.
fn connect_failure(e: &io::Error, unix: bool, timeout: Duration) -> Failure {
    use libc_errno::*;
    let text = format!("connect() failed {}", errno_text(e));
    // EAGAIN on connect is a full listen queue, not a timeout
    if e.raw_os_error() == Some(EAGAIN) {
        return fail("backend-busy", text);
    }
    if is_timeout(e) {
        return fail(
            "connect-timeout",
            format!(
                "upstream timed out: no connection within {} ms",
                timeout.as_millis()
            ),
        );
    }
    match e.raw_os_error() {
        Some(ECONNREFUSED) => fail("connect-refused", text),
        Some(ENOENT | ENOTDIR) if unix => fail("unix-socket-missing", text),
        Some(EACCES | EPERM) => fail("permission-denied", text),
        Some(EHOSTUNREACH | ENETUNREACH | EHOSTDOWN | ENETDOWN | 65) => {
            fail("connect-unreachable", text)
        }
        Some(EAGAIN) => fail("backend-busy", text),
        Some(EADDRNOTAVAIL) => fail("resource-exhaustion", text),
        Some(ECONNRESET | EPIPE) => fail("connection-reset", text),
        _ => Failure {
            cause: None,
            detail: text,
        },
    }
}

/// A read or write error while talking to the peer.
fn io_failure(e: &io::Error, step: &str, got_bytes: bool, timeout: Duration) -> Failure {
    if is_timeout(e) {
        let (cause, what) = if step == "send" {
            ("send-timeout", "sending the request")
        } else {
            ("read-timeout", "reading the response header")
        };
        return fail(
            cause,
            format!("upstream timed out {what} after {} ms", timeout.as_millis()),
        );
    }
    match e.raw_os_error() {
        Some(libc_errno::ECONNRESET | libc_errno::EPIPE) => fail(
            "connection-reset",
            if step == "send" {
                format!(
                    "send() failed {} while sending request to upstream",
                    errno_text(e)
                )
            } else {
                format!(
                    "recv() failed {} while reading response header from upstream",
                    errno_text(e)
                )
            },
        ),
        _ if e.kind() == io::ErrorKind::UnexpectedEof => fail(
            "premature-close",
            if got_bytes {
                "upstream prematurely closed connection while reading response header"
            } else {
                "upstream prematurely closed connection before sending anything"
            },
        ),
        _ => Failure {
            cause: None,
            detail: format!("{e} while {step}ing"),
        },
    }
}

/// Connect to a unix socket the way nginx does, without blocking: a full
/// listen queue fails at once with `(11: Resource temporarily
/// unavailable)` (`backend-busy`) instead of waiting for room.
#[cfg(target_os = "linux")]
fn unix_connect(path: &Path) -> io::Result<UnixStream> {
    use std::os::fd::FromRawFd;
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: socket() has no preconditions; the descriptor is owned by
    // the UnixStream right away, which closes it.
    let stream = unsafe {
        let fd = libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        UnixStream::from_raw_fd(fd)
    };
    // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() >= addr.sun_path.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "unix socket path too long",
        ));
    }
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
    use std::os::fd::AsRawFd;
    // SAFETY: addr is a valid sockaddr_un of at least `len` bytes.
    let rc = unsafe {
        libc::connect(
            stream.as_raw_fd(),
            &addr as *const libc::sockaddr_un as *const libc::sockaddr,
            len as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    stream.set_nonblocking(false)?;
    Ok(stream)
}

#[cfg(not(target_os = "linux"))]
fn unix_connect(path: &Path) -> io::Result<UnixStream> {
    UnixStream::connect(path)
}

/// Time left before `end`, at most `cap`.
fn left(end: Instant, cap: Duration) -> Duration {
    end.saturating_duration_since(Instant::now()).min(cap)
}

/// Run one probe. `deadline` is the global one; each step also has its
/// own effective timeout.
pub fn probe(
    peer: &Peer<'_>,
    s: &PeerSettings,
    method: &str,
    path: &str,
    deadline: Instant,
) -> Exchange {
    let mut ex = Exchange::default();
    let connect_to = Duration::from_millis(s.connect_timeout_ms);
    let start = Instant::now();
    let limit = left(deadline, connect_to);
    if limit.is_zero() {
        ex.failure = Some(Failure {
            cause: None,
            detail: "the global deadline (--timeout) passed before the connect".into(),
        });
        ex.failed_step = Some("connect");
        return ex;
    }
    let plain = match peer {
        Peer::Tcp(a) => TcpStream::connect_timeout(a, limit).map(Plain::Tcp),
        Peer::Unix(p) => unix_connect(p).map(Plain::Unix),
    };
    let plain = match plain {
        Ok(p) => p,
        Err(e) => {
            let mut f = connect_failure(&e, matches!(peer, Peer::Unix(_)), limit);
            if f.cause == Some("connect-timeout") && limit < connect_to {
                f.cause = None;
                f.detail = format!(
                    "the global deadline (--timeout) cut the connect after {} ms (connect timeout {} ms)",
                    limit.as_millis(),
                    connect_to.as_millis()
                );
            }
            ex.failure = Some(f);
            ex.failed_step = Some("connect");
            return ex;
        }
    };
    ex.connect_ms = Some(start.elapsed().as_millis() as u64);
    let mut conn = Conn::Plain(plain);
    if let Some(t) = &s.tls {
        // nginx bounds the handshake by the connect timeout
        let hs_end = Instant::now() + left(deadline, connect_to);
        match handshake(conn, t, hs_end) {
            (Ok(c), report) => {
                ex.tls = Some(report);
                conn = c;
            }
            (Err(f), report) => {
                ex.tls = Some(report);
                ex.failure = Some(f);
                ex.failed_step = Some("tls");
                return ex;
            }
        }
    }
    let r = match s.protocol {
        Protocol::Http => http(&mut conn, s, method, path, deadline, &mut ex),
        Protocol::Fastcgi => fastcgi(&mut conn, s, deadline, &mut ex),
        Protocol::Grpc => grpc(&mut conn, s, deadline, &mut ex),
        Protocol::Memcached => memcached(&mut conn, s, deadline, &mut ex),
        Protocol::Uwsgi | Protocol::Scgi | Protocol::Tcp => Ok(()),
    };
    if let Err((step, f)) = r {
        ex.failure = Some(f);
        ex.failed_step = Some(step);
    }
    ex
}

fn handshake(
    conn: Conn,
    t: &super::target::TlsSettings,
    end: Instant,
) -> (Result<Conn, Failure>, TlsReport) {
    let mut report = TlsReport {
        sni: t.send_sni.then(|| t.name.clone()),
        name: t.name.clone(),
        verify: t.verify,
        trusted_certificate: t
            .trusted_certificate
            .as_ref()
            .map(|p| p.display().to_string()),
        verify_depth: t.verify_depth,
        ..TlsReport::default()
    };
    let Conn::Plain(plain) = conn else {
        return (Err(fail("tls-handshake", "already encrypted")), report);
    };
    let client = match tls::client(t, &mut report) {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(e.clone());
            return (Err(fail("tls-handshake", e)), report);
        }
    };
    let conn = match ClientConnection::new(client.config.clone(), client.server_name.clone()) {
        Ok(c) => c,
        Err(e) => {
            report.error = Some(e.to_string());
            return (Err(fail("tls-handshake", e.to_string())), report);
        }
    };
    let mut stream = StreamOwned::new(conn, plain);
    let mut result = Ok(());
    while stream.conn.is_handshaking() {
        let d = left(end, Duration::MAX);
        if d.is_zero() {
            result = Err(io::Error::from(io::ErrorKind::TimedOut));
            break;
        }
        if let Err(e) = stream.sock.set_timeouts(d) {
            result = Err(e);
            break;
        }
        if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
            result = Err(e);
            break;
        }
    }
    report.certificate = client
        .peer_certificate()
        .and_then(|der| tls::cert_info(&der));
    if let Err(e) = result {
        let detail = if is_timeout(&e) {
            "upstream timed out while SSL handshaking".to_string()
        } else if e.kind() == io::ErrorKind::UnexpectedEof {
            "peer closed connection in SSL handshake".to_string()
        } else {
            format!("SSL_do_handshake() failed: {e}")
        };
        report.error = Some(detail.clone());
        return (Err(fail("tls-handshake", detail)), report);
    }
    report.version = stream
        .conn
        .protocol_version()
        .map(|v| format!("{v:?}").replace('_', "."));
    report.cipher = stream
        .conn
        .negotiated_cipher_suite()
        .map(|c| format!("{:?}", c.suite()));
    report.alpn = stream
        .conn
        .alpn_protocol()
        .map(|a| String::from_utf8_lossy(a).into_owned());
    (Ok(Conn::Tls(Box::new(stream))), report)
}

type StepResult = Result<(), (&'static str, Failure)>;

fn send(conn: &mut Conn, bytes: &[u8], s: &PeerSettings, deadline: Instant) -> StepResult {
    let to = Duration::from_millis(s.send_timeout_ms);
    let d = left(deadline, to);
    conn.set_timeouts(d)
        .and_then(|()| conn.write_all(bytes))
        .and_then(|()| conn.flush())
        .map_err(|e| ("send", io_failure(&e, "send", false, d)))
}

/// Read until `done` says the bytes so far are enough, within the read
/// timeout; at most `max` bytes.
fn read_until(
    conn: &mut Conn,
    s: &PeerSettings,
    deadline: Instant,
    max: usize,
    mut done: impl FnMut(&[u8]) -> bool,
) -> Result<Vec<u8>, (&'static str, Failure)> {
    let to = Duration::from_millis(s.read_timeout_ms);
    let end = Instant::now() + left(deadline, to);
    let cut = left(deadline, to) < to;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let d = left(end, Duration::MAX);
        let r = if d.is_zero() {
            Err(io::Error::from(io::ErrorKind::TimedOut))
        } else {
            conn.set_timeouts(d).and_then(|()| conn.read(&mut chunk))
        };
        match r {
            Ok(0) => {
                let e = io::Error::from(io::ErrorKind::UnexpectedEof);
                return Err(("read", io_failure(&e, "read", !buf.is_empty(), to)));
            }
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if done(&buf) || buf.len() >= max {
                    return Ok(buf);
                }
            }
            Err(e) => {
                let mut f = io_failure(&e, "read", !buf.is_empty(), to);
                if cut && f.cause == Some("read-timeout") {
                    f.cause = None;
                    f.detail =
                        "the global deadline (--timeout) cut the wait for the response".into();
                }
                return Err(("read", f));
            }
        }
    }
}

fn http(
    conn: &mut Conn,
    s: &PeerSettings,
    method: &str,
    path: &str,
    deadline: Instant,
    ex: &mut Exchange,
) -> StepResult {
    let version = if s.http_version == "1.1" {
        "1.1"
    } else {
        "1.0"
    };
    let req = format!(
        "{method} {path} HTTP/{version}\r\nHost: {}\r\nUser-Agent: ngxray-probe\r\nConnection: close\r\n\r\n",
        s.host_header
    );
    ex.request = Some(format!(
        "{method} {path} HTTP/{version}, Host: {}",
        s.host_header
    ));
    send(conn, req.as_bytes(), s, deadline)?;
    let max = s.buffer_size.max(1);
    let head_done = |b: &[u8]| {
        let mut headers = [httparse::EMPTY_HEADER; 100];
        let mut r = httparse::Response::new(&mut headers);
        !matches!(r.parse(b), Ok(httparse::Status::Partial))
    };
    let buf = read_until(conn, s, deadline, max, head_done)?;
    let mut headers = [httparse::EMPTY_HEADER; 100];
    let mut r = httparse::Response::new(&mut headers);
    match r.parse(&buf) {
        Ok(httparse::Status::Complete(_)) => {
            let code = r.code.unwrap_or(0);
            ex.status = Some(code);
            ex.response = Some(format!("{code} {}", r.reason.unwrap_or("")).trim().to_string());
            if code >= 500 {
                return Err((
                    "read",
                    Failure {
                        cause: None,
                        detail: format!(
                            "the backend answered {code}: nginx passes it on as is"
                        ),
                    },
                ));
            }
            Ok(())
        }
        Ok(httparse::Status::Partial) if buf.len() >= max => Err((
            "read",
            fail(
                "header-too-big",
                format!(
                    "upstream sent too big header: more than {max} bytes (the effective *_buffer_size)"
                ),
            ),
        )),
        Ok(httparse::Status::Partial) => Err((
            "read",
            fail("premature-close", "upstream prematurely closed connection while reading response header"),
        )),
        Err(e) => Err((
            "read",
            fail(
                "invalid-response",
                format!(
                    "upstream sent no valid HTTP/1.0 header ({e}): {}",
                    preview(&buf)
                ),
            ),
        )),
    }
}

/// The first bytes of an answer, printable.
fn preview(b: &[u8]) -> String {
    let s: String = String::from_utf8_lossy(&b[..b.len().min(32)])
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    format!("\"{s}\"")
}

/// `FCGI_GET_VALUES` for the three management variables; the answer must
/// be an `FCGI_GET_VALUES_RESULT` record.
fn fastcgi(conn: &mut Conn, s: &PeerSettings, deadline: Instant, ex: &mut Exchange) -> StepResult {
    let mut body = Vec::new();
    for name in ["FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"] {
        body.push(name.len() as u8);
        body.push(0);
        body.extend_from_slice(name.as_bytes());
    }
    let mut rec = vec![
        1u8,
        9,
        0,
        0,
        (body.len() >> 8) as u8,
        body.len() as u8,
        0,
        0,
    ];
    rec.extend_from_slice(&body);
    ex.request = Some("FCGI_GET_VALUES".into());
    send(conn, &rec, s, deadline)?;
    let buf = read_until(conn, s, deadline, 65_536, |b| {
        b.len() >= 8 && b.len() >= 8 + ((b[4] as usize) << 8 | b[5] as usize) + b[6] as usize
            || b.first().is_some_and(|&v| v != 1)
    })?;
    match buf.first() {
        Some(&1) if buf.get(1) == Some(&10) => {
            let len = (buf[4] as usize) << 8 | buf[5] as usize;
            let vals = parse_fcgi_pairs(&buf[8..(8 + len).min(buf.len())]);
            ex.response = Some(if vals.is_empty() {
                "FCGI_GET_VALUES_RESULT".into()
            } else {
                format!("FCGI_GET_VALUES_RESULT {}", vals.join(" "))
            });
            Ok(())
        }
        Some(&1) => {
            ex.response = Some(format!(
                "FastCGI record type {}",
                buf.get(1).copied().unwrap_or(0)
            ));
            Ok(())
        }
        Some(&v) => Err((
            "read",
            fail(
                if v == b'H' {
                    "protocol-mismatch"
                } else {
                    "invalid-response"
                },
                format!(
                    "upstream sent unsupported FastCGI protocol version: {v} ({})",
                    preview(&buf)
                ),
            ),
        )),
        None => Err((
            "read",
            fail("premature-close", "upstream closed the connection"),
        )),
    }
}

fn parse_fcgi_pairs(mut b: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let len = |b: &mut &[u8]| -> Option<usize> {
        let first = *b.first()?;
        if first & 0x80 == 0 {
            *b = &b[1..];
            Some(first as usize)
        } else {
            let v = b.get(..4)?;
            let n = ((v[0] & 0x7f) as usize) << 24
                | (v[1] as usize) << 16
                | (v[2] as usize) << 8
                | v[3] as usize;
            *b = &b[4..];
            Some(n)
        }
    };
    while !b.is_empty() {
        let (Some(nl), Some(vl)) = (len(&mut b), len(&mut b)) else {
            break;
        };
        let (Some(n), Some(v)) = (b.get(..nl), b.get(nl..nl + vl)) else {
            break;
        };
        out.push(format!(
            "{}={}",
            String::from_utf8_lossy(n),
            String::from_utf8_lossy(v)
        ));
        b = &b[nl + vl..];
    }
    out
}

/// The client connection preface and an empty SETTINGS frame; the server's
/// first frame must be SETTINGS.
fn grpc(conn: &mut Conn, s: &PeerSettings, deadline: Instant, ex: &mut Exchange) -> StepResult {
    let mut pre = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    pre.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    ex.request = Some("HTTP/2 connection preface".into());
    send(conn, &pre, s, deadline)?;
    let buf = read_until(conn, s, deadline, 9, |b| b.len() >= 9)?;
    if buf.len() >= 9 && buf[3] == 4 {
        ex.response = Some("HTTP/2 SETTINGS".into());
        return Ok(());
    }
    let len = (buf[0] as u32) << 16
        | (buf.get(1).copied().unwrap_or(0) as u32) << 8
        | buf.get(2).copied().unwrap_or(0) as u32;
    let cause = if buf.starts_with(b"HTT") {
        "protocol-mismatch"
    } else {
        "invalid-response"
    };
    Err((
        "read",
        fail(
            cause,
            format!(
                "upstream sent too large http2 frame: {len} ({}; not an HTTP/2 server)",
                preview(&buf)
            ),
        ),
    ))
}

fn memcached(
    conn: &mut Conn,
    s: &PeerSettings,
    deadline: Instant,
    ex: &mut Exchange,
) -> StepResult {
    ex.request = Some("version".into());
    send(conn, b"version\r\n", s, deadline)?;
    let buf = read_until(conn, s, deadline, 1024, |b| b.ends_with(b"\r\n"))?;
    if buf.starts_with(b"VERSION ") {
        ex.response = Some(String::from_utf8_lossy(&buf).trim().to_string());
        Ok(())
    } else {
        Err((
            "read",
            fail(
                "invalid-response",
                format!("memcached sent invalid response: {}", preview(&buf)),
            ),
        ))
    }
}
