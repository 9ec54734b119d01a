//! Mergeable aggregates: cause × upstream × server groups with counts,
//! first/last seen, a bucketed timeline, top requests, the first sample
//! lines and status totals.
//!
//! Each worker fills its own [`Aggregate`] from the blocks it is given and
//! the partial aggregates are merged at the end, so the result does not
//! depend on how the input was split. Keys are only allocated when a group
//! (or a request within a group) is first seen; the per-line path borrows.
//! Sizes are capped (groups, distinct requests per group, samples) so memory
//! stays bounded whatever the input; what overflows is still counted.
//!
//! Which keys a capped map keeps is decided by the key alone (its
//! [`key_rank`]: the lowest ranks are kept), never by the order lines
//! arrive in, so the report is the same whatever the thread count and
//! however the input is cut into blocks: a key kept in the whole input is
//! kept in every part of it, so its counts are exact, and the rest add up
//! in the overflow (`(other)` group, `other_requests`). "The first keys
//! seen" would depend on which worker saw which block first.

use std::collections::BinaryHeap;

mod ranked;
mod timeline;

pub use ranked::RankedMap;
pub use timeline::{auto_width, Timeline, MAX_BUCKETS, TARGET_CELLS};

use super::causes::{self, CauseId, CAUSES};
use super::classify::Verdict;
use super::line::{self, Level, Line};

/// Samples kept per group.
pub const MAX_SAMPLES: usize = 3;
/// Distinct requests tracked per group (those of lowest [`key_rank`]); the
/// rest are counted as "other".
pub const MAX_REQUESTS: usize = 128;
/// Distinct groups (those of lowest [`key_rank`]); the other (cause,
/// upstream, server) keys fold into one "(other)" group per cause.
pub const MAX_GROUPS: usize = 1_000;
/// Key suffix of the per-cause overflow group.
const OTHER_KEY: &[u8] = b"(other)\0(other)";
/// Longest sample text kept, in bytes.
pub const MAX_SAMPLE_BYTES: usize = 4096;

/// Flag of a provisional line number: block sequence number in bits 32..63,
/// line within the block (1-based) below. Provisional numbers of one input
/// sort like the real ones, so merging keeps the same first samples.
const PROVISIONAL: u64 = 1 << 63;

/// The provisional number of line `rel` (1-based) of block `seq`.
pub fn provisional_line(seq: u64, rel: u64) -> u64 {
    PROVISIONAL | seq << 32 | rel
}

/// The rank that decides which keys a capped map keeps: a 64-bit hash of
/// the key bytes, fixed (no per-run seed) so that every run, split and
/// platform keeps the same keys. Ties between group keys, which 64 bits
/// make all but impossible, are broken by the key bytes.
pub fn key_rank(key: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = 0x243f_6a88_85a3_08d3 ^ key.len() as u64;
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let mut w = [0u8; 8];
    w[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K);
    // splitmix64's finaliser: every input bit reaches every output bit.
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ h >> 31
}

/// FxHash (`rustc-hash`): the keys are short byte strings of our own
/// making; no need for a DoS-resistant hasher on the hot path.
pub use rustc_hash::FxHasher;
pub type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// One sample line with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Index of the input (see the run's input list).
    pub input: u32,
    /// 1-based line number within that input.
    pub line: u64,
    pub text: String,
    /// The line's hint (see [`super::classify::hint`]); a group's hint is
    /// that of its first sample that has one.
    pub hint: Option<String>,
}

/// Counts per status (`None` = no new status).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub by_status: Vec<(u16, u64)>,
    pub none: u64,
}

impl StatusCounts {
    pub fn add(&mut self, status: Option<u16>, n: u64) {
        match status {
            None => self.none += n,
            Some(s) => match self.by_status.iter_mut().find(|e| e.0 == s) {
                Some(e) => e.1 += n,
                None => {
                    self.by_status.push((s, n));
                    self.by_status.sort_unstable();
                }
            },
        }
    }
    pub fn merge(&mut self, other: &StatusCounts) {
        self.none += other.none;
        for &(s, n) in &other.by_status {
            self.add(Some(s), n);
        }
    }
    pub fn get(&self, status: u16) -> u64 {
        self.by_status
            .iter()
            .find(|e| e.0 == status)
            .map_or(0, |e| e.1)
    }
}

/// One cause × upstream × server group.
#[derive(Debug, Clone, Default)]
pub struct Group {
    pub cause: CauseId,
    pub upstream: String,
    pub server: String,
    /// Scheme of the group's first line (`http`, `fastcgi`, ...; empty
    /// without an `upstream:`).
    pub scheme: String,
    /// Position (input, line) of the line `scheme` was taken from.
    scheme_at: (u32, u64),
    pub count: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub statuses: StatusCounts,
    pub timeline: Timeline,
    /// Request → lines. Between two prunings it may hold a few more than
    /// [`MAX_REQUESTS`]; the kept ones are those of lowest rank (see
    /// [`Group::top_requests`]).
    pub requests: RankedMap<u64>,
    /// The highest rank kept at the last pruning: a new request is counted
    /// on its own only below it.
    request_cut: Option<u64>,
    pub other_requests: u64,
    pub samples: Vec<Sample>,
    pub hint: Option<String>,
}

impl Group {
    fn merge(&mut self, o: Group) {
        self.count += o.count;
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
        self.statuses.merge(&o.statuses);
        self.timeline.merge(&o.timeline);
        self.other_requests += o.other_requests;
        for (k, rank, n) in o.requests.into_entries() {
            self.add_request(rank, &k, n);
        }
        if o.scheme_at < self.scheme_at {
            self.scheme = o.scheme;
            self.scheme_at = o.scheme_at;
        }
        self.samples.extend(o.samples);
        self.samples.sort_by_key(|s| (s.input, s.line));
        self.samples.truncate(MAX_SAMPLES);
        self.hint = self.samples.iter().find_map(|s| s.hint.clone());
    }

    /// Count `n` lines of request `key` (of rank `rank`): kept while there
    /// is room or when it ranks below the highest-ranked kept request
    /// (which then moves to `other_requests`); otherwise counted in
    /// `other_requests`.
    fn add_request(&mut self, rank: u64, key: &[u8], n: u64) {
        // Every request kept ranks at or below the cut: one above it is
        // not among them.
        if self.request_cut.is_some_and(|cut| rank > cut) {
            self.other_requests += n;
            return;
        }
        if let Some(c) = self.requests.get_mut(rank, key) {
            *c += n;
            return;
        }
        if self.request_cut.is_some_and(|cut| rank >= cut) {
            self.other_requests += n;
            return;
        }
        self.requests.insert_new(rank, key.into(), n);
        if self.requests.len() > MAX_REQUESTS + MAX_REQUESTS / 4 {
            self.prune_requests();
        }
    }

    /// Keep the [`MAX_REQUESTS`] requests of lowest rank (their counts go
    /// to `other_requests`); from then on only a request of lower rank
    /// than the highest kept is counted on its own. Pruning a quarter at a
    /// time keeps this off the per-line path; a request kept past the cut
    /// between two prunings is dropped at the next one or by
    /// [`Group::top_requests`], which only reads the lowest ranks.
    fn prune_requests(&mut self) {
        let mut ranks: Vec<u64> = self.requests.iter().map(|r| r.1).collect();
        if ranks.len() <= MAX_REQUESTS {
            return;
        }
        let (_, &mut cut, _) = ranks.select_nth_unstable(MAX_REQUESTS - 1);
        let mut dropped = 0;
        self.requests.retain(|rank, n| {
            let keep = rank <= cut;
            if !keep {
                dropped += *n;
            }
            keep
        });
        self.other_requests += dropped;
        self.request_cut = Some(cut);
    }

    /// Lines with a request line, kept or not.
    pub fn request_lines(&self) -> u64 {
        self.other_requests + self.requests.values().sum::<u64>()
    }

    /// Count one line in this group.
    fn count_line(&mut self, bucket: i64, l: &LineFacts<'_, '_>) {
        self.count += 1;
        self.statuses.add(l.verdict.status, 1);
        if let Some(t) = l.time {
            self.first = min_opt(self.first, Some(t));
            self.last = max_opt(self.last, Some(t));
            self.timeline.add(t, 1, bucket);
        }
        if let Some(r) = l.request {
            self.add_request(key_rank(r), r, 1);
        }
        if l.at < self.scheme_at {
            self.scheme = super::bytes::text(l.scheme).into_owned();
            self.scheme_at = l.at;
        }
        // Samples are the first lines in input order. A worker may get a
        // later input's blocks before an earlier one's, so keep the list
        // sorted and let an earlier line displace a later one.
        if self.samples.len() < MAX_SAMPLES
            || self
                .samples
                .last()
                .is_some_and(|s| (s.input, s.line) > l.at)
        {
            let text = &l.raw[..l.raw.len().min(MAX_SAMPLE_BYTES)];
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            let i = self.samples.partition_point(|s| (s.input, s.line) < l.at);
            self.samples.insert(
                i,
                Sample {
                    input: l.at.0,
                    line: l.at.1,
                    text: super::bytes::text(text).into_owned(),
                    hint: l.parsed.and_then(super::classify::hint),
                },
            );
            self.samples.truncate(MAX_SAMPLES);
            self.hint = self.samples.iter().find_map(|s| s.hint.clone());
        }
    }

    /// Requests by count, highest first (ties by text).
    pub fn top_requests(&self, n: usize) -> Vec<(String, u64)> {
        // The requests kept: the MAX_REQUESTS of lowest rank.
        let mut kept: Vec<(&[u8], u64, u64)> = self
            .requests
            .iter()
            .map(|(k, rank, n)| (k, rank, *n))
            .collect();
        if kept.len() > MAX_REQUESTS {
            kept.select_nth_unstable_by_key(MAX_REQUESTS - 1, |r| (r.1, r.0));
            kept.truncate(MAX_REQUESTS);
        }
        let mut v: Vec<(String, u64)> = kept
            .into_iter()
            .map(|(k, _, c)| (super::bytes::text(k).into_owned(), c))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// What [`Group::count_line`] needs of a line.
struct LineFacts<'a, 'l> {
    /// (input, line number).
    at: (u32, u64),
    scheme: &'a [u8],
    raw: &'a [u8],
    parsed: Option<&'a Line<'l>>,
    verdict: &'a Verdict,
    time: Option<i64>,
    /// The normalised request.
    request: Option<&'a [u8]>,
}

/// (scheme, upstream key, server, request line) of a line.
type KeyParts<'a> = (&'a [u8], &'a [u8], &'a [u8], Option<&'a [u8]>);

/// The aggregate of any number of lines.
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// Timeline bucket width in seconds.
    pub bucket: i64,
    /// Lines read, per input index.
    pub lines_per_input: Vec<u64>,
    /// Lines excluded by filters.
    pub filtered: u64,
    /// Continuation lines of multi-line messages, counted with their head
    /// line's event (see [`super::record`]). Lines read = events counted +
    /// filtered + continuation.
    pub continuation: u64,
    /// Lines counted, per cause (table index).
    pub per_cause: Vec<u64>,
    /// Lines counted, per level (`Level as usize`; index 8 = no level).
    pub per_level: [u64; 9],
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// The kept groups and the "(other)" group of each cause that has one.
    pub groups: RankedMap<Group>,
    /// (rank, key) of every kept group, highest rank on top: once
    /// [`MAX_GROUPS`] are kept, the top one is the cut a new key must rank
    /// below.
    kept: BinaryHeap<(u64, Box<[u8]>)>,
    /// The overflow group's rank and key of each cause.
    other_keys: Vec<(u64, Box<[u8]>)>,
    /// The request of the line being counted, normalised.
    request_buf: Vec<u8>,
}

impl Aggregate {
    pub fn new(bucket: i64) -> Aggregate {
        Aggregate {
            bucket: bucket.max(1),
            lines_per_input: Vec::new(),
            filtered: 0,
            continuation: 0,
            per_cause: vec![0; CAUSES.len()],
            per_level: [0; 9],
            first: None,
            last: None,
            groups: RankedMap::default(),
            kept: BinaryHeap::new(),
            other_keys: (0..CAUSES.len())
                .map(|c| {
                    let mut k = vec![c as CauseId];
                    k.extend_from_slice(OTHER_KEY);
                    (key_rank(&k), k.into())
                })
                .collect(),
            request_buf: Vec::new(),
        }
    }

    /// Lines read in all inputs.
    pub fn lines(&self) -> u64 {
        self.lines_per_input.iter().sum()
    }

    /// Lines counted (after filters).
    pub fn counted(&self) -> u64 {
        self.per_cause.iter().sum()
    }

    /// Record that `n` lines were read from `input`.
    pub fn read_lines(&mut self, input: u32, n: u64) {
        let i = input as usize;
        if self.lines_per_input.len() <= i {
            self.lines_per_input.resize(i + 1, 0);
        }
        self.lines_per_input[i] += n;
    }

    /// Count one line. `scratch` is a reusable key buffer.
    pub fn add(
        &mut self,
        input: u32,
        line_no: u64,
        raw: &[u8],
        parsed: Option<&Line<'_>>,
        verdict: &Verdict,
        scratch: &mut Vec<u8>,
    ) {
        self.per_cause[verdict.cause as usize] += 1;
        let level_idx = parsed.and_then(|l| l.level).map_or(8, |l| l as usize);
        self.per_level[level_idx] += 1;
        let time = parsed.and_then(|l| l.time);
        if let Some(t) = time {
            self.first = min_opt(self.first, Some(t));
            self.last = max_opt(self.last, Some(t));
        }

        let (scheme, upstream, server, request): KeyParts<'_> = match parsed {
            Some(l) => {
                let (scheme, up) = line::upstream_key(l);
                (scheme, up, l.fields.server.unwrap_or(b""), l.fields.request)
            }
            None => (b"", b"", b"", None),
        };
        scratch.clear();
        scratch.push(verdict.cause);
        scratch.extend_from_slice(upstream);
        scratch.push(0);
        scratch.extend_from_slice(server);

        let at = (input, line_no);
        let cause = verdict.cause;
        let new = |up: &[u8], srv: &[u8]| Group {
            cause,
            upstream: super::bytes::text(up).into_owned(),
            server: super::bytes::text(srv).into_owned(),
            scheme: super::bytes::text(scheme).into_owned(),
            scheme_at: at,
            ..Group::default()
        };
        let mut buf = std::mem::take(&mut self.request_buf);
        let request = request.map(|r| {
            buf.clear();
            line::normalize_request(line::request_key(r), &mut buf);
            &buf[..]
        });
        let line = LineFacts {
            at,
            scheme,
            raw,
            parsed,
            verdict,
            time,
            request,
        };
        self.count_in_group(
            scratch,
            &line,
            || new(upstream, server),
            || new(b"(other)", b"(other)"),
        );
        self.request_buf = buf;
    }

    /// Count a line in the group of `key`, or (when that group is not
    /// kept) in its cause's "(other)" group; `new`/`new_other` make the
    /// group when it is the first line.
    fn count_in_group(
        &mut self,
        key: &[u8],
        line: &LineFacts<'_, '_>,
        new: impl FnOnce() -> Group,
        new_other: impl FnOnce() -> Group,
    ) {
        let rank = key_rank(key);
        // Once the groups are full, a key ranked past the cut is not among
        // them (most lines of a varied log): no need to look it up, and
        // it cannot be admitted either.
        let past = self.past_cut(rank, key);
        if !past {
            if let Some(g) = self.groups.get_mut(rank, key) {
                g.count_line(self.bucket, line);
                return;
            }
        }
        let (rank, key, mut g) = if !past && self.admit(rank, key) {
            (rank, key.into(), new())
        } else {
            let (rank, other) = &self.other_keys[line.verdict.cause as usize];
            if let Some(g) = self.groups.get_mut(*rank, other) {
                g.count_line(self.bucket, line);
                return;
            }
            (*rank, other.clone(), new_other())
        };
        g.count_line(self.bucket, line);
        self.groups.insert_new(rank, key, g);
    }

    /// Are the kept groups full and does `key` rank above all of them? Then
    /// it is not kept (an "(other)" group's key may be, but then it is
    /// counted in that same group either way).
    fn past_cut(&self, rank: u64, key: &[u8]) -> bool {
        self.kept.len() >= MAX_GROUPS
            && self
                .kept
                .peek()
                .is_some_and(|top| (rank, key) > (top.0, &top.1[..]))
    }

    /// May a group with `key` (not in `groups`) be kept? While there is
    /// room, yes; then only when it ranks below the highest-ranked kept
    /// group, which is folded into its cause's "(other)" group instead.
    fn admit(&mut self, rank: u64, key: &[u8]) -> bool {
        if self.kept.len() < MAX_GROUPS {
            self.kept.push((rank, key.into()));
            return true;
        }
        match self.kept.peek() {
            Some(top) if (rank, key) < (top.0, &top.1[..]) => {}
            _ => return false,
        }
        if let Some((evicted_rank, evicted)) = self.kept.pop() {
            if let Some(g) = self.groups.remove(evicted_rank, &evicted) {
                self.fold(g);
            }
        }
        self.kept.push((rank, key.into()));
        true
    }

    /// Fold a group that is not kept into its cause's "(other)" group.
    fn fold(&mut self, mut g: Group) {
        let (rank, key) = &self.other_keys[g.cause as usize];
        "(other)".clone_into(&mut g.upstream);
        "(other)".clone_into(&mut g.server);
        match self.groups.get_mut(*rank, key) {
            Some(other) => other.merge(g),
            None => self.groups.insert_new(*rank, key.clone(), g),
        }
    }

    /// Replace provisional sample line numbers (see [`provisional_line`])
    /// with real ones; `first_line(seq)` is the number of the first line of
    /// block `seq`.
    pub fn renumber(&mut self, first_line: impl Fn(u64) -> Option<u64>) {
        for g in self.groups.values_mut() {
            for s in &mut g.samples {
                if s.line & PROVISIONAL != 0 {
                    let seq = (s.line & !PROVISIONAL) >> 32;
                    let rel = s.line & 0xffff_ffff;
                    if let Some(first) = first_line(seq) {
                        s.line = first + rel - 1;
                    }
                }
            }
        }
    }

    /// Choose the timeline width once the span is known (`auto`), and
    /// bring every group's timeline to it.
    pub fn finish_timelines(&mut self, auto: bool) {
        if !auto {
            return;
        }
        let span = match (self.first, self.last) {
            (Some(a), Some(b)) => b - a,
            _ => return,
        };
        let base = self
            .groups
            .values()
            .map(|g| g.timeline.width)
            .max()
            .unwrap_or(1)
            .max(self.bucket);
        let width = auto_width(span, base);
        for g in self.groups.values_mut() {
            g.timeline.rebucket(width);
        }
        self.bucket = width;
    }

    /// Merge another partial aggregate into this one.
    pub fn merge(&mut self, other: Aggregate) {
        if self.lines_per_input.len() < other.lines_per_input.len() {
            self.lines_per_input.resize(other.lines_per_input.len(), 0);
        }
        for (i, n) in other.lines_per_input.iter().enumerate() {
            self.lines_per_input[i] += n;
        }
        self.filtered += other.filtered;
        self.continuation += other.continuation;
        for (a, b) in self.per_cause.iter_mut().zip(&other.per_cause) {
            *a += b;
        }
        for (a, b) in self.per_level.iter_mut().zip(&other.per_level) {
            *a += b;
        }
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
        // Kept here or there, a key kept in the whole input ranks low
        // enough to be kept in each part: its counts merge whole.
        for (k, rank, g) in other.groups.into_entries() {
            if k.len() == 1 + OTHER_KEY.len() && k[1..] == *OTHER_KEY {
                self.fold(g);
            } else if let Some(mine) = self.groups.get_mut(rank, &k) {
                mine.merge(g);
            } else if self.admit(rank, &k) {
                self.groups.insert_new(rank, k, g);
            } else {
                self.fold(g);
            }
        }
    }

    /// Status totals over all groups.
    pub fn statuses(&self) -> StatusCounts {
        let mut s = StatusCounts::default();
        for g in self.groups.values() {
            s.merge(&g.statuses);
        }
        s
    }

    /// Groups of one cause, largest first.
    pub fn groups_of(&self, cause: CauseId) -> Vec<&Group> {
        let mut v: Vec<&Group> = self.groups.values().filter(|g| g.cause == cause).collect();
        v.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.upstream.cmp(&b.upstream))
                .then_with(|| a.server.cmp(&b.server))
        });
        v
    }

    /// Causes with at least one line, most lines first (ties in table order).
    pub fn causes_by_count(&self) -> Vec<(CauseId, u64)> {
        let mut v: Vec<(CauseId, u64)> = self
            .per_cause
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (i as CauseId, *n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Per-cause timeline (all groups of the cause).
    pub fn cause_timeline(&self, cause: CauseId) -> Timeline {
        let mut t = Timeline::default();
        for g in self.groups.values().filter(|g| g.cause == cause) {
            t.merge(&g.timeline);
        }
        t
    }

    /// Lines at `level` (None = lines without a level).
    pub fn level_count(&self, level: Option<Level>) -> u64 {
        self.per_level[level.map_or(8, |l| l as usize)]
    }

    /// Status of a cause, summed over its groups.
    pub fn cause_statuses(&self, cause: CauseId) -> StatusCounts {
        let mut s = StatusCounts::default();
        for g in self.groups.values().filter(|g| g.cause == cause) {
            s.merge(&g.statuses);
        }
        s
    }
}

/// Cause id string of a group (for reporters).
pub fn cause_id(g: &Group) -> &'static str {
    causes::cause(g.cause).id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::classify::{classify, unparsable};

    fn feed(agg: &mut Aggregate, input: u32, start: u64, lines: &[&str]) {
        let mut scratch = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let parsed = line::parse(l.as_bytes());
            let v = parsed.as_ref().map_or_else(unparsable, classify);
            agg.add(
                input,
                start + i as u64,
                l.as_bytes(),
                parsed.as_ref(),
                &v,
                &mut scratch,
            );
        }
        agg.read_lines(input, lines.len() as u64);
    }

    const A: &str = "2026/11/25 15:17:18 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: lab, request: \"GET /a?x=1 HTTP/1.1\", upstream: \"http://127.0.0.1:1/a?x=1\"";
    const B: &str = "2026/11/25 15:19:30 [error] 1#1: *2 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: lab, request: \"GET /b HTTP/1.1\", upstream: \"http://127.0.0.1:1/b\"";
    const C: &str = "2026/11/25 15:18:00 [error] 1#1: *3 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: lab, request: \"GET /b/123 HTTP/1.1\", upstream: \"http://127.0.0.1:2/b\"";

    #[test]
    fn samples_are_the_first_lines_in_input_order() {
        let l = "2026/11/25 15:00:00 [error] 1#1: *1 no live upstreams while connecting to upstream, client: 1.1.1.1, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://u/\"";
        let mut agg = Aggregate::new(60);
        // Input 1 arrives first, then input 0: input 0's lines win.
        feed(&mut agg, 1, 1, &[l; 4]);
        feed(&mut agg, 0, 7, &[l; 2]);
        let g = agg.groups.values().next().unwrap();
        let pos: Vec<(u32, u64)> = g.samples.iter().map(|s| (s.input, s.line)).collect();
        assert_eq!(pos, [(0, 7), (0, 8), (1, 1)]);
    }

    #[test]
    fn groups_counts_and_timeline() {
        let mut agg = Aggregate::new(60);
        feed(&mut agg, 0, 1, &[A, B, C, A, "garbage"]);
        assert_eq!(agg.lines(), 5);
        assert_eq!(agg.counted(), 5);
        let refused = causes::find("connect-refused").unwrap();
        let g = agg.groups_of(refused);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].count, 3);
        assert_eq!(g[0].upstream, "127.0.0.1:1");
        assert_eq!(g[0].server, "lab");
        assert_eq!(g[0].scheme, "http");
        assert_eq!(g[0].statuses.get(502), 3);
        assert_eq!(g[0].timeline.buckets.len(), 2);
        assert_eq!(g[0].top_requests(1), vec![("GET /a".to_string(), 2)]);
        let timeout = agg.groups_of(causes::find("read-timeout").unwrap());
        assert_eq!(
            timeout[0].top_requests(1),
            vec![("GET /b/:id".to_string(), 1)]
        );
        assert_eq!(
            g[0].samples.iter().map(|s| s.line).collect::<Vec<_>>(),
            [1, 2, 4]
        );
        assert_eq!(agg.statuses().get(504), 1);
        assert_eq!(agg.per_cause[causes::unparsable() as usize], 1);
    }

    #[test]
    fn merge_is_split_independent() {
        let lines = [A, C, B, A, "x", C, B];
        let mut whole = Aggregate::new(60);
        feed(&mut whole, 0, 1, &lines);
        let mut left = Aggregate::new(60);
        feed(&mut left, 0, 1, &lines[..3]);
        let mut right = Aggregate::new(60);
        feed(&mut right, 0, 4, &lines[3..]);
        // Merge in the "wrong" order: samples still come out in line order.
        right.merge(left);
        assert_eq!(right.lines(), whole.lines());
        assert_eq!(right.per_cause, whole.per_cause);
        assert_eq!(right.first, whole.first);
        assert_eq!(right.last, whole.last);
        for (k, _, g) in whole.groups.iter() {
            let m = right.groups.get(k).unwrap();
            assert_eq!(m.count, g.count);
            assert_eq!(m.timeline, g.timeline);
            assert_eq!(m.samples, g.samples);
            assert_eq!(m.statuses, g.statuses);
            assert_eq!(m.top_requests(10), g.top_requests(10));
        }
    }

    #[test]
    fn request_cap_counts_the_rest() {
        let mut g = Group::default();
        for i in 0..300 {
            let r = format!("GET /{i}");
            g.add_request(key_rank(r.as_bytes()), r.as_bytes(), 1);
        }
        assert!(g.requests.len() <= MAX_REQUESTS + MAX_REQUESTS / 4);
        assert_eq!(g.request_lines(), 300);
        let kept = g.top_requests(usize::MAX);
        assert_eq!(kept.len(), MAX_REQUESTS);
        // The requests kept are those of lowest rank, however they came.
        let mut ranks: Vec<(u64, String)> = (0..300)
            .map(|i| format!("GET /{i}"))
            .map(|r| (key_rank(r.as_bytes()), r))
            .collect();
        ranks.sort();
        let mut want: Vec<String> = ranks[..MAX_REQUESTS].iter().map(|r| r.1.clone()).collect();
        want.sort();
        let mut got: Vec<String> = kept.into_iter().map(|r| r.0).collect();
        got.sort();
        assert_eq!(got, want);
    }
}
