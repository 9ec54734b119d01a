//! `ngxray logs --merge`: per-host `--format json` documents merged into a
//! fleet report give the same totals, per-cause counts, statuses and first
//! and last seen as one `ngxray logs --format json` run over all the logs,
//! and the same timelines once put on the same bucket width.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::export_clickhouse::agreement_logs;
use crate::util::{ngxray, stdout};

fn json(args: &[&str]) -> serde_json::Value {
    let out = ngxray(args);
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout(&out)).expect("JSON document")
}

fn secs(t: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
        .unwrap()
        .and_utc()
        .timestamp()
}

/// A timeline on buckets of `width` seconds.
fn rebucket(t: &serde_json::Value, width: i64) -> BTreeMap<i64, u64> {
    let mut m = BTreeMap::new();
    for p in t.as_array().unwrap() {
        let s = secs(p[0].as_str().unwrap());
        *m.entry(s.div_euclid(width) * width).or_insert(0) += p[1].as_u64().unwrap();
    }
    m
}

#[test]
fn merged_host_documents_equal_one_run_over_all_logs() {
    let logs: Vec<PathBuf> = agreement_logs("merged_host_documents_equal_one_run_over_all_logs");
    let dir = tempfile::tempdir().unwrap();
    let mut docs = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        let out = ngxray(&["logs", "--format", "json", log.to_str().unwrap()]);
        let path = dir.path().join(format!("host{i}.json"));
        std::fs::write(&path, &out.stdout).unwrap();
        docs.push(path.to_str().unwrap().to_string());
    }
    let mut args = vec!["logs", "--merge", "--format", "json"];
    args.extend(docs.iter().map(String::as_str));
    let merged = json(&args);
    let mut args = vec!["logs", "--format", "json"];
    args.extend(logs.iter().map(|p| p.to_str().unwrap()));
    let whole = json(&args);

    assert_eq!(merged["schema"], "ngxray/fleet/v1");
    crate::formats::assert_valid("docs/schema/fleet.schema.json", &merged);
    assert_eq!(merged["hosts"].as_array().unwrap().len(), logs.len());
    for key in [
        "lines",
        "counted",
        "filtered",
        "status_totals",
        "no_status",
        "levels",
        "time",
    ] {
        assert_eq!(merged[key], whole[key], "{key}");
    }
    let by_id = |d: &serde_json::Value| -> BTreeMap<String, serde_json::Value> {
        d["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].as_str().unwrap().to_string(), c.clone()))
            .collect()
    };
    let (m, w) = (by_id(&merged), by_id(&whole));
    assert_eq!(m.keys().collect::<Vec<_>>(), w.keys().collect::<Vec<_>>());
    for (id, mc) in &m {
        let wc = &w[id];
        for key in ["count", "first", "last", "status", "share"] {
            assert_eq!(mc[key], wc[key], "{id} {key}");
        }
        // Host counts add up to the cause; groups keep their host.
        let hosts: u64 = mc["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["count"].as_u64().unwrap())
            .sum();
        assert_eq!(hosts, mc["count"].as_u64().unwrap(), "{id}");
        let groups: u64 = mc["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["count"].as_u64().unwrap())
            .sum();
        assert_eq!(groups, mc["count"].as_u64().unwrap(), "{id}");
        assert!(mc["groups"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["host"].as_str().is_some_and(|h| h.starts_with("host"))));
        // Top requests combined over hosts never exceed the cause.
        let top: u64 = mc["top_requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["count"].as_u64().unwrap())
            .sum();
        assert!(top <= mc["count"].as_u64().unwrap(), "{id}");
        // Timelines hold the same lines; on one width they agree bucket by
        // bucket (merged buckets are aligned to the epoch, a single run's
        // automatic buckets need not be, so other widths compare totals).
        let total = |t: &serde_json::Value| -> u64 {
            t.as_array()
                .unwrap()
                .iter()
                .map(|p| p[1].as_u64().unwrap())
                .sum()
        };
        assert_eq!(
            total(&mc["timeline"]),
            total(&wc["timeline"]),
            "{id} timeline"
        );
        let (mw, ww) = (
            mc["timeline_bucket_seconds"].as_i64().unwrap(),
            wc["timeline_bucket_seconds"].as_i64().unwrap(),
        );
        if mw == ww && mw > 0 && !mc["timeline"].as_array().unwrap().is_empty() {
            let aligned = |t: &serde_json::Value| {
                t.as_array()
                    .unwrap()
                    .iter()
                    .all(|p| secs(p[0].as_str().unwrap()) % mw == 0)
            };
            if aligned(&wc["timeline"]) {
                assert_eq!(
                    rebucket(&mc["timeline"], mw),
                    rebucket(&wc["timeline"], ww),
                    "{id} timeline"
                );
            }
        }
    }
    // The text report names every host; stdin works too.
    let text = stdout(&ngxray(
        &[
            &["logs", "--merge"][..],
            &docs.iter().map(String::as_str).collect::<Vec<_>>(),
        ]
        .concat(),
    ));
    assert!(
        text.starts_with(&format!("Fleet: {} hosts", logs.len())),
        "{text}"
    );
    let bad = ngxray(&["logs", "--merge", "--format", "ndjson", &docs[0]]);
    assert_eq!(bad.status.code(), Some(2));
    let not_json = dir.path().join("x.json");
    std::fs::write(&not_json, "{\"schema\":\"other\"}").unwrap();
    let bad = ngxray(&["logs", "--merge", not_json.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("x.json"));
}
