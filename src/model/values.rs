//! nginx value syntax: times (`1h30m`, `500ms`, bare numbers as seconds) and
//! sizes (`4k`, `1m`, `2g`), parsed with the exact rules of `ngx_parse_time`
//! and `ngx_parse_size`, plus formatting back to nginx notation for messages.
//! Rules compare numbers, never strings.

/// Milliseconds, as nginx keeps most timeouts (`ngx_msec_t`).
pub type Millis = u64;

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

fn parse_time_inner(s: &str, is_sec: bool) -> Option<Millis> {
    // Steps in nginx's order; a unit must come after every bigger one.
    const START: u8 = 0;
    const YEAR: u8 = 1;
    const MONTH: u8 = 2;
    const WEEK: u8 = 3;
    const DAY: u8 = 4;
    const HOUR: u8 = 5;
    const MIN: u8 = 6;
    const SEC: u8 = 7;
    const MSEC: u8 = 8;
    const LAST: u8 = 9;
    let b = s.as_bytes();
    let mut step = if is_sec { START } else { MONTH };
    let mut value: u64 = 0;
    let mut total: u64 = 0;
    let mut valid = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c.is_ascii_digit() {
            value = value.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            valid = true;
            continue;
        }
        // scale in seconds (or 1 ms for `ms`)
        let (next, scale_s): (u8, u64) = match c {
            b'y' if step == START => (YEAR, 365 * 24 * 3600),
            b'M' if step < MONTH => (MONTH, 30 * 24 * 3600),
            b'w' if step < WEEK => (WEEK, 7 * 24 * 3600),
            b'd' if step < DAY => (DAY, 24 * 3600),
            b'h' if step < HOUR => (HOUR, 3600),
            b'm' if i < b.len() && b[i] == b's' => {
                if is_sec || step >= MSEC {
                    return None;
                }
                i += 1;
                (MSEC, 0)
            }
            b'm' if step < MIN => (MIN, 60),
            b's' if step < SEC => (SEC, 1),
            b' ' if step < SEC => (LAST, 1),
            _ => return None,
        };
        step = next;
        let ms = if next == MSEC {
            value
        } else {
            value.checked_mul(scale_s)?.checked_mul(1000)?
        };
        total = total.checked_add(ms)?;
        value = 0;
    }
    if !valid {
        return None;
    }
    total.checked_add(value.checked_mul(1000)?)
}

/// Parse a size the way `ngx_parse_size` / `ngx_parse_offset` do: a number
/// with an optional `k`/`K`, `m`/`M` or `g`/`G` suffix. Returns bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let (digits, mul) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1024),
        b'm' | b'M' => (&s[..s.len() - 1], 1024 * 1024),
        b'g' | b'G' => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mul)
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
