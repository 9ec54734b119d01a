//! Man pages and shell completions end to end: every page has the EXIT
//! STATUS, ENVIRONMENT, FILES and EXAMPLES sections (and groff renders them
//! without warnings); the bash completion script, run by bash, offers the
//! rule ids of the registry and the cause ids of the cause table; zsh and
//! fish scripts carry the same ids with their summaries.

use std::path::Path;
use std::process::Command;

use crate::util::{ngxray, skip, stderr, stdout};

const EXTRA: [&str; 4] = [
    ".SH \"EXIT STATUS\"",
    ".SH ENVIRONMENT",
    ".SH FILES",
    ".SH EXAMPLES",
];

/// The position of every heading in `page`, in the order given; panics when one is missing.
fn positions(page: &str, name: &str, headings: &[&str]) -> Vec<usize> {
    headings
        .iter()
        .map(|h| {
            page.find(h)
                .unwrap_or_else(|| panic!("{name} lacks {h}:\n{page}"))
        })
        .collect()
}

#[test]
fn every_man_page_has_exit_status_environment_files_examples() {
    let dir = tempfile::tempdir().unwrap();
    let out = ngxray(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    let names: Vec<String> = pages
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "ngxray.1",
        "ngxray-lint.1",
        "ngxray-logs.1",
        "ngxray-diagnose.1",
        "ngxray-probe.1",
        "ngxray-parse.1",
        "ngxray-rules.1",
        "ngxray-explain.1",
        "ngxray-export.1",
        "ngxray-export-clickhouse.1",
        "ngxray-completions.1",
        "ngxray-man.1",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not written: {names:?}"
        );
    }
    for (path, name) in pages.iter().zip(&names) {
        let page = std::fs::read_to_string(path).unwrap();
        // After the generated parts, in this order, before VERSION.
        let at = positions(&page, name, &EXTRA);
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{name}: sections out of order"
        );
        let name_sec = positions(&page, name, &[".SH NAME", ".SH SYNOPSIS"]);
        assert!(name_sec[1] < at[0], "{name}: EXIT STATUS before SYNOPSIS");
        if let Some(v) = page.find(".SH VERSION") {
            assert!(at[3] < v, "{name}: EXAMPLES after VERSION");
        }
        // Each example is a command line of this binary, shown verbatim.
        let examples = &page[at[3]..];
        assert!(
            examples.contains(".EX\nngxray "),
            "{name}: no example command:\n{examples}"
        );
    }
    // The single-page form renders the same page as --dir writes.
    let lint = stdout(&ngxray(&["man", "lint"]));
    assert_eq!(
        lint,
        std::fs::read_to_string(dir.path().join("ngxray-lint.1")).unwrap()
    );
}

#[test]
fn man_pages_state_the_exit_codes_and_files() {
    let main = stdout(&ngxray(&["man"]));
    let lint = stdout(&ngxray(&["man", "lint"]));
    let logs = stdout(&ngxray(&["man", "logs"]));
    // Exit status 0, 1, 2 as tagged paragraphs (.TP, then the bold code).
    for (name, page) in [
        ("ngxray", &main),
        ("ngxray-lint", &lint),
        ("ngxray-logs", &logs),
    ] {
        let status =
            &page[page.find(".SH \"EXIT STATUS\"").unwrap()..page.find(".SH ENVIRONMENT").unwrap()];
        for code in ["0", "1", "2"] {
            assert!(
                status.contains(&format!(".TP\n\\fB{code}\\fR")),
                "{name}: exit status {code} missing:\n{status}"
            );
        }
        assert!(page.contains("NO_COLOR"), "{name}: NO_COLOR missing");
    }
    assert!(lint.contains(".ngxray.toml"), "{lint}");
    assert!(lint.contains("\\-\\-fail\\-on"), "{lint}");
    assert!(logs.contains("\\-\\-fail\\-on\\-cause"), "{logs}");
    assert!(logs.contains("TZ"), "{logs}");
}

/// groff renders every page; its warnings (`-ww`) are failures.
#[test]
fn man_pages_render_with_groff() {
    let groff = ["/usr/bin/groff", "/usr/local/bin/groff"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(groff) = groff else {
        skip(
            "man_pages_render_with_groff",
            "groff not installed (apt-get install groff-base)",
        );
        return;
    };
    for page in ["", "lint", "logs", "probe"] {
        let args: Vec<&str> = if page.is_empty() {
            vec!["man"]
        } else {
            vec!["man", page]
        };
        let roff = ngxray(&args).stdout;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("page.1");
        std::fs::write(&f, &roff).unwrap();
        let out = Command::new(groff)
            // -k: UTF-8 input (preconv, as man does); -P-cbou: plain text.
            .args(["-k", "-man", "-Tutf8", "-ww", "-P-cbou"])
            .arg(&f)
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("run groff");
        assert!(out.status.success(), "groff {page}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "groff warnings on {page}");
        let text = stdout(&out);
        for heading in ["EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"] {
            assert!(
                text.lines().any(|l| l.trim_end() == heading),
                "{page}: rendered page lacks heading {heading}:\n{text}"
            );
        }
        if page == "lint" {
            assert!(
                text.contains("nginx -T 2>/dev/null | ngxray lint -"),
                "{text}"
            );
        }
    }
}

fn rule_ids() -> Vec<&'static str> {
    ngxray::lint::registry::all().iter().map(|r| r.id).collect()
}

fn cause_ids() -> Vec<&'static str> {
    ngxray::logs::causes::CAUSES.iter().map(|c| c.id).collect()
}

/// Run the bash completion function on `line` (the cursor at its end) and
/// return the candidates bash would offer.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prog = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n_ngxray ngxray \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let out = Command::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(prog)
        .output()
        .expect("run bash");
    assert!(out.status.success(), "bash: {}", stderr(&out));
    stdout(&out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_rule_ids_and_cause_ids() {
    if Command::new("bash").arg("--version").output().is_err() {
        skip("bash_completes_rule_ids_and_cause_ids", "bash not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("ngxray.bash");
    let out = ngxray(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::write(&script, &out.stdout).unwrap();

    let rules = rule_ids();
    let dns: Vec<&str> = rules
        .iter()
        .copied()
        .filter(|r| r.starts_with("dns/"))
        .collect();
    assert!(dns.len() >= 2, "registry has dns rules: {dns:?}");
    for flag in ["--select", "--ignore"] {
        let got = bash_complete(&script, &["ngxray", "lint", flag, "dns"]);
        let mut want: Vec<String> = vec!["dns".into()];
        want.extend(dns.iter().map(|s| s.to_string()));
        assert_eq!(sorted(got), sorted(want), "lint {flag} dns<TAB>");
    }
    // Every rule id is offered after --select, and by explain.
    let all = bash_complete(&script, &["ngxray", "lint", "--select", ""]);
    let explain = bash_complete(&script, &["ngxray", "explain", ""]);
    for id in &rules {
        assert!(all.iter().any(|c| c == id), "--select does not offer {id}");
        assert!(
            explain.iter().any(|c| c == id),
            "explain does not offer {id}"
        );
    }
    // Cause ids for both filters of logs.
    let causes = cause_ids();
    for flag in ["--cause", "--fail-on-cause"] {
        let got = bash_complete(&script, &["ngxray", "logs", flag, "conn"]);
        let want: Vec<String> = causes
            .iter()
            .filter(|c| c.starts_with("conn"))
            .map(|c| c.to_string())
            .collect();
        assert!(want.contains(&"connect-refused".to_string()));
        assert_eq!(sorted(got), sorted(want), "logs {flag} conn<TAB>");
        let every = bash_complete(&script, &["ngxray", "logs", flag, ""]);
        assert_eq!(
            sorted(every),
            sorted(causes.iter().map(|c| c.to_string()).collect())
        );
    }
    // Parsing is untouched: an unknown cause is still the command's own error.
    let out = ngxray(&["logs", "--cause", "nope", "-"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unknown cause \"nope\""),
        "{}",
        stderr(&out)
    );
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

#[test]
fn zsh_and_fish_completions_carry_ids_with_their_summaries() {
    let zsh = stdout(&ngxray(&["completions", "zsh"]));
    let fish = stdout(&ngxray(&["completions", "fish"]));
    let reg = ngxray::lint::registry::all();
    let rule = reg
        .iter()
        .find(|r| r.id == "dns/variable-pass-without-resolver")
        .expect("rule in registry");
    let cause = &ngxray::logs::causes::CAUSES
        [ngxray::logs::causes::find("no-live-upstreams").unwrap() as usize];
    for (shell, script) in [("zsh", &zsh), ("fish", &fish)] {
        for id in rule_ids().into_iter().chain(cause_ids()) {
            assert!(script.contains(id), "{shell} lacks {id}");
        }
        // Summaries go with the ids (a plain phrase of it: shells escape
        // backquotes and colons differently).
        let phrase = "resolves its host per request";
        assert!(rule.summary.contains(phrase), "{}", rule.summary);
        assert!(
            script.contains(phrase),
            "{shell} lacks the summary of {}",
            rule.id
        );
        assert!(
            script.contains(cause.title),
            "{shell} lacks the title of {}",
            cause.id
        );
    }
}
