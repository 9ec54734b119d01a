//! Fingerprints of findings that survive line moves. Code scanning (SARIF
//! `partialFingerprints`), GitLab Code Quality (`fingerprint`) and
//! baselines match a finding across commits by these: a hash of the rule
//! id, the file's repository path, the directive's normalized text
//! (name and arguments, whitespace and quoting ignored), the block path
//! around it (`http > server[example.com] > location /api`) and the index
//! of the finding among those that share all of the above. Adding lines
//! above a finding, re-indenting or reformatting it keeps its fingerprint;
//! changing the directive, moving it to another block or renaming the file
//! gives a new one.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::diag::Diagnostic;
use crate::source::{SourceMap, Span};
use crate::syntax::{Block, Directive, ParsedFile};

/// The fingerprint of one finding: the first 128 bits of a SHA-256 over
/// the parts, as 32 lowercase hex digits. The parts are separated by a NUL
/// byte so that no two different tuples hash the same bytes.
pub fn fingerprint(
    rule: &str,
    path: &str,
    directive: &str,
    context: &str,
    occurrence: usize,
) -> String {
    finish(parts(rule, path, directive, context), occurrence)
}

/// The hash of a fingerprint's parts, before the occurrence index.
fn parts(rule: &str, path: &str, directive: &str, context: &str) -> Sha256 {
    let mut h = Sha256::new();
    for part in [rule, path, directive, context] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h
}

fn finish(mut h: Sha256, occurrence: usize) -> String {
    h.update(occurrence.to_string().as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Where a finding is, in terms that do not depend on line numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Site {
    /// The innermost directive at the finding, `name arg…` (unquoted
    /// values joined by one space); for a finding outside any directive,
    /// its source line with whitespace collapsed; for one without a
    /// location, its message.
    pub directive: String,
    /// The blocks around it, outermost first, joined by ` > `; a `server`
    /// block is named by its `server_name`s (`server[a.example b.example]`).
    pub context: String,
}

/// The site of a span in a parsed file.
pub fn site(root: &Block, text: &[u8], span: Span) -> Site {
    let at = span.start();
    let mut context: Vec<String> = Vec::new();
    let mut block = root;
    let mut found: Option<&Directive> = None;
    while let Some(d) = block.directives.iter().find(|d| contains(d.span(), at)) {
        found = Some(d);
        match d.block() {
            Some(inner) if inner.directives.iter().any(|c| contains(c.span(), at)) => {
                context.push(block_name(d, inner));
                block = inner;
            }
            _ => break,
        }
    }
    let directive = match found {
        Some(d) => head(d),
        None => line_around(text, at),
    };
    Site {
        directive,
        context: context.join(" > "),
    }
}

/// The fingerprints of `diags`, in order. `path` gives each file's path as
/// the report shows it (relative to the repository root); `files` are the
/// parsed files indexed by file id.
pub fn fingerprints(
    diags: &[Diagnostic],
    sources: &SourceMap,
    files: &[ParsedFile],
    path: &dyn Fn(&Path) -> String,
) -> Vec<String> {
    // Occurrences counted per site, keyed by the hash of the parts (32
    // bytes, not the texts: a run may have hundreds of thousands).
    let mut seen: HashMap<[u8; 32], usize> = HashMap::new();
    diags
        .iter()
        .map(|d| {
            let (file, site) = match d.span.and_then(|s| Some((s, sources.try_get(s.file)?))) {
                Some((s, f)) => {
                    let site = match files.get(s.file.0 as usize) {
                        Some(p) => site(&p.root, &f.text, s),
                        None => Site {
                            directive: line_around(&f.text, s.start()),
                            context: String::new(),
                        },
                    };
                    (path(&f.path), site)
                }
                None => (
                    d.label.as_deref().unwrap_or_default().to_string(),
                    Site {
                        directive: d.message.to_string(),
                        context: String::new(),
                    },
                ),
            };
            let h = parts(d.rule, &file, &site.directive, &site.context);
            let n = seen.entry(h.clone().finalize().into()).or_insert(0);
            let fp = finish(h, *n);
            *n += 1;
            fp
        })
        .collect()
}

fn contains(span: Span, at: usize) -> bool {
    span.start() <= at && (at < span.end() || span.is_empty() && at == span.start())
}

/// `name arg…` with the arguments' values (quotes and escapes resolved).
fn head(d: &Directive) -> String {
    let mut s = d.name().to_string();
    for a in &d.args {
        s.push(' ');
        s.push_str(a.as_str());
    }
    s
}

fn block_name(d: &Directive, inner: &Block) -> String {
    let mut name = head(d);
    if d.name() == "server" && d.args.is_empty() {
        let names: Vec<&str> = inner
            .directives
            .iter()
            .filter(|c| c.name() == "server_name")
            .flat_map(|c| c.args.iter().map(|a| a.as_str()))
            .collect();
        if !names.is_empty() {
            let _ = write!(name, "[{}]", names.join(" "));
        }
    }
    name
}

/// The source line holding `at`, whitespace collapsed.
fn line_around(text: &[u8], at: usize) -> String {
    let at = at.min(text.len());
    let start = text[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = text[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| at + i);
    String::from_utf8_lossy(&text[start..end])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn fps(text: &str, needles: &[&str]) -> Vec<String> {
        let mut sources = SourceMap::new();
        let id = sources.add(SourceFile::new("a.conf", text.as_bytes().to_vec()));
        let parsed = crate::syntax::parse(text.as_bytes(), id);
        let diags: Vec<Diagnostic> = needles
            .iter()
            .map(|n| {
                let s = text.find(n).expect("needle");
                Diagnostic::warning("t/rule", "m").with_span(Span::new(id, s, s + n.len()))
            })
            .collect();
        fingerprints(&diags, &sources, &[parsed], &|p| p.display().to_string())
    }

    #[test]
    fn survives_line_moves_and_reformatting() {
        let a = "http {\n  server {\n    server_name a.example;\n    location / { proxy_pass http://b; }\n  }\n}\n";
        let b = "# a comment\n\nhttp {\n\n server { server_name   a.example;\n\n\n location / {\n   proxy_pass    \"http://b\";\n }\n }\n}\n";
        assert_eq!(fps(a, &["proxy_pass"]), fps(b, &["proxy_pass"]));
        // another server, another directive value, another rule: new ones
        let c = a.replace("a.example", "c.example");
        assert_ne!(fps(a, &["proxy_pass"]), fps(&c, &["proxy_pass"]));
        let d = a.replace("http://b", "http://d");
        assert_ne!(fps(a, &["proxy_pass"]), fps(&d, &["proxy_pass"]));
        assert_ne!(
            fingerprint("x/a", "p", "d", "c", 0),
            fingerprint("x/b", "p", "d", "c", 0)
        );
    }

    #[test]
    fn sites_and_occurrences() {
        let text = "http {\n  server {\n    server_name a b;\n    location /api { proxy_pass http://x; }\n  }\n}\n";
        let mut sources = SourceMap::new();
        let id = sources.add(SourceFile::new("a.conf", text.as_bytes().to_vec()));
        let parsed = crate::syntax::parse(text.as_bytes(), id);
        let at = text.find("http://x").expect("needle");
        assert_eq!(
            site(&parsed.root, text.as_bytes(), Span::new(id, at, at + 8)),
            Site {
                directive: "proxy_pass http://x".into(),
                context: "http > server[a b] > location /api".into(),
            }
        );
        // the same finding twice on one directive: two fingerprints
        let two = fps(text, &["proxy_pass", "proxy_pass"]);
        assert_ne!(two[0], two[1]);
        assert_eq!(two[0].len(), 32);
        assert!(two[0].bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
