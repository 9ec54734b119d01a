//! `ngxray logs`: read error logs, classify and group every line.

use clap::Args;

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log files, globs or directories; `-` (or nothing, with piped input) reads stdin.
    pub paths: Vec<String>,
}

pub fn run(_args: LogsArgs) -> u8 {
    super::fail("`ngxray logs` is not available yet")
}
