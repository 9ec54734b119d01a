//! `upstream/missing-health-params`: a multi-server upstream whose servers
//! rely on the defaults `max_fails=1 fail_timeout=10s`: one failed attempt
//! takes a peer out for 10s, and one error per peer inside 10s leaves
//! `no live upstreams`.

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "upstream/missing-health-params",
    severity: Warning,
    summary: "multi-server upstream on the defaults `max_fails=1 fail_timeout=10s`",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    for (_, u) in m.upstreams.explicit() {
        let Some(d) = u.directive else { continue };
        let live: Vec<_> = u
            .servers
            .iter()
            .filter(|s| !s.address.params.down && !s.address.params.backup)
            .collect();
        if live.len() < 2 || super::has_active_checks(m, u) {
            continue;
        }
        let defaulted: Vec<_> = live
            .iter()
            .filter(|s| {
                s.address.params.max_fails.is_none() && s.address.params.fail_timeout.is_none()
            })
            .collect();
        let Some(first) = defaulted.first() else {
            continue;
        };
        let mut diag = diag(
            &META,
            format!(
                "upstream \"{}\" has {} servers on the defaults max_fails=1 fail_timeout=10s: one failed attempt takes a server out for 10s, and one error per server within 10s gives \"no live upstreams\" (502)",
                u.name,
                defaulted.len()
            ),
        )
        .with_span(first.directive.head_span())
        .with_label("max_fails=1 fail_timeout=10s (defaults)")
        .with_related(d.head_span(), "upstream defined here");
        for s in defaulted.iter().skip(1).take(4) {
            diag = diag.with_related(s.directive.head_span(), "also on the defaults");
        }
        let fix = crate::fix::health_params(defaulted.iter().map(|s| s.directive));
        out.push(
            diag.with_help(format!(
                "tolerate transient errors: `server {} max_fails=3 fail_timeout=30s;` on each server",
                first.directive.arg(0).unwrap_or("<address>")
            ))
            .with_fix(fix),
        );
    }
}
