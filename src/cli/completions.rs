//! `ngxray completions SHELL` and `ngxray man [COMMAND]`: shell completion
//! scripts and man pages generated from the clap definitions at run time, so
//! they always match the flags of the binary that prints them (no build step,
//! nothing generated to keep in sync in the repository).
//!
//! Completions also offer the values that live in tables rather than in clap
//! (rule ids and categories from the rule registry, cause ids from the cause
//! table); man pages add EXIT STATUS, ENVIRONMENT, FILES and EXAMPLES
//! ([`man_extra`]) to what clap_mangen renders.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, CommandFactory};

use super::Cli;
use crate::lint::registry;
use crate::logs::causes;

mod man_extra;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Print the page of this subcommand (e.g. `lint` for ngxray-lint(1))
    /// instead of ngxray(1).
    pub command: Option<String>,
    /// Write every page (ngxray.1, ngxray-lint.1, …) into this directory
    /// instead of printing one.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

/// Write to stdout; a closed pipe (`| head`) is not an error.
fn emit(bytes: &[u8]) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => super::EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => super::EXIT_OK,
        Err(e) => super::fail(format!("cannot write to stdout: {e}")),
    }
}

/// Rule ids (with their summaries) and their categories: the values of
/// `lint --select/--ignore` and `explain`.
fn rule_values(with_categories: bool) -> Vec<PossibleValue> {
    let rules = registry::all();
    let mut values: Vec<PossibleValue> = Vec::new();
    if with_categories {
        let mut cats: Vec<&'static str> = rules.iter().map(|r| r.category()).collect();
        cats.sort_unstable();
        cats.dedup();
        values.extend(
            cats.into_iter()
                .map(|c| PossibleValue::new(c).help("every rule of this category")),
        );
    }
    values.extend(
        rules
            .iter()
            .map(|r| PossibleValue::new(r.id).help(r.summary)),
    );
    values
}

/// Cause ids (with their titles): the values of `logs --cause/--fail-on-cause`.
fn cause_values() -> Vec<PossibleValue> {
    causes::CAUSES
        .iter()
        .map(|c| PossibleValue::new(c.id).help(c.title))
        .collect()
}

/// Give `arg` of subcommand `sub` these values to complete. Only the
/// completion script sees them: parsing and `--help` stay as defined (the
/// commands check ids themselves, with their own messages). A flag that
/// does not exist (renamed) is left alone; the tests notice the missing
/// values.
fn offer(cmd: clap::Command, sub: &str, arg: &str, values: &[PossibleValue]) -> clap::Command {
    let has = cmd
        .find_subcommand(sub)
        .is_some_and(|s| s.get_arguments().any(|a| a.get_id() == arg));
    if !has {
        return cmd;
    }
    let values = values.to_vec();
    cmd.mut_subcommand(sub, |s| {
        s.mut_arg(arg, |a| a.value_parser(PossibleValuesParser::new(values)))
    })
}

/// The command line as the completion scripts see it.
pub fn completion_command() -> clap::Command {
    let selectors = rule_values(true);
    let rules = rule_values(false);
    let causes = cause_values();
    let cmd = Cli::command();
    let cmd = offer(cmd, "lint", "select", &selectors);
    let cmd = offer(cmd, "lint", "ignore", &selectors);
    let cmd = offer(cmd, "explain", "rule", &rules);
    let cmd = offer(cmd, "logs", "cause", &causes);
    offer(cmd, "logs", "fail_on_cause", &causes)
}

pub fn run_completions(args: CompletionsArgs) -> u8 {
    let mut cmd = completion_command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "ngxray", &mut buf);
    emit(&buf)
}

/// One man page: clap_mangen's sections (NAME, SYNOPSIS, DESCRIPTION,
/// OPTIONS, SUBCOMMANDS), then EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES,
/// then VERSION. `cmd` is built (subcommands carry their `ngxray-NAME`
/// display names).
pub fn render_page(cmd: clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    let page = cmd
        .get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string();
    let has_args = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_subs = cmd.get_subcommands().any(|s| !s.is_hide_set());
    let has_after = cmd.get_after_long_help().is_some() || cmd.get_after_help().is_some();
    let has_version = cmd
        .get_version()
        .or_else(|| cmd.get_long_version())
        .is_some();
    let man = clap_mangen::Man::new(cmd);
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if has_args {
        man.render_options_section(w)?;
    }
    if has_subs {
        man.render_subcommands_section(w)?;
    }
    if has_after {
        man.render_extra_section(w)?;
    }
    man_extra::render(&page).to_writer(w)?;
    if has_version {
        man.render_version_section(w)?;
    }
    Ok(())
}

/// Every page (the command and, recursively, its visible subcommands) as
/// `NAME.1`, as `clap_mangen::generate_to` names them, rendered in memory
/// first, then written safely into `dir` ([`super::man_dir`]).
fn write_pages(cmd: &clap::Command, dir: &Path) -> u8 {
    fn collect(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            collect(sub, out)?;
        }
        let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
        let mut buf = Vec::new();
        render_page(cmd.clone(), &mut buf)?;
        out.push((format!("{name}.1"), buf));
        Ok(())
    }
    let mut pages = Vec::new();
    if let Err(e) = collect(cmd, &mut pages) {
        return super::fail(format!("cannot render the man pages: {e}"));
    }
    match super::man_dir::write_pages(dir, &pages) {
        Ok(_) => super::EXIT_OK,
        Err(e) => super::fail(format!("man --dir: {e}")),
    }
}

pub fn run_man(args: ManArgs) -> u8 {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = args.dir {
        return write_pages(&cmd, &dir);
    }
    let page = match &args.command {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                return super::fail(format!(
                    "unknown command \"{name}\" (expected one of: {})",
                    names.join(", ")
                ));
            }
        },
    };
    let mut buf = Vec::new();
    if let Err(e) = render_page(page, &mut buf) {
        return super::fail(format!("cannot render the man page: {e}"));
    }
    emit(&buf)
}
