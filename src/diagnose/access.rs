//! One access-log line as diagnose needs it: time, final status, request,
//! host, and every upstream attempt (`$upstream_addr`, `$upstream_status`,
//! `$upstream_response_time`, `$upstream_connect_time` are lists: `, `
//! between retries, ` : ` between internal redirects), read from the
//! variables a [`super::format::LogFormat`] or a JSON line yields. A
//! stream session (`log_format` in `stream {}`: `$status` 200/502/503…,
//! `$session_time`, `$upstream_addr`, `$upstream_connect_time`) is a
//! record without a request.

use super::format::{unescape, Escape};
use crate::logs::time::days_from_civil;

/// One try of one upstream server.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// `host:port`, `unix:/path`, or a group name (`no live upstreams`).
    pub addr: String,
    pub status: Option<u16>,
    pub response_time: Option<f64>,
    pub connect_time: Option<f64>,
}

/// One request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// Wall-clock seconds since 1970 in the log's own zone (as error.log).
    pub time: Option<i64>,
    /// UTC offset of `time` in seconds, when the log says it.
    pub offset: Option<i32>,
    pub status: Option<u16>,
    /// The request line (`GET /x HTTP/1.1`), when logged.
    pub request: Option<String>,
    /// The path without arguments.
    pub path: Option<String>,
    pub host: Option<String>,
    pub server_name: Option<String>,
    pub server_port: Option<u16>,
    pub request_time: Option<f64>,
    pub attempts: Vec<Attempt>,
    pub connection: Option<u64>,
    /// `$pid`: the worker that served the request.
    pub pid: Option<u32>,
    /// A stream session (`$session_time` or `$protocol` logged): routed by
    /// `$server_port` to a `stream { server {} }`.
    pub stream: bool,
}

fn text(v: &[u8], esc: Escape) -> Option<String> {
    if v.is_empty() || v == b"-" {
        return None;
    }
    Some(String::from_utf8_lossy(&unescape(v, esc)).into_owned())
}

/// Split a `$upstream_*` list into its items (retries and redirects).
fn items(v: &str) -> Vec<&str> {
    v.split(" : ")
        .flat_map(|g| g.split(','))
        .map(str::trim)
        .collect()
}

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn num(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn offset(s: &[u8]) -> Option<i32> {
    // +0000, +00:00, Z
    if s == b"Z" {
        return Some(0);
    }
    let sign = match s.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: Vec<u8> = s[1..].iter().copied().filter(|c| *c != b':').collect();
    if digits.len() != 4 {
        return None;
    }
    let h = num(&digits[..2])?;
    let m = num(&digits[2..])?;
    Some(sign * (h * 3600 + m * 60) as i32)
}

/// `$time_local`: `06/Dec/2026:23:10:18 +0000`.
pub fn parse_time_local(s: &[u8]) -> Option<(i64, Option<i32>)> {
    if s.len() < 20 {
        return None;
    }
    let d = num(&s[0..2])?;
    let mon = MONTHS.iter().position(|m| *m == &s[3..6])? as u32 + 1;
    let y = num(&s[7..11])?;
    let hh = num(&s[12..14])?;
    let mm = num(&s[15..17])?;
    let ss = num(&s[18..20])?;
    let days = days_from_civil(y, mon, d as u32);
    let off = s.get(21..).and_then(offset);
    Some((days * 86_400 + hh * 3600 + mm * 60 + ss, off))
}

/// `$time_iso8601`: `2026-12-06T23:10:18+00:00` (fractions allowed).
pub fn parse_iso(s: &[u8]) -> Option<(i64, Option<i32>)> {
    if s.len() < 19 || s[4] != b'-' || (s[10] != b'T' && s[10] != b' ') {
        return None;
    }
    let y = num(&s[0..4])?;
    let mon = num(&s[5..7])? as u32;
    let d = num(&s[8..10])? as u32;
    let hh = num(&s[11..13])?;
    let mm = num(&s[14..16])?;
    let ss = num(&s[17..19])?;
    let mut rest = &s[19..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + n..];
    }
    let days = days_from_civil(y, mon, d);
    Some((days * 86_400 + hh * 3600 + mm * 60 + ss, offset(rest)))
}

impl Record {
    /// Build a record from (variable, raw value) pairs.
    pub fn from_vars<'a>(
        vars: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        esc: Escape,
    ) -> Record {
        let mut r = Record::default();
        let (mut addrs, mut statuses, mut rts, mut cts) = (None, None, None, None);
        let mut method = None;
        let mut uri = None;
        for (k, v) in vars {
            match k {
                "status" => r.status = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok()),
                "request" => r.request = text(v, esc),
                "request_method" => method = text(v, esc),
                "request_uri" | "uri" | "document_uri" if uri.is_none() || k == "request_uri" => {
                    uri = text(v, esc)
                }
                "host" => r.host = text(v, esc).or(r.host.take()),
                "http_host" if r.host.is_none() => r.host = text(v, esc),
                "server_name" => r.server_name = text(v, esc),
                "server_port" => {
                    r.server_port = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok())
                }
                "request_time" => {
                    r.request_time = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok())
                }
                // stream: how long the session lasted (the join window)
                "session_time" => {
                    r.stream = true;
                    if r.request_time.is_none() {
                        r.request_time = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok())
                    }
                }
                "protocol" => r.stream = true,
                "upstream_addr" => addrs = text(v, esc),
                "upstream_status" => statuses = text(v, esc),
                "upstream_response_time" => rts = text(v, esc),
                "upstream_connect_time" => cts = text(v, esc),
                "pid" => r.pid = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok()),
                "connection" => {
                    r.connection = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok())
                }
                "time_local" => {
                    if let Some((t, o)) = parse_time_local(v) {
                        r.time = Some(t);
                        r.offset = o;
                    }
                }
                "time_iso8601" => {
                    if let Some((t, o)) = parse_iso(v) {
                        r.time = Some(t);
                        r.offset = o;
                    }
                }
                "msec" if r.time.is_none() => {
                    r.time = std::str::from_utf8(v)
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok())
                        .map(|f| f as i64);
                }
                _ => {}
            }
        }
        if r.request.is_none() {
            if let (Some(m), Some(u)) = (&method, &uri) {
                r.request = Some(format!("{m} {u}"));
            }
        }
        let target = match &r.request {
            Some(req) => req.split(' ').nth(1).map(str::to_string),
            None => uri,
        };
        r.path = target.map(|t| {
            let p = t.split('?').next().unwrap_or("");
            // absolute-form request target: http://host/path
            match p.find("://") {
                Some(i) => p[i + 3..]
                    .find('/')
                    .map_or("/".into(), |j| p[i + 3 + j..].to_string()),
                None => p.to_string(),
            }
        });
        if let Some(a) = addrs {
            let st = statuses.as_deref().map(items).unwrap_or_default();
            let rt = rts.as_deref().map(items).unwrap_or_default();
            let ct = cts.as_deref().map(items).unwrap_or_default();
            for (i, addr) in items(&a).into_iter().enumerate() {
                if addr.is_empty() || addr == "-" {
                    continue;
                }
                r.attempts.push(Attempt {
                    addr: addr.to_string(),
                    status: st.get(i).and_then(|s| s.parse().ok()),
                    response_time: rt.get(i).and_then(|s| s.parse().ok()),
                    connect_time: ct.get(i).and_then(|s| s.parse().ok()),
                });
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_and_times() {
        let vars: Vec<(&str, &[u8])> = vec![
            ("time_local", b"06/Dec/2026:23:10:18 +0100"),
            ("request", b"GET /api/x?y=1 HTTP/1.1"),
            ("status", b"200"),
            ("upstream_addr", b"127.0.0.1:1, 127.0.0.1:2"),
            ("upstream_status", b"502, 200"),
            ("upstream_response_time", b"0.000, 0.012"),
            ("host", b"api.example.test"),
        ];
        let r = Record::from_vars(vars, Escape::Default);
        assert_eq!(r.status, Some(200));
        assert_eq!(r.path.as_deref(), Some("/api/x"));
        assert_eq!(r.offset, Some(3600));
        assert_eq!(r.attempts.len(), 2);
        assert_eq!(r.attempts[0].status, Some(502));
        assert_eq!(r.attempts[1].addr, "127.0.0.1:2");
        assert_eq!(r.attempts[1].response_time, Some(0.012));
        let (t, _) = parse_iso(b"2026-12-06T23:10:18+01:00").unwrap();
        assert_eq!(Some(t), r.time);
    }
}
