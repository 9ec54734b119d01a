//! The 502/504 risk rules: one file per rule, one registry.

use super::registry::RuleMeta;
use super::{LintOptions, LintOutcome};
use crate::diag::Diagnostic;

/// Metadata of every rule, in registry order.
pub const RULES: &[RuleMeta] = &[];

/// Run every selected rule.
pub fn check(_outcome: &LintOutcome, _opts: &LintOptions, _out: &mut Vec<Diagnostic>) {}
