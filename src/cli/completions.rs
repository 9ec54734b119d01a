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
        return match clap_mangen::generate_to(cmd, &dir) {
            Ok(()) => super::EXIT_OK,
            Err(e) => super::fail(format!("cannot write man pages to {}: {e}", dir.display())),
        };
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
    if let Err(e) = clap_mangen::Man::new(page).render(&mut buf) {
        return super::fail(format!("cannot render the man page: {e}"));
    }
    emit(&buf)
}
