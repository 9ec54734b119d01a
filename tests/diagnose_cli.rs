//! `diagnose` end to end on recorded logs (no nginx needed): a combined
//! access.log with a gzip rotation and an unparsable line, a JSON access
//! log written by a `log_format … escape=json` of the config, and an
//! error.log. The JSON output is validated against
//! docs/schema/diagnose.schema.json; the text report is a snapshot.

use serde_json::Value;

use crate::util::*;

fn dir() -> std::path::PathBuf {
    repo().join("testdata/diagnose")
}

fn run_json() -> Value {
    let out = ngxray_in(
        &dir(),
        &["diagnose", "-c", "nginx.conf", "--format", "json", "logs"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn recorded_logs_json() {
    let j = run_json();
    crate::formats::assert_valid("docs/schema/diagnose.schema.json", &j);
    // formats: from the access_log directives; rotations oldest first
    let inputs: Vec<(String, String)> = j["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_string(),
                i["format"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    assert_eq!(
        inputs,
        [
            ("logs/error.log", "-"),
            ("logs/access.log.1.gz", "combined"),
            ("logs/access.log", "combined"),
            ("logs/app.json.log", "jlog"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(j["access"]["lines"], 10);
    assert_eq!(j["access"]["parsed"], 9);
    assert_eq!(j["access"]["unparsable"], 1);
    assert_eq!(j["access"]["unparsable_samples"][0]["line"], 3);
    assert_eq!(
        j["access"]["status"],
        serde_json::json!({"200": 5, "502": 2, "504": 2})
    );
    assert_eq!(j["errors"]["failures"], 4);
    assert_eq!(j["errors"]["joined"], 4);
    let f = &j["findings"];
    assert_eq!(f[0]["cause"], "backend-busy");
    assert_eq!(f[0]["upstream"], "php");
    assert_eq!(f[0]["peers"], serde_json::json!(["unix:/run/php/fpm.sock"]));
    assert_eq!(f[0]["location"], "~ \\.php$");
    assert_eq!(f[0]["final"], serde_json::json!({"502": 2}));
    let server_line = f[0]["directives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "server")
        .unwrap();
    assert_eq!(server_line["line"], 5);
    assert_eq!(f[1]["cause"], "read-timeout");
    assert_eq!(f[1]["upstream"], "web");
    assert_eq!(f[1]["peers"], serde_json::json!(["10.0.0.2:8080"]));
    assert_eq!(f[1]["location"], "/");
    let rt = f[1]["directives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "proxy_read_timeout")
        .unwrap();
    assert_eq!(
        (rt["value"].as_str(), rt["line"].as_u64()),
        (Some("5s"), Some(11))
    );
    assert!(f[1]["lint"]
        .as_array()
        .unwrap()
        .contains(&Value::from("timeout/aggressive-read-timeout")));
}

#[test]
fn recorded_logs_text() {
    let out = ngxray_in(&dir(), &["diagnose", "-c", "nginx.conf", "logs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::with_settings!({snapshot_path => "../testdata/diagnose/snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("recorded_text", stdout(&out));
    });
}

#[test]
fn forced_format_and_bad_input() {
    // --log-format that does not exist: a clear error, exit 2
    let out = ngxray_in(
        &dir(),
        &[
            "diagnose",
            "-c",
            "nginx.conf",
            "--log-format",
            "nope",
            "logs/access.log",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no such log_format"),
        "{}",
        stderr(&out)
    );
    // a missing log: exit 2 naming it
    let out = ngxray_in(
        &dir(),
        &["diagnose", "-c", "nginx.conf", "logs/missing.log"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.log"), "{}", stderr(&out));
    // forcing jlog on a combined log: every line is counted unparsable
    let out = ngxray_in(
        &dir(),
        &[
            "diagnose",
            "-c",
            "nginx.conf",
            "--log-format",
            "jlog",
            "--format",
            "json",
            "logs/access.log",
        ],
    );
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["access"]["lines"], 5);
    assert_eq!(j["access"]["unparsable"], 5);
}

/// The README's incident walkthrough shows real output: every line of its
/// console block is a line `diagnose` prints for the walkthrough's files.
#[test]
fn readme_walkthrough_is_real() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let start = readme
        .find("### Incident walkthrough")
        .expect("README has the walkthrough");
    let block = &readme[start..];
    let block = &block[block.find("```console\n").expect("console block") + 11..];
    let block = &block[..block.find("```").expect("block end")];
    let mut lines = block.lines();
    let cmd = lines.next().expect("command line");
    assert_eq!(cmd, "$ ngxray diagnose -c nginx.conf logs");
    let out = ngxray_in(&dir(), &["diagnose", "-c", "nginx.conf", "logs"]);
    let got = stdout(&out);
    for l in lines {
        assert!(
            got.lines().any(|g| g == l),
            "README line not produced: {l}\n--- produced\n{got}"
        );
    }
}

/// A headless Chromium, when installed.
fn chromium() -> Option<std::path::PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(std::path::PathBuf::from)
    .find(|p| p.exists())
}

/// The HTML report in a real browser: it renders (screenshot taken, the
/// DOM after load holds the chart and the findings) and logs nothing to
/// the console. The page has no scripts and loads nothing.
#[test]
fn html_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        skip(
            "html_renders_in_headless_chromium",
            "chromium not installed (apt-get install chromium)",
        );
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let page = tmp.path().join("report.html");
    let out = ngxray_in(
        &dir(),
        &[
            "diagnose",
            "-c",
            "nginx.conf",
            "--format",
            "html",
            "-o",
            page.to_str().unwrap(),
            "logs",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let shot = tmp.path().join("shot.png");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,1800",
    ];
    let url = format!("file://{}", page.display());
    let profile = format!("--user-data-dir={}", tmp.path().join("profile").display());
    let run = std::process::Command::new(&browser)
        .args(common)
        .arg(&profile)
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("run chromium");
    let log = stderr(&run);
    assert!(run.status.success(), "chromium failed: {log}");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    assert!(!log.contains("CONSOLE"), "console output: {log}");
    let dom = std::process::Command::new(&browser)
        .args(common)
        .arg(&profile)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("run chromium");
    let dom = stdout(&dom);
    assert!(
        dom.contains("<svg") && dom.contains("<rect"),
        "chart rendered: {dom}"
    );
    assert!(dom.contains("backend-busy") && dom.contains("read-timeout"));
}

/// A JSON access log no `log_format` of the config describes: read by its
/// common key names (numbers or strings), retries included.
#[test]
fn common_json_access_log() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("access.json");
    std::fs::write(
        &log,
        concat!(
            r#"{"time":"2026-12-06T10:00:08+00:00","status":504,"request":"GET /slow HTTP/1.1","host":"shop.example.test","upstream_addr":"10.0.0.2:8080","upstream_status":"504","request_time":5.001,"upstream_response_time":"5.001"}"#,
            "\n",
            r#"{"time":"2026-12-06T10:00:09+00:00","status":200,"request":"GET /cart HTTP/1.1","host":"shop.example.test","upstream_addr":"10.0.0.2:8080, 10.0.0.1:8080","upstream_status":"502, 200","request_time":0.02,"upstream_response_time":"0.000, 0.020"}"#,
            "\n"
        ),
    )
    .expect("write");
    let out = ngxray_in(
        &dir(),
        &[
            "diagnose",
            "-c",
            "nginx.conf",
            "--format",
            "json",
            log.to_str().unwrap(),
            "logs/error.log",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["inputs"][1]["format"], "json");
    assert_eq!(
        j["access"]["status"],
        serde_json::json!({"200": 1, "504": 1})
    );
    assert_eq!(j["access"]["retried_ok"], 1);
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cause"] == "read-timeout" && f["upstream"] == "web")
        .expect("read-timeout on web");
    assert_eq!(f["final"], serde_json::json!({"504": 1}));
    assert_eq!(f["location"], "/");
    // the retried attempt has no error.log line: its status stands for it
    let s = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cause"] == "status-502")
        .expect("status-502");
    assert_eq!(s["retried_ok"], 1);
    assert_eq!(s["peers"], serde_json::json!(["10.0.0.2:8080"]));
}

/// A file whose format changed midway (a reload): lines of another of the
/// config's formats still count, and say so.
#[test]
fn mixed_formats_in_one_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("access.log");
    std::fs::write(
        &log,
        concat!(
            "10.1.1.1 - - [06/Dec/2026:10:00:03 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"curl/8\"\n",
            "10.1.1.1 - - [06/Dec/2026:10:00:04 +0000] \"GET /a HTTP/1.1\" 200 10 \"-\" \"curl/8\"\n",
            r#"{"t":"2026-12-06T10:00:05+00:00","st":"502","req":"GET /index.php HTTP/1.1","h":"shop.example.test","ua":"unix:/run/php/fpm.sock","us":"502","urt":"0.000"}"#,
            "\n"
        ),
    )
    .expect("write");
    let out = ngxray_in(
        &dir(),
        &[
            "diagnose",
            "-c",
            "nginx.conf",
            "--format",
            "json",
            log.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    crate::formats::assert_valid("docs/schema/diagnose.schema.json", &j);
    assert_eq!(j["inputs"][0]["format"], "combined");
    assert_eq!(j["inputs"][0]["other_format"], 1);
    assert_eq!(j["access"]["unparsable"], 0);
    assert_eq!(
        j["access"]["status"],
        serde_json::json!({"200": 2, "502": 1})
    );
}
