//! `upstream/retry-unbounded`: a group of 3+ servers with unlimited
//! `*_next_upstream_tries` and `*_next_upstream_timeout`: a request can
//! wait servers × timeout before its final 502/504, far beyond the load
//! balancer or CDN in front, which then answers 504 itself.

use serde::Deserialize;

use crate::lint::Findings;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rule::{RuleContext, Time};
use crate::lint::rules::diag;
use crate::lint::rules::util::{setting, FxHashSet, Setting};
use crate::model::values::format_time;
use crate::model::UpstreamId;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "upstream/retry-unbounded",
    severity: Info,
    summary: "unlimited retries over 3+ servers: servers × timeout before the final error",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."upstream/retry-unbounded"]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Report when the worst-case wait exceeds this (default `120s`).
    pub max_total: Time,
    /// Smallest group size to look at (default 3).
    pub min_servers: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_total: Time(120_000),
            min_servers: 3,
        }
    }
}

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    let max_total = opts.max_total.0;
    let mut reported: FxHashSet<UpstreamId> = FxHashSet::default();
    for p in &m.passes {
        if p.module.is_stream() {
            continue;
        }
        let Some(uid) = p.explicit_upstream(&m.upstreams) else {
            continue;
        };
        // once per upstream: the first location that retries without bound
        if reported.contains(&uid) {
            continue;
        }
        let u = m.upstreams.get(uid);
        let n = u.servers.iter().filter(|s| !s.address.params.down).count();
        if n < opts.min_servers.max(2) {
            continue;
        }
        let pre = p.module.prefix();
        let at = |which| m.effective(p.scope, setting(p.module, which));
        if at(Setting::NextUpstream).value() == Some("off") {
            continue;
        }
        let tries = at(Setting::NextUpstreamTries);
        let budget = at(Setting::NextUpstreamTimeout);
        if tries.value().is_some_and(|v| v != "0") || budget.time_ms().is_some_and(|v| v > 0) {
            continue;
        }
        let connect = at(Setting::ConnectTimeout).time_ms().unwrap_or(60_000);
        let read = at(Setting::ReadTimeout).time_ms().unwrap_or(60_000);
        let per_try = connect.max(read);
        let total = per_try.saturating_mul(n as u64);
        if total <= max_total {
            continue;
        }
        reported.insert(uid);
        out.push(
            diag(
                &META,
                format!(
                    "{} to upstream \"{}\" retries on up to {n} servers with no {pre}_next_upstream_tries or {pre}_next_upstream_timeout: a request can wait about {} ({n} × {}) before its final 502/504",
                    p.directive.name(),
                    u.name,
                    format_time(total),
                    format_time(per_try)
                ),
            )
            .with_span(p.directive.head_span())
            .with_label("unbounded retries")
            .with_related(u.directive.map(|d| d.head_span()).unwrap_or(p.directive.head_span()), format!("{n} servers"))
            .with_help(format!(
                "bound the retries: `{pre}_next_upstream_tries 2;` or `{pre}_next_upstream_timeout 30s;` (below the timeout of the load balancer in front)"
            )),
        );
    }
}
