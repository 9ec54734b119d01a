//! `tls/sni-disabled`: `proxy_pass https://name` with `proxy_ssl_server_name`
//! off (nginx's default in every version): the TLS handshake carries no
//! server name, and backends that pick a certificate by name (CDNs, cloud
//! load balancers, ingress controllers, shared hosting) abort it.

use std::collections::HashSet;

use super::{static_targets, tls_prefix_of};
use crate::diag::Diagnostic;
use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::stock;
use crate::model::Host;
use crate::rule;
use crate::syntax::Span;

pub const RULE: Rule = rule! {
    id: "tls/sni-disabled",
    severity: Warning,
    summary: "`https://` upstream addressed by name while `proxy_ssl_server_name` is off: no SNI",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    let mut seen: HashSet<(Span, Option<Span>)> = HashSet::new();
    // one finding per server block and `*_ssl_server_name` setting, the
    // other passes it covers as related spans
    let mut found_at: std::collections::HashMap<
        (Option<crate::model::ScopeId>, Option<Span>),
        usize,
    > = std::collections::HashMap::new();
    let mut mine: Vec<Diagnostic> = Vec::new();
    for p in &m.passes {
        // a literal target without TLS is its only target: nothing to check
        let t = &p.target;
        if !t.has_variables
            && !t.variable_scheme
            && !matches!(t.host, Host::Variable(_))
            && tls_prefix_of(p.module, t).is_none()
        {
            continue;
        }
        // the first target (its own, or a static value of its variable) that
        // speaks TLS to a name
        let found = static_targets(m, p).into_iter().find_map(|(t, via)| {
            let prefix = tls_prefix_of(p.module, &t)?;
            let Host::Name(n) = &t.host else { return None };
            let g = t
                .port
                .is_none()
                .then(|| m.upstreams.find(n, false))
                .flatten()
                .map(|id| m.upstreams.get(id));
            // a group: the name matters only if some server is addressed by name
            let named_server = match g {
                Some(u) => Some(u.servers.iter().find(|s| needs_sni(&s.address.host))?),
                None if needs_sni(&t.host) => None,
                None => return None,
            };
            Some((prefix, t, via, g, named_server))
        });
        let Some((prefix, target, via, g, named_server)) = found else {
            continue;
        };
        let directive = format!("{prefix}_ssl_server_name");
        let e = m.effective(p.scope, &directive);
        if stock::hidden(m, p.scope, &e) || e.value() == Some("on") {
            continue;
        }
        if !seen.insert((p.directive.head_span(), e.directive.map(|d| d.head_span()))) {
            continue;
        }
        let key = (
            m.enclosing(p.scope, crate::model::Context::Server),
            e.directive.map(|d| d.head_span()),
        );
        if let Some(&i) = found_at.get(&key) {
            let also = format!("also without SNI: {} {}", p.directive.name(), p.target.raw);
            if let Some(d) = mine.get_mut(i) {
                d.related.push(crate::diag::Label {
                    span: p.directive.args[0].span,
                    message: also.into(),
                });
            }
            continue;
        }
        found_at.insert(key, mine.len());
        let host = target.host.name().unwrap_or_default().to_string();
        let state = if e.is_set() { "off" } else { "off (default)" };
        let mut d = diag(
            &META,
            format!(
                "{} {} with {directive} {state}: nginx sends no server name (SNI) in the TLS handshake, and backends that choose their certificate by name (CDNs, cloud load balancers, ingress controllers, shared hosting) abort it — \"SSL_do_handshake() failed (… alert number 40 …) while SSL handshaking to upstream\" (502)",
                p.directive.name(),
                if via.is_some() {
                    format!("{} (= {})", p.target.raw, target.raw)
                } else {
                    p.target.raw.to_string()
                }
            ),
        )
        .with_span(p.directive.args[0].span)
        .with_label("TLS without SNI");
        if let Some(sd) = e.directive {
            d = d.with_related(sd.head_span(), "SNI turned off here");
        }
        if let Some(v) = via {
            d = d.with_related(v.head_span(), "target set here");
        }
        let help = match (g, named_server) {
            (Some(u), Some(s)) => {
                if let Some(b) = u.directive {
                    d = d.with_related(b.head_span(), "upstream defined here");
                }
                d = d.with_related(s.directive.head_span(), "backend addressed by name");
                let name = s.address.host.name().unwrap_or(&host);
                format!("add `{directive} on;` and `{prefix}_ssl_name {name};` (without it the group name \"{}\" is sent)", u.name)
            }
            _ => format!("add `{directive} on;` next to this {}", p.directive.name()),
        };
        mine.push(d.with_help(help));
    }
    out.append(&mut mine);
}

/// A name whose server may need SNI to pick a certificate: a dotted host
/// name (CDNs and shared front ends serve many names on one address). A
/// single-label name is a container or service of the same deployment,
/// which serves its own certificate whatever the client sends.
fn needs_sni(h: &Host) -> bool {
    super::is_dns_name(h) && matches!(h, Host::Name(n) if n.trim_end_matches('.').contains('.'))
}
