//! The classifier: a parsed line → (cause, status, hint).
//!
//! It walks the cause table ([`super::causes::CAUSES`]) in order, so the
//! context a line was logged in can decide before its errno (a reset during
//! the TLS handshake is a TLS failure, errors while resolving are DNS,
//! anything at error level while reading the body is a truncated body). To
//! keep the hot path cheap, signatures are indexed by the first byte of their
//! message prefix and by whether they need an action and an errno; a line
//! only tries the signatures that can match it, and searches a signature's
//! text only when the message has every byte value of that text (the texts
//! that may be anywhere in a message are tried by nearly every line the
//! memo misses; most lack a byte of most of them).

use std::sync::OnceLock;

use memchr::memmem::Finder;

use super::causes::{self, CauseId, Levels, Phase, Sig, Text, CAUSES};
use super::line::{self, Line};

mod memo;

pub use memo::Classifier;

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
    /// The byte values of the `contains` text, as 256 bits.
    needs: [u64; 4],
}

/// The byte values in `s`, as 256 bits.
fn byte_set(s: &[u8]) -> [u64; 4] {
    let mut set = [0u64; 4];
    for &b in s {
        set[usize::from(b >> 6)] |= 1 << (b & 63);
    }
    set
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
    /// Per [`facet`] of a line and first byte of its message: the
    /// signatures to try, in table order (a line without an action the
    /// table names skips the signatures that need one, a line without an
    /// errno those that need one).
    by_first_byte: [Vec<Vec<usize>>; 4],
    sigs: Vec<Compiled>,
    /// For each signature text with a digit in it, its part before the
    /// first digit (empty for a text the message may contain anywhere):
    /// only a message that starts with one of these can have a verdict
    /// that depends on the value of its digits (see [`numbers_matter`]).
    number_guards: Vec<&'static [u8]>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut actions: Vec<&'static [u8]> = Vec::new();
        let mut sigs = Vec::new();
        let mut number_guards: Vec<&'static [u8]> = Vec::new();
        let mut by_first_byte: [Vec<Vec<usize>>; 4] =
            std::array::from_fn(|_| vec![Vec::new(); 256]);
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
                let before_digit = |t: &'static [u8]| t.iter().position(u8::is_ascii_digit);
                if let Some(d) = before_digit(prefix) {
                    number_guards.push(&prefix[..d]);
                }
                if contains.is_some_and(|c| before_digit(c.as_bytes()).is_some()) {
                    number_guards.push(b"");
                }
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
                    needs: byte_set(contains.unwrap_or("").as_bytes()),
                });
                for (f, lists) in by_first_byte.iter_mut().enumerate() {
                    let (has_action, has_errno) = (f & 1 != 0, f & 2 != 0);
                    if (phases.is_some() && !has_action) || (!sig.errno.is_empty() && !has_errno) {
                        continue;
                    }
                    match prefix.first() {
                        Some(&b) => lists[b as usize].push(n),
                        None => lists.iter_mut().for_each(|v| v.push(n)),
                    }
                }
            }
        }
        if actions.iter().any(|a| a.iter().any(u8::is_ascii_digit)) {
            number_guards.push(b"");
        }
        Tables {
            actions,
            by_first_byte,
            sigs,
            number_guards,
        }
    })
}

fn sig_matches(
    c: &Compiled,
    line: &Line<'_>,
    action_bit: u64,
    head: u128,
    errno: Option<i32>,
    message_bytes: &mut Option<[u64; 4]>,
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
        Some(f) => {
            // A message without some byte of the text cannot contain it.
            let has = message_bytes.get_or_insert_with(|| byte_set(m));
            c.needs.iter().zip(has.iter()).all(|(n, h)| n & !h == 0)
                && f.find(&m[c.prefix.len()..]).is_some()
        }
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
    let errno = errno_code(line);
    classify_with(t, line, action_bit(t, line.action), errno)
}

/// May the verdict of a line depend on the values of the digits in its
/// message, not only on where they are? Only when the message starts like
/// a signature text that has a digit in it: every other text is matched
/// (as a prefix, or anywhere) against bytes that are not digits, so
/// replacing one digit by another changes no match (an action of the
/// table with a digit would make every message count). The errno and the
/// configuration location are parsed values, not matched text.
pub(crate) fn numbers_matter(message: &[u8]) -> bool {
    tables()
        .number_guards
        .iter()
        .any(|g| line::starts_with_short(message, g))
}

/// A line's errno as the classifier reads it (see [`line::canonical_errno`]).
pub(crate) fn errno_code(line: &Line<'_>) -> Option<i32> {
    line.errno
        .map(|(code, text)| line::canonical_errno(code, text))
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
            .is_some_and(|u| super::bytes::rfind_seq(u, b"://", 0).is_none())
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
/// * a line of a subrequest (`subrequest:`) is about that subrequest: the
///   main request decides what the client gets (auth_request answers 500
///   and logs its own line; an SSI include, a mirror or a later slice
///   leaves the main response's status as it is);
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
    if line.fields.subrequest.is_some() {
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

/// Which of [`Tables::by_first_byte`] a line uses: whether it has an
/// action the table names (bit 0) and an errno (bit 1).
fn facet(action_bit: u64, errno: Option<i32>) -> usize {
    usize::from(action_bit != 0) | usize::from(errno.is_some()) << 1
}

fn classify_with(t: &Tables, line: &Line<'_>, action_bit: u64, errno: Option<i32>) -> Verdict {
    let first = line.message.first().copied().unwrap_or(0);
    let head = head16(line.message);
    let mut message_bytes = None;
    for &i in &t.by_first_byte[facet(action_bit, errno)][first as usize] {
        let c = &t.sigs[i];
        if sig_matches(c, line, action_bit, head, errno, &mut message_bytes) {
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
mod tests;
