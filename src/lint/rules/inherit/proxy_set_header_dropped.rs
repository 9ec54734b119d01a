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

use crate::lint::Findings;
use crate::diag::Severity;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::lint::rules::keepalive::modern_defaults;
use crate::lint::rules::util::{cat, push_u64};
use crate::model::stock::{ListItem as Item, Lists};
use crate::model::{Context, Model, PassModule, ScopeId};
use crate::rule;
use crate::syntax::{Directive, Span};
use rustc_hash::FxHashMap;

pub const RULE: Rule = rule! {
    id: "inherit/proxy-set-header-dropped",
    severity: Warning,
    summary: "a level that sets any `proxy_set_header`/`fastcgi_param`/… drops every one set at outer levels",
    check: check,
};

const META: RuleMeta = RULE.meta;

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
        let is = |w: &str| name.eq_ignore_ascii_case(w);
        return if is("connection") {
            Some(if modern {
                "no Connection header is sent: WebSocket upgrades stop working"
            } else {
                "nginx falls back to \"Connection: close\": upstream keepalive and WebSocket upgrades stop working"
            })
        } else if is("upgrade") {
            Some("WebSocket handshakes are no longer forwarded")
        } else if is("host") {
            Some("nginx falls back to $proxy_host, the upstream's name or address: name-based virtual hosts and generated URLs break")
        } else {
            None
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

/// The arguments of a directive joined by spaces.
fn push_args(out: &mut String, d: &Directive) {
    for (i, w) in d.args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w.as_str());
    }
}

/// `location /api/`, `server example.com`, `http`.
fn describe(out: &mut String, m: &Model<'_>, s: ScopeId) {
    let sc = m.scope(s);
    match (sc.kind, sc.block) {
        (Context::Location, Some(d)) => {
            out.push_str("location ");
            push_args(out, d);
        }
        (Context::Server, _) => match m.local_first(s, "server_name").and_then(|d| d.arg(0)) {
            Some(n) => {
                out.push_str("server ");
                out.push_str(n);
            }
            None => out.push_str("server level"),
        },
        (Context::Http, _) => out.push_str("http level"),
        (Context::IfInLocation | Context::IfInServer, _) => out.push_str("if block"),
        (k, _) => {
            out.push_str(k.as_str());
            out.push_str(" level");
        }
    }
}

/// How a dropped entry is shown in the message: `Host $host`, `Connection ""`,
/// or the bare name of a stock entry.
fn push_shown(out: &mut String, o: &Item<'_>) {
    out.push_str(o.name());
    if let Item::Real(d) = o {
        let v = d.arg(1).unwrap_or_default();
        if v.is_empty() {
            out.push_str(" \"\"");
        } else {
            out.push(' ');
            out.push_str(v);
        }
    }
}

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    let modern = modern_defaults(cx.lint);
    // Variables `auth_request_set` fills: empty at a level that turns
    // `auth_request off`, so not passing them on there loses nothing.
    let auth_vars: Vec<&str> = m
        .entries
        .iter()
        .filter(|e| e.directive.name() == "auth_request_set")
        .filter_map(|e| e.directive.arg(0))
        .collect();
    for &(dir, module, ci) in FAMILIES {
        if !m.passes.iter().any(|p| p.module == module) {
            continue;
        }
        let mut lists = Lists::new(m, dir);
        // the level each pass takes its list from, and its first pass
        let mut first_user: FxHashMap<ScopeId, Span> = FxHashMap::default();
        let mut order: Vec<ScopeId> = Vec::new();
        for p in m.passes.iter().filter(|p| p.module == module) {
            if let Some(Some(s)) = lists.source(p.scope) {
                first_user.entry(s).or_insert_with(|| {
                    order.push(s);
                    p.directive.head_span()
                });
            }
        }
        // per outer level: how it is described
        let mut outers: FxHashMap<ScopeId, String> = FxHashMap::default();
        // reused for every level
        let mut dropped: Vec<Item<'_>> = Vec::new();
        let mut cons: Vec<Option<&'static str>> = Vec::new();
        let mut groups: Vec<&'static str> = Vec::new();
        let mut related: Vec<Span> = Vec::new();
        let noun = if dir.ends_with("_set_header") {
            "header"
        } else {
            "parameter"
        };
        let label = cat(&["this ", dir, " discards every outer one"]);
        let help = cat(&[
            "repeat the dropped ",
            dir,
            " lines at this level — or keep them in one snippet and `include` it at every level that sets its own ",
            dir,
        ]);
        let same = |a: &str, b: &str| {
            if ci {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        for inner in order {
            // the next level out that declares any
            let Some(Some(outer_scope)) = m.scope(inner).parent.and_then(|p| lists.source(p))
            else {
                continue;
            };
            let own = lists.items(inner);
            let outer_items = lists.items(outer_scope);
            let there = outers.entry(outer_scope).or_insert_with(|| {
                let mut there = String::new();
                describe(&mut there, m, outer_scope);
                there
            });
            dropped.clear();
            let auth_off =
                !auth_vars.is_empty() && m.effective(inner, "auth_request").value() == Some("off");
            for o in outer_items {
                if own.iter().any(|i| same(i.name(), o.name())) {
                    continue;
                }
                if auth_off && auth_vars.iter().any(|v| o.value().contains(v)) {
                    continue;
                }
                // re-stating nginx's own default loses nothing
                let v = o.value();
                if dir == "proxy_set_header"
                    && ((o.name().eq_ignore_ascii_case("host") && v == "$proxy_host")
                        || (!modern
                            && o.name().eq_ignore_ascii_case("connection")
                            && v.eq_ignore_ascii_case("close")))
                {
                    continue;
                }
                if dropped.iter().any(|d| same(d.name(), o.name())) {
                    continue;
                }
                dropped.push(*o);
            }
            if dropped.is_empty() {
                continue;
            }
            // loud ones first, grouped by what losing them does
            cons.clear();
            cons.extend(dropped.iter().map(|o| consequence(dir, o.name(), modern)));
            groups.clear();
            for c in cons.iter().flatten() {
                if !groups.contains(c) {
                    groups.push(c);
                }
            }
            let n_quiet = cons.iter().filter(|c| c.is_none()).count();
            let n = dropped.len();
            let mut msg = String::with_capacity(256);
            msg.push_str(dir);
            msg.push_str(" in ");
            describe(&mut msg, m, inner);
            msg.push_str(" replaces the whole list inherited from ");
            msg.push_str(there);
            msg.push_str(": ");
            push_u64(&mut msg, n as u64);
            msg.push(' ');
            msg.push_str(noun);
            msg.push_str(if n == 1 {
                " set there is"
            } else {
                "s set there are"
            });
            msg.push_str(" not sent by this level — ");
            if !groups.is_empty() && n_quiet > 0 {
                msg.push_str("including ");
            }
            let mut first_part = true;
            for g in &groups {
                if !first_part {
                    msg.push_str(", ");
                }
                first_part = false;
                let mut first_name = true;
                for (o, c) in dropped.iter().zip(&cons) {
                    if *c == Some(*g) {
                        if !first_name {
                            msg.push_str(", ");
                        }
                        first_name = false;
                        push_shown(&mut msg, o);
                    }
                }
                msg.push_str(" (");
                msg.push_str(g);
                msg.push(')');
            }
            const SHOW: usize = 6;
            for o in dropped
                .iter()
                .zip(&cons)
                .filter(|(_, c)| c.is_none())
                .map(|(o, _)| o)
                .take(SHOW)
            {
                if !first_part {
                    msg.push_str(", ");
                }
                first_part = false;
                push_shown(&mut msg, o);
            }
            let more = n_quiet - n_quiet.min(SHOW);
            if more > 0 {
                msg.push_str(" and ");
                push_u64(&mut msg, more as u64);
                msg.push_str(" more");
            }
            let first = own[0].directive();
            // A warning when a dropped entry breaks requests (Connection,
            // Upgrade, Host, the core FastCGI parameters); losing only
            // informational headers (X-Forwarded-*, X-Real-IP) is an info.
            let mut d = diag(&META, msg);
            if groups.is_empty() {
                d.severity = Severity::Info;
            }
            let mut d = d.with_span(first.head_span()).with_label(label.clone());
            related.clear();
            for o in &dropped {
                let s = o.directive().head_span();
                if related.contains(&s) {
                    continue;
                }
                related.push(s);
                let msg = match o {
                    Item::Real(_) => cat(&["dropped here: ", o.name(), " is not inherited"]),
                    Item::Stock { include: inc, .. } => {
                        let mut t = String::from("dropped: everything `");
                        push_args(&mut t, inc);
                        t.push_str("` sets (not read here; assumed to be nginx's stock file)");
                        t
                    }
                };
                d = d.with_related(s, msg);
                if related.len() >= 10 {
                    break;
                }
            }
            if let Some(u) = first_user.get(&inner) {
                d = d.with_related(*u, "requests sent with the reduced list here");
            }
            out.push(d.with_help(help.clone()));
        }
    }
}
