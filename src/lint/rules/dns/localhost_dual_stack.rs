//! `dns/localhost-dual-stack`: `localhost` in a `*_pass` or upstream
//! `server`. nginx resolves it once to every address (127.0.0.1 and ::1)
//! and round-robins over both; a backend listening on one stack refuses
//! half the attempts, and the single-server guard no longer applies.

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::Host;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "dns/localhost-dual-stack",
    severity: Warning,
    summary: "`localhost` as a backend expands to 127.0.0.1 and ::1: two peers, one usually refusing",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn help(port: Option<u16>) -> String {
    let p = port.map(|p| format!(":{p}")).unwrap_or_default();
    format!("write the address the backend listens on: `127.0.0.1{p}` (or `[::1]{p}` for an IPv6-only backend)")
}

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    // One root cause (the name `localhost`), one finding: the first use,
    // the others as related spans.
    let mut uses: Vec<(crate::syntax::Span, String, Option<u16>)> = Vec::new();
    for p in &m.passes {
        if p.target.has_variables {
            continue;
        }
        let Host::Name(n) = &p.target.host else {
            continue;
        };
        if super::is_localhost(n) {
            uses.push((
                p.directive.args[0].span,
                format!("{} \"{}\"", p.directive.name(), p.target.raw),
                p.target.effective_port(),
            ));
        }
    }
    for (_, u) in m.upstreams.explicit() {
        for s in &u.servers {
            let Host::Name(n) = &s.address.host else {
                continue;
            };
            if super::is_localhost(n) && !s.address.params.resolve {
                uses.push((
                    s.directive.args[0].span,
                    format!(
                        "server \"{}\" in upstream \"{}\"",
                        s.directive.arg(0).unwrap_or_default(),
                        u.name
                    ),
                    s.address.port,
                ));
            }
        }
    }
    let Some((span, first, port)) = uses.first() else {
        return;
    };
    let others = match uses.len() {
        1 => String::new(),
        2 => " and 1 more use".to_string(),
        n => format!(" and {} more uses", n - 1),
    };
    let mut d = diag(
        &META,
        format!(
            "{first}{others}: nginx resolves \"localhost\" to 127.0.0.1 and ::1 and uses both as separate peers: a backend listening on one of them refuses every other attempt (\"connect() failed (111: Connection refused)\"), and a single backend loses nginx's single-server guard (one error each within fail_timeout gives \"no live upstreams\", 502)"
        ),
    )
    .with_span(*span)
    .with_label("two peers: 127.0.0.1 and ::1")
    .with_help(help(*port));
    for (sp, what, _) in uses.iter().skip(1) {
        d = d.with_related(*sp, format!("also localhost: {what}"));
    }
    out.push(d);
}
