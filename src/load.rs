//! Reading configuration the way nginx does: the main file, every `include`
//! (globs in byte order, relative paths against the main file's directory or
//! `--prefix`), cycle detection, and `nginx -T` dumps split back into their
//! original files. The result, [`Loaded`], owns every parsed file and the
//! include edges; the config model expands them.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::diag::Diagnostic;
use crate::syntax::{parse, Directive, FileId, LineIndex, ParsedFile, SourceFile, SourceMap, Span};

/// Errors that stop loading an input altogether (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Directory that relative `include` paths resolve against (nginx's
    /// conf prefix). Default: [`conf_prefix`] of the main file.
    pub prefix: Option<PathBuf>,
    /// Install path → repository path: an absolute include under an install
    /// path is read from the repository path instead (`--path-map`).
    pub path_map: Vec<(PathBuf, PathBuf)>,
    /// Substitute defined environment variables in every file first, as the
    /// nginx Docker image's envsubst step does (`--env-subst`).
    pub env_subst: bool,
    /// Follow `include` directives.
    pub follow_includes: bool,
}

/// Parsed files of one run and how they include each other.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: SourceMap,
    /// Indexed by `FileId.0`.
    pub files: Vec<ParsedFile>,
    /// Entry files, in the order given.
    pub roots: Vec<FileId>,
    /// `include` directive (file, byte offset of its name) → included files.
    pub includes: HashMap<(FileId, usize), Vec<FileId>>,
    /// Include problems found while loading (`include/cycle`, unreadable
    /// files other than missing ones).
    pub diagnostics: Vec<Diagnostic>,
    /// Literal includes of files that do not exist (after `--path-map` and
    /// the conf-prefix mapping). How bad that is depends on the including
    /// file (a main config, or a fragment whose install layout is unknown):
    /// the linter decides (`include/not-found`).
    pub missing: Vec<MissingInclude>,
    /// Files that came from an `nginx -T` dump (no file system behind them).
    virtual_files: bool,
    /// `LoadOptions::env_subst` of this run.
    env_subst: bool,
    /// Files read from disk by their real path (symlinks and `./`, `..`
    /// spellings resolved): each file is loaded once, under the first path
    /// it was reached by, and looked up in O(1).
    by_real: HashMap<PathBuf, FileId>,
}

/// The key a file on disk is known by: its canonical path when it exists.
fn real_key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| normalize(path))
}

/// An `include` whose file does not exist.
#[derive(Debug, Clone)]
pub struct MissingInclude {
    /// The file that has the `include` directive.
    pub from: FileId,
    /// The `include` directive (name and argument).
    pub span: Span,
    /// The path nginx would open.
    pub path: PathBuf,
    /// The argument as written.
    pub arg: String,
}

/// nginx's conf prefix for a config file: the nearest folder, from the
/// file's own upward, that holds `nginx.conf` (the Debian, Alpine and
/// official Docker image layouts keep vhosts in `sites-enabled/`, `conf.d/`
/// … below it), else the file's folder.
pub fn conf_prefix(file: &Path) -> PathBuf {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let abs = if dir.is_absolute() {
        dir.clone()
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(&dir),
            Err(_) => return dir,
        }
    };
    let found = abs
        .ancestors()
        .take(4)
        .find(|d| d.join("nginx.conf").is_file());
    match found {
        // Keep the spelling the user gave (relative stays relative).
        Some(d) => {
            let up = abs.ancestors().position(|a| a == d).unwrap_or(0);
            let mut out = dir;
            for _ in 0..up {
                out.push("..");
            }
            normalize(&out)
        }
        None => dir,
    }
}

/// The marker `nginx -T` writes before each file.
const DUMP_MARKER: &[u8] = b"# configuration file ";

/// Does this text look like `nginx -T` output? Only by its structure: the
/// first line that is not one of nginx's own `nginx: …` status lines (the
/// "syntax is ok" / "test is successful" pair, warnings) is a
/// `# configuration file PATH:` marker. A comment of that shape inside an
/// ordinary config does not make it a dump.
pub fn is_dump(text: &[u8]) -> bool {
    let head = &text[..text.len().min(64 * 1024)];
    head.split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .find(|l| !l.is_empty() && !l.starts_with(b"nginx: "))
        .is_some_and(|l| l.starts_with(DUMP_MARKER) && l.ends_with(b":"))
}

/// Split an `nginx -T` dump into (path, text) pairs. Lines before the first
/// marker (`nginx: the configuration file … syntax is ok`) are dropped.
pub fn split_dump(text: &[u8]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let end = memchr::memchr(b'\n', &text[pos..])
            .map(|n| pos + n + 1)
            .unwrap_or(text.len());
        let line = &text[pos..end];
        let trimmed = line.trim_ascii_end();
        if trimmed.starts_with(DUMP_MARKER) && trimmed.ends_with(b":") {
            let p = &trimmed[DUMP_MARKER.len()..trimmed.len() - 1];
            out.push((
                PathBuf::from(String::from_utf8_lossy(p).into_owned()),
                Vec::new(),
            ));
        } else if let Some((_, buf)) = out.last_mut() {
            buf.extend_from_slice(line);
        }
        pos = end;
    }
    // nginx -T prints an empty line after each file's content.
    for (_, buf) in &mut out {
        if buf.ends_with(b"\n\n") {
            buf.pop();
        } else if buf.ends_with(b"\r\n\r\n") {
            buf.truncate(buf.len() - 2);
        }
    }
    out
}

/// Lexically normalise `a/./b/../c` to `a/c` (nginx does not resolve symlinks
/// for includes either).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// An include directive still to resolve: (offset of its name, argument, span).
type PendingInclude = (usize, String, Span);

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

impl Loaded {
    pub fn file(&self, id: FileId) -> &ParsedFile {
        &self.files[id.0 as usize]
    }

    fn add(&mut self, path: PathBuf, text: Vec<u8>) -> FileId {
        let text = if self.env_subst {
            env_subst(&text)
        } else {
            text
        };
        // The id `sources.add` gives it.
        let id = FileId(self.sources.len() as u32);
        // The line index (a scan of every byte) is built beside the parse
        // for a big file; a small one is done before a thread would start.
        let (parsed, index) = if text.len() >= crate::source::PARALLEL_MIN_BYTES {
            rayon::join(|| parse(&text, id), || LineIndex::new(&text))
        } else {
            (parse(&text, id), LineIndex::new(&text))
        };
        if !self.virtual_files {
            self.by_real.insert(real_key(&path), id);
        }
        let added = self.sources.add(SourceFile::with_index(path, text, index));
        debug_assert_eq!(added, id);
        self.files.push(parsed);
        added
    }

    /// Read and parse one entry file from disk (or `-` for stdin, which may be
    /// an `nginx -T` dump).
    pub fn load_path(&mut self, path: &Path, opts: &LoadOptions) -> Result<Vec<FileId>, LoadError> {
        if path != Path::new("-") && !self.virtual_files {
            // Given twice, or already reached through an include: once.
            if let Some(&id) = self.by_real.get(&real_key(path)) {
                if !self.roots.contains(&id) {
                    self.roots.push(id);
                }
                return Ok(vec![id]);
            }
        }
        let (name, text) = if path == Path::new("-") {
            let mut buf = Vec::new();
            // Never more than the limit + 1 bytes: `lint - < /dev/zero`
            // ends with "file too large", not with the machine's memory.
            std::io::stdin()
                .take(crate::syntax::MAX_FILE_LEN as u64 + 1)
                .read_to_end(&mut buf)
                .and_then(|_| within_limit(buf.len()))
                .map_err(|source| LoadError::Io {
                    path: "<stdin>".into(),
                    source,
                })?;
            if buf.iter().all(u8::is_ascii_whitespace) {
                // `nginx -T 2>/dev/null | ngxray lint -` when nginx failed:
                // never a silent pass
                return Err(LoadError::Io {
                    path: "<stdin>".into(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "no configuration on standard input",
                    ),
                });
            }
            (PathBuf::from("<stdin>"), buf)
        } else {
            let text = read_entry(path).map_err(|source| LoadError::Io {
                path: path.display().to_string(),
                source,
            })?;
            (path.to_path_buf(), text)
        };
        Ok(self.load_text(name, text, opts))
    }

    /// Parse text as an entry file (splitting `nginx -T` dumps) and follow its
    /// includes. Returns the new roots.
    pub fn load_text(&mut self, name: PathBuf, text: Vec<u8>, opts: &LoadOptions) -> Vec<FileId> {
        self.env_subst = opts.env_subst;
        if is_dump(&text) {
            let parts = split_dump(&text);
            self.virtual_files = true;
            let first = self.files.len();
            for (p, t) in parts {
                self.add(p, t);
            }
            let Some(root) = (first < self.files.len()).then_some(FileId(first as u32)) else {
                return Vec::new();
            };
            self.roots.push(root);
            if opts.follow_includes {
                let prefix = opts.prefix.clone().unwrap_or_else(|| {
                    self.sources
                        .get(root)
                        .path
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_default()
                });
                self.expand(root, &prefix, &opts.path_map);
            }
            return vec![root];
        }
        let root = self.add(name.clone(), text);
        self.roots.push(root);
        if opts.follow_includes {
            let prefix = opts.prefix.clone().unwrap_or_else(|| conf_prefix(&name));
            self.expand(root, &prefix, &opts.path_map);
        }
        vec![root]
    }

    /// Depth-first over include directives from `root`, loading files as
    /// needed; reports missing files and cycles.
    fn expand(&mut self, root: FileId, prefix: &Path, path_map: &[(PathBuf, PathBuf)]) {
        // (file, pending include directives)
        let mut stack: Vec<(FileId, Vec<PendingInclude>)> =
            vec![(root, self.include_directives(root))];
        let mut seen: std::collections::HashSet<FileId> = std::collections::HashSet::new();
        while let Some((file, pending)) = stack.last_mut() {
            let file = *file;
            let Some((offset, arg, span)) = pending.pop() else {
                stack.pop();
                continue;
            };
            let targets = self.resolve(file, &arg, prefix, path_map, span);
            let mut edges = Vec::new();
            for t in targets {
                if stack.iter().any(|(f, _)| *f == t) {
                    let chain: Vec<String> = stack
                        .iter()
                        .map(|(f, _)| self.sources.get(*f).path.display().to_string())
                        .chain(std::iter::once(
                            self.sources.get(t).path.display().to_string(),
                        ))
                        .collect();
                    self.diagnostics.push(
                        Diagnostic::error(
                            "include/cycle",
                            format!("include cycle: {}", chain.join(" -> ")),
                        )
                        .with_span(span)
                        .with_label("includes a file that is already being included")
                        .with_help("remove the include that closes the cycle; nginx would recurse until it runs out of file descriptors (\"Too many open files\")"),
                    );
                    continue;
                }
                edges.push(t);
                if seen.insert(t) {
                    let inc = self.include_directives(t);
                    stack.push((t, inc));
                }
            }
            self.includes.insert((file, offset), edges);
        }
    }

    /// `include` directives of a file: (offset of name, argument, span).
    /// Reversed, so that popping visits them in source order.
    fn include_directives(&self, file: FileId) -> Vec<PendingInclude> {
        let mut v: Vec<PendingInclude> = self
            .file(file)
            .root
            .walk()
            .filter(|(_, d)| d.name() == "include" && d.args.len() == 1)
            .map(|(_, d)| {
                (
                    d.name.span.start(),
                    d.args[0].value.to_string(),
                    d.head_span(),
                )
            })
            .collect();
        v.reverse();
        v
    }

    /// Resolve one include argument to already-loaded or newly loaded files.
    fn resolve(
        &mut self,
        from: FileId,
        arg: &str,
        prefix: &Path,
        path_map: &[(PathBuf, PathBuf)],
        span: Span,
    ) -> Vec<FileId> {
        let p = Path::new(arg);
        let mut full = normalize(&if p.is_absolute() {
            p.to_path_buf()
        } else {
            prefix.join(p)
        });
        if self.virtual_files {
            return self.resolve_virtual(&full, arg, span);
        }
        if p.is_absolute() {
            full = map_install_path(&full, prefix, path_map, has_glob(arg));
        }
        if has_glob(arg) {
            let pattern = full.display().to_string();
            let mut paths: Vec<PathBuf> = match glob::glob_with(
                &pattern,
                glob::MatchOptions {
                    case_sensitive: true,
                    require_literal_separator: true,
                    require_literal_leading_dot: true,
                },
            ) {
                // Every match is opened, as nginx opens them: a dangling
                // symlink or a directory in `sites-enabled/*` makes `nginx
                // -t` fail, so it is an error here too, never skipped.
                Ok(it) => it.filter_map(Result::ok).collect(),
                Err(_) => Vec::new(),
            };
            // glob(3) without locale: byte order
            paths.sort_by(|a, b| {
                a.as_os_str()
                    .as_encoded_bytes()
                    .cmp(b.as_os_str().as_encoded_bytes())
            });
            self.open_includes(&paths, span)
        } else if !self.virtual_files && self.lookup(&full).is_none() && !full.exists() {
            self.missing.push(MissingInclude {
                from,
                span,
                path: full,
                arg: arg.to_string(),
            });
            Vec::new()
        } else {
            self.open_include(&full, span).into_iter().collect()
        }
    }

    /// A file already loaded under this path or another spelling of it.
    fn lookup(&self, path: &Path) -> Option<FileId> {
        if self.virtual_files {
            return self.sources.find(path);
        }
        self.by_real.get(&real_key(path)).copied()
    }

    fn open_include(&mut self, path: &Path, span: Span) -> Option<FileId> {
        if let Some(id) = self.lookup(path) {
            return Some(id);
        }
        match read_file(path) {
            Ok(text) => Some(self.add(path.to_path_buf(), text)),
            Err(e) => {
                self.not_found(path, &e, span);
                None
            }
        }
    }

    fn not_found(&mut self, path: &Path, e: &std::io::Error, span: Span) {
        let (code, text) = io_errno(e);
        let why = if code == 0 {
            text
        } else {
            format!("{code}: {text}")
        };
        // nginx opens a directory and fails on its first read.
        let call = if e.kind() == std::io::ErrorKind::IsADirectory {
            "pread()"
        } else {
            "open()"
        };
        self.diagnostics.push(
            Diagnostic::error(
                "include/not-found",
                format!("{call} \"{}\" failed ({why})", path.display()),
            )
            .with_span(span)
            .with_label("included here")
            .with_help("fix the path, or pass --prefix with the directory nginx resolves relative includes against"),
        );
    }

    /// Open the files one glob include matched, in order. Files not loaded
    /// yet are read and parsed on all cores first, then added in order:
    /// the same ids and diagnostics as opening them one by one.
    fn open_includes(&mut self, paths: &[PathBuf], span: Span) -> Vec<FileId> {
        use rayon::prelude::*;
        let mut index: HashMap<&Path, usize> = HashMap::new();
        let mut fresh: Vec<&Path> = Vec::new();
        for p in paths {
            if self.lookup(p).is_none() && !index.contains_key(p.as_path()) {
                index.insert(p, fresh.len());
                fresh.push(p);
            }
        }
        if fresh.len() < 2 {
            return paths
                .iter()
                .filter_map(|p| self.open_include(p, span))
                .collect();
        }
        let subst = self.env_subst;
        let mut texts: Vec<Option<std::io::Result<Vec<u8>>>> = fresh
            .par_iter()
            .map(|p| Some(read_file(p).map(|t| if subst { env_subst(&t) } else { t })))
            .collect();
        // Ids in the order the files will be added (read failures get none).
        let base = self.sources.len();
        let ids: Vec<Option<FileId>> = texts
            .iter()
            .scan(base, |next, t| {
                Some(matches!(t, Some(Ok(_))).then(|| {
                    *next += 1;
                    FileId((*next - 1) as u32)
                }))
            })
            .collect();
        let mut parsed: Vec<Option<(ParsedFile, LineIndex)>> = texts
            .par_iter()
            .zip(ids.par_iter())
            .map(|(t, id)| match (t, id) {
                (Some(Ok(text)), Some(id)) => Some((parse(text, *id), LineIndex::new(text))),
                _ => None,
            })
            .collect();
        let mut out = Vec::new();
        for p in paths {
            if let Some(id) = self.lookup(p) {
                out.push(id);
                continue;
            }
            let k = index.get(p.as_path()).copied();
            let read = k.and_then(|k| texts[k].take());
            match (read, k.and_then(|k| parsed[k].take())) {
                (Some(Ok(text)), Some((mut file, lines))) => {
                    let id = FileId(self.sources.len() as u32);
                    if Some(id) != k.and_then(|k| ids[k]) {
                        // Not the planned id (cannot happen with distinct
                        // paths): parse again so that spans name the file.
                        file = parse(&text, id);
                    }
                    self.by_real.insert(real_key(p), id);
                    self.sources
                        .add(SourceFile::with_index(p.clone(), text, lines));
                    self.files.push(file);
                    out.push(id);
                }
                (Some(Err(e)), _) => self.not_found(p, &e, span),
                // Seen again after failing: as one by one, try again.
                _ => out.extend(self.open_include(p, span)),
            }
        }
        out
    }

    fn resolve_virtual(&mut self, full: &Path, arg: &str, span: Span) -> Vec<FileId> {
        if has_glob(arg) {
            let Ok(pat) = glob::Pattern::new(&full.display().to_string()) else {
                return Vec::new();
            };
            let opts = glob::MatchOptions {
                case_sensitive: true,
                require_literal_separator: true,
                require_literal_leading_dot: true,
            };
            let mut ids: Vec<(Vec<u8>, FileId)> = self
                .sources
                .files()
                .filter(|(_, f)| pat.matches_path_with(&f.path, opts))
                .map(|(id, f)| (f.path.as_os_str().as_encoded_bytes().to_vec(), id))
                .collect();
            ids.sort();
            ids.into_iter().map(|(_, id)| id).collect()
        } else if let Some(id) = self
            .sources
            .find(full)
            .or_else(|| self.sources.find(Path::new(arg)))
        {
            vec![id]
        } else {
            self.diagnostics.push(
                Diagnostic::error(
                    "include/not-found",
                    format!(
                        "open() \"{}\" failed (2: No such file or directory)",
                        full.display()
                    ),
                )
                .with_span(span)
                .with_label("included here")
                .with_help("the nginx -T dump has no file with this path"),
            );
            Vec::new()
        }
    }

    /// Files included by this directive (empty when not an include).
    pub fn included_by(&self, d: &Directive) -> &[FileId] {
        self.includes
            .get(&(d.file(), d.name.span.start()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Where an absolute include is read from when linting a repository: the
/// first `--path-map` whose install path prefixes it; else, when the path
/// does not exist here, the longest tail of it that exists below the conf
/// prefix (`/etc/nginx/snippets/ssl.conf` → `PREFIX/snippets/ssl.conf`);
/// else the path itself. For a glob, "exists" means its folder does.
fn map_install_path(
    full: &Path,
    prefix: &Path,
    path_map: &[(PathBuf, PathBuf)],
    glob: bool,
) -> PathBuf {
    for (from, to) in path_map {
        if let Ok(rest) = full.strip_prefix(from) {
            return normalize(&to.join(rest));
        }
    }
    let exists = |p: &Path| {
        if glob {
            p.parent()
                .is_some_and(|d| !has_glob(&d.display().to_string()) && d.is_dir())
        } else {
            p.is_file()
        }
    };
    if exists(full) {
        return full.to_path_buf();
    }
    let parts: Vec<Component> = full
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    // A glob keeps at least its folder: `*.conf` alone would match the
    // prefix's own files (the main config among them).
    let shortest = if glob { 2 } else { 1 };
    for k in 0..=parts.len().saturating_sub(shortest) {
        let tail: PathBuf = parts[k..].iter().collect();
        let candidate = prefix.join(&tail);
        if exists(&candidate) {
            return normalize(&candidate);
        }
    }
    full.to_path_buf()
}

/// Open a file without blocking on a FIFO that has no writer (a plain
/// `open` waits for one forever); reads of regular files are unaffected.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    o.open(path)
}

/// Read a file named on the command line (or met in a directory walk): a
/// regular file as [`read_file`] does, or a pipe (`ngxray lint <(nginx
/// -T)`) up to the size limit. A named FIFO nobody writes to is an empty
/// pipe, an error, never a wait.
fn read_entry(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        return read_file(path);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        use std::os::unix::io::AsRawFd;
        if meta.file_type().is_fifo() {
            let file = open_nonblocking(path)?;
            // blocking reads again: a writer that is there (process
            // substitution) is read to its end
            set_blocking(file.as_raw_fd())?;
            if !file.metadata()?.file_type().is_fifo() {
                return Err(not_regular("not a regular file or a pipe"));
            }
            let mut text = Vec::new();
            file.take(crate::syntax::MAX_FILE_LEN as u64 + 1)
                .read_to_end(&mut text)?;
            within_limit(text.len())?;
            if text.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "empty pipe: no configuration written to it",
                ));
            }
            return Ok(text);
        }
    }
    Err(not_regular("not a regular file or a pipe"))
}

/// Clear `O_NONBLOCK` on an open descriptor.
#[cfg(unix)]
fn set_blocking(fd: std::os::unix::io::RawFd) -> std::io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL on a descriptor the caller owns and keeps open;
    // no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// EISDIR, as nginx reports a directory it was asked to read.
fn is_a_directory() -> std::io::Error {
    #[cfg(unix)]
    {
        std::io::Error::from_raw_os_error(libc::EISDIR)
    }
    #[cfg(not(unix))]
    {
        std::io::Error::from(std::io::ErrorKind::IsADirectory)
    }
}

fn not_regular(what: &'static str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, what)
}

/// Read a config file the way nginx does: only regular files (a device,
/// FIFO or directory is refused, never read until memory runs out or
/// forever: the type is checked on the open file, which a FIFO without a
/// writer does not block), and at most the size the file system reports
/// (procfs files report 0: nginx reads nothing from `/proc/self/environ`,
/// and neither do we). The size limit is checked before reading.
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(is_a_directory());
    }
    if !meta.is_file() {
        return Err(not_regular("not a regular file"));
    }
    let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    within_limit(len)?;
    let mut text = Vec::with_capacity(len);
    file.take(meta.len()).read_to_end(&mut text)?;
    Ok(text)
}

fn within_limit(len: usize) -> std::io::Result<()> {
    if len > crate::syntax::MAX_FILE_LEN {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("file too large ({len} bytes; at most 4 GiB)"),
        ));
    }
    Ok(())
}

fn io_errno(e: &std::io::Error) -> (i32, String) {
    let code = e.raw_os_error().unwrap_or(0);
    let text = match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "Is a directory".to_string(),
        _ => e.to_string(),
    };
    (code, text)
}

/// envsubst as the official nginx image runs it on `templates/*.template`:
/// `$NAME` and `${NAME}` are replaced for every NAME defined in the
/// environment, everything else is kept (nginx's own `$variables`).
pub fn env_subst(text: &[u8]) -> Vec<u8> {
    static VAR: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        regex::bytes::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
            .unwrap_or_else(|_| unreachable!())
    });
    VAR.replace_all(text, |c: &regex::bytes::Captures<'_>| {
        let name = c
            .get(1)
            .or_else(|| c.get(2))
            .map(|m| m.as_bytes())
            .unwrap_or_default();
        let value = std::str::from_utf8(name).ok().and_then(std::env::var_os);
        match value {
            Some(v) => v.into_encoded_bytes(),
            None => c.get(0).map(|m| m.as_bytes().to_vec()).unwrap_or_default(),
        }
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_dump() {
        let dump = b"nginx: the configuration file /e/nginx.conf syntax is ok\n# configuration file /e/nginx.conf:\nevents {}\ninclude /e/a.conf;\n\n# configuration file /e/a.conf:\nx 1;\n\n";
        assert!(is_dump(dump));
        let parts = split_dump(dump);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0, PathBuf::from("/e/nginx.conf"));
        assert_eq!(parts[0].1, b"events {}\ninclude /e/a.conf;\n");
        assert_eq!(parts[1].1, b"x 1;\n");
        let mut l = Loaded::default();
        let roots = l.load_text(
            "-".into(),
            dump.to_vec(),
            &LoadOptions {
                follow_includes: true,
                ..Default::default()
            },
        );
        assert_eq!(roots.len(), 1);
        let inc = l.file(roots[0]).root.directives[1].clone();
        assert_eq!(l.included_by(&inc), &[FileId(1)]);
        assert!(l.diagnostics.is_empty());
    }
}
