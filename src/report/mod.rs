//! Reporters: one file per output format. They render diagnostics and
//! trees; they never decide what is a finding.

pub mod concise;
pub mod fingerprint;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod rdjson;
pub mod sarif;
pub mod statistics;
pub mod text;
pub mod tree;

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::diag::Diagnostic;
use crate::lint::registry;
use crate::syntax::{ParsedFile, SourceMap};

/// Render findings `chunk` at a time and hand each chunk's bytes to `sink`,
/// in order. A big run is rendered on all cores, a batch of chunks at a
/// time, so only one batch is ever held rendered: memory follows the
/// findings, not their report (tens of thousands of findings make hundreds
/// of megabytes of text). One chunk needs no threads.
pub(crate) fn in_batches(
    diags: &[Diagnostic],
    chunk: usize,
    render: impl Fn(&[Diagnostic]) -> io::Result<Vec<u8>> + Sync,
    mut sink: impl FnMut(Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    use rayon::prelude::*;
    let chunk = chunk.max(1);
    for batch in diags.chunks(16 * chunk) {
        if batch.len() <= chunk {
            sink(render(batch)?)?;
            continue;
        }
        let parts: Vec<io::Result<Vec<u8>>> = batch.par_chunks(chunk).map(&render).collect();
        for part in parts {
            sink(part?)?;
        }
    }
    Ok(())
}

/// The rule id of a finding about an input that could not be read (a
/// missing file, a permission error, an empty directory or standard
/// input): the other inputs are still linted, the run exits 2.
pub const IO_UNREADABLE: &str = "io/unreadable";

/// What the CI formats need beyond the findings: where the repository is
/// (paths are shown relative to it) and each finding's fingerprint.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// The directory the process runs in.
    pub cwd: Option<PathBuf>,
    /// The repository root: `--base-dir`, else the nearest folder above
    /// the current directory that holds `.git`, else the current directory.
    pub base: Option<PathBuf>,
    /// [`fingerprint::fingerprints`] of the findings, in order.
    pub fingerprints: Vec<String>,
}

impl RunInfo {
    /// Paths relative to `base_dir` (or the git root), fingerprints of
    /// `diags`.
    pub fn new(
        base_dir: Option<&Path>,
        diags: &[Diagnostic],
        sources: &SourceMap,
        files: &[ParsedFile],
    ) -> RunInfo {
        let cwd = std::env::current_dir().ok();
        let base = match (base_dir, &cwd) {
            (Some(b), Some(c)) => Some(normalize(&c.join(b))),
            (Some(b), None) => Some(b.to_path_buf()),
            (None, Some(c)) => Some(git_root(c).unwrap_or_else(|| c.clone())),
            (None, None) => None,
        };
        let mut info = RunInfo {
            cwd,
            base,
            fingerprints: Vec::new(),
        };
        info.fingerprints =
            fingerprint::fingerprints(diags, sources, files, &|p| info.repo_path(p));
        info
    }

    /// A file's path as code scanning, GitLab and annotations want it:
    /// relative to the repository root when inside it, with `/`
    /// separators and no `./`. Paths outside it (e.g. `/etc/nginx/…` from
    /// an `nginx -T` dump) stay absolute.
    pub fn repo_path(&self, file: &Path) -> String {
        if let Some(name) = file
            .to_str()
            .filter(|s| s.starts_with('<') && s.ends_with('>'))
        {
            // `<stdin>`: not a file of the repository
            return name.to_string();
        }
        let abs = match &self.cwd {
            Some(c) if file.is_relative() => normalize(&c.join(file)),
            _ => normalize(file),
        };
        match &self.base {
            Some(b) => match abs.strip_prefix(b) {
                Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
                Ok(rel) => slashes(rel),
                Err(_) => slashes(&abs),
            },
            None => slashes(&abs),
        }
    }

    /// The fingerprint of the `i`th finding.
    pub fn fingerprint(&self, i: usize) -> &str {
        self.fingerprints.get(i).map_or("", String::as_str)
    }
}

/// The nearest folder at or above `dir` that holds `.git` (a directory, or
/// the file of a worktree or submodule).
pub fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `.` and `..` resolved without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn slashes(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in p.components() {
        match c {
            Component::RootDir => absolute = true,
            Component::CurDir => {}
            c => parts.push(c.as_os_str().to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The documentation URL of a rule id ([`sarif::help_uri`]); the README's
/// rules table for an id the registry does not know.
pub fn rule_url(id: &str) -> &'static str {
    static URLS: std::sync::LazyLock<HashMap<&'static str, String>> =
        std::sync::LazyLock::new(|| {
            registry::all()
                .into_iter()
                .map(|r| (r.id, sarif::help_uri(r)))
                .collect()
        });
    URLS.get(id).map_or(FALLBACK_URL, String::as_str)
}

/// An iterator serialized as a JSON array item by item (serde's
/// `collect_seq`), so a report is never built whole in memory. It can be
/// serialized once.
pub struct Streamed<I>(std::cell::RefCell<Option<I>>);

impl<I> Streamed<I> {
    pub fn new(items: I) -> Self {
        Streamed(std::cell::RefCell::new(Some(items)))
    }
}

impl<I: Iterator<Item = T>, T: serde::Serialize> serde::Serialize for Streamed<I> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.borrow_mut().take() {
            Some(items) => s.collect_seq(items),
            None => s.collect_seq(std::iter::empty::<T>()),
        }
    }
}

const FALLBACK_URL: &str = "https://github.com/ngxray/ngxray/blob/main/README.md#rules";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_paths() {
        let info = RunInfo {
            cwd: Some(PathBuf::from("/repo/deploy")),
            base: Some(PathBuf::from("/repo")),
            fingerprints: Vec::new(),
        };
        let p = |s: &str| info.repo_path(Path::new(s));
        assert_eq!(p("nginx.conf"), "deploy/nginx.conf");
        assert_eq!(p("./conf.d/../a.conf"), "deploy/a.conf");
        assert_eq!(p("../other/x.conf"), "other/x.conf");
        assert_eq!(p("/repo/y.conf"), "y.conf");
        assert_eq!(p("/etc/nginx/nginx.conf"), "/etc/nginx/nginx.conf");
        assert_eq!(p("<stdin>"), "<stdin>");
        assert!(FALLBACK_URL.starts_with(sarif::DOCS_BASE));
    }
}
