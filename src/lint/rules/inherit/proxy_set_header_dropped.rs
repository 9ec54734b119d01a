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
use crate::model::stock::{level, Level, ListItem as Item};
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
                    let v = o.value();
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
                    Item::Stock { .. } => o.name().to_string(),
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
            let lead = if loud.is_empty() || quiet.is_empty() {
                ""
            } else {
                "including "
            };
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
                    Item::Stock { include: inc, .. } => format!(
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
