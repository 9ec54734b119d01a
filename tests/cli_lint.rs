//! `ngxray lint` end to end: exit codes, formats, includes, dumps.

use crate::util::*;

#[test]
fn example_runs() {
    let ex = repo().join("testdata/examples/nginx.conf");
    let out = ngxray(&["lint", "--format", "json", ex.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["schema"], "ngxray/lint/v1");
}

#[test]
fn syntax_errors_all_reported_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.conf");
    std::fs::write(
        &p,
        "http {\n  server {\n    location / {\n      proxy_pass http://x\n    }\n  }\n  ;\n",
    )
    .unwrap();
    let out = ngxray(&["lint", "--format", "json", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let d = v["diagnostics"].as_array().unwrap();
    let got: Vec<(String, u64, u64)> = d
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("syntax/unterminated-directive".to_string(), 5, 5),
            ("syntax/empty-statement".to_string(), 7, 3),
            ("syntax/unexpected-eof".to_string(), 8, 1),
        ]
    );
}

#[test]
fn missing_input_is_exit_2() {
    let out = ngxray(&["lint", "/nonexistent/nginx.conf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/nginx.conf"));
}

#[test]
fn include_not_found_and_cycle() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nginx.conf"), "events {}\nhttp {\n  include missing.conf;\n  include a.conf;\n  include none/*.conf;\n}\n").unwrap();
    std::fs::write(dir.path().join("a.conf"), "include b.conf;\n").unwrap();
    std::fs::write(dir.path().join("b.conf"), "include a.conf;\n").unwrap();
    let out = ngxray_in(dir.path(), &["lint", "--format", "json", "nginx.conf"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rules: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"include/not-found"), "{rules:?}");
    assert!(rules.contains(&"include/cycle"), "{rules:?}");
    assert_eq!(
        rules.iter().filter(|r| r.starts_with("include/")).count(),
        2,
        "{rules:?}"
    );
}

#[test]
fn nginx_t_dump_points_at_original_files() {
    let dump = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n\
# configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp {\n    include /etc/nginx/conf.d/*.conf;\n}\n\n\
# configuration file /etc/nginx/conf.d/app.conf:\nserver {\n    listen 80;\n    location / { return 200 x }\n}\n\n";
    let mut child = std::process::Command::new(bin())
        .args(["lint", "--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dump.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let d = &v["diagnostics"][0];
    assert_eq!(d["file"], "/etc/nginx/conf.d/app.conf");
    assert_eq!(d["line"], 3);
}

#[test]
fn deeply_nested_blocks_do_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("deep.conf");
    let n = 100_000;
    std::fs::write(&p, format!("{}{}", "a {".repeat(n), "}".repeat(n))).unwrap();
    let out = ngxray(&["lint", "--format", "json", p.to_str().unwrap()]);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        stderr(&out)
    );
    let out = ngxray(&["parse", "--single-file", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn directory_walk_survives_symlink_loops() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("conf.d");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("a.conf"), "server { listen 80; }\n").unwrap();
    std::os::unix::fs::symlink(dir.path(), sub.join("loop")).unwrap();
    let out = ngxray(&["lint", "--format", "json", dir.path().to_str().unwrap()]);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn closed_stdout_pipe_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("many.conf");
    let mut s = String::from("events {}\nhttp {\n  server {\n    listen 80;\n");
    for i in 0..3000 {
        s.push_str(&format!(
            "    location /l{i} {{ proxy_pass http://127.0.0.1:8080; proxy_read_timeout 1s; }}\n"
        ));
    }
    s.push_str("  }\n}\n");
    std::fs::write(&p, s).unwrap();
    for format in ["text", "concise", "json"] {
        let mut child = std::process::Command::new(bin())
            .args(["lint", "--format", format, p.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away, like `| head -0`
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("panicked"),
            "{format}: {}",
            stderr(&out)
        );
    }
}

/// A directory is linted through its main config: files it includes are
/// reported once (whatever the spelling of the paths given), symlinked
/// vhosts (Debian's sites-enabled/) are followed, and a `sites-available/`
/// file reached through its symlink is not linted twice.
#[cfg(unix)]
#[test]
fn directory_lint_through_main_config_each_file_once() {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path();
    for sub in ["conf.d", "sites-available", "sites-enabled"] {
        std::fs::create_dir(p.join(sub)).expect("mkdir");
    }
    std::fs::write(
        p.join("nginx.conf"),
        "events {}\nhttp {\n  include conf.d/*.conf;\n  include sites-enabled/*;\n}\n",
    )
    .expect("write");
    std::fs::write(
        p.join("conf.d/a.conf"),
        "upstream a { server 10.0.0.1:80; server 10.0.0.2:80; }\nserver { listen 80; location / { proxy_pass http://a; } }\n",
    )
    .expect("write");
    std::fs::write(
        p.join("sites-available/x"),
        "server { listen 81; location / { proxy_read_timeout 2s; proxy_pass http://10.0.0.3:80; } }\n",
    )
    .expect("write");
    std::os::unix::fs::symlink("../sites-available/x", p.join("sites-enabled/x")).expect("symlink");
    for args in [
        vec!["lint", "--format", "concise", "."],
        vec![
            "lint",
            "--format",
            "concise",
            "./conf.d/a.conf",
            "conf.d/a.conf",
            "nginx.conf",
        ],
    ] {
        let out = crate::util::ngxray_in(p, &args);
        let text = crate::util::stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains("[upstream/missing-health-params]"))
                .count(),
            1,
            "{args:?}: {text}"
        );
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains("[timeout/aggressive-read-timeout]"))
                .count(),
            1,
            "{args:?}: {text}"
        );
    }
    let summary = crate::util::stdout(&crate::util::ngxray_in(p, &["lint", "."]));
    assert!(summary.contains("3 file(s) checked"), "{summary}");
}

/// A vhost linted from sites-enabled/ resolves relative includes against
/// the conf prefix (the folder holding nginx.conf), and nginx's stock files
/// are never reported missing.
#[test]
fn fragment_includes_resolve_against_the_conf_prefix() {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path();
    std::fs::create_dir_all(p.join("sites-enabled")).expect("mkdir");
    std::fs::create_dir_all(p.join("snippets")).expect("mkdir");
    std::fs::write(
        p.join("nginx.conf"),
        "events {}\nhttp { include sites-enabled/*; }\n",
    )
    .expect("write");
    std::fs::write(p.join("snippets/timeouts.conf"), "proxy_read_timeout 2s;\n").expect("write");
    std::fs::write(
        p.join("sites-enabled/app.conf"),
        "server {\n  listen 80;\n  include fastcgi_params;\n  include snippets/timeouts.conf;\n  location / { proxy_pass http://10.0.0.1:8080; }\n}\n",
    )
    .expect("write");
    let out = crate::util::ngxray_in(
        p,
        &["lint", "--format", "concise", "sites-enabled/app.conf"],
    );
    let text = crate::util::stdout(&out);
    assert!(!text.contains("include/not-found"), "{text}");
    assert!(
        text.contains("snippets/timeouts.conf:1:1: warning[timeout/aggressive-read-timeout]"),
        "{text}"
    );
}

/// Hostile includes: procfs is read as nginx reads it (0 bytes: nothing of
/// the environment reaches any report), devices are refused, not read.
#[cfg(target_os = "linux")]
#[test]
fn hostile_includes_leak_nothing_and_never_hang() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("nginx.conf"),
        "events {}\nhttp {\n  include /proc/self/environ;\n  include /dev/zero;\n}\n",
    )
    .expect("write");
    for format in ["text", "concise", "json", "sarif", "github"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ngxray"))
            .current_dir(d.path())
            .env("NGXRAY_TEST_SECRET", "s3cr3t-value-xyz")
            .args(["lint", "--format", format, "nginx.conf"])
            .output()
            .expect("run");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("s3cr3t-value-xyz"), "{format}: secret leaked");
        assert!(all.contains("not a regular file"), "{format}: {all}");
    }
}

/// A comment shaped like an `nginx -T` marker does not turn an ordinary
/// config into a dump (text before it kept, nothing under a fake path).
#[test]
fn dump_marker_comment_in_a_config_is_a_comment() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("app.conf"),
        "server { listen 80; }\n# configuration file /etc/passwd:\nserver { listen 81; location / { proxy_read_timeout 1s; proxy_pass http://10.0.0.1; } }\n# configuration file end:\n",
    )
    .expect("write");
    let out = crate::util::ngxray_in(d.path(), &["lint", "--format", "concise", "app.conf"]);
    let text = crate::util::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with("app.conf:3:"), "{text}");
    assert!(!text.contains("/etc/passwd"), "{text}");
}

/// Inline suppressions cannot hide syntax errors nginx refuses to load.
#[test]
fn inline_suppression_cannot_hide_syntax_errors() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("nginx.conf"),
        "events {}\nhttp {\n  # ngxray: ignore[syntax] trust me\n  server { listen 80 }\n}\n",
    )
    .expect("write");
    let out = crate::util::ngxray_in(d.path(), &["lint", "--format", "concise", "nginx.conf"]);
    let text = crate::util::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("error[syntax/"), "{text}");
}

/// Control characters from a config never reach the terminal raw: text,
/// concise and GitHub outputs show them escaped (messages) or masked
/// (source snippets).
#[test]
fn control_characters_from_configs_are_neutralised() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("nginx.conf"),
        "events {}\nhttp {\n  server {\n    listen 80;\n    foo\x1b[2Jbar\x07 on;\n  }\n}\n",
    )
    .expect("write");
    for format in ["text", "concise", "github"] {
        let out = crate::util::ngxray_in(d.path(), &["lint", "--format", format, "nginx.conf"]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(
            !out.stdout.iter().any(|&b| b == 0x1b || b == 0x07),
            "{format}: raw control bytes in {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            crate::util::stdout(&out).contains("foo\\x1b[2Jbar"),
            "{format}"
        );
    }
}

/// A `$variable` in a time or size is nginx's "invalid value" (it reads
/// these values while loading), but an envsubst placeholder in a template
/// (penpot's `client_max_body_size $PENPOT_HTTP_SERVER_MAX_BODY_SIZE;`) is
/// a template line, settled by rendering: no error.
#[test]
fn variables_in_sizes_are_errors_placeholders_in_templates_are_not() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("default.conf.template"),
        "server {\n    listen 80;\n    client_max_body_size $MAX_BODY_SIZE;\n    proxy_read_timeout ${PROXY_TIMEOUT};\n    location / { proxy_pass $BACKEND_URI; }\n}\n",
    )
    .expect("write");
    let out = crate::util::ngxray_in(
        d.path(),
        &["lint", "--format", "concise", "default.conf.template"],
    );
    let text = crate::util::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("error["), "{text}");
    assert!(
        text.contains("info[syntax/template]") && text.contains("2 findings on template lines"),
        "{text}"
    );
    // real nginx variables, in a template or not: `$HOST` is `$host`, and
    // a name the config sets is nginx's
    let real = "server {\n    listen 80;\n    client_max_body_size $http_x_size;\n    proxy_read_timeout $HOST;\n    set $LIMIT 10;\n    proxy_next_upstream_tries $LIMIT;\n    proxy_buffers 8 $LIMIT;\n}\n";
    for name in ["real.conf.template", "real.conf"] {
        std::fs::write(d.path().join(name), real).expect("write");
        let out = crate::util::ngxray_in(d.path(), &["lint", "--format", "concise", name]);
        let text = crate::util::stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        for want in [
            ":3:26: error[grammar/invalid-value] \"client_max_body_size\" directive invalid value",
            ":4:24: error[grammar/invalid-value] \"proxy_read_timeout\" directive invalid value",
            ":6:31: error[grammar/invalid-value] \"proxy_next_upstream_tries\" directive invalid number",
            ":7:21: error[grammar/invalid-value] \"proxy_buffers\" directive invalid value",
        ] {
            assert!(text.contains(&format!("{name}{want}")), "{want}\n{text}");
        }
    }
}

/// Run ngxray in `dir`, killed if it has not ended within a minute (a
/// hang is the failure these tests look for; no timing is asserted).
#[cfg(unix)]
fn run_bounded(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ngxray"))
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    for _ in 0..600 {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("ngxray {args:?} hangs");
}

/// A FIFO nobody writes to is refused, never waited on: included (nginx
/// refuses it too), named on the command line (an empty pipe), or met in
/// a directory walk. A dangling `sites-enabled/` symlink is an unreadable
/// input, not a silent skip (nginx's `include sites-enabled/*;` fails on
/// it).
#[cfg(unix)]
#[test]
fn fifos_and_dangling_symlinks_are_findings_not_hangs() {
    let d = tempfile::tempdir().expect("tempdir");
    let fifo = d.path().join("pipe.conf");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    std::fs::write(
        d.path().join("nginx.conf"),
        "events {}\nhttp {\n  include pipe.conf;\n}\n",
    )
    .expect("write");
    let out = run_bounded(d.path(), &["lint", "--format", "concise", "nginx.conf"]);
    let text = crate::util::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("nginx.conf:3:3: error[include/not-found]")
            && text.contains("not a regular file"),
        "{text}"
    );
    let out = run_bounded(d.path(), &["lint", "--format", "concise", "pipe.conf"]);
    let text = crate::util::stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("error[io/unreadable]") && text.contains("empty pipe"),
        "{text}"
    );

    let site = d.path().join("etc/sites-enabled");
    std::fs::create_dir_all(&site).expect("mkdir");
    std::fs::write(site.join("ok.conf"), "server { listen 80; }\n").expect("write");
    std::os::unix::fs::symlink("../sites-available/gone.conf", site.join("gone.conf"))
        .expect("symlink");
    std::fs::rename(&fifo, site.join("pipe.conf")).expect("move fifo");
    let out = run_bounded(d.path(), &["lint", "--format", "concise", "etc"]);
    let text = crate::util::stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    for want in [
        "cannot read etc/sites-enabled/gone.conf: No such file or directory",
        "cannot read etc/sites-enabled/pipe.conf: empty pipe",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
}

/// `include sites-enabled/*;` opens every match, as nginx does: a dangling
/// symlink (a site removed from `sites-available/`) or a directory among
/// them makes `nginx -t` fail, so each is an error in nginx's wording, not
/// a match skipped into "no problems found". With nginx installed, `nginx
/// -t` is asked too and must refuse the same config.
#[cfg(unix)]
#[test]
fn glob_matches_that_are_not_files_are_errors_as_in_nginx() {
    let d = tempfile::tempdir().expect("tempdir");
    let site = d.path().join("sites-enabled");
    std::fs::create_dir_all(site.join("old")).expect("mkdir");
    std::fs::write(site.join("a.conf"), "server { listen 127.0.0.1:8080; }\n").expect("write");
    std::fs::write(
        d.path().join("nginx.conf"),
        "events {}\nhttp {\n  include sites-enabled/*;\n}\n",
    )
    .expect("write");
    let lint = |dir: &std::path::Path| {
        let out = run_bounded(dir, &["lint", "--format", "concise", "nginx.conf"]);
        (out.status.code(), crate::util::stdout(&out))
    };
    let (code, text) = lint(d.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "nginx.conf:3:3: error[include/not-found] pread() \"sites-enabled/old\" failed (21: Is a directory)"
        ),
        "{text}"
    );
    std::fs::remove_dir(site.join("old")).expect("rmdir");
    std::os::unix::fs::symlink("../sites-available/gone.conf", site.join("gone.conf"))
        .expect("symlink");
    let (code, text) = lint(d.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "nginx.conf:3:3: error[include/not-found] open() \"sites-enabled/gone.conf\" failed (2: No such file or directory)"
        ),
        "{text}"
    );
    if let Some(nginx) =
        crate::util::nginx("glob_matches_that_are_not_files_are_errors_as_in_nginx")
    {
        let out = crate::util::nginx_test_config(&nginx, d.path());
        let err = crate::util::stderr(&out);
        assert!(!out.status.success(), "nginx -t accepted it: {err}");
        assert!(
            err.contains("gone.conf\" failed (2: No such file or directory)"),
            "{err}"
        );
    }
    // Without the dangling link, both accept it.
    std::fs::remove_file(site.join("gone.conf")).expect("rm");
    let (code, text) = lint(d.path());
    assert_eq!(code, Some(0), "{text}");
}

/// A file name is text from the config's author as well (a pull request
/// can add `a\x1b[2J.conf`): text, concise and GitHub outputs show its
/// control characters escaped, and a line break in it cannot start a
/// second workflow command.
#[cfg(unix)]
#[test]
fn control_characters_in_file_names_are_neutralised() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("a\x1b[2Jb\n::error file=x::boom.conf"),
        "server { listen 80; location / { proxy_pass http://10.0.0.1; proxy_read_timeout 1s; } }\n",
    )
    .expect("write");
    for format in ["text", "concise", "github"] {
        let out = crate::util::ngxray_in(d.path(), &["lint", "--format", format, "."]);
        let text = crate::util::stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{format}: {text}");
        assert!(!out.stdout.contains(&0x1b), "{format}: raw ESC in {text}");
        assert!(text.contains("a\\x1b[2Jb\\n"), "{format}: {text}");
        assert!(!text.contains("\n::error"), "{format}: {text}");
    }
}

/// An included file that is no config (a key file, `/etc/passwd`) makes
/// an unterminated statement of its whole text: no output format quotes
/// more than a line or two of it (the text report cut the statement's
/// label to its first line; it quoted every line before).
#[test]
fn an_included_foreign_file_is_not_quoted_whole() {
    let d = tempfile::tempdir().expect("tempdir");
    let secret: String = (1..=12)
        .map(|i| format!("user{i}:secret-{i}-xyz:/home\n"))
        .collect();
    std::fs::write(d.path().join("passwd"), &secret).expect("write");
    std::fs::write(
        d.path().join("nginx.conf"),
        "events {}\nhttp {\n  include passwd;\n}\n",
    )
    .expect("write");
    for format in ["text", "concise", "json", "sarif", "github"] {
        let out = crate::util::ngxray_in(d.path(), &["lint", "--format", format, "nginx.conf"]);
        let all = format!("{}{}", crate::util::stdout(&out), crate::util::stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{format}: {all}");
        let quoted = (1..=12)
            .filter(|i| all.contains(&format!("secret-{i}-xyz")))
            .count();
        assert!(
            quoted <= 3,
            "{format}: {quoted} lines of the file quoted\n{all}"
        );
    }
}

/// A finding on a very long line (a minified config, a hostile one) names
/// its place instead of quoting the line, and a long line beside a finding
/// is left out of its snippet: the text report stays small.
#[test]
fn long_lines_are_not_quoted() {
    let d = tempfile::tempdir().expect("tempdir");
    let long = "A".repeat(100_000);
    std::fs::write(
        d.path().join("nginx.conf"),
        format!(
            "events {{}}\nhttp {{ server {{ listen 80; location / {{ proxy_pass http://127.0.0.1:8080; \
             proxy_read_timeout 1s; add_header X-Long \"{long}\"; }} }} }}\n\
             # {long}\nhttp2_idle_timeout 1s;\n"
        ),
    )
    .expect("write");
    let out = crate::util::ngxray_in(d.path(), &["lint", "nginx.conf"]);
    let text = crate::util::stdout(&out);
    assert!(text.len() < 8_000, "{} bytes of report", text.len());
    assert!(
        text.contains("nginx.conf:2:75 (a line of 100125 bytes: not quoted)"),
        "{text}"
    );
    assert!(
        text.contains("warning[timeout/aggressive-read-timeout]"),
        "{text}"
    );
}

/// Messages quote names and values from the config: a 300 KB directive name,
/// argument or `upstream` name is cut (`…`) in every report, not quoted
/// whole in each finding.
#[test]
fn long_words_are_cut_in_messages() {
    let d = tempfile::tempdir().expect("tempdir");
    let long = "a".repeat(300_000);
    std::fs::write(
        d.path().join("nginx.conf"),
        format!(
            "events {{}}\n{long} x;\nhttp {{ server {{ listen 80; location / {{ proxy_pass http://{long}; \
             proxy_read_timeout {long}; }} }} }}\n"
        ),
    )
    .expect("write");
    for format in [
        "text", "concise", "json", "github", "gitlab", "rdjson", "sarif",
    ] {
        let out = crate::util::ngxray_in(d.path(), &["lint", "--format", format, "nginx.conf"]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let report = crate::util::stdout(&out);
        // SARIF carries the rules' documentation pages (about 350 KB).
        assert!(
            report.len() < 400_000,
            "--format {format}: {} bytes",
            report.len()
        );
        assert!(report.contains("aaa…"), "--format {format}: {report}");
    }
}

/// nginx stops at the first error; ngxray lists 100 of each kind per file
/// and counts the rest in one last finding, so a small hostile file (100,000
/// stray braces, 100,000 unknown directives) cannot make a report, or the
/// memory holding it, a thousand times its size.
#[test]
fn errors_past_a_hundred_per_file_are_counted_not_listed() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("braces.conf"), "}".repeat(100_000)).expect("write");
    std::fs::write(d.path().join("unknown.conf"), "x;\n".repeat(100_000)).expect("write");
    for (file, rule, last) in [
        (
            "braces.conf",
            "syntax/unexpected-brace",
            "99900 more syntax errors in this file are not listed",
        ),
        (
            "unknown.conf",
            "grammar/unknown-directive",
            "99900 more grammar/unknown-directive findings in this file are not listed",
        ),
    ] {
        let out = crate::util::ngxray_in(d.path(), &["lint", "--format", "json", file]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("lint json");
        let found = v["diagnostics"].as_array().expect("diagnostics");
        assert_eq!(found.len(), 101, "{file}");
        assert!(found.iter().all(|f| f["rule"] == rule), "{file}");
        assert_eq!(found[100]["message"], last, "{file}");
        assert_eq!(v["summary"]["errors"], 101, "{file}");
    }
}

/// `--output-file` and `--write-baseline` never write through a symbolic
/// link: in CI the path is often inside the checked-out pull request,
/// which could point it at a file of the runner. A plain file is written.
#[cfg(unix)]
#[test]
fn outputs_are_never_written_through_a_symlink() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("nginx.conf"), "events {}\nhttp {}\n").expect("write");
    std::fs::write(d.path().join("victim"), "keep\n").expect("write");
    std::os::unix::fs::symlink(d.path().join("victim"), d.path().join("out.json"))
        .expect("symlink");
    for args in [
        &[
            "lint",
            "--format",
            "json",
            "--output-file",
            "out.json",
            "nginx.conf",
        ][..],
        &["lint", "--write-baseline", "out.json", "nginx.conf"][..],
    ] {
        let out = crate::util::ngxray_in(d.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            crate::util::stderr(&out).contains("symbolic link"),
            "{args:?}: {}",
            crate::util::stderr(&out)
        );
        let victim = std::fs::read_to_string(d.path().join("victim")).expect("read");
        assert_eq!(victim, "keep\n", "{args:?}");
    }
    let out = crate::util::ngxray_in(
        d.path(),
        &[
            "lint",
            "--format",
            "json",
            "--output-file",
            "plain.json",
            "nginx.conf",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let doc = std::fs::read_to_string(d.path().join("plain.json")).expect("read");
    assert!(doc.contains("ngxray/lint/v1"), "{doc}");
}

/// An included binary file (`include /proc/self/*;` reaches the running
/// executable) is not taken for a template because it holds `{{ x }}`:
/// its syntax errors stay and the lint fails, as `nginx -t` does.
#[test]
fn an_included_binary_file_is_no_template() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        d.path().join("blob.bin"),
        b"\x7fELF\x02\x01\x00\x00 {{ host }} {% if x %} ${NAME}\n\x00\x00 garbage {\n",
    )
    .expect("write");
    std::fs::write(
        d.path().join("nginx.conf"),
        "events {}\nhttp {\n  include blob.bin;\n}\n",
    )
    .expect("write");
    let out = crate::util::ngxray_in(d.path(), &["lint", "--format", "concise", "nginx.conf"]);
    let text = crate::util::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("blob.bin:") && text.contains("error[syntax/"),
        "{text}"
    );
    assert!(!text.contains("syntax/template"), "{text}");
}
