//! `keepalive/upstream-keepalive-ineffective`: an upstream block keeps idle
//! connections (`keepalive N`), but the locations using it make every
//! connection single-use: HTTP/1.0 or `Connection: close` to the backend
//! (nginx's defaults before 1.29.7), FastCGI without `fastcgi_keep_conn on`,
//! or uwsgi/SCGI, which have no keepalive at all.

use std::borrow::Cow;

use super::{
    conn_kind, http_version_from, modern_defaults, plain_connection_in, upstream_keepalive,
    ConnKind, PlainConnection,
};
use crate::diag::Severity;
use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::lint::rules::util::{cat, FxHashSet};
use crate::model::{stock, PassModule};
use crate::rule;
use crate::syntax::Span;

pub const RULE: Rule = rule! {
    id: "keepalive/upstream-keepalive-ineffective",
    severity: Warning,
    summary: "`keepalive` in an upstream whose locations send HTTP/1.0 or `Connection: close` (or FastCGI without `fastcgi_keep_conn`)",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    let modern = modern_defaults(cx.lint);
    let mut lists = stock::Lists::new(m, "proxy_set_header");
    // reused for every pass
    let mut causes: Vec<Cow<'static, str>> = Vec::new();
    let mut related: Vec<(Span, &'static str)> = Vec::new();
    for (_, u) in m.upstreams.explicit() {
        let Some(ka) = upstream_keepalive(m, u, cx.lint) else {
            continue;
        };
        let Some(block) = u.directive else { continue };
        let (ka_span, ka_text) = match ka.directive {
            Some(d) => (
                d.head_span(),
                cat(&["keepalive ", d.arg(0).unwrap_or_default()]),
            ),
            None => (block.head_span(), "keepalive 32 (default)".to_string()),
        };
        // one finding per cause: a server-level setting used by many
        // locations is reported once
        let mut seen: FxHashSet<Span> = FxHashSet::default();
        seen.reserve(u.used_by.len());
        let mut using: Option<(PassModule, String)> = None;
        for pid in &u.used_by {
            let p = m.pass(*pid);
            causes.clear();
            related.clear();
            let mut primary = None;
            let help: &'static str;
            let mut dropped = false;
            let mut severity = META.severity;
            let mut fix = None;
            match p.module {
                PassModule::Proxy => {
                    let hv = http_version_from(
                        m,
                        p.scope,
                        m.effective(p.scope, "proxy_http_version"),
                        cx.lint,
                    );
                    if !hv.keeps_alive() && !hv.hidden {
                        causes.push(format!("proxy_http_version is {}", hv.describe()).into());
                        if let Some(d) = hv.directive {
                            primary.get_or_insert(d.head_span());
                        }
                    }
                    let Some(set_in) = lists.source(p.scope) else {
                        continue;
                    };
                    let conn = {
                        let items = set_in.map(|s| lists.items(s)).unwrap_or_default();
                        plain_connection_in(m, items)
                    };
                    let conn_default = matches!(conn, PlainConnection::Default);
                    match conn {
                        PlainConnection::Default if !modern => {
                            // the level outside the one the list comes from
                            let outer = match set_in.and_then(|s| m.scope(s).parent) {
                                Some(parent) => lists.source(parent).flatten(),
                                None => None,
                            };
                            let items = set_in.map(|s| lists.items(s)).unwrap_or_default();
                            causes.push(
                                "no `proxy_set_header Connection \"\"`, so nginx sends \"Connection: close\" (the default before 1.29.7)"
                                    .into(),
                            );
                            // a Connection header set at an outer level but
                            // hidden by this level's own proxy_set_header
                            for o in outer.map(|o| lists.items(o)).unwrap_or_default() {
                                if items
                                    .iter()
                                    .any(|i| i.name().eq_ignore_ascii_case(o.name()))
                                {
                                    continue;
                                }
                                if o.name().eq_ignore_ascii_case("connection") {
                                    related.push((
                                        o.span(),
                                        "this Connection header is not inherited",
                                    ));
                                    dropped = true;
                                }
                            }
                            if dropped {
                                if let Some(first) = items.first() {
                                    primary.get_or_insert(first.span());
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
                                    ).into());
                                    if let Some(line) = e.via {
                                        related.push((
                                            line.head_span(),
                                            "requests without Upgrade get this value",
                                        ));
                                    }
                                }
                                None => causes.push(
                                    format!(
                                    "`proxy_set_header Connection \"{}\"` closes every connection",
                                    e.value
                                )
                                    .into(),
                                ),
                            }
                            primary.get_or_insert(d.head_span());
                        }
                        _ => {}
                    }
                    help = if dropped {
                        "repeat `proxy_set_header Connection \"\";` at this level: a level that sets any proxy_set_header inherits none from outer levels"
                    } else if modern {
                        "remove the override: nginx ≥ 1.29.7 speaks HTTP/1.1 without a Connection header by default"
                    } else {
                        "set `proxy_http_version 1.1;` and `proxy_set_header Connection \"\";` where this location takes its proxy settings (for WebSockets use `map $http_upgrade $connection_upgrade { default upgrade; '' ''; }`)"
                    };
                    if !dropped && !modern && !hv.hidden {
                        fix = crate::fix::keepalive(
                            m,
                            p,
                            (!hv.keeps_alive(), hv.directive),
                            conn_default,
                            set_in,
                        );
                    }
                }
                PassModule::Fastcgi => {
                    if ka.directive.is_none() {
                        continue;
                    }
                    let e = m.effective(p.scope, "fastcgi_keep_conn");
                    if stock::hidden(m, p.scope, &e) || e.value() == Some("on") {
                        continue;
                    }
                    causes.push(
                        if e.is_set() {
                            "fastcgi_keep_conn is off: the FastCGI application closes the connection after each request"
                        } else {
                            "fastcgi_keep_conn is off (default): the FastCGI application closes the connection after each request"
                        }
                        .into(),
                    );
                    if let Some(d) = e.directive {
                        primary.get_or_insert(d.head_span());
                    }
                    help = "add `fastcgi_keep_conn on;` next to this fastcgi_pass, or remove `keepalive` from the upstream";
                }
                PassModule::Uwsgi | PassModule::Scgi => {
                    if ka.directive.is_none() {
                        continue;
                    }
                    causes.push(
                        cat(&[p.module.directive(), " connections are never kept alive"]).into(),
                    );
                    severity = Severity::Info;
                    help = "remove `keepalive` from this upstream: it has no effect for uwsgi/SCGI";
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
            let mut msg = String::with_capacity(
                u.name.len()
                    + ka_text.len()
                    + causes.iter().map(|c| c.len() + 7).sum::<usize>()
                    + 90,
            );
            msg.push_str("upstream \"");
            msg.push_str(&u.name);
            msg.push_str("\" keeps idle connections (");
            msg.push_str(&ka_text);
            msg.push_str("), but ");
            for (i, c) in causes.iter().enumerate() {
                if i > 0 {
                    msg.push_str(", and ");
                }
                msg.push_str(c);
            }
            msg.push_str(": every request opens a new connection");
            let mut d = diag(&META, msg)
                .with_span(span)
                .with_label("makes upstream connections single-use");
            d.severity = severity;
            if span != p.directive.head_span() {
                // the same text for every pass of a module: built once
                let text = match &using {
                    Some((module, text)) if *module == p.module => text.clone(),
                    _ => {
                        let text =
                            cat(&[p.module.directive(), " using upstream \"", &u.name, "\""]);
                        using = Some((p.module, text.clone()));
                        text
                    }
                };
                d = d.with_related(p.directive.head_span(), text);
            }
            d = d.with_related(ka_span, "keepalive configured here");
            for &(s, msg) in &related {
                d = d.with_related(s, msg);
            }
            out.push(d.with_help(help).with_fix(fix));
        }
    }
}
