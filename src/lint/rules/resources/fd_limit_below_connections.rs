//! `resources/fd-limit-below-connections`: `worker_rlimit_nofile` below
//! `worker_connections`. `worker_connections` already counts every
//! connection (a proxied request takes two: the client's and the
//! upstream's), so a descriptor limit below it makes workers run out of
//! descriptors before connections: `socket() failed (24: Too many open
//! files)`, a 500. Without `worker_rlimit_nofile` the limit is the
//! service's, which ngxray cannot see: that case is an info.

use serde::Deserialize;

use crate::diag::{Diagnostic, Severity};
use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::Context;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "resources/fd-limit-below-connections",
    severity: Warning,
    summary: "`worker_rlimit_nofile` below `worker_connections`: \"Too many open files\" under load",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."resources/fd-limit-below-connections"]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// The open-file limit workers get when `worker_rlimit_nofile` is not
    /// set (the service's soft RLIMIT_NOFILE; default 1024, systemd's and
    /// most shells' default).
    pub assumed_nofile_limit: Option<u64>,
}

const DEFAULT_WORKER_CONNECTIONS: u64 = 512;
const DEFAULT_NOFILE: u64 = 1024;

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    let assumed = opts.assumed_nofile_limit.unwrap_or(DEFAULT_NOFILE);
    for &root in &m.roots {
        let sc = m.scope(root);
        if sc.kind != Context::Main {
            continue;
        }
        let events = sc
            .children
            .iter()
            .copied()
            .find(|c| m.scope(*c).kind == Context::Events);
        let wc_d = events.and_then(|e| m.local_first(e, "worker_connections"));
        if events.is_some_and(|e| m.scope(e).unknown_include.is_some()) && wc_d.is_none() {
            continue;
        }
        let wc = match wc_d {
            Some(d) => match d.arg(0).and_then(|v| v.parse::<u64>().ok()) {
                Some(n) => n,
                None => continue,
            },
            None => DEFAULT_WORKER_CONNECTIONS,
        };
        let wc_text = match wc_d {
            Some(_) => format!("worker_connections {wc}"),
            None => format!("worker_connections {wc} (default)"),
        };
        let need = wc;
        match m.local_first(root, "worker_rlimit_nofile") {
            Some(rl) => {
                let Some(n) = rl.arg(0).and_then(|v| v.parse::<u64>().ok()) else {
                    continue;
                };
                if n >= need {
                    continue;
                }
                let mut d = diag(
                    &META,
                    format!(
                        "worker_rlimit_nofile {n} is below {wc_text}: a busy worker runs out of descriptors before connections (a proxied request holds two, plus open files) — \"socket() failed (24: Too many open files) while connecting to upstream\" (500) and \"accept4() failed (24: Too many open files)\"; nginx warns \"{wc} worker_connections exceed open file resource limit: {n}\" at start"
                    ),
                )
                .with_span(rl.head_span())
                .with_label("descriptor limit below what the connections need");
                if let Some(w) = wc_d {
                    d = d.with_related(w.head_span(), "connections per worker set here");
                }
                out.push(d.with_help(format!(
                    "set `worker_rlimit_nofile {};` (worker_connections plus room for open files), or lower worker_connections to {}",
                    need * 2,
                    n
                )));
            }
            None => {
                if sc.unknown_include.is_some() || wc <= assumed {
                    continue;
                }
                let Some(w) = wc_d else { continue };
                out.push(
                    Diagnostic::new(
                        META.id,
                        Severity::Info,
                        format!(
                            "{wc_text} with no worker_rlimit_nofile: workers keep the service's open-file limit, commonly {assumed} (option assumed-nofile-limit), fewer than the connections alone; nginx warns \"{wc} worker_connections exceed open file resource limit: {assumed}\" and fails requests with \"socket() failed (24: Too many open files) while connecting to upstream\" (500)"
                        ),
                    )
                    .with_span(w.head_span())
                    .with_label("more connections than descriptors")
                    .with_help(format!(
                        "add `worker_rlimit_nofile {};` at the top level (worker_connections plus room for open files), or set assumed-nofile-limit to the service's real limit (systemd LimitNOFILE=, docker --ulimit nofile)",
                        need * 2
                    )),
                );
            }
        }
    }
}
