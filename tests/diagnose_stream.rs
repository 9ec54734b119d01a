//! `diagnose` on `stream {}` against a real nginx on loopback: a TCP pool
//! with a stopped peer (`max_fails=0`, so each try is refused and retried
//! onto the live one: sessions served), a group whose only peer is stopped
//! (final 502s), and a peer whose accept queue is full so connecting times
//! out after `proxy_connect_timeout 1s` (stream clients get 502 for that,
//! not 504). The stream access log has `$status`, `$upstream_addr`,
//! `$session_time`, `$upstream_connect_time` and `$server_port`; the test
//! asserts the attribution to stream servers and groups, the governing
//! stream directives with their lines, and that the status totals equal
//! the stream access log's.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::diagnose_nginx::{closed_ports, directive, finding, line_of, Backend, Nginx};
use crate::util::*;

/// The `load_module` line nginx needs for `stream {}` ("" when it is built
/// in); `None` when this nginx has no stream module.
pub(crate) fn stream_module(nginx: &Path) -> Option<String> {
    let v = Command::new(nginx).arg("-V").output().ok()?;
    let conf = String::from_utf8_lossy(&v.stderr).into_owned();
    if conf.contains("--with-stream ") || conf.ends_with("--with-stream") {
        return Some(String::new());
    }
    if !conf.contains("--with-stream=dynamic") {
        return None;
    }
    let from_build = conf
        .split_whitespace()
        .find_map(|a| a.strip_prefix("--modules-path="))
        .map(PathBuf::from);
    from_build
        .into_iter()
        .chain(
            [
                "/usr/lib/nginx/modules",
                "/usr/lib64/nginx/modules",
                "/usr/share/nginx/modules",
            ]
            .map(PathBuf::from),
        )
        .map(|d| d.join("ngx_stream_module.so"))
        .find(|p| p.exists())
        .map(|p| format!("load_module {};", p.display()))
}

/// Start nginx in the foreground with a private prefix.
pub(crate) fn start_nginx(nginx: &Path, d: &Path, conf: &Path) -> Nginx {
    let child = Command::new(nginx)
        .arg("-p")
        .arg(format!("{}/", d.display()))
        .arg("-c")
        .arg(conf)
        .arg("-e")
        .arg(d.join("logs/error.log"))
        .arg("-g")
        .arg("daemon off; master_process off;")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nginx");
    Nginx(child)
}

/// Wait until nginx has written its pid file (after opening its listening
/// sockets).
pub(crate) fn wait_pid_file(pid: &Path) {
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(pid).is_ok_and(|s| s.trim().parse::<u32>().is_ok()) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nginx did not start (no {})",
            pid.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One TCP session through nginx: an HTTP request to the backend behind
/// it; true when an answer came back (a refused session is closed empty).
fn session(port: u16) -> bool {
    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect nginx");
    c.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let _ = c.write_all(b"GET / HTTP/1.0\r\n\r\n");
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    out.starts_with(b"HTTP/1.1 200")
}

#[test]
fn diagnose_real_nginx_stream() {
    let Some(nginx) = nginx("diagnose_real_nginx_stream") else {
        return;
    };
    let Some(load) = stream_module(&nginx) else {
        skip(
            "diagnose_real_nginx_stream",
            "this nginx has no stream module (apt-get install libnginx-mod-stream)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir_all(d.join("logs")).expect("mkdir");
    let ports = closed_ports(5);
    let (stopped, dead, p_pool, p_dead, p_full) =
        (ports[0], ports[1], ports[2], ports[3], ports[4]);
    let live = Backend::start(Duration::ZERO);
    // A peer whose accept queue is full: SYNs are dropped, connect() times out.
    let (_full, fillers, full_port) = full_accept_queue();

    let conf = format!(
        "{load}
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 64; }}
stream {{
    log_format tcp '$remote_addr [$time_local] $protocol $status $bytes_sent $bytes_received '
                   '$session_time up=$upstream_addr uct=$upstream_connect_time '
                   'sp=$server_port cn=$connection pid=$pid';
    access_log {d}/logs/stream.log tcp;
    upstream tcp_pool {{
        server 127.0.0.1:{stopped} max_fails=0;
        server 127.0.0.1:{live};
    }}
    upstream tcp_dead {{
        server 127.0.0.1:{dead};
    }}
    upstream tcp_full {{
        server 127.0.0.1:{full_port};
    }}
    server {{
        listen 127.0.0.1:{p_pool};
        proxy_pass tcp_pool;
    }}
    server {{
        listen 127.0.0.1:{p_dead};
        proxy_pass tcp_dead;
    }}
    server {{
        listen 127.0.0.1:{p_full};
        proxy_connect_timeout 1s;
        proxy_pass tcp_full;
    }}
}}
",
        d = d.display(),
        live = live.port,
    );
    let conf_path = d.join("nginx.conf");
    std::fs::write(&conf_path, &conf).expect("write conf");
    let guard = start_nginx(&nginx, d, &conf_path);
    // not by connecting: a probe would be a session of its own
    wait_pid_file(&d.join("nginx.pid"));
    let mut answered = 0u64;
    let mut closed = 0u64;
    let mut count = |ok: bool| {
        if ok {
            answered += 1
        } else {
            closed += 1
        }
    };
    for _ in 0..6 {
        count(session(p_pool));
    }
    for _ in 0..3 {
        count(session(p_dead));
    }
    for _ in 0..2 {
        count(session(p_full));
    }
    drop(guard);
    drop(fillers);
    let access = std::fs::read_to_string(d.join("logs/stream.log")).expect("stream.log");
    let error_log = std::fs::read_to_string(d.join("logs/error.log")).expect("error.log");
    assert_eq!(access.lines().count(), 11, "one line per session: {access}");
    assert_eq!((answered, closed), (6, 5), "{access}\n{error_log}");

    let out = ngxray(&[
        "diagnose",
        "--config",
        conf_path.to_str().expect("utf8"),
        "--format",
        "json",
        d.join("logs/stream.log").to_str().expect("utf8"),
        d.join("logs/error.log").to_str().expect("utf8"),
    ]);
    assert!(out.status.success(), "diagnose failed: {}", stderr(&out));
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    crate::formats::assert_valid("docs/schema/diagnose.schema.json", &j);

    // Status totals: the stream access log's `$status` column.
    let mut from_log: std::collections::BTreeMap<String, u64> = Default::default();
    for l in access.lines() {
        let st = l.split(' ').nth(4).expect("status");
        *from_log.entry(st.to_string()).or_default() += 1;
    }
    let status: std::collections::BTreeMap<String, u64> =
        serde_json::from_value(j["access"]["status"].clone()).expect("status map");
    assert_eq!(status, from_log);
    assert_eq!(
        from_log,
        [("200".to_string(), answered), ("502".to_string(), closed)].into()
    );
    assert_eq!(j["errors"]["joined"], j["errors"]["failures"], "{j:#}");

    // tcp_pool: every try of the stopped peer retried onto the live one.
    let tries = access
        .lines()
        .filter(|l| l.contains(&format!("up=127.0.0.1:{stopped}, ")))
        .count() as u64;
    assert!(tries >= 2, "round robin tried the stopped peer: {access}");
    let pool = finding(&j, "connect-refused", "tcp_pool");
    assert_eq!(pool["server"], format!("stream 127.0.0.1:{p_pool}"));
    assert_eq!(pool["location"], Value::Null);
    assert_eq!(pool["stream"], true);
    assert_eq!(
        pool["peers"],
        serde_json::json!([format!("127.0.0.1:{stopped}")])
    );
    assert_eq!(pool["count"], tries);
    assert_eq!(pool["retried_ok"], tries);
    assert_eq!(pool["final"], serde_json::json!({"200": tries}));
    let pp = directive(pool, "proxy_pass", "tcp_pool");
    assert_eq!(pp["line"], line_of(&conf, "proxy_pass tcp_pool;"));
    let nu = directive(pool, "proxy_next_upstream", "on");
    assert_eq!(nu["default"], true, "stream's default is `on`: {pool:#}");
    let sl = directive(pool, "server", &format!("127.0.0.1:{stopped}"));
    assert_eq!(
        sl["line"],
        line_of(&conf, &format!("server 127.0.0.1:{stopped} max_fails=0;"))
    );

    // tcp_dead: one peer, every session a final 502.
    let dead_f = finding(&j, "connect-refused", "tcp_dead");
    assert_eq!(dead_f["server"], format!("stream 127.0.0.1:{p_dead}"));
    assert_eq!(dead_f["count"], 3);
    assert_eq!(dead_f["final"], serde_json::json!({"502": 3}));
    assert_eq!(dead_f["retried_ok"], 0);
    let sl = directive(dead_f, "server", &format!("127.0.0.1:{dead}"));
    assert_eq!(
        sl["line"],
        line_of(&conf, &format!("server 127.0.0.1:{dead};"))
    );

    // tcp_full: connect timeouts, 502 to the client, governed by
    // proxy_connect_timeout 1s on its line.
    let timed = error_log
        .lines()
        .filter(|l| l.contains("timed out") && l.contains("while connecting to upstream"))
        .count() as u64;
    assert_eq!(timed, 2, "{error_log}");
    let ct = finding(&j, "connect-timeout", "tcp_full");
    assert_eq!(ct["server"], format!("stream 127.0.0.1:{p_full}"));
    assert_eq!(ct["count"], 2);
    assert_eq!(ct["final"], serde_json::json!({"502": 2}));
    let cto = directive(ct, "proxy_connect_timeout", "1s");
    assert_eq!(cto["line"], line_of(&conf, "proxy_connect_timeout 1s;"));
    assert!(
        ct["fix"].as_str().expect("fix").contains("502 (not 504)"),
        "{ct:#}"
    );
    // no http directive is named for a stream session
    for f in j["findings"].as_array().expect("findings") {
        for d in f["directives"].as_array().expect("directives") {
            let n = d["name"].as_str().expect("name");
            assert!(
                !n.ends_with("_read_timeout") && !n.ends_with("http_version"),
                "{f:#}"
            );
        }
    }

    // The text report names the stream servers, without a location.
    let text = stdout(&ngxray(&[
        "diagnose",
        "--config",
        conf_path.to_str().expect("utf8"),
        d.join("logs/stream.log").to_str().expect("utf8"),
        d.join("logs/error.log").to_str().expect("utf8"),
    ]));
    assert!(
        text.contains(&format!("   server stream 127.0.0.1:{p_full}\n")),
        "{text}"
    );
    assert!(!text.contains("location ?"), "{text}");
}
