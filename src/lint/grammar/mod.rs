//! Directive grammar validation, as `nginx -t` does it: known names,
//! contexts, argument counts, values, versions.

use super::registry::RuleMeta;
use super::{LintOptions, LintOutcome};
use crate::diag::Diagnostic;

/// Rule ids reported by grammar validation.
pub const RULES: &[RuleMeta] = &[];

/// Validate every directive reachable from the roots.
pub fn check(_outcome: &LintOutcome, _opts: &LintOptions, _out: &mut Vec<Diagnostic>) {}
