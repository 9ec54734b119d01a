//! nginx value syntax: times (`1h30m`, `500ms`, bare numbers as seconds),
//! sizes (`4k`, `1m`, `2g`) and plain numbers, as nom combinators over
//! bytes with the rules of `ngx_parse_time`, `ngx_parse_size` and
//! `ngx_atoi`; plus formatting back to nginx notation for messages. Rules
//! compare numbers, never strings. The grammar checks
//! (`lint::grammar::values`) use the same combinators.

use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{char, digit0, digit1, one_of};
use nom::combinator::{all_consuming, iterator, opt, value, verify};
use nom::sequence::pair;
use nom::IResult;

/// Milliseconds, as nginx keeps most timeouts (`ngx_msec_t`).
pub type Millis = u64;

/// What the value combinators return; the error carries nothing (a value
/// either is well-formed or not).
pub type Res<'a, O> = IResult<&'a [u8], O, ()>;

/// A unit of `ngx_parse_time`. Units must come in this order, each at most
/// once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimeUnit {
    Year = 1,
    Month,
    Week,
    Day,
    Hour,
    Min,
    Sec,
    Msec,
    /// A space: what follows is a last number of seconds.
    Space,
}

impl TimeUnit {
    /// The unit's length in milliseconds.
    fn millis(self) -> u64 {
        const S: u64 = 1000;
        match self {
            TimeUnit::Year => 365 * 24 * 3600 * S,
            TimeUnit::Month => 30 * 24 * 3600 * S,
            TimeUnit::Week => 7 * 24 * 3600 * S,
            TimeUnit::Day => 24 * 3600 * S,
            TimeUnit::Hour => 3600 * S,
            TimeUnit::Min => 60 * S,
            TimeUnit::Sec | TimeUnit::Space => S,
            TimeUnit::Msec => 1,
        }
    }
}

/// A time unit; `ms` before `m`.
pub fn time_unit(i: &[u8]) -> Res<'_, TimeUnit> {
    alt((
        value(TimeUnit::Msec, tag("ms")),
        value(TimeUnit::Year, char('y')),
        value(TimeUnit::Month, char('M')),
        value(TimeUnit::Week, char('w')),
        value(TimeUnit::Day, char('d')),
        value(TimeUnit::Hour, char('h')),
        value(TimeUnit::Min, char('m')),
        value(TimeUnit::Sec, char('s')),
        value(TimeUnit::Space, char(' ')),
    ))(i)
}

/// One part of a time: digits (perhaps none) and a unit, or the last digits
/// alone (no unit: seconds).
pub fn time_part(i: &[u8]) -> Res<'_, (&[u8], Option<TimeUnit>)> {
    verify(pair(digit0, opt(time_unit)), |(d, u): &(&[u8], _)| {
        !d.is_empty() || u.is_some()
    })(i)
}

/// The parts of a whole time (`None` when something else is in it).
fn time_parts(s: &str) -> Option<Vec<(&[u8], Option<TimeUnit>)>> {
    let mut it = iterator(s.as_bytes(), time_part);
    let parts: Vec<_> = it.collect();
    match it.finish() {
        Ok(([], ())) => Some(parts),
        _ => None,
    }
}

/// Decimal digits as a number (`None` when it does not fit).
fn decimal(d: &[u8]) -> Option<u64> {
    d.iter().try_fold(0u64, |n, &c| {
        n.checked_mul(10)?.checked_add(u64::from(c - b'0'))
    })
}

/// Parse a time the way `ngx_parse_time(line, 0)` does (millisecond
/// precision): units `w d h m s ms` in decreasing order, each at most once,
/// a trailing bare number counts as seconds (`90` = 90s). `y`/`M` are
/// rejected in this mode, as in nginx. Returns milliseconds.
pub fn parse_time(s: &str) -> Option<Millis> {
    parse_time_inner(s, false)
}

/// Parse a time the way `ngx_parse_time(line, 1)` does (second precision:
/// `fail_timeout`, `valid=`, `expires`): units `y M w d h m s`, no `ms`.
/// Returns milliseconds (a whole number of seconds × 1000).
pub fn parse_time_sec(s: &str) -> Option<Millis> {
    parse_time_inner(s, true)
}

/// The step before any unit: `y` and `M` only in second precision.
fn first_step(is_sec: bool) -> u8 {
    if is_sec {
        0
    } else {
        TimeUnit::Month as u8
    }
}

fn parse_time_inner(s: &str, is_sec: bool) -> Option<Millis> {
    let mut step = first_step(is_sec);
    let mut total: u64 = 0;
    let mut valid = false;
    for (digits, unit) in time_parts(s)? {
        valid |= !digits.is_empty();
        let value = decimal(digits)?;
        let scale = match unit {
            None => TimeUnit::Sec.millis(),
            Some(u) => {
                let allowed = match u {
                    TimeUnit::Msec => !is_sec && step < u as u8,
                    // a space ends the units: only a number may follow
                    TimeUnit::Space => step < TimeUnit::Sec as u8,
                    _ => step < u as u8,
                };
                if !allowed {
                    return None;
                }
                step = u as u8;
                u.millis()
            }
        };
        total = total.checked_add(value.checked_mul(scale)?)?;
    }
    valid.then_some(total)
}

/// Is `s` a time `ngx_parse_time` reads (`is_sec`: second precision)? Each
/// unit needs digits before it; the value may be out of range.
pub fn is_time(s: &str, is_sec: bool) -> bool {
    let Some(parts) = time_parts(s) else {
        return false;
    };
    let mut step = first_step(is_sec);
    let mut valid = false;
    for (digits, unit) in parts {
        valid |= !digits.is_empty();
        if let Some(u) = unit {
            if (is_sec && u == TimeUnit::Msec) || step >= u as u8 || digits.is_empty() {
                return false;
            }
            step = u as u8;
        }
    }
    valid
}

/// `ngx_atoi`'s digits: one or more.
pub fn number(i: &[u8]) -> Res<'_, &[u8]> {
    digit1(i)
}

/// `ngx_atoi`: one or more decimal digits (fewer than 19, so the value
/// fits).
pub fn is_number(s: &str) -> bool {
    all_consuming(verify(number, |d: &[u8]| d.len() < 19))(s.as_bytes()).is_ok()
}

/// A size: digits and one optional unit letter from `units`.
pub fn size<'u>(units: &'u str) -> impl Fn(&[u8]) -> Res<'_, (&[u8], Option<char>)> + 'u {
    move |i| pair(number, opt(one_of(units)))(i)
}

/// `ngx_parse_size`: digits with an optional `k`/`K`/`m`/`M`.
pub fn is_size(s: &str) -> bool {
    is_sized(s, "kKmM")
}

/// `ngx_parse_offset`: digits with an optional `k`/`m`/`g` (either case).
pub fn is_offset(s: &str) -> bool {
    is_sized(s, "kKmMgG")
}

fn is_sized(s: &str, units: &str) -> bool {
    all_consuming(verify(size(units), |(d, _): &(&[u8], _)| d.len() < 19))(s.as_bytes()).is_ok()
}

/// Parse a size the way `ngx_parse_size` / `ngx_parse_offset` do: a number
/// with an optional `k`/`K`, `m`/`M` or `g`/`G` suffix. Returns bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let (_, (digits, unit)) = all_consuming(size("kKmMgG"))(s.as_bytes()).ok()?;
    let mul = match unit {
        Some('k' | 'K') => 1 << 10,
        Some('m' | 'M') => 1 << 20,
        Some(_) => 1 << 30,
        None => 1,
    };
    decimal(digits)?.checked_mul(mul)
}

/// Format milliseconds in nginx notation, largest units first (`90000` →
/// `90s`, `5m`, `1h30m`, `500` → `500ms`, `0` → `0s`).
pub fn format_time(ms: Millis) -> String {
    let mut out = String::new();
    write_time(&mut out, ms);
    out
}

/// [`format_time`], appended to `out` (rules building messages for every
/// location of a big config write in place).
pub fn write_time(out: &mut String, ms: Millis) {
    let num = |out: &mut String, n: Millis, unit: &str| {
        out.push_str(itoa::Buffer::new().format(n));
        out.push_str(unit);
    };
    if ms == 0 {
        out.push_str("0s");
        return;
    }
    // what people write: `75s`, `300s`, `10m`, `1h`
    if ms.is_multiple_of(1000) && ms < 600_000 && (!ms.is_multiple_of(60_000) || ms < 60_000 * 2) {
        num(out, ms / 1000, "s");
        return;
    }
    let mut rest_s = ms / 1000;
    for (unit, secs) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest_s >= secs {
            num(out, rest_s / secs, unit);
            rest_s %= secs;
        }
    }
    if !ms.is_multiple_of(1000) {
        num(out, ms % 1000, "ms");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("60s"), Some(60_000));
        assert_eq!(parse_time("60"), Some(60_000));
        assert_eq!(parse_time("500ms"), Some(500));
        assert_eq!(parse_time("1h30m"), Some(5_400_000));
        assert_eq!(parse_time("1m30"), Some(90_000));
        assert_eq!(parse_time("2d"), Some(172_800_000));
        assert_eq!(parse_time("1w"), Some(604_800_000));
        assert_eq!(parse_time("1s500ms"), Some(1_500));
        assert_eq!(parse_time("0"), Some(0));
        // wrong order, repeated units, junk, empty
        assert_eq!(parse_time("30m1h"), None);
        assert_eq!(parse_time("1s1s"), None);
        assert_eq!(parse_time("10x"), None);
        assert_eq!(parse_time(""), None);
        assert_eq!(parse_time("s"), None);
        assert_eq!(parse_time("$var"), None);
        // y and M only in second precision
        assert_eq!(parse_time("1y"), None);
        assert_eq!(parse_time("1M"), None);
        assert_eq!(parse_time_sec("1y"), Some(365 * 86_400_000));
        assert_eq!(parse_time_sec("1M"), Some(30 * 86_400_000));
        assert_eq!(parse_time_sec("10s"), Some(10_000));
        assert_eq!(parse_time_sec("100ms"), None);
        assert_eq!(parse_time("99999999999999999999"), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4k"), Some(4096));
        assert_eq!(parse_size("4K"), Some(4096));
        assert_eq!(parse_size("1m"), Some(1 << 20));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("k"), None);
        assert_eq!(parse_size("1.5m"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("1kk"), None);
        assert_eq!(parse_size("99999999999999999999"), None);
    }

    #[test]
    fn grammar_checks() {
        assert!(is_size("10k") && is_size("1M") && is_size("512"));
        assert!(!is_size("1g") && !is_size("10kb") && !is_size("1.5m") && !is_size(""));
        assert!(is_offset("1g") && !is_offset("1t"));
        assert!(is_number("0") && !is_number("") && !is_number("1k"));
        assert!(!is_number("1234567890123456789") && is_number("123456789012345678"));
        assert!(is_time("1h30m", false) && is_time("500ms", false) && is_time("60", false));
        assert!(is_time("1y", true) && !is_time("1y", false));
        assert!(!is_time("500ms", true) && !is_time("30m1h", false) && !is_time("1.5s", false));
        assert!(!is_time("", true) && !is_time("s", true) && !is_time("1hm", false));
        assert!(is_time("1 5", false) && !is_time("1 5s", false) && !is_time("1s 5", false));
        assert!(is_time("99999999999999999999", false));
    }

    #[test]
    fn formats() {
        assert_eq!(format_time(90_000), "90s");
        assert_eq!(format_time(60_000), "60s");
        assert_eq!(format_time(300_000), "5m");
        assert_eq!(format_time(5_400_000), "1h30m");
        assert_eq!(format_time(500), "500ms");
        assert_eq!(format_time(3_600_000), "1h");
        assert_eq!(format_time(0), "0s");
        assert_eq!(format_time(1_500), "1s500ms");
    }
}
