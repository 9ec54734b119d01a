//! `grammar/duplicates.tsv` against a real nginx: the directives listed as
//! refused twice in one block (read from nginx's source by
//! `grammar/ngx_duplicates.py`) are written twice, with their default
//! value, in the first context they are allowed in, and `nginx -t` must say
//! `is duplicate` for every one it can check. A listed directive that nginx
//! accepts twice would be a false error of `grammar/duplicate-directive`.
//! Directives the installed nginx cannot check (not built in, no default
//! value to write, a default it refuses alone) are counted, not asserted;
//! ngxray's verdict is asserted on the same configs.

use crate::util::*;

const STREAM: &str = "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n";

/// The config holding `twice` (the directive twice) in `context`.
fn config(context: &str, twice: &str) -> Option<String> {
    let body = match context {
        "main" => twice.to_string(),
        "events" => return Some(format!("events {{ {twice} }}\n")),
        "http" => format!("http {{ {twice} }}"),
        "server" => format!("http {{ server {{ listen 127.0.0.1:1; {twice} }} }}"),
        "location" => {
            format!("http {{ server {{ listen 127.0.0.1:1; location / {{ {twice} }} }} }}")
        }
        "upstream" => format!(
            "http {{ upstream u {{ server 127.0.0.1:1; {twice} }} server {{ listen 127.0.0.1:1; }} }}"
        ),
        "stream" => format!("{STREAM}stream {{ {twice} }}"),
        "stream_server" => format!(
            "{STREAM}stream {{ server {{ listen 127.0.0.1:1; proxy_pass 127.0.0.1:2; {twice} }} }}"
        ),
        _ => return None,
    };
    Some(format!("events {{}}\n{body}\n"))
}

#[test]
fn listed_duplicates_are_refused_by_nginx() {
    let Some(nginx) = nginx("listed_duplicates_are_refused_by_nginx") else {
        return;
    };
    let listed = std::fs::read_to_string(repo().join("grammar/duplicates.tsv")).expect("list");
    let table = std::fs::read_to_string(repo().join("grammar/directives.tsv")).expect("table");
    let defaults = std::fs::read_to_string(repo().join("src/model/data/directive-defaults.tsv"))
        .expect("defaults");
    // (name, module) -> (kind, contexts, on|off)
    let rows: std::collections::HashMap<(&str, &str), (&str, &str, bool)> = table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 14).then(|| ((f[0], f[1]), (f[2], f[3], f[12] == "on|off")))
        })
        .collect();
    let default_of: std::collections::HashMap<&str, &str> = defaults
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("name\t"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 4 && !f[3].is_empty()).then(|| (f[0], f[3]))
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut refused, mut unchecked) = (0, 0);
    let mut accepted = Vec::new();
    let mut missed = Vec::new();
    for line in listed.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let mut f = line.split('\t');
        let (Some(name), Some(module)) = (f.next(), f.next()) else {
            panic!("bad line in grammar/duplicates.tsv: {line}");
        };
        let Some(&(kind, contexts, on_off)) = rows.get(&(name, module)) else {
            panic!("{name} ({module}) is listed but not in grammar/directives.tsv");
        };
        let value = if on_off {
            Some("off")
        } else {
            default_of
                .get(name)
                .map(|v| v.split('|').next().unwrap_or(v))
                .filter(|v| !v.is_empty() && !v.starts_with('('))
        };
        let context = [
            "main",
            "events",
            "http",
            "server",
            "location",
            "upstream",
            "stream",
            "stream_server",
        ]
        .into_iter()
        .find(|c| contexts.split(',').any(|x| x == *c));
        let conf = match (kind, value, context) {
            ("oss", Some(v), Some(c)) => config(c, &format!("{name} {v}; {name} {v};")),
            _ => None,
        };
        let Some(conf) = conf else {
            unchecked += 1;
            continue;
        };
        std::fs::write(dir.path().join("nginx.conf"), &conf).expect("write");
        let out = nginx_test_config(&nginx, dir.path());
        let err = stderr(&out);
        if err.contains(&format!("\"{name}\" directive is duplicate")) {
            refused += 1;
            let lint = ngxray(&[
                "lint",
                "--format",
                "concise",
                "--select",
                "grammar",
                &dir.path().join("nginx.conf").display().to_string(),
            ]);
            if !stdout(&lint).contains(&format!("\"{name}\" directive is duplicate")) {
                missed.push(format!("{name}: {conf}{}", stdout(&lint)));
            }
        } else if out.status.success() {
            accepted.push(format!("{name} ({module}): {conf}"));
        } else {
            // Not built in, or its default alone is refused here.
            unchecked += 1;
        }
    }
    eprintln!(
        "duplicates_diff: {refused} listed directives refused twice by nginx -t, {unchecked} not checkable with this nginx"
    );
    assert!(
        accepted.is_empty(),
        "listed but accepted twice by nginx -t:\n{}",
        accepted.join("\n")
    );
    assert!(missed.is_empty(), "ngxray passes:\n{}", missed.join("\n"));
    // nginx 1.22 with the stream module checks about 260 of them.
    assert!(refused >= 200, "only {refused} checked: is nginx complete?");
}
