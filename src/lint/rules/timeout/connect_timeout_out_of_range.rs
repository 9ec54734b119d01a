//! `timeout/connect-timeout-out-of-range`: a `*_connect_timeout` above 75s
//! (the kernel gives up first, and the error becomes a 502 instead of a
//! 504) or below 1s for a backend that is not on this host (TLS and network
//! jitter make connects fail spuriously).

use serde::Deserialize;

use crate::diag::{Diagnostic, Severity};
use crate::lint::Findings;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rule::{RuleContext, Time};
use crate::lint::rules::diag;
use crate::lint::rules::util::{ends_with, setting, FxHashSet, Setting};
use crate::model::values::{format_time, parse_time};
use crate::model::{Host, Model, Pass};
use crate::rule;
use crate::syntax::Span;

pub const RULE: Rule = rule! {
    id: "timeout/connect-timeout-out-of-range",
    severity: Warning,
    summary: "`*_connect_timeout` above 75s (ineffective) or below 1s for a remote backend",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."timeout/connect-timeout-out-of-range"]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Lowest acceptable value for remote backends (default `1s`).
    pub min: Time,
    /// Highest useful value (default `75s`).
    pub max: Time,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            min: Time(1000),
            max: Time(75_000),
        }
    }
}

/// Is the pass's backend on this host (loopback, localhost, unix socket)?
fn is_local(m: &Model<'_>, p: &Pass<'_>) -> bool {
    let local_host = |h: &Host| match h {
        Host::Unix(_) => true,
        Host::Ip(ip) => ip.is_loopback(),
        Host::Name(n) => crate::lint::rules::dns::is_localhost(n),
        Host::Variable(_) => false,
    };
    match p.explicit_upstream(&m.upstreams) {
        Some(u) => {
            let u = m.upstreams.get(u);
            !u.servers.is_empty() && u.servers.iter().all(|s| local_host(&s.address.host))
        }
        None => local_host(&p.target.host),
    }
}

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    let min = opts.min.0;
    let max = opts.max.0;
    let mut seen: FxHashSet<Span> = FxHashSet::default();
    // Too long: a warning where it delays failover to another peer (an
    // upstream group with several servers), else an info (a single backend
    // fails the request either way; only the wait is longer).
    let mut failover: FxHashSet<Span> = FxHashSet::default();
    for p in &m.passes {
        let peers = p
            .explicit_upstream(&m.upstreams)
            .map_or(1, |u| m.upstreams.get(u).servers.len());
        if peers >= 2 {
            if let Some(d) = m
                .effective(p.scope, setting(p.module, Setting::ConnectTimeout))
                .directive
            {
                failover.insert(d.span());
            }
        }
    }
    for e in &m.entries {
        let d = e.directive;
        let name = d.name();
        if ends_with(name, "_connect_timeout")
            && name
                .strip_suffix("_connect_timeout")
                .is_some_and(|p| super::PREFIXES.contains(&p))
        {
            let Some(ms) = d.arg(0).and_then(parse_time) else {
                continue;
            };
            if ms > max && seen.insert(d.span()) {
                let delays = failover.contains(&d.span());
                out.push(
                    Diagnostic::new(
                        META.id,
                        if delays { META.severity } else { Severity::Info },
                        format!(
                            "{name} is {}: connects are not usually given more than 75s by the kernel, so the failure arrives as 502 \"connect() failed (110: Connection timed out)\" instead of nginx's own 504{}",
                            format_time(ms),
                            if delays {
                                ", and every request waits that long before nginx tries the next server of the group"
                            } else {
                                ""
                            }
                        ),
                    )
                    .with_span(d.head_span())
                    .with_label(format!("above {}", format_time(max)))
                    .with_help(format!("use `{name} 5s;` to `{name} 30s;`: a backend that does not accept a connection within seconds is down")),
                );
            }
        }
    }
    // too short: only where it applies to a remote backend
    // per module: `*_connect_timeout`, memoized per level
    for p in &m.passes {
        let name = setting(p.module, Setting::ConnectTimeout);
        let e = m.effective(p.scope, setting(p.module, Setting::ConnectTimeout));
        let (Some(d), Some(ms)) = (e.directive, e.time_ms()) else {
            continue;
        };
        if ms >= min || is_local(m, p) || !seen.insert(d.span()) {
            continue;
        }
        out.push(
            diag(
                &META,
                format!(
                    "{name} is {} for a backend on another host: a slow SYN/ACK (packet loss, TLS front end, busy accept queue) fails the connect with 504 (\"upstream timed out (110: Connection timed out) while connecting to upstream\")",
                    format_time(ms)
                ),
            )
            .with_span(d.head_span())
            .with_label(format!("below {}", format_time(min)))
            .with_related(p.directive.head_span(), "remote backend used here")
            .with_help(format!("use at least `{name} 1s;` (3s–10s is common) for backends reached over the network")),
        );
    }
}
