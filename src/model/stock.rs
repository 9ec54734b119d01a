//! nginx's stock include files (`fastcgi_params`, `fastcgi.conf`,
//! `uwsgi_params`, `scgi_params`, Debian's `proxy_params` and
//! `snippets/fastcgi-php.conf`) and array lists that account for them.
//!
//! Configurations almost always include these files, and ngxray often lints
//! without them at hand (a single site file, a copied snippet). Their
//! contents are fixed, so an unreadable include of one is not an unknown: it
//! sets known parameters and nothing else a rule asks about. [`level`] and
//! [`effective_list`] are [`Model::effective_array`] with that knowledge
//! ([`Lists`] answers it for many scopes, reading each level once);
//! [`hidden`] tells whether an unreadable include *other* than these may
//! hide a scalar directive.

use super::{Effective, Model, ScopeId};
use crate::syntax::{Directive, Span};

/// A stock file: which array directive it fills, and the entries.
#[derive(Debug)]
pub struct StockFile {
    pub file: &'static str,
    pub directive: &'static str,
    /// (name, value) in file order.
    pub entries: &'static [(&'static str, &'static str)],
}

const FASTCGI_COMMON: [(&str, &str); 19] = [
    ("QUERY_STRING", "$query_string"),
    ("REQUEST_METHOD", "$request_method"),
    ("CONTENT_TYPE", "$content_type"),
    ("CONTENT_LENGTH", "$content_length"),
    ("SCRIPT_NAME", "$fastcgi_script_name"),
    ("REQUEST_URI", "$request_uri"),
    ("DOCUMENT_URI", "$document_uri"),
    ("DOCUMENT_ROOT", "$document_root"),
    ("SERVER_PROTOCOL", "$server_protocol"),
    ("REQUEST_SCHEME", "$scheme"),
    ("HTTPS", "$https"),
    ("GATEWAY_INTERFACE", "CGI/1.1"),
    ("SERVER_SOFTWARE", "nginx/$nginx_version"),
    ("REMOTE_ADDR", "$remote_addr"),
    ("REMOTE_PORT", "$remote_port"),
    ("SERVER_ADDR", "$server_addr"),
    ("SERVER_PORT", "$server_port"),
    ("SERVER_NAME", "$server_name"),
    ("REDIRECT_STATUS", "200"),
];

const fn with_script_filename() -> [(&'static str, &'static str); 20] {
    let mut out = [("SCRIPT_FILENAME", "$document_root$fastcgi_script_name"); 20];
    let mut i = 0;
    while i < FASTCGI_COMMON.len() {
        out[i + 1] = FASTCGI_COMMON[i];
        i += 1;
    }
    out
}

const FASTCGI_CONF: [(&str, &str); 20] = with_script_filename();

const FASTCGI_PHP: [(&str, &str); 21] = {
    let mut out = [("PATH_INFO", "$path_info"); 21];
    let mut i = 0;
    while i < FASTCGI_CONF.len() {
        out[i + 1] = FASTCGI_CONF[i];
        i += 1;
    }
    out
};

const FILES: &[StockFile] = &[
    StockFile {
        file: "fastcgi_params",
        directive: "fastcgi_param",
        entries: &FASTCGI_COMMON,
    },
    StockFile {
        file: "fastcgi.conf",
        directive: "fastcgi_param",
        entries: &FASTCGI_CONF,
    },
    StockFile {
        file: "fastcgi-php.conf",
        directive: "fastcgi_param",
        entries: &FASTCGI_PHP,
    },
    StockFile {
        file: "uwsgi_params",
        directive: "uwsgi_param",
        entries: &[
            ("QUERY_STRING", "$query_string"),
            ("REQUEST_METHOD", "$request_method"),
            ("CONTENT_TYPE", "$content_type"),
            ("CONTENT_LENGTH", "$content_length"),
            ("REQUEST_URI", "$request_uri"),
            ("PATH_INFO", "$document_uri"),
            ("DOCUMENT_ROOT", "$document_root"),
            ("SERVER_PROTOCOL", "$server_protocol"),
            ("REQUEST_SCHEME", "$scheme"),
            ("HTTPS", "$https"),
            ("REMOTE_ADDR", "$remote_addr"),
            ("REMOTE_PORT", "$remote_port"),
            ("SERVER_PORT", "$server_port"),
            ("SERVER_NAME", "$server_name"),
        ],
    },
    StockFile {
        file: "scgi_params",
        directive: "scgi_param",
        entries: &[
            ("REQUEST_METHOD", "$request_method"),
            ("REQUEST_URI", "$request_uri"),
            ("QUERY_STRING", "$query_string"),
            ("CONTENT_TYPE", "$content_type"),
            ("DOCUMENT_URI", "$document_uri"),
            ("DOCUMENT_ROOT", "$document_root"),
            ("SCGI", "1"),
            ("SERVER_PROTOCOL", "$server_protocol"),
            ("REQUEST_SCHEME", "$scheme"),
            ("HTTPS", "$https"),
            ("REMOTE_ADDR", "$remote_addr"),
            ("REMOTE_PORT", "$remote_port"),
            ("SERVER_PORT", "$server_port"),
            ("SERVER_NAME", "$server_name"),
        ],
    },
    StockFile {
        file: "proxy_params",
        directive: "proxy_set_header",
        entries: &[
            ("Host", "$http_host"),
            ("X-Real-IP", "$remote_addr"),
            ("X-Forwarded-For", "$proxy_add_x_forwarded_for"),
            ("X-Forwarded-Proto", "$scheme"),
        ],
    },
];

/// The stock file an include path names (by file name), if any.
pub fn stock_file(path: &str) -> Option<&'static StockFile> {
    let name = path.rsplit('/').next().unwrap_or(path);
    FILES.iter().find(|f| f.file == name)
}

/// One entry of an array directive's list.
#[derive(Debug, Clone, Copy)]
pub enum ListItem<'a> {
    /// A directive ngxray read.
    Real(&'a Directive),
    /// An entry of an unreadable stock include.
    Stock {
        include: &'a Directive,
        name: &'static str,
        value: &'static str,
    },
}

impl<'a> ListItem<'a> {
    /// The header or parameter name.
    pub fn name(&self) -> &'a str {
        match *self {
            ListItem::Real(d) => d.arg(0).unwrap_or_default(),
            ListItem::Stock { name, .. } => name,
        }
    }

    pub fn value(&self) -> &'a str {
        match *self {
            ListItem::Real(d) => d.arg(1).unwrap_or_default(),
            ListItem::Stock { value, .. } => value,
        }
    }

    /// The directive to point at (the `include` for stock entries).
    pub fn directive(&self) -> &'a Directive {
        match *self {
            ListItem::Real(d) | ListItem::Stock { include: d, .. } => d,
        }
    }

    pub fn span(&self) -> Span {
        self.directive().head_span()
    }
}

/// What one level declares for an array directive.
#[derive(Debug, Clone)]
pub enum Level<'a> {
    /// Nothing: the list comes from further out.
    Nothing,
    /// These entries (at least one), in read order.
    Known(Vec<ListItem<'a>>),
    /// An unreadable, non-stock include that may set it.
    Unknown,
}

/// Scopes with at most this many entries are scanned once for both `name`
/// and `include`; larger ones (`http` with thousands of servers) are asked
/// through [`Model::local`] and its index.
const SCAN_AT_MOST: usize = 24;

/// Call `item` with every directive named `name` directly in `s`, in read
/// order; returns whether the scope holds any `include`.
fn scan<'a>(m: &Model<'a>, s: ScopeId, name: &str, mut item: impl FnMut(&'a Directive)) -> bool {
    let sc = m.scope(s);
    if sc.entries.len() > SCAN_AT_MOST {
        m.local(s, name).for_each(item);
        return m.local(s, "include").next().is_some();
    }
    let mut include = false;
    for e in &sc.entries {
        let d = m.entry(*e).directive;
        let n = d.name();
        if n == name {
            item(d);
        } else if n == "include" {
            include = true;
        }
    }
    include
}

/// The unreadable includes of a scope: `Err(())` when one is not a stock
/// file, else the stock files of `name`'s directive, in read order.
fn unread_includes<'a>(
    m: &Model<'a>,
    s: ScopeId,
    name: &str,
    mut stock: impl FnMut(&'a Directive, &'static StockFile),
) -> Result<(), ()> {
    let mut opaque = false;
    for inc in m.local(s, "include") {
        if !m.loaded.included_by(inc).is_empty() {
            continue;
        }
        match inc.arg(0).and_then(stock_file) {
            Some(f) if f.directive == name => stock(inc, f),
            Some(_) => {}
            None => opaque = true,
        }
    }
    if opaque {
        Err(())
    } else {
        Ok(())
    }
}

/// Append the entries scope `s` itself declares for `name` to `items`;
/// `Err` when an unreadable non-stock include may hold more.
fn collect_level<'a>(
    m: &Model<'a>,
    s: ScopeId,
    name: &str,
    items: &mut Vec<ListItem<'a>>,
) -> Result<(), ()> {
    let include = scan(m, s, name, |d| items.push(ListItem::Real(d)));
    if include {
        unread_includes(m, s, name, |inc, f| {
            items.extend(f.entries.iter().map(|&(n, v)| ListItem::Stock {
                include: inc,
                name: n,
                value: v,
            }));
        })?;
    }
    Ok(())
}

/// The entries a scope itself declares for `name`.
pub fn level<'a>(m: &Model<'a>, s: ScopeId, name: &str) -> Level<'a> {
    let mut items: Vec<ListItem<'a>> = Vec::new();
    if collect_level(m, s, name, &mut items).is_err() {
        return Level::Unknown;
    }
    if items.is_empty() {
        Level::Nothing
    } else {
        Level::Known(items)
    }
}

/// What [`level`] answers, without the entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LevelKind {
    Nothing,
    Known,
    Unknown,
}

/// An effective list with stock includes accounted for.
#[derive(Debug, Clone)]
pub struct List<'a> {
    /// The level that declares it (`None`: nothing anywhere, nginx's defaults).
    pub set_in: Option<ScopeId>,
    pub items: Vec<ListItem<'a>>,
}

impl<'a> List<'a> {
    /// The first entry of a name (case-insensitive, as HTTP headers).
    pub fn get(&self, name: &str) -> Option<ListItem<'a>> {
        self.items
            .iter()
            .copied()
            .find(|i| i.name().eq_ignore_ascii_case(name))
    }
}

/// All-or-nothing inheritance like [`Model::effective_array`], reading
/// unreadable stock includes as their stock contents. `None` when an
/// unreadable non-stock include may hold the list.
pub fn effective_list<'a>(m: &Model<'a>, scope: ScopeId, name: &str) -> Option<List<'a>> {
    for s in m.chain(scope) {
        match level(m, s, name) {
            Level::Nothing => continue,
            Level::Unknown => return None,
            Level::Known(items) => {
                return Some(List {
                    set_in: Some(s),
                    items,
                })
            }
        }
    }
    Some(List {
        set_in: None,
        items: Vec::new(),
    })
}

/// [`effective_list`] of one name asked at many scopes: each level is read
/// once (every location of a server shares the server's and `http`'s).
pub struct Lists<'m, 'a> {
    m: &'m Model<'a>,
    name: &'m str,
    /// Per scope: index in `levels`, `u32::MAX` while not read.
    slot: Vec<u32>,
    /// What each level read declares: its kind and its entries' range in
    /// `items`.
    levels: Vec<(LevelKind, u32, u32)>,
    items: Vec<ListItem<'a>>,
    /// Per scope: [`Lists::source`]'s answer once known (see [`SOURCE_UNSET`]).
    sources: Vec<u32>,
    /// The scopes a [`Lists::source`] walk passed, which share its answer.
    path: Vec<ScopeId>,
}

/// [`Lists::sources`] codes besides a scope id.
const SOURCE_UNSET: u32 = u32::MAX;
const SOURCE_UNKNOWN: u32 = u32::MAX - 1;
const SOURCE_NONE: u32 = u32::MAX - 2;

impl<'m, 'a> Lists<'m, 'a> {
    pub fn new(m: &'m Model<'a>, name: &'m str) -> Self {
        Lists {
            m,
            name,
            slot: vec![u32::MAX; m.scopes.len()],
            levels: Vec::new(),
            items: Vec::new(),
            sources: vec![SOURCE_UNSET; m.scopes.len()],
            path: Vec::new(),
        }
    }

    /// What scope `s` itself declares (see [`level_kind`]).
    pub fn level(&mut self, s: ScopeId) -> LevelKind {
        let i = self.read(s);
        self.levels[i].0
    }

    fn read(&mut self, s: ScopeId) -> usize {
        let slot = self.slot[s.0 as usize];
        if slot != u32::MAX {
            return slot as usize;
        }
        let start = self.items.len();
        let kind = match collect_level(self.m, s, self.name, &mut self.items) {
            Err(()) => {
                self.items.truncate(start);
                LevelKind::Unknown
            }
            Ok(()) if self.items.len() == start => LevelKind::Nothing,
            Ok(()) => LevelKind::Known,
        };
        let i = self.levels.len();
        self.levels
            .push((kind, start as u32, self.items.len() as u32));
        self.slot[s.0 as usize] = i as u32;
        i
    }

    /// The level the effective list at `scope` comes from, like
    /// [`List::set_in`]: `Some(None)` when nothing declares it, `None` when
    /// an unreadable non-stock include may hold it.
    pub fn source(&mut self, scope: ScopeId) -> Option<Option<ScopeId>> {
        // Every scope the walk passes has the same answer: remembered, so
        // that asking at every level of a deep chain stays linear.
        self.path.clear();
        let mut cur = Some(scope);
        let answer = loop {
            let Some(s) = cur else { break SOURCE_NONE };
            match self.sources[s.0 as usize] {
                SOURCE_UNSET => {}
                known => break known,
            }
            let i = self.read(s);
            match self.levels[i].0 {
                LevelKind::Nothing => {
                    self.path.push(s);
                    cur = self.m.scope(s).parent;
                }
                LevelKind::Unknown => break SOURCE_UNKNOWN,
                LevelKind::Known => break s.0,
            }
        };
        for s in &self.path {
            self.sources[s.0 as usize] = answer;
        }
        match answer {
            SOURCE_UNKNOWN => None,
            SOURCE_NONE => Some(None),
            s => Some(Some(ScopeId(s))),
        }
    }

    /// The entries a level already read declares (empty unless known).
    pub fn items(&self, s: ScopeId) -> &[ListItem<'a>] {
        match self
            .slot
            .get(s.0 as usize)
            .and_then(|&i| self.levels.get(i as usize))
        {
            Some(&(LevelKind::Known, a, b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The same as [`effective_list`].
    pub fn get(&mut self, scope: ScopeId) -> Option<List<'a>> {
        let set_in = self.source(scope)?;
        Some(List {
            set_in,
            items: set_in.map(|s| self.items(s).to_vec()).unwrap_or_default(),
        })
    }
}

/// The first entry of a name in a list (case-insensitive), as [`List::get`].
pub fn first_named<'a>(items: &[ListItem<'a>], name: &str) -> Option<ListItem<'a>> {
    items
        .iter()
        .copied()
        .find(|i| i.name().eq_ignore_ascii_case(name))
}

/// May an unreadable include hide the real value of a scalar directive
/// whose effective value is `e` at `scope`? Stock includes do not count:
/// they only set parameters.
pub fn hidden(m: &Model<'_>, scope: ScopeId, e: &Effective<'_>) -> bool {
    if e.unknown.is_none() {
        return false;
    }
    for s in m.chain(scope) {
        if Some(s) == e.set_in {
            break;
        }
        let opaque = m.local(s, "include").any(|inc| {
            m.loaded.included_by(inc).is_empty() && inc.arg(0).and_then(stock_file).is_none()
        });
        if opaque {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, Loaded};
    use crate::model::Context;
    use std::path::PathBuf;

    #[test]
    fn stock_names() {
        assert_eq!(
            stock_file("fastcgi_params").map(|f| f.directive),
            Some("fastcgi_param")
        );
        assert_eq!(
            stock_file("/etc/nginx/proxy_params").map(|f| f.entries.len()),
            Some(4)
        );
        assert_eq!(
            stock_file("snippets/fastcgi-php.conf").map(|f| f.entries.len()),
            Some(21)
        );
        assert_eq!(FASTCGI_CONF[0].0, "SCRIPT_FILENAME");
        assert_eq!(FASTCGI_CONF[19].0, "REDIRECT_STATUS");
        assert!(stock_file("snippets/proxy.conf").is_none());
    }

    #[test]
    fn lists_with_stock_includes() {
        let text = "http {\n server {\n  include fastcgi_params;\n  location / { include proxy_params; proxy_read_timeout 5s; }\n  location /b { include snippets/mine.conf; }\n  location /c { fastcgi_param A 1; }\n }\n}\n";
        let mut l = Loaded::default();
        let ids = l.load_text(
            PathBuf::from("t.conf"),
            text.as_bytes().to_vec(),
            &LoadOptions::default(),
        );
        let m = Model::build(&l, &[(ids[0], Context::Main)]);
        let locs: Vec<ScopeId> = m.scopes_of(Context::Location).collect();
        let server = m.scopes_of(Context::Server).next().unwrap();
        // proxy_params read as its stock contents
        let a = effective_list(&m, locs[0], "proxy_set_header").unwrap();
        assert_eq!(a.set_in, Some(locs[0]));
        assert_eq!(a.get("host").map(|i| i.value()), Some("$http_host"));
        // fastcgi_params at server level, seen from a location
        let f = effective_list(&m, locs[0], "fastcgi_param").unwrap();
        assert_eq!(f.set_in, Some(server));
        assert_eq!(f.items.len(), 19);
        // an unknown snippet may set anything
        assert!(effective_list(&m, locs[1], "proxy_set_header").is_none());
        assert!(matches!(level(&m, locs[2], "fastcgi_param"), Level::Known(v) if v.len() == 1));
        let mut lists = Lists::new(&m, "proxy_set_header");
        for i in 0..m.scopes.len() {
            let s = ScopeId(i as u32);
            let (a, b) = (lists.get(s), effective_list(&m, s, "proxy_set_header"));
            assert_eq!(a.as_ref().map(|l| l.set_in), b.as_ref().map(|l| l.set_in));
            fn names<'x>(l: Option<List<'x>>) -> Option<Vec<&'x str>> {
                l.map(|l| l.items.iter().map(|i| i.name()).collect())
            }
            assert_eq!(names(a), names(b));
        }
        assert_eq!(lists.source(locs[0]), Some(Some(locs[0])));
        assert_eq!(lists.items(locs[0]).len(), 4);
        assert_eq!(lists.level(locs[1]), LevelKind::Unknown);
        assert_eq!(lists.source(server), Some(None));
        assert_eq!(lists.level(server), LevelKind::Nothing);
        let mut fastcgi = Lists::new(&m, "fastcgi_param");
        assert_eq!(fastcgi.level(locs[2]), LevelKind::Known);
        assert_eq!(fastcgi.level(server), LevelKind::Known);
        // stock includes do not hide scalars; unknown snippets do
        let e = m.effective(locs[0], "proxy_http_version");
        assert!(e.unknown.is_some() && !hidden(&m, locs[0], &e));
        let e = m.effective(locs[1], "proxy_http_version");
        assert!(hidden(&m, locs[1], &e));
    }
}
