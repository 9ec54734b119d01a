//! Reading access logs: what clients got. Each line is parsed with the
//! config's own `log_format` (or JSON), routed to its server and location,
//! and each upstream attempt is counted for its group; a failed attempt is
//! joined to its error-log event (which gives it its cause) or, without
//! one, counted under its status (`status-502`).

use std::io::BufRead;
use std::path::Path;

use super::access::{Attempt, Record};
use super::format::LogFormat;
use super::inputs::{io_err, open_lines, parse_access, pick_reader, trim_nl, Reader};
use super::read_error::{By, Probe};
use super::tally::{Join, Route};
use super::{DiagnoseError, InputInfo, LogKind, Sample};

/// How access logs are to be read: the config's formats, which file each
/// `access_log` writes with which format, and `--log-format`.
pub(super) struct Formats<'f> {
    pub all: &'f [LogFormat],
    pub declared: &'f [(String, String)],
    pub forced: Option<&'f str>,
}

impl Join<'_, '_, '_> {
    /// Read one access log.
    pub fn read_access_log(
        &mut self,
        path: &Path,
        head: &[Vec<u8>],
        formats: &Formats<'_>,
    ) -> Result<(), DiagnoseError> {
        let (reader, fname) =
            pick_reader(path, head, formats.all, formats.declared, formats.forced)?;
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
            let rec = if raw.is_empty() {
                None
            } else {
                parse_line(&reader, raw, formats, &mut info)
            };
            let Some(rec) = rec else {
                info.unparsable += 1;
                if !raw.is_empty() && self.access.unparsable_samples.len() < 3 {
                    self.access.unparsable_samples.push(Sample {
                        file: info.path.clone(),
                        line: info.lines,
                        text: String::from_utf8_lossy(raw).chars().take(300).collect(),
                    });
                }
                continue;
            };
            info.parsed += 1;
            self.count_request(&rec, has_upstream_addr, &mut touched);
        }
        self.access.lines += info.lines;
        self.access.parsed += info.parsed;
        self.access.unparsable += info.unparsable;
        self.inputs.push(info);
        Ok(())
    }

    /// Count one request: its final status, every upstream attempt for its
    /// group, and each failure under its finding.
    fn count_request(&mut self, rec: &Record, has_upstream_addr: bool, touched: &mut Vec<usize>) {
        let at = self.at;
        let status = rec.status.unwrap_or(0);
        *self.access.status.entry(status.to_string()).or_default() += 1;
        if rec.offset.is_some() {
            self.offset = rec.offset;
        }
        self.span(rec.time);
        let route = if rec.stream {
            at.stream_route(rec.server_port)
        } else {
            self.routes.route(
                at,
                rec.host.as_deref(),
                rec.path.as_deref(),
                rec.server_name.as_deref(),
                rec.server_port,
            )
        };
        touched.clear();
        // No $upstream_addr in the format (`combined`): a request to a
        // proxying location is one attempt at the location's group.
        let synthetic;
        let attempts: &[Attempt] = if rec.attempts.is_empty()
            && !has_upstream_addr
            && route.1.and_then(|l| at.pass_of(l)).is_some()
        {
            synthetic = [Attempt {
                addr: String::new(),
                status: None,
                response_time: None,
                connect_time: None,
            }];
            &synthetic
        } else {
            &rec.attempts
        };
        let probe = Probe {
            time: rec.time,
            duration: attempt_window(rec),
            request: rec.request.as_ref(),
            connection: rec.connection,
            pid: rec.pid,
        };
        let (final_group, failed_any) = self.count_attempts(rec, attempts, route, &probe, touched);
        if let Some(group) = final_group {
            self.access.upstream_requests += 1;
            if attempts.len() > 1 {
                self.access.retried += 1;
            }
            let g = self.groups.entry(group).or_default();
            g.requests += 1;
            *g.final_status.entry(status).or_default() += 1;
            if let Some(t) = rec.time {
                *g.buckets
                    .entry(t.div_euclid(self.bucket) * self.bucket)
                    .or_default()
                    .entry(status)
                    .or_default() += 1;
            }
            if failed_any && status < 500 {
                g.retried_ok += 1;
                self.access.retried_ok += 1;
            }
        } else if status >= 400 {
            self.count_local_failure(status, route, &probe, touched);
        }
        // served after a failed attempt (an answer nginx gave itself is not)
        let served = final_group.is_some() && status < 500;
        for &k in touched.iter() {
            let acc = &mut self.tally.accs[k];
            acc.requests += 1;
            *acc.final_status.entry(status).or_default() += 1;
            if served {
                acc.retried_ok += 1;
            }
        }
    }

    /// Count each attempt for its group; each failed one under its
    /// finding (in `touched`). Returns the group of the last attempt and
    /// whether any attempt failed.
    fn count_attempts(
        &mut self,
        rec: &Record,
        attempts: &[Attempt],
        (srv, loc): Route,
        probe: &Probe<'_>,
        touched: &mut Vec<usize>,
    ) -> (Option<Option<crate::model::UpstreamId>>, bool) {
        let at = self.at;
        let n = attempts.len();
        let mut final_group = None;
        let mut failed_any = false;
        for (i, a) in attempts.iter().enumerate() {
            let group = at.group_of(&a.addr, loc);
            final_group = Some(group);
            let g = self.groups.entry(group).or_default();
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
            if st.is_some_and(|s| s < 500) {
                continue;
            }
            failed_any = true;
            // join with the error-log event of this peer and request
            // (no address logged: by request line alone)
            let by = if a.addr.is_empty() {
                By::Request
            } else {
                By::Peer(&a.addr)
            };
            let key = self.events.join(by, probe);
            if key.is_some() {
                self.errors.joined += 1;
            }
            let k = match key {
                Some(k) => k,
                None => {
                    let cause = match st {
                        Some(s) => format!("status-{s}"),
                        None => "status-none".to_string(),
                    };
                    self.tally.intern((cause, group, srv, loc))
                }
            };
            let acc = &mut self.tally.accs[k];
            acc.attempts += 1;
            if !a.addr.is_empty() {
                *acc.peers.entry(a.addr.clone()).or_default() += 1;
            }
            if key.is_none() || !self.have_errors {
                acc.seen_in_bucket(rec.time, self.bucket);
            }
            if !touched.contains(&k) {
                touched.push(k);
            }
        }
        (final_group, failed_any)
    }

    /// An error nginx answered itself (limit_req, auth_request, no
    /// upstream): joined by request line to its error-log events, else a
    /// 5xx counts under its status and a 4xx the config decides (the
    /// location's `limit_req_status`, a 401/403 behind `auth_request`)
    /// under its rule. Its findings go to `touched`.
    fn count_local_failure(
        &mut self,
        status: u16,
        (srv, loc): Route,
        probe: &Probe<'_>,
        touched: &mut Vec<usize>,
    ) {
        let key = self.events.join(By::Request, probe);
        if let Some(k) = key {
            self.errors.joined += 1;
            self.tally.accs[k].attempts += 1;
            touched.push(k);
            for k in self.events.join_rest(probe) {
                self.errors.joined += 1;
                self.tally.accs[k].attempts += 1;
                if !touched.contains(&k) {
                    touched.push(k);
                }
            }
            return;
        }
        let cause = if status >= 500 {
            format!("status-{status}")
        } else {
            match loc.and_then(|l| self.at.decided_by(l, status)) {
                Some(c) => c.to_string(),
                None => return,
            }
        };
        let k = self.tally.intern((cause, None, srv, loc));
        let acc = &mut self.tally.accs[k];
        acc.seen_in_bucket(probe.time, self.bucket);
        acc.attempts += 1;
        touched.push(k);
    }
}

/// Parse a line with the file's reader; a line in another of the config's
/// formats (the format changed at a reload, two access_log lines share a
/// file) still counts, unless `--log-format` forces one.
fn parse_line(
    reader: &Reader<'_>,
    raw: &[u8],
    formats: &Formats<'_>,
    info: &mut InputInfo,
) -> Option<Record> {
    if let Some(r) = parse_access(reader, raw).filter(|r| r.status.is_some()) {
        return Some(r);
    }
    if formats.forced.is_some() {
        return None;
    }
    let r = formats
        .all
        .iter()
        .filter(|f| !matches!(reader, Reader::Format(c) if std::ptr::eq(*c, *f)))
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
}

/// How far back a request's attempts may have failed: `$request_time`,
/// else the attempts' times, else two minutes when several attempts are
/// logged (a lone attempt fails at the end).
fn attempt_window(rec: &Record) -> Option<f64> {
    rec.request_time.or_else(|| {
        let sum: f64 = rec.attempts.iter().filter_map(|a| a.response_time).sum();
        if rec.attempts.iter().any(|a| a.response_time.is_some()) {
            Some(sum)
        } else if rec.attempts.len() > 1 {
            Some(120.0)
        } else {
            None
        }
    })
}
