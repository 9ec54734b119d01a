//! The `ngxray/diagnose/v1` document: what a diagnose run answers (groups,
//! findings, summaries of the inputs), as the reporters and JSON readers
//! see it. The join that fills it lives in the parent module.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::attr::DirectiveRef;

/// The JSON schema name of the report.
pub const SCHEMA: &str = "ngxray/diagnose/v1";

/// Errors of a diagnose run (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

/// What a run needs.
#[derive(Debug, Clone)]
pub struct Options {
    /// nginx.conf, a directory, or `-` (an `nginx -T` dump on stdin).
    pub config: PathBuf,
    /// Log files (already expanded); empty: the paths the config names.
    pub logs: Vec<PathBuf>,
    /// Force this `log_format` for every access log.
    pub log_format: Option<String>,
    /// Onset and timeline bucket width in seconds.
    pub bucket: i64,
}

/// Which kind a log file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    Error,
    Access,
}

/// One log read.
#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    pub path: String,
    pub kind: LogKind,
    /// `log_format` name used (access logs), `json` for JSON lines.
    pub format: Option<String>,
    pub lines: u64,
    pub parsed: u64,
    pub unparsable: u64,
    /// Access-log lines parsed with another of the config's formats than
    /// `format` (counted in `parsed`).
    pub other_format: u64,
}

/// A line kept as evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub file: String,
    pub line: u64,
    pub text: String,
}

/// access.log totals: what clients got.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccessSummary {
    pub lines: u64,
    pub parsed: u64,
    pub unparsable: u64,
    /// Final status → requests.
    pub status: BTreeMap<String, u64>,
    /// Requests that went to an upstream.
    pub upstream_requests: u64,
    /// Requests with more than one upstream attempt.
    pub retried: u64,
    /// Requests served (< 500) after at least one failed attempt.
    pub retried_ok: u64,
    pub unparsable_samples: Vec<Sample>,
}

/// error.log totals.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorSummary {
    pub lines: u64,
    pub parsed: u64,
    /// Lines that are request failures (a status when final).
    pub failures: u64,
    /// Failures joined to an access-log attempt.
    pub joined: u64,
}

/// Latency percentiles of `$upstream_response_time`, seconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub samples: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    /// Effective read timeout, seconds (the smallest where the group is used).
    pub read_timeout: Option<f64>,
    pub read_timeout_directive: Option<DirectiveRef>,
    /// Samples at or above 80 % of the read timeout.
    pub near_timeout: u64,
}

/// When a failure began.
#[derive(Debug, Clone, Serialize)]
pub struct Onset {
    pub time: String,
    /// Failures per bucket before it (median over the whole span).
    pub baseline: f64,
    /// Failures in the onset bucket.
    pub failures: u64,
    /// Requests to the group in the onset bucket.
    pub requests: u64,
    /// Requests to the group before the onset bucket.
    pub requests_before: u64,
    /// No bucket is above the baseline (failures at a steady level from
    /// the first one): the onset is the first failure's bucket.
    pub steady: bool,
}

/// One upstream group seen in the logs.
#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    pub name: String,
    pub requests: u64,
    pub attempts: u64,
    #[serde(rename = "final")]
    pub final_status: BTreeMap<String, u64>,
    pub retried_ok: u64,
    pub latency: Option<Latency>,
    /// Bucket start → final status → requests (for timelines).
    pub timeline: BTreeMap<String, BTreeMap<String, u64>>,
}

/// One explanation: cause × upstream group × server × location.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rank: usize,
    pub cause: String,
    pub title: String,
    pub upstream: Option<String>,
    pub peers: Vec<String>,
    pub server: Option<String>,
    pub location: Option<String>,
    /// Failures of `stream {}` sessions (only serialized when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    /// Failures: error.log lines when error logs were read, else failed
    /// access-log attempts.
    pub count: u64,
    pub error_lines: u64,
    pub attempts: u64,
    /// Requests that had this failure.
    pub requests: u64,
    /// Final status of those requests → count.
    #[serde(rename = "final")]
    pub final_status: BTreeMap<String, u64>,
    /// Those served after a retry onto another peer.
    pub retried_ok: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub onset: Option<Onset>,
    pub latency: Option<Latency>,
    pub directives: Vec<DirectiveRef>,
    pub lint: Vec<String>,
    pub explanation: String,
    pub fix: String,
    pub samples: Vec<Sample>,
    /// Failures per bucket (bucket start → count).
    pub timeline: BTreeMap<String, u64>,
}

/// The whole answer.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub config: String,
    pub bucket: i64,
    pub inputs: Vec<InputInfo>,
    pub access: AccessSummary,
    pub errors: ErrorSummary,
    pub groups: Vec<GroupSummary>,
    pub findings: Vec<Finding>,
    /// Lint findings on the whole config (rule ids with counts).
    pub lint_total: BTreeMap<String, u64>,
}
