//! The error.log line header as nom combinators over bytes:
//! `YYYY/MM/DD HH:MM:SS [level] PID#TID: *CID `.
//!
//! The header is a small fixed grammar, so it is written as one: each field
//! is a combinator, and [`super::line`] strings them together (optional
//! where nginx leaves them out: `nginx: [emerg] …` console copies have no
//! time and no `PID#TID`, lines outside a connection no `*CID`). Everything
//! after the header (message, errno, action, context tail) is searched, not
//! parsed left to right, and stays hand-written in [`super::line`].
//!
//! The error type is `()`: a failed field only means "not there", and the
//! caller falls back, so there is nothing to report and nothing to build.

use nom::branch::alt;
use nom::bytes::complete::{tag, take, take_while_m_n};
use nom::character::complete::{char, digit1};
use nom::combinator::{eof, map, map_opt, opt, peek, recognize};
use nom::sequence::{delimited, pair, preceded, terminated, tuple};
use nom::IResult;

use super::bytes;
use super::line::Level;

/// A header field: the rest of the input and the value, or `Err` when the
/// field is not there.
pub type Parsed<'a, T> = IResult<&'a [u8], T, ()>;

/// Exactly `N` ASCII digits as a number.
fn fixed_digits<const N: usize>(i: &[u8]) -> Parsed<'_, u32> {
    map_opt(take(N), |d: &[u8]| {
        d.iter().try_fold(0u32, |v, &b| {
            b.is_ascii_digit().then(|| v * 10 + u32::from(b - b'0'))
        })
    })(i)
}

/// 1 to 19 ASCII digits (so the value fits a `u64`).
fn number(i: &[u8]) -> Parsed<'_, u64> {
    map_opt(digit1, |d: &[u8]| {
        (d.len() <= 19).then(|| d.iter().fold(0u64, |v, &b| v * 10 + u64::from(b - b'0')))
    })(i)
}

/// nginx's `YYYY/MM/DD HH:MM:SS` (19 bytes) as seconds since 1970-01-01
/// in the log's own zone-less time; an impossible date or clock fails.
pub fn log_time(i: &[u8]) -> Parsed<'_, i64> {
    map_opt(
        tuple((
            fixed_digits::<4>,
            preceded(char('/'), fixed_digits::<2>),
            preceded(char('/'), fixed_digits::<2>),
            preceded(char(' '), fixed_digits::<2>),
            preceded(char(':'), fixed_digits::<2>),
            preceded(char(':'), fixed_digits::<2>),
        )),
        |(y, mo, d, h, mi, s)| super::time::to_secs(y, mo, d, h, mi, s),
    )(i)
}

/// The shape of a header time followed by the level's `[`, digits checked
/// only where a date must have one: how a header is recognised behind a
/// paste prefix. A line of this shape whose time does not parse is not a
/// log line (rather than a level found further on).
pub fn time_shape(i: &[u8]) -> bool {
    fn digit(i: &[u8]) -> Parsed<'_, &[u8]> {
        take_while_m_n(1, 1, |b: u8| b.is_ascii_digit())(i)
    }
    peek::<_, _, (), _>(recognize(tuple((
        digit,
        take(3usize),
        char('/'),
        digit,
        take(1usize),
        char('/'),
        take(2usize),
        char(' '),
        digit,
        take(1usize),
        char(':'),
        take(2usize),
        char(':'),
        take(2usize),
        tag(" ["),
    ))))(i)
    .is_ok()
}

/// `[level]`: one of nginx's level words (4 to 6 lowercase letters).
pub fn level(i: &[u8]) -> Parsed<'_, Level> {
    delimited(
        char('['),
        map_opt(
            take_while_m_n(4, 6, |b: u8| b.is_ascii_lowercase()),
            Level::parse,
        ),
        char(']'),
    )(i)
}

/// `[level] ` at the start of `i` (the space included), without consuming.
pub fn level_at(i: &[u8]) -> bool {
    peek::<_, _, (), _>(pair(level, char(' ')))(i).is_ok()
}

/// `PID#TID: ` (the space may be missing at the end of a cut line): the
/// worker's process and thread ids, `None` when they overflow a `u32`.
pub fn pid_tid(i: &[u8]) -> Parsed<'_, (Option<u32>, Option<u32>)> {
    map(
        terminated(
            tuple((number, char('#'), number)),
            alt((tag(": "), tag(":"), eof)),
        ),
        |(p, _, t)| (u32::try_from(p).ok(), u32::try_from(t).ok()),
    )(i)
}

/// `*CID `: the connection serial number.
pub fn connection(i: &[u8]) -> Parsed<'_, u64> {
    delimited(char('*'), number, char(' '))(i)
}

/// `nginx: `, the prefix nginx puts on what it writes to stderr.
pub fn stderr_prefix(i: &[u8]) -> Parsed<'_, &[u8]> {
    tag("nginx: ")(i)
}

/// `TIME ` followed by `[`: the time of a line that starts with its header,
/// and the rest from the level on.
pub fn time_then_level(i: &[u8]) -> Option<(i64, &[u8])> {
    terminated(log_time, pair(char(' '), peek(char('['))))(i)
        .ok()
        .map(|(rest, t)| (t, rest))
}

/// `[LEVEL]` and the space after it, if any.
pub fn level_then_space(i: &[u8]) -> Option<(Level, &[u8])> {
    terminated(level, opt(char(' ')))(i)
        .ok()
        .map(|(rest, l)| (l, rest))
}

/// The header up to the message: `(time, level, rest)` of `TIME [LEVEL] `,
/// `nginx: [LEVEL] ` or `[LEVEL] `; `None` when neither a level nor the
/// stderr prefix is there. The space after `]` is optional.
pub fn time_and_level(i: &[u8]) -> Option<(Option<i64>, Option<Level>, &[u8])> {
    let (i, time) = opt(terminated(log_time, char(' ')))(i).ok()?;
    let (i, stderr) = match time {
        Some(_) => (i, None),
        None => opt(stderr_prefix)(i).ok()?,
    };
    let (level, i) = match level_then_space(i) {
        Some((l, rest)) => (Some(l), rest),
        None => (None, i),
    };
    if level.is_none() && stderr.is_none() {
        return None;
    }
    Some((time, level, i))
}

/// `PID#TID: *CID ` after the level, each part optional: the ids and the
/// rest of the line.
pub fn ids(i: &[u8]) -> (Option<u32>, Option<u32>, Option<u64>, &[u8]) {
    let (i, ids) = match pid_tid(i) {
        Ok((rest, ids)) => (rest, ids),
        Err(_) => (i, (None, None)),
    };
    let (i, cid) = match connection(i) {
        Ok((rest, cid)) => (rest, Some(cid)),
        Err(_) => (i, None),
    };
    (ids.0, ids.1, cid, i)
}

/// The ids of a canonical header: `(pid, tid, cid)`.
pub type Ids = (Option<u32>, Option<u32>, Option<u64>);

/// The time of the last canonical header read, as text and as seconds:
/// nginx writes the same second on many consecutive lines, so a reader
/// that keeps one of these reads the digits of each second once.
#[derive(Debug, Default, Clone, Copy)]
pub struct LastTime {
    /// The 19 bytes `YYYY/MM/DD HH:MM:SS` (all zero bytes before the first
    /// header, which no header matches).
    text: [u8; 19],
    secs: i64,
}

/// The common header, `YYYY/MM/DD HH:MM:SS [level] PID#TID: ` with an
/// optional `*CID `, read at fixed offsets without the combinators (the
/// header is most of the per-line cost of a short line). `None` for any
/// other shape, which then goes through [`time_then_level`],
/// [`level_then_space`] and [`ids`]: for every line this accepts, those
/// give the same time, level, ids and rest (a test checks them against
/// each other). A time equal to `last` is not read again.
#[inline]
pub fn canonical<'a>(i: &'a [u8], last: &mut LastTime) -> Option<(i64, Level, Ids, &'a [u8])> {
    // A fixed-size view: the offsets below need no bounds checks.
    let h: &[u8; 27] = i.get(..27)?.try_into().ok()?;
    if h[4] != b'/'
        || h[7] != b'/'
        || h[10] != b' '
        || h[13] != b':'
        || h[16] != b':'
        || h[19] != b' '
        || h[20] != b'['
    {
        return None;
    }
    let text: &[u8; 19] = i.get(..19)?.try_into().ok()?;
    let t = if *text == last.text {
        last.secs
    } else {
        let t = read_time(h)?;
        *last = LastTime {
            text: *text,
            secs: t,
        };
        t
    };
    // `[level] `: 4 to 6 lowercase letters.
    let (level, rest) = match level_word(i) {
        Some(found) => found,
        None => {
            let close = 21 + i[21..i.len().min(28)].iter().position(|&b| b == b']')?;
            let level = Level::parse(&i[21..close])?;
            if i.get(close + 1) != Some(&b' ') {
                return None;
            }
            (level, &i[close + 2..])
        }
    };
    // `PID#TID: `, each at most 9 digits (so it fits a u32).
    let (pid, n) = short_number(rest)?;
    if rest.get(n) != Some(&b'#') {
        return None;
    }
    let (tid, m) = short_number(&rest[n + 1..])?;
    let at = n + 1 + m;
    if rest.get(at) != Some(&b':') || rest.get(at + 1) != Some(&b' ') {
        return None;
    }
    let rest = &rest[at + 2..];
    // `*CID `, at most 18 digits.
    let mut cid = None;
    let mut rest = rest;
    if rest.first() == Some(&b'*') {
        let (mut v, mut k) = match bytes::leading_digits8(&rest[1..]) {
            Some((v, n)) if n < 8 => (u64::from(v), n + 1),
            _ => (0, 1),
        };
        if k == 1 {
            while k < rest.len() && k <= 18 && rest[k].is_ascii_digit() {
                v = v * 10 + u64::from(rest[k] - b'0');
                k += 1;
            }
        }
        if k == 1 || rest.get(k) != Some(&b' ') {
            // `*` not followed by `DIGITS `: leave it to the grammar.
            return None;
        }
        cid = Some(v);
        rest = &rest[k + 1..];
    }
    Some((t, level, (Some(pid), Some(tid), cid), rest))
}

/// The time of a canonical header whose separators are checked: every
/// date and clock position must be a digit.
fn read_time(h: &[u8; 27]) -> Option<i64> {
    #[inline(always)]
    fn two(h: &[u8; 27], k: usize) -> Option<u32> {
        let (a, b) = (h[k].wrapping_sub(b'0'), h[k + 1].wrapping_sub(b'0'));
        (a <= 9 && b <= 9).then(|| u32::from(a) * 10 + u32::from(b))
    }
    let year = two(h, 0)? * 100 + two(h, 2)?;
    super::time::to_secs(
        year,
        two(h, 5)?,
        two(h, 8)?,
        two(h, 11)?,
        two(h, 14)?,
        two(h, 17)?,
    )
}

/// `[level] ` at offset 20 of a canonical header, compared as one word:
/// the level and the rest after it. `None` for anything else (a short
/// line, another level word), which the caller reads the long way.
#[inline]
fn level_word(i: &[u8]) -> Option<(Level, &[u8])> {
    const fn word(s: &[u8]) -> u64 {
        let mut b = [0u8; 8];
        let mut k = 0;
        while k < s.len() {
            b[k] = s[k];
            k += 1;
        }
        u64::from_le_bytes(b)
    }
    const SEVEN: u64 = (1 << 56) - 1;
    let w = u64::from_le_bytes(i.get(20..28)?.try_into().ok()?);
    let (level, len) = if w == word(b"[error] ") {
        (Level::Error, 8)
    } else if w & SEVEN == word(b"[info] ") {
        (Level::Info, 7)
    } else if w & SEVEN == word(b"[warn] ") {
        (Level::Warn, 7)
    } else if w == word(b"[notice]") && i.get(28) == Some(&b' ') {
        (Level::Notice, 9)
    } else if w & SEVEN == word(b"[crit] ") {
        (Level::Crit, 7)
    } else if w == word(b"[alert] ") {
        (Level::Alert, 8)
    } else if w == word(b"[emerg] ") {
        (Level::Emerg, 8)
    } else if w == word(b"[debug] ") {
        (Level::Debug, 8)
    } else {
        return None;
    };
    Some((level, &i[20 + len..]))
}

/// 1 to 9 leading digits: (value, count). Longer numbers are left to the
/// grammar.
#[inline]
fn short_number(s: &[u8]) -> Option<(u32, usize)> {
    if let Some((v, n)) = bytes::leading_digits8(s) {
        if n < 8 {
            return (n > 0).then_some((v, n));
        }
    }
    let mut v = 0u32;
    let mut n = 0;
    while n < s.len() && s[n].is_ascii_digit() {
        if n == 9 {
            return None;
        }
        v = v * 10 + u32::from(s[n] - b'0');
        n += 1;
    }
    (n > 0).then_some((v, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        assert_eq!(
            log_time(b"2026/11/25 15:17:18 [").map(|(r, _)| r),
            Ok(&b" ["[..])
        );
        assert!(log_time(b"2026/13/25 15:17:18").is_err());
        assert!(log_time(b"2026/11/25 24:00:00").is_err());
        assert!(log_time(b"2026/11/25 15:17:1").is_err());
        assert_eq!(level(b"[notice] x"), Ok((&b" x"[..], Level::Notice)));
        assert!(level(b"[errors] x").is_err());
        assert!(level_at(b"[warn] "));
        assert!(!level_at(b"[warn]x"));
        assert_eq!(
            pid_tid(b"12#34: *5 x"),
            Ok((&b"*5 x"[..], (Some(12), Some(34))))
        );
        assert_eq!(pid_tid(b"12#34:x"), Ok((&b"x"[..], (Some(12), Some(34)))));
        assert_eq!(pid_tid(b"12#34"), Ok((&b""[..], (Some(12), Some(34)))));
        assert!(pid_tid(b"12#34 x").is_err());
        assert_eq!(pid_tid(b"99999999999#1: "), Ok((&b""[..], (None, Some(1)))));
        assert_eq!(connection(b"*42 m"), Ok((&b"m"[..], 42)));
        assert!(connection(b"*42m").is_err());
        assert!(time_shape(b"2026/11/25 15:17:18 [error]"));
        assert!(time_shape(b"2026/1x/25 15:17:18 [error]"));
        assert!(!time_shape(b"2026/11/25 15:17:18 error"));
    }

    /// The fast path against the grammar, on lines that exercise every
    /// boundary it checks.
    #[test]
    fn canonical_agrees_with_the_grammar() {
        fn grammar(i: &[u8]) -> Option<(i64, Level, Ids, &[u8])> {
            let (t, rest) = time_then_level(i)?;
            let (l, rest) = level_then_space(rest)?;
            let (p, tid, c, rest) = ids(rest);
            Some((t, l, (p, tid, c), rest))
        }
        let heads = [
            "2026/11/25 15:17:18 [error] 1#1: *2 m",
            "2026/11/25 15:17:18 [error] 1#1: m",
            "2026/11/25 15:17:18 [notice] 123456789#987654321: *123456789012345678 m",
            "2026/11/25 15:17:18 [error] 1234567890#1: *2 m",
            "2026/11/25 15:17:18 [error] 9999999999#1: *2 m",
            "2026/11/25 15:17:18 [error] 1#99999999999: *2 m",
            "2026/11/25 15:17:18 [error] 999999999#999999999: *999999999999999999 m",
            "2026/11/25 15:17:18 [error] 1#1: *9999999999999999999 m",
            "2026/11/25 15:17:18 [error] 1#1: *1234567890123456789 m",
            "2026/11/25 15:17:18 [error] 1#1: *2m",
            "2026/11/25 15:17:18 [error] 1#1: * m",
            "2026/11/25 15:17:18 [error] 1#1:*2 m",
            "2026/11/25 15:17:18 [error] 1#1: *2 ",
            "2026/11/25 15:17:18 [error]1#1: *2 m",
            "2026/11/25 15:17:18 [errors] 1#1: *2 m",
            "2026/11/25 15:17:18 [debug] 1#: *2 m",
            "2026/11/25 15:17:18 [emerg] #1: m",
            "2026/13/25 15:17:18 [error] 1#1: *2 m",
            "2026/11/25 24:17:18 [error] 1#1: *2 m",
            "2026/11/25 15:17:60 [error] 1#1: *2 m",
            "2026/11/25 15:17:18 [error] 1#1",
            "2026/11/25 15:17:1x [error] 1#1: *2 m",
            "0000/01/01 00:00:00 [warn] 0#0: *0 m",
        ];
        // Each header read fresh, and all of them in a row (the last time
        // remembered from one to the next).
        let mut last = LastTime::default();
        for h in heads {
            let fast = canonical(h.as_bytes(), &mut LastTime::default());
            if let Some(f) = fast {
                assert_eq!(Some(f), grammar(h.as_bytes()), "{h}");
            }
            assert_eq!(canonical(h.as_bytes(), &mut last), fast, "{h}");
        }
        let fresh = LastTime::default;
        assert!(canonical(heads[0].as_bytes(), &mut fresh()).is_some());
        assert!(canonical(heads[1].as_bytes(), &mut fresh()).is_some());
        assert!(canonical(heads[2].as_bytes(), &mut fresh()).is_some());
    }

    proptest::proptest! {
        #[test]
        fn canonical_agrees_on_any_header(
            h in "[0-9]{4}/(0[1-9]|1[0-2]|[0-9]{2})/([0-2][1-9]|[0-9]{2}) ([01][0-9]|[0-9]{2}):[0-5][0-9]:[0-6][0-9] \\[(error|warn|crit|info|errx)\\] ?[0-9]{0,11}#[0-9]{0,11}:? ?(\\*[0-9]{0,20} ?)?[a-z ]{0,3}"
        ) {
            if let Some(f) = canonical(h.as_bytes(), &mut LastTime::default()) {
                let (t, rest) = time_then_level(h.as_bytes()).unwrap();
                let (l, rest) = level_then_space(rest).unwrap();
                let (p, tid, c, rest) = ids(rest);
                proptest::prop_assert_eq!(f, (t, l, (p, tid, c), rest));
            }
        }
    }

    #[test]
    fn headers() {
        let (t, l, rest) = time_and_level(b"2026/11/25 15:17:18 [error] 1#1: *2 m").unwrap();
        assert!(t.is_some());
        assert_eq!(l, Some(Level::Error));
        assert_eq!(ids(rest), (Some(1), Some(1), Some(2), &b"m"[..]));
        let (t, l, rest) = time_and_level(b"nginx: [emerg] host not found").unwrap();
        assert_eq!((t, l), (None, Some(Level::Emerg)));
        assert_eq!(ids(rest), (None, None, None, &b"host not found"[..]));
        assert!(time_and_level(b"2026/11/25 15:17:18 something").is_none());
        assert!(time_and_level(b"nginx: x").is_some());
    }
}
