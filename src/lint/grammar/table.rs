//! The directive table (`grammar/directives.tsv`, generated from the nginx
//! fact tables) compiled into the binary and indexed by name once, on first
//! use. Each row says which module owns a name, where it may appear, how many
//! arguments it takes, and in which versions it exists; `history` lets the
//! grammar be rewound to an older target nginx.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use crate::lint::NginxVersion;
use crate::model::Context;

const TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/grammar/directives.tsv"
));

/// Where a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// nginx open source, in the current tree.
    Oss,
    /// NGINX Plus only.
    Plus,
    /// Official modules outside the nginx tree (njs, otel, acme): `load_module`.
    External,
    /// Third-party modules: `load_module`.
    ThirdParty,
    /// Existed in some past nginx release only.
    Removed,
}

/// An argument mask (`NGX_CONF_TAKE*`, `FLAG`, `1MORE`, `2MORE`, `ANY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Args {
    pub any: bool,
    pub flag: bool,
    pub more1: bool,
    pub more2: bool,
    /// Bit n: exactly n arguments allowed (n = 0..=7).
    pub takes: u8,
}

impl Args {
    pub fn parse(s: &str) -> Args {
        let mut a = Args::default();
        for part in s.split('|') {
            match part {
                "any" => a.any = true,
                "flag" => a.flag = true,
                "1more" => a.more1 = true,
                "2more" => a.more2 = true,
                "noargs" => a.takes |= 1,
                t => {
                    if let Some(d) = t.strip_prefix("take") {
                        for c in d.bytes() {
                            if c.is_ascii_digit() && c <= b'7' {
                                a.takes |= 1 << (c - b'0');
                            }
                        }
                    }
                }
            }
        }
        a
    }

    /// nginx's check in `ngx_conf_handler`: ANY, FLAG, 1MORE, 2MORE, then
    /// the TAKE bits (at most 7 arguments).
    pub fn accepts(self, n: usize) -> bool {
        if self.any {
            true
        } else if self.flag {
            n == 1
        } else if self.more1 {
            n >= 1
        } else if self.more2 {
            n >= 2
        } else {
            n <= 7 && self.takes & (1 << n) != 0
        }
    }

    /// Human description: "exactly 1", "1 or 3", "at least 2", "none".
    pub fn describe(self) -> String {
        if self.any {
            return "any number of".into();
        }
        if self.flag {
            return "exactly 1 (on or off)".into();
        }
        if self.more1 {
            return "at least 1".into();
        }
        if self.more2 {
            return "at least 2".into();
        }
        let counts: Vec<String> = (0..8)
            .filter(|n| self.takes & (1 << n) != 0)
            .map(|n| n.to_string())
            .collect();
        match counts.len() {
            0 => "no valid number of".into(),
            1 if counts[0] == "0" => "no".into(),
            1 => format!("exactly {}", counts[0]),
            _ => {
                let (last, rest) = counts
                    .split_last()
                    .map(|(l, r)| (l, r.join(", ")))
                    .unwrap_or((&counts[0], String::new()));
                format!("{rest} or {last}")
            }
        }
    }
}

/// Context names in the table, including ones ngxray has no [`Context`] for
/// (rtmp, Plus and external blocks): those can never match.
fn ctx_bit(name: &str) -> u32 {
    match name {
        "any" => u32::MAX,
        _ => match Context::parse(name) {
            Some(c) => 1 << ctx_index(c),
            None => 0,
        },
    }
}

fn ctx_index(c: Context) -> u32 {
    Context::NAMED
        .iter()
        .position(|&x| x == c)
        .map(|i| i as u32)
        .unwrap_or(31)
}

/// Bit of a walker context (never set for `Data`/`Unknown`).
pub fn context_bit(c: Context) -> u32 {
    match Context::NAMED.iter().position(|&x| x == c) {
        Some(i) => 1 << i,
        None => 0,
    }
}

fn ctx_mask(list: &str) -> u32 {
    list.split(',')
        .filter(|s| !s.is_empty())
        .fold(0, |m, s| m | ctx_bit(s))
}

/// One flag or context change along the release history.
#[derive(Debug, Clone)]
struct Change {
    version: NginxVersion,
    added: u32,
    removed: u32,
    args_before: Option<Args>,
}

/// One (directive, module) row.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: &'static str,
    pub module: &'static str,
    pub kind: Kind,
    /// Allowed contexts at the newest version known.
    pub contexts: u32,
    pub context_names: &'static str,
    pub args: Args,
    pub is_block: bool,
    pub since: Option<NginxVersion>,
    pub removed_in: Option<NginxVersion>,
    history: Vec<Change>,
    /// The `.so` file `load_module` loads (external and third-party).
    pub load: &'static str,
    /// `nginx`, `NGINX Plus`, `njs`, or the GitHub `owner/repo`.
    pub origin: &'static str,
    /// The value must be `on` or `off`.
    pub on_off: bool,
    /// Value unit from the defaults table: `size`, `offset`, `msec`, `sec`,
    /// `number`, `number size`, or empty.
    pub unit: &'static str,
    /// nginx says "is duplicate" when it is set twice in one block.
    pub unique: bool,
}

impl Entry {
    /// Contexts and arguments as of `v` (history rewound).
    pub fn at(&self, v: NginxVersion) -> (u32, Args) {
        let mut ctx = self.contexts;
        let mut args = self.args;
        for ch in self.history.iter().rev() {
            if ch.version > v {
                ctx = (ctx & !ch.added) | ch.removed;
                if let Some(a) = ch.args_before {
                    args = a;
                }
            }
        }
        (ctx, args)
    }

    /// Does the row exist in nginx `v` (OSS rows and removed rows)?
    pub fn exists_in(&self, v: NginxVersion) -> bool {
        self.since.map_or(true, |s| s <= v) && self.removed_in.map_or(true, |r| v < r)
    }
}

fn version(s: &str) -> Option<NginxVersion> {
    if s == "unreleased" {
        return Some(NginxVersion(u32::MAX, 0, 0));
    }
    if s.is_empty() {
        return None;
    }
    NginxVersion::parse(s)
}

fn parse_history(h: &str) -> Vec<Change> {
    let mut out = Vec::new();
    for item in h.split(';') {
        let Some((ver, what)) = item.trim().split_once(':') else {
            continue;
        };
        let Some(version) = version(ver.trim()) else {
            continue;
        };
        let mut ch = Change {
            version,
            added: 0,
            removed: 0,
            args_before: None,
        };
        for tok in what.split_whitespace() {
            if let Some((before, _after)) = tok.split_once("->") {
                ch.args_before = Some(Args::parse(before));
            } else if tok.starts_with('+') || tok.starts_with('-') {
                // "+http+server", "-location-server"
                let mut sign = '+';
                let mut cur = String::new();
                for c in tok.chars().chain(std::iter::once('+')) {
                    if c == '+' || c == '-' {
                        if !cur.is_empty() {
                            if sign == '+' {
                                ch.added |= ctx_bit(&cur);
                            } else {
                                ch.removed |= ctx_bit(&cur);
                            }
                            cur.clear();
                        }
                        sign = c;
                    } else {
                        cur.push(c);
                    }
                }
            }
        }
        out.push(ch);
    }
    out.sort_by_key(|c| c.version);
    out
}

/// A fast non-cryptographic hasher (the Fx hash of rustc) for short keys:
/// directive names and block ids. The keys are not attacker-chosen in a way
/// that matters here (a config file is linted once).
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;

/// The whole table, by name.
pub struct Table {
    by_name: HashMap<&'static str, Vec<Entry>, FxBuild>,
}

impl Table {
    pub fn get(&self, name: &str) -> &[Entry] {
        self.by_name.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.by_name.values().flatten()
    }

    pub fn len(&self) -> usize {
        self.by_name.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

fn build() -> Table {
    let mut by_name: HashMap<&'static str, Vec<Entry>, FxBuild> = HashMap::default();
    for line in TSV.lines().skip(1) {
        let f: Vec<&'static str> = line.split('\t').collect();
        if f.len() < 14 {
            continue;
        }
        let kind = match f[2] {
            "oss" => Kind::Oss,
            "plus" => Kind::Plus,
            "external" => Kind::External,
            "thirdparty" => Kind::ThirdParty,
            _ => Kind::Removed,
        };
        let e = Entry {
            name: f[0],
            module: f[1],
            kind,
            contexts: ctx_mask(f[3]),
            context_names: f[3],
            args: Args::parse(f[4]),
            is_block: f[5] == "yes",
            since: if matches!(kind, Kind::Oss | Kind::Removed) {
                version(f[7])
            } else {
                None
            },
            removed_in: version(f[8]),
            history: parse_history(f[9]),
            load: f[10],
            origin: f[11],
            on_off: f[12] == "on|off",
            unit: f[13],
            unique: false,
        };
        let e = Entry {
            unique: super::values::unique(&e),
            ..e
        };
        by_name.entry(e.name).or_default().push(e);
    }
    Table { by_name }
}

static TABLE: LazyLock<Table> = LazyLock::new(build);

/// The table, built on first use.
pub fn table() -> &'static Table {
    &TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        let a = Args::parse("take13");
        assert!(a.accepts(1) && !a.accepts(2) && a.accepts(3) && !a.accepts(0));
        let a = Args::parse("noargs|take12");
        assert!(a.accepts(0) && a.accepts(2) && !a.accepts(3));
        assert!(Args::parse("2more").accepts(9));
        assert!(!Args::parse("take1234567").accepts(8));
        assert_eq!(Args::parse("take13").describe(), "1 or 3");
    }

    #[test]
    fn history_rewinds() {
        let t = table();
        assert!(t.len() > 1500);
        let ka = &t.get("keepalive")[0];
        assert!(ka.at(NginxVersion(1, 24, 0)).1.accepts(1));
        assert!(!ka.at(NginxVersion(1, 24, 0)).1.accepts(2));
        assert!(ka.at(NginxVersion(1, 30, 0)).1.accepts(2));
        let ssl = t
            .get("ssl")
            .iter()
            .find(|e| e.module == "ngx_http_ssl_module")
            .expect("ssl row");
        assert!(ssl.exists_in(NginxVersion(1, 24, 0)));
        assert!(!ssl.exists_in(NginxVersion(1, 25, 1)));
    }
}
