//! `ngxray lint`: lint configuration files, directories or an `nginx -T` dump.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::diag::Severity;
use crate::lint::config::{self, FileConfig};
use crate::lint::{lint_groups, LintOptions, NginxVersion};
use crate::model::Context;
use crate::report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Graphical report with source snippets (colour on a terminal).
    Text,
    /// One line per finding: `path:line:col: severity[rule-id] message`.
    Concise,
    /// One `ngxray/lint/v1` JSON document.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab Code Quality report (the merge-request widget).
    Gitlab,
    /// reviewdog's Diagnostic Format (`reviewdog -f=rdjson`).
    Rdjson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

fn parse_context(s: &str) -> Result<Context, String> {
    Context::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Context::NAMED.iter().map(|c| c.as_str()).collect();
        format!(
            "unknown context \"{s}\" (expected one of: {})",
            names.join(", ")
        )
    })
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint; `-` reads stdin (a config or an `nginx -T` dump).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// Exit 1 when a finding at or above this severity exists (default
    /// warning, or `fail-on` in .ngxray.toml).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Lint files as if included in this context (main, events, http, server,
    /// location, upstream, stream, …). Default: inferred per file.
    #[arg(long, value_parser = parse_context)]
    pub context: Option<Context>,
    /// nginx's conf prefix, the directory relative includes resolve against
    /// (default: the nearest folder above the file that holds nginx.conf,
    /// else the main file's folder).
    #[arg(long)]
    pub prefix: Option<PathBuf>,
    /// Read an absolute include path from the repository instead of the
    /// install location: `--path-map /etc/nginx=deploy/nginx` (repeatable;
    /// `[paths]` in .ngxray.toml).
    #[arg(long = "path-map", value_name = "FROM=TO", value_parser = parse_path_map)]
    pub path_map: Vec<(PathBuf, PathBuf)>,
    /// Lint templates after substituting defined environment variables
    /// (`$NAME`, `${NAME}`), as the nginx Docker image's envsubst step does.
    #[arg(long)]
    pub env_subst: bool,
    /// The given files are the whole configuration: report missing
    /// directives (certificate, log format, resolver, …) in fragments too,
    /// instead of one `include/incomplete-config` info.
    #[arg(long)]
    pub complete: bool,
    /// File name globs to lint inside directories (repeatable).
    #[arg(long = "glob", value_name = "GLOB")]
    pub globs: Vec<String>,
    /// Target nginx version, e.g. 1.24 or 1.27.3, or `auto` (the local
    /// `nginx -v`). Default: `nginx-version` in .ngxray.toml, else the newest
    /// stable release, with newer directives the config uses accepted and
    /// risks that older releases have still reported.
    #[arg(long, value_parser = parse_version)]
    pub nginx_version: Option<NginxVersion>,
    /// nginx flavor: `oss` or `plus` (NGINX Plus-only directives allowed;
    /// default oss, or `flavor` in .ngxray.toml).
    #[arg(long, value_enum)]
    pub flavor: Option<Flavor>,
    /// Only run these rule ids or categories (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Skip these rule ids or categories (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Use this `.ngxray.toml` instead of searching upward from the input.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Resolve upstream host names through the system resolver (`dns/unresolvable-host`).
    #[arg(long)]
    pub resolve: bool,
    /// Deadline for all `--resolve` lookups together (nginx time, e.g. 5s,
    /// 500ms; default 5s). Names without an answer by then are reported as
    /// "could not be checked" (info).
    #[arg(long, value_name = "TIME", value_parser = parse_timeout, requires = "resolve")]
    pub resolve_timeout: Option<std::time::Duration>,
    /// Ask this DNS server (`IP[:PORT]`) instead of the system resolver for
    /// `--resolve`.
    #[arg(long, value_name = "ADDR", value_parser = crate::resolve::parse_server, requires = "resolve")]
    pub resolver: Option<std::net::SocketAddr>,
    /// Dynamic module assumed loaded, as by `load_module` (e.g.
    /// ngx_http_lua_module.so; comma-separated, repeatable). Third-party
    /// directives of other modules are then unknown directives.
    #[arg(long = "load-module", value_name = "MODULE", value_delimiter = ',')]
    pub load_modules: Vec<String>,
    // Scoping, baselines and fixes: their own flag groups.
    #[command(flatten)]
    pub scope: super::lint_scope::ScopeArgs,
    #[command(flatten)]
    pub fixes: super::lint_scope::FixArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Where the report goes and how it looks (CI flags).
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print how many findings each rule has instead of the findings (a
    /// table; a JSON array with --format json).
    #[arg(long)]
    pub statistics: bool,
    /// Exit 0 even with findings at or above --fail-on (an unreadable
    /// input or a usage error still exits 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Print the findings and nothing else (no summary line).
    #[arg(short, long)]
    pub quiet: bool,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// The file that standard input (`-`) holds: findings name it and
    /// `.ngxray.toml` is searched from it.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// The repository root that SARIF, GitLab, rdjson and GitHub paths are
    /// relative to (default: the nearest folder above the current directory
    /// that holds `.git`, else the current directory).
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// Colour in the text report. auto: on a terminal, unless NO_COLOR is
    /// set and non-empty; FORCE_COLOR or CLICOLOR_FORCE (non-empty, not 0)
    /// force it, e.g. in CI logs.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether to colour: the flag, then FORCE_COLOR / CLICOLOR_FORCE, then
/// NO_COLOR (each only when set to a non-empty value), then whether the
/// output is a terminal.
pub fn use_color(
    choice: ColorChoice,
    terminal: bool,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let forced = |k: &str| env(k).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") => true,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto => terminal,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Flavor {
    Oss,
    Plus,
}

fn parse_version(s: &str) -> Result<NginxVersion, String> {
    if s == "auto" {
        return local_nginx_version();
    }
    NginxVersion::parse(s)
        .ok_or_else(|| format!("invalid nginx version \"{s}\" (expected e.g. 1.24 or 1.27.3)"))
}

/// `nginx -v` of the local nginx (it prints `nginx version: nginx/1.24.0`
/// on stderr).
fn local_nginx_version() -> Result<NginxVersion, String> {
    let out = std::process::Command::new("nginx")
        .arg("-v")
        .output()
        .map_err(|e| format!("--nginx-version auto: cannot run `nginx -v`: {e}"))?;
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("nginx/").and_then(NginxVersion::parse))
        .ok_or_else(|| {
            format!(
                "--nginx-version auto: no version in `nginx -v` output: {}",
                text.trim()
            )
        })
}

fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    match crate::model::values::parse_time(s) {
        Some(ms) if ms > 0 => Ok(std::time::Duration::from_millis(ms)),
        _ => Err(format!(
            "invalid time \"{s}\" (expected a positive nginx time, e.g. 5s or 500ms)"
        )),
    }
}

fn parse_path_map(s: &str) -> Result<(PathBuf, PathBuf), String> {
    match s.split_once('=') {
        Some((from, to)) if from.starts_with('/') && !to.is_empty() => {
            Ok((PathBuf::from(from), PathBuf::from(to)))
        }
        _ => Err(format!(
            "invalid path map \"{s}\" (expected /INSTALL/PATH=REPO/PATH, e.g. /etc/nginx=deploy/nginx)"
        )),
    }
}

/// The options for inputs governed by `file` (command line first).
fn options(args: &LintArgs, file: &FileConfig, path: Option<&PathBuf>) -> LintOptions {
    LintOptions {
        context: args.context,
        prefix: args.prefix.clone(),
        globs: args.globs.clone(),
        nginx_version: args
            .nginx_version
            .or(file.nginx_version)
            .unwrap_or_default(),
        version_known: args.nginx_version.or(file.nginx_version).is_some(),
        plus: match args.flavor {
            Some(f) => f == Flavor::Plus,
            None => file.plus.unwrap_or(false),
        },
        flavor_known: args.flavor.is_some() || file.plus.is_some(),
        path_map: args
            .path_map
            .iter()
            .cloned()
            .chain(file.path_map.iter().cloned())
            .collect(),
        env_subst: args.env_subst,
        complete: args.complete,
        select: if args.select.is_empty() {
            file.select.clone()
        } else {
            args.select.clone()
        },
        ignore: file.ignore.iter().chain(&args.ignore).cloned().collect(),
        config: path.cloned(),
        resolve: args.resolve,
        resolve_with: crate::resolve::ResolveSettings {
            deadline: args.resolve_timeout,
            server: args.resolver,
            progress: std::io::stderr().is_terminal(),
        },
        settings: file.settings.clone(),
        modules: args.load_modules.clone(),
        per_file_ignores: file.per_file_ignores.clone(),
    }
}

pub fn run(args: LintArgs) -> u8 {
    for s in args.select.iter().chain(&args.ignore) {
        if !config::is_known_selector(s) {
            return super::fail(format!(
                "unknown rule or category \"{s}\" in --select/--ignore (see `ngxray rules`)"
            ));
        }
    }
    // `--stdin-filename`: the `.ngxray.toml` governing standard input is
    // searched from the name it stands for.
    let explicit = args.config.clone().or_else(|| {
        let name = args.output.stdin_filename.as_ref()?;
        if args.paths.iter().all(|p| p.as_os_str() == "-") {
            config::find(&config::search_start(name))
        } else {
            None
        }
    });
    let (groups, file) = match super::lint_scope::groups(
        &args.paths,
        explicit,
        &args.globs,
        &args.scope,
        |file, path| options(&args, file, path),
    ) {
        Ok(g) => g,
        Err(e) => return super::fail(e),
    };
    let out = &args.output;
    if out.stdin_filename.is_some() && !args.paths.iter().any(|p| p.as_os_str() == "-") {
        return super::fail("--stdin-filename names standard input: give `-` as an input");
    }
    if out.statistics && !matches!(args.format, LintFormat::Text | LintFormat::Json) {
        return super::fail("--statistics prints a table (--format text) or JSON (--format json)");
    }
    let threshold = match args.fail_on {
        Some(f) => f.threshold(),
        None => file.fail_on.unwrap_or(Some(Severity::Warning)),
    };
    let outcome = match lint_groups(&groups) {
        Ok(o) => o,
        Err(e) => return super::fail(e),
    };
    let mut outcome = match super::lint_scope::fixes(&args.fixes, &groups, outcome) {
        Ok((o, None)) => o,
        Ok((o, Some(code))) => {
            std::mem::forget(o);
            return code;
        }
        Err(e) => return super::fail(e),
    };
    if let Some(name) = &out.stdin_filename {
        let stdin = std::path::Path::new("<stdin>");
        if let Some(id) = outcome.loaded.sources.find(stdin) {
            outcome.loaded.sources.set_path(id, name.clone());
        }
    }
    let info = match super::lint_scope::baseline(&args.scope, &mut outcome, out.base_dir.as_deref())
    {
        Ok((Some(code), _)) => {
            std::mem::forget(outcome);
            return code;
        }
        Ok((None, info)) => info,
        Err(e) => return super::fail(e),
    };
    let code = report_and_exit(&args, &outcome, threshold, info);
    // The process exits right after: freeing the syntax trees and findings
    // one allocation at a time would cost as much as building them.
    std::mem::forget(outcome);
    code
}

/// Write the report where `--output-file` says, in `--format`, and decide
/// the exit code.
fn report_and_exit(
    args: &LintArgs,
    outcome: &crate::lint::LintOutcome,
    threshold: Option<Severity>,
    info: Option<report::RunInfo>,
) -> u8 {
    use std::io::Write;
    let out = &args.output;
    let diags = &outcome.diagnostics;
    let sources = &outcome.loaded.sources;
    let summary = report::json::Summary::of(diags, outcome.loaded.files.len());
    let unreadable: Vec<&crate::diag::Diagnostic> = diags
        .iter()
        .filter(|d| d.rule == report::IO_UNREADABLE)
        .collect();
    for d in &unreadable {
        eprintln!("ngxray: error: {}", crate::sanitize::diagnostic(d).message);
    }
    // Text meant for a terminal: texts from the config cleaned of control
    // characters (JSON and SARIF escape them).
    let cleaned: Vec<crate::diag::Diagnostic>;
    let shown: &[crate::diag::Diagnostic] = if matches!(
        args.format,
        LintFormat::Text | LintFormat::Concise | LintFormat::Github
    ) && diags
        .iter()
        .any(|d| matches!(crate::sanitize::diagnostic(d), std::borrow::Cow::Owned(_)))
    {
        cleaned = diags
            .iter()
            .map(|d| crate::sanitize::diagnostic(d).into_owned())
            .collect();
        &cleaned
    } else {
        diags
    };
    let (mut sink, terminal): (Box<dyn Write>, bool) = match &out.output_file {
        Some(p) => match crate::fix::create_output(p) {
            Ok(f) => (
                Box::new(std::io::BufWriter::with_capacity(1 << 16, f)),
                false,
            ),
            Err(e) => return super::fail(format!("cannot create {}: {e}", p.display())),
        },
        None => (
            Box::new(std::io::BufWriter::with_capacity(
                1 << 16,
                std::io::stdout().lock(),
            )),
            std::io::stdout().is_terminal(),
        ),
    };
    // Fingerprints computed before a baseline dropped findings are kept
    // (occurrence indices count the dropped ones too).
    let info = || {
        info.clone().unwrap_or_else(|| {
            report::RunInfo::new(
                out.base_dir.as_deref(),
                diags,
                sources,
                &outcome.loaded.files,
            )
        })
    };
    let w = &mut sink;
    let result = match args.format {
        _ if out.statistics => {
            let counts = report::statistics::counts(diags);
            if args.format == LintFormat::Json {
                w.write_all(report::statistics::render_json(&counts).as_bytes())
            } else {
                w.write_all(report::statistics::render_text(&counts).as_bytes())
            }
        }
        LintFormat::Json => report::json::write(w, diags, sources, &summary),
        LintFormat::Concise => report::concise::write(w, shown, sources),
        LintFormat::Sarif => report::sarif::write(w, diags, sources, &info()),
        LintFormat::Github => report::github::write(w, shown, sources, &info()),
        LintFormat::Gitlab => report::gitlab::write(w, diags, sources, &info()),
        LintFormat::Rdjson => report::rdjson::write(w, diags, sources, &info()),
        LintFormat::Text => {
            let color = use_color(out.color, terminal, |k| std::env::var_os(k));
            report::text::write(w, shown, sources, color).and_then(|()| {
                if out.quiet {
                    return Ok(());
                }
                let tail = if diags.is_empty() {
                    format!(
                        "ngxray: {} file(s) checked, no problems found\n",
                        summary.files
                    )
                } else {
                    format!(
                        "ngxray: {} file(s) checked: {} error(s), {} warning(s), {} info\n",
                        summary.files, summary.errors, summary.warnings, summary.infos
                    )
                };
                w.write_all(tail.as_bytes())
            })
        }
    };
    if let Some(code) = super::written(result.and_then(|()| sink.flush())) {
        return code;
    }
    if !unreadable.is_empty() {
        super::EXIT_ERROR
    } else if !out.exit_zero && crate::lint::fails(diags, threshold) {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}
