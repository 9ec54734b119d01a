//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path to the built `ngxray` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ngxray"))
}

pub fn ngxray(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("run ngxray")
}

pub fn ngxray_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run ngxray")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A test cannot run because an oracle or data set is missing: a visible
/// skip, or a failure when `NGXRAY_REQUIRE_ORACLES=1` (CI sets it, so a
/// differential test never passes silently there).
pub fn skip(test: &str, why: &str) {
    if std::env::var_os("NGXRAY_REQUIRE_ORACLES").is_some_and(|v| v == "1") {
        panic!("{test}: {why}, and NGXRAY_REQUIRE_ORACLES=1");
    }
    eprintln!("SKIP {test}: {why}");
}

/// The Python interpreter with the test oracles (crossplane): `NGXRAY_PYTHON`,
/// else `python3`.
pub fn python() -> std::ffi::OsString {
    std::env::var_os("NGXRAY_PYTHON").unwrap_or_else(|| "python3".into())
}

/// `../shared/corpus` beside the repository, when present. Prints a visible
/// skip message otherwise.
pub fn corpus(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("NGXRAY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(
            test,
            &format!("corpus not found at {} (set NGXRAY_CORPUS)", dir.display()),
        );
        None
    }
}

/// The real nginx binary, when installed.
pub fn nginx(test: &str) -> Option<PathBuf> {
    for p in ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(p).exists() {
            return Some(PathBuf::from(p));
        }
    }
    skip(test, "nginx not installed (apt-get install nginx-extras)");
    None
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `nginx -t` on `DIR/nginx.conf` with `DIR` as prefix, pid file and error
/// log redirected so that nothing outside `DIR` is touched and no server
/// starts.
pub fn nginx_test_config(nginx: &Path, dir: &Path) -> Output {
    Command::new(nginx)
        .arg("-t")
        .arg("-q")
        .arg("-p")
        .arg(format!("{}/", dir.display()))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-g")
        .arg(format!(
            "pid {}/nginx.pid; error_log stderr;",
            dir.display()
        ))
        .output()
        .expect("run nginx")
}
