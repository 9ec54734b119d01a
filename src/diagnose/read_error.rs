//! Reading error logs into failure events: every line that is a request
//! failure (a 5xx when final, not a client abort) becomes an [`Event`] with
//! its cause, attributed to an upstream group, server and location, and
//! indexed by peer and by request line so that access-log attempts can be
//! joined to it ([`Events::join`]).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use super::inputs::{io_err, open_lines, trim_nl};
use super::tally::Join;
use super::{DiagnoseError, InputInfo, LogKind, Sample};
use crate::logs::causes;
use crate::logs::classify::Classifier;

/// A failure event from error.log.
pub(super) struct Event {
    pub time: Option<i64>,
    cid: Option<u64>,
    pid: Option<u32>,
    /// Its finding key (index into the tally).
    key: usize,
    request: Option<String>,
    used: bool,
}

/// Failure events, indexed for the join.
#[derive(Default)]
pub(super) struct Events {
    pub list: Vec<Event>,
    /// Lowercased peer address → events, by time.
    by_peer: HashMap<String, Vec<usize>>,
    /// Request line → events, by time.
    by_request: HashMap<String, Vec<usize>>,
}

/// What is known of an access-log attempt to find its error-log event.
pub(super) struct Probe<'r> {
    /// When the request ended.
    pub time: Option<i64>,
    /// How far back its attempts may have failed, seconds.
    pub duration: Option<f64>,
    pub request: Option<&'r String>,
    pub connection: Option<u64>,
    pub pid: Option<u32>,
}

/// Which index to search.
pub(super) enum By<'k> {
    Peer(&'k str),
    Request,
}

impl Events {
    fn push(&mut self, peer: &str, ev: Event) {
        self.by_peer
            .entry(peer.to_ascii_lowercase())
            .or_default()
            .push(self.list.len());
        self.list.push(ev);
    }

    /// Index by request line and sort both indexes by time (after reading).
    fn seal(&mut self) {
        for (i, e) in self.list.iter().enumerate() {
            if let Some(r) = &e.request {
                self.by_request.entry(r.clone()).or_default().push(i);
            }
        }
        let list = &self.list;
        for v in self
            .by_peer
            .values_mut()
            .chain(self.by_request.values_mut())
        {
            v.sort_by_key(|&i| list[i].time.unwrap_or(i64::MIN));
        }
    }

    /// Every further unused event of the same request on the same
    /// connection (both logs carry `$connection`/`*cid`): an auth
    /// subrequest's failure and the auth failure it caused.
    pub fn join_rest(&mut self, p: &Probe<'_>) -> Vec<usize> {
        let mut out = Vec::new();
        if p.connection.is_none() {
            return out;
        }
        while let Some(k) = self.join_if(By::Request, p, |ev| ev.cid == p.connection) {
            out.push(k);
        }
        out
    }

    /// The finding key of the first unused event that fits an attempt:
    /// its time within the request's duration (plus slack) before the
    /// request's end, the same request line, connection (`*cid`) and
    /// worker pid when both logs carry them. Marks it used.
    pub fn join(&mut self, by: By<'_>, p: &Probe<'_>) -> Option<usize> {
        self.join_if(by, p, |_| true)
    }

    fn join_if(
        &mut self,
        by: By<'_>,
        p: &Probe<'_>,
        also: impl Fn(&Event) -> bool,
    ) -> Option<usize> {
        let list = match by {
            By::Peer(addr) => self.by_peer.get(&addr.to_ascii_lowercase()),
            By::Request => p.request.and_then(|r| self.by_request.get(r)),
        }?;
        let t = p.time?;
        let lo = t - p.duration.unwrap_or(0.0).ceil() as i64 - 2;
        let events = &mut self.list;
        let start = list.partition_point(|&e| events[e].time.unwrap_or(i64::MIN) < lo);
        for &e in &list[start..] {
            let ev = &events[e];
            if ev.time.is_some_and(|et| et > t + 1) {
                break;
            }
            if ev.used
                || !also(ev)
                || (ev.request.is_some() && p.request.is_some() && ev.request.as_ref() != p.request)
                || (ev.cid.is_some() && p.connection.is_some() && ev.cid != p.connection)
                || (ev.pid.is_some() && p.pid.is_some() && ev.pid != p.pid)
            {
                continue;
            }
            let key = ev.key;
            events[e].used = true;
            return Some(key);
        }
        None
    }
}

impl Join<'_, '_, '_> {
    /// Read every error log, then index the events for the join.
    pub fn read_error_logs<'p>(
        &mut self,
        paths: impl Iterator<Item = &'p Path>,
    ) -> Result<(), DiagnoseError> {
        let mut classifier = Classifier::new();
        for path in paths {
            self.read_error_log(path, &mut classifier)?;
        }
        self.events.seal();
        Ok(())
    }

    fn read_error_log(
        &mut self,
        path: &Path,
        classifier: &mut Classifier,
    ) -> Result<(), DiagnoseError> {
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
            self.failure_line(&line, raw, &info, classifier);
        }
        self.errors.lines += info.lines;
        self.errors.parsed += info.parsed;
        self.inputs.push(info);
        Ok(())
    }

    /// Count one parsed line when it is a request failure.
    fn failure_line(
        &mut self,
        line: &crate::logs::line::Line<'_>,
        raw: &[u8],
        info: &InputInfo,
        classifier: &mut Classifier,
    ) {
        let mut v = classifier.classify(line);
        // A subrequest's line has no status in `logs` (the main request
        // decides what the client gets), but it is what failed: it is kept
        // as a failure of the location that served the subrequest, by the
        // status the subrequest got.
        if v.status.is_none() && line.fields.subrequest.is_some() {
            let mut main = line.clone();
            main.fields.subrequest = None;
            v = classifier.classify(&main);
        }
        let cause = causes::cause(v.cause);
        let keep = match v.status {
            Some(s) => s >= 500 && cause.id != "client-abort",
            None => false,
        };
        if !keep {
            return;
        }
        self.errors.failures += 1;
        let at = self.at;
        let (_, peer) = crate::logs::line::upstream_key(line);
        let peer = String::from_utf8_lossy(peer).into_owned();
        let s = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
        let request = s(line.fields.request);
        let host = s(line.fields.host);
        let server = s(line.fields.server);
        // a subrequest's failure (auth_request, SSI) belongs to the
        // location that served the subrequest
        let path_of = s(line.fields.subrequest)
            .or_else(|| {
                request
                    .as_deref()
                    .and_then(|r| r.split(' ').nth(1))
                    .map(str::to_string)
            })
            .map(|t| t.split('?').next().unwrap_or("").to_string());
        // a stream session's line ends with its byte counts; its `server:`
        // is the listen address
        let stream = line.fields.bytes_client.is_some() || line.fields.bytes_upstream.is_some();
        let (srv, loc) = if stream {
            let port = server
                .as_deref()
                .and_then(|s| s.rsplit_once(':'))
                .and_then(|(_, p)| p.parse().ok());
            at.stream_route(port)
        } else {
            self.routes.route(
                at,
                host.as_deref(),
                path_of.as_deref(),
                server.as_deref(),
                None,
            )
        };
        // nginx answered itself: no upstream group is at fault
        let local = matches!(cause.id, "rate-limited" | "auth-request-failed");
        let group = if local {
            None
        } else if peer.is_empty() {
            loc.and_then(|l| at.pass_of(l))
                .and_then(|p| at.model.pass(p).upstream)
        } else {
            at.group_of(&peer, loc)
        };
        let k = self.tally.intern((cause.id.to_string(), group, srv, loc));
        let a = &mut self.tally.accs[k];
        a.error_lines += 1;
        a.seen_in_bucket(line.time, self.bucket);
        if !peer.is_empty() {
            a.peers.entry(peer.clone()).or_default();
        }
        if a.samples.len() < 3 {
            a.samples.push(Sample {
                file: info.path.clone(),
                line: info.lines,
                text: String::from_utf8_lossy(raw).chars().take(600).collect(),
            });
        }
        self.events.push(
            &peer,
            Event {
                time: line.time,
                cid: line.cid,
                pid: line.pid,
                key: k,
                request,
                used: false,
            },
        );
    }
}
