//! Which inputs to read, in which order.
//!
//! Arguments are files, globs, directories (walked for error-log names) or
//! `-` for stdin. Rotated files of the same log are read oldest first
//! (`error.log.3.gz`, `error.log.2.gz`, `error.log.1`, `error.log`;
//! dated suffixes in date order), so first/last seen and timelines read
//! forwards. A missing or unreadable input is an error, never a silent skip.

use std::path::{Path, PathBuf};

use super::LogsError;

/// File-name globs looked for inside directories by default.
pub const DEFAULT_NAMES: &[&str] = &["error.log*", "*error*.log*"];

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The name shown in reports (`-` for stdin).
    pub fn display(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

fn has_glob_chars(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Resolve command-line arguments into an ordered list of inputs.
/// `names` are the file-name globs used inside directories.
pub fn resolve(
    args: &[String],
    names: &[String],
    stdin_is_tty: bool,
) -> Result<Vec<Input>, LogsError> {
    let patterns: Vec<glob::Pattern> = names
        .iter()
        .map(|n| {
            glob::Pattern::new(n)
                .map_err(|e| LogsError::Usage(format!("invalid --name glob \"{n}\": {e}")))
        })
        .collect::<Result<_, _>>()?;

    if args.is_empty() {
        if stdin_is_tty {
            return Err(LogsError::Usage(
                "no input: give error.log files, globs or directories, or pipe a log into `ngxray logs -`".to_string(),
            ));
        }
        return Ok(vec![Input::Stdin]);
    }

    let mut files: Vec<PathBuf> = Vec::new();
    let mut stdin = false;
    for arg in args {
        if arg == "-" {
            stdin = true;
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            let before = files.len();
            for entry in walkdir::WalkDir::new(path)
                .follow_links(true)
                .sort_by_file_name()
            {
                let entry = entry.map_err(|e| LogsError::Io {
                    path: arg.clone(),
                    message: e.to_string(),
                })?;
                // Not only regular files: a matching FIFO or a link to
                // /dev/stderr is reported when it is read, not skipped here.
                if entry.file_type().is_dir() {
                    continue;
                }
                let name = entry.file_name().to_string_lossy();
                if patterns.iter().any(|p| p.matches(&name)) {
                    files.push(entry.into_path());
                }
            }
            if files.len() == before {
                return Err(LogsError::Io {
                    path: arg.clone(),
                    message: format!(
                        "no error logs in this directory (looked for {})",
                        names.join(", ")
                    ),
                });
            }
        } else if path.exists() {
            files.push(path.to_path_buf());
        } else if has_glob_chars(arg) {
            let paths = glob::glob(arg)
                .map_err(|e| LogsError::Usage(format!("invalid glob \"{arg}\": {e}")))?;
            let before = files.len();
            for p in paths {
                let p = p.map_err(|e| LogsError::Io {
                    path: arg.clone(),
                    message: e.to_string(),
                })?;
                if !p.is_dir() {
                    files.push(p);
                }
            }
            if files.len() == before {
                return Err(LogsError::Io {
                    path: arg.clone(),
                    message: "no file matches this glob".to_string(),
                });
            }
        } else {
            return Err(LogsError::Io {
                path: arg.clone(),
                message: "no such file or directory".to_string(),
            });
        }
    }

    // Inputs are opened once, when they are read (a named pipe opened to
    // probe it would lose its writer); problems are reported then.
    files = order_rotations(files);
    let mut inputs: Vec<Input> = files.into_iter().map(Input::File).collect();
    if stdin {
        inputs.insert(0, Input::Stdin);
    }
    Ok(inputs)
}

/// Refuse, by its metadata alone (no open), an input that cannot be read
/// as a log: a terminal or other device, typically `error.log` linked to
/// `/dev/stderr` as in the official nginx Docker image (opening it would
/// read this process's own terminal and hang). Named pipes and regular
/// files pass.
pub fn check_special(path: &Path) -> std::io::Result<()> {
    // A link to this process's own stdout/stderr is refused whatever it
    // points at now (a terminal, or a pipe when run under a supervisor).
    let named = link_target(path).or_else(|| Some(path.display().to_string()));
    if let Some(t) = named.filter(|t| is_std_stream(t)) {
        let stream = if t.ends_with("stdout") || t.ends_with("/1") {
            "stdout"
        } else {
            "stderr"
        };
        return Err(std::io::Error::other(format!(
            "a link to {t}: nginx writes this log to its own {stream} (the official nginx Docker image's layout), so there is nothing to read here; read the container's output instead, e.g. `docker logs CONTAINER 2>&1 >/dev/null | ngxray logs`"
        )));
    }
    let meta = std::fs::metadata(path)?;
    let ft = meta.file_type();
    if ft.is_file() || ft.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Ok(());
        }
        let what = if ft.is_char_device() {
            "a character device"
        } else if ft.is_block_device() {
            "a block device"
        } else if ft.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        };
        Err(std::io::Error::other(match link_target(path) {
            Some(t) => format!("a link to {t}, {what}, not a log file"),
            None => format!("{what}, not a log file"),
        }))
    }
    #[cfg(not(unix))]
    Ok(())
}

/// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`.
fn is_std_stream(t: &str) -> bool {
    matches!(t, "/dev/stdout" | "/dev/stderr" | "/dev/stdin" | "/dev/tty")
        || t.starts_with("/dev/fd/")
        || t.starts_with("/proc/self/fd/")
}

/// The first link target of `path` when it is a symbolic link.
fn link_target(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_symlink() {
        return None;
    }
    std::fs::read_link(path)
        .ok()
        .map(|t| t.display().to_string())
}

/// Sort key of a rotated file: (directory, base name, rank) where rank
/// orders dated rotations by date, then numbered ones from the highest
/// number down, then the live file.
fn rotation_key(path: &Path) -> (PathBuf, String, u8, i64, String) {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for ext in [".gz", ".z", ".Z"] {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
            break;
        }
    }
    // error.log.3
    if let Some((base, n)) = stem.rsplit_once('.') {
        if !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = n.parse().unwrap_or(0);
            return (dir, base.to_string(), 1, -n, String::new());
        }
    }
    // error.log-20240101 (logrotate dateext) or error.log.2024-01-01
    if let Some(pos) = stem.rfind(['-', '.', '_']) {
        let date = &stem[pos + 1..];
        if date.len() >= 8 && date.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            return (dir, stem[..pos].to_string(), 0, 0, date.to_string());
        }
    }
    (dir, stem.to_string(), 2, 0, String::new())
}

/// Is this a rotated copy (`error.log.1`, `error.log-20240101.gz`) rather
/// than the live file? `--follow` follows only live files.
pub fn is_rotated(path: &Path) -> bool {
    rotation_key(path).2 != 2
}

/// Order files so each log's rotations are read oldest first; distinct logs
/// keep a stable order by directory and name. Duplicates are dropped.
pub fn order_rotations(mut files: Vec<PathBuf>) -> Vec<PathBuf> {
    files.sort_by_cached_key(|p| rotation_key(p));
    files.dedup();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[PathBuf]) -> Vec<String> {
        v.iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn rotations_oldest_first() {
        let files: Vec<PathBuf> = [
            "error.log",
            "error.log.1",
            "error.log.10.gz",
            "error.log.2.gz",
            "access.error.log",
        ]
        .iter()
        .map(|n| PathBuf::from("/l").join(n))
        .collect();
        assert_eq!(
            names(&order_rotations(files)),
            [
                "access.error.log",
                "error.log.10.gz",
                "error.log.2.gz",
                "error.log.1",
                "error.log"
            ]
        );
        let dated: Vec<PathBuf> = ["error.log", "error.log-20240103.gz", "error.log-20240101"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(
            names(&order_rotations(dated)),
            ["error.log-20240101", "error.log-20240103.gz", "error.log"]
        );
    }

    #[test]
    fn missing_inputs_are_errors() {
        let names: Vec<String> = DEFAULT_NAMES.iter().map(|s| s.to_string()).collect();
        let err = resolve(&["/nonexistent/error.log".to_string()], &names, true).unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
        let err = resolve(&["/nonexistent/*.log".to_string()], &names, true).unwrap_err();
        assert!(err.to_string().contains("no file matches"), "{err}");
        assert!(resolve(&[], &names, true).is_err());
        assert_eq!(resolve(&[], &names, false).unwrap(), vec![Input::Stdin]);
    }

    #[test]
    fn directories_are_walked_for_log_names() {
        let dir = tempfile::tempdir().unwrap();
        for n in [
            "error.log",
            "error.log.1",
            "access.log",
            "site.error.log",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(n), "x\n").unwrap();
        }
        let names: Vec<String> = DEFAULT_NAMES.iter().map(|s| s.to_string()).collect();
        let got = resolve(&[dir.path().display().to_string()], &names, true).unwrap();
        let got: Vec<String> = got
            .iter()
            .map(|i| match i {
                Input::File(p) => p.file_name().unwrap().to_string_lossy().into_owned(),
                Input::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(got, ["error.log.1", "error.log", "site.error.log"]);
    }
}
