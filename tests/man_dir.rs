//! `ngxray man --dir`: pages written through temporary files renamed into
//! place; never through a symlink, never over a file ngxray did not write,
//! nothing half-written on refusal, and the failing file named.

use std::path::Path;

use crate::util::{ngxray, stderr};

fn man_dir(dir: &Path) -> std::process::Output {
    ngxray(&["man", "--dir", dir.to_str().expect("utf-8 path")])
}

/// Names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn man_dir_writes_pages_and_replaces_its_own() {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path().join("man1"); // created when missing
    let o = man_dir(&dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = listing(&dir);
    assert!(first.contains(&"ngxray.1".to_string()), "{first:?}");
    assert!(first.contains(&"ngxray-lint.1".to_string()), "{first:?}");
    assert!(
        first
            .iter()
            .all(|n| n.starts_with("ngxray") && n.ends_with(".1")),
        "temporary files left: {first:?}"
    );
    let page = std::fs::read_to_string(dir.join("ngxray-lint.1")).expect("page");
    assert!(page.contains(".TH ngxray-lint"), "{page}");
    // a second run replaces the pages it wrote
    std::fs::write(
        dir.join("ngxray-lint.1"),
        format!("{page}.\\\" an older version\n"),
    )
    .expect("edit");
    let o = man_dir(&dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(listing(&dir), first);
    let again = std::fs::read_to_string(dir.join("ngxray-lint.1")).expect("page");
    assert_eq!(again, page);
}

#[cfg(unix)]
#[test]
fn man_dir_never_writes_through_a_symlink() {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path().join("man1");
    std::fs::create_dir(&dir).expect("mkdir");
    let victim = t.path().join("victim");
    std::fs::write(&victim, "precious\n").expect("victim");
    std::os::unix::fs::symlink(&victim, dir.join("ngxray-lint.1")).expect("symlink");
    // a dangling link too: writing through it would create its target
    std::os::unix::fs::symlink(t.path().join("created"), dir.join("ngxray-logs.1"))
        .expect("symlink");
    let o = man_dir(&dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("symbolic link"), "{err}");
    assert!(
        err.contains("ngxray-lint.1") || err.contains("ngxray-logs.1"),
        "names the file: {err}"
    );
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious\n"
    );
    assert!(!t.path().join("created").exists());
    // refused before anything was written: no pages, no temporary files
    assert_eq!(listing(&dir), ["ngxray-lint.1", "ngxray-logs.1"]);
    assert!(std::fs::symlink_metadata(dir.join("ngxray-lint.1"))
        .expect("link")
        .file_type()
        .is_symlink());
}

#[test]
fn man_dir_refuses_files_it_did_not_write() {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path();
    std::fs::write(dir.join("ngxray.1"), "not a man page of ngxray\n").expect("write");
    let o = man_dir(dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("ngxray.1") && err.contains("not an ngxray man page"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("ngxray.1")).expect("kept"),
        "not a man page of ngxray\n"
    );
    assert_eq!(listing(dir), ["ngxray.1"], "nothing else written");

    // a directory where a page goes
    let t2 = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(t2.path().join("ngxray-rules.1")).expect("mkdir");
    let o = man_dir(t2.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("ngxray-rules.1") && stderr(&o).contains("not a regular file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(listing(t2.path()), ["ngxray-rules.1"]);

    // other files in the directory are left alone
    let t3 = tempfile::tempdir().expect("tempdir");
    std::fs::write(t3.path().join("bash.1"), "x").expect("write");
    let o = man_dir(t3.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(t3.path().join("bash.1")).expect("kept"),
        "x"
    );
}

#[test]
fn man_dir_on_a_file_is_an_error() {
    let t = tempfile::tempdir().expect("tempdir");
    let f = t.path().join("file");
    std::fs::write(&f, "x").expect("write");
    let o = man_dir(&f);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a directory"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&f).expect("kept"), "x");
}
