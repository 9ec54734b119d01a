//! The directive table (`grammar/directives.tsv`, generated from the nginx
//! fact tables), compiled into the binary as static rows by the build
//! script (`tsv.rs` reads the file) and indexed by name once, on first
//! use. Each row says which module owns a name, where it may appear, how many
//! arguments it takes, and in which versions it exists; `history` lets the
//! grammar be rewound to an older target nginx.

use std::sync::LazyLock;

use crate::lint::NginxVersion;
use crate::model::Context;

// `ROWS` and `GROUPS`, written by the build script from
// `grammar/directives.tsv` (see `tsv.rs`).
include!(concat!(env!("OUT_DIR"), "/directives.rs"));

/// Where a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
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
    /// `take1|flag`-style masks (the build script reads the table with
    /// the same code).
    #[cfg(test)]
    pub fn parse(s: &str) -> Args {
        let m = super::tsv::mask(s);
        Args {
            any: m.any,
            flag: m.flag,
            more1: m.more1,
            more2: m.more2,
            takes: m.takes,
        }
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
pub struct DirectiveRow {
    pub name: &'static str,
    pub module: &'static str,
    pub kind: ModuleKind,
    /// Allowed contexts at the newest version known.
    pub contexts: u32,
    pub context_names: &'static str,
    pub args: Args,
    pub is_block: bool,
    pub since: Option<NginxVersion>,
    pub removed_in: Option<NginxVersion>,
    history: &'static [Change],
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

impl DirectiveRow {
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
        self.since.is_none_or(|s| s <= v) && self.removed_in.is_none_or(|r| v < r)
    }
}

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
    /// `proxy_cache_path` (and fastcgi, uwsgi, scgi): defines the cache
    /// zone its `keys_zone=` names for the directive given here.
    CachePath(&'static str),
    /// `proxy_cache` (and fastcgi, uwsgi, scgi): names a cache zone.
    Cache(&'static str),
    /// `root` and `alias`: one of them per location.
    RootAlias,
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
            "proxy_cache_path" => Special::CachePath("proxy_cache"),
            "fastcgi_cache_path" => Special::CachePath("fastcgi_cache"),
            "uwsgi_cache_path" => Special::CachePath("uwsgi_cache"),
            "scgi_cache_path" => Special::CachePath("scgi_cache"),
            "proxy_cache" => Special::Cache("proxy_cache"),
            "fastcgi_cache" => Special::Cache("fastcgi_cache"),
            "uwsgi_cache" => Special::Cache("uwsgi_cache"),
            "scgi_cache" => Special::Cache("scgi_cache"),
            "root" | "alias" => Special::RootAlias,
            _ => Special::None,
        }
    }
}

/// All rows of one directive name, in table order.
#[derive(Debug)]
pub struct NameGroup {
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
    rows: &'static [DirectiveRow],
    groups: Vec<NameGroup>,
    /// [`NameGroup::defines`] of each group, packed.
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
    /// NameGroup index + 1; 0: empty.
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

    /// [`NameGroup::defines`] of group `g`.
    #[inline]
    pub(crate) fn defines(&self, g: usize) -> Option<crate::lint::variables::DefArg> {
        self.defines.get(g).copied().flatten()
    }

    pub fn group(&self, g: usize) -> &NameGroup {
        &self.groups[g]
    }

    /// The rows of group `g`, in table order.
    pub fn rows(&self, g: usize) -> &[DirectiveRow] {
        let gr = &self.groups[g];
        &self.rows[gr.start as usize..gr.end as usize]
    }

    /// Number of distinct names.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    pub fn get(&self, name: &str) -> &[DirectiveRow] {
        match self.lookup(name) {
            Some(g) => self.rows(g),
            None => &[],
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = &DirectiveRow> {
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

/// The name index over the static rows (and each name's semantic tags).
fn build() -> Table {
    let groups: Vec<NameGroup> = GROUPS
        .iter()
        .map(|&(name, start, end)| NameGroup {
            name,
            start,
            end,
            special: Special::of(name),
            defines: crate::lint::variables::defining_arg(name),
        })
        .collect();
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
        rows: &ROWS,
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

    /// The static rows are the table file read (`tsv::rows`, which the
    /// build script runs), field by field.
    #[test]
    fn static_rows_are_the_file() {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/grammar/directives.tsv"
        ));
        let duplicates = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/grammar/duplicates.tsv"
        ));
        let units = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/units.tsv"));
        let rows = super::super::tsv::rows(text, duplicates, units);
        assert_eq!(rows.len(), ROWS.len());
        assert!(rows.len() > 1500);
        let version = |v: Option<(u32, u32, u32)>| v.map(|(a, b, c)| NginxVersion(a, b, c));
        for (i, (r, e)) in rows.iter().zip(ROWS.iter()).enumerate() {
            assert_eq!(e.index as usize, i);
            assert_eq!(
                (e.name, e.module, e.context_names),
                (r.name, r.module, r.context_names)
            );
            assert_eq!(
                format!("{:?}", e.kind).to_ascii_lowercase(),
                r.kind.replace('_', "")
            );
            assert_eq!(
                (e.contexts, e.is_block, e.on_off, e.unique),
                (r.contexts, r.is_block, r.on_off, r.unique)
            );
            let a = e.args;
            let m = r.args;
            assert_eq!(
                (a.any, a.flag, a.more1, a.more2, a.takes),
                (m.any, m.flag, m.more1, m.more2, m.takes)
            );
            assert_eq!(
                (e.since, e.removed_in),
                (version(r.since), version(r.removed_in))
            );
            assert_eq!((e.load, e.origin, e.unit), (r.load, r.origin, r.unit));
            assert_eq!(e.history.len(), r.history.len());
            for (c, d) in e.history.iter().zip(&r.history) {
                assert_eq!(Some(c.version), version(Some(d.version)));
                assert_eq!((c.added, c.removed), (d.added, d.removed));
                assert_eq!(
                    c.args_before
                        .map(|a| (a.any, a.flag, a.more1, a.more2, a.takes)),
                    d.args_before
                        .map(|m| (m.any, m.flag, m.more1, m.more2, m.takes))
                );
            }
        }
        // Names are grouped: each name's rows are contiguous.
        let mut seen = std::collections::HashSet::new();
        for g in GROUPS.iter() {
            assert!(seen.insert(g.0), "{} twice", g.0);
            assert!(ROWS[g.1 as usize..g.2 as usize]
                .iter()
                .all(|e| e.name == g.0));
        }
    }

    #[test]
    fn context_names_are_the_walkers() {
        for (i, c) in Context::NAMED.iter().enumerate() {
            assert_eq!(context_index(*c), Some(i));
            assert_eq!(super::super::tsv::CONTEXT_NAMES[i], c.as_str());
        }
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
