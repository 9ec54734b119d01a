//! `dns/variable-pass-without-resolver`: a `*_pass` evaluated per request
//! (it contains variables) whose host can be a DNS name, with no `resolver`
//! in effect: every request fails with `no resolver defined to resolve`.

use super::{runtime_host, RuntimeHost};
use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::VarSource;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "dns/variable-pass-without-resolver",
    severity: Error,
    summary: "`*_pass` with variables resolves its host per request, but no `resolver` is in effect",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    for p in &m.passes {
        if !p.target.has_variables {
            continue;
        }
        let RuntimeHost::Dns(host) = runtime_host(m, p) else {
            continue;
        };
        let r = m.effective(p.scope, "resolver");
        if r.is_set() || r.unknown.is_some() {
            continue;
        }
        let name = p.directive.name();
        let mut d = diag(
            &META,
            format!(
                "{name} \"{}\" resolves \"{host}\" at request time, but no resolver is set here",
                p.target.raw
            ),
        )
        .with_span(p.directive.args[0].span)
        .with_label("host resolved per request: needs a resolver");
        // where the variable gets its value
        if let crate::model::Host::Variable(expr) = &p.target.host {
            for v in crate::model::target::variables(expr) {
                for s in m.variable_sources(v).iter().take(3) {
                    let (VarSource::Set(sd) | VarSource::Block(sd) | VarSource::Opaque(sd)) = *s;
                    d = d.with_related(sd.head_span(), format!("${v} is set here"));
                }
            }
        }
        d = d.with_help(format!(
            "add `resolver <dns-server-ip> valid=30s;` (in docker: `resolver 127.0.0.11 valid=30s;`) to this server or http{{}}; without it every request here fails with 502 and \"no resolver defined to resolve {host}\""
        ));
        out.push(d);
    }
}
