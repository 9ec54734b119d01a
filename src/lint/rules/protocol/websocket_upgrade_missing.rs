//! `protocol/websocket-upgrade-missing`: a location whose path names a
//! WebSocket endpoint (`/ws`, `/socket.io/`, `/cable`, …) proxied without the
//! hop-by-hop `Upgrade` and `Connection: upgrade` headers — nginx never
//! forwards them on its own — or, before nginx 1.29.7, over HTTP/1.0, which
//! cannot upgrade.

use super::websocket_hint;
use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::lint::rules::keepalive::{conn_kind, evaluate, hidden_outer, http_version, ConnKind};
use crate::model::{stock, PassModule};
use crate::rule;

pub const RULE: Rule = rule! {
    id: "protocol/websocket-upgrade-missing",
    severity: Warning,
    summary: "WebSocket-looking location proxied without `Upgrade`/`Connection` headers (or over HTTP/1.0)",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    for p in &m.passes {
        if p.module != PassModule::Proxy {
            continue;
        }
        let Some((hint, what)) = websocket_hint(m, p) else {
            continue;
        };
        let Some(list) = stock::effective_list(m, p.scope, "proxy_set_header") else {
            continue;
        };
        let mut missing: Vec<String> = Vec::new();
        let upgrade_ok = list
            .get("upgrade")
            .is_some_and(|i| evaluate(m, i.value(), true).is_none_or(|e| !e.value.is_empty()));
        if !upgrade_ok {
            missing.push("`proxy_set_header Upgrade $http_upgrade`".into());
        }
        let conn_ok = list.get("connection").is_some_and(|i| {
            evaluate(m, i.value(), true).is_none_or(|e| conn_kind(&e.value) == ConnKind::Upgrade)
        });
        if !conn_ok {
            missing.push("`proxy_set_header Connection \"upgrade\"`".into());
        }
        let hv = http_version(m, p.scope, cx.lint);
        if hv.value == "1.0" && !hv.hidden {
            missing.push(match hv.directive {
                Some(_) => "`proxy_http_version 1.1` (it is set to 1.0)".to_string(),
                None => {
                    "`proxy_http_version 1.1` (1.0 is the default before nginx 1.29.7)".to_string()
                }
            });
        }
        if missing.is_empty() {
            continue;
        }
        let hidden: Vec<_> = hidden_outer(m, p.scope, "proxy_set_header")
            .into_iter()
            .filter(|d| {
                d.name().eq_ignore_ascii_case("upgrade")
                    || d.name().eq_ignore_ascii_case("connection")
            })
            .collect();
        let span = match (hidden.is_empty(), list.items.first()) {
            (false, Some(first)) => first.span(),
            _ => p.directive.head_span(),
        };
        let mut d = diag(
            &META,
            format!(
                "{what} looks like a WebSocket endpoint but is proxied without {}: the handshake reaches the backend as a plain request (400/426 from the application, socket.io falls back to polling, or \"upstream prematurely closed connection\")",
                missing.join(", ")
            ),
        )
        .with_span(span)
        .with_label(if hidden.is_empty() {
            "WebSocket handshake not forwarded"
        } else {
            "this proxy_set_header hides the outer Upgrade/Connection headers"
        })
;
        if hint.head_span() != span {
            d = d.with_related(hint.head_span(), "looks like a WebSocket endpoint");
        }
        for h in &hidden {
            d = d.with_related(h.span(), "set at an outer level, not inherited here");
        }
        if let Some(v) = hv.directive.filter(|_| hv.value == "1.0") {
            d = d.with_related(v.head_span(), "HTTP/1.0 set here");
        }
        out.push(d.with_help(
            "add `proxy_http_version 1.1;`, `proxy_set_header Upgrade $http_upgrade;` and `proxy_set_header Connection $connection_upgrade;` (with `map $http_upgrade $connection_upgrade { default upgrade; '' ''; }` at http level) to this location",
        ));
    }
}
