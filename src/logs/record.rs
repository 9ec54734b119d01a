//! Multi-line messages: one event from a head line and its continuation
//! lines.
//!
//! nginx copies what a backend or a Lua handler wrote, newlines included:
//! PHP's `Stack trace:` inside `FastCGI sent in stderr: "…"`, Lua's
//! `stack traceback:` after `lua entry thread aborted`. The context tail
//! (`, client: …, server: …, request: …`) then comes at the end of the last
//! physical line. A head line is *open* when it has no context tail and
//! either an unclosed quote or a Lua message (or a runtime error); the lines after it that are
//! not log lines themselves attach to it, up to the one carrying the tail.
//! The record (head and continuations, newlines kept) is parsed as one line,
//! so the tail fills the head's fields. Lines after a closed head (or
//! after nothing) stay lines of their own.

use std::sync::OnceLock;

use memchr::memmem::Finder;

use super::line::{self, Line};

/// Most continuation lines attached to one head.
pub const MAX_CONTINUATION: usize = 500;

/// Does this parsed line start a record that may go on over the next lines?
pub fn opens(l: &Line<'_>) -> bool {
    if l.fields.client.is_some() || l.fields.server.is_some() || l.fields.resolver.is_some() {
        return false;
    }
    let f = finders();
    let quotes = memchr::memchr_iter(b'"', l.head).count();
    // Both texts have a `u`, which most heads without a context tail
    // (`client … closed keepalive connection`) lack: one byte search rules
    // out both.
    quotes % 2 == 1
        || (memchr::memchr(b'u', l.head).is_some()
            && (f.lua.find(l.head).is_some() || f.runtime.find(l.head).is_some()))
}

/// Does this continuation line end the record (it carries the context
/// tail)?
pub fn closes(cont: &[u8]) -> bool {
    let f = finders();
    f.client.find(cont).is_some() || f.context.find(cont).is_some()
}

/// Searchers built once: building one costs more than searching a line,
/// and these run on every line without a context tail.
struct Finders {
    lua: Finder<'static>,
    runtime: Finder<'static>,
    client: Finder<'static>,
    context: Finder<'static>,
}

fn finders() -> &'static Finders {
    static F: OnceLock<Finders> = OnceLock::new();
    F.get_or_init(|| Finders {
        lua: Finder::new(b"lua"),
        runtime: Finder::new(b"runtime error"),
        client: Finder::new(b", client: "),
        context: Finder::new(b", context: "),
    })
}

/// Where the last record of `data` (complete lines) starts when that
/// record is still open, so that a reader keeps it for the next block.
/// Looks back a bounded number of lines.
pub fn open_tail(data: &[u8]) -> Option<usize> {
    let mut end = data.len();
    let mut closed = false;
    for _ in 0..64 {
        if end == 0 {
            return None;
        }
        let line_end = if data[end - 1] == b'\n' { end - 1 } else { end };
        let start = memchr::memrchr(b'\n', &data[..line_end]).map_or(0, |p| p + 1);
        let raw = &data[start..line_end];
        if let Some(l) = line::parse(raw) {
            return (opens(&l) && !closed).then_some(start);
        }
        if closes(raw) {
            closed = true;
        }
        end = start;
    }
    None
}

/// Iterate the records of a block: `(bytes, physical lines, parsed)`. A
/// record is one line unless its head [`opens`] and continuation lines
/// follow; then the whole record is parsed as one line.
pub fn records(data: &[u8]) -> impl Iterator<Item = (&[u8], u64, Option<Line<'_>>)> {
    let mut records = Records::new(data);
    std::iter::from_fn(move || {
        let mut line = Line::EMPTY;
        let (raw, n, parsed) = records.next_into(&mut line)?;
        Some((raw, n, parsed.then_some(line)))
    })
}

/// The records of a block, as [`records`] gives them, each parsed into a
/// `Line` the caller keeps from one record to the next.
pub struct Records<'a> {
    data: &'a [u8],
    at: usize,
    parser: line::Parser,
}

impl<'a> Records<'a> {
    pub fn new(data: &'a [u8]) -> Records<'a> {
        Records {
            data,
            at: 0,
            parser: line::Parser::default(),
        }
    }

    /// The next record: `(bytes, physical lines, parsed)`, its parse in
    /// `line` when `parsed` (see [`line::Parser::parse_into`]).
    pub fn next_into(&mut self, line: &mut Line<'a>) -> Option<(&'a [u8], u64, bool)> {
        let data = self.data;
        if self.at >= data.len() {
            return None;
        }
        let start = self.at;
        let (raw, next) = line_at(data, self.at);
        self.at = next;
        if !self.parser.parse_into(raw, line) {
            return Some((raw, 1, false));
        }
        if !opens(line) {
            return Some((raw, 1, true));
        }
        let mut end = start + raw.len();
        let mut n = 1u64;
        let mut cont_line = Line::EMPTY;
        while self.at < data.len() && (n as usize) <= MAX_CONTINUATION {
            let (cont, next) = line_at(data, self.at);
            if self.parser.parse_into(cont, &mut cont_line) {
                break;
            }
            end = self.at + cont.len();
            self.at = next;
            n += 1;
            if closes(cont) {
                break;
            }
        }
        if n == 1 {
            return Some((raw, 1, true));
        }
        let rec = &data[start..end];
        Some((rec, n, self.parser.parse_into(rec, line)))
    }
}

/// The line starting at `at` (without its newline, cut to
/// [`super::reader::MAX_LINE`]) and where the next one starts.
fn line_at(data: &[u8], at: usize) -> (&[u8], usize) {
    let end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i);
    let cut = end.min(at + super::reader::MAX_LINE);
    (&data[at..cut], end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHP: &str = "2026/11/25 15:19:34 [error] 7#7: *3 FastCGI sent in stderr: \"PHP message: PHP Fatal error:  Uncaught Exception: boom in /var/www/html/index.php:3\nStack trace:\n#0 {main}\n  thrown in /var/www/html/index.php on line 3\" while reading response header from upstream, client: 10.0.0.1, server: shop, request: \"GET /x HTTP/1.1\", upstream: \"fastcgi://unix:/run/php.sock:\", host: \"shop\"\n";
    const LUA: &str = "2026/11/25 15:19:35 [error] 7#7: *4 lua entry thread aborted: runtime error: content_by_lua(nginx.conf:12):2: boom\nstack traceback:\ncoroutine 0:\n\t[C]: in function 'error'\n\tcontent_by_lua(nginx.conf:12):2: in main chunk, client: 10.0.0.2, server: api, request: \"GET /lua HTTP/1.1\", host: \"api\"\n";
    const PLAIN: &str = "2026/11/25 15:19:36 [notice] 7#7: signal process started\n";

    #[test]
    fn continuation_lines_attach_to_an_open_head() {
        let data = format!("{PHP}{LUA}{PLAIN}    at node.js:1\n");
        let recs: Vec<(&[u8], u64)> = records(data.as_bytes()).map(|r| (r.0, r.1)).collect();
        let n: Vec<u64> = recs.iter().map(|r| r.1).collect();
        assert_eq!(n, [4, 5, 1, 1]);
        let php = line::parse(recs[0].0).unwrap();
        assert_eq!(php.fields.client, Some(&b"10.0.0.1"[..]));
        assert_eq!(
            php.action,
            Some(&b"reading response header from upstream"[..])
        );
        let lua = line::parse(recs[1].0).unwrap();
        assert_eq!(lua.fields.server, Some(&b"api"[..]));
        assert!(lua.message.starts_with(b"lua entry thread aborted"));
        assert!(line::parse(recs[3].0).is_none());
        // Every byte of the block is in exactly one record.
        let total: u64 = n.iter().sum();
        assert_eq!(total, data.lines().count() as u64);
    }

    #[test]
    fn open_tail_finds_an_unfinished_record() {
        let head = &PHP[..PHP.find("#0").unwrap()];
        let data = format!("{PLAIN}{head}");
        assert_eq!(open_tail(data.as_bytes()), Some(PLAIN.len()));
        assert_eq!(open_tail(PHP.as_bytes()), None);
        assert_eq!(open_tail(PLAIN.as_bytes()), None);
    }
}
