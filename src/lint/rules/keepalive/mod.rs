//! Keepalive rules: connections to upstreams that are not reused (wasted
//! keepalive) or reused after the backend closed them (idle-timeout race).
//!
//! The helpers here answer the questions every keepalive and WebSocket rule
//! asks, with nginx's version-dependent defaults (1.29.7 changed them: HTTP/1.1,
//! no `Connection` header and `keepalive 32 local` for explicit upstream
//! blocks): which HTTP version a location speaks to its upstream, which
//! `Connection` header it sends for plain and for upgrade requests (following
//! a `map $http_upgrade` when the value is a variable), and whether an
//! upstream block keeps idle connections at all.

// Each rule of the category, once, in the order `ngxray rules` lists them.
crate::rules! {
    upstream_keepalive_ineffective,
    hardcoded_connection_upgrade,
    idle_timeout_race,
}

use crate::lint::{LintOptions, NginxVersion};
use crate::model::stock::{self, ListItem};
use crate::model::{target, Effective, Model, ScopeId, Upstream, VarSource};
use crate::syntax::Directive;

/// The release that made upstream keepalive the default (`proxy_http_version
/// 1.1`, no `Connection: close`, `keepalive 32 local` in upstream blocks).
pub const KEEPALIVE_DEFAULTS: NginxVersion = NginxVersion(1, 29, 7);

/// Does the target nginx have the 1.29.7 keepalive defaults? Only when the
/// target is known: most installs still run older nginx, so an unknown
/// target keeps the risks of the old defaults.
pub fn modern_defaults(opts: &LintOptions) -> bool {
    opts.version_known && opts.nginx_version >= KEEPALIVE_DEFAULTS
}

/// How an upstream block keeps idle connections.
#[derive(Debug, Clone, Copy)]
pub struct Keepalive<'a> {
    /// The `keepalive N` directive; `None` when on by default (≥ 1.29.7).
    pub directive: Option<&'a Directive>,
}

/// Keepalive of an explicit http upstream block: its `keepalive` directive,
/// or the ≥ 1.29.7 default. `None` for implicit and stream upstreams, and
/// when the block may set it in an unreadable include.
pub fn upstream_keepalive<'a>(
    m: &Model<'a>,
    u: &Upstream<'a>,
    opts: &LintOptions,
) -> Option<Keepalive<'a>> {
    let scope = u.scope?;
    if u.stream {
        return None;
    }
    if let Some(d) = m.local_first(scope, "keepalive") {
        return (d.arg(0).and_then(|n| n.parse::<u32>().ok()).unwrap_or(0) > 0)
            .then_some(Keepalive { directive: Some(d) });
    }
    if m.scope(scope).unknown_include.is_some() {
        return None;
    }
    modern_defaults(opts).then_some(Keepalive { directive: None })
}

/// The effective `proxy_http_version` at a scope.
#[derive(Debug, Clone, Copy)]
pub struct HttpVersion<'a> {
    pub value: &'a str,
    /// The directive that sets it; `None` for the default.
    pub directive: Option<&'a Directive>,
    /// An unreadable include may set it: the value is a guess.
    pub hidden: bool,
}

impl HttpVersion<'_> {
    /// HTTP/1.1 or HTTP/2: connections can be kept alive.
    pub fn keeps_alive(&self) -> bool {
        self.value != "1.0"
    }

    /// `1.0 (default before nginx 1.29.7)`, `1.1`, …
    pub fn describe(&self) -> String {
        match self.directive {
            Some(_) => self.value.to_string(),
            None if self.value == "1.0" => "1.0 (the default before nginx 1.29.7)".into(),
            None => format!("{} (default)", self.value),
        }
    }
}

/// Effective `proxy_http_version` with the target version's default (1.0
/// before 1.29.7, 1.1 after).
pub fn http_version<'a>(m: &Model<'a>, scope: ScopeId, opts: &LintOptions) -> HttpVersion<'a> {
    http_version_from(m, scope, m.effective(scope, "proxy_http_version"), opts)
}

/// [`http_version`] from the effective `proxy_http_version` at `scope`.
pub fn http_version_from<'a>(
    m: &Model<'a>,
    scope: ScopeId,
    e: Effective<'a>,
    opts: &LintOptions,
) -> HttpVersion<'a> {
    let hidden = stock::hidden(m, scope, &e);
    match e.directive {
        Some(d) => HttpVersion {
            value: d.arg(0).unwrap_or("1.0"),
            directive: Some(d),
            hidden,
        },
        None => HttpVersion {
            value: if modern_defaults(opts) { "1.1" } else { "1.0" },
            directive: None,
            hidden,
        },
    }
}

/// What a `Connection` header value does to the upstream connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnKind {
    /// Empty: the header is not sent (keepalive works with HTTP/1.1).
    Empty,
    /// `close`: the backend closes the connection after the response.
    Close,
    /// `upgrade`: asks the backend to switch protocols.
    Upgrade,
    /// `keep-alive` or anything else.
    Other,
}

/// Classify a literal `Connection` value.
pub fn conn_kind(value: &str) -> ConnKind {
    let v = value.trim();
    if v.is_empty() {
        ConnKind::Empty
    } else if v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")) {
        ConnKind::Close
    } else if v
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
    {
        ConnKind::Upgrade
    } else {
        ConnKind::Other
    }
}

/// A header value as nginx sends it for one kind of request.
#[derive(Debug, Clone)]
pub struct Evaluated<'a> {
    pub value: String,
    /// The `map` line (or `default`) that produced it, when the value came
    /// through a variable.
    pub via: Option<&'a Directive>,
    /// The `map` block, when the value came through a variable.
    pub map: Option<&'a Directive>,
}

/// The value a header argument has for a request without (`upgrade ==
/// false`) or with (`upgrade == true`, `Upgrade: websocket`) an `Upgrade`
/// header. Literals evaluate to themselves; `$var` is followed into a `map
/// $http_upgrade $var {}` block. `None` when the value cannot be known
/// (other variables, `include` in the map, regexes nginx may read differently).
pub fn evaluate<'a>(m: &Model<'a>, raw: &str, upgrade: bool) -> Option<Evaluated<'a>> {
    if !target::has_variable(raw) {
        return Some(Evaluated {
            value: raw.to_string(),
            via: None,
            map: None,
        });
    }
    let vars = target::variables(raw);
    let [var] = vars.as_slice() else { return None };
    let whole = raw == format!("${var}") || raw == format!("${{{var}}}");
    if !whole {
        return None;
    }
    let [VarSource::Block(map)] = m.variable_sources(var) else {
        return None;
    };
    if map.name() != "map"
        || !map
            .arg(0)
            .is_some_and(|s| s.eq_ignore_ascii_case("$http_upgrade"))
    {
        return None;
    }
    let input = if upgrade { "websocket" } else { "" };
    let (value, via) = map_lookup(map, input)?;
    if target::has_variable(&value) {
        return None;
    }
    Some(Evaluated {
        value,
        via,
        map: Some(map),
    })
}

/// Look `input` up in a `map` block the way nginx does: exact keys
/// (case-insensitive), then regexes in order, then `default` (empty when
/// absent). `None` when the block has an `include` or a regex the `regex`
/// crate cannot read.
pub fn map_lookup<'a>(map: &'a Directive, input: &str) -> Option<(String, Option<&'a Directive>)> {
    let block = map.block()?;
    let mut default = None;
    let mut regex_hit = None;
    for line in &block.directives {
        let key = line.name();
        let quoted = line.name.quote.is_quoted();
        match key {
            "hostnames" | "volatile" if !quoted && line.args.is_empty() => continue,
            "include" if !quoted => return None,
            "default" if !quoted => {
                default = Some(line);
                continue;
            }
            _ => {}
        }
        let value = line.arg(0)?;
        if let Some(re) = key.strip_prefix('~').filter(|_| !quoted) {
            if regex_hit.is_some() {
                continue;
            }
            let (re, ci) = match re.strip_prefix('*') {
                Some(r) => (r, true),
                None => (re, false),
            };
            let re = regex::RegexBuilder::new(re)
                .case_insensitive(ci)
                .build()
                .ok()?;
            if re.is_match(input) {
                regex_hit = Some((value.to_string(), Some(line)));
            }
            continue;
        }
        let key = key.strip_prefix('\\').unwrap_or(key);
        if key.eq_ignore_ascii_case(input) {
            return Some((value.to_string(), Some(line)));
        }
    }
    if regex_hit.is_some() {
        return regex_hit;
    }
    match default {
        Some(d) => Some((d.arg(0).unwrap_or_default().to_string(), Some(d))),
        None => Some((String::new(), None)),
    }
}

/// The `Connection` header a proxy location sends on plain requests.
#[derive(Debug, Clone)]
pub enum PlainConnection<'a> {
    /// Not in the effective list: nginx's default (`close` before 1.29.7,
    /// nothing after).
    Default,
    /// Set by this directive, evaluating to this value.
    Set(&'a Directive, Evaluated<'a>),
    /// Set, but the value cannot be known.
    Unknown(&'a Directive),
}

/// Which `Connection` header a location sends with plain (non-upgrade)
/// requests. `None` when the header list may hold directives ngxray cannot
/// read (unreadable include on the way, other than nginx's stock files).
pub fn plain_connection<'a>(m: &Model<'a>, scope: ScopeId) -> Option<PlainConnection<'a>> {
    let list = stock::effective_list(m, scope, "proxy_set_header")?;
    Some(plain_connection_in(m, &list.items))
}

/// [`plain_connection`] from the entries of the effective
/// `proxy_set_header` list.
pub fn plain_connection_in<'a>(m: &Model<'a>, items: &[ListItem<'a>]) -> PlainConnection<'a> {
    match stock::first_named(items, "connection") {
        None => PlainConnection::Default,
        Some(item) => match evaluate(m, item.value(), false) {
            Some(e) => PlainConnection::Set(item.directive(), e),
            None => PlainConnection::Unknown(item.directive()),
        },
    }
}

/// The outer-level entries of an array directive that a scope's own list
/// hides: the list of the nearest enclosing level that declares any, minus
/// names the inner list redefines. Empty when the scope's list is not its
/// own level's, or when either list cannot be known.
pub fn hidden_outer<'a>(m: &Model<'a>, scope: ScopeId, name: &str) -> Vec<ListItem<'a>> {
    let Some(inner) = stock::effective_list(m, scope, name) else {
        return Vec::new();
    };
    let Some(parent) = inner.set_in.and_then(|s| m.scope(s).parent) else {
        return Vec::new();
    };
    let Some(outer) = stock::effective_list(m, parent, name) else {
        return Vec::new();
    };
    outer
        .items
        .into_iter()
        .filter(|o| {
            !inner
                .items
                .iter()
                .any(|i| i.name().eq_ignore_ascii_case(o.name()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, Loaded};
    use crate::model::Context;
    use std::path::PathBuf;

    fn model_of(text: &str) -> (Loaded, crate::syntax::FileId) {
        let mut l = Loaded::default();
        let ids = l.load_text(
            PathBuf::from("t.conf"),
            text.as_bytes().to_vec(),
            &LoadOptions::default(),
        );
        (l, ids[0])
    }

    #[test]
    fn connection_kinds() {
        assert_eq!(conn_kind(""), ConnKind::Empty);
        assert_eq!(conn_kind("close"), ConnKind::Close);
        assert_eq!(conn_kind("Upgrade"), ConnKind::Upgrade);
        assert_eq!(conn_kind("keep-alive, Upgrade"), ConnKind::Upgrade);
        assert_eq!(conn_kind("keep-alive"), ConnKind::Other);
    }

    #[test]
    fn map_on_http_upgrade() {
        let (l, id) = model_of(
            "http {\n map $http_upgrade $conn_close { default upgrade; '' close; }\n \
             map $http_upgrade $conn_empty { default upgrade; '' ''; }\n \
             map $http_upgrade $conn_always { default upgrade; }\n \
             map $http_upgrade $conn_re { ~*^websocket$ upgrade; default ''; }\n \
             map $host $other { default x; }\n}\n",
        );
        let m = Model::build(&l, &[(id, Context::Main)]);
        let plain = |v: &str| evaluate(&m, v, false).map(|e| e.value);
        let up = |v: &str| evaluate(&m, v, true).map(|e| e.value);
        assert_eq!(plain("$conn_close").as_deref(), Some("close"));
        assert_eq!(up("$conn_close").as_deref(), Some("upgrade"));
        assert_eq!(plain("$conn_empty").as_deref(), Some(""));
        assert_eq!(plain("$conn_always").as_deref(), Some("upgrade"));
        assert_eq!(plain("$conn_re").as_deref(), Some(""));
        assert_eq!(up("$conn_re").as_deref(), Some("upgrade"));
        assert_eq!(plain("$other"), None);
        assert_eq!(plain("$undefined"), None);
        assert_eq!(plain("keep-alive").as_deref(), Some("keep-alive"));
    }
}
