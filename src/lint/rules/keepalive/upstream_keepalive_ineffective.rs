//! `keepalive/upstream-keepalive-ineffective`: an upstream block keeps idle
//! connections (`keepalive N`), but the locations using it make every
//! connection single-use: HTTP/1.0 or `Connection: close` to the backend
//! (nginx's defaults before 1.29.7), FastCGI without `fastcgi_keep_conn on`,
//! or uwsgi/SCGI, which have no keepalive at all.

use std::collections::HashSet;

use super::{
    conn_kind, hidden_outer, http_version, modern_defaults, plain_connection, upstream_keepalive,
    ConnKind, PlainConnection,
};
use crate::diag::{Diagnostic, Severity};
use crate::lint::registry::RuleMeta;
use crate::lint::rules::{diag, Rule, RuleContext};
use crate::model::{stock, PassModule};
use crate::syntax::Span;

pub const META: RuleMeta = RuleMeta {
    id: "keepalive/upstream-keepalive-ineffective",
    severity: Severity::Warning,
    summary: "`keepalive` in an upstream whose locations send HTTP/1.0 or `Connection: close` (or FastCGI without `fastcgi_keep_conn`)",
    doc: Some(include_str!(
        "../../../../docs/rules/keepalive/upstream-keepalive-ineffective.md"
    )),
};

pub const RULE: Rule = Rule {
    meta: META,
    check,
    options: None,
};

fn check(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let m = cx.model;
    let modern = modern_defaults(cx.opts);
    for (_, u) in m.upstreams.explicit() {
        let Some(ka) = upstream_keepalive(m, u, cx.opts) else {
            continue;
        };
        let Some(block) = u.directive else { continue };
        let (ka_span, ka_text) = match ka.directive {
            Some(d) => (
                d.head_span(),
                format!("keepalive {}", d.arg(0).unwrap_or_default()),
            ),
            None => (block.head_span(), "keepalive 32 (default)".to_string()),
        };
        // one finding per cause: a server-level setting used by many
        // locations is reported once
        let mut seen: HashSet<Span> = HashSet::new();
        for pid in &u.used_by {
            let p = m.pass(*pid);
            let mut causes: Vec<String> = Vec::new();
            let mut primary = None;
            let mut related: Vec<(Span, String)> = Vec::new();
            let help: String;
            let mut dropped = false;
            let mut severity = META.severity;
            match p.module {
                PassModule::Proxy => {
                    let hv = http_version(m, p.scope, cx.opts);
                    if !hv.keeps_alive() && !hv.hidden {
                        causes.push(format!("proxy_http_version is {}", hv.describe()));
                        if let Some(d) = hv.directive {
                            primary.get_or_insert(d.head_span());
                        }
                    }
                    let Some(conn) = plain_connection(m, p.scope) else {
                        continue;
                    };
                    match conn {
                        PlainConnection::Default if !modern => {
                            causes.push(
                                "no `proxy_set_header Connection \"\"`, so nginx sends \"Connection: close\" (the default before 1.29.7)"
                                    .into(),
                            );
                            // a Connection header set at an outer level but
                            // hidden by this level's own proxy_set_header
                            for d in hidden_outer(m, p.scope, "proxy_set_header") {
                                if d.name().eq_ignore_ascii_case("connection") {
                                    related.push((
                                        d.span(),
                                        "this Connection header is not inherited".into(),
                                    ));
                                    dropped = true;
                                }
                            }
                            if dropped {
                                if let Some(own) =
                                    stock::effective_list(m, p.scope, "proxy_set_header")
                                {
                                    if let Some(first) = own.items.first() {
                                        primary.get_or_insert(first.span());
                                    }
                                }
                                causes.pop();
                                causes.push("the outer `proxy_set_header Connection \"\"` is not inherited here (this level sets its own proxy_set_header), so nginx sends \"Connection: close\"".into());
                            }
                        }
                        PlainConnection::Set(d, e) if conn_kind(&e.value) == ConnKind::Close => {
                            match e.map {
                                Some(map) => {
                                    causes.push(format!(
                                        "`proxy_set_header Connection {}` sends \"Connection: close\" on requests without Upgrade ({} yields \"{}\")",
                                        d.arg(1).unwrap_or_default(),
                                        map.arg(1).unwrap_or_default(),
                                        e.value
                                    ));
                                    if let Some(line) = e.via {
                                        related.push((
                                            line.head_span(),
                                            "requests without Upgrade get this value".into(),
                                        ));
                                    }
                                }
                                None => causes.push(format!(
                                    "`proxy_set_header Connection \"{}\"` closes every connection",
                                    e.value
                                )),
                            }
                            primary.get_or_insert(d.head_span());
                        }
                        _ => {}
                    }
                    help = if dropped {
                        "repeat `proxy_set_header Connection \"\";` at this level: a level that sets any proxy_set_header inherits none from outer levels".into()
                    } else if modern {
                        "remove the override: nginx ≥ 1.29.7 speaks HTTP/1.1 without a Connection header by default".into()
                    } else {
                        "set `proxy_http_version 1.1;` and `proxy_set_header Connection \"\";` where this location takes its proxy settings (for WebSockets use `map $http_upgrade $connection_upgrade { default upgrade; '' ''; }`)".into()
                    };
                }
                PassModule::Fastcgi => {
                    if ka.directive.is_none() {
                        continue;
                    }
                    let e = m.effective(p.scope, "fastcgi_keep_conn");
                    if stock::hidden(m, p.scope, &e) || e.value() == Some("on") {
                        continue;
                    }
                    causes.push(format!(
                        "fastcgi_keep_conn is {}: the FastCGI application closes the connection after each request",
                        if e.is_set() { "off" } else { "off (default)" }
                    ));
                    if let Some(d) = e.directive {
                        primary.get_or_insert(d.head_span());
                    }
                    help = "add `fastcgi_keep_conn on;` next to this fastcgi_pass, or remove `keepalive` from the upstream".into();
                }
                PassModule::Uwsgi | PassModule::Scgi => {
                    if ka.directive.is_none() {
                        continue;
                    }
                    causes.push(format!(
                        "{} connections are never kept alive",
                        p.module.directive()
                    ));
                    severity = Severity::Info;
                    help = "remove `keepalive` from this upstream: it has no effect for uwsgi/SCGI"
                        .into();
                }
                _ => continue,
            }
            if causes.is_empty() {
                continue;
            }
            let span = primary.unwrap_or_else(|| p.directive.head_span());
            if !seen.insert(span) {
                continue;
            }
            let mut d = diag(
                &META,
                format!(
                    "upstream \"{}\" keeps idle connections ({ka_text}), but {}: every request opens a new connection",
                    u.name,
                    causes.join(", and ")
                ),
            )
            .with_span(span)
            .with_label("makes upstream connections single-use");
            d.severity = severity;
            if span != p.directive.head_span() {
                d = d.with_related(
                    p.directive.head_span(),
                    format!("{} using upstream \"{}\"", p.module.directive(), u.name),
                );
            }
            d = d.with_related(ka_span, "keepalive configured here");
            for (s, msg) in related {
                d = d.with_related(s, msg);
            }
            out.push(d.with_help(help));
        }
    }
}
