//! `keepalive/hardcoded-connection-upgrade`: `proxy_set_header Connection
//! "upgrade"` (or a `map $http_upgrade` without a `''` entry) sends
//! `Connection: upgrade` with every request, not only WebSocket handshakes:
//! the backend is asked to switch protocols on plain requests and the
//! upstream connection cannot be kept alive.

use std::collections::HashMap;

use super::{conn_kind, plain_connection, upstream_keepalive, ConnKind, PlainConnection};
use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::lint::rules::protocol::{location_path, websocket_hint};
use crate::model::{stock, Context, Model, Pass, PassModule};
use crate::rule;
use crate::syntax::{Directive, Span};

pub const RULE: Rule = rule! {
    id: "keepalive/hardcoded-connection-upgrade",
    severity: Info,
    summary: "`proxy_set_header Connection \"upgrade\"` on every request instead of a `map` on `$http_upgrade`",
    check: check,
};

const META: RuleMeta = RULE.meta;

struct Finding<'m, 'a> {
    header: &'a Directive,
    map_line: Option<&'a Directive>,
    map: Option<&'a Directive>,
    passes: Vec<&'m Pass<'a>>,
}

/// Does this location certainly carry plain (non-WebSocket) requests too?
/// Its upstream keeps connections alive (every request then matters), the
/// header comes from the server or http level (it applies to every
/// location), or the location is a catch-all (`location /`, a named
/// location behind `try_files`). A specific location that sets the header
/// itself is taken as a WebSocket endpoint under a path the heuristic does
/// not know (`/chat/` in nginx's own guide).
fn serves_plain_requests(m: &Model<'_>, p: &Pass<'_>, cx: &RuleContext<'_>) -> bool {
    let keepalive = p
        .explicit_upstream(&m.upstreams)
        .is_some_and(|u| upstream_keepalive(m, m.upstreams.get(u), cx.lint).is_some());
    if keepalive {
        return true;
    }
    let outer = stock::effective_list(m, p.scope, "proxy_set_header")
        .and_then(|l| l.set_in)
        .is_some_and(|s| {
            !matches!(
                m.scope(s).kind,
                Context::Location | Context::IfInLocation | Context::LimitExcept
            )
        });
    if outer {
        return true;
    }
    let Some(loc) = m
        .enclosing(p.scope, Context::Location)
        .and_then(|l| m.scope(l).block)
    else {
        return true;
    };
    match loc.args.last().map(|w| w.as_str()) {
        Some(path) => path == "/" || path.starts_with('@'),
        None => true,
    }
}

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    // nothing to do unless some Connection header says upgrade or is a variable
    let candidate = m.entries.iter().any(|e| {
        let d = e.directive;
        d.name() == "proxy_set_header"
            && d.arg(0)
                .is_some_and(|h| h.eq_ignore_ascii_case("connection"))
            && d.arg(1).is_some_and(|v| {
                conn_kind(v) == ConnKind::Upgrade || crate::model::target::has_variable(v)
            })
    });
    if !candidate {
        return;
    }
    let mut by_header: HashMap<Span, Finding<'_, '_>> = HashMap::new();
    let mut order: Vec<Span> = Vec::new();
    for p in &m.passes {
        if p.module != PassModule::Proxy || websocket_hint(m, p).is_some() {
            continue;
        }
        let Some(PlainConnection::Set(h, e)) = plain_connection(m, p.scope) else {
            continue;
        };
        if conn_kind(&e.value) != ConnKind::Upgrade
            || (e.map.is_none() && !serves_plain_requests(m, p, cx))
        {
            continue;
        }
        let f = by_header.entry(h.head_span()).or_insert_with(|| {
            order.push(h.head_span());
            Finding {
                header: h,
                map_line: e.via,
                map: e.map,
                passes: Vec::new(),
            }
        });
        f.passes.push(p);
    }
    for span in order {
        let Some(f) = by_header.remove(&span) else {
            continue;
        };
        if f.passes.is_empty() {
            continue;
        }
        let value = f.header.arg(1).unwrap_or_default();
        let what = match f.map {
            Some(map) => format!(
                "`proxy_set_header Connection {value}` sends \"Connection: upgrade\" with every request, including plain page and API requests (map {} has no '' entry for requests without Upgrade)",
                map.arg(1).unwrap_or_default()
            ),
            None => format!("`proxy_set_header Connection \"{value}\"` sends \"Connection: upgrade\" with every request, including plain page and API requests"),
        };
        let keepalive = f.passes.iter().find_map(|p| {
            let u = m.upstreams.get(p.explicit_upstream(&m.upstreams)?);
            upstream_keepalive(m, u, cx.lint).map(|k| (u, k))
        });
        let tail = match keepalive {
            Some((u, _)) => format!(
                ": upstream \"{}\" cannot keep connections alive, and backends that honour the header close or reset them (\"upstream prematurely closed connection\", 502)",
                u.name
            ),
            None => ": backends that honour the header close the connection or fail the request (\"upstream prematurely closed connection\", 502)".to_string(),
        };
        let mut d = diag(&META, format!("{what}{tail}"))
            .with_span(f.header.head_span())
            .with_label("Connection: upgrade on every request");
        for p in f.passes.iter().take(3) {
            let loc = location_path(m, p.scope)
                .map(|l| format!(" in location {l}"))
                .unwrap_or_default();
            d = d.with_related(
                p.directive.head_span(),
                format!("used by this {}{loc}", p.directive.name()),
            );
        }
        if let Some(line) = f.map_line {
            d = d.with_related(line.head_span(), "requests without Upgrade get this value");
        }
        if let Some((_, k)) = keepalive {
            if let Some(kd) = k.directive {
                d = d.with_related(kd.head_span(), "keepalive configured here");
            }
        }
        out.push(d.with_help(
            "send the header only for upgrade requests: `map $http_upgrade $connection_upgrade { default upgrade; '' ''; }` at http level and `proxy_set_header Connection $connection_upgrade;` (use '' close instead of '' '' only if the upstream has no keepalive)",
        ));
    }
}
