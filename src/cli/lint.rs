//! `ngxray lint`: lint configuration files, directories or an `nginx -T` dump.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::diag::Severity;
use crate::lint::{lint_paths, LintOptions};
use crate::model::Context;
use crate::report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Graphical report with source snippets (colour on a terminal).
    Text,
    /// One `ngxray/lint/v1` JSON document.
    Json,
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
        format!("unknown context \"{s}\" (expected one of: {})", names.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint; `-` reads stdin (a config or an `nginx -T` dump).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// Lint files as if included in this context (main, events, http, server,
    /// location, upstream, stream, …). Default: inferred per file.
    #[arg(long, value_parser = parse_context)]
    pub context: Option<Context>,
    /// Directory relative includes resolve against (default: the main file's).
    #[arg(long)]
    pub prefix: Option<PathBuf>,
    /// File name globs to lint inside directories (repeatable).
    #[arg(long = "glob", value_name = "GLOB")]
    pub globs: Vec<String>,
}

pub fn run(args: LintArgs) -> u8 {
    let opts = LintOptions {
        context: args.context,
        prefix: args.prefix.clone(),
        globs: args.globs.clone(),
    };
    let outcome = match lint_paths(&args.paths, &opts) {
        Ok(o) => o,
        Err(e) => return super::fail(e),
    };
    let diags = &outcome.diagnostics;
    let sources = &outcome.loaded.sources;
    let summary = report::json::Summary::of(diags, outcome.loaded.files.len());
    match args.format {
        LintFormat::Json => println!("{}", report::json::render(diags, sources, &summary)),
        LintFormat::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            print!("{}", report::text::render(diags, sources, color));
            if diags.is_empty() {
                println!("ngxray: {} file(s) checked, no problems found", summary.files);
            } else {
                println!(
                    "ngxray: {} file(s) checked: {} error(s), {} warning(s), {} info",
                    summary.files, summary.errors, summary.warnings, summary.infos
                );
            }
        }
    }
    if crate::lint::fails(diags, args.fail_on.threshold()) {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}
