//! `tls/sni-disabled`: `proxy_pass https://name` with `proxy_ssl_server_name`
//! off (nginx's default in every version): the TLS handshake carries no
//! server name, and backends that pick a certificate by name (CDNs, cloud
//! load balancers, ingress controllers, shared hosting) abort it.

use std::collections::HashSet;

use super::{group, is_dns_name, tls_prefix};
use crate::diag::{Diagnostic, Severity};
use crate::lint::registry::RuleMeta;
use crate::lint::rules::{diag, Rule, RuleContext};
use crate::model::stock;
use crate::model::Host;
use crate::syntax::Span;

pub const META: RuleMeta = RuleMeta {
    id: "tls/sni-disabled",
    severity: Severity::Warning,
    summary: "`https://` upstream addressed by name while `proxy_ssl_server_name` is off: no SNI",
    doc: Some(include_str!("../../../../docs/rules/tls/sni-disabled.md")),
};

pub const RULE: Rule = Rule {
    meta: META,
    check,
    options: None,
};

fn check(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let m = cx.model;
    let mut seen: HashSet<(Span, Option<Span>)> = HashSet::new();
    for p in &m.passes {
        let Some(prefix) = tls_prefix(p) else {
            continue;
        };
        // a literal host; variables elsewhere (`$request_uri`) do not matter
        if !matches!(p.target.host, Host::Name(_)) {
            continue;
        }
        let g = group(m, p);
        // a group: the name matters only if some server is addressed by name
        let named_server = match g {
            Some(u) => {
                let Some(s) = u.servers.iter().find(|s| is_dns_name(&s.address.host)) else {
                    continue;
                };
                Some(s)
            }
            None if is_dns_name(&p.target.host) => None,
            None => continue,
        };
        let directive = format!("{prefix}_ssl_server_name");
        let e = m.effective(p.scope, &directive);
        if stock::hidden(m, p.scope, &e) || e.value() == Some("on") {
            continue;
        }
        if !seen.insert((p.directive.head_span(), e.directive.map(|d| d.head_span()))) {
            continue;
        }
        let host = p.target.host.name().unwrap_or_default();
        let state = if e.is_set() { "off" } else { "off (default)" };
        let mut d = diag(
            &META,
            format!(
                "{} {} with {directive} {state}: nginx sends no server name (SNI) in the TLS handshake, and backends that choose their certificate by name (CDNs, cloud load balancers, ingress controllers, shared hosting) abort it — \"SSL_do_handshake() failed (… alert number 40 …) while SSL handshaking to upstream\" (502)",
                p.directive.name(),
                p.target.raw
            ),
        )
        .with_span(p.directive.args[0].span)
        .with_label("TLS without SNI");
        if let Some(sd) = e.directive {
            d = d.with_related(sd.head_span(), "SNI turned off here");
        }
        let help = match (g, named_server) {
            (Some(u), Some(s)) => {
                if let Some(b) = u.directive {
                    d = d.with_related(b.head_span(), "upstream defined here");
                }
                d = d.with_related(s.directive.head_span(), "backend addressed by name");
                let name = s.address.host.name().unwrap_or(host);
                format!("add `{directive} on;` and `{prefix}_ssl_name {name};` (without it the group name \"{}\" is sent)", u.name)
            }
            _ => format!("add `{directive} on;` next to this {}", p.directive.name()),
        };
        out.push(d.with_help(help));
    }
}
