//! `ngxray logs` end to end: inputs (files, dirs, rotations, gzip, stdin),
//! filters, output formats, exit codes, and the ground truth of a real
//! nginx 1.22 error.log with injected faults.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use flate2::write::GzEncoder;
use serde_json::Value;

use crate::util::{bin, corpus, ngxray, ngxray_in, repo, stderr, stdout};

fn sample() -> PathBuf {
    repo().join("testdata/logs/sample.error.log")
}

fn sample_text() -> String {
    std::fs::read_to_string(sample()).expect("sample log")
}

fn events(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad event {l}: {e}")))
        .collect()
}

fn json(o: &Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("bad json: {e}\n{}", stdout(o)))
}

fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ngxray");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

fn gzip(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(p).expect("gz");
        out.extend(e.finish().expect("gz"));
    }
    out
}

fn count_lines(data: &[u8]) -> usize {
    let n = data.iter().filter(|&&b| b == b'\n').count();
    if data.last().is_some_and(|&b| b != b'\n') {
        n + 1
    } else {
        n
    }
}

#[test]
fn text_report_of_the_sample() {
    let o = ngxray_in(&repo(), &["logs", "testdata/logs/sample.error.log"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
    insta::with_settings!({snapshot_path => "../testdata/logs/snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("sample_text", text);
    });
}

#[test]
fn json_document_of_the_sample() {
    let o = ngxray_in(
        &repo(),
        &["logs", "--format", "json", "testdata/logs/sample.error.log"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = json(&o);
    assert_eq!(doc["schema"], "ngxray/logs/v1");
    let lines = count_lines(sample_text().as_bytes()) as u64;
    assert_eq!(doc["lines"], lines);
    assert_eq!(doc["counted"], lines);
    let causes = doc["causes"].as_array().expect("causes");
    let total: u64 = causes.iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(
        total, lines,
        "nothing lost: totals over causes equal the input"
    );
    let by_id = |id: &str| {
        causes
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let refused = by_id("connect-refused");
    assert_eq!(refused["count"], 4);
    assert_eq!(refused["status"]["502"], 4);
    let groups = refused["groups"].as_array().unwrap();
    assert_eq!(groups[0]["upstream"], "172.18.0.3:5000");
    assert_eq!(groups[0]["server"], "localhost");
    assert_eq!(groups[0]["count"], 2);
    assert_eq!(
        groups[0]["samples"][0]["file"],
        "testdata/logs/sample.error.log"
    );
    assert_eq!(groups[0]["samples"][0]["line"], 31);
    assert_eq!(groups[0]["timeline"][0][0], "2024-03-14T10:06:00");
    let nolive = by_id("no-live-upstreams");
    assert_eq!(nolive["groups"][0]["upstream"], "shop_api");
    assert_eq!(
        nolive["groups"][0]["top_requests"][0]["request"],
        "GET /api/cart"
    );
    let proto = by_id("protocol-mismatch");
    let hints: Vec<&str> = proto["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["hint"].as_str())
        .collect();
    assert!(hints.iter().any(|h| h.contains("'H'")), "{hints:?}");
    assert!(hints.iter().any(|h| h.contains("\"HTT\"")), "{hints:?}");
    // 502/504 totals the log explains.
    assert_eq!(doc["status_totals"]["504"], 2);
    assert!(doc["status_totals"]["502"].as_u64().unwrap() >= 15);
    assert_eq!(doc["time"]["first"], "2024-03-14T09:58:02");
    assert_eq!(doc["time"]["last"], "2024-03-14T10:07:32");
    assert_eq!(by_id("unparsable")["count"], 1);
    assert_eq!(by_id("unclassified")["count"], 1);
}

#[test]
fn ndjson_has_one_event_per_input_line() {
    let o = ngxray(&["logs", "--format", "ndjson", sample().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ev = events(&o);
    assert_eq!(ev.len(), count_lines(sample_text().as_bytes()));
    for (i, e) in ev.iter().enumerate() {
        assert_eq!(e["line"], i as u64 + 1);
        for key in [
            "file", "line", "time", "level", "cause", "status", "upstream", "server", "client",
            "request", "message",
        ] {
            assert!(e.get(key).is_some(), "event {i} lacks {key}");
        }
    }
    let unparsable = &ev[32];
    assert_eq!(unparsable["cause"], "unparsable");
    assert_eq!(
        unparsable["message"],
        "    at Object.<anonymous> (/app/server.js:12:3)"
    );
    assert_eq!(ev[30]["cause"], "connect-refused");
    assert_eq!(ev[30]["time"], "2024-03-14T10:06:00");
}

#[test]
fn directories_rotations_and_gzip_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let line = |t: &str, n: u32| {
        format!("2024/03/14 {t} [error] 1#1: *{n} connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: s, request: \"GET /{n} HTTP/1.1\", upstream: \"http://10.0.0.2:80/{n}\"\n")
    };
    // Oldest, multi-member gzip, named without .gz: detected by magic bytes.
    let old = format!("{}{}", line("08:00:00", 1), line("08:00:01", 2));
    let old2 = line("08:00:02", 3);
    std::fs::write(
        dir.path().join("error.log.2"),
        gzip(&[old.as_bytes(), old2.as_bytes()]),
    )
    .unwrap();
    std::fs::write(dir.path().join("error.log.1"), line("09:00:00", 4)).unwrap();
    std::fs::write(
        dir.path().join("error.log"),
        format!("{}{}", line("10:00:00", 5), "tail without newline"),
    )
    .unwrap();
    std::fs::write(dir.path().join("access.log"), "not an error log\n").unwrap();

    let o = ngxray(&["logs", "--format", "ndjson", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ev = events(&o);
    let seen: Vec<(String, u64)> = ev
        .iter()
        .map(|e| {
            let f = Path::new(e["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (f, e["line"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("error.log.2".to_string(), 1),
            ("error.log.2".to_string(), 2),
            ("error.log.2".to_string(), 3),
            ("error.log.1".to_string(), 1),
            ("error.log".to_string(), 1),
            ("error.log".to_string(), 2),
        ]
    );
    assert_eq!(ev[5]["cause"], "unparsable");

    let o = ngxray(&["logs", "--format", "json", dir.path().to_str().unwrap()]);
    let doc = json(&o);
    assert_eq!(doc["lines"], 6);
    assert_eq!(doc["inputs"][0]["gzip"], true);
    assert_eq!(doc["inputs"][0]["lines"], 3);
    assert_eq!(doc["time"]["first"], "2024-03-14T08:00:00");
    assert_eq!(doc["time"]["last"], "2024-03-14T10:00:00");

    // Globs and explicit files are ordered the same way.
    let glob = format!("{}/error.log*", dir.path().display());
    let o = ngxray(&["logs", "--format", "ndjson", &glob]);
    assert_eq!(events(&o).len(), 6);
    assert!(events(&o)[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("error.log.2"));
}

#[test]
fn stdin_with_dash_and_without_paths() {
    let data = std::fs::read(sample()).unwrap();
    for args in [
        &["logs", "--format", "json", "-"][..],
        &["logs", "--format", "json"][..],
    ] {
        let o = with_stdin(args, &data);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let doc = json(&o);
        assert_eq!(doc["lines"], count_lines(&data) as u64);
        assert_eq!(doc["inputs"][0]["name"], "-");
    }
    let gz = gzip(&[&data]);
    let o = with_stdin(&["logs", "--format", "ndjson", "-"], &gz);
    assert_eq!(events(&o).len(), count_lines(&data));
}

#[test]
fn missing_unmatched_and_invalid_inputs_exit_2() {
    let o = ngxray(&["logs", "/nonexistent/dir/error.log"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/dir/error.log: no such file"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "x\n").unwrap();
    let o = ngxray(&["logs", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no error logs"), "{}", stderr(&o));

    let bad = dir.path().join("error.log.1.gz");
    let mut junk = vec![0x1f, 0x8b];
    junk.extend_from_slice(b"this is not deflate data at all, sorry");
    std::fs::write(&bad, junk).unwrap();
    let o = ngxray(&["logs", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("gzip"), "{}", stderr(&o));

    let o = ngxray(&[
        "logs",
        "--cause",
        "no-such-cause",
        sample().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown cause \"no-such-cause\""));
    let o = ngxray(&[
        "logs",
        "--since",
        "last tuesday",
        sample().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = ngxray(&["logs", "--level", "loud", sample().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn filters_select_lines_and_count_the_rest() {
    let s = sample();
    let s = s.to_str().unwrap();
    let total = count_lines(sample_text().as_bytes()) as u64;
    let run = |extra: &[&str]| {
        let mut args = vec!["logs", "--format", "json", s];
        args.extend_from_slice(extra);
        let o = ngxray(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let doc = json(&o);
        assert_eq!(
            doc["counted"].as_u64().unwrap() + doc["filtered"].as_u64().unwrap(),
            total
        );
        doc
    };
    let doc = run(&["--level", "error"]);
    assert!(doc["causes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != "lifecycle" && c["id"] != "peer-disabled"));
    assert_eq!(doc["levels"]["warn"], 0);
    assert_eq!(doc["levels"]["crit"], 2);

    let doc = run(&["--cause", "connect-refused,no-live-upstreams"]);
    assert_eq!(doc["counted"], 6);

    let doc = run(&["--upstream", "10.0.1.2"]);
    assert_eq!(doc["counted"], 5);

    let doc = run(&["--server", "blog.example.com"]);
    assert_eq!(doc["counted"], 3);

    let doc = run(&["--since", "2024-03-14 10:03", "--until", "2024-03-14 10:05"]);
    assert_eq!(doc["time"]["first"], "2024-03-14T10:03:00");
    assert_eq!(doc["time"]["last"], "2024-03-14T10:04:31");
    assert_eq!(doc["counted"], 8);

    // Relative windows count back from now (pinned for the test).
    let doc = run(&["--since", "2m", "--now", "2024-03-14 10:07:30"]);
    assert_eq!(doc["time"]["first"], "2024-03-14T10:06:00");
}

#[test]
fn ci_gating_exit_codes() {
    let s = sample();
    let s = s.to_str().unwrap();
    let code = |extra: &[&str]| {
        let mut args = vec!["logs", "--format", "json", s];
        args.extend_from_slice(extra);
        ngxray(&args).status.code()
    };
    assert_eq!(code(&[]), Some(0));
    assert_eq!(code(&["--fail-on-cause", "connect-refused"]), Some(1));
    assert_eq!(
        code(&["--fail-on-cause", "send-timeout,backend-busy"]),
        Some(0)
    );
    assert_eq!(
        code(&["--fail-on-cause", "connect-refused", "--max-count", "4"]),
        Some(0)
    );
    assert_eq!(
        code(&["--fail-on-cause", "connect-refused", "--max-count", "3"]),
        Some(1)
    );
    assert_eq!(code(&["--max-count", "1000"]), Some(0));
    assert_eq!(code(&["--max-count", "5"]), Some(1));
    let o = ngxray(&["logs", s, "--fail-on-cause", "read-timeout"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("read-timeout"), "{}", stderr(&o));
    assert!(!stdout(&o).is_empty(), "the report is still printed");
}

/// Expected cause for a fault injected in the corpus log, given the message.
fn expected_cause(fault: &str, message: &str) -> Option<&'static str> {
    Some(match fault {
        "conn_refused" | "conn_refused_ipv6" | "unix_stale" => "connect-refused",
        "pool_all_down" | "pool_member_down" if message.contains("no live upstreams") => {
            "no-live-upstreams"
        }
        "pool_all_down" | "pool_member_down" => "connect-refused",
        "pool_member_flaky" => "premature-close",
        "connect_timeout" => "connect-timeout",
        "dns_nxdomain" | "dns_servfail" | "dns_timeout" | "dns_unreachable" => "dns-failure",
        "no_resolver" => "no-resolver",
        "fcgi_empty_stdout" | "premature_close_header" => "premature-close",
        "fcgi_invalid_status"
        | "fcgi_unexpected_record"
        | "invalid_header"
        | "memcached_error"
        | "garbage_response" => "invalid-response",
        "fcgi_wrong_protocol" | "grpc_to_http1" => "protocol-mismatch",
        "fcgi_missing_socket" | "uwsgi_missing_socket" => "unix-socket-missing",
        "unix_permission" => "permission-denied",
        "fcgi_php_fatal" => "app-error",
        "fcgi_script_unknown" => "script-not-found",
        "fcgi_stderr_warning" => "fastcgi-stderr",
        "fcgi_read_timeout" | "read_timeout_header" => "read-timeout",
        "send_timeout" => "send-timeout",
        "reset_header" | "reset_during_send" => "connection-reset",
        "premature_close_body" | "reset_body" | "read_timeout_body" | "bad_chunked" => {
            "body-truncated"
        }
        "too_big_header" => "header-too-big",
        "ssl_handshake_timeout"
        | "ssl_name_mismatch"
        | "ssl_peer_close"
        | "ssl_to_plain"
        | "ssl_verify_fail" => "tls-handshake",
        "rate_limited" => "rate-limited",
        "body_too_large" => "request-rejected",
        "static_404" => "not-found",
        "forbidden" => "forbidden",
        _ => return None,
    })
}

/// Expected status from the label's nginx status, or `Err(())` when the
/// line does not decide it (a retry that succeeded on another peer).
fn expected_status(fault: &str, nginx_status: &str) -> Result<Option<u64>, ()> {
    if matches!(fault, "pool_member_down" | "pool_member_flaky") {
        return Err(());
    }
    Ok(match nginx_status {
        // 200: the status was already sent or the request went on;
        // 009: relayed as HTTP/0.9; "-": not a request line.
        "200" | "009" | "-" => None,
        s => Some(s.parse().map_err(|_| ())?),
    })
}

#[test]
fn ground_truth_of_a_real_nginx_log() {
    let Some(dir) = corpus("ground_truth_of_a_real_nginx_log") else {
        return;
    };
    let log = dir.join("logs/error.log");
    let labels = std::fs::read_to_string(dir.join("logs/labels.tsv")).expect("labels.tsv");
    let raw = std::fs::read(&log).expect("error.log");
    let o = ngxray(&["logs", "--format", "ndjson", log.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ev = events(&o);
    assert_eq!(ev.len(), count_lines(&raw), "one event per input line");

    let mut header: Vec<&str> = Vec::new();
    let (mut checked, mut cause_ok, mut status_checked, mut status_ok) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for row in labels.lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        if header.is_empty() {
            header = cols;
            continue;
        }
        let col = |name: &str| cols[header.iter().position(|h| *h == name).expect(name)];
        let n: usize = col("line").parse().expect("line number");
        let e = &ev[n - 1];
        assert_eq!(e["line"], n as u64);
        let level = col("level");
        assert_eq!(e["level"], level, "line {n}: level");
        // No line of a real nginx log is unknown.
        assert!(
            e["cause"] != "unparsable" && e["cause"] != "unclassified",
            "line {n}: {e}"
        );
        if level != "error" && level != "crit" {
            continue;
        }
        let fault = col("fault");
        let message = e["message"].as_str().unwrap_or("");
        let Some(want) = expected_cause(fault, message) else {
            failures.push(format!("line {n}: no expectation for fault {fault}"));
            continue;
        };
        checked += 1;
        if e["cause"] == want {
            cause_ok += 1;
        } else {
            failures.push(format!(
                "line {n}: {fault}: cause {} want {want}: {message}",
                e["cause"]
            ));
        }
        if let Ok(want_status) = expected_status(fault, col("nginx_status")) {
            status_checked += 1;
            if e["status"].as_u64() == want_status {
                status_ok += 1;
            } else {
                failures.push(format!(
                    "line {n}: {fault}: status {} want {want_status:?}: {message}",
                    e["status"]
                ));
            }
        }
    }
    eprintln!(
        "ground truth: causes {cause_ok}/{checked}, statuses {status_ok}/{status_checked} (error/crit lines)"
    );
    assert!(checked > 400, "too few lines checked: {checked}");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_totals_add_up() {
    let Some(dir) = corpus("corpus_totals_add_up") else {
        return;
    };
    let log = dir.join("logs/error.log");
    let raw = std::fs::read(&log).expect("error.log");
    let o = ngxray(&["logs", "--format", "json", log.to_str().unwrap()]);
    let doc = json(&o);
    let total: u64 = doc["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, count_lines(&raw) as u64);
    assert_eq!(doc["lines"], count_lines(&raw) as u64);
    let groups: u64 = doc["causes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["groups"].as_array().unwrap())
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(groups, total);
}

#[test]
fn json_output_matches_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("error.log.1.gz");
    std::fs::write(&gz, gzip(&[sample_text().as_bytes()])).unwrap();
    for args in [
        vec![
            "logs",
            "--format",
            "json",
            "testdata/logs/sample.error.log",
            "testdata/logs/pasted.log",
        ],
        vec![
            "logs",
            "--format",
            "json",
            "--level",
            "crit",
            "--bucket",
            "5m",
            "testdata/logs/sample.error.log",
        ],
        vec!["logs", "--format", "json", gz.to_str().unwrap()],
    ] {
        let o = ngxray_in(&repo(), &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        crate::formats::assert_valid("docs/schema/logs.schema.json", &json(&o));
    }
}

#[test]
fn docs_list_every_cause_id() {
    let doc = std::fs::read_to_string(repo().join("docs/logs.md")).expect("docs/logs.md");
    let o = ngxray(&["logs", "--cause", "no-such", "-"]);
    let known = stderr(&o);
    let list = known
        .split("known: ")
        .nth(1)
        .expect("cause list in the error");
    let ids: Vec<&str> = list.trim().trim_end_matches(')').split(", ").collect();
    assert!(ids.len() >= 20, "{ids:?}");
    for id in ids {
        assert!(
            doc.contains(&format!("| `{id}` |")),
            "docs/logs.md does not describe cause {id}"
        );
    }
}

#[test]
fn lines_pasted_in_issues() {
    let o = ngxray_in(
        &repo(),
        &["logs", "--format", "ndjson", "testdata/logs/pasted.log"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got: Vec<(String, Option<u64>, String)> = events(&o)
        .iter()
        .map(|e| {
            (
                e["cause"].as_str().unwrap().to_string(),
                e["status"].as_u64(),
                e["upstream"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want: Vec<(&str, Option<u64>, &str)> = vec![
        ("connect-refused", Some(502), "172.19.0.3:8000"),
        ("read-timeout", Some(504), "10.0.0.7:4000"),
        ("no-live-upstreams", Some(502), "backend"),
        (
            "unix-socket-missing",
            Some(502),
            "unix:/var/run/php/php7.2-fpm.sock",
        ),
        // macOS errno numbers (61, 60) classify by their text.
        ("connect-refused", Some(502), "127.0.0.1:3000"),
        ("read-timeout", Some(504), "127.0.0.1:3000"),
        ("premature-close", Some(502), "172.18.0.4:5000"),
        ("config-error", None, "app:3000"),
        ("tls-handshake", Some(502), "192.168.1.20:80"),
        ("connection-reset", Some(502), "192.168.1.20:8080"),
        ("header-too-big", Some(502), "127.0.0.1:4180"),
        ("resource-exhaustion", Some(500), "10.1.1.2:80"),
        ("resource-exhaustion", Some(500), "10.1.1.2:80"),
        ("invalid-response", Some(502), "127.0.0.1:11211"),
    ];
    let got_ref: Vec<(&str, Option<u64>, &str)> = got
        .iter()
        .map(|(a, b, c)| (a.as_str(), *b, c.as_str()))
        .collect();
    assert_eq!(got_ref, want);
}

/// With more groups than the cap (1,000) and more requests per group than
/// theirs (128), what is listed and what folds into "(other)" is the same
/// whatever the thread count and however the input is cut into blocks
/// (5 MB: several blocks for the workers).
#[test]
fn report_does_not_depend_on_threads_past_the_caps() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("error.log");
    let mut text = String::new();
    for i in 0..24_000u32 {
        // Runs of 8 lines per upstream: 3,000 groups, each block bringing
        // fewer than 1,000 new ones, and 300 distinct requests.
        let k = i / 8;
        text.push_str(&format!(
            "2026/11/25 15:{:02}:{:02} [error] 1#1: *{i} connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: s{}.example, request: \"GET /r/a{} HTTP/1.1\", upstream: \"http://10.{}.{}.1:80/x\", host: \"h\"\n",
            i / 400 % 60,
            i % 60,
            k % 7,
            i % 300,
            k / 250,
            k % 250,
        ));
    }
    std::fs::write(&log, &text).unwrap();
    let path = log.to_str().unwrap();
    let one = ngxray(&["logs", "--format", "json", "--threads", "1", path]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    let doc = json(&one);
    let groups = doc["causes"][0]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1_001, "1,000 groups and (other)");
    assert!(groups.iter().any(|g| g["upstream"] == "(other)"));
    assert!(groups
        .iter()
        .any(|g| g["other_requests"].as_u64() > Some(0)));
    for threads in ["2", "2", "2", "3"] {
        let o = ngxray(&["logs", "--format", "json", "--threads", threads, path]);
        assert_eq!(
            stdout(&o),
            stdout(&one),
            "--threads {threads} differs from --threads 1"
        );
    }
}
