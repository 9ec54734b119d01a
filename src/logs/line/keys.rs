//! What a parsed line is grouped by: the upstream key (`host:port`,
//! `unix:/path`, an upstream group or a name being resolved), the request
//! as an endpoint (`METHOD /path` with id-like segments folded), and the
//! errno as Linux numbers it whatever system wrote the log.

use std::sync::OnceLock;

use memchr::memmem::{self, Finder};

use super::super::bytes;
use super::Line;

/// Searchers built once (building one costs more than a short search).
struct Finders {
    /// A part of both texts below: a message without it has neither.
    not: Finder<'static>,
    resolved: Finder<'static>,
    host_not_found: Finder<'static>,
}

fn finders() -> &'static Finders {
    static F: OnceLock<Finders> = OnceLock::new();
    F.get_or_init(|| Finders {
        not: Finder::new(b"not "),
        resolved: Finder::new(b" could not be resolved"),
        host_not_found: Finder::new(b"host not found in upstream \""),
    })
}

/// The Linux errno for an errno/strerror pair, so that logs written on
/// other systems (macOS: 61 Connection refused, 60 Operation timed out, 54
/// Connection reset by peer) classify the same. Unknown texts keep their code.
pub fn canonical_errno(code: i32, text: &[u8]) -> i32 {
    match text {
        b"Connection refused" => 111,
        b"Connection timed out" | b"Operation timed out" => 110,
        b"Connection reset by peer" => 104,
        b"Broken pipe" => 32,
        b"No such file or directory" => 2,
        b"Permission denied" => 13,
        b"Resource temporarily unavailable" => 11,
        b"No route to host" | b"Host is unreachable" => 113,
        b"Network is unreachable" => 101,
        b"Host is down" => 112,
        b"Too many open files" => 24,
        b"Cannot assign requested address" | b"Can't assign requested address" => 99,
        b"Socket is not connected" | b"Transport endpoint is not connected" => 107,
        // nginx for Windows prints Winsock codes (WSAE*) with their texts.
        _ => match code {
            10054 | 10053 => 104,
            10061 => 111,
            10060 => 110,
            10065 => 113,
            10051 => 101,
            10064 => 112,
            10057 => 107,
            10024 => 24,
            10055 => 12,
            10049 => 99,
            10035 => 11,
            _ => code,
        },
    }
}

/// Upstream key of a line: `host:port`, `unix:/path`, or the upstream group
/// name, with the scheme split off and the URI stripped. Falls back to the
/// name in DNS messages, the resolver address, or a `connect() to PEER`.
pub fn upstream_key<'a>(line: &Line<'a>) -> (&'a [u8], &'a [u8]) {
    if let Some(u) = line.fields.upstream {
        return split_upstream(u);
    }
    let m = line.message;
    let f = finders();
    // Most lines without an upstream are not about name resolution: one
    // short search rules out both of its texts.
    let dns = f.not.find(m).is_some();
    if let Some(pos) = dns.then(|| f.resolved.find(m)).flatten() {
        return (b"", &m[..pos]);
    }
    if let Some(name) = m.strip_prefix(b"no resolver defined to resolve ") {
        return (b"", name);
    }
    if let Some(rest) = m.strip_prefix(b"connect() to ") {
        if let Some(end) = memmem::find(rest, b" failed") {
            return split_upstream(&rest[..end]);
        }
    }
    if let Some(r) = line.fields.resolver {
        return (b"", r);
    }
    if let Some(pos) = dns.then(|| f.host_not_found.find(m)).flatten() {
        let rest = &m[pos + 28..];
        if let Some(end) = memchr::memchr(b'"', rest) {
            return (b"", &rest[..end]);
        }
    }
    (b"", b"")
}

/// Split `SCHEME://PEER[URI]` into (scheme, peer).
pub fn split_upstream(u: &[u8]) -> (&[u8], &[u8]) {
    // Short scans: inline loops beat a search call here.
    let (scheme, rest) = match bytes::find(&u[..u.len().min(16)], b':') {
        Some(p) if u[p..].starts_with(b"://") => (&u[..p], &u[p + 3..]),
        _ => (&u[..0], u),
    };
    let end = if let Some(path) = rest.strip_prefix(b"unix:") {
        // unix:/path/to.sock:URI — the path ends at the next ':'.
        5 + memchr::memchr(b':', path).unwrap_or(path.len())
    } else if rest.first() == Some(&b'[') {
        match memchr::memchr(b']', rest) {
            Some(close) => {
                let mut e = close + 1;
                if rest.get(e) == Some(&b':') {
                    e += 1;
                    while rest.get(e).is_some_and(u8::is_ascii_digit) {
                        e += 1;
                    }
                }
                e
            }
            None => rest.len(),
        }
    } else {
        bytes::find(rest, b'/').unwrap_or(rest.len())
    };
    (scheme, &rest[..end])
}

/// Append `request` to `out` with id-like path segments (all digits, UUIDs,
/// long hex strings) replaced by `:id`, so that `GET /orders/17` and
/// `GET /orders/18` count as one endpoint.
pub fn normalize_request(request: &[u8], out: &mut Vec<u8>) {
    // Segments that are not ids are copied in runs, untouched.
    let mut copied = 0;
    let mut start = 0;
    loop {
        let end = bytes::find(&request[start..], b'/').map_or(request.len(), |p| start + p);
        if is_id(&request[start..end]) {
            out.extend_from_slice(&request[copied..start]);
            out.extend_from_slice(b":id");
            copied = end;
        }
        if end == request.len() {
            break;
        }
        start = end + 1;
    }
    out.extend_from_slice(&request[copied..]);
}

/// Is a path segment an id: all digits, or at least 8 hex digits and
/// dashes with a digit among them? Decided by the first byte for most
/// words (a letter past `f`, or a short segment not starting with a
/// digit), so that only segments that may be ids are read whole.
fn is_id(seg: &[u8]) -> bool {
    let hex_id = |seg: &[u8]| {
        seg.len() >= 8
            && seg.iter().all(|&b| HEX_OR_DASH[usize::from(b)])
            && seg.iter().any(u8::is_ascii_digit)
    };
    match seg.first() {
        Some(b) if b.is_ascii_digit() => seg.iter().all(u8::is_ascii_digit) || hex_id(seg),
        Some(_) => hex_id(seg),
        None => false,
    }
}

/// Hex digits and `-`, by byte value: one load per byte of a UUID-long
/// segment instead of three range tests.
const HEX_OR_DASH: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_hexdigit() || b == b'-' as usize;
        b += 1;
    }
    t
};

/// `METHOD /path` of a request line, without query string and protocol.
pub fn request_key(request: &[u8]) -> &[u8] {
    let end = bytes::find2(request, b'?', b'#').unwrap_or(request.len());
    let r = &request[..end];
    match bytes::rfind(r, b' ') {
        Some(p) if r[p + 1..].starts_with(b"HTTP/") => &r[..p],
        _ => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::line::parse;

    #[test]
    fn errno_texts_from_other_systems() {
        assert_eq!(canonical_errno(61, b"Connection refused"), 111);
        assert_eq!(canonical_errno(60, b"Operation timed out"), 110);
        assert_eq!(canonical_errno(54, b"Connection reset by peer"), 104);
        assert_eq!(canonical_errno(3, b"Host not found"), 3);
    }

    #[test]
    fn upstream_keys() {
        assert_eq!(split_upstream(b"http://[::1]:8080/x").1, b"[::1]:8080");
        assert_eq!(
            split_upstream(b"uwsgi://unix:///tmp/x.sock:").1,
            b"unix:///tmp/x.sock"
        );
        assert_eq!(
            split_upstream(b"http://unix:/run/app.sock:/api").1,
            b"unix:/run/app.sock"
        );
        assert_eq!(split_upstream(b"https://backend").1, b"backend");
        assert_eq!(request_key(b"GET /a/b?x=1 HTTP/1.1"), b"GET /a/b");
        assert_eq!(request_key(b"GET /a/b HTTP/2.0"), b"GET /a/b");
        let mut out = Vec::new();
        normalize_request(
            b"GET /api/v1/orders/31877/items/9f1c2a4b-77aa-4c1e-9d2f-0123456789ab/x2/beef",
            &mut out,
        );
        assert_eq!(out, b"GET /api/v1/orders/:id/items/:id/x2/beef");
    }

    /// The plain definition of [`normalize_request`].
    fn normalize_naive(request: &[u8]) -> Vec<u8> {
        let segs: Vec<Vec<u8>> = request
            .split(|&b| b == b'/')
            .map(|seg| {
                let digits = seg.iter().filter(|b| b.is_ascii_digit()).count();
                let hexish = seg.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-');
                if digits > 0 && (digits == seg.len() || (seg.len() >= 8 && hexish)) {
                    b":id".to_vec()
                } else {
                    seg.to_vec()
                }
            })
            .collect();
        segs.join(&b'/')
    }

    proptest::proptest! {
        #[test]
        fn normalize_request_matches_its_definition(r in "[a-fA-F0-9/ x-]{0,40}") {
            let mut out = Vec::new();
            normalize_request(r.as_bytes(), &mut out);
            proptest::prop_assert_eq!(out, normalize_naive(r.as_bytes()));
        }
    }

    #[test]
    fn dns_line_upstream_is_the_name() {
        let l = parse(b"2026/11/25 15:19:36 [error] 24240#24240: *27 ads.partner.example could not be resolved (2: Server failure), client: 127.0.0.1, server: api.shop.example.com, request: \"GET /api/v1/ads/slot/5 HTTP/1.1\", host: \"api.shop.example.com\"").unwrap();
        assert_eq!(upstream_key(&l).1, b"ads.partner.example");
        assert_eq!(l.errno.map(|e| e.0), Some(2));
    }
}
