//! The context tail of a line: `, client: …, server: …, request: …` read
//! as a sequence of known keys in nginx's fixed order, each value ending
//! where the next (later) key starts, so that text a client controls
//! cannot forge an earlier key.

use super::super::bytes;
use super::Fields;

/// Keys of the context tail (`client: `, `server: `, ...; the stream byte
/// counters have no space after the colon).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Client,
    UdpClient,
    Server,
    Request,
    Subrequest,
    Upstream,
    Host,
    Referrer,
    Resolver,
    Login,
    BytesClient,
    BytesUpstream,
}

/// `s.starts_with(p)` for short `p`, inlined (a libc memcmp call costs
/// more than the compare).
#[inline]
pub fn starts_with_short(s: &[u8], p: &[u8]) -> bool {
    s.len() >= p.len() && s.iter().zip(p).all(|(a, b)| a == b)
}

impl Key {
    /// Position in nginx's fixed order of the tail (HTTP: client, server,
    /// request, subrequest, upstream, host, referrer; stream: client,
    /// server, upstream, bytes; mail: client, server, login, upstream).
    /// A key can only follow keys of lower rank, so text a client controls
    /// (the Referer, last, or the Host) cannot start a forged earlier key.
    fn rank(self) -> u8 {
        match self {
            Key::Client | Key::UdpClient | Key::Resolver => 0,
            Key::Server => 1,
            Key::Request => 2,
            Key::Subrequest | Key::Login => 3,
            Key::Upstream => 4,
            Key::Host => 5,
            Key::Referrer => 6,
            Key::BytesClient => 7,
            Key::BytesUpstream => 8,
        }
    }
}

/// The key starting at `s`, with its length. Constant-length compares
/// compile to a few integer compares (this runs at every `, ` of a tail,
/// so it is inlined there).
#[inline(always)]
fn key_at(s: &[u8]) -> Option<(Key, usize)> {
    fn is<const N: usize>(s: &[u8], k: &[u8; N]) -> bool {
        s.len() >= N && s[..N] == k[..]
    }
    Some(match s.first()? {
        b'c' if is(s, b"client: ") => (Key::Client, 8),
        b's' if is(s, b"server: ") => (Key::Server, 8),
        b's' if is(s, b"subrequest: ") => (Key::Subrequest, 12),
        b'r' if is(s, b"request: ") => (Key::Request, 9),
        b'r' if is(s, b"referrer: ") => (Key::Referrer, 10),
        b'r' if is(s, b"resolver: ") => (Key::Resolver, 10),
        b'u' if is(s, b"upstream: ") => (Key::Upstream, 10),
        b'u' if is(s, b"udp client: ") => (Key::UdpClient, 12),
        b'h' if is(s, b"host: ") => (Key::Host, 6),
        b'l' if is(s, b"login: ") => (Key::Login, 7),
        b'b' if is(s, b"bytes from/to client:") => (Key::BytesClient, 21),
        b'b' if is(s, b"bytes from/to upstream:") => (Key::BytesUpstream, 23),
        _ => return None,
    })
}

/// Split the body into message + action (returned) and fields (written
/// to `f`, whatever it held before).
pub(super) fn split_tail<'a>(body: &'a [u8], f: &mut Fields<'a>) -> &'a [u8] {
    *f = Fields::EMPTY;
    // The HTTP/stream/mail tail starts at `, client: ` or `, udp client: `:
    // one pass over the commas (messages rarely have any before the tail).
    let mut loose: Option<usize> = None;
    let mut from = 0;
    while let Some(rel) = memchr::memchr(b',', &body[from..]) {
        let start = from + rel;
        from = start + 1;
        let after = &body[from..];
        if !starts_with_short(after, b" client: ") && !starts_with_short(after, b" udp client: ") {
            continue;
        }
        if parse_fields(&body[start + 2..], true, f) {
            return &body[..start];
        }
        loose = Some(start);
    }
    if let Some(start) = loose {
        if parse_fields(&body[start + 2..], false, f) {
            return &body[..start];
        }
    }
    // Resolver connection lines: `... while resolving, resolver: 1.2.3.4:53`.
    if let Some(pos) = bytes::rfind_seq(body, b", resolver: ", 0) {
        if parse_fields(&body[pos + 2..], false, f) {
            return &body[..pos];
        }
    }
    body
}

/// Parse `KEY: VALUE, KEY: VALUE...` to the end of `s` into `f` (empty
/// when called); `false`, with `f` left empty, when `s` is not such a
/// tail. In strict mode unquoted client/server values have no spaces,
/// which rejects a `, client: ` quoted inside the message. Each key ranks
/// above the one before it (see [`value_at`]), so none appears twice.
fn parse_fields<'a>(s: &'a [u8], strict: bool, f: &mut Fields<'a>) -> bool {
    if s.is_empty() {
        return true;
    }
    let Some((mut key, mut at)) = key_at(s) else {
        return false;
    };
    loop {
        let (value, next) = value_at(s, at, key);
        if strict
            && matches!(key, Key::Client | Key::UdpClient | Key::Server)
            && bytes::find(value, b' ').is_some()
        {
            *f = Fields::EMPTY;
            return false;
        }
        match key {
            Key::Client => f.client = Some(value),
            Key::UdpClient => {
                f.client = Some(value);
                f.udp = true;
            }
            Key::Server => f.server = Some(value),
            Key::Request => f.request = Some(value),
            Key::Subrequest => f.subrequest = Some(value),
            Key::Upstream => f.upstream = Some(value),
            Key::Host => f.host = Some(value),
            Key::Referrer => f.referrer = Some(value),
            Key::Resolver => f.resolver = Some(value),
            Key::Login => f.login = Some(value),
            Key::BytesClient => f.bytes_client = Some(value),
            Key::BytesUpstream => f.bytes_upstream = Some(value),
        }
        let Some((next_key, value_start)) = next else {
            return true;
        };
        key = next_key;
        at = value_start;
    }
}

/// The value of `key` starting at `s[start..]`: up to the next `, KEY:` of
/// a later key in nginx's order (for quoted values, with a closing quote
/// right before it) or the end of the line. The referrer, always last, runs
/// to the end. Returns the value (quotes removed) and the next key with
/// where its value starts. Inlined into its one caller's loop (a call per
/// value returned its results through memory).
#[inline(always)]
fn value_at(s: &[u8], start: usize, key: Key) -> (&[u8], Option<(Key, usize)>) {
    let quoted = s.get(start) == Some(&b'"');
    let from = if quoted { start + 1 } else { start };
    let mut search = from;
    // The referrer is last: it runs to the end, whatever it contains.
    let limit = if key == Key::Referrer { from } else { s.len() };
    while let Some(rel) = bytes::find(&s[search..limit.max(search)], b',') {
        let sep = search + rel;
        if s.get(sep + 1) == Some(&b' ') && (!quoted || (sep > from && s[sep - 1] == b'"')) {
            if let Some((next, klen)) = key_at(&s[sep + 2..]) {
                if next.rank() > key.rank() {
                    let end = if quoted { sep - 1 } else { sep };
                    return (&s[from..end], Some((next, sep + 2 + klen)));
                }
            }
        }
        search = sep + 1;
    }
    let mut end = s.len();
    if quoted && end > from && s[end - 1] == b'"' {
        end -= 1;
    }
    (&s[from.min(end)..end], None)
}
