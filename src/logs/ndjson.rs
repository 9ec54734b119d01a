//! `--format ndjson`: one JSON object per input line, in input order.
//!
//! Unparsable lines are events too (cause `unparsable`, the raw text as
//! `message`), so without filters the number of events equals the number of
//! input lines. Bytes that are not UTF-8 are replaced (U+FFFD).

use std::borrow::Cow;

use serde::Serialize;

use super::causes;
use super::classify::Verdict;
use super::line::{self, Line};

/// One event. Field order is part of the format (stable for `jq`/grep users).
#[derive(Serialize)]
struct Event<'a> {
    file: &'a str,
    line: u64,
    time: Option<String>,
    level: Option<&'static str>,
    cause: &'static str,
    status: Option<u16>,
    upstream: Option<Cow<'a, str>>,
    server: Option<Cow<'a, str>>,
    client: Option<Cow<'a, str>>,
    request: Option<Cow<'a, str>>,
    message: Cow<'a, str>,
    action: Option<Cow<'a, str>>,
    errno: Option<i32>,
    pid: Option<u32>,
    connection: Option<u64>,
    host: Option<Cow<'a, str>>,
    hint: Option<String>,
    /// Physical lines of the event (more than 1 for a multi-line message:
    /// `line` is its first line).
    lines: u64,
}

fn text(b: &[u8]) -> Cow<'_, str> {
    super::bytes::text(b)
}

/// Append the event of one line (and a newline) to `out`.
pub fn write_event(
    out: &mut Vec<u8>,
    file: &str,
    line_no: u64,
    raw: &[u8],
    parsed: Option<&Line<'_>>,
    v: &Verdict,
) {
    write_record(out, file, line_no, 1, raw, parsed, v)
}

/// Append the event of a record of `lines` physical lines starting at line
/// `line_no` (see [`super::record`]).
pub fn write_record(
    out: &mut Vec<u8>,
    file: &str,
    line_no: u64,
    lines: u64,
    raw: &[u8],
    parsed: Option<&Line<'_>>,
    v: &Verdict,
) {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let event = match parsed {
        Some(l) => {
            let (_, up) = line::upstream_key(l);
            Event {
                file,
                line: line_no,
                time: l.time.map(super::time::format_iso),
                level: l.level.map(|l| l.as_str()),
                cause: causes::cause(v.cause).id,
                status: v.status,
                upstream: (!up.is_empty()).then(|| text(up)),
                server: l.fields.server.map(text),
                client: l.fields.client.map(text),
                request: l.fields.request.map(text),
                message: text(l.text),
                action: l.action.map(text),
                errno: l.errno.map(|e| e.0),
                pid: l.pid,
                connection: l.cid,
                host: l.fields.host.map(text),
                hint: super::classify::hint(l),
                lines,
            }
        }
        None => Event {
            file,
            line: line_no,
            time: None,
            level: None,
            cause: causes::cause(v.cause).id,
            status: None,
            upstream: None,
            server: None,
            client: None,
            request: None,
            message: text(raw),
            action: None,
            errno: None,
            pid: None,
            connection: None,
            host: None,
            hint: None,
            lines,
        },
    };
    // Serialising plain structs into a Vec cannot fail.
    if super::safe_json::to_writer(&mut *out, &event).is_ok() {
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::classify::{classify, unparsable};

    #[test]
    fn event_fields() {
        let raw = b"2026/11/25 15:17:18 [error] 21671#21671: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: lab.local, request: \"GET /r?x=1 HTTP/1.1\", upstream: \"http://127.0.0.1:1/r?x=1\", host: \"a\xff\"";
        let l = line::parse(raw).unwrap();
        let mut out = Vec::new();
        write_event(&mut out, "error.log", 7, raw, Some(&l), &classify(&l));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["file"], "error.log");
        assert_eq!(v["line"], 7);
        assert_eq!(v["time"], "2026-11-25T15:17:18");
        assert_eq!(v["level"], "error");
        assert_eq!(v["cause"], "connect-refused");
        assert_eq!(v["status"], 502);
        assert_eq!(v["upstream"], "127.0.0.1:1");
        assert_eq!(v["server"], "lab.local");
        assert_eq!(v["client"], "127.0.0.1");
        assert_eq!(v["request"], "GET /r?x=1 HTTP/1.1");
        assert_eq!(v["message"], "connect() failed (111: Connection refused)");
        assert_eq!(v["action"], "connecting to upstream");
        assert_eq!(v["errno"], 111);
        assert_eq!(v["host"], "a\u{fffd}");
        assert_eq!(out.last(), Some(&b'\n'));

        let mut out = Vec::new();
        write_event(&mut out, "-", 1, b"not a log line\r", None, &unparsable());
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["cause"], "unparsable");
        assert_eq!(v["message"], "not a log line");
        assert!(v["status"].is_null() && v["time"].is_null());
    }
}
