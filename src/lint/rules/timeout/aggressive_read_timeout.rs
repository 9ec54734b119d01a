//! `timeout/aggressive-read-timeout`: a `*_read_timeout` or
//! `*_send_timeout` (proxy, fastcgi, uwsgi, scgi, grpc, memcached) below a
//! floor (10s by default): a slow query or a cold cache becomes a 504.

use serde::Deserialize;

use crate::diag::Diagnostic;
use crate::lint::Findings;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rule::{RuleContext, Time};
use crate::lint::rules::diag;
use crate::lint::rules::util::{cat, ends_with, push_time, setting, FxHashSet, Setting};
use crate::model::values::parse_time;
use crate::rule;
use crate::syntax::{Directive, Span};

pub const RULE: Rule = rule! {
    id: "timeout/aggressive-read-timeout",
    severity: Warning,
    summary: "`*_read_timeout`/`*_send_timeout` below a floor (10s): slow responses become 504",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."timeout/aggressive-read-timeout"]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Report values below this nginx time (default `10s`).
    pub threshold: Time,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threshold: Time(10_000),
        }
    }
}

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    let floor = opts.threshold.0;
    // Findings are written as they are found (a config may have one per
    // location: no list of hits beside the findings).
    let mut label = String::from("below ");
    push_time(&mut label, floor);
    let mut emit = |d, ms, used| out.push(finding(d, ms, used, &label));
    let mut seen: FxHashSet<Span> = FxHashSet::default();
    for p in &m.passes {
        if p.module.is_stream() {
            continue;
        }
        // the health-location test only matters for a value below the floor
        let mut health = None;
        for which in [Setting::ReadTimeout, Setting::SendTimeout] {
            let e = m.effective(p.scope, setting(p.module, which));
            let (Some(d), Some(ms)) = (e.directive, e.time_ms()) else {
                continue;
            };
            if ms >= floor {
                continue;
            }
            if *health.get_or_insert_with(|| super::is_health_location(m, p.scope)) {
                break;
            }
            if seen.insert(d.span()) {
                emit(d, ms, Some(p.directive.head_span()));
            }
        }
    }
    // snippets without any pass of the module: the directive applies to
    // whatever includes them
    let mut with_pass = [false; super::PREFIXES.len()];
    for p in m.passes.iter().filter(|p| !p.module.is_stream()) {
        if let Some(i) = super::PREFIXES.iter().position(|x| *x == p.module.prefix()) {
            with_pass[i] = true;
        }
    }
    let passless: Vec<&str> = super::PREFIXES
        .iter()
        .zip(with_pass)
        .filter(|(_, with)| !with)
        .map(|(prefix, _)| *prefix)
        .collect();
    if !passless.is_empty() {
        for e in &m.entries {
            let d = e.directive;
            let n = d.name();
            if !ends_with(n, "_timeout") {
                continue;
            }
            let Some(prefix) = n
                .strip_suffix("_read_timeout")
                .or_else(|| n.strip_suffix("_send_timeout"))
            else {
                continue;
            };
            if passless.contains(&prefix)
                && m.scope(e.scope).kind.is_http()
                && !super::is_health_location(m, e.scope)
                && seen.insert(d.span())
            {
                if let Some(ms) = d.arg(0).and_then(parse_time) {
                    if ms < floor {
                        emit(d, ms, None);
                    }
                }
            }
        }
    }
}

/// The finding for `d` (value `ms`), with the pass it applies to when
/// there is one.
fn finding(d: &Directive, ms: u64, used: Option<Span>, label: &str) -> Diagnostic {
    let name = d.name();
    let send = name.ends_with("_send_timeout");
    let what = if send {
        "sending the request to the backend stalls"
    } else {
        "the backend is silent between two reads"
    };
    let phase = if send {
        "sending request to upstream"
    } else {
        "reading response header from upstream"
    };
    let mut msg = String::with_capacity(name.len() + what.len() + phase.len() + 140);
    msg.push_str(name);
    msg.push_str(" is ");
    push_time(&mut msg, ms);
    msg.push_str(": when ");
    msg.push_str(what);
    msg.push_str(" for longer, the request ends with 504 (\"upstream timed out (110: Connection timed out) while ");
    msg.push_str(phase);
    msg.push_str("\")");
    let mut diag = diag(&META, msg)
        .with_span(d.head_span())
        .with_label(label);
    if let Some(s) = used {
        diag = diag.with_related(s, "applies to this pass");
    }
    let fix = crate::fix::set_value(d, "60s", "the default");
    diag.with_help(cat(&[
        "use `",
        name,
        " 60s;` (the default) or more for normal endpoints, and keep short timeouts only in locations that must fail fast",
    ]))
    .with_fix(fix)
}
