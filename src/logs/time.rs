//! Time handling for logs: nginx writes local time without a zone, so times
//! are kept as zone-less seconds since 1970-01-01 ("log time") and compared
//! with `--since`/`--until` in the same frame. Relative windows (`2h`) and
//! times of day (`21:41`) are taken from the wall clock in the zone of the
//! machine that wrote the log (`--tz`, default local; see [`now_in`]).

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn num(s: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(b - b'0');
    }
    Some(v)
}

pub(crate) fn to_secs(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(
        days_from_civil(i64::from(y), mo, d) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(s),
    )
}

/// Parse nginx's `YYYY/MM/DD HH:MM:SS` (exactly 19 bytes; see
/// [`super::header::log_time`]).
pub fn parse_log_time(s: &[u8]) -> Option<i64> {
    match super::header::log_time(s) {
        Ok(([], t)) => Some(t),
        _ => None,
    }
}

/// The plain definition of [`parse_log_time`], for its property test.
#[cfg(test)]
fn parse_log_time_plain(s: &[u8]) -> Option<i64> {
    if s.len() != 19
        || s[4] != b'/'
        || s[7] != b'/'
        || s[10] != b' '
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    to_secs(
        num(&s[0..4])?,
        num(&s[5..7])?,
        num(&s[8..10])?,
        num(&s[11..13])?,
        num(&s[14..16])?,
        num(&s[17..19])?,
    )
}

/// `YYYY-MM-DDTHH:MM:SS`. Reports write one per timeline bucket (thousands
/// after a run, on the main thread), so the common case skips `format!`.
pub fn format_iso(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    if (0..=9999).contains(&y) {
        let mut b = *b"0000-00-00T00:00:00";
        let two = |b: &mut [u8; 19], at: usize, v: u32| {
            b[at] = b'0' + (v / 10) as u8;
            b[at + 1] = b'0' + (v % 10) as u8;
        };
        let y = y as u32;
        two(&mut b, 0, y / 100);
        two(&mut b, 2, y % 100);
        two(&mut b, 5, m);
        two(&mut b, 8, d);
        two(&mut b, 11, (s / 3600) as u32);
        two(&mut b, 14, (s / 60 % 60) as u32);
        two(&mut b, 17, (s % 60) as u32);
        return b.iter().map(|&c| c as char).collect();
    }
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// `YYYY-MM-DD HH:MM:SS` for people.
pub fn format_human(t: i64) -> String {
    format_iso(t).replacen('T', " ", 1)
}

/// A duration like `30s`, `15m`, `2h`, `3d`, `1w` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok()?;
    let mult = match unit {
        "" | "s" | "sec" | "secs" => 1,
        "m" | "min" | "mins" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// The local wall clock as log time.
pub fn local_now() -> i64 {
    chrono::Local::now().naive_local().and_utc().timestamp()
}

/// The current time as log time in a time zone: `local` (this machine's),
/// `UTC`, a fixed offset (`+09:00`, `-0500`, `+2`) or an IANA name
/// (`Asia/Tokyo`, looked up in the system zone database). nginx writes its
/// local time without a zone, so "now" must be taken in the zone of the
/// machine that wrote the log for `--since 1h` to mean the last hour.
pub fn now_in(tz: &str) -> Result<i64, String> {
    let utc = chrono::Utc::now().timestamp();
    let t = tz.trim();
    if t.eq_ignore_ascii_case("local") {
        return Ok(local_now());
    }
    if ["utc", "z", "gmt", "uct"]
        .iter()
        .any(|u| t.eq_ignore_ascii_case(u))
    {
        return Ok(utc);
    }
    if let Some(off) = parse_offset(t) {
        return Ok(utc + off);
    }
    let known = !t.contains("..")
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_-+".contains(&b))
        && [
            "/usr/share/zoneinfo",
            "/usr/lib/zoneinfo",
            "/usr/share/lib/zoneinfo",
        ]
        .iter()
        .any(|d| std::path::Path::new(d).join(t).is_file());
    if !known {
        return Err(format!(
            "unknown time zone \"{tz}\" (local, UTC, an offset like +09:00, or an IANA name like Europe/Berlin)"
        ));
    }
    // The system's zone rules through the C library's TZ handling: set
    // once, before any thread starts, by the command.
    std::env::set_var("TZ", t);
    Ok(local_now())
}

/// `+09:00`, `-0500`, `+2`: seconds east of UTC.
fn parse_offset(s: &str) -> Option<i64> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = if digits.len() <= 2 {
        (digits.parse::<i64>().ok()?, 0)
    } else {
        let (h, m) = digits.split_at(digits.len() - 2);
        (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?)
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// `HH:MM[:SS]`: that time today (in the log's frame, as `now` is), or
/// yesterday when it is still ahead of `now`.
fn time_of_day(s: &str, now: i64) -> Option<i64> {
    let b = s.as_bytes();
    if !(b.len() == 5 || b.len() == 8) || b[2] != b':' || (b.len() == 8 && b[5] != b':') {
        return None;
    }
    let (h, m) = (num(&b[0..2])?, num(&b[3..5])?);
    let sec = if b.len() == 8 { num(&b[6..8])? } else { 0 };
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let day = now.div_euclid(86_400) * 86_400;
    let t = day + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(sec);
    Some(if t > now { t - 86_400 } else { t })
}

/// `--since`/`--until` values: a relative duration back from `now` (`2h`),
/// a time of day (`21:41`, today; yesterday when still ahead of `now`),
/// or an absolute local time: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]`,
/// `YYYY-MM-DDTHH:MM[:SS]` or nginx's `YYYY/MM/DD HH:MM:SS`.
pub fn parse_when(s: &str, now: i64) -> Result<i64, String> {
    let t = s.trim();
    if let Some(d) = parse_duration(t) {
        if t.len() < 8 {
            return Ok(now - d);
        }
    }
    if let Some(v) = time_of_day(t, now) {
        return Ok(v);
    }
    let b = t.as_bytes();
    let date_ok = b.len() >= 10 && (b[4] == b'-' || b[4] == b'/') && b[7] == b[4];
    if date_ok {
        let (y, mo, d) = (num(&b[0..4]), num(&b[5..7]), num(&b[8..10]));
        if let (Some(y), Some(mo), Some(d)) = (y, mo, d) {
            let rest = &b[10..];
            let (h, mi, sec) = if rest.is_empty() {
                (Some(0), Some(0), Some(0))
            } else if (rest[0] == b' ' || rest[0] == b'T') && (rest.len() == 6 || rest.len() == 9) {
                let sec = if rest.len() == 9 && rest[6] == b':' {
                    num(&rest[7..9])
                } else if rest.len() == 6 {
                    Some(0)
                } else {
                    None
                };
                if rest[3] == b':' {
                    (num(&rest[1..3]), num(&rest[4..6]), sec)
                } else {
                    (None, None, None)
                }
            } else {
                (None, None, None)
            };
            if let (Some(h), Some(mi), Some(sec)) = (h, mi, sec) {
                if let Some(v) = to_secs(y, mo, d, h, mi, sec) {
                    return Ok(v);
                }
            }
        }
    }
    Err(format!(
        "invalid time \"{s}\": expected a duration back from now (30m, 2h, 1d), a time of day (21:41, 21:41:30) or a date and time (2024-05-01, 2024-05-01 13:45[:00], 2024/05/01 13:45:00)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 59, 365, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn log_time() {
        let t = parse_log_time(b"2026/11/25 15:17:18").unwrap();
        assert_eq!(format_iso(t), "2026-11-25T15:17:18");
        assert_eq!(format_human(t), "2026-11-25 15:17:18");
        assert!(parse_log_time(b"2026/13/25 15:17:18").is_none());
        assert!(parse_log_time(b"2026/11/25 15:17:1x").is_none());
    }

    proptest::proptest! {
        #[test]
        fn log_time_combinator_is_the_plain_parse(
            stamps in proptest::collection::vec("20[0-9][0-9]/[01][0-9]/[0-3][0-9][ x][0-2][0-9][:.][0-6][0-9]:[0-6][0-9]", 1..6)
        ) {
            for s in &stamps {
                proptest::prop_assert_eq!(parse_log_time(s.as_bytes()), parse_log_time_plain(s.as_bytes()));
            }
        }
    }

    #[test]
    fn iso_format_matches_format_macro() {
        for t in [
            0i64,
            59,
            86_399,
            951_782_400,
            1_764_083_838,
            253_402_300_799,
            -1,
            -62_167_219_200,
            253_402_300_800,
        ] {
            let (y, m, d) = civil_from_days(t.div_euclid(86_400));
            let s = t.rem_euclid(86_400);
            let want = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
                s / 3600,
                (s / 60) % 60,
                s % 60
            );
            assert_eq!(format_iso(t), want, "{t}");
        }
    }

    #[test]
    fn when_values() {
        let now = parse_log_time(b"2026/11/25 15:00:00").unwrap();
        assert_eq!(parse_when("2h", now).unwrap(), now - 7200);
        assert_eq!(parse_when("90", now).unwrap(), now - 90);
        assert_eq!(parse_when("2026-11-25 13:00", now).unwrap(), now - 7200);
        assert_eq!(parse_when("2026/11/25 13:00:00", now).unwrap(), now - 7200);
        assert_eq!(parse_when("2026-11-25T13:00:30", now).unwrap(), now - 7170);
        assert_eq!(parse_when("2026-11-25", now).unwrap(), now - 15 * 3600);
        assert!(parse_when("yesterday", now).is_err());
        assert_eq!(parse_when("13:30", now).unwrap(), now - 5400);
        assert_eq!(parse_when("13:30:10", now).unwrap(), now - 5390);
        // Still ahead today: yesterday's.
        assert_eq!(parse_when("16:00", now).unwrap(), now + 3600 - 86_400);
        assert!(parse_when("25:00", now).is_err());
        assert_eq!(parse_offset("+09:00"), Some(9 * 3600));
        assert_eq!(parse_offset("-0530"), Some(-(5 * 3600 + 1800)));
        assert_eq!(parse_offset("+2"), Some(7200));
        assert!(now_in("Mars/Olympus").is_err());
        let utc = now_in("UTC").unwrap();
        assert!((now_in("+01:00").unwrap() - utc - 3600).abs() <= 2);
        assert!(parse_when("2026-11-25 1300", now).is_err());
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("1x"), None);
    }
}
