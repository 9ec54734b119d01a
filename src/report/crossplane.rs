//! `parse --format crossplane`: crossplane's `parse` JSON.

use crate::cli::parse::ParseArgs;

/// Entry point for `ngxray parse --format crossplane`.
pub fn run_cli(_args: &ParseArgs) -> u8 {
    crate::cli::fail("--format crossplane is not available yet")
}
