//! Output formats of `lint` end to end: concise, github, sarif (validated
//! against the vendored SARIF 2.1.0 schema), json (validated against
//! docs/schema/lint.schema.json), and the JSON Schemas in docs/schema/.

use std::path::{Path, PathBuf};

use crate::util::*;

/// Compile the JSON Schema at `schema` (a path relative to the repository).
pub fn validator(schema: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join(schema)).expect("read schema");
    let mut schema_v: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    if schema.ends_with("sarif-schema-2.1.0.json") {
        // The published schema's `language` patterns have a stray `]` that
        // ECMAScript reads as a literal but Rust regex engines reject. ngxray
        // never emits `language`; drop just those keywords (the vendored
        // file stays byte-identical to its source, see PROVENANCE.md).
        let removed = drop_pattern(&mut schema_v, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        assert_eq!(removed, 2, "vendored SARIF schema changed");
    }
    jsonschema::validator_for(&schema_v).expect("schema compiles")
}

/// Validate `instance` against the JSON Schema at `schema` (a path relative to
/// the repository); panics with every validation error.
pub fn assert_valid(schema: &str, instance: &serde_json::Value) {
    let validator = validator(schema);
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "output is not valid against {schema}:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(instance).unwrap_or_default()
    );
}

/// Remove every `"pattern": <pattern>` keyword; returns how many.
fn drop_pattern(v: &mut serde_json::Value, pattern: &str) -> usize {
    match v {
        serde_json::Value::Object(o) => {
            let mut n = 0;
            if o.get("pattern").and_then(|p| p.as_str()) == Some(pattern) {
                o.remove("pattern");
                n += 1;
            }
            n + o
                .values_mut()
                .map(|x| drop_pattern(x, pattern))
                .sum::<usize>()
        }
        serde_json::Value::Array(a) => a.iter_mut().map(|x| drop_pattern(x, pattern)).sum(),
        _ => 0,
    }
}

fn multi() -> PathBuf {
    repo().join("testdata/formats/multi")
}

/// `lint --format FORMAT PATHS…` in `dir`, with `dir` as the base of
/// reported paths (the repository root is tested on its own).
fn lint_in(dir: &Path, format: &str, paths: &[&str]) -> std::process::Output {
    let mut args = vec!["lint", "--base-dir", ".", "--format", format];
    args.extend_from_slice(paths);
    ngxray_in(dir, &args)
}

fn json_diags(dir: &Path, paths: &[&str]) -> Vec<serde_json::Value> {
    let out = lint_in(dir, "json", paths);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json output");
    v["diagnostics"].as_array().expect("diagnostics").clone()
}

/// Syntax and include findings only: the fixture's known content. Other
/// rules may add findings; every format must still show these exactly.
fn loading_lines(s: &str) -> Vec<&str> {
    s.lines()
        .filter(|l| l.contains("syntax/") || l.contains("include/"))
        .collect()
}

#[test]
fn concise_one_line_per_finding() {
    let out = lint_in(&multi(), "concise", &["nginx.conf"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        loading_lines(&text),
        [
            "nginx.conf:4:5: error[include/not-found] open() \"missing.conf\" failed (2: No such file or directory)",
            // Columns count characters: `ü` is one column, two bytes.
            "conf.d/app.conf:4:23: error[syntax/unexpected-character] unexpected \"x\"",
            "conf.d/app.conf:6:5: error[syntax/unterminated-directive] unexpected \"}\"",
        ]
    );
    let re = regex::Regex::new(
        r"^[^\s:][^:]*:\d+:\d+: (error|warning|info)\[[a-z0-9-]+/[a-z0-9-]+\] \S.*$",
    )
    .unwrap();
    for l in text.lines() {
        assert!(re.is_match(l), "not concise: {l:?}");
    }
    assert_eq!(
        text.lines().count(),
        json_diags(&multi(), &["nginx.conf"]).len()
    );
}

#[test]
fn concise_keeps_the_path_as_given() {
    let out = ngxray(&[
        "lint",
        "--format",
        "concise",
        multi().join("nginx.conf").to_str().unwrap(),
    ]);
    let text = stdout(&out);
    let first = loading_lines(&text)[0];
    let want = format!(
        "{}:4:5: error[include/not-found]",
        multi().join("nginx.conf").display()
    );
    assert!(first.starts_with(&want), "{first}");
}

#[test]
fn github_annotations() {
    let out = lint_in(&multi(), "github", &["nginx.conf"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(
        loading_lines(&text),
        [
            "::error file=nginx.conf,line=4,endLine=4,col=5,endColumn=25,title=ngxray (include/not-found)::open() \"missing.conf\" failed (2: No such file or directory)%0Ahelp: fix the path; when the config is kept in a repository, map its install path with --path-map /etc/nginx=PATH (or `[paths]` in .ngxray.toml), or set --prefix",
            "::error file=conf.d/app.conf,line=4,endLine=4,col=23,endColumn=24,title=ngxray (syntax/unexpected-character)::unexpected \"x\"%0Ahelp: put whitespace or \";\" after the closing quote",
            "::error file=conf.d/app.conf,line=6,endLine=6,col=5,endColumn=6,title=ngxray (syntax/unterminated-directive)::unexpected \"}\"%0Ahelp: end the directive with \";\"",
        ]
    );
    let re = regex::Regex::new(
        r"^::(error|warning|notice) file=[^,]+,line=\d+,endLine=\d+,col=\d+,endColumn=\d+,title=ngxray \([a-z0-9-]+/[a-z0-9-]+\)::[^\n\r]+$",
    )
    .unwrap();
    for l in text.lines() {
        assert!(re.is_match(l), "not a workflow command: {l:?}");
    }
    assert_eq!(
        text.lines().count(),
        json_diags(&multi(), &["nginx.conf"]).len()
    );
}

fn sarif(dir: &Path, paths: &[&str]) -> serde_json::Value {
    let out = lint_in(dir, "sarif", paths);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("sarif is JSON")
}

#[test]
fn github_paths_relative_to_checkout() {
    // An absolute path inside the current directory becomes relative, as
    // GitHub matches annotation paths against the checkout.
    let abs = multi().join("nginx.conf");
    let out = lint_in(&repo(), "github", &[abs.to_str().unwrap()]);
    let text = stdout(&out);
    let files: Vec<&str> = loading_lines(&text)
        .iter()
        .filter_map(|l| l.split(',').next()?.split("file=").nth(1))
        .collect();
    assert_eq!(
        files,
        [
            "testdata/formats/multi/nginx.conf",
            "testdata/formats/multi/conf.d/app.conf",
            "testdata/formats/multi/conf.d/app.conf"
        ]
    );
}

#[test]
fn sarif_is_valid_and_complete() {
    let log = sarif(&multi(), &["nginx.conf"]);
    assert_valid("testdata/formats/sarif-schema-2.1.0.json", &log);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "ngxray");
    assert_eq!(run["columnKind"], "unicodeCodePoints");

    // The driver lists every registered rule, in registry order.
    let rules_out = ngxray(&["rules", "--format", "json"]);
    let registry: serde_json::Value = serde_json::from_str(&stdout(&rules_out)).unwrap();
    let registry = registry.as_array().unwrap();
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), registry.len());
    for (r, meta) in rules.iter().zip(registry) {
        assert_eq!(r["id"], meta["id"]);
        assert_eq!(r["shortDescription"]["text"], meta["summary"]);
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
        let level = match meta["severity"].as_str().unwrap() {
            "info" => "note",
            s => s,
        };
        assert_eq!(r["defaultConfiguration"]["level"], level);
        let uri = r["helpUri"].as_str().unwrap();
        assert!(uri.starts_with("https://"), "{uri}");
        let id = meta["id"].as_str().unwrap();
        let page = repo().join(format!("docs/rules/{id}.md"));
        if page.exists() {
            assert!(uri.ends_with(&format!("docs/rules/{id}.md")), "{uri}");
        }
    }

    // Every finding is a result, with the same rule, level and region.
    let diags = json_diags(&multi(), &["nginx.conf"]);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), diags.len());
    for (res, d) in results.iter().zip(&diags) {
        assert_eq!(res["ruleId"], d["rule"]);
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], d["rule"]);
        let level = match d["severity"].as_str().unwrap() {
            "info" => "note",
            s => s,
        };
        assert_eq!(res["level"], level);
        assert!(res["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with(d["message"].as_str().unwrap()));
        let loc = &res["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert_eq!(uri, d["file"].as_str().unwrap());
        assert!(!uri.starts_with('/') && !uri.contains(':'), "{uri}");
        let reg = &loc["region"];
        assert_eq!(reg["startLine"], d["line"]);
        assert_eq!(reg["startColumn"], d["column"]);
        assert_eq!(reg["endLine"], d["end_line"]);
        assert_eq!(reg["endColumn"], d["end_column"]);
    }
    let related = results
        .iter()
        .find(|r| r["ruleId"] == "syntax/unterminated-directive")
        .unwrap();
    assert_eq!(
        related["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );

    // The validation has teeth: a result with a level SARIF does not know,
    // or without a message, is rejected.
    let v = validator("testdata/formats/sarif-schema-2.1.0.json");
    let mut bad = log.clone();
    bad["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!v.is_valid(&bad));
    let mut bad = log.clone();
    bad["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!v.is_valid(&bad));
}

#[test]
fn sarif_paths_relative_to_checkout() {
    // Run from the repository root with a nested relative path and with an
    // absolute one: both give repository-relative URIs.
    let rel = "testdata/formats/multi/nginx.conf";
    let abs = repo().join(rel);
    for arg in [
        rel.to_string(),
        format!("./{rel}"),
        abs.display().to_string(),
    ] {
        let log = sarif(&repo(), &[&arg]);
        let uris: Vec<&str> = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str()
            })
            .collect();
        assert!(
            uris.contains(&"testdata/formats/multi/nginx.conf"),
            "{arg}: {uris:?}"
        );
        assert!(
            uris.contains(&"testdata/formats/multi/conf.d/app.conf"),
            "{arg}: {uris:?}"
        );
    }
}

#[test]
fn sarif_clean_run_is_valid() {
    let log = sarif(&repo().join("testdata/formats/clean"), &["nginx.conf"]);
    assert_valid("testdata/formats/sarif-schema-2.1.0.json", &log);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn json_matches_lint_schema() {
    for dir in [
        "testdata/formats/multi",
        "testdata/formats/clean",
        "testdata/examples",
    ] {
        let out = lint_in(&repo().join(dir), "json", &["nginx.conf"]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        assert_valid("docs/schema/lint.schema.json", &v);
    }
    // Related locations and null positions are covered by the schema too.
    let d = json_diags(&multi(), &["nginx.conf"]);
    assert!(d
        .iter()
        .any(|d| !d["related"].as_array().unwrap().is_empty()));
}

#[test]
fn lint_schema_rejects_drift() {
    // The schema is strict: an undocumented field fails validation, so a new
    // field cannot ship without its documentation.
    let out = lint_in(&multi(), "json", &["nginx.conf"]);
    let mut v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["diagnostics"][0]["undocumented"] = serde_json::json!(1);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("docs/schema/lint.schema.json")).unwrap(),
    )
    .unwrap();
    assert!(!jsonschema::is_valid(&schema, &v));
}

#[test]
fn schemas_have_id_and_title_and_are_valid() {
    let dir = repo().join("docs/schema");
    let mut seen = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".schema.json") {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).expect(&name);
        assert!(
            v["$id"].as_str().is_some_and(|s| s.ends_with(&name)),
            "{name}: $id"
        );
        assert!(
            v["title"].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: title"
        );
        if let Err(e) = jsonschema::meta::validate(&v) {
            panic!("{name} is not a valid JSON Schema: {e}");
        }
        seen.push(name);
    }
    assert!(seen.contains(&"lint.schema.json".to_string()), "{seen:?}");
}

#[test]
fn logs_json_matches_logs_schema() {
    let schema = repo().join("docs/schema/logs.schema.json");
    if !schema.exists() {
        eprintln!(
            "SKIP logs_json_matches_logs_schema: docs/schema/logs.schema.json not written yet"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("error.log");
    std::fs::write(
        &log,
        "2024/05/01 10:00:00 [error] 11#11: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: example.com, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:9000/\", host: \"example.com\"\n\
         2024/05/01 10:00:05 [error] 11#11: *2 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: example.com, request: \"GET /slow HTTP/1.1\", upstream: \"http://127.0.0.1:9000/slow\", host: \"example.com\"\n\
         this line is not an error.log line\n",
    )
    .unwrap();
    let out = ngxray(&["logs", "--format", "json", log.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("logs --format json: {e}\n{}", stderr(&out)));
    assert_valid("docs/schema/logs.schema.json", &v);
}

#[test]
fn text_has_no_colour_when_piped() {
    let out = lint_in(&multi(), "text", &["nginx.conf"]);
    let text = stdout(&out);
    assert!(text.contains("include/not-found"), "{text}");
    assert!(!text.contains('\u{1b}'), "escape codes in piped output");
}

#[test]
fn text_colour_on_a_terminal_unless_no_color() {
    // util-linux `script` gives the command a terminal as stdout.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIP text_colour_on_a_terminal_unless_no_color: `script` not installed");
        return;
    }
    let cmd = format!("{} lint nginx.conf", bin().display());
    let run = |no_color: bool| {
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .current_dir(multi())
            .stdin(std::process::Stdio::null());
        c.env_remove("NO_COLOR");
        if no_color {
            c.env("NO_COLOR", "1");
        }
        c.output().expect("run script")
    };
    let tty = run(false);
    assert_eq!(tty.status.code(), Some(1), "{}", stderr(&tty));
    let text = stdout(&tty);
    assert!(text.contains("include/not-found"), "{text}");
    assert!(text.contains('\u{1b}'), "no colour on a terminal:\n{text}");
    let plain = stdout(&run(true));
    assert!(plain.contains("include/not-found"), "{plain}");
    assert!(
        !plain.contains('\u{1b}'),
        "colour despite NO_COLOR:\n{plain}"
    );
}

#[test]
fn corpus_outputs_match_their_schemas() {
    let Some(corpus) = corpus("corpus_outputs_match_their_schemas") else {
        return;
    };
    for sub in ["configs", "odd"] {
        let dir = corpus.join(sub);
        if !dir.is_dir() {
            continue;
        }
        let d = dir.to_str().unwrap();
        let json = ngxray(&["lint", "--format", "json", "--fail-on", "never", d]);
        assert_eq!(json.status.code(), Some(0), "{sub}: {}", stderr(&json));
        let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
        assert_valid("docs/schema/lint.schema.json", &v);
        let n = v["diagnostics"].as_array().unwrap().len();
        assert!(n > 0, "{sub}: expected findings in the corpus");

        let sarif = ngxray(&["lint", "--format", "sarif", "--fail-on", "never", d]);
        let s: serde_json::Value = serde_json::from_str(&stdout(&sarif)).unwrap();
        assert_valid("testdata/formats/sarif-schema-2.1.0.json", &s);
        assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), n);

        for f in ["concise", "github"] {
            let out = ngxray(&["lint", "--format", f, "--fail-on", "never", d]);
            assert_eq!(stdout(&out).lines().count(), n, "{sub} {f}");
        }
    }
}

#[test]
fn info_is_a_note_and_a_notice() {
    let dir = repo().join("testdata/formats/info");
    let log = sarif(&dir, &["nginx.conf"]);
    assert_valid("testdata/formats/sarif-schema-2.1.0.json", &log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r["level"] == "note"), "{results:?}");
    let gh = stdout(&lint_in(&dir, "github", &["nginx.conf"]));
    assert!(
        gh.lines()
            .all(|l| l.starts_with("::notice file=nginx.conf,line=5,")),
        "{gh}"
    );
}
