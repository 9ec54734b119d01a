//! Exports of the log classifier into the engines that fleets already run
//! their logs through: ClickHouse SQL functions ([`clickhouse`]) and a
//! Vector VRL remap program ([`vector`]).
//!
//! Why a module of its own: a fleet of hundreds of hosts does not copy its
//! error logs to one machine, it ships them (Vector, Fluent Bit) into a log
//! store. Rather than a distributed runner, ngxray puts the same
//! classification where the logs already are. Both exports are *generated*
//! from the cause table ([`crate::logs::causes::CAUSES`]): every signature
//! becomes one condition, in table order, so a new cause or a reordered row
//! shows up in the SQL and the VRL without anyone editing them. The line
//! layout (header, errno, action, context tail) is the same algorithm as
//! [`crate::logs::line`], written once per target language here; the
//! agreement tests (`tests/export_clickhouse.rs`, `tests/vrl-check/`) compare
//! every line of the test logs with `ngxray logs --format ndjson`, so any
//! drift between the parser and an export fails a test.
//!
//! Each output carries the taxonomy version ([`taxonomy_version`]): the
//! ngxray version and a fingerprint of the cause table, so a dashboard can
//! tell which classification a row was made with.

pub mod clickhouse;
pub mod vector;

use crate::logs::causes::{Levels, Phase, Text, CAUSES};

/// Schema name of the exported field set (fields are only added within v1).
pub const SCHEMA: &str = "ngxray/export/v1";

/// The event fields every export produces, in this order. The agreement
/// tests compare the first seven with `ngxray logs --format ndjson`.
pub const FIELDS: &[&str] = &[
    "cause",
    "status",
    "level",
    "upstream",
    "server",
    "client",
    "request",
    "time",
    "message",
    "action",
    "errno",
    "pid",
    "connection",
    "host",
];

/// A regex for exactly `n` (1 to 3) bytes of UTF-8 text: the parser checks
/// single bytes at fixed offsets, so a `.` (one character) would shift on
/// non-ASCII text.
fn any_bytes(n: usize) -> &'static str {
    match n {
        1 => r"[\x00-\x7f]",
        2 => r"(?:[\x00-\x7f]{2}|[\x{80}-\x{7ff}])",
        _ => {
            r"(?:[\x00-\x7f]{3}|[\x00-\x7f][\x{80}-\x{7ff}]|[\x{80}-\x{7ff}][\x00-\x7f]|[\x{800}-\x{ffff}])"
        }
    }
}

/// `looks_like_time` of the parser as a regex: `YYYY/MM/DD HH:MM:SS [` with
/// only some bytes fixed (digit, `/`, space, `:`, `[`), the others any byte.
pub(crate) fn looks_like_time() -> String {
    format!(
        r"[0-9]{a3}/[0-9]{a1}/{a2} [0-9]{a1}:{a2}:{a2} \[",
        a1 = any_bytes(1),
        a2 = any_bytes(2),
        a3 = any_bytes(3)
    )
}

/// Longest line `ngxray logs` keeps ([`crate::logs::reader::MAX_LINE`]):
/// the exports cut a longer line there too.
pub const MAX_LINE: usize = crate::logs::reader::MAX_LINE;

/// Most continuation lines one multi-line record takes
/// ([`crate::logs::record::MAX_CONTINUATION`]).
pub const MAX_CONTINUATION: usize = crate::logs::record::MAX_CONTINUATION;

/// Levels at `[error]` or more severe (for [`Levels::ErrorOrWorse`]).
pub(crate) const ERROR_OR_WORSE: &[&str] = &["emerg", "alert", "crit", "error"];

/// All nginx level names, most severe first.
pub(crate) const LEVELS: &[&str] = &[
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
];

/// Keys of the context tail, as they appear in a line (see
/// [`crate::logs::line`]): `client: `, `server: `, … and the stream byte
/// counters without a space after the colon.
pub(crate) const TAIL_KEYS: &[&str] = &[
    "client: ",
    "udp client: ",
    "server: ",
    "subrequest: ",
    "request: ",
    "referrer: ",
    "resolver: ",
    "upstream: ",
    "host: ",
    "login: ",
    "bytes from/to client:",
    "bytes from/to upstream:",
];

/// strerror texts mapped to their Linux errno, so that logs written on other
/// systems classify the same (mirror of `line::canonical_errno`).
pub(crate) const CANONICAL_ERRNO: &[(&str, i32)] = &[
    ("Connection refused", 111),
    ("Connection timed out", 110),
    ("Operation timed out", 110),
    ("Connection reset by peer", 104),
    ("Broken pipe", 32),
    ("No such file or directory", 2),
    ("Permission denied", 13),
    ("Resource temporarily unavailable", 11),
    ("No route to host", 113),
    ("Host is unreachable", 113),
    ("Network is unreachable", 101),
    ("Host is down", 112),
    ("Too many open files", 24),
    ("Cannot assign requested address", 99),
    ("Can't assign requested address", 99),
    ("Socket is not connected", 107),
    ("Transport endpoint is not connected", 107),
];

/// Windows (WSA) error numbers mapped to their Linux errno when the text
/// is not a known strerror (mirror of `line::canonical_errno`).
pub(crate) const WINDOWS_ERRNO: &[(i32, i32)] = &[
    (10054, 104),
    (10053, 104),
    (10061, 111),
    (10060, 110),
    (10065, 113),
    (10051, 101),
    (10064, 112),
    (10057, 107),
    (10024, 24),
    (10055, 12),
    (10049, 99),
    (10035, 11),
];

/// Canonical text of the cause table: every field that decides a verdict,
/// in matching order. Its fingerprint is part of [`taxonomy_version`].
pub fn table_text() -> String {
    let mut s = String::new();
    for c in CAUSES {
        s.push_str(c.id);
        s.push('\n');
        for sig in c.sigs {
            let text = match sig.text {
                Text::Any => "any".to_string(),
                Text::Prefix(p) => format!("prefix {p:?}"),
                Text::PrefixContains(p, q) => format!("prefix {p:?} contains {q:?}"),
                Text::Contains(q) => format!("contains {q:?}"),
            };
            let phase = match sig.phase {
                Phase::Any => "any".to_string(),
                Phase::OneOf(list) => format!("{list:?}"),
            };
            s.push_str(&format!(
                "  {text} errno {:?} phase {phase} levels {:?} config {} status {:?}\n",
                sig.errno, sig.levels, sig.config_location, sig.status
            ));
        }
    }
    s
}

/// 64-bit FNV-1a (stable across builds and platforms).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// `ngxray <version> causes <N> <fingerprint>`: which classification an
/// export applies. Equal strings mean equal verdicts for every line.
pub fn taxonomy_version() -> String {
    format!(
        "ngxray {} causes {} table {:016x}",
        env!("CARGO_PKG_VERSION"),
        CAUSES.len(),
        fnv1a(table_text().as_bytes())
    )
}

/// Level names accepted by a level selector (`None` = any level).
pub(crate) fn levels_of(sel: Levels) -> Option<&'static [&'static str]> {
    match sel {
        Levels::Any => None,
        Levels::Emerg => Some(&["emerg"]),
        Levels::ErrorOrWorse => Some(ERROR_OR_WORSE),
        Levels::CritOrWorse => Some(&["emerg", "alert", "crit"]),
        Levels::NoticeWithoutConnection => Some(&["notice"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_the_table() {
        let v = taxonomy_version();
        assert!(v.starts_with("ngxray "), "{v}");
        assert!(v.contains(&format!("causes {}", CAUSES.len())), "{v}");
        assert_eq!(v, taxonomy_version());
        // Every row and every signature is in the fingerprinted text.
        let t = table_text();
        for c in CAUSES {
            assert!(t.contains(c.id));
        }
        let sigs: usize = CAUSES.iter().map(|c| c.sigs.len()).sum();
        assert_eq!(t.lines().filter(|l| l.starts_with("  ")).count(), sigs);
    }

    #[test]
    fn canonical_errno_mirror_agrees() {
        for (text, code) in CANONICAL_ERRNO {
            assert_eq!(
                crate::logs::line::canonical_errno(9999, text.as_bytes()),
                *code,
                "{text}"
            );
        }
        assert_eq!(crate::logs::line::canonical_errno(3, b"Host not found"), 3);
    }
}
