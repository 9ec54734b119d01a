//! Packaging end to end: what `pip install ngxray`, `pipx install ngxray`
//! and the pre-commit hooks give a user.
//!
//! - The wheel: built with maturin from pyproject.toml (`bindings = "bin"`),
//!   installed with pip into a fresh virtual environment, where `ngxray
//!   --version` and a lint of the shipped example must behave exactly like
//!   the binary cargo built.
//! - The pre-commit hook, as a new user without a Rust toolchain gets it: a
//!   git repository of nginx configs whose .pre-commit-config.yaml points at
//!   the ngxray-pre-commit mirror (made from packaging/pre-commit/ as the
//!   release does), pip offline with a wheelhouse holding the local wheel
//!   (standing in for PyPI), and no cargo or rustc on PATH.
//! - The same wheel installed with `pipx install` (pipx from the oracle
//!   environment, offline): the command it links behaves the same.
//! - The files that tie these together agree (hook definitions, pinned
//!   versions, the dist profile), and the GitHub workflows, the composite
//!   action and the Dockerfile pass actionlint, shellcheck and hadolint.
//!
//! The tools (maturin, pipx, pre-commit, actionlint, shellcheck, hadolint) come
//! from the Python environment of the oracles (`NGXRAY_PYTHON`, else
//! `.ci/venv`), the build backend of the mirror package from a wheelhouse
//! (`NGXRAY_WHEELHOUSE`, else `.ci/wheelhouse`): .ci/run installs both.
//! Missing ones skip visibly, or fail with `NGXRAY_REQUIRE_ORACLES=1`.
//! Nothing here reaches the network: pip runs with `--no-index`.
//!
//! The wheel is built once per test run with the `dev` profile into the same
//! target directory as the tests, so cargo reuses the `ngxray` binary it has
//! just built instead of compiling a second one (the release wheel uses the
//! `dist` profile; the packaging is the same).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::util::{bin, repo, skip, stderr, stdout};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Python of the oracle environment.
fn oracle_python() -> Option<PathBuf> {
    let p = std::env::var_os("NGXRAY_PYTHON")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| repo().join(".ci/venv/bin/python"));
    p.exists().then_some(p)
}

/// A console script of the oracle environment (`maturin`, `pre-commit`, …).
fn oracle_tool(test: &str, name: &str) -> Option<PathBuf> {
    let Some(py) = oracle_python() else {
        skip(
            test,
            "no Python oracle environment (NGXRAY_PYTHON or .ci/venv; .ci/run makes it)",
        );
        return None;
    };
    let tool = py.parent().unwrap().join(name);
    if tool.exists() {
        Some(tool)
    } else {
        skip(
            test,
            &format!(
                "{name} not installed beside {} (.ci/run installs it)",
                py.display()
            ),
        );
        None
    }
}

/// The target directory of this test run: `<target>/debug/ngxray` is the binary.
fn target_dir() -> PathBuf {
    bin()
        .parent()
        .and_then(Path::parent)
        .expect("binary in <target>/<profile>/")
        .to_path_buf()
}

fn run(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"))
}

fn ok(what: &str, o: &Output) {
    assert!(
        o.status.success(),
        "{what} failed ({:?})\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        stdout(o),
        stderr(o)
    );
}

/// Build the wheel once for all tests of this run; `None` when maturin is
/// missing (after a visible skip).
fn wheel(test: &str) -> Option<PathBuf> {
    static WHEEL: OnceLock<Option<PathBuf>> = OnceLock::new();
    let maturin = oracle_tool(test, "maturin")?;
    WHEEL
        .get_or_init(|| {
            let out_dir = target_dir().join("packaging-test/wheels");
            let _ = std::fs::remove_dir_all(&out_dir);
            let mut cmd = Command::new(&maturin);
            cmd.current_dir(repo())
                .args(["build", "--profile", "dev", "--out"])
                .arg(&out_dir)
                .env("CARGO_TARGET_DIR", target_dir())
                .env("CARGO_TERM_COLOR", "never");
            // The variables cargo sets for this test process (CARGO_PKG_NAME,
            // CARGO_MANIFEST_DIR, …): build scripts that watch them (ring's
            // `rerun-if-env-changed`) would see a change and the nested cargo
            // would rebuild them instead of reusing the outer build. OUT_DIR too
            // (set for the tests, watched by ring).
            for (k, _) in std::env::vars_os() {
                let k = k.to_string_lossy();
                if ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CFG_", "CARGO_BIN_"]
                    .iter()
                    .any(|p| k.starts_with(p))
                    || [
                        "OUT_DIR",
                        "CARGO_CRATE_NAME",
                        "CARGO_PRIMARY_PACKAGE",
                        "CARGO_TARGET_TMPDIR",
                    ]
                    .contains(&k.as_ref())
                {
                    cmd.env_remove(k.as_ref());
                }
            }
            let o = run(&mut cmd);
            ok("maturin build", &o);
            let wheels: Vec<PathBuf> = std::fs::read_dir(&out_dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "whl"))
                .collect();
            assert_eq!(wheels.len(), 1, "one wheel expected: {wheels:?}");
            Some(wheels[0].clone())
        })
        .clone()
}

/// A fresh virtual environment with the wheel installed (offline).
fn venv_with_wheel(dir: &Path, wheel: &Path) -> PathBuf {
    let py = oracle_python().expect("checked by wheel()");
    let venv = dir.join("venv");
    ok(
        "python -m venv",
        &run(Command::new(&py).args(["-m", "venv"]).arg(&venv)),
    );
    ok(
        "pip install wheel",
        &run(Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--no-index",
                "--no-deps",
                "--disable-pip-version-check",
                "-q",
            ])
            .arg(wheel)),
    );
    venv
}

#[test]
fn wheel_installs_the_binary_and_lints() {
    let test = "wheel_installs_the_binary_and_lints";
    let Some(wheel) = wheel(test) else { return };
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("ngxray-{VERSION}-py3-none-")),
        "wheel name {name}"
    );

    // The wheel holds the binary as a script, and metadata from pyproject.toml.
    let py = oracle_python().unwrap();
    let listing = run(Command::new(&py)
        .arg("-c")
        .arg(
            "import sys, zipfile\n\
         z = zipfile.ZipFile(sys.argv[1])\n\
         print('\\n'.join(z.namelist()))\n\
         meta = [n for n in z.namelist() if n.endswith('.dist-info/METADATA')][0]\n\
         print(z.read(meta).decode())",
        )
        .arg(&wheel));
    ok("list wheel", &listing);
    let listing = stdout(&listing);
    assert!(
        listing.contains(&format!("ngxray-{VERSION}.data/scripts/ngxray\n")),
        "{listing}"
    );
    for field in [
        "Name: ngxray\n".to_string(),
        format!("Version: {VERSION}\n"),
        "Requires-Python: >=3.8".to_string(),
    ] {
        assert!(
            listing.contains(&field),
            "METADATA lacks {field}:\n{listing}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let venv = venv_with_wheel(dir.path(), &wheel);
    let installed = venv.join("bin/ngxray");
    // The command is the binary itself, not a Python launcher.
    let head = std::fs::read(&installed).unwrap();
    #[cfg(target_os = "linux")]
    assert_eq!(&head[..4], b"\x7fELF", "bin/ngxray is not the binary");
    #[cfg(not(target_os = "linux"))]
    assert!(!head.starts_with(b"#!"), "bin/ngxray is a script");

    let v = run(Command::new(&installed).arg("--version"));
    ok("ngxray --version", &v);
    assert_eq!(stdout(&v), format!("ngxray {VERSION}\n"));

    // The quick start's lint: exit 1 (the example's planted risks), and the
    // same findings as the binary cargo built.
    let args = [
        "lint",
        "--format",
        "concise",
        "testdata/examples/nginx.conf",
    ];
    let from_wheel = run(Command::new(&installed).current_dir(repo()).args(args));
    let from_cargo = run(Command::new(bin()).current_dir(repo()).args(args));
    assert_eq!(from_wheel.status.code(), Some(1), "{}", stderr(&from_wheel));
    assert!(
        stdout(&from_wheel).contains("testdata/examples/nginx.conf:"),
        "{}",
        stdout(&from_wheel)
    );
    assert_eq!(stdout(&from_wheel), stdout(&from_cargo));
    // A clean config passes.
    let clean = run(Command::new(&installed)
        .current_dir(repo())
        .args(["lint", "testdata/formats/clean/nginx.conf"]));
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
}

/// `pipx install` of the same wheel: pipx (from the oracle environment)
/// makes a virtual environment of its own for the package and links the
/// command into `PIPX_BIN_DIR`, where `ngxray --version` and a lint behave
/// as the binary cargo built. pip runs offline (`PIP_NO_INDEX`): the wheel
/// file is the only thing installed.
#[test]
fn pipx_installs_the_wheel_and_lints() {
    let test = "pipx_installs_the_wheel_and_lints";
    let Some(pipx) = oracle_tool(test, "pipx") else {
        return;
    };
    let Some(wheel) = wheel(test) else { return };
    let py = oracle_python().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let bin_dir = t.join("bin");
    let pipx_cmd = |args: &[&str]| {
        let mut c = Command::new(&pipx);
        c.args(args)
            .env("HOME", t)
            .env("PIPX_HOME", t.join("pipx"))
            .env("PIPX_BIN_DIR", &bin_dir)
            .env("PIPX_MAN_DIR", t.join("man"))
            .env("PIPX_DEFAULT_PYTHON", &py)
            // Offline: pipx's own upgrade of pip in its shared environment
            // would ask PyPI for a newer pip; its bundled pip does the job.
            .env("PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE", "1")
            .env("PIP_NO_INDEX", "1")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("USE_EMOJI", "0");
        c
    };
    let o = run(pipx_cmd(&["install"]).arg(&wheel));
    ok("pipx install", &o);
    let o = run(&mut pipx_cmd(&["list", "--short"]));
    ok("pipx list", &o);
    assert_eq!(stdout(&o), format!("ngxray {VERSION}\n"));

    let installed = bin_dir.join("ngxray");
    let v = run(Command::new(&installed).arg("--version"));
    ok("ngxray --version (pipx)", &v);
    assert_eq!(stdout(&v), format!("ngxray {VERSION}\n"));
    // The linked command is the binary itself, in pipx's environment.
    let target = std::fs::canonicalize(&installed).unwrap();
    assert!(
        target.starts_with(std::fs::canonicalize(t.join("pipx")).unwrap()),
        "{target:?}"
    );
    #[cfg(target_os = "linux")]
    assert_eq!(&std::fs::read(&target).unwrap()[..4], b"\x7fELF");

    let args = [
        "lint",
        "--format",
        "concise",
        "testdata/examples/nginx.conf",
    ];
    let from_pipx = run(Command::new(&installed).current_dir(repo()).args(args));
    let from_cargo = run(Command::new(bin()).current_dir(repo()).args(args));
    assert_eq!(from_pipx.status.code(), Some(1), "{}", stderr(&from_pipx));
    assert!(!stdout(&from_pipx).is_empty());
    assert_eq!(stdout(&from_pipx), stdout(&from_cargo));

    ok(
        "pipx uninstall",
        &run(&mut pipx_cmd(&["uninstall", "ngxray"])),
    );
    assert!(!installed.exists(), "pipx uninstall left {installed:?}");
}

/// The composite action's steps, run as a runner runs them
/// (tests/packaging/run_action.py), with pip offline on a wheelhouse that
/// holds the local wheel as "PyPI": the install step installs the wheel of
/// the `version` input, the lint step writes SARIF, prints annotations and
/// exits 1 on the example's findings.
#[test]
fn action_installs_the_wheel_and_lints() {
    let test = "action_installs_the_wheel_and_lints";
    let Some(py) = oracle_python() else {
        skip(test, "no Python oracle environment");
        return;
    };
    let Some(wheel) = wheel(test) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let house = tmp.path().join("wheelhouse");
    std::fs::create_dir(&house).unwrap();
    std::fs::copy(&wheel, house.join(wheel.file_name().unwrap())).unwrap();
    let runner_temp = tmp.path().join("runner");
    std::fs::create_dir(&runner_temp).unwrap();
    let sarif = tmp.path().join("ngxray.sarif");
    let inputs = serde_json::json!({
        "version": VERSION,
        "python": py.to_str().unwrap(),
        "args": "--fail-on warning testdata/examples/nginx.conf",
        "sarif": sarif.to_str().unwrap(),
    });
    let run_action = |inputs: &serde_json::Value| -> serde_json::Value {
        let o = run(Command::new(&py)
            .current_dir(repo())
            .arg(repo().join("tests/packaging/run_action.py"))
            .arg(repo().join("action.yml"))
            .arg(inputs.to_string())
            .env("RUNNER_TEMP", &runner_temp)
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &house)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"));
        ok("run_action.py", &o);
        serde_json::from_slice(&o.stdout).expect("run_action.py prints JSON")
    };
    let r = run_action(&inputs);
    let steps = r["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{r:#}");
    assert_eq!(steps[0]["code"], 0, "install step: {r:#}");
    assert!(
        steps[0]["stdout"]
            .as_str()
            .unwrap()
            .contains(&format!("ngxray {VERSION}")),
        "{r:#}"
    );
    // Findings: the step fails, with annotations, after writing SARIF.
    assert_eq!(steps[1]["code"], 1, "lint step: {r:#}");
    let annotations = steps[1]["stdout"].as_str().unwrap();
    assert!(
        annotations.contains("::warning file=testdata/examples/nginx.conf,line="),
        "{annotations}"
    );
    assert_eq!(r["outputs"]["sarif"], sarif.to_str().unwrap());
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif).unwrap()).expect("SARIF is JSON");
    assert_eq!(doc["version"], "2.1.0");
    assert!(
        !doc["runs"][0]["results"].as_array().unwrap().is_empty(),
        "{doc:#}"
    );

    // A clean config: the step passes; a usage error fails it with 2.
    let mut clean = inputs.clone();
    clean["args"] = "testdata/formats/clean/nginx.conf".into();
    let r = run_action(&clean);
    assert_eq!(r["steps"][1]["code"], 0, "{r:#}");
    let mut bad = inputs.clone();
    bad["args"] = "--no-such-flag testdata/examples/nginx.conf".into();
    let r = run_action(&bad);
    assert_eq!(r["steps"][1]["code"], 2, "{r:#}");
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let o = run(Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.test"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args));
    ok(&format!("git {args:?}"), &o);
    o
}

/// `dir` is on no Rust toolchain path: none of `cargo`, `rustc` in it.
fn has_rust(dir: &Path) -> bool {
    ["cargo", "rustc"].iter().any(|t| dir.join(t).exists())
}

#[test]
fn pre_commit_hook_installs_the_wheel_without_rust() {
    let test = "pre_commit_hook_installs_the_wheel_without_rust";
    let Some(pre_commit) = oracle_tool(test, "pre-commit") else {
        return;
    };
    let house = std::env::var_os("NGXRAY_WHEELHOUSE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".ci/wheelhouse"));
    let backend: Vec<PathBuf> = std::fs::read_dir(&house)
        .map(|d| {
            d.map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("setuptools-"))
                })
                .collect()
        })
        .unwrap_or_default();
    if backend.is_empty() {
        skip(
            test,
            &format!(
                "no setuptools wheel in {} (NGXRAY_WHEELHOUSE; .ci/run downloads it)",
                house.display()
            ),
        );
        return;
    }
    let Some(wheel) = wheel(test) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();

    // The local "PyPI": the build backend of the mirror package and the wheel.
    let wheelhouse = t.join("wheelhouse");
    std::fs::create_dir(&wheelhouse).unwrap();
    for w in backend.iter().chain([&wheel]) {
        std::fs::copy(w, wheelhouse.join(w.file_name().unwrap())).unwrap();
    }

    // The mirror repository, as the release workflow makes it.
    let mirror = t.join("ngxray-pre-commit");
    std::fs::create_dir(&mirror).unwrap();
    for f in ["pyproject.toml", ".pre-commit-hooks.yaml", "README.md"] {
        std::fs::copy(repo().join("packaging/pre-commit").join(f), mirror.join(f)).unwrap();
    }
    git(&mirror, &["init", "-q"]);
    git(&mirror, &["add", "-A"]);
    git(&mirror, &["commit", "-q", "-m", "mirror"]);
    // The release tags the mirror like ngxray itself.
    git(&mirror, &["tag", &format!("v{VERSION}")]);

    // The user's repository: an nginx config with findings, and other files.
    let user = t.join("user");
    std::fs::create_dir_all(user.join("nginx/conf.d")).unwrap();
    std::fs::copy(
        repo().join("testdata/examples/nginx.conf"),
        user.join("nginx/nginx.conf"),
    )
    .unwrap();
    // Not configuration: had the hook passed them, ngxray would report
    // syntax errors in them and the output would differ from the direct run.
    std::fs::write(user.join("README.md"), "# deploy\n\nnot { nginx\n").unwrap();
    std::fs::write(user.join("nginx/conf.d/.hidden"), "bad {\n").unwrap();
    // The README's configuration, as written, but for the mirror's address.
    let config = readme_block("**pre-commit.**", "yaml");
    let url = "https://github.com/ngxray/ngxray-pre-commit";
    assert!(config.contains(&format!("repo: {url}\n")), "{config}");
    assert!(config.contains(&format!("rev: v{VERSION}\n")), "{config}");
    assert!(config.contains("- id: ngxray-lint\n"), "{config}");
    std::fs::write(
        user.join(".pre-commit-config.yaml"),
        config.replace(url, &mirror.display().to_string()),
    )
    .unwrap();
    git(&user, &["init", "-q"]);
    git(&user, &["add", "-A"]);

    // PATH: git, the system's directories, nothing of Rust.
    let shims = t.join("path");
    std::fs::create_dir(&shims).unwrap();
    let git_path = ["/usr/local/bin/git", "/usr/bin/git"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("git");
    std::os::unix::fs::symlink(&git_path, shims.join("git")).unwrap();
    let dirs = [
        shims.clone(),
        PathBuf::from("/usr/bin"),
        PathBuf::from("/bin"),
    ];
    for d in &dirs {
        assert!(
            !has_rust(d),
            "{} has a Rust toolchain: the test would prove nothing",
            d.display()
        );
    }
    let path = std::env::join_paths(&dirs).unwrap();
    let hook = |what: &str| {
        let o = run(Command::new(&pre_commit)
            .current_dir(&user)
            .args(["run", "--all-files", "--color", "never"])
            .env_clear()
            .env("PATH", &path)
            .env("HOME", t)
            .env("LANG", "C.UTF-8")
            .env("PRE_COMMIT_HOME", t.join("cache"))
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &wheelhouse)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("VIRTUALENV_NO_PERIODIC_UPDATE", "1"));
        eprintln!("pre-commit ({what}):\n{}{}", stdout(&o), stderr(&o));
        o
    };

    let direct = run(Command::new(bin())
        .current_dir(&user)
        .args(["lint", "nginx/nginx.conf"]));
    assert_eq!(direct.status.code(), Some(1));

    let o = hook("findings");
    assert_eq!(
        o.status.code(),
        Some(1),
        "pre-commit should fail on findings"
    );
    let out = stdout(&o);
    assert!(
        out.contains("ngxray lint") && out.contains("Failed"),
        "{out}"
    );
    assert!(out.contains("- exit code: 1"), "{out}");
    for line in stdout(&direct).lines() {
        assert!(out.contains(line), "hook output lacks `{line}`:\n{out}");
    }
    assert!(!out.contains("README.md"), "README.md was linted:\n{out}");
    assert!(!out.contains(".hidden"), "a hidden file was linted:\n{out}");

    // The hook environment holds the wheel's binary.
    let envs: Vec<PathBuf> = walk_for(&t.join("cache"), "ngxray");
    assert!(
        envs.iter().any(|p| p.ends_with("bin/ngxray")),
        "no bin/ngxray in the hook environment: {envs:?}"
    );

    // Fixed config: the hook passes.
    std::fs::copy(
        repo().join("testdata/formats/clean/nginx.conf"),
        user.join("nginx/nginx.conf"),
    )
    .unwrap();
    git(&user, &["add", "-A"]);
    let o = hook("clean");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("Passed"), "{}", stdout(&o));
}

/// The README's `repo: local` hook (ngxray already on PATH), as written
/// under `repos:`: pre-commit runs `ngxray lint` on the files the hook
/// selects, fails on findings and passes on a clean config.
#[test]
fn readme_local_pre_commit_hook_runs_as_written() {
    let test = "readme_local_pre_commit_hook_runs_as_written";
    let Some(pre_commit) = oracle_tool(test, "pre-commit") else {
        return;
    };
    let hook = readme_block("### pre-commit", "yaml");
    assert!(hook.contains("- repo: local\n"), "{hook}");
    assert!(hook.contains("language: system\n"), "{hook}");
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let user = t.join("user");
    std::fs::create_dir_all(user.join("nginx/conf.d")).unwrap();
    std::fs::copy(
        repo().join("testdata/examples/nginx.conf"),
        user.join("nginx/nginx.conf"),
    )
    .unwrap();
    std::fs::write(user.join("README.md"), "# deploy\n\nnot { nginx\n").unwrap();
    std::fs::write(user.join("nginx/conf.d/.hidden"), "bad {\n").unwrap();
    std::fs::write(
        user.join(".pre-commit-config.yaml"),
        format!("repos:\n{hook}"),
    )
    .unwrap();
    git(&user, &["init", "-q"]);
    git(&user, &["add", "-A"]);
    let path = std::env::join_paths(
        std::iter::once(bin().parent().unwrap().to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap();
    let hook_run = || {
        run(Command::new(&pre_commit)
            .current_dir(&user)
            .args(["run", "--all-files", "--color", "never"])
            .env("PATH", &path)
            .env("HOME", t)
            .env("PRE_COMMIT_HOME", t.join("cache")))
    };
    let direct = run(Command::new(bin())
        .current_dir(&user)
        .args(["lint", "nginx/nginx.conf"]));
    assert_eq!(direct.status.code(), Some(1));
    let o = hook_run();
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("ngxray lint") && out.contains("Failed"),
        "{out}"
    );
    for line in stdout(&direct).lines() {
        assert!(out.contains(line), "hook output lacks `{line}`:\n{out}");
    }
    assert!(!out.contains("README.md"), "README.md was linted:\n{out}");
    assert!(!out.contains(".hidden"), "a hidden file was linted:\n{out}");
    std::fs::copy(
        repo().join("testdata/formats/clean/nginx.conf"),
        user.join("nginx/nginx.conf"),
    )
    .unwrap();
    git(&user, &["add", "-A"]);
    let o = hook_run();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("Passed"), "{}", stdout(&o));
}

/// The Dockerfile's build step without Docker: the binary built by the
/// Dockerfile's `cargo build` command for the musl target (`.ci/run` builds
/// it when time allows and passes it as `NGXRAY_STATIC_BIN`) is static (no
/// ELF interpreter, as the Dockerfile's `ldd` check demands, so it runs on
/// `scratch`), runs with an empty environment in an empty folder, and lints
/// like the cargo-built binary. Without `NGXRAY_STATIC_BIN` the test says so
/// and does nothing (the build takes minutes; it is not an oracle).
#[test]
fn static_binary_as_the_dockerfile_builds_it() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let build = dockerfile
        .lines()
        .find_map(|l| l.trim().strip_prefix("cargo build "))
        .map(|rest| format!("cargo build {}", rest.trim_end_matches('\\').trim()))
        .expect("the Dockerfile builds with cargo");
    assert_eq!(build, "cargo build --locked --profile dist --bin ngxray");
    // .ci/run builds with the same command, for the musl target.
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    assert!(
        ci.contains(&format!("{build} --target x86_64-unknown-linux-musl")),
        ".ci/run does not build the static binary as the Dockerfile does"
    );
    // The check below tells a dynamic binary: the one cargo built here is.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    assert!(has_interpreter(&std::fs::read(bin()).unwrap()));
    let Some(path) = std::env::var_os("NGXRAY_STATIC_BIN").map(PathBuf::from) else {
        eprintln!(
            "SKIP static_binary_as_the_dockerfile_builds_it: NGXRAY_STATIC_BIN not set (.ci/run sets it when it builds the static binary)"
        );
        return;
    };
    let elf = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&elf[..4], b"\x7fELF");
    assert!(
        !has_interpreter(&elf),
        "{} is dynamically linked",
        path.display()
    );
    let empty = tempfile::tempdir().unwrap();
    let v = run(Command::new(&path)
        .arg("--version")
        .env_clear()
        .current_dir(empty.path()));
    ok("static ngxray --version", &v);
    assert_eq!(stdout(&v), format!("ngxray {VERSION}\n"));
    // `nginx -T | docker run -i ngxray lint -`: standard input, nothing else.
    let example = std::fs::read(repo().join("testdata/examples/nginx.conf")).unwrap();
    let lint = |exe: &Path| {
        use std::io::Write;
        let mut child = Command::new(exe)
            .args(["lint", "--format", "concise", "-"])
            .env_clear()
            .current_dir(empty.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&example).unwrap();
        child.wait_with_output().unwrap()
    };
    let from_static = lint(&path);
    let from_cargo = lint(&bin());
    assert_eq!(
        from_static.status.code(),
        Some(1),
        "{}",
        stderr(&from_static)
    );
    assert!(!stdout(&from_static).is_empty());
    assert_eq!(stdout(&from_static), stdout(&from_cargo));
}

/// Does a 64-bit little-endian ELF file ask for a program interpreter
/// (`PT_INTERP`: the dynamic loader)? A static binary does not.
fn has_interpreter(elf: &[u8]) -> bool {
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap()) as usize;
    assert_eq!(elf[4], 2, "not a 64-bit ELF");
    assert_eq!(elf[5], 1, "not little-endian");
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    (0..phnum).any(|i| {
        let o = phoff + i * phentsize;
        u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) == 3
    })
}

/// The first fenced block of `lang` after the line that starts with `marker`
/// in README.md.
fn readme_block(marker: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let at = readme
        .lines()
        .position(|l| l.starts_with(marker))
        .unwrap_or_else(|| panic!("README lacks {marker}"));
    let mut lines = readme.lines().skip(at);
    lines
        .by_ref()
        .find(|l| *l == format!("```{lang}"))
        .unwrap_or_else(|| panic!("no {lang} block after {marker}"));
    let mut block = String::new();
    for l in lines.take_while(|l| *l != "```") {
        block.push_str(l);
        block.push('\n');
    }
    block
}

/// Files named `name` under `dir`.
fn walk_for(dir: &Path, name: &str) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == name)
        .map(|e| e.into_path())
        .collect()
}

#[test]
fn packaging_files_agree() {
    // One set of hooks, in this repository and in the mirror.
    let hooks = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let mirror_hooks =
        std::fs::read_to_string(repo().join("packaging/pre-commit/.pre-commit-hooks.yaml"))
            .unwrap();
    assert_eq!(
        hooks, mirror_hooks,
        "packaging/pre-commit/.pre-commit-hooks.yaml differs from .pre-commit-hooks.yaml"
    );
    for id in ["ngxray-lint", "ngxray"] {
        assert!(
            hooks.contains(&format!("- id: {id}\n")),
            "hook {id} missing"
        );
    }
    assert!(!hooks.contains("language: rust"), "{hooks}");
    assert_eq!(
        hooks.matches("\n  language: python\n").count(),
        2,
        "{hooks}"
    );

    // The mirror pins the wheel of this version.
    let mirror: toml::Value =
        std::fs::read_to_string(repo().join("packaging/pre-commit/pyproject.toml"))
            .unwrap()
            .parse()
            .unwrap();
    assert_eq!(
        mirror["project"]["dependencies"].as_array().unwrap(),
        &vec![toml::Value::String(format!("ngxray=={VERSION}"))]
    );

    // The wheel: maturin, the binary only, the dist profile.
    let py: toml::Value = std::fs::read_to_string(repo().join("pyproject.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        py["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    assert_eq!(py["project"]["name"].as_str(), Some("ngxray"));
    assert_eq!(py["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
    assert_eq!(py["tool"]["maturin"]["profile"].as_str(), Some("dist"));

    let cargo: toml::Value = std::fs::read_to_string(repo().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let dist = &cargo["profile"]["dist"];
    assert_eq!(dist["inherits"].as_str(), Some("release"));
    assert_eq!(dist["lto"].as_str(), Some("fat"));
    assert_eq!(dist["codegen-units"].as_integer(), Some(1));
    assert_eq!(dist["strip"].as_str(), Some("symbols"));

    // The action installs the wheel of its `version` input with pip.
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    assert!(action.contains("using: composite"), "{action}");
    assert!(action.contains("pip install"), "{action}");
}

/// actionlint on the workflows (with shellcheck on their `run:` scripts),
/// shellcheck on the composite action's scripts, hadolint on the Dockerfile.
#[test]
fn workflows_action_and_dockerfile_pass_their_linters() {
    let test = "workflows_action_and_dockerfile_pass_their_linters";
    let (Some(actionlint), Some(shellcheck), Some(hadolint), Some(py)) = (
        oracle_tool(test, "actionlint"),
        oracle_tool(test, "shellcheck"),
        oracle_tool(test, "hadolint"),
        oracle_python(),
    ) else {
        return;
    };
    let bin_dir = shellcheck.parent().unwrap().to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();

    // actionlint finds shellcheck on PATH and checks `run:` scripts with it.
    let o = run(Command::new(&actionlint)
        .current_dir(repo())
        .env("PATH", &path)
        .args(["-color=false", "-shellcheck", shellcheck.to_str().unwrap()]));
    ok("actionlint", &o);
    let workflows: Vec<String> = std::fs::read_dir(repo().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        workflows.iter().any(|w| w == "release.yml"),
        "{workflows:?}"
    );

    // The README's workflow that uses the action, as written.
    let readme_tmp = tempfile::tempdir().unwrap();
    let readme_wf = readme_tmp.path().join("readme-action.yml");
    let workflow = readme_block("**GitHub Action.**", "yaml");
    assert!(workflow.contains("uses: ngxray/ngxray@v"), "{workflow}");
    assert!(workflow.contains("sarif: ngxray.sarif"), "{workflow}");
    std::fs::write(&readme_wf, &workflow).unwrap();
    let o = run(Command::new(&actionlint)
        .env("PATH", &path)
        .args(["-color=false", "-shellcheck", shellcheck.to_str().unwrap()])
        .arg(&readme_wf));
    ok("actionlint on the README's workflow", &o);

    // actionlint does not read action.yml's own scripts: extract them.
    let tmp = tempfile::tempdir().unwrap();
    let o = run(Command::new(&py)
        .arg("-c")
        .arg(
            "import sys, yaml\n\
             a = yaml.safe_load(open(sys.argv[1]))\n\
             assert a['runs']['using'] == 'composite'\n\
             n = 0\n\
             for i, s in enumerate(a['runs']['steps']):\n\
             \x20   if 'run' in s:\n\
             \x20       assert s.get('shell') == 'bash', s\n\
             \x20       open(f'{sys.argv[2]}/step{i}.sh', 'w').write('#!/usr/bin/env bash\\n' + s['run'])\n\
             \x20       n += 1\n\
             print(n)",
        )
        .arg(repo().join("action.yml"))
        .arg(tmp.path()));
    ok("read action.yml (PyYAML)", &o);
    let steps: usize = stdout(&o).trim().parse().unwrap();
    assert!(steps >= 2, "action.yml has {steps} run steps");
    let scripts: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for s in &scripts {
        let text = std::fs::read_to_string(s).unwrap();
        assert!(
            !text.contains("${{"),
            "{}: expressions belong in env:, not in the script:\n{text}",
            s.display()
        );
    }
    let o = run(Command::new(&shellcheck).args(&scripts));
    ok("shellcheck action.yml steps", &o);

    let o = run(Command::new(&hadolint).arg(repo().join("Dockerfile")));
    ok("hadolint Dockerfile", &o);
}
