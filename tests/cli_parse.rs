//! `ngxray parse --format json` end to end.

use crate::util::*;

#[test]
fn parse_json_has_spans_and_includes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nginx.conf"),
        "events {}\nhttp {\n  include conf.d/*.conf;\n}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("conf.d")).unwrap();
    std::fs::write(dir.path().join("conf.d/b.conf"), "server { listen 81; }\n").unwrap();
    std::fs::write(
        dir.path().join("conf.d/a.conf"),
        "server { listen \"80\"; }\n",
    )
    .unwrap();
    let out = ngxray_in(dir.path(), &["parse", "nginx.conf"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["schema"], "ngxray/parse/v1");
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    // glob results in byte order: a.conf before b.conf
    assert!(files[1]["file"]
        .as_str()
        .unwrap()
        .ends_with("conf.d/a.conf"));
    let inc = &files[0]["directives"][1]["block"][0];
    assert_eq!(inc["directive"], "include");
    assert_eq!(inc["includes"], serde_json::json!([1, 2]));
    let arg = &files[1]["directives"][0]["block"][0]["args"][0];
    assert_eq!(arg["value"], "80");
    assert_eq!(arg["quote"], "\"");
    assert_eq!(arg["span"]["line"], 1);
    assert_eq!(arg["span"]["column"], 17);
}
