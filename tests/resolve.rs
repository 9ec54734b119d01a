//! `lint --resolve` against DNS servers the test starts on 127.0.0.1: one
//! that never answers (the whole run ends at the global deadline, every name
//! "could not be checked", an info, exit 0) and one that answers (found,
//! NXDOMAIN, SERVFAIL are told apart).

use std::net::UdpSocket;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use hickory_proto::rr::RecordType;

use crate::util::{bin, dns_server, stderr, stdout, DnsAnswer};

/// Stops the answering server's thread when dropped.
struct Stop(Arc<AtomicBool>);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A DNS server: `*.ok.test` has A 127.0.0.9, `*.invalid` is NXDOMAIN,
/// `*.servfail.test` SERVFAIL, anything else no records.
fn answering_server() -> (u16, Stop) {
    let stop = Arc::new(AtomicBool::new(false));
    let port = dns_server(stop.clone(), |name, qtype| {
        if name.ends_with(".invalid.") {
            DnsAnswer::NxDomain
        } else if name.ends_with(".servfail.test.") {
            DnsAnswer::ServFail
        } else if name.ends_with(".ok.test.") && qtype == RecordType::A {
            DnsAnswer::A([127, 0, 0, 9])
        } else {
            DnsAnswer::Empty
        }
    });
    (port, Stop(stop))
}

fn lint(conf: &std::path::Path, extra: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let o = Command::new(bin())
        .arg("lint")
        .arg(conf)
        .args([
            "--select",
            "dns/unresolvable-host",
            "--format",
            "json",
            "--resolve",
        ])
        .args(extra)
        .output()
        .expect("run ngxray");
    (o, start.elapsed())
}

fn findings(o: &Output) -> Vec<Value> {
    let v: Value = serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("json: {e}\n{}\n{}", stdout(o), stderr(o)));
    v["diagnostics"].as_array().cloned().unwrap_or_default()
}

fn config_with(dir: &std::path::Path, names: &[String]) -> std::path::PathBuf {
    let mut c = String::from("events {}\nhttp {\n  server {\n    listen 8080;\n");
    for (i, n) in names.iter().enumerate() {
        c.push_str(&format!(
            "    location /l{i} {{ proxy_pass http://{n}:8080; }}\n"
        ));
    }
    c.push_str("  }\n}\n");
    let p = dir.join("nginx.conf");
    std::fs::write(&p, c).expect("write conf");
    p
}

#[test]
fn resolve_silent_server_ends_at_the_deadline_with_infos() {
    let mute = UdpSocket::bind("127.0.0.1:0").expect("bind mute dns");
    let addr = mute.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    // 300 names: one lookup after another at the old per-batch timeout
    // took minutes; one deadline bounds the whole run.
    let names: Vec<String> = (0..300).map(|i| format!("b{i}.silent.test")).collect();
    let conf = config_with(dir.path(), &names);
    let (o, took) = lint(&conf, &["--resolver", &addr, "--resolve-timeout", "1s"]);
    let f = findings(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(f.len(), 300, "{}", stdout(&o));
    for d in &f {
        assert_eq!(d["severity"], "info", "{d}");
        let m = d["message"].as_str().unwrap_or_default();
        assert!(m.contains("could not be checked"), "{m}");
        assert!(m.contains(&addr), "{m}");
        assert!(!m.contains("does not resolve"), "{m}");
    }
    // 1 s deadline + process start and lint; far below 300 sequential waits
    assert!(took < Duration::from_secs(15), "took {took:?}");
    // not a terminal: no progress output
    assert!(!stderr(&o).contains("resolving"), "{}", stderr(&o));
    drop(mute);
}

#[test]
fn resolve_answering_server_tells_answers_apart() {
    let (port, _stop) = answering_server();
    let addr = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("tempdir");
    let names: Vec<String> = [
        "api.ok.test",
        "gone.invalid",
        "db.servfail.test",
        "norecords.test",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let conf = config_with(dir.path(), &names);
    let (o, _) = lint(&conf, &["--resolver", &addr, "--resolve-timeout", "10s"]);
    let f = findings(&o);
    let of = |name: &str| -> Vec<&Value> {
        f.iter()
            .filter(|d| {
                d["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(&format!("\"{name}\"")))
            })
            .collect()
    };
    assert!(of("api.ok.test").is_empty(), "{}", stdout(&o));
    let gone = of("gone.invalid");
    assert_eq!(gone.len(), 1, "{}", stdout(&o));
    assert_eq!(gone[0]["severity"], "error");
    let m = gone[0]["message"].as_str().unwrap_or_default();
    assert!(
        m.contains("NXDOMAIN") && m.contains("host not found in upstream"),
        "{m}"
    );
    let none = of("norecords.test");
    assert_eq!(none.len(), 1, "{}", stdout(&o));
    assert_eq!(none[0]["severity"], "error");
    let sf = of("db.servfail.test");
    assert_eq!(sf.len(), 1, "{}", stdout(&o));
    assert_eq!(sf[0]["severity"], "info");
    assert!(
        sf[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("could not be checked") && m.contains("SERVFAIL")),
        "{}",
        sf[0]
    );
    assert_eq!(o.status.code(), Some(1), "an error fails the run");
}

#[test]
fn resolve_options_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = config_with(dir.path(), &["a.ok.test".to_string()]);
    for (args, want) in [
        (
            vec!["--resolve", "--resolver", "dns.example"],
            "invalid resolver address",
        ),
        (
            vec!["--resolve", "--resolve-timeout", "soon"],
            "invalid time",
        ),
        (vec!["--resolver", "127.0.0.1"], "--resolve"),
    ] {
        let o = Command::new(bin())
            .arg("lint")
            .arg(&conf)
            .args(&args)
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}
