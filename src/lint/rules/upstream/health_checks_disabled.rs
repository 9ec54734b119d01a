//! `upstream/health-checks-disabled`: `max_fails=0` on a server of a
//! multi-server group: nginx never takes it out, so while it is down every
//! request sent to it pays a connect error or timeout before the retry.

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "upstream/health-checks-disabled",
    severity: Warning,
    summary: "`max_fails=0` in a multi-server upstream: a dead server is never taken out",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    for (_, u) in m.upstreams.explicit() {
        let Some(d) = u.directive else { continue };
        let live = u.servers.iter().filter(|s| !s.address.params.down).count();
        if live < 2 || super::has_active_checks(m, u) {
            continue;
        }
        for s in u
            .servers
            .iter()
            .filter(|s| s.address.params.max_fails == Some(0) && !s.address.params.down)
        {
            let param = s
                .directive
                .args
                .iter()
                .find(|a| a.as_str() == "max_fails=0")
                .map(|a| a.span)
                .unwrap_or(s.directive.head_span());
            out.push(
                diag(
                    &META,
                    format!(
                        "server \"{}\" in upstream \"{}\" has max_fails=0: nginx never marks it unavailable, so while it is down every request sent to it waits for a connect error or timeout (up to proxy_connect_timeout) before trying another server",
                        s.directive.arg(0).unwrap_or_default(),
                        u.name
                    ),
                )
                .with_span(param)
                .with_label("failure accounting disabled")
                .with_related(d.head_span(), "upstream defined here")
                .with_help("use `max_fails=3 fail_timeout=30s` so a dead server is skipped")
                .with_fix(crate::fix::max_fails_zero(s.directive, s.address.params.fail_timeout.is_some())),
            );
        }
    }
}
