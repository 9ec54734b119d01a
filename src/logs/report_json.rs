//! `--format json`: one `ngxray/logs/v1` document (schema in
//! docs/schema/logs.schema.json). Fields are only ever added within v1.

use std::collections::BTreeMap;

use serde::Serialize;

use super::aggregate::{Aggregate, Group, StatusCounts, Timeline};
use super::causes;
use super::time::format_iso;
use super::{InputInfo, Outcome};

pub const SCHEMA: &str = "ngxray/logs/v1";

/// Top requests listed per group.
pub const TOP_REQUESTS: usize = 5;

#[derive(Serialize)]
pub struct Document<'a> {
    pub schema: &'static str,
    pub version: &'static str,
    pub inputs: &'a [InputInfo],
    /// Lines read from all inputs.
    pub lines: u64,
    /// Lines counted (after filters); the sum of `causes[].count`.
    pub counted: u64,
    /// Lines dropped by filters.
    pub filtered: u64,
    /// Continuation lines of multi-line messages, counted with the event of
    /// their first line: `lines = counted + filtered + continuation_lines`.
    pub continuation_lines: u64,
    /// Inputs not read, or not to their end (see stderr for why).
    pub skipped: &'a [String],
    pub time: TimeRange,
    pub bucket_seconds: i64,
    /// Lines per final status the log explains, e.g. `{"502": 12}`.
    pub status_totals: BTreeMap<String, u64>,
    /// Lines that produce no new status (body phase, notices).
    pub no_status: u64,
    pub levels: BTreeMap<&'static str, u64>,
    pub causes: Vec<CauseOut>,
}

#[derive(Serialize)]
pub struct TimeRange {
    pub first: Option<String>,
    pub last: Option<String>,
}

pub use super::shapes::{share, CauseOut, GroupOut, RequestOut, SampleOut};

fn statuses(s: &StatusCounts) -> BTreeMap<String, u64> {
    s.by_status
        .iter()
        .map(|(k, v)| (format!("{k:03}"), *v))
        .collect()
}

fn timeline(t: &Timeline) -> Vec<(String, u64)> {
    t.buckets
        .iter()
        .map(|(b, n)| (format_iso(*b), *n))
        .collect()
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn group(g: &Group, counted: u64, inputs: &[InputInfo]) -> GroupOut {
    let top: Vec<RequestOut> = g
        .top_requests(TOP_REQUESTS)
        .into_iter()
        .map(|(request, count)| RequestOut { request, count })
        .collect();
    GroupOut {
        host: None,
        upstream: non_empty(&g.upstream),
        server: non_empty(&g.server),
        scheme: non_empty(&g.scheme),
        count: g.count,
        share: share(g.count, counted),
        first: g.first.map(format_iso),
        last: g.last.map(format_iso),
        status: statuses(&g.statuses),
        timeline_bucket_seconds: g.timeline.width,
        timeline: timeline(&g.timeline),
        other_requests: g.request_lines() - top.iter().map(|r| r.count).sum::<u64>(),
        top_requests: top,
        samples: g
            .samples
            .iter()
            .map(|s| SampleOut {
                file: inputs
                    .get(s.input as usize)
                    .map_or_else(|| "-".to_string(), |i| i.name.clone()),
                line: s.line,
                text: s.text.clone(),
            })
            .collect(),
        hint: g.hint.clone(),
    }
}

/// Build the document.
pub fn document(outcome: &Outcome) -> Document<'_> {
    let agg: &Aggregate = &outcome.aggregate;
    let counted = agg.counted();
    let all = agg.statuses();
    let mut levels = BTreeMap::new();
    for l in super::line::Level::ALL {
        levels.insert(l.as_str(), agg.level_count(Some(l)));
    }
    levels.insert("none", agg.level_count(None));
    let causes_out = agg
        .causes_by_count()
        .into_iter()
        .map(|(id, count)| {
            let c = causes::cause(id);
            let groups = agg.groups_of(id);
            let cause_timeline = agg.cause_timeline(id);
            let first = groups.iter().filter_map(|g| g.first).min();
            let last = groups.iter().filter_map(|g| g.last).max();
            CauseOut {
                id: c.id.to_string(),
                title: c.title.to_string(),
                kind: c.kind.as_str().to_string(),
                client_status: c.client_status.to_string(),
                count,
                share: share(count, counted),
                first: first.map(format_iso),
                last: last.map(format_iso),
                status: statuses(&agg.cause_statuses(id)),
                explanation: c.explanation.to_string(),
                rules: c.rules.iter().map(|r| r.to_string()).collect(),
                hosts: None,
                upstreams: None,
                top_requests: None,
                timeline_bucket_seconds: cause_timeline.width,
                timeline: timeline(&cause_timeline),
                groups: groups
                    .iter()
                    .map(|g| group(g, counted, &outcome.inputs))
                    .collect(),
            }
        })
        .collect();
    Document {
        schema: SCHEMA,
        version: env!("CARGO_PKG_VERSION"),
        inputs: &outcome.inputs,
        lines: agg.lines(),
        counted,
        filtered: agg.filtered,
        continuation_lines: agg.continuation,
        skipped: &outcome.skipped,
        time: TimeRange {
            first: agg.first.map(format_iso),
            last: agg.last.map(format_iso),
        },
        bucket_seconds: agg.bucket,
        status_totals: statuses(&all),
        no_status: all.none,
        levels,
        causes: causes_out,
    }
}

/// Write the document as compact JSON (with a final newline), streaming.
pub fn write(outcome: &Outcome, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    // Keep the kind of an output error (a closed pipe is not a failure).
    super::safe_json::to_writer(&mut *out, &document(outcome)).map_err(|e| {
        match e.io_error_kind() {
            Some(kind) => std::io::Error::new(kind, e),
            None => std::io::Error::other(e),
        }
    })?;
    out.write_all(b"\n")
}

/// The document as a string (tests, small outputs).
pub fn render(outcome: &Outcome) -> String {
    let mut v = Vec::new();
    // Writing into a Vec only fails on serialisation errors, which plain
    // structs do not have.
    let _ = write(outcome, &mut v);
    String::from_utf8_lossy(&v).into_owned()
}
