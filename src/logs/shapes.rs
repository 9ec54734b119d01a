//! The cause and group objects of the JSON documents, one set of types for
//! both `ngxray/logs/v1` ([`super::report_json`], written) and
//! `ngxray/fleet/v1` ([`super::merge`], which reads logs/v1 documents and
//! writes fleet ones), so that a field added to one is in the other.
//!
//! The fleet-only members (a group's `host`; a cause's `hosts`,
//! `upstreams` and `top_requests`) are `Option`s left out of a logs/v1
//! document; fields are written in declaration order, which is the order
//! both schemas list them in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One cause with its groups.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CauseOut {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub client_status: String,
    pub count: u64,
    #[serde(default)]
    pub share: f64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub status: BTreeMap<String, u64>,
    #[serde(default)]
    pub explanation: String,
    #[serde(default)]
    pub rules: Vec<String>,
    /// Fleet: per host, lines of this cause, first and last seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<HostCount>>,
    /// Fleet: upstreams of this cause over all hosts, most lines first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstreams: Option<Vec<UpstreamOut>>,
    /// Fleet: the groups' top requests combined over all hosts (counts
    /// summed), most first. Only requests some host listed among its top
    /// ones count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_requests: Option<Vec<RequestOut>>,
    /// Bucket width of `timeline` (wider than `bucket_seconds` for long spans).
    pub timeline_bucket_seconds: i64,
    pub timeline: Vec<(String, u64)>,
    pub groups: Vec<GroupOut>,
}

/// One cause × upstream × server group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupOut {
    /// Fleet: the host whose group this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub upstream: Option<String>,
    pub server: Option<String>,
    pub scheme: Option<String>,
    pub count: u64,
    #[serde(default)]
    pub share: f64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub status: BTreeMap<String, u64>,
    pub timeline_bucket_seconds: i64,
    pub timeline: Vec<(String, u64)>,
    pub top_requests: Vec<RequestOut>,
    pub other_requests: u64,
    pub samples: Vec<SampleOut>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestOut {
    pub request: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleOut {
    pub file: String,
    pub line: u64,
    pub text: String,
}

/// Fleet: one host's lines of a cause.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostCount {
    pub host: String,
    pub count: u64,
    pub first: Option<String>,
    pub last: Option<String>,
}

/// Fleet: one upstream of a cause, over all hosts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpstreamOut {
    pub upstream: Option<String>,
    pub count: u64,
    pub hosts: Vec<String>,
}

/// A share of a total, rounded to 4 decimals (both documents round alike).
pub fn share(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        (n as f64 / of as f64 * 10_000.0).round() / 10_000.0
    }
}
