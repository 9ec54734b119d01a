//! `upstream/single-server-guard-lost`: nginx never marks the only peer of
//! a group unavailable — but the count includes `down` placeholders. One
//! transient error then takes the one real backend out for `fail_timeout`:
//! `no live upstreams`. A `backup` server keeps the group live (requests go
//! to it meanwhile), and `localhost` is `dns/localhost-dual-stack`'s.

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "upstream/single-server-guard-lost",
    severity: Warning,
    summary: "one real server plus `down` placeholders: one error empties the group",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    for (_, u) in m.upstreams.explicit() {
        let Some(d) = u.directive else { continue };
        let primaries: Vec<_> = u
            .servers
            .iter()
            .filter(|s| !s.address.params.backup)
            .collect();
        let real: Vec<_> = primaries
            .iter()
            .filter(|s| !s.address.params.down)
            .collect();
        let [only] = real.as_slice() else { continue };
        let p = &only.address.params;
        // explicit tolerance: max_fails=0 (never ejected) or ≥ 2
        if p.max_fails.is_some_and(|n| n == 0 || n >= 2) || super::has_active_checks(m, u) {
            continue;
        }
        let down = primaries.iter().find(|s| s.address.params.down);
        let (why, related, sev) = if let Some(dn) = down {
            (
                "a `down` placeholder counts as a second server",
                Some((
                    dn.directive.head_span(),
                    "this placeholder disables the guard",
                )),
                META.severity,
            )
        } else {
            continue;
        };
        let mut diag = diag(
            &META,
            format!(
                "upstream \"{}\" has one real server, but {why}: one failed attempt marks \"{}\" unavailable for fail_timeout (10s by default) and requests get \"no live upstreams\" (502)",
                u.name,
                only.directive.arg(0).unwrap_or_default()
            ),
        )
        .with_span(only.directive.head_span())
        .with_label("taken out after max_fails=1 failure")
        .with_related(d.head_span(), "upstream defined here");
        diag.severity = sev;
        if let Some((s, msg)) = related {
            diag = diag.with_related(s, msg);
        }
        out.push(diag.with_help(format!(
            "remove placeholder entries, pin an IP address, or tolerate errors on the real server: `server {} max_fails=3 fail_timeout=10s;` (or max_fails=0)",
            only.directive.arg(0).unwrap_or("<address>")
        )));
    }
}
