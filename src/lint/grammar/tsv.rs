//! Reading `grammar/directives.tsv`. The build script includes this file
//! (`#[path]`) to turn the table into static data compiled into the binary
//! (`table.rs` includes what it writes), so the table is not parsed at
//! every start; the crate's tests include it to check that data against
//! the file. No dependencies: it compiles alone in the build script.

/// Context names in the order of `grammar::table::context_index` (a test
/// checks the two agree).
pub const CONTEXT_NAMES: [&str; 14] = [
    "main",
    "events",
    "http",
    "server",
    "location",
    "upstream",
    "if_in_server",
    "if_in_location",
    "limit_except",
    "stream",
    "stream_server",
    "stream_upstream",
    "mail",
    "mail_server",
];

/// An argument mask (`NGX_CONF_TAKE*`, `FLAG`, `1MORE`, `2MORE`, `ANY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mask {
    pub any: bool,
    pub flag: bool,
    pub more1: bool,
    pub more2: bool,
    /// Bit n: exactly n arguments allowed (n = 0..=7).
    pub takes: u8,
}

/// `take1|flag`-style masks.
pub fn mask(s: &str) -> Mask {
    let mut a = Mask::default();
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

/// A version as (major, minor, patch): `1.9.0`, `1.25` (= 1.25.0),
/// `nginx/1.2.3`; `unreleased` is later than any release.
pub fn version(s: &str) -> Option<(u32, u32, u32)> {
    let s = s.trim();
    if s == "unreleased" {
        return Some((u32::MAX, 0, 0));
    }
    let s = s.strip_prefix("nginx/").unwrap_or(s);
    let mut it = s.split('.');
    let a = it.next()?.parse().ok()?;
    let b = it.next().unwrap_or("0").parse().ok()?;
    let c = it.next().unwrap_or("0").parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    Some((a, b, c))
}

/// The bit of a context name (`any`: all bits; names ngxray has no
/// context for, such as rtmp or Plus blocks: none, so they never match).
pub fn context_bit(name: &str) -> u32 {
    if name == "any" {
        return u32::MAX;
    }
    CONTEXT_NAMES
        .iter()
        .position(|c| *c == name)
        .map_or(0, |i| 1 << i)
}

/// `http,server,location` as bits.
pub fn contexts(list: &str) -> u32 {
    list.split(',')
        .filter(|s| !s.is_empty())
        .fold(0, |m, s| m | context_bit(s))
}

/// One flag or context change along the release history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub version: (u32, u32, u32),
    pub added: u32,
    pub removed: u32,
    pub args_before: Option<Mask>,
}

/// `1.25.5: +http-server; 1.15.0: take1->take12`, oldest first.
pub fn history(h: &str) -> Vec<Change> {
    let mut out = Vec::new();
    for item in h.split(';') {
        let Some((ver, what)) = item.trim().split_once(':') else {
            continue;
        };
        let Some(version) = version(ver) else {
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
                ch.args_before = Some(mask(before));
            } else if tok.starts_with('+') || tok.starts_with('-') {
                // "+http+server", "-location-server"
                let mut sign = '+';
                let mut cur = String::new();
                for c in tok.chars().chain(std::iter::once('+')) {
                    if c == '+' || c == '-' {
                        if !cur.is_empty() {
                            if sign == '+' {
                                ch.added |= context_bit(&cur);
                            } else {
                                ch.removed |= context_bit(&cur);
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

/// One row of the table, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<'a> {
    pub name: &'a str,
    pub module: &'a str,
    /// `oss`, `plus`, `external`, `thirdparty` or `removed`.
    pub kind: &'a str,
    pub contexts: u32,
    pub context_names: &'a str,
    pub args: Mask,
    pub is_block: bool,
    /// For `oss` and `removed` rows only.
    pub since: Option<(u32, u32, u32)>,
    pub removed_in: Option<(u32, u32, u32)>,
    pub history: Vec<Change>,
    pub load: &'a str,
    pub origin: &'a str,
    pub on_off: bool,
    pub unit: &'a str,
    /// nginx says "is duplicate" when it is set twice in one block.
    pub unique: bool,
}

/// The rows, those of one name together (names in the order they first
/// appear, a name's rows in table order). Lines with fewer than 14 columns
/// are skipped. `duplicates` is `grammar/duplicates.tsv`: the (name,
/// module) pairs nginx's own handlers refuse twice in one block; `units`
/// is `grammar/units.tsv`: the unit of each (name, module) nginx reads
/// with a unit-parsing slot, for rows the defaults table gives none.
pub fn rows<'a>(tsv: &'a str, duplicates: &str, units: &'a str) -> Vec<Row<'a>> {
    let unit_of: std::collections::HashMap<(&str, &str), &'a str> = units
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some(((f.next()?, f.next()?), f.next()?))
        })
        .collect();
    let listed: std::collections::HashSet<(&str, &str)> = duplicates
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?, f.next()?))
        })
        .collect();
    let mut order: Vec<&str> = Vec::new();
    let mut by_name: std::collections::HashMap<&str, Vec<Row<'_>>> =
        std::collections::HashMap::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 14 {
            continue;
        }
        // Any other kind is read as `removed` (a past release's row).
        let kind = match f[2] {
            k @ ("oss" | "plus" | "external" | "thirdparty") => k,
            _ => "removed",
        };
        let old = matches!(kind, "oss" | "removed");
        let opt = |s: &str| if s.is_empty() { None } else { version(s) };
        let mut row = Row {
            name: f[0],
            module: f[1],
            kind,
            contexts: contexts(f[3]),
            context_names: f[3],
            args: mask(f[4]),
            is_block: f[5] == "yes",
            since: if old { opt(f[7]) } else { None },
            removed_in: opt(f[8]),
            history: history(f[9]),
            load: f[10],
            origin: f[11],
            on_off: f[12] == "on|off",
            unit: f[13],
            unique: false,
        };
        if row.unit.is_empty() {
            if let Some(u) = unit_of.get(&(row.name, row.module)) {
                row.unit = u;
            }
        }
        row.unique = unique(&row) || listed.contains(&(row.name, row.module));
        by_name
            .entry(row.name)
            .or_insert_with(|| {
                order.push(row.name);
                Vec::new()
            })
            .push(row);
    }
    order
        .into_iter()
        .flat_map(|n| by_name.remove(n).unwrap_or_default())
        .collect()
}

/// Directives whose handler (a `ngx_conf_set_*_slot` or equivalent) says
/// "is duplicate" when set twice in one block, beyond those
/// `grammar/duplicates.tsv` lists (read from nginx's source): the rows of
/// releases that source no longer has.
fn unique(e: &Row) -> bool {
    if !matches!(e.kind, "oss" | "removed") {
        return false;
    }
    if e.on_off {
        return true;
    }
    if !e.unit.is_empty() && e.args.takes != 0 && !e.args.more1 && !e.args.more2 {
        return true;
    }
    matches!(
        e.name,
        "root"
            | "alias"
            | "proxy_pass"
            | "fastcgi_pass"
            | "uwsgi_pass"
            | "scgi_pass"
            | "grpc_pass"
            | "memcached_pass"
            | "try_files"
            | "default_type"
            | "client_max_body_size"
            | "worker_processes"
            | "worker_connections"
            | "worker_rlimit_nofile"
            | "keepalive_timeout"
            | "send_timeout"
            | "client_body_timeout"
            | "client_header_timeout"
            | "charset"
            | "expires"
            | "ssl_ciphers"
            | "ssl_session_timeout"
            | "proxy_cache"
            | "gzip_comp_level"
            | "gzip_static"
            | "fastcgi_index"
            | "server_names_hash_bucket_size"
            | "server_names_hash_max_size"
            | "types_hash_max_size"
            | "types_hash_bucket_size"
            | "pid"
            | "user"
    )
}
