//! `nginx -T` round trip with the real nginx: a multi-file configuration is
//! dumped by `nginx -T` (never starting a server) and the dump is piped into
//! `ngxray lint -` and `ngxray parse -`. Findings and parsed directives must
//! point at the original files and lines, exactly as when ngxray reads the
//! files itself.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::util::*;

/// Write a configuration nginx accepts, spread over three files with
/// includes (a glob and a literal path), and return the dump.
fn dump(nginx: &Path, dir: &Path) -> Vec<u8> {
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::create_dir_all(dir.join("snippets")).unwrap();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "pid {d}/nginx.pid;\nerror_log stderr;\nevents {{\n    worker_connections 64;\n}}\nhttp {{\n    access_log off;\n    client_body_temp_path {d}/tmp;\n    include conf.d/*.conf;\n}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("conf.d/app.conf"),
        "upstream app {\n    server 127.0.0.1:9000;\n    keepalive 16;\n}\n\nserver {\n    listen 127.0.0.1:8080;\n    server_name app.test;\n\n    location / {\n        proxy_pass http://app;\n        proxy_connect_timeout 1s;\n        proxy_read_timeout 1s;\n    }\n\n    location /dyn/ {\n        set $backend app.internal:9001;\n        proxy_pass http://$backend;\n    }\n\n    include snippets/common.conf;\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("snippets/common.conf"),
        "location /health {\n    return 200 \"ok\";\n}\nlocation /static/ {\n    proxy_buffering off;\n    proxy_pass http://localhost:9002;\n}\n",
    )
    .unwrap();
    let conf = dir.join("nginx.conf");
    let out = Command::new(nginx)
        .arg("-T")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg("stderr")
        .output()
        .expect("run nginx -T");
    assert!(
        out.status.success(),
        "nginx -T failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn pipe(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ngxray");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("ngxray output");
    writer.join().unwrap().unwrap();
    out
}

/// (file, line, column, rule, message) of every lint finding.
fn findings(json: &str) -> Vec<(String, u64, u64, String, String)> {
    let v: serde_json::Value = serde_json::from_str(json).expect("lint json");
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
                d["rule"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn lint_of_dump_points_at_original_files() {
    let Some(nginx) = nginx("lint_of_dump_points_at_original_files") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // nginx resolves paths as given; use the canonical one so both runs agree.
    let dir = tmp.path().canonicalize().unwrap();
    let dump = dump(&nginx, &dir);
    let text = String::from_utf8_lossy(&dump);
    let app = dir.join("conf.d/app.conf");
    let common = dir.join("snippets/common.conf");
    for f in [&dir.join("nginx.conf"), &app, &common] {
        assert!(
            text.contains(&format!("# configuration file {}:", f.display())),
            "dump lacks {}",
            f.display()
        );
    }

    let from_dump = pipe(
        &["lint", "--format", "json", "--fail-on", "never", "-"],
        &dump,
    );
    assert_eq!(from_dump.status.code(), Some(0), "{}", stderr(&from_dump));
    let direct = ngxray(&[
        "lint",
        "--format",
        "json",
        "--fail-on",
        "never",
        dir.join("nginx.conf").to_str().unwrap(),
    ]);
    assert_eq!(direct.status.code(), Some(0), "{}", stderr(&direct));
    let (got, want) = (findings(&stdout(&from_dump)), findings(&stdout(&direct)));
    assert_eq!(got, want, "dump findings differ from direct findings");
    for f in &got {
        assert!(
            Path::new(&f.0).is_file(),
            "finding points at {}, not an original file",
            f.0
        );
    }
    // Findings in both included files, at their original lines (rules that
    // fire on configurations nginx accepts).
    let at = |file: &Path, line: u64, rule: &str| {
        got.iter()
            .any(|f| f.0 == file.display().to_string() && f.1 == line && f.3 == rule)
    };
    assert!(
        at(&app, 18, "dns/variable-pass-without-resolver"),
        "{got:#?}"
    );
    assert!(at(&app, 13, "timeout/aggressive-read-timeout"), "{got:#?}");
    assert!(at(&common, 6, "dns/localhost-dual-stack"), "{got:#?}");

    // A finding is placed at the original line: break the snippet (nginx
    // would refuse it, so edit the dump as a user editing a file would).
    let broken = text.replace("    return 200 \"ok\";\n", "    return 200 \"ok\"x;\n");
    assert_ne!(broken, text);
    let out = pipe(&["lint", "--format", "concise", "-"], broken.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let want = format!(
        "{}:2:20: error[syntax/unexpected-character] unexpected \"x\"",
        common.display()
    );
    assert!(
        stdout(&out).lines().any(|l| l == want),
        "want {want}\n--- got\n{}",
        stdout(&out)
    );
}

#[test]
fn parse_of_dump_matches_parse_of_files() {
    let Some(nginx) = nginx("parse_of_dump_matches_parse_of_files") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let dump = dump(&nginx, &dir);
    let from_dump = pipe(&["parse", "-"], &dump);
    assert_eq!(from_dump.status.code(), Some(0), "{}", stderr(&from_dump));
    let direct = ngxray(&["parse", dir.join("nginx.conf").to_str().unwrap()]);
    let a: serde_json::Value = serde_json::from_str(&stdout(&from_dump)).unwrap();
    let b: serde_json::Value = serde_json::from_str(&stdout(&direct)).unwrap();
    // Same files, same directives on the same lines.
    let files = |v: &serde_json::Value| -> Vec<String> {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["file"].as_str().unwrap().to_string())
            .collect()
    };
    let mut fa = files(&a);
    let mut fb = files(&b);
    fa.sort();
    fb.sort();
    assert_eq!(fa, fb);
    assert_eq!(fa.len(), 3, "{fa:?}");
    for c in a["files"].as_array().unwrap() {
        let other = b["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["file"] == c["file"])
            .unwrap();
        assert_eq!(c["directives"], other["directives"], "{}", c["file"]);
        assert_eq!(c["errors"], other["errors"], "{}", c["file"]);
    }
}
