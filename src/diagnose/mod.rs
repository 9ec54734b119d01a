//! `diagnose`: join the configuration with its logs into one answer —
//! which directive, which upstream group, since when, what to change.
//!
//! Neither side alone can say it: the config knows upstream groups and
//! effective timeouts but not what happened; error.log knows per-attempt
//! failures but not which of them clients saw (a failure retried onto a
//! healthy peer looks like a final one there); access.log has the truth
//! about statuses (`$status`, `$upstream_status`) but no causes.
//!
//! Pipeline: the config is loaded and linted ([`crate::lint`]) and modelled
//! ([`crate::model`]); [`attr`] indexes servers, locations and upstream
//! peers. Error logs are read with the [`crate::logs`] line parser and
//! classifier into failure events. Access logs are read with parsers
//! compiled from the config's own `log_format`s ([`format`]) into
//! [`access::Record`]s; each failed upstream attempt is joined to the
//! error-log event of the same peer and request (and connection, when both
//! logs carry it) in a time window, which gives it its cause. Findings
//! (cause × upstream group × server × location) carry the final statuses
//! clients got, the retried-and-served split, onset, latency percentiles
//! against the effective read timeout, the governing directives with the
//! lint findings on them, an explanation and a fix ([`explain`]).
//! Reporters: [`report`] (text, JSON `ngxray/diagnose/v1`, HTML).

pub mod access;
pub mod attr;
pub mod explain;
pub mod format;
pub mod report;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use std::hash::{Hash, Hasher};

use crate::lint::{lint_paths, LintOptions};
use crate::logs::aggregate::{FxHasher, FxMap};
use crate::logs::causes;
use crate::logs::classify::Classifier;
use crate::logs::input::Input;
use crate::model::{Model, ScopeId, UpstreamId};
use access::Record;
use attr::{Attributor, DirectiveRef};
use format::{Escape, LogFormat};

mod document;
pub use document::*;

/// A failure event from error.log.
struct Event {
    time: Option<i64>,
    cid: Option<u64>,
    pid: Option<u32>,
    key: usize,
    request: Option<String>,
    used: bool,
}

type Key = (String, Option<UpstreamId>, Option<usize>, Option<ScopeId>);

/// (host, path, `$server_name`, port) of a request: where nginx routes it.
type PlaceKey = (Option<String>, Option<String>, Option<String>, Option<u16>);

/// The server (index) and location a request is routed to.
type Place = (Option<usize>, Option<ScopeId>);

#[derive(Default)]
struct Acc {
    error_lines: u64,
    attempts: u64,
    requests: u64,
    peers: BTreeMap<String, u64>,
    final_status: BTreeMap<u16, u64>,
    retried_ok: u64,
    first: Option<i64>,
    last: Option<i64>,
    buckets: BTreeMap<i64, u64>,
    samples: Vec<Sample>,
}

impl Acc {
    fn seen(&mut self, t: Option<i64>, bucket: i64) {
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        let _ = bucket;
    }
}

#[derive(Default)]
struct GroupAcc {
    requests: u64,
    attempts: u64,
    final_status: BTreeMap<u16, u64>,
    retried_ok: u64,
    latencies: Vec<f32>,
    buckets: BTreeMap<i64, BTreeMap<u16, u64>>,
    read_timeout: Option<(u64, DirectiveRef)>,
}

mod inputs;
pub use inputs::formats;
use inputs::*;

/// Run a diagnosis.
pub fn diagnose(opts: &Options) -> Result<Report, DiagnoseError> {
    let outcome =
        lint_paths(std::slice::from_ref(&opts.config), &LintOptions::default()).map_err(|e| {
            DiagnoseError::Io {
                path: opts.config.display().to_string(),
                message: e.to_string(),
            }
        })?;
    let roots: Vec<_> = outcome.roots.iter().map(|r| (r.file, r.context)).collect();
    let model = Model::build(&outcome.loaded, &roots);
    let at = Attributor::new(&model);
    let fmts = formats(&model, &at);
    let (declared, _) = at.log_paths();
    let bucket = opts.bucket.max(1);

    // lint findings by (file, line)
    let mut lint_at: HashMap<(String, usize), BTreeSet<String>> = HashMap::new();
    let mut lint_total: BTreeMap<String, u64> = BTreeMap::new();
    for d in &outcome.diagnostics {
        *lint_total.entry(d.rule.to_string()).or_default() += 1;
        if let Some(sp) = d.span {
            let f = outcome.loaded.sources.get(sp.file);
            lint_at
                .entry((f.path().display().to_string(), f.line_of(sp.start())))
                .or_default()
                .insert(d.rule.to_string());
        }
    }

    let logs = if opts.logs.is_empty() {
        resolve_default_logs(&at, &opts.config)
    } else {
        opts.logs.clone()
    };
    if logs.is_empty() {
        return Err(DiagnoseError::Usage(
            "no logs: give access.log and error.log files (the config names none that can be read)"
                .into(),
        ));
    }
    let mut kinds = Vec::new();
    for p in &logs {
        let head = head_lines(p, 32)?;
        kinds.push((p.clone(), is_error_log(&head), head));
    }

    let mut inputs: Vec<InputInfo> = Vec::new();
    let mut keys: Vec<Key> = Vec::new();
    let mut key_ix: HashMap<Key, usize> = HashMap::new();
    let mut accs: Vec<Acc> = Vec::new();
    let mut intern = |k: Key, accs: &mut Vec<Acc>| -> usize {
        *key_ix.entry(k.clone()).or_insert_with(|| {
            keys.push(k);
            accs.push(Acc::default());
            accs.len() - 1
        })
    };
    // (host, path, server_name, port) → place; looked up by hash without
    // allocating, confirmed by comparing the key.
    let mut place_memo: FxMap<u64, Vec<(PlaceKey, Place)>> = FxMap::default();
    let mut memo_len = 0usize;
    let mut place =
        |host: Option<&str>, path: Option<&str>, sn: Option<&str>, port: Option<u16>| {
            let mut h = FxHasher::default();
            (host, path, sn, port).hash(&mut h);
            let hash = h.finish();
            if let Some(v) = place_memo.get(&hash) {
                for (k, p) in v {
                    if k.0.as_deref() == host
                        && k.1.as_deref() == path
                        && k.2.as_deref() == sn
                        && k.3 == port
                    {
                        return *p;
                    }
                }
            }
            let s = at.find_server(host, port, sn);
            let l = match (s, path) {
                (Some(s), Some(p)) => at.find_location(s, p),
                _ => None,
            };
            if memo_len < 200_000 {
                memo_len += 1;
                let k = (
                    host.map(str::to_string),
                    path.map(str::to_string),
                    sn.map(str::to_string),
                    port,
                );
                place_memo.entry(hash).or_default().push((k, (s, l)));
            }
            (s, l)
        };

    // ---- error logs: failure events ----
    let mut errors = ErrorSummary::default();
    let mut events: Vec<Event> = Vec::new();
    let mut by_peer: HashMap<String, Vec<usize>> = HashMap::new();
    let mut classifier = Classifier::new();
    for (path, is_err, _) in &kinds {
        if !*is_err {
            continue;
        }
        let mut info = InputInfo {
            path: path.display().to_string(),
            kind: LogKind::Error,
            format: None,
            lines: 0,
            parsed: 0,
            unparsable: 0,
            other_format: 0,
        };
        let mut r = open_lines(path)?;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if r.read_until(b'\n', &mut buf).map_err(|e| io_err(path, e))? == 0 {
                break;
            }
            info.lines += 1;
            let raw = trim_nl(&buf);
            let Some(line) = crate::logs::line::parse(raw) else {
                info.unparsable += 1;
                continue;
            };
            info.parsed += 1;
            let v = classifier.classify(&line);
            let cause = causes::cause(v.cause);
            let keep = match v.status {
                Some(s) => s >= 500 && cause.id != "client-abort",
                None => false,
            };
            if !keep {
                continue;
            }
            errors.failures += 1;
            let (_, peer) = crate::logs::line::upstream_key(&line);
            let peer = String::from_utf8_lossy(peer).into_owned();
            let s = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
            let request = s(line.fields.request);
            let host = s(line.fields.host);
            let server = s(line.fields.server);
            let path_of = request
                .as_deref()
                .and_then(|r| r.split(' ').nth(1))
                .map(|t| t.split('?').next().unwrap_or("").to_string());
            let (srv, loc) = place(host.as_deref(), path_of.as_deref(), server.as_deref(), None);
            let group = if peer.is_empty() {
                loc.and_then(|l| at.pass_of(l))
                    .and_then(|p| model.pass(p).upstream)
            } else {
                at.group_of(&peer, loc)
            };
            let k = intern((cause.id.to_string(), group, srv, loc), &mut accs);
            let a = &mut accs[k];
            a.error_lines += 1;
            a.seen(line.time, bucket);
            if let Some(t) = line.time {
                *a.buckets.entry(t.div_euclid(bucket) * bucket).or_default() += 1;
            }
            if !peer.is_empty() {
                *a.peers.entry(peer.clone()).or_default() += 0;
            }
            if a.samples.len() < 3 {
                a.samples.push(Sample {
                    file: info.path.clone(),
                    line: info.lines,
                    text: String::from_utf8_lossy(raw).chars().take(600).collect(),
                });
            }
            by_peer
                .entry(peer.to_ascii_lowercase())
                .or_default()
                .push(events.len());
            events.push(Event {
                time: line.time,
                cid: line.cid,
                pid: line.pid,
                key: k,
                request,
                used: false,
            });
        }
        errors.lines += info.lines;
        errors.parsed += info.parsed;
        inputs.push(info);
    }
    let mut by_request: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        if let Some(r) = &e.request {
            by_request.entry(r.clone()).or_default().push(i);
        }
    }
    for v in by_peer.values_mut().chain(by_request.values_mut()) {
        v.sort_by_key(|&i| events[i].time.unwrap_or(i64::MIN));
    }
    let have_errors = kinds.iter().any(|k| k.1);

    // ---- access logs ----
    let mut summary = AccessSummary::default();
    let mut groups: HashMap<Option<UpstreamId>, GroupAcc> = HashMap::new();
    let mut offset: Option<i32> = None;
    let (mut t_min, mut t_max): (Option<i64>, Option<i64>) = (None, None);
    for (path, is_err, head) in &kinds {
        if *is_err {
            continue;
        }
        let (reader, fname) =
            pick_reader(path, head, &fmts, &declared, opts.log_format.as_deref())?;
        let mut info = InputInfo {
            path: path.display().to_string(),
            kind: LogKind::Access,
            format: Some(fname),
            lines: 0,
            parsed: 0,
            unparsable: 0,
            other_format: 0,
        };
        let has_upstream_addr = match &reader {
            Reader::Format(f) => f.has("upstream_addr"),
            Reader::Json(_) => true,
        };
        let mut r = open_lines(path)?;
        let mut buf = Vec::new();
        let mut touched: Vec<usize> = Vec::new();
        loop {
            buf.clear();
            if r.read_until(b'\n', &mut buf).map_err(|e| io_err(path, e))? == 0 {
                break;
            }
            info.lines += 1;
            let raw = trim_nl(&buf);
            if raw.is_empty() {
                info.unparsable += 1;
                continue;
            }
            // a line in another of the config's formats (the format changed
            // at a reload, two access_log lines share a file) still counts
            let rec = parse_access(&reader, raw)
                .filter(|r| r.status.is_some())
                .or_else(|| {
                    // --log-format is strict
                    if opts.log_format.is_some() {
                        return None;
                    }
                    let r = fmts
                        .iter()
                        .filter(|f| !matches!(&reader, Reader::Format(c) if std::ptr::eq(*c, *f)))
                        .find_map(|f| parse_access(&Reader::Format(f), raw))
                        .or_else(|| {
                            (raw.first() == Some(&b'{'))
                                .then(|| parse_access(&Reader::Json(Vec::new()), raw))
                                .flatten()
                        })
                        .filter(|r| r.status.is_some());
                    if r.is_some() {
                        info.other_format += 1;
                    }
                    r
                });
            let Some(rec) = rec else {
                info.unparsable += 1;
                if summary.unparsable_samples.len() < 3 {
                    summary.unparsable_samples.push(Sample {
                        file: info.path.clone(),
                        line: info.lines,
                        text: String::from_utf8_lossy(raw).chars().take(300).collect(),
                    });
                }
                continue;
            };
            info.parsed += 1;
            let status = rec.status.unwrap_or(0);
            *summary.status.entry(status.to_string()).or_default() += 1;
            if rec.offset.is_some() {
                offset = rec.offset;
            }
            if let Some(t) = rec.time {
                t_min = Some(t_min.map_or(t, |m| m.min(t)));
                t_max = Some(t_max.map_or(t, |m| m.max(t)));
            }
            let (srv, loc) = place(
                rec.host.as_deref(),
                rec.path.as_deref(),
                rec.server_name.as_deref(),
                rec.server_port,
            );
            touched.clear();
            let mut failed_any = false;
            // No $upstream_addr in the format (`combined`): a request to a
            // proxying location is one attempt at the location's group.
            let synthetic;
            let attempts: &[access::Attempt] = if rec.attempts.is_empty()
                && !has_upstream_addr
                && loc.and_then(|l| at.pass_of(l)).is_some()
            {
                synthetic = [access::Attempt {
                    addr: String::new(),
                    status: None,
                    response_time: None,
                    connect_time: None,
                }];
                &synthetic
            } else {
                &rec.attempts
            };
            // how far back the request's attempts may have failed:
            // $request_time, else the attempts' times, else two minutes when
            // several attempts are logged (a lone attempt fails at the end)
            let duration = rec.request_time.or_else(|| {
                let sum: f64 = rec.attempts.iter().filter_map(|a| a.response_time).sum();
                if rec.attempts.iter().any(|a| a.response_time.is_some()) {
                    Some(sum)
                } else if rec.attempts.len() > 1 {
                    Some(120.0)
                } else {
                    None
                }
            });
            let n = attempts.len();
            let mut final_group = None;
            for (i, a) in attempts.iter().enumerate() {
                let group = at.group_of(&a.addr, loc);
                final_group = Some(group);
                let g = groups.entry(group).or_default();
                g.attempts += 1;
                if g.read_timeout.is_none() {
                    g.read_timeout = loc.and_then(|l| at.read_timeout(l));
                } else if let (Some(l), Some((cur, _))) = (loc, &g.read_timeout) {
                    if let Some((ms, d)) = at.read_timeout(l) {
                        if ms < *cur {
                            g.read_timeout = Some((ms, d));
                        }
                    }
                }
                if let Some(t) = a.response_time {
                    g.latencies.push(t as f32);
                }
                let st = a.status.or(if i + 1 == n { rec.status } else { None });
                let failed = st.is_none_or_5xx();
                if !failed {
                    continue;
                }
                failed_any = true;
                // join with the error-log event of this peer and request
                // (no address logged: by request line alone)
                let list = if a.addr.is_empty() {
                    rec.request.as_ref().and_then(|r| by_request.get(r))
                } else {
                    by_peer.get(&a.addr.to_ascii_lowercase())
                };
                let key = match (list, rec.time) {
                    (Some(list), Some(t)) => join(
                        list,
                        &mut events,
                        t,
                        duration,
                        rec.request.as_ref(),
                        rec.connection,
                        rec.pid,
                    ),
                    _ => None,
                };
                if key.is_some() {
                    errors.joined += 1;
                }
                let k = match key {
                    Some(k) => k,
                    None => {
                        let cause = match st {
                            Some(s) => format!("status-{s}"),
                            None => "status-none".to_string(),
                        };
                        intern((cause, group, srv, loc), &mut accs)
                    }
                };
                let acc = &mut accs[k];
                acc.attempts += 1;
                if !a.addr.is_empty() {
                    *acc.peers.entry(a.addr.clone()).or_default() += 1;
                }
                if key.is_none() || !have_errors {
                    acc.seen(rec.time, bucket);
                    if let Some(t) = rec.time {
                        *acc.buckets
                            .entry(t.div_euclid(bucket) * bucket)
                            .or_default() += 1;
                    }
                }
                if !touched.contains(&k) {
                    touched.push(k);
                }
            }
            if let Some(group) = final_group {
                summary.upstream_requests += 1;
                if n > 1 {
                    summary.retried += 1;
                }
                let g = groups.entry(group).or_default();
                g.requests += 1;
                *g.final_status.entry(status).or_default() += 1;
                if let Some(t) = rec.time {
                    *g.buckets
                        .entry(t.div_euclid(bucket) * bucket)
                        .or_default()
                        .entry(status)
                        .or_default() += 1;
                }
                if failed_any && status < 500 {
                    g.retried_ok += 1;
                    summary.retried_ok += 1;
                }
            } else if status >= 500 {
                // nginx answered itself (limit_req, no upstream): join by request
                let key = match (
                    rec.request.as_ref().and_then(|r| by_request.get(r)),
                    rec.time,
                ) {
                    (Some(list), Some(t)) => join(
                        list,
                        &mut events,
                        t,
                        duration,
                        rec.request.as_ref(),
                        rec.connection,
                        rec.pid,
                    ),
                    _ => None,
                };
                if key.is_some() {
                    errors.joined += 1;
                }
                let k = key.unwrap_or_else(|| {
                    intern((format!("status-{status}"), None, srv, loc), &mut accs)
                });
                let acc = &mut accs[k];
                acc.attempts += 1;
                if key.is_none() {
                    acc.seen(rec.time, bucket);
                    if let Some(t) = rec.time {
                        *acc.buckets
                            .entry(t.div_euclid(bucket) * bucket)
                            .or_default() += 1;
                    }
                }
                touched.push(k);
            }
            for &k in &touched {
                let acc = &mut accs[k];
                acc.requests += 1;
                *acc.final_status.entry(status).or_default() += 1;
                if status < 500 {
                    acc.retried_ok += 1;
                }
            }
        }
        summary.lines += info.lines;
        summary.parsed += info.parsed;
        summary.unparsable += info.unparsable;
        inputs.push(info);
    }

    // ---- build findings ----
    let fmt_t = |t: i64| {
        let base = crate::logs::time::format_iso(t);
        match offset {
            Some(o) => {
                let sign = if o < 0 { '-' } else { '+' };
                let o = o.abs();
                format!("{base}{sign}{:02}:{:02}", o / 3600, o / 60 % 60)
            }
            None => base,
        }
    };
    for ev in &events {
        if let Some(t) = ev.time {
            t_min = Some(t_min.map_or(t, |m| m.min(t)));
            t_max = Some(t_max.map_or(t, |m| m.max(t)));
        }
    }
    // buckets in the span of both logs (empty ones count for the baseline)
    let span: u64 = match (t_min, t_max) {
        (Some(a), Some(b)) => (b.div_euclid(bucket) - a.div_euclid(bucket) + 1) as u64,
        _ => 0,
    };
    let group_lat: HashMap<Option<UpstreamId>, Option<Latency>> = groups
        .iter_mut()
        .map(|(k, g)| {
            (
                *k,
                latency(std::mem::take(&mut g.latencies), g.read_timeout.clone()),
            )
        })
        .collect();
    let mut findings: Vec<Finding> = Vec::new();
    for (i, (cause, group, srv, loc)) in keys.iter().enumerate() {
        let a = &accs[i];
        let peers: Vec<String> = a.peers.keys().cloned().collect();
        let directives = at.governing(cause, *loc, *group, &peers);
        let mut lint: BTreeSet<String> = BTreeSet::new();
        for d in &directives {
            if let (Some(f), Some(l)) = (&d.file, d.line) {
                if let Some(r) = lint_at.get(&(f.clone(), l)) {
                    lint.extend(r.iter().cloned());
                }
            }
        }
        if let Some(up) = group.map(|g| model.upstreams.get(g)) {
            if let Some(d) = up.directive {
                if let Some(r) = lint_at.get(&at.position(d)) {
                    lint.extend(r.iter().cloned());
                }
            }
        }
        let onset = a.buckets.iter().next().map(|(&first_b, &first_c)| {
            // median over every bucket of the span: the empty ones are the
            // zeros below the sorted non-empty counts
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
            let g = groups.get(group);
            Onset {
                time: fmt_t(b),
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
            }
        });
        let lat = group_lat.get(group).cloned().flatten();
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
            location: loc.map(|l| at.location_label(l)),
            count: if have_errors && a.error_lines > 0 {
                a.error_lines
            } else {
                a.attempts
            },
            error_lines: a.error_lines,
            attempts: a.attempts,
            requests: a.requests,
            final_status: a
                .final_status
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            retried_ok: a.retried_ok,
            first: a.first.map(fmt_t),
            last: a.last.map(fmt_t),
            onset,
            latency: lat,
            directives,
            lint: lint.into_iter().collect(),
            explanation: String::new(),
            fix: String::new(),
            samples: a.samples.clone(),
            timeline: a.buckets.iter().map(|(b, n)| (fmt_t(*b), *n)).collect(),
        };
        let (e, x) = explain::explain(&f);
        f.explanation = e;
        f.fix = x;
        findings.push(f);
    }
    // latency near the read timeout: a finding of its own
    for (g, lat) in &group_lat {
        let Some(l) = lat else { continue };
        let Some(rt) = l.read_timeout else { continue };
        if rt > 0.0 && l.p99 >= 0.8 * rt {
            let ga = &groups[g];
            let mut f = Finding {
                rank: 0,
                cause: "latency-near-timeout".into(),
                title: "upstream latency close to the read timeout".into(),
                upstream: g.map(|g| at.group_name(g)),
                peers: Vec::new(),
                server: None,
                location: None,
                count: l.near_timeout,
                error_lines: 0,
                attempts: ga.attempts,
                requests: ga.requests,
                final_status: ga
                    .final_status
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
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
            for d in &f.directives {
                if let (Some(file), Some(line)) = (&d.file, d.line) {
                    if let Some(r) = lint_at.get(&(file.clone(), line)) {
                        f.lint.extend(r.iter().cloned());
                    }
                }
            }
            let (e, x) = explain::explain(&f);
            f.explanation = e;
            f.fix = x;
            findings.push(f);
        }
    }
    // rank: what clients saw first, then failures
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
    let mut group_list: Vec<GroupSummary> = groups
        .iter()
        .map(|(k, g)| GroupSummary {
            name: k.map_or_else(|| "(unknown)".to_string(), |g| at.group_name(g)),
            requests: g.requests,
            attempts: g.attempts,
            final_status: g
                .final_status
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            retried_ok: g.retried_ok,
            latency: group_lat.get(k).cloned().flatten(),
            timeline: g
                .buckets
                .iter()
                .map(|(b, m)| {
                    (
                        fmt_t(*b),
                        m.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
                    )
                })
                .collect(),
        })
        .collect();
    group_list.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.name.cmp(&b.name)));
    Ok(Report {
        schema: SCHEMA,
        config: opts.config.display().to_string(),
        bucket,
        inputs,
        access: summary,
        errors,
        groups: group_list,
        findings,
        lint_total,
    })
}

/// The first unused error-log event in `list` (sorted by time) that fits
/// an access-log attempt ending at `t`: its time within the request's
/// duration (plus slack), the same request line, connection (`*cid`) and
/// worker pid when both logs carry them. Marks it used.
fn join(
    list: &[usize],
    events: &mut [Event],
    t: i64,
    request_time: Option<f64>,
    request: Option<&String>,
    connection: Option<u64>,
    pid: Option<u32>,
) -> Option<usize> {
    let lo = t - request_time.unwrap_or(0.0).ceil() as i64 - 2;
    let start = list.partition_point(|&e| events[e].time.unwrap_or(i64::MIN) < lo);
    for &e in &list[start..] {
        let ev = &events[e];
        if ev.time.is_some_and(|et| et > t + 1) {
            break;
        }
        if ev.used
            || (ev.request.is_some() && request.is_some() && ev.request.as_ref() != request)
            || (ev.cid.is_some() && connection.is_some() && ev.cid != connection)
            || (ev.pid.is_some() && pid.is_some() && ev.pid != pid)
        {
            continue;
        }
        let key = ev.key;
        events[e].used = true;
        return Some(key);
    }
    None
}

trait Fails {
    fn is_none_or_5xx(&self) -> bool;
}

impl Fails for Option<u16> {
    fn is_none_or_5xx(&self) -> bool {
        self.is_none_or(|s| s >= 500)
    }
}
