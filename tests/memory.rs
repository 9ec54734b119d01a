//! Memory of a lint with many findings: reports are written a batch at a
//! time, so the size of the report adds nothing to the peak, and running
//! out of memory (an address-space limit here) ends with a clear error and
//! exit status 2, never an allocation abort.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::bin;

/// A config with 40 `timeout/aggressive-read-timeout` findings per server
/// (read and send timeouts; 1s is a fair connect timeout).
fn many_findings(dir: &Path, servers: usize) -> PathBuf {
    let mut s = String::from("events {}\nhttp {\n");
    for i in 0..servers {
        s += &format!("  server {{\n    listen 80;\n    server_name s{i}.example.com;\n");
        for l in 0..20 {
            s += &format!(
                "    location /a{l} {{ proxy_pass http://127.0.0.1:8080; proxy_read_timeout 1s; \
                 proxy_connect_timeout 1s; proxy_send_timeout 1s; }}\n"
            );
        }
        s += "  }\n";
    }
    s += "}\n";
    let path = dir.join("nginx.conf");
    std::fs::write(&path, s).expect("write config");
    path
}

/// Exit code and peak resident memory (KiB) of one `ngxray` run, its output
/// written to a file. A process's peak counts the memory of the process it
/// was forked from (the test binary, hundreds of megabytes while other
/// tests run): a small Python process forks and waits for `ngxray` and
/// reports the child's own peak.
fn peak_kib(args: &[&str], out: &Path) -> (Option<i32>, i64) {
    const WAIT: &str = "import os, sys\n\
        pid = os.fork()\n\
        if pid == 0:\n    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)\n    os.execv(sys.argv[1], sys.argv[1:])\n\
        _, status, usage = os.wait4(pid, 0)\n\
        code = os.waitstatus_to_exitcode(status)\n\
        print('peak', code, usage.ru_maxrss, file=sys.stderr)\n";
    let file = std::fs::File::create(out).expect("create output file");
    let o = Command::new("python3")
        .arg("-c")
        .arg(WAIT)
        .arg(bin())
        .args(args)
        .stdout(Stdio::from(file))
        .output()
        .expect("run python3");
    let err = String::from_utf8_lossy(&o.stderr);
    let Some(line) = err.lines().rev().find(|l| l.starts_with("peak ")) else {
        panic!("no peak reported for {args:?}: {err}");
    };
    let mut it = line.split_whitespace().skip(1);
    let code: i32 = it.next().and_then(|c| c.parse().ok()).expect("exit code");
    let peak: i64 = it.next().and_then(|p| p.parse().ok()).expect("peak");
    ((code >= 0).then_some(code), peak)
}

#[test]
fn report_size_adds_nothing_to_the_peak() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = many_findings(dir.path(), 1000);
    let conf = conf.to_str().expect("utf-8 path");
    let out = dir.path().join("out");
    let (code, json) = peak_kib(&["lint", "--format", "json", conf], &out);
    assert_eq!(code, Some(1));
    let report = std::fs::read_to_string(&out).expect("read report");
    assert_eq!(
        report
            .matches("\"rule\": \"timeout/aggressive-read-timeout\"")
            .count(),
        40_000
    );
    // The text report is twice the JSON one and the concise one a fifth of
    // it; held whole, the text report doubled the peak.
    for format in ["text", "concise", "github"] {
        let (code, peak) = peak_kib(&["lint", "--format", format, conf], &out);
        assert_eq!(code, Some(1), "{format}");
        assert!(
            peak * 4 <= json * 5,
            "--format {format}: peak {peak} KiB, JSON's {json} KiB"
        );
    }
}

/// Findings are kept until the report (sorted, deduplicated, filtered as a
/// whole), so each must cost little: texts shared between equal findings,
/// a pointer in the lists. Held as their own strings in lists of whole
/// findings they cost 1.1 to 1.4 KB each, more than the syntax tree of the
/// config that caused them.
#[test]
fn a_finding_costs_a_few_hundred_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = many_findings(dir.path(), 2000);
    let conf = conf.to_str().expect("utf-8 path");
    let out = dir.path().join("out");
    let (code, with) = peak_kib(&["lint", "--format", "json", conf], &out);
    assert_eq!(code, Some(1));
    let (code, without) = peak_kib(
        &["lint", "--format", "json", "--ignore", "timeout", conf],
        &out,
    );
    assert_eq!(code, Some(0));
    // Packed while the model is alive (about 70 bytes each) and about 230
    // bytes once unpacked after it is dropped, plus the allocator's slack.
    let per_finding = (with - without) * 1024 / 80_000;
    assert!(
        per_finding <= 700,
        "{per_finding} bytes a finding (peak {with} KiB with 80,000 findings, {without} KiB without)"
    );
}

/// `sh -c 'ulimit -v KIB; exec ngxray ARGS'`.
fn under_limit(kib: u64, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(bin())
        .args(args)
        .output()
        .expect("run sh")
}

#[test]
fn out_of_memory_is_a_clear_error_not_an_abort() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = many_findings(dir.path(), 1000);
    let conf = conf.to_str().expect("utf-8 path");
    // About 110 MB resident: beyond a 150 MB address space with the
    // allocator's and the threads' reservations.
    let o = under_limit(150_000, &["lint", "--format", "json", conf]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.starts_with("ngxray: error: out of memory"), "{err}");
    assert!(!err.contains("memory allocation of"), "{err}");
    // The same limit leaves room for a small config.
    let small = crate::util::repo().join("bench/small.conf");
    let o = under_limit(150_000, &["lint", small.to_str().expect("utf-8 path")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("file(s) checked"));
}
