//! Which files a `lint` run covers, and which `.ngxray.toml` governs each.
//!
//! Directories are walked as ripgrep walks them (the `ignore` crate):
//! hidden folders and files, and paths that `.gitignore` / `.ignore` /
//! `.git/info/exclude` name, are skipped unless `--no-ignore`; `exclude` /
//! `extend-exclude` of the nearest config and `--exclude` skip more (an
//! excluded folder is not entered, whichever config excludes it). Files
//! named on the command line are always linted (as ruff does). Symlinked
//! *files* are followed (Debian's `sites-enabled/`), symlinked directories
//! are not (no loops); the loader reads each real file once.
//!
//! Each file takes the settings of the nearest `.ngxray.toml` above it (or
//! `--config` for all): inputs are grouped by that file, and each group is
//! linted with its own options ([`super::lint_groups`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::config::{self, ConfigError, FileConfig};
use super::{CONFIG_DIRS, DEFAULT_GLOBS};
use crate::load::LoadError;

/// Why a run could not be scoped (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("invalid --exclude pattern: {0}")]
    Exclude(String),
}

/// How directories are walked.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// File name globs picked inside directories (default [`DEFAULT_GLOBS`]).
    pub globs: Vec<String>,
    /// `--exclude` patterns (gitignore-style, rooted at the current folder).
    pub exclude: Vec<String>,
    /// `--no-ignore`: walk hidden and git-ignored paths too.
    pub no_ignore: bool,
}

/// `.ngxray.toml` files met so far: each read once.
#[derive(Debug, Default)]
pub struct Configs {
    /// `--config`: one file for every input.
    explicit: Option<PathBuf>,
    /// Library callers with explicit options: no config is searched.
    no_search: bool,
    loaded: HashMap<PathBuf, FileConfig>,
    /// folder → its nearest config.
    nearest: HashMap<PathBuf, Option<PathBuf>>,
}

impl Configs {
    /// With `--config`, that file (read now) governs every input.
    pub fn new(explicit: Option<PathBuf>) -> Result<Configs, ConfigError> {
        let mut c = Configs {
            explicit: explicit.clone(),
            ..Configs::default()
        };
        if let Some(p) = explicit {
            let cfg = config::load(&p)?;
            c.loaded.insert(p, cfg);
        }
        Ok(c)
    }

    /// No config at all: the defaults everywhere.
    pub fn none() -> Configs {
        Configs {
            no_search: true,
            ..Configs::default()
        }
    }

    /// The config that governs a file or folder (`-`: the current folder).
    pub fn for_path(&mut self, path: &Path) -> Result<Option<PathBuf>, ConfigError> {
        if let Some(p) = &self.explicit {
            return Ok(Some(p.clone()));
        }
        if self.no_search {
            return Ok(None);
        }
        let dir = if path == Path::new("-") {
            config::absolute(Path::new("."))
        } else {
            let abs = config::absolute(path);
            if abs.is_dir() {
                abs
            } else {
                abs.parent().map(Path::to_path_buf).unwrap_or(abs)
            }
        };
        let found = match self.nearest.get(&dir) {
            Some(f) => f.clone(),
            None => {
                let f = config::find(&dir);
                self.nearest.insert(dir, f.clone());
                f
            }
        };
        if let Some(p) = &found {
            if !self.loaded.contains_key(p) {
                let cfg = config::load(p)?;
                self.loaded.insert(p.clone(), cfg);
            }
        }
        Ok(found)
    }

    /// A config read by [`Configs::for_path`] (or `--config`).
    pub fn get(&self, path: &Path) -> Option<&FileConfig> {
        self.loaded.get(path)
    }
}

/// The files to lint, each with the config that governs it, in walk order
/// (inputs in the order given, directory entries sorted by name).
pub fn plan(
    paths: &[PathBuf],
    walk: &Walk,
    configs: &mut Configs,
) -> Result<Vec<(PathBuf, Option<PathBuf>)>, ScopeError> {
    let pats: Vec<glob::Pattern> = if walk.globs.is_empty() {
        DEFAULT_GLOBS
            .iter()
            .filter_map(|g| glob::Pattern::new(g).ok())
            .collect()
    } else {
        walk.globs
            .iter()
            .filter_map(|g| glob::Pattern::new(g).ok())
            .collect()
    };
    let cwd = config::absolute(Path::new("."));
    let cli_exclude =
        config::exclude_matcher(&cwd, &walk.exclude).map_err(|(_, m)| ScopeError::Exclude(m))?;
    let defaults: Vec<String> = config::DEFAULT_EXCLUDE
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut out = Vec::new();
    for p in paths {
        if p == Path::new("-") {
            out.push((p.clone(), configs.for_path(p)?));
            continue;
        }
        // An input that cannot be read goes on as a file: loading it
        // reports `io/unreadable` and the other inputs are still linted.
        let is_dir = std::fs::metadata(p).is_ok_and(|m| m.is_dir());
        if !is_dir {
            out.push((p.clone(), configs.for_path(p)?));
            continue;
        }
        // Folders are pruned by the walk root's config and --exclude; files
        // are checked against their own nearest config too.
        let root_cfg = configs.for_path(p)?;
        let root_exclude = match root_cfg.as_ref().and_then(|c| configs.get(c)) {
            Some(c) => c.exclude.clone(),
            None => None,
        }
        .map(Ok)
        .unwrap_or_else(|| config::exclude_matcher(&config::absolute(p), &defaults))
        .map_err(|(_, m)| ScopeError::Exclude(m))?;
        // Folders are pruned before they are entered: by --exclude, the
        // walk root's config and the nearest `.ngxray.toml` above them
        // (an excluded folder may be huge, or unreadable).
        let nested = std::sync::Arc::new(std::sync::Mutex::new(Nested {
            search: configs.explicit.is_none() && !configs.no_search,
            root: root_cfg.clone(),
            ..Nested::default()
        }));
        let prune = {
            let cli = cli_exclude.clone();
            let root = root_exclude.clone();
            let nested = std::sync::Arc::clone(&nested);
            move |e: &ignore::DirEntry| {
                if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
                    return true;
                }
                let abs = config::absolute(e.path());
                if excluded(&cli, &abs, true) || excluded(&root, &abs, true) {
                    return false;
                }
                match nested.lock() {
                    Ok(mut n) => !n.excludes_dir(&abs),
                    Err(_) => true,
                }
            }
        };
        let mut found = Vec::new();
        let walker = ignore::WalkBuilder::new(p)
            .standard_filters(!walk.no_ignore)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .filter_entry(prune)
            .build();
        for entry in walker {
            let entry = entry.map_err(|e| walk_error(p, e))?;
            let Some(ft) = entry.file_type() else {
                continue;
            };
            // Files, and symlinks to files (Debian's sites-enabled/);
            // directories are not followed (no loops). Whatever else a
            // config name matches (a dangling symlink, a FIFO, a device) is
            // kept: reading it is an `io/unreadable` finding, as nginx's
            // `include` of it fails, never a silent skip.
            let keep = if ft.is_symlink() {
                !std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir())
            } else {
                !ft.is_dir()
            };
            if !keep {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            let in_conf_dir = entry
                .path()
                .parent()
                .and_then(|d| d.file_name())
                .map(|d| CONFIG_DIRS.contains(&d.to_string_lossy().as_ref()))
                .unwrap_or(false);
            if !((in_conf_dir && !name.starts_with('.')) || pats.iter().any(|g| g.matches(&name))) {
                continue;
            }
            let abs = config::absolute(entry.path());
            if excluded(&cli_exclude, &abs, false) || excluded(&root_exclude, &abs, false) {
                continue;
            }
            let cfg = configs.for_path(entry.path())?;
            if cfg != root_cfg {
                if let Some(Some(ex)) = cfg
                    .as_ref()
                    .and_then(|c| configs.get(c))
                    .map(|c| &c.exclude)
                {
                    if excluded(ex, &abs, false) {
                        continue;
                    }
                }
            }
            found.push((entry.into_path(), cfg));
        }
        if found.is_empty() {
            // A directory with nothing to lint is an error, never a silent pass.
            return Err(LoadError::Io {
                path: p.display().to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no nginx configuration files in this directory (see --glob, --exclude, --no-ignore)",
                ),
            }
            .into());
        }
        out.extend(found);
    }
    Ok(out)
}

/// The `exclude` of `.ngxray.toml` files below a walk root, read as the
/// walk meets them: the walk's filter needs them before it enters a folder.
#[derive(Default)]
struct Nested {
    /// Configs are searched (no `--config`, not a library call without one).
    search: bool,
    /// The walk root's config: its `exclude` is applied apart.
    root: Option<PathBuf>,
    /// folder → its nearest config.
    nearest: HashMap<PathBuf, Option<PathBuf>>,
    /// config → its `exclude`; `None` when it cannot be read (the lookup
    /// for the files under it reports that).
    exclude: HashMap<PathBuf, Option<ignore::gitignore::Gitignore>>,
}

impl Nested {
    /// The nearest `.ngxray.toml` at or above `dir` (absolute), memoized
    /// for every folder on the way up.
    fn nearest(&mut self, dir: &Path) -> Option<PathBuf> {
        let mut pending = Vec::new();
        let mut cur = Some(dir);
        let found = loop {
            let Some(d) = cur else { break None };
            if let Some(f) = self.nearest.get(d) {
                break f.clone();
            }
            pending.push(d.to_path_buf());
            let c = d.join(config::FILE_NAME);
            if c.is_file() {
                break Some(c);
            }
            cur = d.parent();
        };
        for d in pending {
            self.nearest.insert(d, found.clone());
        }
        found
    }

    /// Does the config governing the folder `abs` sits in exclude it?
    fn excludes_dir(&mut self, abs: &Path) -> bool {
        if !self.search {
            return false;
        }
        let Some(cfg) = abs.parent().and_then(|d| self.nearest(d)) else {
            return false;
        };
        if Some(&cfg) == self.root.as_ref() {
            return false;
        }
        let ex = self
            .exclude
            .entry(cfg)
            .or_insert_with_key(|c| config::load(c).ok().and_then(|c| c.exclude));
        ex.as_ref().is_some_and(|m| excluded(m, abs, true))
    }
}

/// Is an absolute path (or one of its folders under the matcher's root)
/// excluded?
fn excluded(m: &ignore::gitignore::Gitignore, abs: &Path, is_dir: bool) -> bool {
    if m.is_empty() || !abs.starts_with(m.path()) {
        return false;
    }
    m.matched_path_or_any_parents(abs, is_dir).is_ignore()
}

fn walk_error(root: &Path, e: ignore::Error) -> LoadError {
    let path = walk_error_path(&e).unwrap_or_else(|| root.display().to_string());
    let message = e.to_string();
    LoadError::Io {
        path,
        source: match e.into_io_error() {
            Some(io) => io,
            None => std::io::Error::other(message),
        },
    }
}

fn walk_error_path(e: &ignore::Error) -> Option<String> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.display().to_string()),
        ignore::Error::WithLineNumber { err, .. } | ignore::Error::WithDepth { err, .. } => {
            walk_error_path(err)
        }
        _ => None,
    }
}

/// Inputs grouped by governing config, in first-appearance order.
pub fn group(plan: Vec<(PathBuf, Option<PathBuf>)>) -> Vec<(Option<PathBuf>, Vec<PathBuf>)> {
    let mut out: Vec<(Option<PathBuf>, Vec<PathBuf>)> = Vec::new();
    for (file, cfg) in plan {
        match out.iter_mut().find(|(c, _)| *c == cfg) {
            Some((_, list)) => list.push(file),
            None => out.push((cfg, vec![file])),
        }
    }
    out
}
