//! One error.log line, parsed without allocating.
//!
//! nginx writes `TIME [LEVEL] PID#TID: *CID MESSAGE[ (ERRNO: TEXT)][ while
//! ACTION][, key: value...]`. Messages contain commas, quotes and even
//! `, client: `, so the tail is never split on commas: it is located at the
//! first `client: ` (or `, resolver: `) from which the rest of the line reads
//! as a sequence of known keys, and each value ends where the next known key
//! starts. Real pasted logs carry prefixes (docker-compose `web_1  | `,
//! `docker logs -t` RFC3339 stamps, kubectl `[pod/x/c]`, syslog headers,
//! `nginx: ` on stderr); the parser finds the nginx header behind them.
//! Everything borrows from the input bytes, which need not be UTF-8.

use std::sync::OnceLock;

use memchr::memmem::{self, Finder};

use super::{bytes, header};

mod keys;
mod tail;

pub use keys::{canonical_errno, normalize_request, request_key, split_upstream, upstream_key};
use tail::split_tail;
pub use tail::starts_with_short;

/// Searchers built once (building one costs more than a short search).
struct Finders {
    while_: Finder<'static>,
}

fn finders() -> &'static Finders {
    static F: OnceLock<Finders> = OnceLock::new();
    F.get_or_init(|| Finders {
        while_: Finder::new(b" while "),
    })
}

/// nginx log levels, most severe first (so `<` means "more severe").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Emerg,
    Alert,
    Crit,
    Error,
    Warn,
    Notice,
    Info,
    Debug,
}

impl Level {
    pub const ALL: [Level; 8] = [
        Level::Emerg,
        Level::Alert,
        Level::Crit,
        Level::Error,
        Level::Warn,
        Level::Notice,
        Level::Info,
        Level::Debug,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Emerg => "emerg",
            Level::Alert => "alert",
            Level::Crit => "crit",
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Notice => "notice",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    pub fn parse(s: &[u8]) -> Option<Level> {
        Some(match s {
            b"emerg" => Level::Emerg,
            b"alert" => Level::Alert,
            b"crit" => Level::Crit,
            b"error" => Level::Error,
            b"warn" => Level::Warn,
            b"notice" => Level::Notice,
            b"info" => Level::Info,
            b"debug" => Level::Debug,
            _ => return None,
        })
    }
}

/// The context fields after the message, by their nginx keys.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Fields<'a> {
    pub client: Option<&'a [u8]>,
    /// `udp client:` (stream UDP sessions).
    pub udp: bool,
    pub server: Option<&'a [u8]>,
    pub request: Option<&'a [u8]>,
    pub subrequest: Option<&'a [u8]>,
    pub upstream: Option<&'a [u8]>,
    pub host: Option<&'a [u8]>,
    pub referrer: Option<&'a [u8]>,
    pub resolver: Option<&'a [u8]>,
    pub login: Option<&'a [u8]>,
    /// Stream: `bytes from/to client:N/N`.
    pub bytes_client: Option<&'a [u8]>,
    /// Stream: `bytes from/to upstream:N/N`.
    pub bytes_upstream: Option<&'a [u8]>,
}

impl Fields<'_> {
    /// No fields (the same as `Fields::default()`, usable in a constant).
    pub const EMPTY: Fields<'static> = Fields {
        client: None,
        udp: false,
        server: None,
        request: None,
        subrequest: None,
        upstream: None,
        host: None,
        referrer: None,
        resolver: None,
        login: None,
        bytes_client: None,
        bytes_upstream: None,
    };
}

/// A parsed line. Slices borrow from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// Seconds since 1970-01-01 in the log's own (local, zone-less) time.
    pub time: Option<i64>,
    pub level: Option<Level>,
    pub pid: Option<u32>,
    pub tid: Option<u32>,
    /// `*N`: the connection serial number.
    pub cid: Option<u64>,
    /// Message, errno part and action: everything between the header and
    /// the context fields.
    pub head: &'a [u8],
    /// Message with the errno part, as nginx wrote it.
    pub text: &'a [u8],
    /// Message without the errno part.
    pub message: &'a [u8],
    /// ` (N: strerror)`.
    pub errno: Option<(i32, &'a [u8])>,
    /// ` while ACTION`.
    pub action: Option<&'a [u8]>,
    pub fields: Fields<'a>,
    /// ` in FILE:LINE` of configuration errors.
    pub config_location: Option<(&'a [u8], u32)>,
    /// Bytes of paste prefix skipped before the nginx header.
    pub prefix_len: usize,
}

impl Line<'_> {
    /// A line with nothing in it, for [`Parser::parse_into`] to fill.
    pub const EMPTY: Line<'static> = Line {
        time: None,
        level: None,
        pid: None,
        tid: None,
        cid: None,
        head: b"",
        text: b"",
        message: b"",
        errno: None,
        action: None,
        fields: Fields::EMPTY,
        config_location: None,
        prefix_len: 0,
    };
}

/// Parse one line (without its newline; a trailing CR is ignored). `None`
/// means it is not an error.log line.
pub fn parse(raw: &[u8]) -> Option<Line<'_>> {
    Parser::default().parse(raw)
}

/// A parser of consecutive lines: [`parse`], remembering the last header
/// time (see [`header::LastTime`]).
#[derive(Debug, Default)]
pub struct Parser {
    last_time: header::LastTime,
}

impl Parser {
    /// Same result as [`parse`].
    pub fn parse<'a>(&mut self, raw: &'a [u8]) -> Option<Line<'a>> {
        let mut line = Line::EMPTY;
        self.parse_into(raw, &mut line).then_some(line)
    }

    /// [`Parser::parse`] into `out`, which is overwritten whole: `false`
    /// (and `out` unspecified) when it is not an error.log line. A reader
    /// of many lines keeps one `Line` and fills it line after line instead
    /// of moving a new one (a few hundred bytes) out of each call.
    pub fn parse_into<'a>(&mut self, raw: &'a [u8], out: &mut Line<'a>) -> bool {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        // Nearly every line is exactly `YYYY/MM/DD HH:MM:SS [level]
        // PID#TID: *CID `: read that at fixed offsets. Anything else goes
        // through the header grammar, which gives the same result for
        // these lines.
        if let Some((t, level, (pid, tid, cid), rest)) = header::canonical(raw, &mut self.last_time)
        {
            out.time = Some(t);
            out.level = Some(level);
            out.pid = pid;
            out.tid = tid;
            out.cid = cid;
            out.prefix_len = 0;
            body_into(rest, out);
            return true;
        }
        match parse_other(raw) {
            Some(l) => {
                *out = l;
                true
            }
            None => false,
        }
    }
}

/// [`parse`] of a line without the canonical header.
fn parse_other(raw: &[u8]) -> Option<Line<'_>> {
    // Most other lines start with their header too: parse it at once.
    // Anything else (no time, a paste prefix, a malformed time) goes the
    // long way.
    if let Some((t, rest)) = header::time_then_level(raw) {
        let (level, rest) = header::level_then_space(rest)?;
        return Some(body(rest, Some(t), Some(level), 0));
    }
    let start = header_start(raw)?;
    let (time, level, rest) = header::time_and_level(&raw[start..])?;
    Some(body(rest, time, level, start))
}

/// Parse a line pasted without nginx's date and level (the message part
/// copied from an issue or a chat), e.g. `connect() failed (111: …) while
/// connecting to upstream, client: …`. Time and level are left empty. The
/// caller decides whether the message means anything (see
/// [`super::classify`]); most text that is not a log line parses here too.
pub fn parse_bare(raw: &[u8]) -> Option<Line<'_>> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let start = raw.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &raw[start..];
    if !rest[0].is_ascii_alphanumeric() && rest[0] != b'*' && rest[0] != b'"' {
        return None;
    }
    Some(body(rest, None, None, start))
}

/// Everything after `[level] `: `PID#TID: *CID MESSAGE…`.
fn body(rest: &[u8], time: Option<i64>, level: Option<Level>, start: usize) -> Line<'_> {
    // PID#TID: (absent in `nginx: [emerg] ...` console copies), *CID.
    let (pid, tid, cid, rest) = header::ids(rest);
    body_after_ids(rest, time, level, pid, tid, cid, start)
}

/// The message and context tail, after the header.
fn body_after_ids(
    rest: &[u8],
    time: Option<i64>,
    level: Option<Level>,
    pid: Option<u32>,
    tid: Option<u32>,
    cid: Option<u64>,
    start: usize,
) -> Line<'_> {
    let mut line = Line {
        time,
        level,
        pid,
        tid,
        cid,
        prefix_len: start,
        ..Line::EMPTY
    };
    body_into(rest, &mut line);
    line
}

/// Fill everything of `out` after the header from `rest`.
fn body_into<'a>(rest: &'a [u8], out: &mut Line<'a>) {
    let head = split_tail(rest, &mut out.fields);
    let (text, action) = split_action(head);
    let (message, errno) = split_errno(text);
    out.head = head;
    out.text = text;
    out.message = message;
    out.errno = errno;
    out.action = action;
    out.config_location = config_location(message);
}

/// Where the nginx header starts: at once for plain lines, else behind a
/// paste prefix.
fn header_start(raw: &[u8]) -> Option<usize> {
    if header::time_shape(raw) || raw.starts_with(b"nginx: ") || header::level_at(raw) {
        return Some(0);
    }
    let window = &raw[..raw.len().min(320)];
    // A timestamp behind a prefix: look at each '/' that could be the first
    // date separator.
    for slash in memchr::memchr_iter(b'/', window) {
        if slash >= 4 && header::time_shape(&raw[slash - 4..]) {
            return Some(slash - 4);
        }
    }
    if let Some(p) = memmem::find(window, b"nginx: [") {
        return Some(p);
    }
    for open in memchr::memchr_iter(b'[', window) {
        if header::level_at(&raw[open..]) {
            return Some(open);
        }
    }
    None
}

/// Leading decimal digits: (value, count).
fn digits(s: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    let mut n = 0;
    let max = s.len().min(19);
    while n < max {
        let d = s[n].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v * 10 + u64::from(d);
        n += 1;
    }
    (n > 0).then_some((v, n))
}

/// Split ` while ACTION` off the message. The action is the text after the
/// last ` while ` and never contains a comma or a quote.
fn split_action(head: &[u8]) -> (&[u8], Option<&[u8]>) {
    if let Some(pos) = last_while(head) {
        let action = &head[pos + 7..];
        // One short pass instead of three searches (actions are short).
        if !action.is_empty() && !bytes::any3(action, b',', b'"', b')') {
            return (&head[..pos], Some(action));
        }
    }
    (head, None)
}

/// Where the last ` while ` of a forward, non-overlapping search starts.
/// Found backwards from the last `w` (actions have none, so that is
/// nearly always the first one tried).
fn last_while(head: &[u8]) -> Option<usize> {
    let mut end = head.len();
    while let Some(w) = bytes::rfind(&head[..end], b'w') {
        if w >= 1 && starts_with_short(&head[w - 1..], b" while ") {
            let q = w - 1;
            // ` while while `: occurrences 6 bytes apart overlap, and the
            // forward search skips the second one; take the slow path.
            if q >= 6 && starts_with_short(&head[q - 6..], b" while ") {
                return finders().while_.find_iter(head).last();
            }
            return Some(q);
        }
        end = w;
    }
    None
}

/// Split a trailing ` (N: text)` errno off the message.
fn split_errno(text: &[u8]) -> (&[u8], Option<(i32, &[u8])>) {
    if text.last() != Some(&b')') {
        return (text, None);
    }
    let Some(open) = bytes::rfind(text, b'(').and_then(|p| p.checked_sub(1)) else {
        return (text, None);
    };
    if text[open] != b' ' {
        return (text, None);
    }
    let inner = &text[open + 2..text.len() - 1];
    if let Some((n, len)) = digits(inner) {
        if inner[len..].starts_with(b": ") {
            if let Ok(code) = i32::try_from(n) {
                return (&text[..open], Some((code, &inner[len + 2..])));
            }
        }
    }
    (text, None)
}

/// ` in /path/file.conf:LINE` at the end of a configuration error.
fn config_location(message: &[u8]) -> Option<(&[u8], u32)> {
    if !message.last().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let pos = bytes::rfind_seq(message, b" in ", 1)?;
    let loc = &message[pos + 4..];
    let colon = memchr::memrchr(b':', loc)?;
    let (line, len) = digits(&loc[colon + 1..])?;
    if len != loc.len() - colon - 1 || colon == 0 {
        return None;
    }
    let path = &loc[..colon];
    if path.contains(&b' ') && !path.starts_with(b"/") {
        return None;
    }
    Some((path, u32::try_from(line).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: Option<&[u8]>) -> Option<&str> {
        b.map(|b| std::str::from_utf8(b).unwrap())
    }

    const REFUSED: &str = "2026/11/25 15:17:18 [error] 21671#21671: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: lab.local, request: \"GET /refused?x=1 HTTP/1.1\", upstream: \"http://127.0.0.1:1/refused?x=1\", host: \"app.example.test\", referrer: \"http://ref.example.test/page\"";

    #[test]
    fn full_http_line() {
        let l = parse(REFUSED.as_bytes()).unwrap();
        assert_eq!(l.level, Some(Level::Error));
        assert_eq!((l.pid, l.tid, l.cid), (Some(21671), Some(21671), Some(1)));
        assert_eq!(s(Some(l.message)), Some("connect() failed"));
        assert_eq!(
            s(Some(l.text)),
            Some("connect() failed (111: Connection refused)")
        );
        assert_eq!(l.errno.map(|e| e.0), Some(111));
        assert_eq!(s(l.errno.map(|e| e.1)), Some("Connection refused"));
        assert_eq!(s(l.action), Some("connecting to upstream"));
        assert_eq!(s(l.fields.client), Some("127.0.0.1"));
        assert_eq!(s(l.fields.server), Some("lab.local"));
        assert_eq!(s(l.fields.request), Some("GET /refused?x=1 HTTP/1.1"));
        assert_eq!(s(l.fields.upstream), Some("http://127.0.0.1:1/refused?x=1"));
        assert_eq!(s(l.fields.host), Some("app.example.test"));
        assert_eq!(s(l.fields.referrer), Some("http://ref.example.test/page"));
        assert_eq!(
            super::super::time::format_iso(l.time.unwrap()),
            "2026-11-25T15:17:18"
        );
        assert_eq!(split_upstream(l.fields.upstream.unwrap()).1, b"127.0.0.1:1");
    }

    #[test]
    fn prefixes_are_skipped() {
        for prefix in [
            "web_1  | ",
            "nginx.1    | ",
            "2024-01-15T10:30:00.123456789Z ",
            "[pod/web-7d9/nginx] ",
            "<27>Nov 25 15:17:18 host nginx: ",
            "> ",
        ] {
            let line = format!("{prefix}{REFUSED}");
            let l = parse(line.as_bytes()).unwrap_or_else(|| panic!("{prefix}"));
            assert_eq!(l.prefix_len, prefix.len(), "{prefix}");
            assert_eq!(l.errno.map(|e| e.0), Some(111));
            assert_eq!(s(l.fields.server), Some("lab.local"));
        }
    }

    #[test]
    fn crlf_and_non_utf8() {
        let mut line = REFUSED.as_bytes().to_vec();
        line.extend_from_slice(b"\r");
        let l = parse(&line).unwrap();
        assert_eq!(s(l.fields.referrer), Some("http://ref.example.test/page"));
        let bad = b"2026/11/25 15:20:35 [info] 24240#24240: *435 client sent invalid method while reading client request line, client: 127.0.0.1, server: shop.example.com, request: \"\x16\x03\x01\x02\x00\x01\x00\xfc\"";
        let l = parse(bad).unwrap();
        assert_eq!(
            l.fields.request,
            Some(&b"\x16\x03\x01\x02\x00\x01\x00\xfc"[..])
        );
        assert_eq!(s(l.action), Some("reading client request line"));
    }

    #[test]
    fn message_with_commas_quotes_and_client() {
        let line = "2026/11/25 15:19:34 [error] 24240#24240: *12 FastCGI sent in stderr: \"PHP message: oops, client: 10.0.0.1, server: fake while x, y\" while reading response header from upstream, client: 127.0.0.1, server: shop.example.com, request: \"GET /cart/index.php HTTP/1.1\", upstream: \"fastcgi://unix:/srv/shop/run/php-fpm-www.sock:\", host: \"www.shop.example.com\"";
        let l = parse(line.as_bytes()).unwrap();
        assert_eq!(s(l.fields.client), Some("127.0.0.1"));
        assert_eq!(s(l.action), Some("reading response header from upstream"));
        assert!(l
            .message
            .starts_with(b"FastCGI sent in stderr: \"PHP message: oops, client"));
        assert_eq!(
            split_upstream(l.fields.upstream.unwrap()),
            (&b"fastcgi"[..], &b"unix:/srv/shop/run/php-fpm-www.sock"[..])
        );
    }

    #[test]
    fn quote_inside_host_value() {
        let line = "2026/11/25 15:19:34 [error] 1#1: *2 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.2:80/\", host: \"ev\"il, x\", referrer: \"http://r/\"";
        let l = parse(line.as_bytes()).unwrap();
        assert_eq!(s(l.fields.host), Some("ev\"il, x"));
        assert_eq!(s(l.fields.referrer), Some("http://r/"));
    }

    #[test]
    fn client_text_cannot_forge_the_tail() {
        let line = "2026/11/25 15:19:36 [error] 7#7: *10 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.5, server: shop, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.1:80/\", host: \"shop\", referrer: \"http://x/\", client: 6.6.6.6, server: x\"";
        let l = parse(line.as_bytes()).unwrap();
        assert_eq!(s(l.fields.client), Some("10.0.0.5"));
        assert_eq!(s(l.fields.server), Some("shop"));
        assert_eq!(
            s(l.fields.referrer),
            Some("http://x/\", client: 6.6.6.6, server: x")
        );
        // A Host header with an earlier key in it stays the host.
        let line = "2026/11/25 15:19:36 [error] 7#7: *10 no live upstreams while connecting to upstream, client: 10.0.0.5, server: shop, request: \"GET / HTTP/1.1\", upstream: \"http://pool/\", host: \"a\", client: 6.6.6.6, upstream: \"http://evil/\"";
        let l = parse(line.as_bytes()).unwrap();
        assert_eq!(s(l.fields.client), Some("10.0.0.5"));
        assert_eq!(s(l.fields.upstream), Some("http://pool/"));
        assert_eq!(upstream_key(&l).1, b"pool");
    }

    #[test]
    fn stream_resolver_and_config_lines() {
        let stream = "2026/11/25 15:17:20 [error] 21671#21671: *20 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: 127.0.0.1:18081, upstream: \"127.0.0.1:1\", bytes from/to client:0/0, bytes from/to upstream:0/0";
        let l = parse(stream.as_bytes()).unwrap();
        assert_eq!(s(l.fields.upstream), Some("127.0.0.1:1"));
        assert_eq!(s(l.fields.bytes_upstream), Some("0/0"));
        assert_eq!(split_upstream(b"127.0.0.1:1").1, b"127.0.0.1:1");

        let res = "2026/11/25 15:20:01 [error] 24240#24240: recv() failed (111: Connection refused) while resolving, resolver: 127.0.0.1:23930";
        let l = parse(res.as_bytes()).unwrap();
        assert_eq!(s(l.action), Some("resolving"));
        assert_eq!(s(l.fields.resolver), Some("127.0.0.1:23930"));
        assert_eq!(l.cid, None);

        let conf = "2026/11/25 15:17:56 [emerg] 22156#22156: unexpected \"}\" in /tmp/ngxg/conf/extra_brace.conf:1";
        let l = parse(conf.as_bytes()).unwrap();
        assert_eq!(l.level, Some(Level::Emerg));
        assert_eq!(
            l.config_location,
            Some((&b"/tmp/ngxg/conf/extra_brace.conf"[..], 1))
        );

        let console = "nginx: [emerg] host not found in upstream \"backend:8080\" in /etc/nginx/conf.d/default.conf:12";
        let l = parse(console.as_bytes()).unwrap();
        assert_eq!((l.time, l.pid), (None, None));
        assert_eq!(l.level, Some(Level::Emerg));
        assert_eq!(l.config_location.map(|c| c.1), Some(12));

        let bare = "[error] 31#31: *5 no live upstreams while connecting to upstream, client: 1.1.1.1, server: x, request: \"GET / HTTP/1.1\", upstream: \"http://dead2/\"";
        let l = parse(bare.as_bytes()).unwrap();
        assert_eq!(split_upstream(l.fields.upstream.unwrap()).1, b"dead2");
    }

    #[test]
    fn action_is_after_the_last_while_of_a_forward_search() {
        let l =
            parse(b"2026/11/25 15:19:34 [error] 1#1: *1 x while while reading upstream").unwrap();
        assert_eq!(s(Some(l.message)), Some("x"));
        assert_eq!(s(l.action), Some("while reading upstream"));
        let l = parse(b"2026/11/25 15:19:34 [error] 1#1: *1 a while b while c, client: 1.2.3.4")
            .unwrap();
        assert_eq!(s(l.action), Some("c"));
        assert_eq!(s(Some(l.head)), Some("a while b while c"));
        let l = parse(b"2026/11/25 15:19:34 [error] 1#1: *1 a while b, c while d\"").unwrap();
        assert_eq!(l.action, None);
    }

    #[test]
    fn not_a_log_line() {
        assert!(parse(b"").is_none());
        assert!(parse(b"hello world").is_none());
        assert!(parse(b"    at com.example.Foo(Foo.java:12)").is_none());
        assert!(parse(b"2026/11/25 15:17:56 something else").is_none());
    }

    #[test]
    fn truncated_lines_keep_what_is_there() {
        let cut = &REFUSED[..REFUSED.find("upstream: \"").unwrap() + 20];
        let l = parse(cut.as_bytes()).unwrap();
        assert_eq!(s(l.fields.server), Some("lab.local"));
        assert_eq!(s(l.fields.upstream), Some("http://12"));
        let cut = &REFUSED[..60];
        let l = parse(cut.as_bytes()).unwrap();
        assert_eq!(l.level, Some(Level::Error));
    }
}
