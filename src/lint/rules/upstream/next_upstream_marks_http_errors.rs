//! `upstream/next-upstream-marks-http-errors`: `*_next_upstream` with
//! `http_500`/`http_502`/`http_503`/`http_504`/`http_429` makes nginx count
//! those responses as failed attempts; one broken endpoint answering 500
//! everywhere ejects every peer of a multi-server group.

use crate::lint::Findings;
use crate::diag::Severity;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::lint::rules::util::{setting, FxHashSet, Setting};
use crate::rule;
use crate::syntax::Span;

pub const RULE: Rule = rule! {
    id: "upstream/next-upstream-marks-http-errors",
    severity: Warning,
    summary: "`*_next_upstream http_5xx/http_429` counts application errors as peer failures",
    check: check,
};

const META: RuleMeta = RULE.meta;

const COUNTED: &[&str] = &["http_500", "http_502", "http_503", "http_504", "http_429"];

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    let mut seen: FxHashSet<Span> = FxHashSet::default();
    // per module: `*_next_upstream`, memoized per level
    for p in &m.passes {
        if p.module.is_stream() {
            continue;
        }
        let name = setting(p.module, Setting::NextUpstream);
        // nothing to say without a `*_next_upstream` listing an HTTP error
        let Some(d) = m
            .effective(p.scope, setting(p.module, Setting::NextUpstream))
            .directive
        else {
            continue;
        };
        if !d.args.iter().any(|a| COUNTED.contains(&a.as_str())) {
            continue;
        }
        let live: Vec<_> = match p.explicit_upstream(&m.upstreams) {
            Some(uid) => m
                .upstreams
                .get(uid)
                .servers
                .iter()
                .filter(|s| !s.address.params.down)
                .collect(),
            None => Vec::new(),
        };
        // a group of several servers, or one ngxray cannot see (a bare
        // name in a fragment: an upstream defined in another file)
        let unseen_group = live.is_empty()
            && !p.target.has_variables
            && p.target.port.is_none()
            && matches!(&p.target.host, crate::model::Host::Name(n) if !n.contains('.'))
            && !m.is_complete(p.scope);
        if live.len() < 2 && !unseen_group {
            continue;
        }
        let group = match p.explicit_upstream(&m.upstreams) {
            Some(uid) => m.upstreams.get(uid).name.clone(),
            None => p.target.host.name().unwrap_or_default().to_string(),
        };
        let bad: Vec<&str> = d
            .args
            .iter()
            .map(|a| a.as_str())
            .filter(|a| COUNTED.contains(a))
            .collect();
        if !seen.insert(d.span()) {
            continue;
        }
        // every server tolerant (max_fails ≥ 3 or 0): only a hint
        let tolerant = !live.is_empty()
            && live
                .iter()
                .all(|s| s.address.params.max_fails.is_some_and(|n| n == 0 || n >= 3));
        let mut diag = diag(
            &META,
            format!(
                "{name} includes {}: such responses count as failed attempts, so an endpoint that fails on every server can mark all servers of upstream \"{}\" unavailable (\"no live upstreams\", 502)",
                bad.join(" "),
                group
            ),
        )
        .with_span(d.head_span())
        .with_label("HTTP errors counted as peer failures")
        .with_related(p.directive.head_span(), format!("used for upstream \"{group}\" here"));
        if tolerant {
            diag.severity = Severity::Info;
        }
        out.push(diag.with_help(format!(
            "retry on connection problems only (`{name} error timeout;`), or raise max_fails on the servers (e.g. max_fails=5)"
        )));
    }
}
