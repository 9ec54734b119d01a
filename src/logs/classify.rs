//! The classifier: a parsed line → (cause, status, hint).
//!
//! It walks the cause table ([`super::causes::CAUSES`]) in order, so the
//! context a line was logged in can decide before its errno (a reset during
//! the TLS handshake is a TLS failure, errors while resolving are DNS,
//! anything at error level while reading the body is a truncated body). To
//! keep the hot path cheap, signatures are indexed by the first byte of their
//! message prefix; a line only tries the signatures that can match it.

use std::sync::OnceLock;

use memchr::memmem::Finder;

use super::causes::{self, CauseId, Levels, Phase, Sig, Text, CAUSES};
use super::line::{self, Line};

/// What the classifier says about one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub cause: CauseId,
    /// Status the failure produces when final; `None` when already sent or
    /// not a request failure.
    pub status: Option<u16>,
}

/// A signature compiled for the hot path: actions become a bit mask,
/// substring searches get a prebuilt searcher.
struct Compiled {
    cause: CauseId,
    sig: &'static Sig,
    /// Accepted actions as bits of [`Tables::actions`]; `None` = any.
    phases: Option<u64>,
    prefix: &'static [u8],
    /// The first 16 bytes of `prefix` (zero-padded) and a mask of the bytes
    /// it covers: most prefixes are decided by one 128-bit compare.
    head: u128,
    head_mask: u128,
    contains: Option<Finder<'static>>,
}

/// First 16 bytes of `s`, zero-padded, as a little-endian integer.
fn head16(s: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    let n = s.len().min(16);
    b[..n].copy_from_slice(&s[..n]);
    u128::from_le_bytes(b)
}

struct Tables {
    /// Every action named by a signature.
    actions: Vec<&'static [u8]>,
    /// Per first byte of the message: the signatures to try, in table order.
    by_first_byte: Vec<Vec<usize>>,
    sigs: Vec<Compiled>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut actions: Vec<&'static [u8]> = Vec::new();
        let mut sigs = Vec::new();
        let mut by_first_byte: Vec<Vec<usize>> = vec![Vec::new(); 256];
        for (ci, cause) in CAUSES.iter().enumerate() {
            for sig in cause.sigs {
                let phases = match sig.phase {
                    Phase::Any => None,
                    Phase::OneOf(list) => {
                        let mut mask = 0u64;
                        for a in list {
                            let i = match actions.iter().position(|x| *x == a.as_bytes()) {
                                Some(i) => i,
                                None => {
                                    actions.push(a.as_bytes());
                                    actions.len() - 1
                                }
                            };
                            assert!(i < 64, "more than 64 distinct actions in the cause table");
                            mask |= 1 << i;
                        }
                        Some(mask)
                    }
                };
                let (prefix, contains): (&'static [u8], Option<&'static str>) = match sig.text {
                    Text::Any => (b"", None),
                    Text::Prefix(p) => (p.as_bytes(), None),
                    Text::PrefixContains(p, c) => (p.as_bytes(), Some(c)),
                    Text::Contains(c) => (b"", Some(c)),
                };
                let n = sigs.len();
                let covered = prefix.len().min(16);
                let head_mask = if covered == 16 {
                    u128::MAX
                } else {
                    (1u128 << (covered * 8)) - 1
                };
                sigs.push(Compiled {
                    cause: ci as CauseId,
                    sig,
                    phases,
                    prefix,
                    head: head16(prefix),
                    head_mask,
                    contains: contains.map(|c| Finder::new(c.as_bytes()).into_owned()),
                });
                match prefix.first() {
                    Some(&b) => by_first_byte[b as usize].push(n),
                    None => by_first_byte.iter_mut().for_each(|v| v.push(n)),
                }
            }
        }
        Tables {
            actions,
            by_first_byte,
            sigs,
        }
    })
}

fn sig_matches(
    c: &Compiled,
    line: &Line<'_>,
    action_bit: u64,
    head: u128,
    errno: Option<i32>,
) -> bool {
    if head & c.head_mask != c.head {
        return false;
    }
    let sig = c.sig;
    if let Some(mask) = c.phases {
        if mask & action_bit == 0 {
            return false;
        }
    }
    if !sig.errno.is_empty() {
        match errno {
            Some(code) if sig.errno.contains(&code) => {}
            _ => return false,
        }
    }
    // A line without a level (pasted without its prefix) is taken as the
    // error it almost always is.
    if sig.levels != Levels::Any
        && !causes::levels_match(
            sig.levels,
            line.level.or(Some(super::line::Level::Error)),
            line.cid.is_some(),
        )
    {
        return false;
    }
    if sig.config_location && line.config_location.is_none() {
        return false;
    }
    let m = line.message;
    if c.prefix.len() > 16 && !m.starts_with(c.prefix) {
        return false;
    }
    match &c.contains {
        None => true,
        Some(f) => f.find(&m[c.prefix.len()..]).is_some(),
    }
}

/// The bit of a line's action in [`Tables::actions`] (0 when the table names
/// no such action).
fn action_bit(t: &Tables, action: Option<&[u8]>) -> u64 {
    match action {
        Some(a) => t
            .actions
            .iter()
            .position(|x| x.len() == a.len() && line::starts_with_short(a, x))
            .map_or(0, |i| 1u64 << i),
        None => 0,
    }
}

/// Classify a parsed line.
pub fn classify(line: &Line<'_>) -> Verdict {
    let v = classify_head(line);
    stream_status(line, v)
}

/// The table's verdict, which depends only on what the memo keys on.
fn classify_head(line: &Line<'_>) -> Verdict {
    let t = tables();
    let errno = line
        .errno
        .map(|(code, text)| line::canonical_errno(code, text));
    classify_with(t, line, action_bit(t, line.action), errno)
}

/// Is this a stream{} (TCP/UDP proxy) line? Stream tails carry byte
/// counters or an upstream without a scheme, and never a request.
pub fn is_stream(line: &Line<'_>) -> bool {
    let f = &line.fields;
    if f.request.is_some() || f.login.is_some() {
        return false;
    }
    f.bytes_client.is_some()
        || f.bytes_upstream.is_some()
        || f.udp
        || f.upstream
            .is_some_and(|u| memchr::memmem::find(u, b"://").is_none())
        // A request failure without a request: the session's server is the
        // listen address (`0.0.0.0:9000`), as in a stream name resolution.
        || f.server.is_some_and(|s| {
            s.last().is_some_and(u8::is_ascii_digit) && memchr::memrchr(b':', s).is_some()
        })
}

/// The status the line's client gets, from what the table says and the
/// line's context (the memo keys on the head only, so this comes after):
///
/// * a line logged outside any client connection (no `client:`; timers,
///   `context: ngx.timer`) produces no status;
/// * a `connect()`/`recv()`/`send()` failure without ` while ACTION` and
///   without `upstream:` is a Lua cosocket's: the Lua code decides;
/// * stream{} sessions: a timeout while connecting (or in the upstream TLS
///   handshake) ends the session with 502, not 504, and a name that cannot
///   be resolved with 500 (`ngx_stream_proxy_module.c`).
fn stream_status(line: &Line<'_>, mut v: Verdict) -> Verdict {
    if v.status.is_none() {
        return v;
    }
    // Pasted lines (no level) keep the table's status.
    if line.level.is_some() && line.fields.client.is_none() {
        v.status = None;
        return v;
    }
    if line.action.is_none()
        && line.fields.upstream.is_none()
        && line.fields.request.is_some()
        && line.errno.is_some()
        && [
            &b"connect()"[..],
            b"recv()",
            b"send()",
            b"writev()",
            b"readv()",
        ]
        .iter()
        .any(|p| line.message.starts_with(p))
    {
        v.status = None;
        return v;
    }
    if !is_stream(line) {
        return v;
    }
    let id = causes::cause(v.cause).id;
    if id == "dns-failure" || id == "no-resolver" {
        v.status = Some(500);
    } else if v.status == Some(504) {
        v.status = Some(502);
    }
    v
}

/// Classify a line pasted without its date and level: its verdict, or
/// `None` when the message is not one the table knows (then it is not a
/// log line at all).
pub fn classify_bare(line: &Line<'_>) -> Option<Verdict> {
    let v = classify(line);
    (v.cause != causes::unclassified()).then_some(v)
}

fn classify_with(t: &Tables, line: &Line<'_>, action_bit: u64, errno: Option<i32>) -> Verdict {
    let first = line.message.first().copied().unwrap_or(0);
    let head = head16(line.message);
    for &i in &t.by_first_byte[first as usize] {
        let c = &t.sigs[i];
        if sig_matches(c, line, action_bit, head, errno) {
            return Verdict {
                cause: c.cause,
                status: c.sig.status,
            };
        }
    }
    Verdict {
        cause: causes::unclassified(),
        status: None,
    }
}

/// One remembered verdict.
#[derive(Default)]
struct Memo {
    hash: u64,
    facts: u64,
    head: Vec<u8>,
    verdict: Option<Verdict>,
}

/// Lines whose message and action are longer than this are classified
/// without the memo.
const MEMO_MAX_HEAD: usize = 256;
/// Memo slots: 256 sets of two.
const MEMO_SLOTS: usize = 512;

/// Slot hash of a head: its length and its first and last 16 bytes (the
/// message start, the errno and the action). A collision only costs a
/// miss: a hit compares the whole head.
fn memo_hash(head: &[u8], facts: u64) -> u64 {
    let n = head.len();
    let (a, b, c, d) = if n >= 16 {
        (
            word_at(head, 0),
            word_at(head, 8),
            word_at(head, n - 16),
            word_at(head, n - 8),
        )
    } else {
        let mut w = [0u8; 16];
        w[..n].copy_from_slice(head);
        let lo = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        let hi = u64::from_le_bytes([w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15]]);
        (lo, hi, 0, 0)
    };
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let x =
        (a ^ c.rotate_left(17)).wrapping_mul(K) ^ (b ^ d.rotate_left(29)).wrapping_mul(K ^ 0xff);
    (x ^ (n as u64) << 40 ^ facts).wrapping_mul(K)
}

fn word_at(s: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&s[i..i + 8]);
    u64::from_le_bytes(a)
}

/// A classifier that remembers recent verdicts. A verdict depends only on
/// the line's head (message, errno and action, which also decide the
/// configuration location), its level and whether it has a connection
/// number, and the same heads recur line after line, so a small
/// direct-mapped memo keyed by exactly those answers most lines without
/// walking the signature table. One per worker thread; [`classify`] is the
/// uncached equivalent.
pub struct Classifier {
    memo: Vec<Memo>,
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new()
    }
}

impl Classifier {
    pub fn new() -> Classifier {
        Classifier {
            memo: (0..MEMO_SLOTS).map(|_| Memo::default()).collect(),
        }
    }

    /// Same result as [`classify`].
    pub fn classify(&mut self, line: &Line<'_>) -> Verdict {
        let v = self.classify_head(line);
        stream_status(line, v)
    }

    fn classify_head(&mut self, line: &Line<'_>) -> Verdict {
        let head = line.head;
        if head.len() > MEMO_MAX_HEAD {
            return classify_head(line);
        }
        let facts = line.level.map_or(0, |l| l as u64 + 1) | u64::from(line.cid.is_some()) << 8;
        let hash = memo_hash(head, facts);
        // Two-way set associative: the most recent entry of a set is at
        // its even slot, the one before at the odd slot.
        let i = (hash >> 56) as usize * 2 % MEMO_SLOTS;
        for j in [i, i + 1] {
            let slot = &self.memo[j];
            if let Some(v) = &slot.verdict {
                if slot.hash == hash && slot.facts == facts && slot.head == head {
                    let v = v.clone();
                    if j != i {
                        self.memo.swap(i, j);
                    }
                    return v;
                }
            }
        }
        let v = classify_head(line);
        self.memo.swap(i, i + 1);
        let slot = &mut self.memo[i];
        slot.hash = hash;
        slot.facts = facts;
        slot.head.clear();
        slot.head.extend_from_slice(head);
        slot.verdict = Some(v.clone());
        v
    }
}

/// The verdict for a line that did not parse.
pub fn unparsable() -> Verdict {
    Verdict {
        cause: causes::unparsable(),
        status: None,
    }
}

/// Decode tell-tale numbers in a message: the FastCGI version byte and the
/// HTTP/2 frame length are the first bytes the backend sent.
pub fn hint(line: &Line<'_>) -> Option<String> {
    let m = line.message;
    if let Some(v) = m.strip_prefix(b"upstream sent unsupported FastCGI protocol version: ") {
        let n: u32 = std::str::from_utf8(v).ok()?.trim().parse().ok()?;
        let c = u8::try_from(n).ok()?;
        return Some(if c == b'H' {
            "version 72 is 'H': an HTTP server answers on the FastCGI port (fastcgi_pass to an HTTP backend)".to_string()
        } else if c.is_ascii_graphic() {
            format!(
                "version {n} is '{}': the backend does not speak FastCGI",
                c as char
            )
        } else if n == 0 {
            "version 0: a desynchronised stream, often FastCGI keepalive without fastcgi_keep_conn on".to_string()
        } else {
            format!("version {n}: the backend does not speak FastCGI")
        });
    }
    if let Some(v) = m.strip_prefix(b"upstream sent too large http2 frame: ") {
        let n: u32 = std::str::from_utf8(v).ok()?.trim().parse().ok()?;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        if bytes.iter().all(u8::is_ascii_graphic) {
            let text: String = bytes.iter().map(|&b| b as char).collect();
            let what = if text == "HTT" {
                "an HTTP/1.x server behind grpc_pass or proxy_http_version 2"
            } else {
                "the backend does not speak HTTP/2"
            };
            return Some(format!("frame size {n} is \"{text}\": {what}"));
        }
        return None;
    }
    if line.fields.upstream.is_some() && m.starts_with(b"upstream sent no valid HTTP/1.0 header") {
        return Some(
            "relayed as HTTP/0.9 (access log status 009): the port does not speak HTTP".to_string(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::line::parse;

    fn verdict(msg: &str, level: &str) -> (&'static str, Option<u16>) {
        let line = format!("2026/11/25 15:19:34 [{level}] 1#1: *7 {msg}");
        let l = parse(line.as_bytes()).expect("parses");
        let v = classify(&l);
        (causes::cause(v.cause).id, v.status)
    }

    const CTX: &str = ", client: 127.0.0.1, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.1:80/\", host: \"h\"";

    fn e(msg: &str) -> (&'static str, Option<u16>) {
        verdict(&format!("{msg}{CTX}"), "error")
    }

    #[test]
    fn connect_failures_by_errno() {
        assert_eq!(
            e("connect() failed (111: Connection refused) while connecting to upstream"),
            ("connect-refused", Some(502))
        );
        assert_eq!(e("connect() to unix:/run/php.sock failed (2: No such file or directory) while connecting to upstream"), ("unix-socket-missing", Some(502)));
        assert_eq!(e("connect() to unix:/run/php.sock failed (13: Permission denied) while connecting to upstream"), ("permission-denied", Some(502)));
        assert_eq!(e("connect() to 127.0.0.1:8080 failed (13: Permission denied) while connecting to upstream"), ("permission-denied", Some(502)));
        assert_eq!(e("connect() to unix:/run/php.sock failed (11: Resource temporarily unavailable) while connecting to upstream"), ("backend-busy", Some(502)));
        assert_eq!(e("connect() to unix:/run/a.sock failed (111: Connection refused) while connecting to upstream"), ("connect-refused", Some(502)));
        assert_eq!(
            e("connect() failed (113: No route to host) while connecting to upstream"),
            ("connect-unreachable", Some(502))
        );
        assert_eq!(e("connect() to [2606::1]:443 failed (101: Network is unreachable) while connecting to upstream"), ("connect-unreachable", Some(502)));
        assert_eq!(
            e("connect() failed (110: Connection timed out) while connecting to upstream"),
            ("connect-timeout", Some(502))
        );
        assert_eq!(e("connect() to 10.0.0.1:80 failed (99: Cannot assign requested address) while connecting to upstream"), ("resource-exhaustion", Some(502)));
        assert_eq!(
            verdict(
                &format!(
                    "socket() failed (24: Too many open files) while connecting to upstream{CTX}"
                ),
                "alert"
            ),
            ("resource-exhaustion", Some(500))
        );
        assert_eq!(
            verdict(
                &format!(
                    "1024 worker_connections are not enough while connecting to upstream{CTX}"
                ),
                "alert"
            ),
            ("resource-exhaustion", Some(500))
        );
    }

    #[test]
    fn timeouts_by_phase() {
        let t = "upstream timed out (110: Connection timed out) while ";
        assert_eq!(
            e(&format!("{t}connecting to upstream")),
            ("connect-timeout", Some(504))
        );
        assert_eq!(
            e(&format!("{t}sending request to upstream")),
            ("send-timeout", Some(504))
        );
        assert_eq!(
            e(&format!("{t}reading response header from upstream")),
            ("read-timeout", Some(504))
        );
        assert_eq!(
            e(&format!("{t}SSL handshaking to upstream")),
            ("tls-handshake", Some(504))
        );
        assert_eq!(e(&format!("{t}reading upstream")), ("body-truncated", None));
        assert_eq!(
            e(&format!("{t}proxying upgraded connection")),
            ("read-timeout", None)
        );
    }

    #[test]
    fn context_before_errno() {
        assert_eq!(
            e("recv() failed (104: Connection reset by peer) while SSL handshaking to upstream"),
            ("tls-handshake", Some(502))
        );
        assert_eq!(e("recv() failed (104: Connection reset by peer) while reading response header from upstream"), ("connection-reset", Some(502)));
        assert_eq!(
            e("writev() failed (32: Broken pipe) while sending request to upstream"),
            ("connection-reset", Some(502))
        );
        assert_eq!(
            e("readv() failed (104: Connection reset by peer) while reading upstream"),
            ("body-truncated", None)
        );
        assert_eq!(
            e("upstream prematurely closed connection while reading upstream"),
            ("body-truncated", None)
        );
        assert_eq!(
            e("upstream sent invalid chunked response while reading upstream"),
            ("body-truncated", None)
        );
        assert_eq!(
            verdict(
                "recv() failed (111: Connection refused) while resolving, resolver: 127.0.0.1:53",
                "error"
            ),
            ("dns-failure", None)
        );
        assert_eq!(
            verdict(
                &format!(
                    "writev() failed (104: Connection reset by peer) while sending to client{CTX}"
                ),
                "info"
            ),
            ("client-abort", None)
        );
        assert_eq!(
            verdict(
                &format!(
                    "upstream server temporarily disabled while SSL handshaking to upstream{CTX}"
                ),
                "warn"
            ),
            ("peer-disabled", None)
        );
    }

    #[test]
    fn upstream_messages() {
        assert_eq!(
            e("no live upstreams while connecting to upstream"),
            ("no-live-upstreams", Some(502))
        );
        assert_eq!(e("upstream prematurely closed connection while reading response header from upstream"), ("premature-close", Some(502)));
        assert_eq!(e("upstream prematurely closed FastCGI stdout while reading response header from upstream"), ("premature-close", Some(502)));
        assert_eq!(
            e("upstream sent too big header while reading response header from upstream"),
            ("header-too-big", Some(502))
        );
        assert_eq!(e("upstream sent invalid header: \"X\\x00...\" while reading response header from upstream"), ("invalid-response", Some(502)));
        assert_eq!(e("upstream sent no valid HTTP/1.0 header while reading response header from upstream"), ("invalid-response", None));
        assert_eq!(e("upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream"), ("protocol-mismatch", Some(502)));
        assert_eq!(e("upstream sent unsupported FastCGI protocol version: 0 while reading response header from upstream"), ("invalid-response", Some(502)));
        assert_eq!(e("upstream sent too large http2 frame: 4740180 while reading response header from upstream"), ("protocol-mismatch", Some(502)));
        assert_eq!(
            e("no resolver defined to resolve backend.invalid"),
            ("no-resolver", Some(502))
        );
        assert_eq!(
            e("backend could not be resolved (110: Operation timed out)"),
            ("dns-failure", Some(502))
        );
        assert_eq!(e("SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream"), ("tls-handshake", Some(502)));
        assert_eq!(
            e("upstream SSL certificate does not match \"x\" while SSL handshaking to upstream"),
            ("tls-handshake", Some(502))
        );
    }

    #[test]
    fn fastcgi_and_request_side() {
        let f = "FastCGI sent in stderr: \"";
        let a = "\" while reading response header from upstream";
        assert_eq!(
            e(&format!("{f}Primary script unknown{a}")),
            ("script-not-found", Some(404))
        );
        assert_eq!(
            e(&format!(
                "{f}PHP message: PHP Fatal error:  Uncaught Error{a}"
            )),
            ("app-error", Some(500))
        );
        assert_eq!(
            e(&format!("{f}PHP message: PHP Warning:  x{a}")),
            ("fastcgi-stderr", None)
        );
        assert_eq!(
            e(&format!(
                "{f}PHP message: PHP Warning:  x\" while reading upstream"
            )),
            ("fastcgi-stderr", None)
        );
        assert_eq!(
            e("limiting requests, excess: 0.500 by zone \"login_rl\""),
            ("rate-limited", Some(503))
        );
        assert_eq!(
            e("client intended to send too large body: 2097152 bytes"),
            ("request-rejected", Some(413))
        );
        assert_eq!(
            e("open() \"/srv/html/favicon.ico\" failed (2: No such file or directory)"),
            ("not-found", Some(404))
        );
        assert_eq!(e("access forbidden by rule"), ("forbidden", Some(403)));
        assert_eq!(verdict(&format!("epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while sending request to upstream{CTX}"), "info"), ("client-abort", Some(499)));
    }

    #[test]
    fn lifecycle_config_and_unknown() {
        let l =
            parse(b"2026/11/25 15:19:33 [notice] 24239#24239: start worker process 24240").unwrap();
        assert_eq!(causes::cause(classify(&l).cause).id, "lifecycle");
        assert_eq!(verdict("\"/x\" matches", "notice"), ("unclassified", None));
        assert_eq!(
            verdict("unexpected \"}\" in /etc/nginx/nginx.conf:1", "emerg"),
            ("config-error", None)
        );
        assert_eq!(
            verdict("client 127.0.0.1 closed keepalive connection", "info"),
            ("connection-info", None)
        );
        assert_eq!(e("something nginx never said"), ("unclassified", None));
        let l = parse(b"nginx: configuration file /etc/nginx/nginx.conf test failed").unwrap();
        assert_eq!(causes::cause(classify(&l).cause).id, "config-error");
    }

    #[test]
    fn openresty_auth_waf_windows_and_config_warnings() {
        assert_eq!(
            e("auth request unexpected status: 502 while sending to client"),
            ("auth-request-failed", Some(500))
        );
        assert_eq!(
            e("lua entry thread aborted: runtime error: content_by_lua(nginx.conf:9):2: boom"),
            ("lua-error", Some(500))
        );
        assert_eq!(
            e("failed to run balancer_by_lua*: balancer_by_lua:2: no peer while connecting to upstream"),
            ("lua-error", Some(500))
        );
        assert_eq!(
            e("failed to run log_by_lua*: log_by_lua(nginx.conf:40):1: x"),
            ("lua-error", None)
        );
        assert_eq!(
            e("lua tcp socket read timed out"),
            ("lua-socket-timeout", None)
        );
        assert_eq!(
            e("lua tcp socket connect timed out, when connecting to 10.0.0.9:6379"),
            ("lua-socket-timeout", None)
        );
        assert_eq!(
            verdict(
                &format!("invalid connection preface while processing HTTP/2 connection{CTX}"),
                "info"
            ),
            ("request-rejected", None)
        );
        assert_eq!(e("WSARecv() failed (10054: An existing connection was forcibly closed by the remote host) while reading response header from upstream"), ("connection-reset", Some(502)));
        assert_eq!(e("connect() failed (10061: No connection could be made because the target machine actively refused it) while connecting to upstream"), ("connect-refused", Some(502)));
        assert_eq!(e("upstream timed out (10060: A connection attempt failed because the connected party did not properly respond after a period of time) while connecting to upstream"), ("connect-timeout", Some(504)));
        assert_eq!(
            verdict(
                "768 worker_connections are not enough, reusing connections",
                "warn"
            ),
            ("resource-exhaustion", None)
        );
        assert_eq!(
            verdict("1024 worker_connections are not enough", "alert"),
            ("resource-exhaustion", None)
        );
        let l =
            parse(b"2026/11/25 15:19:34 [error] 7#7: no A or CNAME types in DNS response").unwrap();
        assert_eq!(causes::cause(classify(&l).cause).id, "dns-failure");
        assert_eq!(classify(&l).status, None);
        let waf = "[client 6.6.6.6] ModSecurity: Access denied with code 403 (phase 2). Matched \"Operator `Ge' with parameter `5' against variable `TX:ANOMALY_SCORE' (Value: `5' )\" [file \"/etc/crs/REQUEST-949.conf\"] [line \"80\"] [id \"949110\"] [uri \"/\"]";
        assert_eq!(
            verdict(&format!("{waf}{CTX}"), "error"),
            ("waf-denied", Some(403))
        );
        assert_eq!(
            verdict(&format!("{waf}{CTX}"), "info"),
            ("waf-denied", None)
        );
        assert_eq!(
            verdict(
                "[client 6.6.6.6] ModSecurity: Warning. Matched \"x\"",
                "warn"
            ),
            ("waf-denied", None)
        );
        let l = parse(b"2026/11/25 15:19:34 [warn] 1#1: conflicting server name \"a.example\" on 0.0.0.0:80, ignored").unwrap();
        assert_eq!(causes::cause(classify(&l).cause).id, "config-warning");
    }

    #[test]
    fn stream_sessions_get_stream_statuses() {
        let tail = ", client: 127.0.0.1, server: 0.0.0.0:9000, upstream: \"10.0.0.7:5432\", bytes from/to client:0/0, bytes from/to upstream:0/0";
        let s = |msg: &str| verdict(&format!("{msg}{tail}"), "error");
        assert_eq!(
            s("upstream timed out (110: Connection timed out) while connecting to upstream"),
            ("connect-timeout", Some(502))
        );
        assert_eq!(
            s("connect() failed (111: Connection refused) while connecting to upstream"),
            ("connect-refused", Some(502))
        );
        assert_eq!(
            s("upstream timed out (110: Connection timed out) while SSL handshaking to upstream"),
            ("tls-handshake", Some(502))
        );
        assert_eq!(
            verdict(
                "db.internal could not be resolved (3: Host not found), client: 127.0.0.1, server: 0.0.0.0:9000, upstream: \"db.internal:5432\"",
                "error"
            ),
            ("dns-failure", Some(500))
        );
        assert_eq!(
            verdict("no live upstreams while connecting to upstream, client: 1.2.3.4, server: 0.0.0.0:9000, upstream: \"pg\", bytes from/to client:0/0, bytes from/to upstream:0/0", "error"),
            ("no-live-upstreams", Some(502))
        );
        // HTTP keeps 504.
        assert_eq!(
            e("upstream timed out (110: Connection timed out) while connecting to upstream"),
            ("connect-timeout", Some(504))
        );
        // The memoising classifier agrees.
        let mut memo = Classifier::new();
        for line in [
            format!("2026/11/25 15:19:34 [error] 1#1: *7 upstream timed out (110: Connection timed out) while connecting to upstream{tail}"),
            format!("2026/11/25 15:19:34 [error] 1#1: *7 upstream timed out (110: Connection timed out) while connecting to upstream{CTX}"),
        ] {
            let l = parse(line.as_bytes()).unwrap();
            assert_eq!(memo.classify(&l), classify(&l));
        }
    }

    #[test]
    fn variable_pass_upstream_tls_reads_and_stream_notices() {
        assert_eq!(
            e("invalid URL prefix in \"backend.internal/api\""),
            ("bad-upstream-address", Some(500))
        );
        assert_eq!(
            e("no port in upstream \"backend.internal\""),
            ("bad-upstream-address", Some(500))
        );
        assert_eq!(
            e("SSL_read() failed (SSL: error:0A000126:SSL routines::unexpected eof while reading) while reading response header from upstream"),
            ("connection-reset", Some(502))
        );
        assert_eq!(
            e("SSL_read() failed (SSL: error:0A000126:SSL routines::unexpected eof while reading) while reading upstream"),
            ("body-truncated", None)
        );
        let tail = ", client: 127.0.0.1, server: 0.0.0.0:9000, upstream: \"10.0.0.7:5432\", bytes from/to client:10/20, bytes from/to upstream:20/10";
        for m in [
            "upstream disconnected, bytes from/to client:10/20, bytes from/to upstream:20/10",
            "proxy 10.0.0.2:40000 connected to 10.0.0.7:5432",
        ] {
            let l = format!("2026/11/25 15:19:34 [info] 1#1: *7 {m}{tail}");
            let v = classify(&parse(l.as_bytes()).unwrap());
            assert_eq!(causes::cause(v.cause).id, "connection-info", "{m}");
        }
        let l = "2026/11/25 15:19:34 [info] 1#1: *7 udp timed out, packets from/to client:1/0, bytes from/to client:40/0, bytes from/to upstream:0/40, client: 127.0.0.1, server: 0.0.0.0:53";
        assert_eq!(
            causes::cause(classify(&parse(l.as_bytes()).unwrap()).cause).id,
            "connection-info"
        );
    }

    #[test]
    fn reload_failures_and_worker_crashes() {
        for (line, want) in [
            ("2026/11/25 15:19:34 [alert] 1#1: worker process 31 exited on signal 11 (core dumped)", "worker-crash"),
            ("2026/11/25 15:19:34 [error] 40#40: open() \"/run/nginx.pid\" failed (2: No such file or directory)", "config-error"),
            ("nginx: [error] open() \"/run/nginx.pid\" failed (2: No such file or directory)", "config-error"),
            ("2026/11/25 15:19:34 [alert] 40#40: kill(31, 1) failed (3: No such process)", "config-error"),
            ("2026/11/25 15:19:34 [notice] 1#1: signal 1 (SIGHUP) received from 40, reconfiguring", "lifecycle"),
        ] {
            let v = classify(&parse(line.as_bytes()).unwrap());
            assert_eq!((causes::cause(v.cause).id, v.status), (want, None), "{line}");
        }
    }

    #[test]
    fn everyday_request_errors() {
        for (msg, level, want) in [
            ("rewrite or internal redirection cycle while internally redirecting to \"/index.php\"", "error", ("redirect-cycle", Some(500))),
            ("no user/password was provided for basic authentication", "error", ("unauthorized", Some(401))),
            ("user \"bob\": password mismatch", "error", ("unauthorized", Some(401))),
            ("user \"eve\" was not found in \"/etc/nginx/.htpasswd\"", "error", ("unauthorized", Some(401))),
            ("stat() \"/srv/www/x\" failed (13: Permission denied)", "crit", ("forbidden", Some(403))),
            ("using uninitialized \"foo\" variable", "warn", ("config-warning", None)),
        ] {
            assert_eq!(verdict(&format!("{msg}{CTX}"), level), want, "{msg}");
        }
        assert_eq!(
            verdict("db.internal could not be resolved (3: Host not found), client: 127.0.0.1, server: 0.0.0.0:9000", "error"),
            ("dns-failure", Some(500)),
            "a stream session before it has an upstream"
        );
        for line in [
            "2026/11/25 15:19:34 [alert] 1#1: setrlimit(RLIMIT_NOFILE, 100000) failed (1: Operation not permitted)",
            "2026/11/25 15:19:34 [alert] 1#1: could not open error log file: open() \"/var/log/nginx/error.log\" failed (13: Permission denied)",
            "2026/11/25 15:19:34 [alert] 31#31: open socket #12 left in connection 5",
        ] {
            let v = classify(&parse(line.as_bytes()).unwrap());
            assert_ne!(v.cause, causes::unclassified(), "{line}");
            assert_eq!(v.status, None, "{line}");
        }
    }

    #[test]
    fn lines_outside_a_request_have_no_status() {
        // A Lua cosocket failing to connect: no action, no upstream.
        assert_eq!(
            e("connect() failed (111: Connection refused)").1,
            Some(502),
            "with an upstream field it is the proxy's"
        );
        let l = "2026/11/25 15:19:34 [error] 1#1: *7 connect() failed (111: Connection refused), client: 1.2.3.4, server: s, request: \"GET /lua HTTP/1.1\", host: \"h\"";
        assert_eq!(
            classify(&parse(l.as_bytes()).unwrap()),
            Verdict {
                cause: causes::find("connect-refused").unwrap(),
                status: None
            }
        );
        // A timer: no client.
        let l = "2026/11/25 15:19:34 [error] 1#1: *7 lua entry thread aborted: runtime error: x.lua:1: boom, context: ngx.timer";
        let v = classify(&parse(l.as_bytes()).unwrap());
        assert_eq!((causes::cause(v.cause).id, v.status), ("lua-error", None));
        let l = "2026/11/25 15:19:34 [error] 1#1: *7 [lua] app.lua:12: handler(): failed to connect: connection refused, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\"";
        let v = classify(&parse(l.as_bytes()).unwrap());
        assert_eq!((causes::cause(v.cause).id, v.status), ("lua-log", None));
    }

    #[test]
    fn pasted_messages_without_date_and_level() {
        let bare = |s: &str| {
            let l = crate::logs::line::parse_bare(s.as_bytes()).unwrap();
            classify_bare(&l).map(|v| (causes::cause(v.cause).id, v.status))
        };
        assert_eq!(
            bare("upstream timed out (110: Connection timed out) while reading response header from upstream"),
            Some(("read-timeout", Some(504)))
        );
        assert_eq!(
            bare("  *12 upstream prematurely closed connection while reading upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\""),
            Some(("body-truncated", None))
        );
        assert_eq!(
            bare("connect() to unix:/run/php/php8.2-fpm.sock failed (2: No such file or directory) while connecting to upstream"),
            Some(("unix-socket-missing", Some(502)))
        );
        assert_eq!(
            bare("    at Object.<anonymous> (/app/server.js:12:3)"),
            None
        );
        assert_eq!(bare("hello world"), None);
    }

    #[test]
    fn hints_decode_tell_tale_values() {
        let l = format!("2026/11/25 15:19:34 [error] 1#1: *7 upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream{CTX}");
        assert!(hint(&parse(l.as_bytes()).unwrap()).unwrap().contains("'H'"));
        let l = format!("2026/11/25 15:19:34 [error] 1#1: *7 upstream sent too large http2 frame: 4740180 while reading response header from upstream{CTX}");
        assert!(hint(&parse(l.as_bytes()).unwrap())
            .unwrap()
            .contains("\"HTT\""));
        let l = format!("2026/11/25 15:19:34 [error] 1#1: *7 connect() failed (111: Connection refused) while connecting to upstream{CTX}");
        assert_eq!(hint(&parse(l.as_bytes()).unwrap()), None);
    }

    #[test]
    fn memo_gives_the_uncached_verdict() {
        // Same head at other levels, with and without a connection number,
        // and heads that differ only in errno or action.
        let heads = [
            "connect() failed (111: Connection refused) while connecting to upstream",
            "connect() failed (113: No route to host) while connecting to upstream",
            "upstream timed out (110: Connection timed out) while reading upstream",
            "upstream timed out (110: Connection timed out) while connecting to upstream",
            "start worker process 7",
            "unexpected \"}\" in /etc/nginx/nginx.conf:1",
            "upstream server temporarily disabled while connecting to upstream",
        ];
        let mut memo = Classifier::new();
        for round in 0..3 {
            for h in heads {
                for level in ["error", "notice", "warn", "emerg"] {
                    for cid in ["*7 ", ""] {
                        let line = format!("2026/11/25 15:19:34 [{level}] 1#1: {cid}{h}{CTX}");
                        let l = parse(line.as_bytes()).unwrap();
                        assert_eq!(memo.classify(&l), classify(&l), "{round} {line}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_signature_is_reachable_from_its_own_example() {
        // Each Prefix signature matches a message built from its own text.
        for (ci, c) in CAUSES.iter().enumerate() {
            for sig in c.sigs {
                if let Text::Prefix(p) = sig.text {
                    if !sig.errno.is_empty()
                        || matches!(sig.phase, Phase::OneOf(_))
                        || sig.levels != causes::Levels::Any
                    {
                        continue;
                    }
                    let line = format!("2026/11/25 15:19:34 [error] 1#1: *7 {p}{CTX}");
                    let v = classify(&parse(line.as_bytes()).unwrap());
                    assert_eq!(
                        v.cause as usize,
                        ci,
                        "{p} landed in {}",
                        causes::cause(v.cause).id
                    );
                }
            }
        }
    }
}
