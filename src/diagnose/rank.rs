//! From what the logs told to the answer: one finding per key with its
//! governing directives, the lint findings on them, its onset and latency,
//! an explanation and a fix; latency close to the read timeout as findings
//! of their own; ranked by what clients saw.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::attr::{Attributor, DirectiveRef};
use super::explain;
use super::inputs::latency;
use super::tally::{Acc, GroupAcc, Join, Key};
use super::{Finding, GroupSummary, Latency, Onset, Report};
use crate::lint::LintOutcome;
use crate::logs::causes;
use crate::model::UpstreamId;

/// Lint findings of the config by the line they are on.
pub(super) struct LintIndex {
    at: HashMap<(String, usize), BTreeSet<String>>,
    /// Rule id → count over the whole config.
    pub total: BTreeMap<String, u64>,
}

impl LintIndex {
    pub fn new(outcome: &LintOutcome) -> LintIndex {
        let mut at: HashMap<(String, usize), BTreeSet<String>> = HashMap::new();
        let mut total: BTreeMap<String, u64> = BTreeMap::new();
        for d in &outcome.diagnostics {
            *total.entry(d.rule.to_string()).or_default() += 1;
            if let Some(sp) = d.span {
                let f = outcome.loaded.sources.get(sp.file);
                at.entry((f.path().display().to_string(), f.line_of(sp.start())))
                    .or_default()
                    .insert(d.rule.to_string());
            }
        }
        LintIndex { at, total }
    }

    /// Rule ids on the line of `(file, line)`.
    fn on(&self, pos: &(String, usize)) -> impl Iterator<Item = String> + '_ {
        self.at.get(pos).into_iter().flatten().cloned()
    }

    /// Rule ids on the lines of these directives.
    fn on_directives(&self, ds: &[DirectiveRef], out: &mut BTreeSet<String>) {
        for d in ds {
            if let (Some(f), Some(l)) = (&d.file, d.line) {
                out.extend(self.on(&(f.clone(), l)));
            }
        }
    }
}

/// Times as ISO 8601 in the access log's own offset.
struct Clock(Option<i32>);

impl Clock {
    fn fmt(&self, t: i64) -> String {
        let base = crate::logs::time::format_iso(t);
        match self.0 {
            Some(o) => {
                let sign = if o < 0 { '-' } else { '+' };
                let o = o.abs();
                format!("{base}{sign}{:02}:{:02}", o / 3600, o / 60 % 60)
            }
            None => base,
        }
    }
}

fn finals(m: &BTreeMap<u16, u64>) -> BTreeMap<String, u64> {
    m.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

impl Join<'_, '_, '_> {
    /// The whole answer.
    pub fn into_report(mut self, config: String, lint: &LintIndex) -> Report {
        let clock = Clock(self.offset);
        let times: Vec<Option<i64>> = self.events.list.iter().map(|e| e.time).collect();
        for t in times {
            self.span(t);
        }
        // buckets in the span of both logs (empty ones count for the baseline)
        let span: u64 = match (self.t_min, self.t_max) {
            (Some(a), Some(b)) => {
                (b.div_euclid(self.bucket) - a.div_euclid(self.bucket) + 1) as u64
            }
            _ => 0,
        };
        let group_lat: HashMap<Option<UpstreamId>, Option<Latency>> = self
            .groups
            .iter_mut()
            .map(|(k, g)| {
                (
                    *k,
                    latency(std::mem::take(&mut g.latencies), g.read_timeout.clone()),
                )
            })
            .collect();
        let mut findings: Vec<Finding> = Vec::new();
        for (key, a) in self.tally.keys.iter().zip(&self.tally.accs) {
            let lat = group_lat.get(&key.1).cloned().flatten();
            let onset = onset(a, self.groups.get(&key.1), span, &clock);
            findings.push(self.finding(key, a, onset, lat, &clock, lint));
        }
        for (g, lat) in &group_lat {
            if let Some(f) = self.latency_finding(*g, lat.as_ref(), lint) {
                findings.push(f);
            }
        }
        rank(&mut findings);
        let mut groups: Vec<GroupSummary> = self
            .groups
            .iter()
            .map(|(k, g)| GroupSummary {
                name: k.map_or_else(|| "(unknown)".to_string(), |g| self.at.group_name(g)),
                requests: g.requests,
                attempts: g.attempts,
                final_status: finals(&g.final_status),
                retried_ok: g.retried_ok,
                latency: group_lat.get(k).cloned().flatten(),
                timeline: g
                    .buckets
                    .iter()
                    .map(|(b, m)| (clock.fmt(*b), finals(m)))
                    .collect(),
            })
            .collect();
        groups.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.name.cmp(&b.name)));
        Report {
            schema: super::SCHEMA,
            config,
            bucket: self.bucket,
            inputs: self.inputs,
            access: self.access,
            errors: self.errors,
            groups,
            findings,
            lint_total: lint.total.clone(),
        }
    }

    /// One finding from a key's evidence.
    fn finding(
        &self,
        (cause, group, srv, loc): &Key,
        a: &Acc,
        onset: Option<Onset>,
        latency: Option<Latency>,
        clock: &Clock,
        lint: &LintIndex,
    ) -> Finding {
        let at: &Attributor<'_, '_> = self.at;
        let peers: Vec<String> = a.peers.keys().cloned().collect();
        let directives = at.governing(cause, *loc, *group, &peers);
        let mut rules: BTreeSet<String> = BTreeSet::new();
        lint.on_directives(&directives, &mut rules);
        if let Some(up) = group.map(|g| at.model.upstreams.get(g)) {
            if let Some(d) = up.directive {
                rules.extend(lint.on(&at.position(d)));
            }
        }
        let title = causes::find(cause).map_or_else(
            || explain::status_title(cause),
            |c| causes::cause(c).title.to_string(),
        );
        let mut f = Finding {
            rank: 0,
            cause: cause.clone(),
            title,
            upstream: group.map(|g| at.group_name(g)),
            peers,
            server: srv.map(|s| at.server_label(s)),
            location: loc.and_then(|l| at.location_name(l)),
            stream: group.is_some_and(|g| at.model.upstreams.get(g).stream)
                || srv.is_some_and(|s| at.servers[s].stream),
            count: if self.have_errors && a.error_lines > 0 {
                a.error_lines
            } else {
                a.attempts
            },
            error_lines: a.error_lines,
            attempts: a.attempts,
            requests: a.requests,
            final_status: finals(&a.final_status),
            retried_ok: a.retried_ok,
            first: a.first.map(|t| clock.fmt(t)),
            last: a.last.map(|t| clock.fmt(t)),
            onset,
            latency,
            directives,
            lint: rules.into_iter().collect(),
            explanation: String::new(),
            fix: String::new(),
            samples: a.samples.clone(),
            timeline: a.buckets.iter().map(|(b, n)| (clock.fmt(*b), *n)).collect(),
        };
        (f.explanation, f.fix) = explain::explain(&f);
        f
    }

    /// A group whose p99 is within 20 % of its read timeout: "timeouts
    /// too tight for this backend's real latency".
    fn latency_finding(
        &self,
        g: Option<UpstreamId>,
        lat: Option<&Latency>,
        lint: &LintIndex,
    ) -> Option<Finding> {
        let l = lat?;
        let rt = l.read_timeout?;
        if !(rt > 0.0 && l.p99 >= 0.8 * rt) {
            return None;
        }
        let ga: &GroupAcc = &self.groups[&g];
        let mut f = Finding {
            rank: 0,
            cause: "latency-near-timeout".into(),
            title: "upstream latency close to the read timeout".into(),
            upstream: g.map(|g| self.at.group_name(g)),
            peers: Vec::new(),
            server: None,
            location: None,
            stream: false,
            count: l.near_timeout,
            error_lines: 0,
            attempts: ga.attempts,
            requests: ga.requests,
            final_status: finals(&ga.final_status),
            retried_ok: ga.retried_ok,
            first: None,
            last: None,
            onset: None,
            latency: Some(l.clone()),
            directives: l.read_timeout_directive.iter().cloned().collect(),
            lint: Vec::new(),
            explanation: String::new(),
            fix: String::new(),
            samples: Vec::new(),
            timeline: BTreeMap::new(),
        };
        let mut rules = BTreeSet::new();
        lint.on_directives(&f.directives, &mut rules);
        f.lint = rules.into_iter().collect();
        (f.explanation, f.fix) = explain::explain(&f);
        Some(f)
    }
}

/// When a key's failures began: the first bucket above the baseline (the
/// median over every bucket of the span), with the group's request rate.
fn onset(a: &Acc, g: Option<&GroupAcc>, span: u64, clock: &Clock) -> Option<Onset> {
    let (&first_b, &first_c) = a.buckets.iter().next()?;
    // the empty buckets are the zeros below the sorted non-empty counts
    let mut nz: Vec<u64> = a.buckets.values().copied().collect();
    nz.sort_unstable();
    let total = span.max(nz.len() as u64);
    let zeros = total - nz.len() as u64;
    let mid = total / 2;
    let baseline = if mid < zeros {
        0.0
    } else {
        nz[(mid - zeros) as usize] as f64
    };
    // failures at a steady level: the onset is the first of them
    let ((b, c), steady) = match a.buckets.iter().find(|(_, &c)| c as f64 > baseline) {
        Some((&b, &c)) => ((b, c), false),
        None => ((first_b, first_c), true),
    };
    Some(Onset {
        time: clock.fmt(b),
        baseline,
        failures: c,
        steady,
        requests: g
            .and_then(|g| g.buckets.get(&b))
            .map_or(0, |m| m.values().sum()),
        requests_before: g.map_or(0, |g| {
            g.buckets
                .range(..b)
                .map(|(_, m)| m.values().sum::<u64>())
                .sum()
        }),
    })
}

/// Rank: what clients saw first (final 5xx), then failures, then cause.
fn rank(findings: &mut [Finding]) {
    let bad = |f: &Finding| -> u64 {
        if f.cause == "latency-near-timeout" {
            return 0;
        }
        f.final_status
            .iter()
            .filter(|(k, _)| k.as_str() >= "500")
            .map(|(_, v)| *v)
            .sum()
    };
    findings.sort_by(|a, b| {
        bad(b)
            .cmp(&bad(a))
            .then(b.count.cmp(&a.count))
            .then(a.cause.cmp(&b.cause))
    });
    for (i, f) in findings.iter_mut().enumerate() {
        f.rank = i + 1;
    }
}
