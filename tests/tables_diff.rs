//! The grammar tables read from nginx's source, against a real nginx.
//!
//! `grammar/duplicates.tsv` (by `grammar/ngx_duplicates.py`): each listed
//! directive is written twice, with its default value, in the first
//! context it is allowed in, and `nginx -t` must say `is duplicate` for
//! every one it can check. A listed directive that nginx accepts twice
//! would be a false error of `grammar/duplicate-directive`.
//!
//! `grammar/values.tsv` (by `grammar/ngx_values.py`): each keyword-valued
//! directive gets a word no nginx accepts, which nginx and ngxray must both
//! refuse, and then each listed keyword, which ngxray must accept wherever
//! nginx does (a keyword newer than the installed nginx is counted).
//!
//! `grammar/units.tsv` (by `grammar/ngx_units.py`): each directive read
//! with a size, offset, time or number slot refuses a word in nginx and in
//! ngxray, and both accept its default value.
//!
//! Directives the installed nginx cannot check (not built in, no default
//! value to write, a default it refuses alone) are counted, not asserted.

use std::collections::HashMap;

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

/// The first of these contexts the directive is allowed in.
fn first_context(contexts: &str) -> Option<&'static str> {
    [
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
    .find(|c| contexts.split(',').any(|x| x == *c))
}

/// `nginx -t` and `ngxray lint --select syntax,grammar` on `conf`: nginx's
/// output and whether it accepted, ngxray's concise output.
fn both(nginx: &std::path::Path, dir: &std::path::Path, conf: &str) -> (String, bool, String) {
    std::fs::write(dir.join("nginx.conf"), conf).expect("write");
    let out = nginx_test_config(nginx, dir);
    let lint = ngxray(&[
        "lint",
        "--format",
        "concise",
        "--select",
        "syntax,grammar",
        &dir.join("nginx.conf").display().to_string(),
    ]);
    (stderr(&out), out.status.success(), stdout(&lint))
}

/// `grammar/directives.tsv`: (name, module) -> (kind, contexts, on|off).
fn table_rows(table: &str) -> HashMap<(&str, &str), (&str, &str, bool)> {
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 14).then(|| ((f[0], f[1]), (f[2], f[3], f[12] == "on|off")))
        })
        .collect()
}

/// A default value nginx takes alone for `name`, from the defaults table
/// (the first of alternatives; none for `(none)`-like entries).
fn default_value<'d>(defaults: &HashMap<&'d str, &'d str>, name: &str) -> Option<&'d str> {
    defaults
        .get(name)
        .map(|v| v.split('|').next().unwrap_or(v))
        .filter(|v| !v.is_empty() && !v.starts_with('('))
}

/// `src/model/data/directive-defaults.tsv`: name -> default.
fn defaults_of(defaults: &str) -> HashMap<&str, &str> {
    defaults
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("name\t"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 4 && !f[3].is_empty()).then(|| (f[0], f[3]))
        })
        .collect()
}

/// The directive table and the defaults table, read from the repository.
fn read_tables() -> (String, String) {
    let table = std::fs::read_to_string(repo().join("grammar/directives.tsv")).expect("table");
    let defaults = std::fs::read_to_string(repo().join("src/model/data/directive-defaults.tsv"))
        .expect("defaults");
    (table, defaults)
}

#[test]
fn listed_duplicates_are_refused_by_nginx() {
    let Some(nginx) = nginx("listed_duplicates_are_refused_by_nginx") else {
        return;
    };
    let listed = std::fs::read_to_string(repo().join("grammar/duplicates.tsv")).expect("list");
    let (table, defaults) = read_tables();
    let rows = table_rows(&table);
    let default_of = defaults_of(&defaults);
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
            default_value(&default_of, name)
        };
        let context = first_context(contexts);
        let conf = match (kind, value, context) {
            ("oss", Some(v), Some(c)) => config(c, &format!("{name} {v}; {name} {v};")),
            _ => None,
        };
        let Some(conf) = conf else {
            unchecked += 1;
            continue;
        };
        let (err, ok, lint) = both(&nginx, dir.path(), &conf);
        if err.contains(&format!("\"{name}\" directive is duplicate")) {
            refused += 1;
            if !lint.contains(&format!("\"{name}\" directive is duplicate")) {
                missed.push(format!("{name}: {conf}{lint}"));
            }
        } else if ok {
            accepted.push(format!("{name} ({module}): {conf}"));
        } else {
            // Not built in, or its default alone is refused here.
            unchecked += 1;
        }
    }
    eprintln!(
        "tables_diff: {refused} listed directives refused twice by nginx -t, {unchecked} not checkable with this nginx"
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

#[test]
fn keyword_lists_agree_with_nginx() {
    let Some(nginx) = nginx("keyword_lists_agree_with_nginx") else {
        return;
    };
    let listed = std::fs::read_to_string(repo().join("grammar/values.tsv")).expect("list");
    let (table, _) = read_tables();
    let rows = table_rows(&table);
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut refused, mut accepted, mut newer, mut unchecked) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for line in listed.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let [name, module, _kind, values] = f[..] else {
            panic!("bad line in grammar/values.tsv: {line}");
        };
        let Some(context) = rows
            .get(&(name, module))
            .filter(|r| r.0 == "oss")
            .and_then(|r| first_context(r.1))
        else {
            unchecked += 1;
            continue;
        };
        let Some(bogus) = config(context, &format!("{name} no-such-keyword;")) else {
            unchecked += 1;
            continue;
        };
        let (err, _, lint) = both(&nginx, dir.path(), &bogus);
        if !err.contains("invalid value \"no-such-keyword\"") {
            // Not built into this nginx, or it needs other directives.
            unchecked += 1;
            continue;
        }
        refused += 1;
        if !lint.contains("error[grammar/invalid-value] invalid value \"no-such-keyword\"") {
            wrong.push(format!("ngxray passes {bogus}{lint}"));
        }
        for v in values.split(',') {
            let conf = config(context, &format!("{name} {v};")).unwrap_or_default();
            let (err, ok, lint) = both(&nginx, dir.path(), &conf);
            if ok {
                accepted += 1;
                if lint.contains("error[") {
                    wrong.push(format!("nginx accepts, ngxray refuses: {conf}{lint}"));
                }
            } else if err.contains(&format!("invalid value \"{v}\"")) {
                // A keyword of a newer nginx than the one installed.
                newer += 1;
            }
        }
    }
    eprintln!(
        "tables_diff: {refused} keyword directives checked, {accepted} keywords accepted by both, {newer} newer than this nginx, {unchecked} directives not checkable"
    );
    // Two that a hand-written list got wrong: FastCGI has no http_502
    // (nginx refuses it), and `updating` is a keyword of every
    // `*_next_upstream` sharing the cache's list (nginx accepts it).
    for (directive, nginx_ok) in [
        (
            "fastcgi_pass 127.0.0.1:9; fastcgi_next_upstream error http_502;",
            false,
        ),
        (
            "proxy_pass http://127.0.0.1:9; proxy_next_upstream error updating;",
            true,
        ),
    ] {
        let conf = config("location", directive).unwrap_or_default();
        let (err, ok, lint) = both(&nginx, dir.path(), &conf);
        assert_eq!(ok, nginx_ok, "{conf}{err}");
        assert_eq!(!lint.contains("error["), nginx_ok, "{conf}{lint}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(refused >= 30, "only {refused} checked: is nginx complete?");
}

/// `grammar/units.tsv` (by `grammar/ngx_units.py`): a word no unit parser
/// takes is refused by nginx and ngxray alike, and the default value (when
/// the defaults table has one) is accepted by both.
#[test]
fn units_agree_with_nginx() {
    let Some(nginx) = nginx("units_agree_with_nginx") else {
        return;
    };
    let listed = std::fs::read_to_string(repo().join("grammar/units.tsv")).expect("list");
    let (table, defaults) = read_tables();
    let rows = table_rows(&table);
    let default_of = defaults_of(&defaults);
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut refused, mut accepted, mut unchecked) = (0, 0, 0);
    let mut wrong = Vec::new();
    for line in listed.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let [name, module, unit] = f[..] else {
            panic!("bad line in grammar/units.tsv: {line}");
        };
        let Some(context) = rows
            .get(&(name, module))
            .filter(|r| r.0 == "oss")
            .and_then(|r| first_context(r.1))
        else {
            unchecked += 1;
            continue;
        };
        let bogus = if unit == "number size" { "x 4k" } else { "x" };
        let conf = config(context, &format!("{name} {bogus};")).unwrap_or_default();
        let (err, _, lint) = both(&nginx, dir.path(), &conf);
        let said = format!("\"{name}\" directive invalid");
        if !err.contains(&said) {
            unchecked += 1;
            continue;
        }
        refused += 1;
        if !lint.contains(&format!("error[grammar/invalid-value] {said}")) {
            wrong.push(format!("ngxray passes {conf}{lint}"));
        }
        let Some(value) = default_value(&default_of, name) else {
            continue;
        };
        let conf = config(context, &format!("{name} {value};")).unwrap_or_default();
        let (_, ok, lint) = both(&nginx, dir.path(), &conf);
        if ok {
            accepted += 1;
            if lint.contains("error[") {
                wrong.push(format!("nginx accepts, ngxray refuses: {conf}{lint}"));
            }
        }
    }
    eprintln!(
        "tables_diff: {refused} unit directives refused a word by both, {accepted} defaults accepted by both, {unchecked} not checkable"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(refused >= 120, "only {refused} checked: is nginx complete?");
}
