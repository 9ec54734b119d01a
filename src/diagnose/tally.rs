//! The state one diagnosis builds while it reads the logs: failure
//! accumulators per finding key (cause × upstream group × server ×
//! location), per-group totals, and a memo of where nginx routes a request.
//! Both log readers ([`super::read_error`], [`super::read_access`]) fill
//! it; [`super::rank`] turns it into findings.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use super::attr::{Attributor, DirectiveRef};
use super::read_error::Events;
use super::{AccessSummary, ErrorSummary, InputInfo, Sample};
use crate::logs::aggregate::{FxHasher, FxMap};
use crate::model::{ScopeId, UpstreamId};

/// What a finding is about: cause × upstream group × server × location.
pub(super) type Key = (String, Option<UpstreamId>, Option<usize>, Option<ScopeId>);

/// (host, path, `$server_name`, port) of a request: where nginx routes it.
type RouteKey = (Option<String>, Option<String>, Option<String>, Option<u16>);

/// The server (index) and location a request is routed to.
pub(super) type Route = (Option<usize>, Option<ScopeId>);

/// The evidence of one finding key.
#[derive(Default)]
pub(super) struct Acc {
    pub error_lines: u64,
    pub attempts: u64,
    pub requests: u64,
    pub peers: BTreeMap<String, u64>,
    pub final_status: BTreeMap<u16, u64>,
    pub retried_ok: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Failures per bucket start.
    pub buckets: BTreeMap<i64, u64>,
    pub samples: Vec<Sample>,
}

impl Acc {
    /// A failure at `t`: widens first/last.
    pub fn seen(&mut self, t: Option<i64>) {
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }

    /// A failure at `t`, counted in its bucket too.
    pub fn seen_in_bucket(&mut self, t: Option<i64>, bucket: i64) {
        self.seen(t);
        if let Some(t) = t {
            *self
                .buckets
                .entry(t.div_euclid(bucket) * bucket)
                .or_default() += 1;
        }
    }
}

/// Totals of one upstream group, from access.log.
#[derive(Default)]
pub(super) struct GroupAcc {
    pub requests: u64,
    pub attempts: u64,
    pub final_status: BTreeMap<u16, u64>,
    pub retried_ok: u64,
    pub latencies: Vec<f32>,
    /// Bucket start → final status → requests.
    pub buckets: BTreeMap<i64, BTreeMap<u16, u64>>,
    /// The smallest effective read timeout where the group is used.
    pub read_timeout: Option<(u64, DirectiveRef)>,
}

/// Finding keys in first-seen order, each with its accumulator.
#[derive(Default)]
pub(super) struct Tally {
    pub keys: Vec<Key>,
    index: HashMap<Key, usize>,
    pub accs: Vec<Acc>,
}

impl Tally {
    /// The accumulator index of a key (created on first sight).
    pub fn intern(&mut self, k: Key) -> usize {
        let (keys, accs) = (&mut self.keys, &mut self.accs);
        *self.index.entry(k.clone()).or_insert_with(|| {
            keys.push(k);
            accs.push(Acc::default());
            accs.len() - 1
        })
    }
}

/// Where requests are routed, memoized: looked up by hash without
/// allocating, confirmed by comparing the key.
#[derive(Default)]
pub(super) struct Routes {
    memo: FxMap<u64, Vec<(RouteKey, Route)>>,
    len: usize,
}

impl Routes {
    /// The server and location nginx chooses for a request.
    pub fn route(
        &mut self,
        at: &Attributor<'_, '_>,
        host: Option<&str>,
        path: Option<&str>,
        sn: Option<&str>,
        port: Option<u16>,
    ) -> Route {
        let mut h = FxHasher::default();
        (host, path, sn, port).hash(&mut h);
        let hash = h.finish();
        if let Some(v) = self.memo.get(&hash) {
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
        if self.len < 200_000 {
            self.len += 1;
            let k = (
                host.map(str::to_string),
                path.map(str::to_string),
                sn.map(str::to_string),
                port,
            );
            self.memo.entry(hash).or_default().push((k, (s, l)));
        }
        (s, l)
    }
}

/// Everything both log readers fill.
pub(super) struct Join<'x, 'm, 'a> {
    pub at: &'x Attributor<'m, 'a>,
    /// Onset and timeline bucket width, seconds.
    pub bucket: i64,
    pub tally: Tally,
    pub routes: Routes,
    pub events: Events,
    pub inputs: Vec<InputInfo>,
    pub errors: ErrorSummary,
    pub access: AccessSummary,
    pub groups: HashMap<Option<UpstreamId>, GroupAcc>,
    /// Error logs were given (their lines count, not access-log attempts).
    pub have_errors: bool,
    /// UTC offset the access log states (the last one seen).
    pub offset: Option<i32>,
    /// Earliest and latest time in either log.
    pub t_min: Option<i64>,
    pub t_max: Option<i64>,
}

impl<'x, 'm, 'a> Join<'x, 'm, 'a> {
    pub fn new(at: &'x Attributor<'m, 'a>, bucket: i64, have_errors: bool) -> Self {
        Join {
            at,
            bucket,
            tally: Tally::default(),
            routes: Routes::default(),
            events: Events::default(),
            inputs: Vec::new(),
            errors: ErrorSummary::default(),
            access: AccessSummary::default(),
            groups: HashMap::new(),
            have_errors,
            offset: None,
            t_min: None,
            t_max: None,
        }
    }

    /// Widen the time span of the logs.
    pub fn span(&mut self, t: Option<i64>) {
        if let Some(t) = t {
            self.t_min = Some(self.t_min.map_or(t, |m| m.min(t)));
            self.t_max = Some(self.t_max.map_or(t, |m| m.max(t)));
        }
    }
}
