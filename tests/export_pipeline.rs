//! `ngxray logs --format ndjson -` as a stage of a log pipeline (Vector or
//! Fluent Bit `exec`): each line's event comes out while stdin is still
//! open, in order, one JSON object per input line.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::util::bin;

#[test]
fn ndjson_from_stdin_is_written_line_by_line() {
    let mut child = Command::new(bin())
        .args(["logs", "--format", "ndjson", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run ngxray");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.expect("stdout line")).is_err() {
                break;
            }
        }
    });
    let lines = [
        "2026/11/25 15:17:18 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.2:80/\", host: \"a\"",
        "2026/11/25 15:17:19 [error] 7#7: *2 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: a, request: \"GET /s HTTP/1.1\", upstream: \"http://10.0.0.2:80/s\", host: \"a\"",
    ];
    let mut seen = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        writeln!(stdin, "{l}").unwrap();
        stdin.flush().unwrap();
        // The event arrives while stdin stays open.
        let got = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no event for line {} while stdin is open", i + 1));
        let v: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(v["line"], i as u64 + 1);
        seen.push(v["cause"].as_str().unwrap().to_string());
    }
    drop(stdin);
    reader.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(seen, ["connect-refused", "read-timeout"]);
}
