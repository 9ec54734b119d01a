//! `dns/unresolvable-host` (only with `--resolve`): looks every literal
//! backend host name up (system resolver, or `--resolver`; once per name,
//! in parallel, under one deadline: [`crate::resolve`]) and reports the
//! names that do not resolve. nginx refuses to start on them: `host not
//! found in upstream`. A name without a definite answer is an info.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::diag::Severity;
use crate::lint::Findings;
use crate::lint::rule::{PositiveTime, RuleContext};
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::{Host, PassModule};
use crate::resolve::{self, Answer};
use crate::rule;
use crate::syntax::Span;

pub const RULE: Rule = rule! {
    id: "dns/unresolvable-host",
    severity: Error,
    summary: "backend host name that the system resolver cannot resolve (only with --resolve)",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."dns/unresolvable-host"]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// How long to wait for all lookups together (nginx time, default
    /// `5s`); `--resolve-timeout` takes precedence.
    pub timeout: PositiveTime,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: PositiveTime(resolve::DEFAULT_DEADLINE.as_millis() as u64),
        }
    }
}

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    let settings = &cx.lint.resolve_with;
    let deadline = settings
        .deadline
        .unwrap_or_else(|| Duration::from_millis(opts.timeout.0));
    // name → (directive, span of the address) in read order
    let mut uses: BTreeMap<String, Vec<(&'static str, Span, String)>> = BTreeMap::new();
    for p in &m.passes {
        if p.target.has_variables || p.explicit_upstream(&m.upstreams).is_some() {
            continue;
        }
        let Host::Name(n) = &p.target.host else {
            continue;
        };
        if p.target.port.is_none() && p.module != PassModule::Proxy {
            continue; // `fastcgi_pass name;`: an upstream name, not a host
        }
        uses.entry(n.to_ascii_lowercase()).or_default().push((
            p.module.directive(),
            p.directive.args[0].span,
            p.target.raw.to_string(),
        ));
    }
    for (_, u) in m.upstreams.explicit() {
        for s in &u.servers {
            let Host::Name(n) = &s.address.host else {
                continue;
            };
            if s.address.params.resolve || s.address.params.service.is_some() {
                continue; // resolved at run time; nginx starts anyway
            }
            uses.entry(n.to_ascii_lowercase()).or_default().push((
                "server",
                s.directive.args[0].span,
                s.directive.arg(0).unwrap_or_default().to_string(),
            ));
        }
    }
    if uses.is_empty() {
        return;
    }
    let names: Vec<String> = uses.keys().cloned().collect();
    let answers = resolve::resolve_all(&names, settings, deadline);
    for (name, sites) in &uses {
        let (msg, sev, label, help) = match answers.get(name) {
            Some(Answer::Found(_)) => continue,
            Some(Answer::Failed(e)) => (
                format!("\"{name}\" does not resolve here ({e}): nginx stops with host not found in upstream \"{name}\""),
                META.severity,
                "no address for this name",
                "fix the name, make it resolvable where nginx runs, or resolve at run time (`resolver` + a variable) so nginx can start without it",
            ),
            Some(Answer::Unchecked(why)) => (
                format!("\"{name}\" could not be checked ({why})"),
                Severity::Info,
                "not checked",
                "not a resolution failure: run again where nginx runs, or allow more time with --resolve-timeout",
            ),
            None => continue,
        };
        for (directive, span, raw) in sites {
            let mut d = diag(&META, format!("{directive} \"{raw}\": {msg}"))
                .with_span(*span)
                .with_label(label)
                .with_help(help);
            d.severity = sev;
            out.push(d);
        }
    }
}
