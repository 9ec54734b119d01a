//! Differential test of the lexer and parser against the real `nginx -t`:
//! a valid config is mutated at random (a `;`, `{`, `}`, quote or `#`
//! inserted, deleted or doubled), and every syntax error nginx reports must
//! be ngxray's first syntax error, on the same line; when nginx accepts the
//! file (or stops earlier on a non-syntax error), ngxray must not report a
//! syntax error before that point.

use std::path::Path;

use ngxray::lint::{lint_paths, LintOptions};

use crate::util::nginx;

const BASE: &str = r#"worker_processes 1;
events {
    worker_connections 64;
}
http {
    # upstream of the app
    upstream app {
        server 127.0.0.1:8081 max_fails=3 fail_timeout=5s;
        keepalive 8;
    }
    log_format main '$remote_addr "$request" $status';
    server {
        listen 127.0.0.1:8080;
        server_name example.test "www.example.test";
        location / {
            proxy_pass http://app;
            proxy_set_header Host $host;
            proxy_set_header X-Quote "a \"b\" c";
        }
        location ~ ^/api/(\d+)$ {
            return 200 'id=$1;';
        }
        location = /x {
            add_header X-A "v;1" always;
            return 204;
        }
    }
}
"#;

/// xorshift64: deterministic cases without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn mutate(rng: &mut Rng) -> String {
    let mut s: Vec<u8> = BASE.as_bytes().to_vec();
    for _ in 0..1 + rng.below(2) {
        let specials: Vec<usize> = s
            .iter()
            .enumerate()
            .filter(|(_, b)| b";{}\"'#".contains(b))
            .map(|(i, _)| i)
            .collect();
        match rng.below(3) {
            0 if !specials.is_empty() => {
                let i = specials[rng.below(specials.len())];
                s.remove(i);
            }
            1 if !specials.is_empty() => {
                let i = specials[rng.below(specials.len())];
                let b = s[i];
                s.insert(i, b);
            }
            _ => {
                let at = rng.below(s.len());
                let b = b";{}\"'#"[rng.below(6)];
                s.insert(at, b);
            }
        }
    }
    String::from_utf8_lossy(&s).into_owned()
}

/// nginx's first error: (is it a lexer/parser error, line).
fn nginx_first_error(nginx: &Path, dir: &Path) -> Option<(bool, usize, String)> {
    let out = crate::util::nginx_test_config(nginx, dir);
    if out.status.success() {
        return None;
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| l.contains("[emerg]"))?.to_string();
    let msg = line.split_once("[emerg] ")?.1;
    let msg = msg
        .split_once(": ")
        .map(|(_, m)| m)
        .unwrap_or(msg)
        .to_string();
    let at: usize = msg
        .rsplit_once(':')
        .and_then(|(_, n)| n.trim().parse().ok())
        .unwrap_or(usize::MAX);
    let syntax = msg.starts_with("unexpected ") || msg.starts_with("too long parameter");
    Some((syntax, at, msg))
}

#[test]
fn syntax_errors_match_nginx() {
    let Some(nginx) = nginx("syntax_diff::syntax_errors_match_nginx") else {
        return;
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut compared, mut nginx_syntax) = (0, 0);
    let mut failures = Vec::new();
    for case in 0..800 {
        let text = mutate(&mut rng);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("nginx.conf"), &text).unwrap();
        let verdict = nginx_first_error(&nginx, dir.path());
        let o = lint_paths(&[dir.path().join("nginx.conf")], &LintOptions::default()).unwrap();
        let first_syntax = o
            .diagnostics
            .iter()
            .filter(|d| d.category() == "syntax")
            .filter_map(|d| {
                d.span.map(|s| {
                    (
                        o.loaded.sources.get(s.file).position(s.start()).line,
                        d.message.clone(),
                    )
                })
            })
            .min();
        compared += 1;
        match (&verdict, &first_syntax) {
            (Some((true, line, msg)), Some((ours, our_msg))) => {
                nginx_syntax += 1;
                if line != ours {
                    failures.push(format!("case {case}: nginx `{msg}` vs ngxray line {ours} `{our_msg}`\n{text}"));
                }
            }
            (Some((true, _, msg)), None) => failures.push(format!("case {case}: nginx `{msg}`, ngxray no syntax error\n{text}")),
            (Some((false, line, _)), Some((ours, our_msg))) if ours < line => {
                failures.push(format!("case {case}: ngxray syntax error at {ours} `{our_msg}` before nginx's first error at {line}\n{text}"))
            }
            (None, Some((ours, our_msg))) => failures.push(format!("case {case}: nginx ok, ngxray line {ours} `{our_msg}`\n{text}")),
            _ => {}
        }
    }
    eprintln!("syntax_diff: {compared} mutated configs, {nginx_syntax} with nginx syntax errors, {} disagreements", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n----\n"));
}
