//! `dns/resolver-timeout-too-long`: where nginx resolves backend names at
//! run time, a long `resolver_timeout` (default 30s) makes every request
//! wait that long for a dead DNS server before it fails with 502.

use std::collections::HashSet;

use serde::Deserialize;

use super::{runtime_host, RuntimeHost};
use crate::lint::Findings;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rule::{RuleContext, Time};
use crate::lint::rules::diag;
use crate::model::values::format_time;
use crate::model::ScopeId;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "dns/resolver-timeout-too-long",
    severity: Info,
    summary: "run-time DNS with a long `resolver_timeout` (default 30s): a dead resolver stalls requests",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."dns/resolver-timeout-too-long"]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Longest acceptable `resolver_timeout` (default `5s`).
    pub max: Time,
}

impl Default for Options {
    fn default() -> Self {
        Options { max: Time(5000) }
    }
}

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    let max = opts.max.0;
    // scopes where run-time resolution happens
    let mut sites: Vec<(ScopeId, crate::syntax::Span)> = Vec::new();
    for p in &m.passes {
        if p.target.has_variables && matches!(runtime_host(m, p), RuntimeHost::Dns(_)) {
            sites.push((p.scope, p.directive.head_span()));
        }
    }
    for (_, u) in m.upstreams.explicit() {
        if let (Some(s), Some(srv)) = (u.scope, u.servers.iter().find(|s| s.address.params.resolve))
        {
            sites.push((s, srv.directive.head_span()));
        }
    }
    let mut seen = HashSet::new();
    for (scope, site) in sites {
        let resolver = m.effective(scope, "resolver");
        let Some(rd) = resolver.directive else {
            continue;
        };
        let t = m.effective(scope, "resolver_timeout");
        let Some(ms) = t.time_ms() else { continue };
        if ms <= max {
            continue;
        }
        let at = t.directive.unwrap_or(rd);
        if !seen.insert(at.span()) {
            continue;
        }
        let value = match t.directive {
            Some(_) => format_time(ms),
            None => format!("{} (default)", format_time(ms)),
        };
        out.push(
            diag(
                &META,
                format!(
                    "resolver_timeout is {value}: if the DNS server does not answer, requests wait {} and then fail with 502 (\"could not be resolved (110: Operation timed out)\")",
                    format_time(ms)
                ),
            )
            .with_span(at.head_span())
            .with_label(if t.directive.is_some() { "long resolver timeout" } else { "resolver without resolver_timeout" })
            .with_related(site, "names resolved at run time here")
            .with_help(format!("set `resolver_timeout {};` (or less) next to the resolver so a dead DNS server fails fast", format_time(max)))
            .with_fix(crate::fix::resolver_timeout(&m.loaded.sources, t.directive, rd, &format_time(max))),
        );
    }
}
