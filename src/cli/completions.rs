//! `ngxray completions SHELL` and `ngxray man [COMMAND]`: shell completion
//! scripts and man pages generated from the clap definitions at run time, so
//! they always match the flags of the binary that prints them (no build step,
//! nothing generated to keep in sync in the repository).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory};

use super::Cli;

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

pub fn run_completions(args: CompletionsArgs) -> u8 {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "ngxray", &mut buf);
    emit(&buf)
}

pub fn run_man(args: ManArgs) -> u8 {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = args.dir {
        return write_dir(&cmd, &dir);
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
    match render_page(page) {
        Ok(buf) => emit(&buf),
        Err(e) => super::fail(format!("cannot render the man page: {e}")),
    }
}

/// One page, as printed and as written by `--dir`.
fn render_page(page: clap::Command) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(page).render(&mut buf)?;
    Ok(buf)
}

/// `man --dir`: the pages clap_mangen::generate_to would write (the command
/// and its visible subcommands, recursively), rendered first, then written
/// safely (see [`super::man_dir`]).
fn write_dir(cmd: &clap::Command, dir: &std::path::Path) -> u8 {
    fn collect(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            collect(sub, out)?;
        }
        let name = clap_mangen::Man::new(cmd.clone()).get_filename();
        out.push((name, render_page(cmd.clone())?));
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
