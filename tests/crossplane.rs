//! `parse --format crossplane` against crossplane itself: the stored
//! reference outputs of the corpus (`expected/crossplane/*.noctx.json`,
//! crossplane 0.5.8 with context and argument checks off), and a live
//! differential run of the installed `crossplane` Python package on tricky
//! generated configs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{corpus, ngxray_in, stderr, stdout};

fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_file());
    v.sort();
    v
}

#[test]
fn corpus_matches_crossplane_reference() {
    let Some(root) = corpus("corpus_matches_crossplane_reference") else {
        return;
    };
    let expected = root.join("expected/crossplane");
    let mut total = 0;
    let mut mismatches: Vec<String> = Vec::new();
    for folder in ["configs", "odd"] {
        let dir = root.join(folder);
        for path in sorted_files(&dir) {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let reference = expected.join(format!("{name}.noctx.json"));
            let Ok(text) = fs::read_to_string(&reference) else {
                continue;
            };
            total += 1;
            let want: Value = serde_json::from_str(&text).expect("reference is JSON");
            let out = ngxray_in(
                &dir,
                &[
                    "parse",
                    "--format",
                    "crossplane",
                    "--single-file",
                    "--include-comments",
                    name,
                ],
            );
            let code = out.status.code();
            let got: Value = match serde_json::from_str(&stdout(&out)) {
                Ok(v) => v,
                Err(e) => {
                    mismatches.push(format!("{folder}/{name}: not JSON ({e}): {}", stderr(&out)));
                    continue;
                }
            };
            let want_code = if want["status"] == "ok" { 0 } else { 1 };
            let mut why = Vec::new();
            if got["status"] != want["status"] {
                why.push(format!("status {} vs {}", got["status"], want["status"]));
            }
            if got["config"][0]["parsed"] != want["config"][0]["parsed"] {
                why.push("parsed tree differs".to_string());
            }
            if got["errors"] != want["errors"]
                || got["config"][0]["errors"] != want["config"][0]["errors"]
            {
                why.push(format!("errors {} vs {}", got["errors"], want["errors"]));
            }
            if got != want && why.is_empty() {
                why.push("other fields differ".to_string());
            }
            if code != Some(want_code) {
                why.push(format!("exit code {code:?}, want {want_code}"));
            }
            if !why.is_empty() {
                mismatches.push(format!("{folder}/{name}: {}", why.join("; ")));
            }
        }
    }
    eprintln!(
        "crossplane corpus parity: {}/{total} files identical",
        total - mismatches.len()
    );
    assert!(
        total > 0,
        "no reference outputs found under {}",
        expected.display()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {total} files differ from crossplane:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Runs crossplane's `parse()` with the same options as ours (context and
/// argument checks off, as documented) on each file, one compact JSON
/// document per line, exactly as the crossplane CLI dumps it.
const CROSSPLANE_DUMP: &str = r#"
import sys, json, crossplane
flags = [a for a in sys.argv[1:] if a.startswith('--')]
kw = dict(single='--single' in flags, comments='--comments' in flags,
          combine='--combine' in flags, check_ctx=False, check_args=False)
for f in [a for a in sys.argv[1:] if not a.startswith('--')]:
    p = crossplane.parse(f, **kw)
    sys.stdout.write(json.dumps(p, separators=(',', ':')) + '\n')
"#;

fn python_crossplane(test: &str) -> bool {
    let ok = Command::new(crate::util::python())
        .args(["-c", "import crossplane"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        crate::util::skip(
            test,
            "python with crossplane 0.5.8 not available (pip install crossplane==0.5.8; NGXRAY_PYTHON names the interpreter)",
        );
    }
    ok
}

/// Run crossplane and ngxray on `files` (relative to `dir`) with matching
/// flags; return a list of differences.
fn differential(dir: &Path, files: &[String], ours: &[&str], theirs: &[&str]) -> Vec<String> {
    let py = Command::new(crate::util::python())
        .current_dir(dir)
        .arg("-c")
        .arg(CROSSPLANE_DUMP)
        .args(theirs)
        .args(files)
        .output()
        .expect("run python3");
    assert!(py.status.success(), "crossplane failed: {}", stderr(&py));
    let want = stdout(&py);
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(want.len(), files.len(), "one crossplane document per file");
    let mut diffs = Vec::new();
    for (f, w) in files.iter().zip(want) {
        let mut args = vec!["parse", "--format", "crossplane"];
        args.extend_from_slice(ours);
        args.push(f);
        let out = ngxray_in(dir, &args);
        let got = stdout(&out);
        let want_code = if w.starts_with(r#"{"status":"ok""#) {
            0
        } else {
            1
        };
        if got.trim_end_matches('\n') != w || out.status.code() != Some(want_code) {
            let src = fs::read(dir.join(f)).unwrap_or_default();
            diffs.push(format!(
                "{f} {ours:?} (exit {:?}):\n  source: {:?}\n  ngxray:     {}\n  crossplane: {w}\n  stderr: {}",
                out.status.code(),
                String::from_utf8_lossy(&src),
                got.trim_end(),
                stderr(&out)
            ));
        }
    }
    diffs
}

/// Small configs aimed at crossplane's quirks.
const TRICKY: &[&[u8]] = &[
    b"events {}\nhttp {\n  server {\n    listen 80;\n    location / { proxy_pass http://b; }\n  }\n}\n",
    b"a {\n b x }\n c {\n}\n",
    b"a {\n b x }\n c;\n}\n",
    b"listen 80 # comment in args\n;\nx # two\n # three\n y;\n",
    b"a \"b\\\"c\" 'd\\'e' \"f'g\" 'h\"i' \"\\\\\" '\\n';\n",
    b"a b\"c d\";\ne f'g;\n",
    b"a ${x}y ${ z;\nb \"${v}\" x${y}z w${u;\nc ${a}{ d;\n",
    b"location / {\n  content_by_lua_block {\n    local t = {a = \"}\"}  -- } in comment\n    ngx.say('{')\n  }\n}\nnext 1;\n",
    b"set_by_lua_block $res { return ngx.var.a .. \"}\" }\nafter;\n",
    b"\"content_by_lua_block\" { x }\nrewrite_by_lua_block{ y }\n",
    b"content_by_lua_block x;\n",
    b"a content_by_lua_block {\n}\n",
    b"log_by_lua_block {\n  local s = \"multi\n line { string\"\n  local e = \"esc \\\" }\"\n}\n",
    b"access_by_lua_block {\n  a = 1 - 2 -- c\n  b = 3 -",
    b"a b\n",
    b"a",
    b"}\n",
    b"a {\n b;\n",
    b"a;\r\nb {\r\n c;\r}\r\n",
    b"\xef\xbb\xbfa \xff\xfe b;\nc \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80;\n",
    b"a\xc2\xa0b\x1cc\xe3\x80\x80d;\n",
    b"a \\;b \\{ \\\nc;\n",
    b"a b \\",
    b"if ( $a = b ) { return 1; }\nif () {}\nif ($x) {}\nif ( ( $y ) ) {}\nif (\xc2\xa0$z\xc2\xa0) {}\n",
    b"{ a; }\nb;\n",
    b";;\n{;}\n",
    b"",
    b"# only a comment\n#another",
    b"a#b c#d;\nserver {# right after brace\n}\n",
    b"\"\" x;\n'' {}\n",
    b"a '\n' \"x\ny\";\n",
    b"# unterminated comment at eof \\\n a;\n",
    b"a { b { c { d { e { f { g; } } } } } }\n",
    b"a 'unterminated\n b;\n",
    b"a \"x\\\" }\";\n",
    b"proxy_set_header X-Real-IP $remote_addr;\nreturn 200 \"ok\\n\";\nmap $a $b { default 0; ~^x 1; }\n",
];

#[test]
fn differential_against_crossplane_single_file() {
    if !python_crossplane("differential_against_crossplane_single_file") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for (i, src) in TRICKY.iter().enumerate() {
        let name = format!("t{i:02}.conf");
        fs::write(dir.path().join(&name), src).expect("write");
        files.push(name);
    }
    let mut diffs = differential(
        dir.path(),
        &files,
        &["--single-file", "--include-comments"],
        &["--single", "--comments"],
    );
    diffs.extend(differential(
        dir.path(),
        &files,
        &["--single-file"],
        &["--single"],
    ));
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Deterministic token soup: fragments chosen to hit every lexer branch.
fn soup(seed: u64, len: usize) -> Vec<u8> {
    const FRAGS: &[&str] = &[
        "a",
        "bb",
        "x1",
        " ",
        " ",
        "\n",
        "\n",
        "\t",
        "{",
        "{",
        "}",
        "}",
        ";",
        ";",
        ";",
        "#",
        "# c\n",
        "\"",
        "'",
        "\\",
        "\\\"",
        "$",
        "${",
        "(",
        ")",
        "--",
        "-",
        "\r\n",
        "\r",
        "\u{a0}",
        "\u{1c}",
        "é",
        "if",
        "content_by_lua_block",
        "set_by_lua_block",
        "log_by_lua_block",
        "\"q s\"",
        "'q'",
    ];
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = String::new();
    for _ in 0..len {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.push_str(FRAGS[((s >> 33) as usize) % FRAGS.len()]);
    }
    out.into_bytes()
}

#[test]
fn differential_against_crossplane_random_soup() {
    if !python_crossplane("differential_against_crossplane_random_soup") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for i in 0..150u64 {
        let name = format!("r{i:03}.conf");
        fs::write(dir.path().join(&name), soup(i, 10 + (i as usize % 60))).expect("write");
        files.push(name);
    }
    let diffs = differential(
        dir.path(),
        &files,
        &["--single-file", "--include-comments"],
        &["--single", "--comments"],
    );
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn differential_against_crossplane_includes() {
    if !python_crossplane("differential_against_crossplane_includes") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let w = |p: &str, s: &str| {
        let path = d.join(p);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(path, s).expect("write");
    };
    w(
        "conf/nginx.conf",
        "events {}\nhttp {\n  include mime.types;\n  include conf.d/*.conf;\n  include missing.conf;\n  \
         include sites/*;\n  include none/*.conf;\n  server {\n    include snippets/proxy.conf;\n  }\n}\n# end\n",
    );
    w("conf/mime.types", "types {\n  text/html html;\n}\n");
    w(
        "conf/conf.d/b.conf",
        "upstream b { server 127.0.0.1:81; }\n",
    );
    w(
        "conf/conf.d/a.conf",
        "# a\nupstream a { server 127.0.0.1:80; }\ninclude snippets/proxy.conf;\n",
    );
    w("conf/conf.d/.hidden.conf", "hidden;\n");
    w("conf/conf.d/c.conf.bak", "bak;\n");
    w("conf/sites/one", "server { listen 8001; }\n");
    w("conf/sites/broken", "server { listen 8002;\n");
    w("conf/sites/sub/nested.conf", "nested;\n");
    w(
        "conf/snippets/proxy.conf",
        "proxy_pass http://a;\nproxy_read_timeout 5s;\n",
    );
    w("noarg.conf", "include;\n");
    w("cycle/a.conf", "include b.conf;\nx;\n");
    w("cycle/b.conf", "include a.conf;\ny;\n");
    w("dirinc/main.conf", "include sub;\ninclude */;\n");
    w("dirinc/sub/x.conf", "x;\n");
    let files: Vec<String> = ["conf/nginx.conf", "noarg.conf", "dirinc/main.conf"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut diffs = differential(d, &files, &[], &[]);
    diffs.extend(differential(
        d,
        &files,
        &["--include-comments"],
        &["--comments"],
    ));
    diffs.extend(differential(d, &files, &["--combine"], &["--combine"]));
    diffs.extend(differential(
        d,
        &files,
        &["--combine", "--include-comments"],
        &["--combine", "--comments"],
    ));
    // Cycles: crossplane parses each file once (combining a cycle would
    // recurse forever, in crossplane as here).
    diffs.extend(differential(d, &["cycle/a.conf".to_string()], &[], &[]));
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Every corpus file, byte for byte, following includes, with and without
/// comments, and combined (one crossplane process per folder and mode).
#[test]
fn differential_against_crossplane_corpus_all_modes() {
    let Some(root) = corpus("differential_against_crossplane_corpus_all_modes") else {
        return;
    };
    if !python_crossplane("differential_against_crossplane_corpus_all_modes") {
        return;
    }
    let mut diffs = Vec::new();
    let mut total = 0;
    for folder in ["configs", "odd"] {
        let dir = root.join(folder);
        let files: Vec<String> = sorted_files(&dir)
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect();
        total += files.len();
        for (ours, theirs) in [
            (&[][..], &[][..]),
            (
                &["--single-file", "--include-comments"][..],
                &["--single", "--comments"][..],
            ),
            (
                &["--combine", "--include-comments"][..],
                &["--combine", "--comments"][..],
            ),
        ] {
            diffs.extend(differential(&dir, &files, ours, theirs));
        }
    }
    assert!(total > 0);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn several_paths_missing_file_and_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("a.conf"), "a 1;\n").expect("write");
    let out = ngxray_in(
        dir.path(),
        &["parse", "--format", "crossplane", "a.conf", "missing.conf"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        r#"{"status":"ok","errors":[],"config":[{"file":"a.conf","status":"ok","errors":[],"parsed":[{"directive":"a","line":1,"args":["1"]}]}]}"#
    );
    assert_eq!(
        lines[1],
        r#"{"status":"failed","errors":[{"file":"missing.conf","error":"[Errno 2] No such file or directory: 'missing.conf'","line":null}],"config":[{"file":"missing.conf","status":"failed","errors":[{"error":"[Errno 2] No such file or directory: 'missing.conf'","line":null}],"parsed":[]}]}"#
    );

    let mut child = Command::new(crate::util::bin())
        .current_dir(dir.path())
        .args(["parse", "--format", "crossplane", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin.write_all(b"include a.conf;\n").expect("stdin");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["config"][0]["file"], "-");
    assert_eq!(
        v["config"][0]["parsed"][0]["includes"],
        serde_json::json!([1])
    );
    assert_eq!(v["config"][1]["file"], "a.conf");
}
