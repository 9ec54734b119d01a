//! Fixes: the edit-building helpers rules call to attach a [`Fix`] to a
//! finding, and applying fixes to files (`lint --fix`, `--diff`).
//!
//! Edits are byte ranges of the file as read, so everything outside them —
//! comments, indentation, line endings (CRLF too) — stays as it was. Fixes
//! whose edits overlap an already chosen one wait for the next round: the
//! caller re-lints the written files and applies what is still there, at
//! most [`MAX_ROUNDS`] times. Files are written through a temporary file in
//! the real file's folder and renamed over it: a symlinked vhost keeps its
//! link, and a reader never sees half a file. Text that is not the file on
//! disk (stdin, `nginx -T` dumps, `--env-subst`) is never written.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diag::{Applicability, Diagnostic, Edit, Fix, Text};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::syntax::{Directive, Word};

/// Create (or truncate) a report or baseline file, never through a
/// symbolic link: in CI the output path often lies inside the checked-out
/// pull request, which could make it a link to a file of the runner
/// (`results.sarif -> ~/.bashrc`). The check is made on the open itself
/// (`O_NOFOLLOW`), so a link swapped in meanwhile is refused as well.
pub fn create_output(path: &Path) -> std::io::Result<std::fs::File> {
    let refused = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is a symbolic link (output is never written through a link)",
        )
    };
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(refused());
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    o.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return refused();
        }
        e
    })
}

/// Rounds of fix + re-lint before giving up on overlapping fixes.
pub const MAX_ROUNDS: usize = 10;

/// Insert ` text` after a directive's last argument (or its name).
pub fn append_args(d: &Directive, text: &str) -> Edit {
    let at = d.head_span().end();
    Edit {
        span: Span::new(d.span().file, at, at),
        replacement: Text::verbatim(&format!(" {text}")),
    }
}

/// Replace one word (quotes included) with `text`.
pub fn replace_word(w: &Word, text: &str) -> Edit {
    Edit {
        span: w.span,
        replacement: Text::verbatim(text),
    }
}

/// Insert whole lines after a directive, with its indentation and the
/// file's line ending. They go at the end of its line when only spaces or a
/// comment follow it there (the comment stays with its directive); in a
/// one-line block, right after its terminator, on the same line.
pub fn insert_lines_after(src: &SourceFile, d: &Directive, lines: &[&str]) -> Edit {
    let text = &src.text;
    let end = d.span().end().min(text.len());
    let line_start = text[..d.span().start().min(text.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let indent: String = text[line_start..]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .map(|&b| b as char)
        .collect();
    let eol_at = text[end..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| end + i);
    let crlf = eol_at > 0 && text.get(eol_at) == Some(&b'\n') && text[eol_at - 1] == b'\r';
    let eol = if crlf { "\r\n" } else { "\n" };
    let line_end = if crlf { eol_at - 1 } else { eol_at };
    let rest = text[end..line_end].trim_ascii();
    let own_line = rest.is_empty() || rest.starts_with(b"#");
    let at = if own_line { line_end } else { end };
    let mut replacement = String::new();
    for l in lines {
        if own_line {
            replacement.push_str(eol);
            replacement.push_str(&indent);
        } else {
            // a one-line block stays on one line
            replacement.push(' ');
        }
        replacement.push_str(l);
    }
    Edit {
        span: Span::new(d.span().file, at, at),
        replacement: Text::verbatim(&replacement),
    }
}

// ---- Fixes of particular rules (kept here: one call per rule) ----

/// `upstream/missing-health-params`: `max_fails=3 fail_timeout=30s` on
/// each server on the defaults. Safe: it only widens the failure
/// accounting the finding is about, on the reported servers.
pub fn health_params<'a>(servers: impl Iterator<Item = &'a Directive>) -> Fix {
    let edits: Vec<Edit> = servers
        .map(|d| append_args(d, "max_fails=3 fail_timeout=30s"))
        .collect();
    let n = edits.len();
    Fix::new(
        Applicability::Safe,
        format!(
            "add `max_fails=3 fail_timeout=30s` to {n} server{}",
            if n == 1 { "" } else { "s" }
        ),
        edits,
    )
}

/// `upstream/health-checks-disabled`: `max_fails=0` → `max_fails=3` (and
/// `fail_timeout=30s` when none is set). Unsafe: `max_fails=0` can be
/// deliberate (servers behind their own balancer).
pub fn max_fails_zero(server: &Directive, has_timeout: bool) -> Option<Fix> {
    let w = server.args.iter().find(|a| a.as_str() == "max_fails=0")?;
    let text = if has_timeout {
        "max_fails=3"
    } else {
        "max_fails=3 fail_timeout=30s"
    };
    Some(Fix::new(
        Applicability::Unsafe,
        format!("use `{text}`"),
        vec![replace_word(w, text)],
    ))
}

/// A timeout's value replaced (`proxy_read_timeout 1s` → `60s`). Unsafe:
/// the right value depends on the backend.
pub fn set_value(d: &Directive, value: &str, why: &str) -> Option<Fix> {
    let w = d.args.first()?;
    Some(Fix::new(
        Applicability::Unsafe,
        format!("set `{} {value};` ({why})", d.name()),
        vec![replace_word(w, value)],
    ))
}

/// `dns/resolver-timeout-too-long`: lower `resolver_timeout`, or add one
/// after the resolver. Safe: it only bounds how long a dead DNS server
/// holds requests, which is the finding.
pub fn resolver_timeout(
    sources: &SourceMap,
    timeout: Option<&Directive>,
    resolver: &Directive,
    value: &str,
) -> Option<Fix> {
    let edit = match timeout {
        Some(t) => replace_word(t.args.first()?, value),
        None => insert_lines_after(
            sources.try_get(resolver.span().file)?,
            resolver,
            &[&format!("resolver_timeout {value};")],
        ),
    };
    Some(Fix::new(
        Applicability::Safe,
        format!("set `resolver_timeout {value};`"),
        vec![edit],
    ))
}

/// `keepalive/upstream-keepalive-ineffective`: `proxy_http_version 1.1;`
/// (the value replaced when this location sets 1.0) and `proxy_set_header
/// Connection "";` after the `proxy_pass`, in a location. Safe when no
/// inherited `proxy_set_header` is dropped by the new one (none is set
/// outside, or this location sets its own); unsafe otherwise.
pub fn keepalive(
    m: &crate::model::Model<'_>,
    p: &crate::model::Pass<'_>,
    (version_bad, version): (bool, Option<&Directive>),
    conn_default: bool,
    set_in: Option<crate::model::ScopeId>,
) -> Option<Fix> {
    let scope = m.scope(p.scope);
    if scope.kind != crate::model::Context::Location {
        return None;
    }
    let block = scope.block?;
    let src = m.loaded.sources.try_get(p.directive.span().file)?;
    let mut edits = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    if !version_bad && !conn_default {
        return None;
    }
    if version_bad {
        match version {
            // set to 1.0 in this location: change the value
            Some(v)
                if v.span().file == block.span().file
                    && block.span().start() <= v.span().start()
                    && v.span().end() <= block.span().end() =>
            {
                edits.push(replace_word(v.args.first()?, "1.1"));
            }
            // the default, or 1.0 from an outer level: override here
            _ => lines.push("proxy_http_version 1.1;"),
        }
    }
    if conn_default {
        lines.push("proxy_set_header Connection \"\";");
    }
    if !lines.is_empty() {
        edits.push(insert_lines_after(src, p.directive, &lines));
    }
    let drops_inherited = conn_default && set_in.is_some_and(|s| s != p.scope);
    Some(Fix::new(
        if drops_inherited {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        },
        if drops_inherited {
            "keep upstream connections alive (this location's own proxy_set_header then hides the outer ones: repeat them here)"
        } else {
            "keep upstream connections alive (HTTP/1.1, no Connection: close)"
        },
        edits,
    ))
}

/// Apply edits (sorted, non-overlapping) to a text.
pub fn apply_edits(text: &[u8], edits: &[&Edit]) -> Vec<u8> {
    let mut sorted: Vec<&&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start(), e.span.end()));
    let mut out = Vec::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in sorted {
        let (s, t) = (e.span.start().min(text.len()), e.span.end().min(text.len()));
        if s < at {
            continue;
        }
        out.extend_from_slice(&text[at..s]);
        out.extend_from_slice(e.replacement.as_bytes());
        at = t;
    }
    out.extend_from_slice(&text[at..]);
    out
}

fn overlaps(a: &Edit, b: &Edit) -> bool {
    a.span.file == b.span.file
        && (a.span.start() < b.span.end() && b.span.start() < a.span.end()
            || a.span.start() == b.span.start())
}

/// One file's fixed text.
#[derive(Debug, Clone)]
pub struct FileFix {
    pub file: FileId,
    /// The path as linted.
    pub path: PathBuf,
    pub old: Vec<u8>,
    pub new: Vec<u8>,
    /// The fixes applied, with their rule ids.
    pub fixes: Vec<(&'static str, String)>,
    /// Their edits (spans in `old`).
    pub edits: Vec<Edit>,
}

/// Is this fix applied at this level of `--unsafe-fixes`?
pub fn allowed(fix: &Fix, unsafe_fixes: bool) -> bool {
    fix.applicability == Applicability::Safe || unsafe_fixes
}

/// The fixed text of each file with applicable fixes: one fix per finding,
/// all its edits or none, skipping those that overlap a fix taken before
/// (the next round takes them). Files whose text is not what is on disk
/// are left out.
pub fn plan(diags: &[Diagnostic], sources: &SourceMap, unsafe_fixes: bool) -> Vec<FileFix> {
    type Chosen<'a> = (Vec<&'a Edit>, Vec<(&'static str, String)>);
    let mut chosen: BTreeMap<FileId, Chosen<'_>> = BTreeMap::new();
    let mut taken: Vec<&Fix> = Vec::new();
    for d in diags {
        let Some(fix) = &d.fix else { continue };
        if !allowed(fix, unsafe_fixes) || fix.edits.is_empty() || taken.contains(&fix) {
            continue;
        }
        let file = fix.edits[0].span.file;
        if fix.edits.iter().any(|e| e.span.file != file) {
            continue;
        }
        let entry = chosen.entry(file).or_default();
        if fix
            .edits
            .iter()
            .any(|e| entry.0.iter().any(|c| overlaps(c, e)))
        {
            continue;
        }
        entry.0.extend(fix.edits.iter());
        entry.1.push((d.rule, fix.message.to_string()));
        taken.push(fix);
    }
    let mut out = Vec::new();
    for (file, (edits, fixes)) in chosen {
        let Some(src) = sources.try_get(file) else {
            continue;
        };
        match std::fs::read(&src.path) {
            Ok(disk) if disk == src.text => {}
            _ => continue,
        }
        let new = apply_edits(&src.text, &edits);
        if new != src.text {
            out.push(FileFix {
                file,
                path: src.path.clone(),
                old: src.text.to_vec(),
                new,
                fixes,
                edits: edits.into_iter().cloned().collect(),
            });
        }
    }
    out
}

/// Write `bytes` to the real file behind `path` (symlinks resolved): a
/// temporary file beside it, its permissions copied, renamed over it.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let real = std::fs::canonicalize(path)?;
    let meta = std::fs::metadata(&real)?;
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.ngxray-fix.{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::set_permissions(&tmp, meta.permissions())?;
        std::fs::rename(&tmp, &real)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A unified diff of one file's fix (`--- a/PATH` / `+++ b/PATH`), byte
/// for byte: the context lines are the file's own bytes (a Latin-1
/// comment stays Latin-1), so that `patch` and `git apply` take it.
pub fn unified_diff(f: &FileFix) -> Vec<u8> {
    use std::io::Write;
    let path = f.path.display().to_string();
    let diff = similar::TextDiff::from_lines(&f.old[..], &f.new[..]);
    let mut udiff = diff.unified_diff();
    udiff.context_radius(3);
    let mut out = Vec::new();
    // Hunk by hunk: `UnifiedDiff::to_writer` formats hunks as text, which
    // replaces bytes that are not UTF-8. Writing to a Vec cannot fail.
    for (i, hunk) in udiff.iter_hunks().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "--- a/{path}\n+++ b/{path}");
        }
        let _ = hunk.to_writer(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn parse(text: &str) -> (SourceFile, crate::syntax::ParsedFile) {
        let src = SourceFile::new(PathBuf::from("t.conf"), text.as_bytes().to_vec());
        let parsed = crate::syntax::parse(text.as_bytes(), FileId(0));
        (src, parsed)
    }

    #[test]
    fn inserts_lines_with_indent_and_line_ending() {
        for (text, want) in [
            (
                "location / {\n    proxy_pass http://a; # keep\n}\n",
                "location / {\n    proxy_pass http://a; # keep\n    x 1;\n}\n",
            ),
            (
                "location / {\r\n\tproxy_pass http://a;\r\n}\r\n",
                "location / {\r\n\tproxy_pass http://a;\r\n\tx 1;\r\n}\r\n",
            ),
            (
                "location / { proxy_pass http://a; }",
                "location / { proxy_pass http://a; x 1; }",
            ),
        ] {
            let (src, parsed) = parse(text);
            let pass = &parsed.root.directives[0].block().unwrap().directives[0];
            let e = insert_lines_after(&src, pass, &["x 1;"]);
            let got = apply_edits(&src.text, &[&e]);
            assert_eq!(String::from_utf8(got).unwrap(), want);
        }
    }

    #[test]
    fn appends_and_replaces() {
        let (src, parsed) = parse("server 10.0.0.1:80  weight=2 ;\n");
        let d = &parsed.root.directives[0];
        let a = append_args(d, "max_fails=3");
        let r = replace_word(&d.args[1], "weight=3");
        let got = apply_edits(&src.text, &[&a, &r]);
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "server 10.0.0.1:80  weight=3 max_fails=3 ;\n"
        );
    }
}
