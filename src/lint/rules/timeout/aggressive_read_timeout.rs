//! `timeout/aggressive-read-timeout`: a `*_read_timeout` or
//! `*_send_timeout` (proxy, fastcgi, uwsgi, scgi, grpc, memcached) below a
//! floor (10s by default): a slow query or a cold cache becomes a 504.

use std::collections::HashSet;

use serde::Deserialize;

use crate::diag::{Diagnostic, Severity};
use crate::lint::registry::RuleMeta;
use crate::lint::rules::{diag, validate, OptionError, Rule, RuleContext, RuleOptions};
use crate::model::values::{format_time, parse_time};
use crate::syntax::{Directive, Span};

pub const META: RuleMeta = RuleMeta {
    id: "timeout/aggressive-read-timeout",
    severity: Severity::Warning,
    summary: "`*_read_timeout`/`*_send_timeout` below a floor (10s): slow responses become 504",
    doc: Some(include_str!(
        "../../../../docs/rules/timeout/aggressive-read-timeout.md"
    )),
};

pub const RULE: Rule = Rule {
    meta: META,
    check,
    options: Some(validate::<Options>),
};

/// `[rules."timeout/aggressive-read-timeout"]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Report values below this nginx time (default `10s`).
    pub threshold: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: "10s".into(),
        }
    }
}

impl RuleOptions for Options {
    fn validate(&self) -> Result<(), OptionError> {
        parse_time(&self.threshold).map(|_| ()).ok_or_else(|| {
            OptionError::new(
                "threshold",
                format!(
                    "\"{}\" is not an nginx time (e.g. \"10s\", \"1m30s\")",
                    self.threshold
                ),
            )
        })
    }
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let m = cx.model;
    let opts: Options = cx.options(META.id);
    let floor = parse_time(&opts.threshold).unwrap_or(10_000);
    // directive → a pass it applies to (None: no pass of that module anywhere)
    let mut hits: Vec<(&Directive, u64, Option<Span>)> = Vec::new();
    let mut seen = HashSet::new();
    for p in &m.passes {
        if p.module.is_stream() || super::is_health_location(m, p.scope) {
            continue;
        }
        for kind in ["read", "send"] {
            let name = format!("{}_{kind}_timeout", p.module.prefix());
            let e = m.effective(p.scope, &name);
            let (Some(d), Some(ms)) = (e.directive, e.time_ms()) else {
                continue;
            };
            if ms < floor && seen.insert(d.span) {
                hits.push((d, ms, Some(p.directive.head_span())));
            }
        }
    }
    // snippets without any pass of the module: the directive applies to
    // whatever includes them
    let passless: Vec<&str> = super::PREFIXES
        .iter()
        .copied()
        .filter(|prefix| {
            !m.passes
                .iter()
                .any(|p| p.module.prefix() == *prefix && !p.module.is_stream())
        })
        .collect();
    if !passless.is_empty() {
        for e in &m.entries {
            let d = e.directive;
            let n = d.name();
            let Some(prefix) = n
                .strip_suffix("_read_timeout")
                .or_else(|| n.strip_suffix("_send_timeout"))
            else {
                continue;
            };
            if passless.contains(&prefix)
                && m.scope(e.scope).kind.is_http()
                && !super::is_health_location(m, e.scope)
                && seen.insert(d.span)
            {
                if let Some(ms) = d.arg(0).and_then(parse_time) {
                    if ms < floor {
                        hits.push((d, ms, None));
                    }
                }
            }
        }
    }
    for (d, ms, used) in hits {
        let name = d.name();
        let what = if name.ends_with("_send_timeout") {
            "sending the request to the backend stalls"
        } else {
            "the backend is silent between two reads"
        };
        let phase = if name.ends_with("_send_timeout") {
            "sending request to upstream"
        } else {
            "reading response header from upstream"
        };
        let mut diag = diag(
            &META,
            format!(
                "{name} is {}: when {what} for longer, the request ends with 504 (\"upstream timed out (110: Connection timed out) while {phase}\")",
                format_time(ms)
            ),
        )
        .with_span(d.head_span())
        .with_label(format!("below {}", format_time(floor)));
        if let Some(s) = used {
            diag = diag.with_related(s, "applies to this pass");
        }
        out.push(diag.with_help(format!(
            "use `{name} 60s;` (the default) or more for normal endpoints, and keep short timeouts only in locations that must fail fast"
        )));
    }
}
