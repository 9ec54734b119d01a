//! Docs that cannot drift: rule pages' example outputs are re-linted, the
//! README's rules table is regenerated from the registry, the pre-commit
//! hook's file pattern and the generated completions and man pages are
//! checked. `NGXRAY_BLESS=1 cargo test docs` rewrites stale blocks.
//!
//! Rule page convention (docs/rules/<category>/<name>.md): an example is a
//! fenced ```nginx block, followed by the line `<!-- output: concise -->`
//! (optionally with extra `lint` flags: `<!-- output: concise --context
//! server -->`) and a fenced ```text block holding exactly what
//! `ngxray lint --format concise [flags] example.conf` prints for that
//! example saved as `example.conf`. An empty text block shows a clean run.

use std::path::{Path, PathBuf};

use crate::util::*;

const MARKER: &str = "<!-- output: concise";

fn bless() -> bool {
    std::env::var_os("NGXRAY_BLESS").is_some_and(|v| v == "1")
}

/// A fenced block: fence line index, closing fence line index, info string.
#[derive(Debug)]
struct Fence {
    open: usize,
    close: usize,
    info: String,
}

fn fences(lines: &[&str]) -> Result<Vec<Fence>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        if let Some(rest) = t.strip_prefix("```") {
            let ticks = 3 + rest.chars().take_while(|&c| c == '`').count();
            let info = rest.trim_start_matches('`').trim().to_string();
            let close = (i + 1..lines.len())
                .find(|&j| {
                    let c = lines[j].trim();
                    c.len() >= ticks && c.chars().all(|ch| ch == '`')
                })
                .ok_or_else(|| format!("line {}: unclosed code fence", i + 1))?;
            out.push(Fence {
                open: i,
                close,
                info,
            });
            i = close + 1;
        } else {
            i += 1;
        }
    }
    Ok(out)
}

/// One checked example of a page.
#[derive(Debug)]
struct Example {
    /// The nginx source.
    config: String,
    /// Extra `lint` flags from the marker.
    flags: Vec<String>,
    /// 1-based line of the marker (for messages).
    marker_line: usize,
    /// Line range `[first, end)` of the output block's content.
    body: (usize, usize),
    shown: String,
}

fn examples(text: &str) -> Result<Vec<Example>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let fences = fences(&lines)?;
    let mut out = Vec::new();
    for (k, f) in fences.iter().enumerate() {
        // The marker stands on the last non-blank line before this fence.
        let Some(m) = (0..f.open).rev().find(|&j| !lines[j].trim().is_empty()) else {
            continue;
        };
        let marker = lines[m].trim();
        let Some(rest) = marker.strip_prefix(MARKER) else {
            continue;
        };
        let flags_text = rest
            .strip_suffix("-->")
            .ok_or_else(|| format!("line {}: marker must end with -->", m + 1))?;
        if f.info != "text" {
            return Err(format!(
                "line {}: the block after an output marker must be ```text",
                f.open + 1
            ));
        }
        let config = fences[..k]
            .iter()
            .rev()
            .find(|p| p.close < m)
            .filter(|p| p.info == "nginx")
            .ok_or_else(|| {
                format!(
                    "line {}: an output marker must follow a ```nginx block",
                    m + 1
                )
            })?;
        let mut config_text = lines[config.open + 1..config.close].join("\n");
        config_text.push('\n');
        let shown: String = lines[f.open + 1..f.close]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        out.push(Example {
            config: config_text,
            flags: flags_text.split_whitespace().map(String::from).collect(),
            marker_line: m + 1,
            body: (f.open + 1, f.close),
            shown,
        });
    }
    Ok(out)
}

/// What the binary prints for an example.
fn produce(ex: &Example) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("example.conf"), &ex.config).map_err(|e| e.to_string())?;
    let mut args: Vec<&str> = vec!["lint", "--format", "concise"];
    args.extend(ex.flags.iter().map(String::as_str));
    args.push("example.conf");
    let out = ngxray_in(dir.path(), &args);
    match out.status.code() {
        Some(0 | 1) => Ok(stdout(&out)),
        // an input that cannot be read exits 2 (its page shows one)
        Some(2) if stdout(&out).contains("[io/unreadable]") => Ok(stdout(&out)),
        c => Err(format!(
            "line {}: `ngxray {}` exited {c:?}: {}",
            ex.marker_line,
            args.join(" "),
            stderr(&out)
        )),
    }
}

/// Check (or, blessing, rewrite) one page. Returns the problems found and
/// the rule ids seen in its outputs.
fn check_page(path: &Path, bless: bool) -> (Vec<String>, Vec<String>) {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return (vec![format!("{name}: {e}")], vec![]),
    };
    let exs = match examples(&text) {
        Ok(x) => x,
        Err(e) => return (vec![format!("{name}:{e}")], vec![]),
    };
    let mut problems = Vec::new();
    let mut ids = Vec::new();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let re = regex::Regex::new(r"\[([a-z0-9-]+/[a-z0-9-]+)\]").unwrap();
    // Rewrite from the bottom so earlier ranges stay valid.
    for ex in exs.iter().rev() {
        let got = match produce(ex) {
            Ok(g) => g,
            Err(e) => {
                problems.push(format!("{name}:{e}"));
                continue;
            }
        };
        ids.extend(
            got.lines()
                .filter_map(|l| Some(re.captures(l)?[1].to_string())),
        );
        if got != ex.shown {
            if bless {
                lines.splice(ex.body.0..ex.body.1, got.lines().map(String::from));
            } else {
                problems.push(format!(
                    "{name}:{}: example output is stale (NGXRAY_BLESS=1 cargo test docs rewrites it)\n--- shown\n{}--- produced\n{}",
                    ex.marker_line, ex.shown, got
                ));
            }
        }
    }
    if bless {
        let mut new = lines.join("\n");
        new.push('\n');
        if new != text {
            if let Err(e) = std::fs::write(path, new) {
                problems.push(format!("{name}: cannot bless: {e}"));
            }
        }
    }
    if exs.is_empty() {
        problems.push(format!(
            "{name}: no checked example: after the ```nginx example add a line `{MARKER} -->` \
             and an empty ```text block, then run `NGXRAY_BLESS=1 cargo test docs` to fill it in"
        ));
    }
    (problems, ids)
}

fn rule_pages() -> Vec<PathBuf> {
    let dir = repo().join("docs/rules");
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut pages: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    pages.sort();
    pages
}

/// `ngxray rules --format json`: (id, severity, summary).
fn registry() -> Vec<(String, String, String)> {
    let out = ngxray(&["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("rules json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                r["severity"].as_str().unwrap_or_default().to_string(),
                r["summary"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn rule_pages_examples_are_current() {
    let pages = rule_pages();
    if pages.is_empty() {
        eprintln!("SKIP rule_pages_examples_are_current: no pages under docs/rules yet");
        return;
    }
    let known: Vec<String> = registry().into_iter().map(|r| r.0).collect();
    let mut problems = Vec::new();
    for page in &pages {
        let rel = page
            .strip_prefix(repo().join("docs/rules"))
            .unwrap_or(page)
            .with_extension("");
        let id = rel.to_string_lossy().replace('\\', "/");
        if !known.contains(&id) {
            problems.push(format!(
                "{}: no registered rule \"{id}\" (page path must be docs/rules/<rule-id>.md)",
                page.display()
            ));
        }
        let (p, ids) = check_page(page, bless());
        if p.is_empty() && !ids.contains(&id) {
            problems.push(format!(
                "{}: no example output shows [{id}]",
                page.display()
            ));
        }
        problems.extend(p);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn example_checker_detects_and_blesses_stale_output() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.md");
    let source = "# syntax/empty-statement\n\n## Example\n\n```nginx\nevents {}\nhttp {\n    ;\n}\n```\n\n<!-- output: concise -->\n```text\nstale\n```\n\n## Use instead\n\n```nginx\nevents {}\n```\n\n<!-- output: concise --context main -->\n```text\n```\n";
    std::fs::write(&page, source).unwrap();
    let (problems, _) = check_page(&page, false);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("page.md:12: example output is stale"),
        "{problems:?}"
    );
    assert!(problems[0].contains("--- shown\nstale\n"), "{problems:?}");

    let (problems, ids) = check_page(&page, true);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(ids.contains(&"syntax/empty-statement".to_string()));
    let blessed = std::fs::read_to_string(&page).unwrap();
    assert!(
        blessed.contains("```text\nexample.conf:3:5: error[syntax/empty-statement] unexpected \";\"\n```\n\n## Use instead"),
        "{blessed}"
    );
    // The clean example stays an empty block; blessing twice changes nothing.
    assert!(blessed.ends_with("<!-- output: concise --context main -->\n```text\n```\n"));
    let (problems, _) = check_page(&page, false);
    assert!(problems.is_empty(), "{problems:?}");

    // A marker that does not follow an nginx block is an error, not a skip.
    std::fs::write(&page, "<!-- output: concise -->\n```text\n```\n").unwrap();
    let (problems, _) = check_page(&page, false);
    assert!(
        problems[0].contains("must follow a ```nginx block"),
        "{problems:?}"
    );

    // A page whose example has no output block is reported.
    std::fs::write(&page, "# x/y\n\n```nginx\nevents {}\n```\n").unwrap();
    let (problems, _) = check_page(&page, false);
    assert!(problems[0].contains("no checked example"), "{problems:?}");
}

/// The README rules table, generated from the registry.
fn rules_table() -> String {
    let mut s = String::from("| rule | severity | what it finds |\n|---|---|---|\n");
    for (id, sev, summary) in registry() {
        let cell = if repo().join(format!("docs/rules/{id}.md")).exists() {
            format!("[`{id}`](docs/rules/{id}.md)")
        } else {
            format!("`{id}`")
        };
        s.push_str(&format!(
            "| {cell} | {sev} | {} |\n",
            summary.replace('|', "\\|")
        ));
    }
    s
}

#[test]
fn readme_rules_table_is_current() {
    const START: &str = "<!-- rules-table:start -->\n";
    const END: &str = "<!-- rules-table:end -->";
    let path = repo().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let a = readme
        .find(START)
        .expect("README has <!-- rules-table:start -->")
        + START.len();
    let b = a + readme[a..]
        .find(END)
        .expect("README has <!-- rules-table:end -->");
    let want = rules_table();
    if readme[a..b] != want {
        if bless() {
            let new = format!("{}{}{}", &readme[..a], want, &readme[b..]);
            std::fs::write(&path, new).unwrap();
        } else {
            panic!(
                "README rules table is stale (NGXRAY_BLESS=1 cargo test docs rewrites it)\n--- README\n{}--- registry\n{}",
                &readme[a..b],
                want
            );
        }
    }
}

#[test]
fn readme_documents_every_lint_format_and_exit_code() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let help = stdout(&ngxray(&["lint", "--help"]));
    let formats: Vec<&str> = ["text", "concise", "json", "sarif", "github"]
        .into_iter()
        .filter(|f| help.contains(f))
        .collect();
    assert_eq!(formats.len(), 5, "{help}");
    for f in formats {
        assert!(
            readme.contains(&format!("--format {f}")),
            "README does not document --format {f}"
        );
    }
    for row in ["| 0 |", "| 1 |", "| 2 |"] {
        assert!(readme.contains(row), "README exit-code table lacks {row}");
    }
    assert!(
        readme.contains("# ngxray: ignore["),
        "README lacks the suppression syntax"
    );
    assert!(
        readme.contains(".ngxray.toml"),
        "README lacks the config file reference"
    );
}

#[test]
fn readme_concise_sample_is_real() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let cmd = "$ cd testdata/formats/multi && ngxray lint --format concise nginx.conf\n";
    let start = readme.find(cmd).expect("README shows the concise sample") + cmd.len();
    let shown = &readme[start..start + readme[start..].find("```").unwrap()];
    let out = ngxray_in(
        &repo().join("testdata/formats/multi"),
        &["lint", "--format", "concise", "nginx.conf"],
    );
    let got = stdout(&out);
    assert!(!shown.trim().is_empty());
    for line in shown.lines() {
        assert!(
            got.lines().any(|g| g == line),
            "README sample line not produced: {line}\n--- produced\n{got}"
        );
    }
}

/// The first fenced block of `lang` after `heading` in the README.
fn readme_block(heading: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let at = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README lacks {heading}"));
    let fence = format!("```{lang}\n");
    let a = at + readme[at..].find(&fence).expect("block") + fence.len();
    let b = a + readme[a..].find("```").expect("closing fence");
    readme[a..b].to_string()
}

#[test]
fn readme_suppression_example_works() {
    let block = readme_block("### Suppressing a finding", "nginx");
    let dir = tempfile::tempdir().unwrap();
    let lint = |text: &str| {
        std::fs::write(dir.path().join("example.conf"), text).unwrap();
        ngxray_in(dir.path(), &["lint", "--format", "concise", "example.conf"])
    };
    // As shown: every finding suppressed, no suppression unused or unknown.
    let out = lint(&block);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "");
    // Without the comments, the suppressed findings are there.
    let bare: String = block
        .lines()
        .map(|l| match l.find("# ngxray:") {
            Some(i) => format!("{}\n", &l[..i]),
            None => format!("{l}\n"),
        })
        .collect();
    let got = stdout(&lint(&bare));
    assert!(got.contains("[dns/static-hostname-resolved-once]"), "{got}");
    assert!(got.contains("[timeout/"), "{got}");
}

#[test]
fn readme_config_example_is_valid() {
    let toml = readme_block("### Configuration file", "toml");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".ngxray.toml"), &toml).unwrap();
    std::fs::copy(
        repo().join("testdata/formats/clean/nginx.conf"),
        dir.path().join("nginx.conf"),
    )
    .unwrap();
    let out = ngxray_in(dir.path(), &["lint", "nginx.conf"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Every key of the reference table is accepted by the binary.
    for key in [
        "nginx-version",
        "flavor",
        "select",
        "ignore",
        "fail-on",
        "severity",
    ] {
        assert!(toml.contains(&format!("{key} = ")), "example lacks {key}");
    }
}

/// The `files:` pattern of a hook in .pre-commit-hooks.yaml.
fn hook_files_pattern(id: &str) -> Option<String> {
    let text = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).ok()?;
    let mut in_hook = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("- id:") {
            in_hook = rest.trim() == id;
        } else if in_hook {
            if let Some(p) = line.trim().strip_prefix("files:") {
                let p = p.trim();
                return Some(p.trim_matches('\'').replace("''", "'"));
            }
        }
    }
    None
}

#[test]
fn pre_commit_hook_selects_nginx_files() {
    let pat = hook_files_pattern("ngxray").expect(".pre-commit-hooks.yaml hook ngxray with files:");
    let re = regex::Regex::new(&pat).expect("files: is a regex");
    // pre-commit matches `files` with re.search against repo-relative paths.
    for p in [
        "nginx.conf",
        "etc/nginx/nginx.conf",
        "nginx.conf.default",
        "conf.d/app.conf",
        "deploy/api.conf.template",
        "sites-enabled/example.com",
        "etc/nginx/sites-available/default",
        "snippets/proxy.nginx",
        "stream.d/tcp",
    ] {
        assert!(re.is_match(p), "hook skips {p}");
    }
    for p in [
        "README.md",
        "src/main.rs",
        "docs/nginx.md",
        "conf.d/.hidden",
        "app.conf.bak",
    ] {
        assert!(!re.is_match(p), "hook would lint {p}");
    }
    let text = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(text.contains("entry: ngxray lint"), "{text}");
}

#[test]
fn completions_are_generated_from_the_cli() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = ngxray(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        for word in ["lint", "logs", "fail-on", "format"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
        // Shells that complete values know every lint format.
        if matches!(shell, "bash" | "zsh" | "fish") {
            assert!(script.contains("sarif"), "{shell} completion lacks sarif");
        }
    }
    // The bash script parses.
    let out = ngxray(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ngxray.bash");
    std::fs::write(&f, &out.stdout).unwrap();
    match std::process::Command::new("bash")
        .arg("-n")
        .arg(&f)
        .output()
    {
        Ok(o) => assert!(o.status.success(), "bash -n: {}", stderr(&o)),
        Err(_) => eprintln!("SKIP bash -n: bash not found"),
    }
    let out = ngxray(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_pages_are_generated_from_the_cli() {
    let out = ngxray(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = stdout(&out);
    assert!(page.contains(".TH ngxray 1"), "{page}");
    assert!(page.contains("ngxray\\-lint(1)"), "{page}");
    let lint = stdout(&ngxray(&["man", "lint"]));
    assert!(lint.contains(".TH ngxray-lint 1"), "{lint}");
    assert!(lint.contains("\\-\\-fail\\-on"), "{lint}");
    assert!(lint.contains("concise"), "{lint}");
    let out = ngxray(&["man", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown command \"nope\""));

    let dir = tempfile::tempdir().unwrap();
    let out = ngxray(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for name in [
        "ngxray.1",
        "ngxray-lint.1",
        "ngxray-logs.1",
        "ngxray-completions.1",
    ] {
        assert!(dir.path().join(name).is_file(), "{name} not written");
    }
}
