//! Command-line definitions (clap derive) and dispatch: one file per
//! subcommand. Commands return an exit code (0, 1 or 2); they render errors
//! themselves with miette and never panic on user input.

use clap::{Parser, Subcommand};

pub mod completions;
pub mod diagnose;
pub mod export;
pub mod lint;
pub mod lint_scope;
pub mod logs;
pub mod logs_merge;
mod man_dir;
pub mod parse;
pub mod probe;
pub mod rules;

/// Exit code: nothing at or above the failure threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings at or above the failure threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage, configuration or I/O error.
pub const EXIT_ERROR: u8 = 2;

/// Find the causes of nginx 502 Bad Gateway and 504 Gateway Timeout.
#[derive(Debug, Parser)]
#[command(name = "ngxray", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint nginx configuration for 502/504 risks and syntax errors.
    Lint(lint::LintArgs),
    /// Group nginx error.log lines by cause × upstream × server.
    Logs(logs::LogsArgs),
    /// Join the config with its access and error logs: which directive, which upstream, since when, what to change.
    Diagnose(diagnose::DiagnoseArgs),
    /// Print the parsed configuration as JSON (ngxray's tree or crossplane's).
    Parse(parse::ParseArgs),
    /// Probe every backend the configuration names (resolve, connect, TLS, request).
    #[command(long_about = probe::LONG_ABOUT)]
    Probe(probe::ProbeArgs),
    /// List every rule id with its default severity.
    Rules(rules::RulesArgs),
    /// Print a rule's documentation.
    Explain(rules::ExplainArgs),
    /// Print the log classifier as ClickHouse SQL functions or a Vector VRL program.
    Export(export::ExportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) of ngxray or of one subcommand.
    Man(completions::ManArgs),
}

/// Run a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Lint(a) => lint::run(a),
        Command::Logs(a) => logs::run(a),
        Command::Diagnose(a) => diagnose::run(a),
        Command::Parse(a) => parse::run(a),
        Command::Probe(a) => probe::run(a),
        Command::Rules(a) => rules::run_rules(a),
        Command::Explain(a) => rules::run_explain(a),
        Command::Export(a) => export::run(a),
        Command::Completions(a) => completions::run_completions(a),
        Command::Man(a) => completions::run_man(a),
    }
}

/// Print an error the way every command does and return [`EXIT_ERROR`].
pub fn fail(err: impl std::fmt::Display) -> u8 {
    eprintln!("ngxray: error: {err}");
    EXIT_ERROR
}

/// Write to stdout, flushing, and return the error.
pub fn write_out(text: impl AsRef<str>) -> std::io::Result<()> {
    write_out_bytes(text.as_ref().as_bytes())
}

/// Write bytes to stdout as they are (a diff that `patch` must apply).
pub fn write_out_bytes(bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut w = std::io::stdout().lock();
    w.write_all(bytes).and_then(|()| w.flush())
}

/// How a report write ended: a closed pipe (`ngxray … | head`) ends output
/// quietly, as Unix tools do; any other error (a full disk, `> /dev/full`)
/// is reported and is exit 2, never a silent success.
pub fn written(result: std::io::Result<()>) -> Option<u8> {
    match result {
        Ok(()) => None,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => None,
        Err(e) => Some(fail(format!("cannot write the report: {e}"))),
    }
}

/// Write to stdout. A closed pipe (`ngxray … | head`) ends output quietly,
/// as Unix tools do, instead of panicking like `print!`.
pub fn out(text: impl AsRef<str>) {
    use std::io::Write;
    let mut w = std::io::stdout().lock();
    let _ = w
        .write_all(text.as_ref().as_bytes())
        .and_then(|()| w.flush());
}
