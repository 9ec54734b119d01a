//! `ngxray logs --merge`: many hosts' `--format json` documents
//! (`ngxray/logs/v1`) into one fleet report (`ngxray/fleet/v1`).
//!
//! A fleet runs `ngxray logs --format json` on each host (or over each
//! host's shipped logs) and merges the small documents centrally instead of
//! moving the logs. Counts, status and level totals add up exactly; first
//! and last seen are the minimum and maximum over hosts; timelines are put
//! on one bucket width (the widest of the inputs, buckets aligned to the
//! epoch, so per-host counts add up per bucket) and summed; the groups
//! (cause × upstream × server) of every host are kept with their host, and
//! each cause gets the combined list of its upstreams across hosts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::report_json::SCHEMA as LOGS_SCHEMA;
use super::shapes::share;
pub use super::shapes::{CauseOut, GroupOut, HostCount, RequestOut, SampleOut, UpstreamOut};
use super::time::format_iso;

/// Schema of the merged document.
pub const SCHEMA: &str = "ngxray/fleet/v1";

/// Upstreams listed per cause in the merged document.
pub const TOP_UPSTREAMS: usize = 10;

/// Requests listed per cause in the merged document.
pub const TOP_REQUESTS: usize = 10;

/// Why documents could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A document is not valid JSON or not an `ngxray/logs/v1` document.
    #[error("{source_name}: {message}")]
    Document {
        source_name: String,
        message: String,
    },
    /// Nothing to merge.
    #[error("no documents to merge")]
    Empty,
}

/// One input document, with the host it stands for.
#[derive(Debug, Clone)]
pub struct HostDoc {
    pub host: String,
    /// Where it was read from (a path or `-`).
    pub source_name: String,
    pub doc: LogsDoc,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TimeIn {
    pub first: Option<String>,
    pub last: Option<String>,
}

/// The parts of an `ngxray/logs/v1` document that merge.
#[derive(Debug, Clone, Deserialize)]
pub struct LogsDoc {
    pub schema: String,
    #[serde(default)]
    pub version: Option<String>,
    pub lines: u64,
    pub counted: u64,
    pub filtered: u64,
    pub time: TimeIn,
    pub bucket_seconds: i64,
    pub status_totals: BTreeMap<String, u64>,
    pub no_status: u64,
    pub levels: BTreeMap<String, u64>,
    pub causes: Vec<CauseIn>,
}

/// A cause of an input document: the type logs/v1 writes.
pub type CauseIn = CauseOut;
/// A group of an input document.
pub type GroupIn = GroupOut;
pub type RequestIn = RequestOut;
pub type SampleIn = SampleOut;

/// Parse every JSON document in `text` (one or more, concatenated or one
/// per line), checking the schema.
pub fn parse_documents(source_name: &str, text: &[u8]) -> Result<Vec<LogsDoc>, MergeError> {
    let err = |message: String| MergeError::Document {
        source_name: source_name.to_string(),
        message,
    };
    let mut docs = Vec::new();
    for item in serde_json::Deserializer::from_slice(text).into_iter::<serde_json::Value>() {
        let value = item.map_err(|e| err(format!("not JSON: {e}")))?;
        let schema = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
        if schema != LOGS_SCHEMA {
            return Err(err(format!(
                "schema \"{schema}\" is not {LOGS_SCHEMA} (merge the output of `ngxray logs --format json`)"
            )));
        }
        let doc: LogsDoc = serde_json::from_value(value)
            .map_err(|e| err(format!("not an {LOGS_SCHEMA} document: {e}")))?;
        docs.push(doc);
    }
    if docs.is_empty() {
        return Err(err("no JSON document".to_string()));
    }
    Ok(docs)
}

/// `YYYY-MM-DDTHH:MM:SS` to seconds since 1970 (the documents' local time).
fn parse_iso(s: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

/// A timeline summed on buckets of `width` seconds.
#[derive(Default)]
struct Timeline(BTreeMap<i64, u64>);

impl Timeline {
    fn add(&mut self, points: &[(String, u64)], width: i64, what: &str) -> Result<(), String> {
        if width <= 0 && !points.is_empty() {
            return Err(format!("{what}: timeline without a bucket width"));
        }
        for (t, n) in points {
            let secs = parse_iso(t).ok_or_else(|| format!("{what}: bad timeline time \"{t}\""))?;
            *self.0.entry(secs.div_euclid(width) * width).or_insert(0) += n;
        }
        Ok(())
    }
    fn out(&self) -> Vec<(String, u64)> {
        self.0.iter().map(|(t, n)| (format_iso(*t), *n)).collect()
    }
}

fn add_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_insert(0) += v;
    }
}

fn min_opt(a: &mut Option<String>, b: &Option<String>) {
    if let Some(b) = b {
        if a.as_ref().is_none_or(|a| b < a) {
            *a = Some(b.clone());
        }
    }
}

fn max_opt(a: &mut Option<String>, b: &Option<String>) {
    if let Some(b) = b {
        if a.as_ref().is_none_or(|a| b > a) {
            *a = Some(b.clone());
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TimeOut {
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HostOut {
    pub host: String,
    pub source: String,
    pub version: Option<String>,
    pub lines: u64,
    pub counted: u64,
    pub filtered: u64,
    pub time: TimeOut,
}

/// The merged document.
#[derive(Debug, Serialize)]
pub struct FleetDoc {
    pub schema: &'static str,
    pub version: &'static str,
    pub hosts: Vec<HostOut>,
    pub lines: u64,
    pub counted: u64,
    pub filtered: u64,
    pub time: TimeOut,
    pub bucket_seconds: i64,
    pub status_totals: BTreeMap<String, u64>,
    pub no_status: u64,
    pub levels: BTreeMap<String, u64>,
    pub causes: Vec<CauseOut>,
}

/// Give repeated host names a `#2`, `#3`… suffix so that every finding
/// keeps a distinct host.
pub fn unique_hosts(docs: &mut [HostDoc]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for d in docs.iter_mut() {
        let n = seen.entry(d.host.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            d.host = format!("{}#{}", d.host, n);
        }
    }
}

/// Merge per-host documents.
pub fn merge(docs: &[HostDoc]) -> Result<FleetDoc, MergeError> {
    if docs.is_empty() {
        return Err(MergeError::Empty);
    }
    let bad = |d: &HostDoc, message: String| MergeError::Document {
        source_name: d.source_name.clone(),
        message,
    };
    let mut out = FleetDoc {
        schema: SCHEMA,
        version: env!("CARGO_PKG_VERSION"),
        hosts: Vec::new(),
        lines: 0,
        counted: 0,
        filtered: 0,
        time: TimeOut {
            first: None,
            last: None,
        },
        bucket_seconds: 0,
        status_totals: BTreeMap::new(),
        no_status: 0,
        levels: BTreeMap::new(),
        causes: Vec::new(),
    };
    // Causes by id, in first-seen order; their timeline width is the
    // widest of every input's.
    let mut order: Vec<String> = Vec::new();
    let mut widths: BTreeMap<String, i64> = BTreeMap::new();
    for d in docs {
        let doc = &d.doc;
        out.hosts.push(HostOut {
            host: d.host.clone(),
            source: d.source_name.clone(),
            version: doc.version.clone(),
            lines: doc.lines,
            counted: doc.counted,
            filtered: doc.filtered,
            time: TimeOut {
                first: doc.time.first.clone(),
                last: doc.time.last.clone(),
            },
        });
        out.lines += doc.lines;
        out.counted += doc.counted;
        out.filtered += doc.filtered;
        min_opt(&mut out.time.first, &doc.time.first);
        max_opt(&mut out.time.last, &doc.time.last);
        out.bucket_seconds = out.bucket_seconds.max(doc.bucket_seconds);
        add_counts(&mut out.status_totals, &doc.status_totals);
        out.no_status += doc.no_status;
        add_counts(&mut out.levels, &doc.levels);
        for c in &doc.causes {
            let w = widths.entry(c.id.clone()).or_insert_with(|| {
                order.push(c.id.clone());
                0
            });
            *w = (*w).max(c.timeline_bucket_seconds);
            for g in &c.groups {
                *w = (*w).max(g.timeline_bucket_seconds);
            }
        }
    }
    for id in &order {
        let width = widths[id];
        let mut cause: Option<CauseOut> = None;
        let mut timeline = Timeline::default();
        let mut upstreams: BTreeMap<Option<String>, (u64, Vec<String>)> = BTreeMap::new();
        let mut requests: BTreeMap<String, u64> = BTreeMap::new();
        for d in docs {
            let Some(c) = d.doc.causes.iter().find(|c| &c.id == id) else {
                continue;
            };
            let what = format!("{}: cause {}", d.source_name, c.id);
            timeline
                .add(&c.timeline, width, &what)
                .map_err(|m| bad(d, m))?;
            let co = cause.get_or_insert_with(|| CauseOut {
                id: c.id.clone(),
                title: c.title.clone(),
                kind: c.kind.clone(),
                client_status: c.client_status.clone(),
                count: 0,
                share: 0.0,
                first: None,
                last: None,
                status: BTreeMap::new(),
                explanation: c.explanation.clone(),
                rules: c.rules.clone(),
                hosts: Some(Vec::new()),
                upstreams: Some(Vec::new()),
                top_requests: Some(Vec::new()),
                timeline_bucket_seconds: width,
                timeline: Vec::new(),
                groups: Vec::new(),
            });
            co.count += c.count;
            min_opt(&mut co.first, &c.first);
            max_opt(&mut co.last, &c.last);
            add_counts(&mut co.status, &c.status);
            co.hosts.get_or_insert_with(Vec::new).push(HostCount {
                host: d.host.clone(),
                count: c.count,
                first: c.first.clone(),
                last: c.last.clone(),
            });
            for g in &c.groups {
                let mut gt = Timeline::default();
                gt.add(&g.timeline, width, &what).map_err(|m| bad(d, m))?;
                for r in &g.top_requests {
                    *requests.entry(r.request.clone()).or_insert(0) += r.count;
                }
                let u = upstreams.entry(g.upstream.clone()).or_default();
                u.0 += g.count;
                if !u.1.contains(&d.host) {
                    u.1.push(d.host.clone());
                }
                co.groups.push(GroupOut {
                    host: Some(d.host.clone()),
                    upstream: g.upstream.clone(),
                    server: g.server.clone(),
                    scheme: g.scheme.clone(),
                    count: g.count,
                    share: 0.0,
                    first: g.first.clone(),
                    last: g.last.clone(),
                    status: g.status.clone(),
                    timeline_bucket_seconds: width,
                    timeline: gt.out(),
                    top_requests: g.top_requests.clone(),
                    other_requests: g.other_requests,
                    samples: g.samples.clone(),
                    hint: g.hint.clone(),
                });
            }
        }
        if let Some(mut co) = cause {
            co.timeline = timeline.out();
            co.share = share(co.count, out.counted);
            for g in &mut co.groups {
                g.share = share(g.count, out.counted);
            }
            co.hosts
                .get_or_insert_with(Vec::new)
                .sort_by(|a, b| b.count.cmp(&a.count).then(a.host.cmp(&b.host)));
            co.groups.sort_by(|a, b| {
                b.count
                    .cmp(&a.count)
                    .then_with(|| a.host.cmp(&b.host))
                    .then_with(|| a.upstream.cmp(&b.upstream))
                    .then_with(|| a.server.cmp(&b.server))
            });
            let mut ups: Vec<UpstreamOut> = upstreams
                .into_iter()
                .map(|(upstream, (count, hosts))| UpstreamOut {
                    upstream,
                    count,
                    hosts,
                })
                .collect();
            ups.sort_by(|a, b| {
                b.count
                    .cmp(&a.count)
                    .then_with(|| a.upstream.cmp(&b.upstream))
            });
            ups.truncate(TOP_UPSTREAMS);
            co.upstreams = Some(ups);
            let mut reqs: Vec<RequestIn> = requests
                .into_iter()
                .map(|(request, count)| RequestIn { request, count })
                .collect();
            reqs.sort_by(|a, b| {
                b.count
                    .cmp(&a.count)
                    .then_with(|| a.request.cmp(&b.request))
            });
            reqs.truncate(TOP_REQUESTS);
            co.top_requests = Some(reqs);
            out.causes.push(co);
        }
    }
    out.causes
        .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// Plain-text summary of a fleet document.
pub fn render_text(doc: &FleetDoc) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Fleet: {} hosts, {} lines ({} counted), {} .. {}",
        doc.hosts.len(),
        doc.lines,
        doc.counted,
        doc.time.first.as_deref().unwrap_or("-"),
        doc.time.last.as_deref().unwrap_or("-")
    );
    let statuses: Vec<String> = doc
        .status_totals
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let _ = writeln!(
        s,
        "Statuses: {}",
        if statuses.is_empty() {
            "-".to_string()
        } else {
            statuses.join(", ")
        }
    );
    for h in &doc.hosts {
        let _ = writeln!(s, "  {:<24} {:>8} lines  {}", h.host, h.lines, h.source);
    }
    s.push('\n');
    for c in &doc.causes {
        let _ = writeln!(
            s,
            "{} ({}): {} lines on {} hosts, {} .. {}",
            c.id,
            c.client_status,
            c.count,
            c.hosts.as_ref().map_or(0, Vec::len),
            c.first.as_deref().unwrap_or("-"),
            c.last.as_deref().unwrap_or("-")
        );
        for h in c.hosts.iter().flatten() {
            let _ = writeln!(s, "    {:<24} {:>8}", h.host, h.count);
        }
        for u in c.upstreams.iter().flatten().take(5) {
            if let Some(up) = &u.upstream {
                let _ = writeln!(
                    s,
                    "    upstream {up}: {} lines ({})",
                    u.count,
                    u.hosts.join(", ")
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> LogsDoc {
        parse_documents("t", json.as_bytes()).unwrap().remove(0)
    }

    const A: &str = r#"{"schema":"ngxray/logs/v1","version":"0.1.0","inputs":[],"lines":10,"counted":10,"filtered":0,
      "time":{"first":"2024-03-14T10:00:01","last":"2024-03-14T10:06:01"},"bucket_seconds":60,
      "status_totals":{"502":3},"no_status":7,"levels":{"error":3,"info":7},
      "causes":[{"id":"connect-refused","title":"Connection refused","kind":"upstream-failure","client_status":"502","count":3,
        "first":"2024-03-14T10:00:01","last":"2024-03-14T10:06:01","status":{"502":3},"explanation":"x","rules":[],
        "timeline_bucket_seconds":60,"timeline":[["2024-03-14T10:00:00",1],["2024-03-14T10:06:00",2]],
        "groups":[{"upstream":"10.0.0.1:80","server":"s","scheme":"http","count":3,"share":0.3,"first":"2024-03-14T10:00:01",
          "last":"2024-03-14T10:06:01","status":{"502":3},"timeline_bucket_seconds":60,
          "timeline":[["2024-03-14T10:00:00",1],["2024-03-14T10:06:00",2]],"top_requests":[{"request":"GET /","count":3}],
          "other_requests":0,"samples":[],"hint":null}]}]}"#;

    #[test]
    fn counts_add_and_timelines_align() {
        let a = doc(A);
        let mut b = doc(A);
        // Host b saw the same cause on a 5-minute timeline, earlier.
        b.causes[0].timeline_bucket_seconds = 300;
        b.causes[0].timeline = vec![
            ("2024-03-14T09:55:00".into(), 2),
            ("2024-03-14T10:05:00".into(), 1),
        ];
        b.causes[0].first = Some("2024-03-14T09:55:10".into());
        b.time.first = Some("2024-03-14T09:55:10".into());
        let docs = vec![
            HostDoc {
                host: "a".into(),
                source_name: "a.json".into(),
                doc: a,
            },
            HostDoc {
                host: "b".into(),
                source_name: "b.json".into(),
                doc: b,
            },
        ];
        let m = merge(&docs).unwrap();
        assert_eq!((m.lines, m.counted, m.no_status), (20, 20, 14));
        assert_eq!(m.status_totals["502"], 6);
        assert_eq!(m.time.first.as_deref(), Some("2024-03-14T09:55:10"));
        let c = &m.causes[0];
        assert_eq!(c.count, 6);
        assert_eq!(c.timeline_bucket_seconds, 300);
        assert_eq!(
            c.timeline,
            vec![
                ("2024-03-14T09:55:00".to_string(), 2),
                ("2024-03-14T10:00:00".to_string(), 1),
                ("2024-03-14T10:05:00".to_string(), 3)
            ]
        );
        assert_eq!(c.timeline.iter().map(|t| t.1).sum::<u64>(), c.count);
        assert_eq!(c.groups.len(), 2);
        let host = |h: &str| c.groups.iter().any(|g| g.host.as_deref() == Some(h));
        assert!(host("a") && host("b"));
        let upstreams = c.upstreams.as_ref().unwrap();
        assert_eq!(upstreams[0].count, 6);
        assert_eq!(upstreams[0].hosts, vec!["a", "b"]);
        let top = c.top_requests.as_ref().unwrap();
        assert_eq!(top.len(), 1);
        assert_eq!((top[0].request.as_str(), top[0].count), ("GET /", 6));
    }

    #[test]
    fn wrong_schema_is_an_error() {
        let e = parse_documents("x.json", br#"{"schema":"other"}"#).unwrap_err();
        assert!(e.to_string().contains("x.json"), "{e}");
        assert!(parse_documents("y", b"{").is_err());
        assert!(parse_documents("z", b"").is_err());
        let two = format!("{A}\n{A}\n");
        assert_eq!(parse_documents("two", two.as_bytes()).unwrap().len(), 2);
    }
}
