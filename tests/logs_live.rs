//! `ngxray logs` on live and damaged inputs, end to end: files truncated or
//! replaced while read, corrupt and truncated rotations among good ones,
//! hostile control characters, named pipes, `/dev/stderr` links, slow
//! pipes that must produce events before EOF, Ctrl-C, and `--follow`
//! across rename and copytruncate rotation.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::Value;

use crate::util::{bin, ngxray, stderr, stdout};

const WAIT: Duration = Duration::from_secs(20);

fn line(n: u64, sec: u64) -> String {
    format!(
        "2026/11/25 15:{:02}:{:02} [error] 7#7: *{n} connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.{}.{}, server: s{}, request: \"GET /p/{n} HTTP/1.1\", upstream: \"http://10.1.0.{}:80/p/{n}\", host: \"h\"\n",
        sec / 60 % 60,
        sec % 60,
        n % 7,
        n % 251,
        n % 3,
        n % 5
    )
}

fn lines(from: u64, n: u64) -> String {
    (from..from + n).map(|i| line(i, i)).collect()
}

/// Lines of a child's stdout, as they come, on a channel.
fn line_reader(out: ChildStdout) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            match l {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    rx
}

/// Start `ngxray ARGS [PATH]` with stdout and stderr piped.
fn start(args: &[&str], path: Option<&Path>, stdin: Stdio) -> Child {
    let mut cmd = Command::new(bin());
    cmd.args(args);
    if let Some(p) = path {
        cmd.arg(p);
    }
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// An event's (line number, connection number).
fn position(e: &Value) -> (Option<u64>, Option<u64>) {
    (e["line"].as_u64(), e["connection"].as_u64())
}

fn next_event(rx: &Receiver<String>, what: &str) -> Value {
    let l = rx
        .recv_timeout(WAIT)
        .unwrap_or_else(|_| panic!("no event for {what} within {WAIT:?}"));
    serde_json::from_str(&l).unwrap_or_else(|e| panic!("bad event {l}: {e}"))
}

/// Wait until the child catches SIGINT (its Ctrl-C handler is installed),
/// from the `SigCgt` mask in /proc.
fn wait_for_sigint_handler(child: &Child) {
    let status = format!("/proc/{}/status", child.id());
    for _ in 0..400 {
        let caught = std::fs::read_to_string(&status)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("SigCgt:"))
                    .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            })
            .is_some_and(|mask| mask & (1 << 1) != 0);
        if caught {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("ngxray did not install its Ctrl-C handler within 20 s");
}

fn sigint(child: &Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill -INT failed");
}

fn wait_with_timeout(mut child: Child) -> std::process::Output {
    for _ in 0..400 {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("ngxray did not exit within 20 s");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gz");
    e.finish().expect("gz")
}

/// What `zcat` recovers from damaged gzip data (the real tool when
/// installed, flate2 otherwise): the number of lines it prints.
fn zcat_lines(path: &Path) -> u64 {
    let data = match Command::new("gzip").arg("-dc").arg(path).output() {
        Ok(o) => o.stdout,
        Err(_) => {
            assert!(
                std::env::var_os("NGXRAY_REQUIRE_ORACLES").is_none(),
                "gzip (the zcat oracle) is not installed and NGXRAY_REQUIRE_ORACLES is set"
            );
            eprintln!("SKIP oracle: gzip not installed; flate2 stands in for zcat");
            let mut out = Vec::new();
            let raw = std::fs::read(path).expect("read");
            let _ = std::io::Read::read_to_end(
                &mut flate2::read::MultiGzDecoder::new(&raw[..]),
                &mut out,
            );
            out
        }
    };
    let n = data.iter().filter(|&&b| b == b'\n').count() as u64;
    n + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// A log of `total` lines, and `ngxray logs --format ndjson` started on
/// it with its first event read: the rest of its events wait in a pipe
/// nobody reads, which stalls the run after a few blocks, in the middle of
/// the file.
fn stalled_ndjson(
    total: u64,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    Child,
    BufReader<ChildStdout>,
    String,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("error.log");
    std::fs::write(&path, lines(1, total)).unwrap();
    let mut child = start(
        &["logs", "--format", "ndjson", "--threads", "2"],
        Some(path.as_path()),
        Stdio::null(),
    );
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    (dir, path, child, out, first)
}

#[test]
fn file_truncated_during_the_read_is_reported_not_fatal() {
    let total = 200_000;
    // The run stalls in the middle of the file; then the file is truncated
    // (copytruncate).
    let (_dir, path, child, mut out, first) = stalled_ndjson(total);
    assert!(first.contains("\"line\":1,"), "{first}");
    std::thread::sleep(Duration::from_millis(300));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut out, &mut rest).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "killed or failed: {:?} {}",
        o.status,
        stderr(&o)
    );
    let events: Vec<Value> = std::iter::once(first.trim_end())
        .chain(std::str::from_utf8(&rest).unwrap().lines())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        (events.len() as u64) < total,
        "the truncation came too late"
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["line"], i as u64 + 1, "lines read are reported in order");
        // The last one may be the line the truncation cut in two.
        if i + 1 < events.len() {
            assert_eq!(e["cause"], "connect-refused", "{e}");
        }
    }
    assert!(
        stderr(&o).contains("truncated while it was read"),
        "{}",
        stderr(&o)
    );
}

/// NDJSON events nobody reads stall the run: it neither reads the rest of
/// the file ahead nor holds its events in memory (it held 133 MB for this
/// 46 MB log).
#[test]
fn events_nobody_reads_stall_the_run_in_little_memory() {
    let (_dir, _path, child, mut out, _first) = stalled_ndjson(200_000);
    std::thread::sleep(Duration::from_millis(500));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut out, &mut rest).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(rest.iter().filter(|&&b| b == b'\n').count() + 1, 200_000);
    assert!(rss_kib < 80 * 1024, "{rss_kib} KiB resident while stalled");
}

#[test]
fn file_replaced_during_the_read_is_read_to_its_end() {
    let total = 150_000;
    let (dir, path, child, mut out, _first) = stalled_ndjson(total);
    std::thread::sleep(Duration::from_millis(300));
    // Rename rotation: the old file is moved away, a new one created.
    std::fs::rename(&path, dir.path().join("error.log.1")).unwrap();
    std::fs::write(&path, lines(1, 3)).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        rest.lines().count() as u64 + 1,
        total,
        "the old file is read whole"
    );
    assert!(
        stderr(&o).contains("replaced while it was read"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn corrupt_and_truncated_rotations_among_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // error.log.4.gz: a CRC error in the trailer (every line decodes).
    let mut crc = gzip(lines(1, 100).as_bytes());
    let n = crc.len();
    crc[n - 8] ^= 0xff;
    std::fs::write(d.join("error.log.4.gz"), &crc).unwrap();
    // error.log.3.gz: trailing zeros after a complete member (gzip -t
    // accepts it).
    let mut zeros = gzip(lines(101, 100).as_bytes());
    zeros.extend_from_slice(&[0u8; 4096]);
    std::fs::write(d.join("error.log.3.gz"), &zeros).unwrap();
    // error.log.2.gz: cut short (still being written, or a full disk).
    let big = lines(201, 50_000);
    let gz = gzip(big.as_bytes());
    std::fs::write(d.join("error.log.2.gz"), &gz[..gz.len() / 2]).unwrap();
    // error.log.1: unreadable; error.log: fine.
    std::fs::write(d.join("error.log.1"), lines(1, 10)).unwrap();
    std::fs::write(d.join("error.log"), lines(60_000, 10)).unwrap();
    let unreadable = {
        use std::os::unix::fs::PermissionsExt;
        let p = d.join("error.log.1");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads anything: then this input is simply good.
        std::fs::File::open(&p).is_err()
    };
    let want_truncated = zcat_lines(&d.join("error.log.2.gz"));
    assert!(want_truncated > 1000 && want_truncated < 50_000);

    let o = ngxray(&["logs", "--format", "json", d.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "something was skipped: {}",
        stderr(&o)
    );
    let doc: Value = serde_json::from_str(&stdout(&o)).expect("the report is printed");
    let by_name = |suffix: &str| {
        doc["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"].as_str().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix}"))
            .clone()
    };
    assert_eq!(by_name("error.log.4.gz")["lines"], 100);
    assert_eq!(by_name("error.log.3.gz")["lines"], 100);
    assert_eq!(
        by_name("error.log.2.gz")["lines"],
        want_truncated,
        "every line zcat recovers"
    );
    assert_eq!(by_name("/error.log")["lines"], 10);
    let err = stderr(&o);
    assert!(err.contains("error.log.4.gz: invalid gzip data"), "{err}");
    assert!(err.contains("error.log.3.gz: invalid gzip data"), "{err}");
    assert!(
        err.contains("error.log.2.gz: gzip data ends early"),
        "{err}"
    );
    let skipped = doc["skipped"].as_array().unwrap();
    if unreadable {
        assert!(err.contains("error.log.1: Permission denied"), "{err}");
        assert_eq!(skipped.len(), 4, "{skipped:?}");
    } else {
        eprintln!("NOTE: running as root, error.log.1 is readable");
        assert_eq!(skipped.len(), 3, "{skipped:?}");
    }
    let counted = doc["counted"].as_u64().unwrap();
    assert_eq!(counted, doc["lines"].as_u64().unwrap());

    // The text report is printed too, and says it is incomplete.
    let o = ngxray(&["logs", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("incomplete"), "{}", stdout(&o));
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("error.log");
    let hostile = "2026/11/25 15:19:35 [info] 7#7: *9 client sent invalid method while reading client request line, client: 6.6.6.6, server: s, request: \"\x1b]0;pwned\x07\x1b[2J\x1b[31mGET /\u{9b}31m\r HTTP/1.1\"\n\
2026/11/25 15:19:36 [error] 7#7: *10 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 6.6.6.6, server: s, request: \"GET /\x1b[5m HTTP/1.1\", upstream: \"http://10.0.0.1:80/\x1b[5m\", host: \"h\x1b[0m\", referrer: \"\x07\x08\x7f\"\n";
    std::fs::write(&path, hostile).unwrap();
    for format in ["text", "json", "ndjson"] {
        let o = ngxray(&["logs", "--format", format, path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let text = stdout(&o);
        assert!(
            text.contains("6.6.6.6") || format == "text",
            "{format}: {text}"
        );
        for (i, c) in text.char_indices() {
            let bad = (c < ' ' && c != '\n') || ('\u{7f}'..='\u{9f}').contains(&c);
            assert!(!bad, "{format}: control {:?} at {i}: {text}", c);
        }
        if format == "text" {
            assert!(text.contains("\\x1b[31mGET"), "{text}");
            assert!(text.contains("\\u{9b}31m"), "{text}");
        }
    }
}

#[test]
fn forged_context_tail_in_the_referrer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("error.log");
    let l = "2026/11/25 15:19:36 [error] 7#7: *10 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.5, server: shop, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.1:80/\", host: \"shop\", referrer: \"http://x/\", client: 6.6.6.6, server: x\", request: \"GET /evil HTTP/1.1\", upstream: \"http://6.6.6.6/\"\n";
    std::fs::write(&path, l).unwrap();
    let o = ngxray(&["logs", "--format", "ndjson", path.to_str().unwrap()]);
    let e: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(e["client"], "10.0.0.5");
    assert_eq!(e["server"], "shop");
    assert_eq!(e["upstream"], "10.0.0.1:80");
    assert_eq!(e["request"], "GET / HTTP/1.1");
    assert_eq!(e["cause"], "read-timeout");
    assert_eq!(e["status"], 504);
}

#[test]
fn named_pipe_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("error.log");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("NGXRAY_REQUIRE_ORACLES").is_none(),
            "mkfifo failed and NGXRAY_REQUIRE_ORACLES is set"
        );
        eprintln!("SKIP named_pipe_is_read_once: mkfifo failed");
        return;
    }
    for round in 0..3 {
        let f = fifo.clone();
        let writer = std::thread::spawn(move || -> std::io::Result<()> {
            let mut w = std::fs::OpenOptions::new().write(true).open(&f)?;
            w.write_all(lines(1, 500).as_bytes())?;
            Ok(())
        });
        let child = start(
            &["logs", "--format", "json"],
            Some(fifo.as_path()),
            Stdio::null(),
        );
        let o = wait_with_timeout(child);
        writer
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("round {round}: the writer failed: {e}"));
        assert_eq!(o.status.code(), Some(0), "round {round}: {}", stderr(&o));
        let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(doc["lines"], 500, "round {round}");
    }
}

#[test]
fn link_to_dev_stderr_is_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("error.log");
    std::os::unix::fs::symlink("/dev/stderr", &link).unwrap();
    let good = dir.path().join("site.error.log");
    std::fs::write(&good, lines(1, 5)).unwrap();
    let child = start(
        &["logs", "--format", "json"],
        Some(link.as_path()),
        Stdio::null(),
    );
    let o = wait_with_timeout(child);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a link to /dev/stderr"),
        "{}",
        stderr(&o)
    );
    // Among other inputs (here: a directory walk), a warning.
    let child = start(
        &["logs", "--format", "json"],
        Some(dir.path()),
        Stdio::null(),
    );
    let o = wait_with_timeout(child);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a link to /dev/stderr"),
        "{}",
        stderr(&o)
    );
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["lines"], 5);
}

#[test]
fn slow_pipe_gives_events_before_eof_and_ctrl_c_gives_the_summary() {
    let mut child = start(&["logs", "--format", "ndjson", "-"], None, Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let rx = line_reader(child.stdout.take().unwrap());
    for i in 1..=3u64 {
        stdin.write_all(line(i, i).as_bytes()).unwrap();
        stdin.flush().unwrap();
        let e = next_event(&rx, &format!("line {i}"));
        assert_eq!(e["line"], i);
        assert_eq!(e["cause"], "connect-refused");
    }
    drop(stdin);
    let o = wait_with_timeout(child);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // Ctrl-C while stdin is still open: the summary of what came so far.
    let mut child = start(&["logs", "--format", "json", "-"], None, Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(lines(1, 7).as_bytes()).unwrap();
    stdin.flush().unwrap();
    wait_for_sigint_handler(&child);
    std::thread::sleep(Duration::from_millis(700));
    sigint(&child);
    let o = wait_with_timeout(child);
    drop(stdin);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: Value = serde_json::from_str(&stdout(&o)).expect("summary on Ctrl-C");
    assert_eq!(doc["lines"], 7);
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
}

#[test]
fn follow_across_rename_and_copytruncate_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("error.log");
    std::fs::write(&path, lines(1, 2)).unwrap();
    let mut child = start(
        &["logs", "--follow", "--format", "ndjson"],
        Some(path.as_path()),
        Stdio::null(),
    );
    let rx = line_reader(child.stdout.take().unwrap());
    assert_eq!(next_event(&rx, "existing line 1")["line"], 1);
    assert_eq!(next_event(&rx, "existing line 2")["line"], 2);
    let append = |s: &str| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(s.as_bytes()).unwrap();
    };
    append(&line(3, 3));
    let e = next_event(&rx, "appended line");
    assert_eq!(position(&e), (Some(3), Some(3)));
    // Rename rotation: logrotate moves the file, nginx reopens a new one.
    append(&line(4, 4));
    std::fs::rename(&path, dir.path().join("error.log.1")).unwrap();
    std::fs::write(&path, line(5, 5)).unwrap();
    let e = next_event(&rx, "last line of the old file");
    assert_eq!(e["connection"], 4);
    let e = next_event(&rx, "first line of the new file");
    assert_eq!(position(&e), (Some(1), Some(5)));
    // copytruncate: the file is emptied in place and written again.
    std::thread::sleep(Duration::from_millis(500));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    append(&line(6, 6));
    let e = next_event(&rx, "line after truncation");
    assert_eq!(position(&e), (Some(1), Some(6)));
    sigint(&child);
    let o = wait_with_timeout(child);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("rotated"), "{err}");
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn multi_line_messages_are_one_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("error.log");
    let log = "2026/11/25 15:19:34 [error] 7#7: *3 FastCGI sent in stderr: \"PHP message: PHP Fatal error:  Uncaught Exception: boom in /var/www/html/index.php:3\n\
Stack trace:\n\
#0 {main}\n  thrown in /var/www/html/index.php on line 3\" while reading response header from upstream, client: 10.0.0.1, server: shop, request: \"GET /x HTTP/1.1\", upstream: \"fastcgi://unix:/run/php.sock:\", host: \"shop\"\n\
2026/11/25 15:19:35 [error] 7#7: *4 lua entry thread aborted: runtime error: content_by_lua(nginx.conf:12):2: boom\n\
stack traceback:\n\
coroutine 0:\n\
\t[C]: in function 'error'\n\
\tcontent_by_lua(nginx.conf:12):2: in main chunk, client: 10.0.0.2, server: api, request: \"GET /lua HTTP/1.1\", host: \"api\"\n\
connect() failed (111: Connection refused) while connecting to upstream, client: 172.19.0.1, server: localhost, request: \"GET / HTTP/1.1\", upstream: \"http://172.19.0.3:8000/\", host: \"localhost\"\n\
    at Object.<anonymous> (/app/server.js:12:3)\n";
    std::fs::write(&path, log).unwrap();
    let o = ngxray(&["logs", "--format", "ndjson", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ev: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(u64, u64, &str, Option<u64>, &str)> = ev
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["lines"].as_u64().unwrap(),
                e["cause"].as_str().unwrap(),
                e["status"].as_u64(),
                e["client"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (1, 4, "app-error", Some(500), "10.0.0.1"),
            (5, 5, "lua-error", Some(500), "10.0.0.2"),
            (10, 1, "connect-refused", Some(502), "172.19.0.1"),
            (11, 1, "unparsable", None, ""),
        ]
    );
    assert!(ev[2]["time"].is_null() && ev[2]["level"].is_null());
    let o = ngxray(&["logs", "--format", "json", path.to_str().unwrap()]);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["lines"], 11);
    assert_eq!(doc["counted"], 4);
    assert_eq!(doc["continuation_lines"], 7);
}

#[test]
fn tz_and_time_of_day() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("error.log");
    // A log written in UTC a few minutes ago.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let stamp = |t: u64| {
        let o = Command::new("date")
            .args(["-u", "-d", &format!("@{t}"), "+%Y/%m/%d %H:%M:%S"])
            .output()
            .expect("date");
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    let mut log = String::new();
    for (i, ago) in [7200u64, 600, 60].iter().enumerate() {
        log.push_str(&line(i as u64, 0).replacen("2026/11/25 15:00:00", &stamp(now - ago), 1));
    }
    std::fs::write(&path, log).unwrap();
    let count = |extra: &[&str], tz: &str| {
        let mut args = vec!["logs", "--format", "json", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = Command::new(bin())
            .args(&args)
            .env("TZ", tz)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
        doc["counted"].as_u64().unwrap()
    };
    assert_eq!(count(&["--since", "1h", "--tz", "UTC"], "Asia/Tokyo"), 2);
    assert_eq!(
        count(&["--since", "1h", "--tz", "+00:00"], "America/New_York"),
        2
    );
    assert_eq!(
        count(
            &["--since", "30m", "--until", "5m", "--tz", "UTC"],
            "Asia/Tokyo"
        ),
        1
    );
    let o = ngxray(&["logs", "--help"]);
    assert!(stdout(&o).contains("Default: local"), "{}", stdout(&o));
    let o = ngxray(&["logs", "--tz", "Mars/Base", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}
