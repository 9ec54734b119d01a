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
        for part in split_byte(s, b'|') {
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
    context_index(c).map(|i| i as u32).unwrap_or(31)
}

/// Number of contexts a directive row can allow ([`Context::NAMED`]).
pub const CONTEXTS: usize = Context::NAMED.len();

/// Position of a walker context in [`Context::NAMED`] (`None` for
/// `Data`/`Unknown`), without searching.
#[inline]
pub fn context_index(c: Context) -> Option<usize> {
    let i = match c {
        Context::Main => 0,
        Context::Events => 1,
        Context::Http => 2,
        Context::Server => 3,
        Context::Location => 4,
        Context::Upstream => 5,
        Context::IfInServer => 6,
        Context::IfInLocation => 7,
        Context::LimitExcept => 8,
        Context::Stream => 9,
        Context::StreamServer => 10,
        Context::StreamUpstream => 11,
        Context::Mail => 12,
        Context::MailServer => 13,
        Context::Data | Context::Unknown => return None,
    };
    debug_assert_eq!(Context::NAMED[i], c);
    Some(i)
}

/// Bit of a walker context (never set for `Data`/`Unknown`).
#[inline]
pub fn context_bit(c: Context) -> u32 {
    match context_index(c) {
        Some(i) => 1 << i,
        None => 0,
    }
}

fn ctx_mask(list: &str) -> u32 {
    split_byte(list, b',')
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
    /// Position in the whole table (rows of one name are contiguous).
    pub index: u32,
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
    // `1.9.0`: the form of every version in the table, read without the
    // general parser's trimming (the table is read at every start).
    let mut parts = [0u32; 3];
    for (n, part) in split_byte(s, b'.').enumerate() {
        let slot = parts.get_mut(n)?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) || part.len() > 9 {
            return NginxVersion::parse(s);
        }
        *slot = part.bytes().fold(0, |v, b| v * 10 + u32::from(b - b'0'));
    }
    Some(NginxVersion(parts[0], parts[1], parts[2]))
}

fn parse_history(h: &str) -> Vec<Change> {
    let mut out = Vec::new();
    for item in split_byte(h, b';') {
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

/// Directive names grammar validation treats specially (load-time
/// semantic facts, variable definitions, nested locations). Resolved once
/// per name when the table is built, so the walk compares no strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    None,
    Events,
    LogFormat,
    AccessLog,
    LimitReqZone,
    LimitConnZone,
    LimitReq,
    LimitConn,
    Upstream,
    Server,
    Zone,
    Include,
    Listen,
    Ssl,
    SslCertificate,
    SslRejectHandshake,
    Location,
    Set,
    /// `map` and `split_clients`: the second argument is the variable.
    Map,
    Geo,
    /// `perl_set` and `js_set`.
    PerlJsSet,
}

impl Special {
    fn of(name: &str) -> Special {
        match name {
            "events" => Special::Events,
            "log_format" => Special::LogFormat,
            "access_log" => Special::AccessLog,
            "limit_req_zone" => Special::LimitReqZone,
            "limit_conn_zone" => Special::LimitConnZone,
            "limit_req" => Special::LimitReq,
            "limit_conn" => Special::LimitConn,
            "upstream" => Special::Upstream,
            "server" => Special::Server,
            "zone" => Special::Zone,
            "include" => Special::Include,
            "listen" => Special::Listen,
            "ssl" => Special::Ssl,
            "ssl_certificate" => Special::SslCertificate,
            "ssl_reject_handshake" => Special::SslRejectHandshake,
            "location" => Special::Location,
            "set" => Special::Set,
            "map" | "split_clients" => Special::Map,
            "geo" => Special::Geo,
            "perl_set" | "js_set" => Special::PerlJsSet,
            _ => Special::None,
        }
    }
}

/// All rows of one directive name, in table order.
#[derive(Debug)]
pub struct Group {
    pub name: &'static str,
    start: u32,
    end: u32,
    pub special: Special,
    /// Which argument defines a variable (`grammar/unknown-variable`).
    pub(crate) defines: Option<crate::lint::variables::DefArg>,
}

/// The whole table, by name: rows grouped by name, and an open-addressing
/// index over the names (a cheap hash of the length and the first and last
/// eight bytes; names are compared in full on a hit).
pub struct Table {
    rows: Vec<Entry>,
    groups: Vec<Group>,
    /// [`Group::defines`] of each group, packed.
    defines: Vec<Option<crate::lint::variables::DefArg>>,
    /// The name index: a [`Key`] and its group index + 1 (0 is an empty
    /// slot). The length is a power of two.
    slots: Vec<Slot>,
    shift: u32,
    /// The group of `include`, which every walk asks for.
    include: Option<usize>,
    /// The groups of `server` and `upstream`.
    server: Option<usize>,
    upstream: Option<usize>,
}

/// A name reduced to two words and its length: the first and last eight
/// bytes (or four, or the first, middle and last byte of shorter names).
/// For names of up to 16 bytes the key is the whole name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    x: u64,
    y: u64,
    n: usize,
}

#[inline]
fn read8(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

impl Key {
    #[inline]
    fn hash(self) -> u64 {
        (self.x.rotate_left(21) ^ self.y ^ (self.n as u64) << 56)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// Do two names of one length ([`Key`] equal) differ in their middle
/// bytes (names longer than 16 bytes only)?
#[inline]
fn same_middle(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    let mut i = 8;
    while i + 8 < n {
        if read8(a, i) != read8(b, i) {
            return false;
        }
        i += 8;
    }
    true
}

#[inline]
fn key(b: &[u8]) -> Key {
    let n = b.len();
    let (x, y) = if n >= 8 {
        (read8(b, 0), read8(b, n - 8))
    } else if n >= 4 {
        let mut x = [0u8; 4];
        let mut y = [0u8; 4];
        x.copy_from_slice(&b[..4]);
        y.copy_from_slice(&b[n - 4..]);
        (
            u64::from(u32::from_le_bytes(x)),
            u64::from(u32::from_le_bytes(y)),
        )
    } else if n > 0 {
        (
            u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
            0,
        )
    } else {
        (0, 0)
    };
    Key { x, y, n }
}

/// One slot of the name index.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    x: u64,
    y: u64,
    n: u32,
    /// Group index + 1; 0: empty.
    g: u32,
}

impl Table {
    /// The group of a directive name, if the table knows it.
    #[inline]
    pub fn lookup(&self, name: &str) -> Option<usize> {
        let b = name.as_bytes();
        let k = key(b);
        let mask = self.slots.len() - 1;
        let mut i = (k.hash() >> self.shift) as usize & mask;
        loop {
            let s = self.slots.get(i)?;
            if s.g == 0 {
                return None;
            }
            let g = s.g as usize - 1;
            if s.x == k.x
                && s.y == k.y
                && s.n as usize == k.n
                && (k.n <= 16 || same_middle(b, self.groups.get(g)?.name.as_bytes()))
            {
                return Some(g);
            }
            i = (i + 1) & mask;
        }
    }

    /// The group of `include`.
    pub fn include(&self) -> Option<usize> {
        self.include
    }

    /// Is `g` the group of `server` or of `upstream`?
    pub fn is_server_or_upstream(&self, g: Option<usize>) -> bool {
        g.is_some() && (g == self.server || g == self.upstream)
    }

    /// [`Group::defines`] of group `g`.
    #[inline]
    pub(crate) fn defines(&self, g: usize) -> Option<crate::lint::variables::DefArg> {
        self.defines.get(g).copied().flatten()
    }

    pub fn group(&self, g: usize) -> &Group {
        &self.groups[g]
    }

    /// The rows of group `g`, in table order.
    pub fn rows(&self, g: usize) -> &[Entry] {
        let gr = &self.groups[g];
        &self.rows[gr.start as usize..gr.end as usize]
    }

    /// Number of distinct names.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    pub fn get(&self, name: &str) -> &[Entry] {
        match self.lookup(name) {
            Some(g) => self.rows(g),
            None => &[],
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.rows.iter()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Longest probe sequence of the name index (for tests).
    #[cfg(test)]
    fn max_probe(&self) -> usize {
        let mask = self.slots.len() - 1;
        self.groups
            .iter()
            .map(|g| {
                let mut i = (key(g.name.as_bytes()).hash() >> self.shift) as usize & mask;
                let mut n = 1;
                while self.slots[i].g != 0
                    && self.groups[self.slots[i].g as usize - 1].name != g.name
                {
                    i = (i + 1) & mask;
                    n += 1;
                }
                n
            })
            .max()
            .unwrap_or(0)
    }
}

/// `s.split(sep)` for one ASCII byte, as a byte loop: the table's fields
/// are a few bytes long, where `str::split` costs more in setting up its
/// search than in searching.
fn split_byte(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == sep) {
            Some(i) => {
                rest = r.get(i + 1..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Split a line at tabs into `cols` (the last one keeps the rest); gives
/// the number of columns found. A byte loop: the columns are short, and
/// the table is read at every start.
fn split_tabs(line: &'static str, cols: &mut [&'static str]) -> usize {
    let mut n = 0;
    let mut start = 0;
    for (i, &b) in line.as_bytes().iter().enumerate() {
        if b == b'\t' && n + 1 < cols.len() {
            cols[n] = line.get(start..i).unwrap_or("");
            n += 1;
            start = i + 1;
        }
    }
    if let Some(col) = cols.get_mut(n) {
        *col = line.get(start..).unwrap_or("");
        n += 1;
    }
    n
}

fn build() -> Table {
    let mut by_name: HashMap<&'static str, u32, FxBuild> =
        HashMap::with_capacity_and_hasher(2048, FxBuild::default());
    // (group, row) in table order; the rows are put in group order below.
    let mut all: Vec<(u32, Entry)> = Vec::with_capacity(2048);
    for line in TSV.lines().skip(1) {
        // The 14 columns, without collecting them (this runs at every
        // start of a lint).
        let mut f: [&'static str; 14] = [""; 14];
        if split_tabs(line, &mut f) < 14 {
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
            index: 0,
        };
        let e = Entry {
            unique: super::values::unique(&e),
            ..e
        };
        let next = by_name.len() as u32;
        let g = *by_name.entry(e.name).or_insert(next);
        all.push((g, e));
    }
    // Group order, the rows of a name in table order (a counting sort of
    // the row numbers, then each row moved once).
    let mut starts = vec![0usize; by_name.len() + 1];
    for (g, _) in &all {
        starts[*g as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut order = vec![0usize; all.len()];
    for (i, (g, _)) in all.iter().enumerate() {
        let at = &mut starts[*g as usize];
        order[*at] = i;
        *at += 1;
    }
    let mut all: Vec<Option<(u32, Entry)>> = all.into_iter().map(Some).collect();
    let all = order
        .into_iter()
        .filter_map(|i| all.get_mut(i).and_then(Option::take));
    let mut rows: Vec<Entry> = Vec::with_capacity(starts.len() + 1024);
    let mut groups: Vec<Group> = Vec::with_capacity(by_name.len());
    for (g, mut e) in all {
        if groups.len() <= g as usize {
            groups.push(Group {
                name: e.name,
                start: rows.len() as u32,
                end: rows.len() as u32,
                special: Special::of(e.name),
                defines: crate::lint::variables::defining_arg(e.name),
            });
        }
        e.index = rows.len() as u32;
        rows.push(e);
        if let Some(gr) = groups.last_mut() {
            gr.end = rows.len() as u32;
        }
    }
    let bits = (groups.len() * 3)
        .next_power_of_two()
        .trailing_zeros()
        .max(4);
    let mut slots = vec![Slot::default(); 1 << bits];
    let shift = 64 - bits;
    let mask = slots.len() - 1;
    for (g, gr) in groups.iter().enumerate() {
        let k = key(gr.name.as_bytes());
        let mut i = (k.hash() >> shift) as usize & mask;
        while slots[i].g != 0 {
            i = (i + 1) & mask;
        }
        slots[i] = Slot {
            x: k.x,
            y: k.y,
            n: k.n as u32,
            g: (g + 1) as u32,
        };
    }
    let mut table = Table {
        rows,
        defines: groups.iter().map(|g| g.defines).collect(),
        groups,
        slots,
        shift,
        include: None,
        server: None,
        upstream: None,
    };
    table.include = table.lookup("include");
    table.server = table.lookup("server");
    table.upstream = table.lookup("upstream");
    table
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
    fn byte_splits_are_str_splits() {
        for s in ["", ",", "a", "a,b", ",a,,b,", "http,server,location"] {
            let fast: Vec<&str> = split_byte(s, b',').collect();
            let slow: Vec<&str> = s.split(',').collect();
            assert_eq!(fast, slow, "{s:?}");
            let tabbed: &'static str = Box::leak(s.replace(',', "\t").into_boxed_str());
            let mut cols = [""; 3];
            let n = split_tabs(tabbed, &mut cols);
            let want: Vec<&str> = tabbed.splitn(3, '\t').collect();
            assert_eq!(&cols[..n], want.as_slice(), "{s:?}");
        }
    }

    #[test]
    fn versions_read_like_the_general_parser() {
        for s in [
            "1.9.0",
            "0.1.0",
            "1.25",
            "1",
            "1.2.3.4",
            "1..2",
            "nginx/1.2.3",
            "x",
        ] {
            assert_eq!(version(s), NginxVersion::parse(s), "{s}");
        }
        assert_eq!(version("unreleased"), Some(NginxVersion(u32::MAX, 0, 0)));
        assert_eq!(version(""), None);
    }

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

    #[test]
    fn name_index() {
        let t = table();
        assert!(t.max_probe() <= 8, "probe {}", t.max_probe());
        for (i, e) in t.entries().enumerate() {
            assert_eq!(e.index as usize, i);
            let g = t.lookup(e.name).expect("every name is found");
            assert_eq!(t.group(g).name, e.name);
            assert!(t.rows(g).iter().any(|r| r.index == e.index));
        }
        for miss in [
            "",
            "a",
            "proxy_pas",
            "proxy_passs",
            "Server_name",
            "xxxxxxxxxxxxxxxxxxxxxxxx",
            "proxy_connect_timeouT",
            "proxy_cXnnect_timeout",
            "proxy_connect_Ximeout",
            "proxy_ssl_certificate_kez",
            "proxy_ssl_cerXificate_key",
        ] {
            assert!(t.lookup(miss).is_none(), "{miss}");
        }
        assert_eq!(
            t.group(t.lookup("listen").unwrap()).special,
            Special::Listen
        );
    }
}
