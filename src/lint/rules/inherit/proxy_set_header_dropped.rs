//! `inherit/proxy-set-header-dropped`: a level that sets any
//! `proxy_set_header` (likewise `grpc_set_header`, `fastcgi_param`,
//! `uwsgi_param`, `scgi_param`) inherits none from outer levels. The rule
//! reports, for each such level used by a matching `*_pass`, exactly which
//! outer entries are lost (names the level does not set again), loudest for
//! `Connection`, `Upgrade`, `Host` and the FastCGI request basics.
//!
//! Unreadable includes of nginx's stock parameter files (`fastcgi_params`,
//! `fastcgi.conf`, Debian's `proxy_params`, …) count with their stock
//! contents, so the classic server-level `include fastcgi_params;` dropped by
//! a location's own `fastcgi_param SCRIPT_FILENAME` is found even when the
//! file is not at hand. Any other unreadable include on the way makes the
//! level unknown and the rule stays quiet about it.

use std::collections::{HashMap, HashSet};

use crate::diag::{Diagnostic, Severity};
use crate::lint::registry::RuleMeta;
use crate::lint::rules::keepalive::modern_defaults;
use crate::lint::rules::{diag, Rule, RuleContext};
use crate::model::{Context, Model, PassModule, ScopeId};
use crate::syntax::{Directive, Span};

pub const META: RuleMeta = RuleMeta {
    id: "inherit/proxy-set-header-dropped",
    severity: Severity::Warning,
    summary: "a level that sets any `proxy_set_header`/`fastcgi_param`/… drops every one set at outer levels",
    doc: Some(include_str!(
        "../../../../docs/rules/inherit/proxy-set-header-dropped.md"
    )),
};

pub const RULE: Rule = Rule {
    meta: META,
    check,
    options: None,
};

/// Array directives checked, the module that sends them, and whether names
/// compare case-insensitively (HTTP headers) or exactly (parameters).
const FAMILIES: &[(&str, PassModule, bool)] = &[
    ("proxy_set_header", PassModule::Proxy, true),
    ("grpc_set_header", PassModule::Grpc, true),
    ("fastcgi_param", PassModule::Fastcgi, false),
    ("uwsgi_param", PassModule::Uwsgi, false),
    ("scgi_param", PassModule::Scgi, false),
];

const FASTCGI_PARAMS: &[&str] = &[
    "QUERY_STRING",
    "REQUEST_METHOD",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "SCRIPT_NAME",
    "REQUEST_URI",
    "DOCUMENT_URI",
    "DOCUMENT_ROOT",
    "SERVER_PROTOCOL",
    "REQUEST_SCHEME",
    "HTTPS",
    "GATEWAY_INTERFACE",
    "SERVER_SOFTWARE",
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "SERVER_ADDR",
    "SERVER_PORT",
    "SERVER_NAME",
    "REDIRECT_STATUS",
];

/// Stock parameter files shipped with nginx (and Debian's `proxy_params`
/// and `snippets/fastcgi-php.conf`): file name, directive, names it sets.
fn stock(file: &str) -> Option<(&'static str, Vec<&'static str>)> {
    let with = |extra: &[&'static str]| {
        let mut v: Vec<&'static str> = extra.to_vec();
        v.extend_from_slice(FASTCGI_PARAMS);
        v
    };
    Some(match file {
        "fastcgi_params" => ("fastcgi_param", with(&[])),
        "fastcgi.conf" => ("fastcgi_param", with(&["SCRIPT_FILENAME"])),
        "fastcgi-php.conf" => ("fastcgi_param", with(&["PATH_INFO", "SCRIPT_FILENAME"])),
        "uwsgi_params" => (
            "uwsgi_param",
            vec![
                "QUERY_STRING",
                "REQUEST_METHOD",
                "CONTENT_TYPE",
                "CONTENT_LENGTH",
                "REQUEST_URI",
                "PATH_INFO",
                "DOCUMENT_ROOT",
                "SERVER_PROTOCOL",
                "REQUEST_SCHEME",
                "HTTPS",
                "REMOTE_ADDR",
                "REMOTE_PORT",
                "SERVER_PORT",
                "SERVER_NAME",
            ],
        ),
        "scgi_params" => (
            "scgi_param",
            vec![
                "REQUEST_METHOD",
                "REQUEST_URI",
                "QUERY_STRING",
                "CONTENT_TYPE",
                "DOCUMENT_URI",
                "DOCUMENT_ROOT",
                "SCGI",
                "SERVER_PROTOCOL",
                "REQUEST_SCHEME",
                "HTTPS",
                "REMOTE_ADDR",
                "REMOTE_PORT",
                "SERVER_PORT",
                "SERVER_NAME",
            ],
        ),
        "proxy_params" => (
            "proxy_set_header",
            vec!["Host", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Proto"],
        ),
        _ => return None,
    })
}

/// One entry of a level's list.
#[derive(Clone, Copy)]
enum Item<'a> {
    /// A directive ngxray read.
    Real(&'a Directive),
    /// A name set by an unreadable stock include.
    Stock(&'a Directive, &'static str),
}

impl<'a> Item<'a> {
    fn name(&self) -> &str {
        match self {
            Item::Real(d) => d.arg(0).unwrap_or_default(),
            Item::Stock(_, n) => n,
        }
    }

    fn directive(&self) -> &'a Directive {
        match self {
            Item::Real(d) | Item::Stock(d, _) => d,
        }
    }
}

/// What a level declares for one array directive.
enum Level<'a> {
    /// Nothing: the list comes from further out.
    Nothing,
    /// These entries (at least one).
    Known(Vec<Item<'a>>),
    /// An unreadable include that may set it.
    Unknown,
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn level<'a>(m: &Model<'a>, s: ScopeId, name: &str) -> Level<'a> {
    let mut items: Vec<Item<'a>> = m.local(s, name).map(Item::Real).collect();
    let mut opaque = false;
    for inc in m.local(s, "include") {
        if !m.loaded.included_by(inc).is_empty() {
            continue;
        }
        match inc.arg(0).map(file_name).and_then(stock) {
            Some((dir, names)) if dir == name => {
                items.extend(names.into_iter().map(|n| Item::Stock(inc, n)));
            }
            Some(_) => {}
            None => opaque = true,
        }
    }
    if opaque {
        Level::Unknown
    } else if items.is_empty() {
        Level::Nothing
    } else {
        Level::Known(items)
    }
}

/// Why losing this entry matters, for the loud ones.
fn consequence(dir: &str, name: &str, modern: bool) -> Option<&'static str> {
    if dir.ends_with("_set_header") {
        return match name.to_ascii_lowercase().as_str() {
            "connection" if modern => Some("no Connection header is sent: WebSocket upgrades stop working"),
            "connection" => Some("nginx falls back to \"Connection: close\": upstream keepalive and WebSocket upgrades stop working"),
            "upgrade" => Some("WebSocket handshakes are no longer forwarded"),
            "host" => Some("nginx falls back to $proxy_host, the upstream's name or address: name-based virtual hosts and generated URLs break"),
            _ => None,
        };
    }
    match name {
        "SCRIPT_FILENAME" => Some("php-fpm cannot find the script (\"Primary script unknown\")"),
        "REQUEST_METHOD" | "QUERY_STRING" | "CONTENT_TYPE" | "CONTENT_LENGTH" | "REQUEST_URI" => {
            Some("the application no longer sees the request method, query, URI or body")
        }
        _ => None,
    }
}

/// `location /api/`, `server example.com`, `http`.
fn describe(m: &Model<'_>, s: ScopeId) -> String {
    let sc = m.scope(s);
    let args = |d: &Directive| {
        d.args
            .iter()
            .map(|w| w.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match (sc.kind, sc.block) {
        (Context::Location, Some(d)) => format!("location {}", args(d)),
        (Context::Server, _) => match m.local_first(s, "server_name").and_then(|d| d.arg(0)) {
            Some(n) => format!("server {n}"),
            None => "server level".into(),
        },
        (Context::Http, _) => "http level".into(),
        (Context::IfInLocation | Context::IfInServer, _) => "if block".into(),
        (k, _) => format!("{} level", k.as_str()),
    }
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let m = cx.model;
    let modern = modern_defaults(cx.opts);
    for &(dir, module, ci) in FAMILIES {
        // the level each pass takes its list from
        let mut users: HashMap<ScopeId, Vec<Span>> = HashMap::new();
        let mut order: Vec<ScopeId> = Vec::new();
        for p in m.passes.iter().filter(|p| p.module == module) {
            for s in m.chain(p.scope) {
                match level(m, s, dir) {
                    Level::Nothing => continue,
                    Level::Unknown => break,
                    Level::Known(_) => {
                        let v = users.entry(s).or_default();
                        if v.is_empty() {
                            order.push(s);
                        }
                        v.push(p.directive.head_span());
                        break;
                    }
                }
            }
        }
        for inner in order {
            let Level::Known(own) = level(m, inner, dir) else {
                continue;
            };
            // the next level out that declares any
            let mut outer = None;
            for s in m.chain(inner).skip(1) {
                match level(m, s, dir) {
                    Level::Nothing => continue,
                    Level::Unknown => break,
                    Level::Known(items) => {
                        outer = Some((s, items));
                        break;
                    }
                }
            }
            let Some((outer_scope, outer_items)) = outer else {
                continue;
            };
            let same = |a: &str, b: &str| {
                if ci {
                    a.eq_ignore_ascii_case(b)
                } else {
                    a == b
                }
            };
            let mut seen_names: HashSet<String> = HashSet::new();
            let dropped: Vec<Item<'_>> = outer_items
                .into_iter()
                .filter(|o| !own.iter().any(|i| same(i.name(), o.name())))
                .filter(|o| {
                    // re-stating nginx's own default loses nothing
                    let v = match o {
                        Item::Real(d) => d.arg(1).unwrap_or_default(),
                        Item::Stock(..) => "",
                    };
                    !(dir == "proxy_set_header"
                        && ((o.name().eq_ignore_ascii_case("host") && v == "$proxy_host")
                            || (!modern
                                && o.name().eq_ignore_ascii_case("connection")
                                && v.eq_ignore_ascii_case("close"))))
                })
                .filter(|o| {
                    let k = if ci {
                        o.name().to_ascii_lowercase()
                    } else {
                        o.name().to_string()
                    };
                    seen_names.insert(k)
                })
                .collect();
            if dropped.is_empty() {
                continue;
            }
            // loud ones first, grouped by what losing them does
            let mut loud: Vec<(&'static str, Vec<String>)> = Vec::new();
            let mut quiet: Vec<String> = Vec::new();
            for o in &dropped {
                let shown = match o {
                    Item::Real(d) => {
                        let v = d.arg(1).unwrap_or_default();
                        if v.is_empty() {
                            format!("{} \"\"", o.name())
                        } else {
                            format!("{} {v}", o.name())
                        }
                    }
                    Item::Stock(..) => o.name().to_string(),
                };
                match consequence(dir, o.name(), modern) {
                    Some(c) => match loud.iter_mut().find(|(k, _)| *k == c) {
                        Some((_, v)) => v.push(shown),
                        None => loud.push((c, vec![shown])),
                    },
                    None => quiet.push(shown),
                }
            }
            let noun = if dir.ends_with("_set_header") {
                "header"
            } else {
                "parameter"
            };
            let n = dropped.len();
            let mut parts: Vec<String> = loud
                .iter()
                .map(|(c, names)| format!("{} ({c})", names.join(", ")))
                .collect();
            const SHOW: usize = 6;
            let shown_quiet = quiet.len().min(SHOW);
            parts.extend(quiet.iter().take(SHOW).cloned());
            let more = quiet.len() - shown_quiet;
            let list = if more > 0 {
                format!("{} and {more} more", parts.join(", "))
            } else {
                parts.join(", ")
            };
            let first = own[0].directive();
            let here = describe(m, inner);
            let there = describe(m, outer_scope);
            let lead = if loud.is_empty() { "" } else { "including " };
            let mut d = diag(
                &META,
                format!(
                    "{dir} in {here} replaces the whole list inherited from {there}: {n} {noun}{} set there {} not sent by this level — {lead}{list}",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "is" } else { "are" },
                ),
            )
            .with_span(first.head_span())
            .with_label(format!("this {dir} discards every outer one"));
            let mut related: Vec<Span> = Vec::new();
            for o in &dropped {
                let s = o.directive().head_span();
                if related.contains(&s) {
                    continue;
                }
                related.push(s);
                let msg = match o {
                    Item::Real(_) => format!("dropped here: {} is not inherited", o.name()),
                    Item::Stock(inc, _) => format!(
                        "dropped: everything `{}` sets (not read here; assumed to be nginx's stock file)",
                        inc.args
                            .iter()
                            .map(|w| w.as_str())
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                };
                d = d.with_related(s, msg);
                if related.len() >= 10 {
                    break;
                }
            }
            if let Some(u) = users.get(&inner).and_then(|v| v.first()) {
                d = d.with_related(*u, "requests sent with the reduced list here");
            }
            out.push(d.with_help(format!(
                "repeat the dropped {dir} lines at this level — or keep them in one snippet and `include` it at every level that sets its own {dir}"
            )));
        }
    }
}
