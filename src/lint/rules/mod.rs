//! The 502/504 risk rules over the model: one file per rule under its
//! category, each listed once in [`super::registry::ALL`].
//!
//! # Writing a rule
//!
//! See CONTRIBUTING.md ("Adding a rule") and [`super::rule`]: a file
//! `<category>/<name>.rs` declaring `pub const RULE: Rule = rule! { … }`,
//! its name in the `rules! { … }` list of `<category>/mod.rs`, a doc
//! page `docs/rules/<id>.md` and fixtures `testdata/rules/<id>/`.
//! `scripts/new-rule <category>/<name>` writes all of them.
//!
//! `check` reads the [`Model`] through `cx.model` (passes, upstreams,
//! effective values) and pushes [`Diagnostic`]s made with [`diag`] (which
//! stamps the id and default severity). Rules never print and never read
//! raw text; severity overrides, `--select`/`--ignore` and inline
//! suppressions are applied after all rules ran ([`super::config`],
//! [`super::suppress`]).

use super::registry;
use super::rule::{Check, Rule};
use super::{Findings, LintOptions, LintOutcome};
use crate::diag::Diagnostic;
use crate::model::{Context, Model};

pub use super::rule::diag;

pub mod buffer;
pub mod dns;
pub mod inherit;
pub mod keepalive;
pub mod protocol;
pub mod resources;
pub mod timeout;
pub mod tls;
pub mod upstream;
pub mod util;

/// Rules that run only on request (`--resolve`).
pub fn runs(rule: &Rule, opts: &LintOptions) -> bool {
    (rule.meta.id != dns::unresolvable_host::RULE.meta.id || opts.resolve)
        && super::config::is_selected(rule.meta.id, opts)
}

/// Build the model of the outcome's roots and run every selected rule (on
/// all cores when `parallel`). The findings come one list per rule, in the
/// registry's order. They are kept packed ([`Findings`]) while the model
/// is alive and unpacked after it is dropped, so that the model and the
/// whole findings never take memory at the same time.
pub fn check(outcome: &LintOutcome, opts: &LintOptions, parallel: bool) -> Vec<Vec<Diagnostic>> {
    let roots: Vec<(crate::syntax::FileId, Context)> =
        outcome.roots.iter().map(|r| (r.file, r.context)).collect();
    let model = Model::build(&outcome.loaded, &roots);
    // Rules only read the model: run them on all cores, and keep the
    // registry's order in the output.
    use rayon::prelude::*;
    let selected: Vec<&Rule> = registry::model_rules()
        .filter(|rule| runs(rule, opts))
        .collect();
    let one = |rule: &&Rule| {
        let mut found = Findings::new();
        if let Check::Model { run, .. } = rule.check {
            run(
                &model,
                opts,
                opts.settings.options.get(rule.meta.id),
                &mut found,
            );
        }
        found
    };
    let packed: Vec<Findings> = if parallel {
        selected.par_iter().map(one).collect()
    } else {
        selected.iter().map(one).collect()
    };
    drop(model);
    packed.into_iter().map(Findings::into_vec).collect()
}

/// Closest name by edit distance (for "did you mean"), when close enough.
pub fn did_you_mean<'n>(word: &str, names: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    let w = word.to_ascii_lowercase();
    names
        .map(|n| (strsim::levenshtein(&w, &n.to_ascii_lowercase()), n))
        .filter(|(d, n)| *d > 0 && *d <= (n.len().max(w.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("backnd", ["backend", "api"].into_iter()),
            Some("backend")
        );
        assert_eq!(did_you_mean("zzz", ["backend"].into_iter()), None);
        assert_eq!(did_you_mean("backend", ["backend"].into_iter()), None);
    }
}
