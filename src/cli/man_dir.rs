//! `ngxray man --dir DIR`: write every page without harming what is there.
//!
//! The directory may be shared (`/usr/local/share/man/man1`) or prepared by
//! someone else, so writing never follows a symlink, never replaces a file
//! ngxray did not write, and never leaves half a set of pages:
//!
//! 1. every page is rendered in memory first;
//! 2. every target is checked: only `ngxray*.1` names, and an existing one
//!    must be a regular file (not a symlink, device, FIFO…) holding an
//!    ngxray man page;
//! 3. each page goes to a new temporary file in the same directory
//!    (`O_CREAT|O_EXCL`, so not through a planted symlink), flushed to disk;
//! 4. only when all are written, each is renamed over its target (a rename
//!    replaces the directory entry; it never writes through a link).
//!
//! On any failure the temporary files are removed and the error names the
//! file it failed on.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Why `man --dir` wrote nothing (or, for [`ManDirError::Rename`], not all).
#[derive(Debug, thiserror::Error)]
pub enum ManDirError {
    #[error("cannot create the directory {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("{} is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("refusing to write {}: only ngxray*.1 pages are written", path.display())]
    Name { path: PathBuf },
    #[error("refusing to write {}: it is a symbolic link (pages are never written through a link)", path.display())]
    Symlink { path: PathBuf },
    #[error("refusing to replace {}: it is not a regular file", path.display())]
    NotRegular { path: PathBuf },
    #[error("refusing to replace {}: it is not an ngxray man page (ngxray replaces only pages it wrote)", path.display())]
    Foreign { path: PathBuf },
    #[error("cannot check {}: {source}", path.display())]
    Inspect { path: PathBuf, source: io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot put {} in place: {source} (the pages listed before it were replaced)", path.display())]
    Rename { path: PathBuf, source: io::Error },
}

/// A man page ngxray wrote: roff whose title line names ngxray.
fn is_our_page(head: &[u8]) -> bool {
    head.split(|b| *b == b'\n')
        .take(16)
        .any(|l| l.starts_with(b".TH ngxray") || l.starts_with(b".TH \"ngxray"))
}

fn allowed_name(name: &str) -> bool {
    name.starts_with("ngxray")
        && name.ends_with(".1")
        && !name.contains('/')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Check that `path` may be (re)placed.
fn check_target(path: &Path) -> Result<(), ManDirError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(ManDirError::Inspect {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let ft = meta.file_type();
    if ft.is_symlink() {
        return Err(ManDirError::Symlink {
            path: path.to_path_buf(),
        });
    }
    if !ft.is_file() {
        return Err(ManDirError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    let mut head = Vec::with_capacity(4096);
    let read = open_no_follow(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|source| ManDirError::Inspect {
            path: path.to_path_buf(),
            source,
        });
    read?;
    if !is_our_page(&head) {
        return Err(ManDirError::Foreign {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    o.open(path)
}

/// A new file beside the target, created exclusively (an existing entry,
/// symlink or not, makes it fail rather than be followed).
fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File), ManDirError> {
    let pid = std::process::id();
    let mut last = None;
    for n in 0..100u32 {
        let path = dir.join(format!(".{name}.{pid}.{n}.tmp"));
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o644);
        }
        match o.open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some((path, e)),
            Err(source) => return Err(ManDirError::Write { path, source }),
        }
    }
    let (path, source) = last.unwrap_or_else(|| {
        (
            dir.join(name),
            io::Error::other("no free temporary file name"),
        )
    });
    Err(ManDirError::Write { path, source })
}

/// Write `pages` (file name, content) into `dir` as described in the module
/// docs. Returns the paths written, in order.
pub fn write_pages(dir: &Path, pages: &[(String, Vec<u8>)]) -> Result<Vec<PathBuf>, ManDirError> {
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(ManDirError::NotADirectory {
                path: dir.to_path_buf(),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(|source| ManDirError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?
        }
        Err(source) => {
            return Err(ManDirError::Inspect {
                path: dir.to_path_buf(),
                source,
            })
        }
    }
    for (name, _) in pages {
        let target = dir.join(name);
        if !allowed_name(name) {
            return Err(ManDirError::Name { path: target });
        }
        check_target(&target)?;
    }
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(pages.len());
    let cleanup = |temps: &[(PathBuf, PathBuf)]| {
        for (t, _) in temps {
            let _ = fs::remove_file(t);
        }
    };
    for (name, bytes) in pages {
        let target = dir.join(name);
        let (tmp, mut f) = match create_temp(dir, name) {
            Ok(x) => x,
            Err(e) => {
                cleanup(&temps);
                return Err(e);
            }
        };
        temps.push((tmp, target.clone()));
        if let Err(source) = f.write_all(bytes).and_then(|()| f.sync_all()) {
            cleanup(&temps);
            return Err(ManDirError::Write {
                path: target,
                source,
            });
        }
    }
    let mut written = Vec::with_capacity(temps.len());
    for (i, (tmp, target)) in temps.iter().enumerate() {
        // the target may have changed since the check: re-check, then rename
        // (which replaces the entry itself, link or not, never its target)
        if let Err(e) = check_target(target) {
            cleanup(&temps[i..]);
            return Err(e);
        }
        if let Err(source) = fs::rename(tmp, target) {
            cleanup(&temps[i..]);
            return Err(ManDirError::Rename {
                path: target.clone(),
                source,
            });
        }
        written.push(target.clone());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(allowed_name("ngxray.1"));
        assert!(allowed_name("ngxray-lint.1"));
        assert!(!allowed_name("nginx.1"));
        assert!(!allowed_name("ngxray.1.gz"));
        assert!(!allowed_name("ngxray/../x.1"));
    }

    #[test]
    fn our_pages() {
        assert!(is_our_page(
            b".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n.TH ngxray-lint 1  \"lint \" \n"
        ));
        assert!(!is_our_page(b".TH bash 1\n"));
        assert!(!is_our_page(b"secret"));
    }
}
