//! `ngxray lint`: lint configuration files, directories or an `nginx -T` dump.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::diag::Severity;
use crate::lint::config::{self, FileConfig};
use crate::lint::{lint_paths, LintOptions, NginxVersion};
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

/// `.ngxray.toml`: `--config`, else found upward from the first input.
fn file_config(args: &LintArgs) -> Result<FileConfig, String> {
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => args
            .paths
            .first()
            .and_then(|p| config::find(&config::search_start(p))),
    };
    match path {
        Some(p) => config::load(&p).map_err(|e| e.to_string()),
        None => Ok(FileConfig::default()),
    }
}

pub fn run(args: LintArgs) -> u8 {
    let file = match file_config(&args) {
        Ok(c) => c,
        Err(e) => return super::fail(e),
    };
    for s in args.select.iter().chain(&args.ignore) {
        if !config::is_known_selector(s) {
            return super::fail(format!(
                "unknown rule or category \"{s}\" in --select/--ignore (see `ngxray rules`)"
            ));
        }
    }
    let threshold = match args.fail_on {
        Some(f) => f.threshold(),
        None => file.fail_on.unwrap_or(Some(Severity::Warning)),
    };
    let opts = LintOptions {
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
        config: args.config.clone(),
        resolve: args.resolve,
        resolve_with: crate::resolve::Settings {
            deadline: args.resolve_timeout,
            server: args.resolver,
            progress: std::io::stderr().is_terminal(),
        },
        settings: file.settings,
        modules: args.load_modules.clone(),
    };
    let outcome = match lint_paths(&args.paths, &opts) {
        Ok(o) => o,
        Err(e) => return super::fail(e),
    };
    let diags = &outcome.diagnostics;
    let sources = &outcome.loaded.sources;
    let summary = report::json::Summary::of(diags, outcome.loaded.files.len());
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
    let result = match args.format {
        LintFormat::Json => {
            report::json::write(&mut std::io::stdout().lock(), diags, sources, &summary)
        }
        LintFormat::Concise => super::write_out(report::concise::render(shown, sources)),
        LintFormat::Sarif => {
            use std::io::Write;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            report::sarif::write(&mut w, diags, sources).and_then(|()| w.flush())
        }
        LintFormat::Github => super::write_out(report::github::render(shown, sources)),
        LintFormat::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
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
            super::write_out(report::text::render(shown, sources, color))
                .and_then(|()| super::write_out(tail))
        }
    };
    if let Some(code) = super::written(result) {
        std::mem::forget(outcome);
        return code;
    }
    let code = if crate::lint::fails(diags, threshold) {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    };
    // The process exits right after: freeing the syntax trees and findings
    // one allocation at a time would cost as much as building them.
    std::mem::forget(outcome);
    code
}
