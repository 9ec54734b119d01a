//! `ngxray lint` flags for scoping (which files, which findings: excludes,
//! ignore files, baselines) and fixes, kept apart from the output flags.

use std::path::PathBuf;

use clap::Args;

use crate::lint::config::FileConfig;
use crate::lint::scope::{self, Configs, Walk};
use crate::lint::{LintGroup, LintOptions};

#[derive(Debug, Args)]
#[command(next_help_heading = "Scoping")]
pub struct ScopeArgs {
    /// Skip paths matching these gitignore-style patterns when walking
    /// directories (comma-separated, repeatable; added to `exclude` /
    /// `extend-exclude` of .ngxray.toml). Files named on the command line
    /// are always linted.
    #[arg(long, value_name = "PATTERN", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Also walk hidden files and folders and paths that .gitignore,
    /// .ignore or .git/info/exclude name.
    #[arg(long)]
    pub no_ignore: bool,
    /// Report only findings not recorded in this baseline file (written by
    /// --write-baseline); says how many were baselined.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in this baseline file (exit 0 once written).
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Fixes")]
pub struct FixArgs {
    /// Apply safe fixes to the files (the real file behind a symlink,
    /// written through a temporary file), then report what is left.
    #[arg(long)]
    pub fix: bool,
    /// With --fix or --diff: apply unsafe fixes too (they change behaviour
    /// in ways the finding alone does not justify; review them).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of writing them (exit 1
    /// when there is something to fix).
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
}

/// Inputs grouped by governing `.ngxray.toml`, each with its options, and
/// the config of the first group (run-wide settings such as `fail-on`).
pub fn groups(
    paths: &[PathBuf],
    explicit: Option<PathBuf>,
    globs: &[String],
    s: &ScopeArgs,
    options: impl Fn(&FileConfig, Option<&PathBuf>) -> LintOptions,
) -> Result<(Vec<LintGroup>, FileConfig), String> {
    let mut configs = Configs::new(explicit).map_err(|e| e.to_string())?;
    let walk = Walk {
        globs: globs.to_vec(),
        exclude: s.exclude.clone(),
        no_ignore: s.no_ignore,
    };
    let plan = scope::plan(paths, &walk, &mut configs).map_err(|e| e.to_string())?;
    let mut first = None;
    let mut out = Vec::new();
    for (cfg, inputs) in scope::group(plan) {
        let file = cfg
            .as_ref()
            .and_then(|c| configs.get(c))
            .cloned()
            .unwrap_or_default();
        let opts = options(&file, cfg.as_ref());
        if first.is_none() {
            first = Some(file);
        }
        out.push(LintGroup {
            inputs,
            opts,
            config: cfg,
        });
    }
    Ok((out, first.unwrap_or_default()))
}

/// `--write-baseline` (returns the exit code: the run ends there) and
/// `--baseline` (drops recorded findings, says how many on stderr). With
/// either, the findings' fingerprints are computed here, before any is
/// dropped, and returned for the report: a finding carries the same
/// fingerprint in the baseline file and in SARIF / GitLab output.
pub fn baseline(
    s: &ScopeArgs,
    outcome: &mut crate::lint::LintOutcome,
    base_dir: Option<&std::path::Path>,
) -> Result<(Option<u8>, Option<crate::report::RunInfo>), String> {
    use crate::lint::baseline;
    if s.write_baseline.is_none() && s.baseline.is_none() {
        return Ok((None, None));
    }
    let mut info = crate::report::RunInfo::new(
        base_dir,
        &outcome.diagnostics,
        &outcome.loaded.sources,
        &outcome.loaded.files,
    );
    if let Some(path) = &s.write_baseline {
        let b = baseline::build(
            &outcome.diagnostics,
            &outcome.loaded,
            &info.fingerprints,
            &|p| info.repo_path(p),
        );
        baseline::write(&b, path).map_err(|e| e.to_string())?;
        eprintln!(
            "ngxray: {} finding(s) recorded in baseline {}",
            b.findings.len(),
            path.display()
        );
        return Ok((Some(super::EXIT_OK), None));
    }
    if let Some(path) = &s.baseline {
        let b = baseline::read(path).map_err(|e| e.to_string())?;
        let n = baseline::filter(&mut outcome.diagnostics, &mut info.fingerprints, &b);
        eprintln!(
            "ngxray: {n} finding(s) hidden by baseline {} ({} recorded)",
            path.display(),
            b.findings.len()
        );
    }
    Ok((None, Some(info)))
}

/// `--diff` (prints the fixes, returns the exit code) and `--fix` (writes
/// them, re-lints, at most `MAX_ROUNDS` rounds; reports what it fixed on
/// stderr and returns the final outcome).
pub fn fixes(
    f: &FixArgs,
    groups: &[LintGroup],
    mut outcome: crate::lint::LintOutcome,
) -> Result<(crate::lint::LintOutcome, Option<u8>), String> {
    use crate::fix;
    if f.diff {
        let planned = fix::plan(
            &outcome.diagnostics,
            &outcome.loaded.sources,
            f.unsafe_fixes,
        );
        let mut diff = Vec::new();
        let mut n = 0;
        for ff in &planned {
            diff.extend_from_slice(&fix::unified_diff(ff));
            n += ff.fixes.len();
        }
        // Exact bytes for `patch` and `git apply`; on a terminal, the
        // config's control characters are masked (a pull request must not
        // drive the reader's terminal through a diff either).
        if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            diff = crate::sanitize::mask_controls(&diff).into_owned();
            diff = String::from_utf8_lossy(&diff).into_owned().into_bytes();
        }
        super::write_out_bytes(&diff).map_err(|e| e.to_string())?;
        eprintln!(
            "ngxray: {n} fix(es) in {} file(s) would be applied{}",
            planned.len(),
            unsafe_hint(&outcome.diagnostics, f.unsafe_fixes)
        );
        let code = if planned.is_empty() {
            super::EXIT_OK
        } else {
            super::EXIT_FINDINGS
        };
        return Ok((outcome, Some(code)));
    }
    if !f.fix {
        return Ok((outcome, None));
    }
    let mut fixed: Vec<(String, &'static str, String)> = Vec::new();
    for _ in 0..fix::MAX_ROUNDS {
        let planned = fix::plan(
            &outcome.diagnostics,
            &outcome.loaded.sources,
            f.unsafe_fixes,
        );
        if planned.is_empty() {
            break;
        }
        for ff in &planned {
            fix::write_file(&ff.path, &ff.new)
                .map_err(|e| format!("cannot write {}: {e}", ff.path.display()))?;
            for (rule, msg) in &ff.fixes {
                fixed.push((ff.path.display().to_string(), rule, msg.clone()));
            }
        }
        let next = crate::lint::lint_groups(groups).map_err(|e| e.to_string())?;
        std::mem::forget(std::mem::replace(&mut outcome, next));
    }
    let files: std::collections::BTreeSet<&str> =
        fixed.iter().map(|(p, _, _)| p.as_str()).collect();
    for (path, rule, msg) in &fixed {
        eprintln!("ngxray: fixed {path}: [{rule}] {msg}");
    }
    eprintln!(
        "ngxray: fixed {} finding(s) in {} file(s){}",
        fixed.len(),
        files.len(),
        unsafe_hint(&outcome.diagnostics, f.unsafe_fixes)
    );
    Ok((outcome, None))
}

/// ", N more with --unsafe-fixes" when unsafe fixes were held back.
fn unsafe_hint(diags: &[crate::diag::Diagnostic], unsafe_fixes: bool) -> String {
    if unsafe_fixes {
        return String::new();
    }
    let n = diags
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| !crate::fix::allowed(f, false))
        })
        .count();
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} more fix(es) available with --unsafe-fixes)")
    }
}
