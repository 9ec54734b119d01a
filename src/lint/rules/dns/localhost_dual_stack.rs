//! `dns/localhost-dual-stack`: `localhost` in a `*_pass` or upstream
//! `server`. nginx resolves it once to every address (127.0.0.1 and ::1)
//! and round-robins over both; a backend listening on one stack refuses
//! half the attempts, and the single-server guard no longer applies.

use crate::diag::{Diagnostic, Severity};
use crate::lint::registry::RuleMeta;
use crate::lint::rules::{diag, Rule, RuleContext};
use crate::model::Host;

pub const META: RuleMeta = RuleMeta {
    id: "dns/localhost-dual-stack",
    severity: Severity::Warning,
    summary:
        "`localhost` as a backend expands to 127.0.0.1 and ::1: two peers, one usually refusing",
    doc: Some(include_str!(
        "../../../../docs/rules/dns/localhost-dual-stack.md"
    )),
};

pub const RULE: Rule = Rule {
    meta: META,
    check,
    options: None,
};

fn help(port: Option<u16>) -> String {
    let p = port.map(|p| format!(":{p}")).unwrap_or_default();
    format!("write the address the backend listens on: `127.0.0.1{p}` (or `[::1]{p}` for an IPv6-only backend)")
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let m = cx.model;
    for p in &m.passes {
        if p.target.has_variables {
            continue;
        }
        let Host::Name(n) = &p.target.host else {
            continue;
        };
        if !super::is_localhost(n) {
            continue;
        }
        out.push(
            diag(
                &META,
                format!(
                    "{} \"{}\": nginx resolves \"{n}\" to 127.0.0.1 and ::1 and uses both as separate peers",
                    p.directive.name(),
                    p.target.raw
                ),
            )
            .with_span(p.directive.args[0].span)
            .with_label("two peers: 127.0.0.1 and ::1")
            .with_help(help(p.target.effective_port())),
        );
    }
    for (_, u) in m.upstreams.explicit() {
        for s in &u.servers {
            let Host::Name(n) = &s.address.host else {
                continue;
            };
            if !super::is_localhost(n) || s.address.params.resolve {
                continue;
            }
            out.push(
                diag(
                    &META,
                    format!(
                        "server \"{}\" in upstream \"{}\": nginx resolves \"{n}\" to 127.0.0.1 and ::1 and uses both as separate peers",
                        s.directive.arg(0).unwrap_or_default(),
                        u.name
                    ),
                )
                .with_span(s.directive.args[0].span)
                .with_label("two peers: 127.0.0.1 and ::1")
                .with_help(help(s.address.port)),
            );
        }
    }
}
