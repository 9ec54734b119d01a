//! The 502/504 risk rules: one file per rule, one registry ([`ALL`]).
//!
//! # Writing a rule
//!
//! A rule is a file `src/lint/rules/<category>/<name>.rs` exporting
//! `pub const RULE: Rule`:
//!
//! ```ignore
//! pub const RULE: Rule = Rule {
//!     meta: RuleMeta {
//!         id: "timeout/aggressive-read-timeout",
//!         severity: Severity::Warning,
//!         summary: "…",
//!         doc: Some(include_str!("../../../../docs/rules/timeout/aggressive-read-timeout.md")),
//!     },
//!     check,
//!     options: Some(validate::<Options>), // or None
//! };
//! fn check(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) { … }
//! ```
//!
//! * `check` reads the [`Model`] through `cx.model` (passes, upstreams,
//!   effective values) and pushes [`Diagnostic`]s made with [`diag`] (which
//!   stamps the id and default severity). Rules never print and never read
//!   raw text; severity overrides, `--select`/`--ignore` and inline
//!   suppressions are applied after all rules ran ([`super::config`], [`super::suppress`]).
//! * Options: a `#[derive(Deserialize, Default)] #[serde(deny_unknown_fields,
//!   rename_all = "kebab-case", default)]` struct implementing
//!   [`RuleOptions`]; `cx.options::<Options>(META.id)` returns the values of
//!   `[rules."<id>"]` from `.ngxray.toml` (already validated) or defaults.
//! * Register it: one line in [`ALL`]. Then add its doc
//!   `docs/rules/<category>/<name>.md` and fixtures
//!   `testdata/rules/<category>/<name>/{fire,ok}.conf`; the test suite fails
//!   while any is missing.

use serde::de::DeserializeOwned;

use super::registry::RuleMeta;
use super::{LintOptions, LintOutcome};
use crate::diag::{Diagnostic, Severity};
use crate::model::{Context, Model};

pub mod dns;
pub mod timeout;
pub mod upstream;

pub mod buffer;
pub mod inherit;
pub mod keepalive;
pub mod protocol;
pub mod resources;
pub mod tls;
pub mod util;

/// What a rule sees.
pub struct RuleContext<'a> {
    pub model: &'a Model<'a>,
    pub opts: &'a LintOptions,
}

impl RuleContext<'_> {
    /// The rule's options from `.ngxray.toml`, or the defaults.
    pub fn options<T: RuleOptions>(&self, id: &str) -> T {
        self.opts
            .settings
            .options
            .get(id)
            .and_then(|t| toml::Value::Table(t.clone()).try_into::<T>().ok())
            .unwrap_or_default()
    }
}

/// Typed per-rule options (`[rules."<id>"]` in `.ngxray.toml`).
pub trait RuleOptions: DeserializeOwned + Default {
    /// Check values beyond their types (e.g. that a time parses). The error
    /// names the key.
    fn validate(&self) -> Result<(), OptionError> {
        Ok(())
    }
}

/// An invalid option value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The offending key, when known.
    pub key: Option<String>,
    pub message: String,
}

impl OptionError {
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        OptionError {
            key: Some(key.to_string()),
            message: message.into(),
        }
    }
}

/// Validate a table of options against a rule's option struct.
pub fn validate<T: RuleOptions>(table: &toml::Table) -> Result<(), OptionError> {
    match toml::Value::Table(table.clone()).try_into::<T>() {
        Ok(v) => v.validate(),
        Err(e) => {
            let msg = e.message().to_string();
            // name the offending key: unknown field, or the key that fails alone
            let key = msg
                .split("unknown field `")
                .nth(1)
                .and_then(|r| r.split('`').next())
                .map(str::to_string)
                .or_else(|| {
                    table.iter().find_map(|(k, v)| {
                        let mut one = toml::Table::new();
                        one.insert(k.clone(), v.clone());
                        toml::Value::Table(one)
                            .try_into::<T>()
                            .is_err()
                            .then(|| k.clone())
                    })
                });
            Err(OptionError { key, message: msg })
        }
    }
}

/// Checks a rule's options table.
pub type OptionsValidator = fn(&toml::Table) -> Result<(), OptionError>;

/// A rule: metadata, check, options validator.
pub struct Rule {
    pub meta: RuleMeta,
    pub check: fn(&RuleContext<'_>, &mut Vec<Diagnostic>),
    /// Validates `[rules."<id>"]` options; `None` when the rule has none.
    pub options: Option<OptionsValidator>,
}

/// A diagnostic of a rule at its default severity.
pub fn diag(meta: &RuleMeta, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(meta.id, meta.severity, message)
}

/// Every rule, in registry order. One line per rule.
pub const ALL: &[Rule] = &[
    dns::variable_pass_without_resolver::RULE,
    dns::static_hostname_resolved_once::RULE,
    dns::unresolvable_host::RULE,
    dns::localhost_dual_stack::RULE,
    dns::resolve_param_misconfigured::RULE,
    dns::resolver_timeout_too_long::RULE,
    upstream::undefined_upstream_name::RULE,
    upstream::duplicate_upstream_name::RULE,
    upstream::missing_health_params::RULE,
    upstream::health_checks_disabled::RULE,
    upstream::single_server_guard_lost::RULE,
    upstream::next_upstream_marks_http_errors::RULE,
    upstream::retry_unbounded::RULE,
    upstream::proxy_loop_to_self::RULE,
    upstream::unused_upstream::RULE,
    timeout::aggressive_read_timeout::RULE,
    timeout::connect_timeout_out_of_range::RULE,
    timeout::websocket_idle_timeout::RULE,
    keepalive::upstream_keepalive_ineffective::RULE,
    keepalive::hardcoded_connection_upgrade::RULE,
    keepalive::idle_timeout_race::RULE,
    buffer::header_buffer_too_small::RULE,
    buffer::busy_buffers_invalid::RULE,
    tls::sni_disabled::RULE,
    tls::sni_name_is_upstream_group::RULE,
    tls::verify_misconfigured::RULE,
    tls::scheme_port_mismatch::RULE,
    protocol::websocket_upgrade_missing::RULE,
    protocol::pass_directive_mismatch::RULE,
    inherit::proxy_set_header_dropped::RULE,
    resources::fd_limit_below_connections::RULE,
];

/// Ids reported by inline-suppression handling (not rules over the model).
pub const SUPPRESS: &[RuleMeta] = &[
    RuleMeta {
        id: "suppress/unknown-rule",
        severity: Severity::Warning,
        summary: "an `# ngxray: ignore[…]` names a rule id or category that does not exist",
        doc: Some(include_str!("../../../docs/rules/suppress/unknown-rule.md")),
    },
    RuleMeta {
        id: "suppress/unused",
        severity: Severity::Info,
        summary: "an `# ngxray: ignore[…]` that suppressed nothing",
        doc: Some(include_str!("../../../docs/rules/suppress/unused.md")),
    },
];

const N: usize = ALL.len() + SUPPRESS.len();

const METAS: [RuleMeta; N] = {
    let mut a = [SUPPRESS[0]; N];
    let mut i = 0;
    while i < ALL.len() {
        a[i] = ALL[i].meta;
        i += 1;
    }
    let mut j = 0;
    while j < SUPPRESS.len() {
        a[ALL.len() + j] = SUPPRESS[j];
        j += 1;
    }
    a
};

/// Metadata of every rule, in registry order.
pub const RULES: &[RuleMeta] = &METAS;

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static Rule> {
    ALL.iter().find(|r| r.meta.id == id)
}

/// Rules that run only on request (`--resolve`).
pub fn runs(rule: &Rule, opts: &LintOptions) -> bool {
    (rule.meta.id != dns::unresolvable_host::RULE.meta.id || opts.resolve)
        && super::config::is_selected(rule.meta.id, opts)
}

/// Build the model of the outcome's roots and run every selected rule.
pub fn check(outcome: &LintOutcome, opts: &LintOptions, out: &mut Vec<Diagnostic>) {
    let roots: Vec<(crate::syntax::FileId, Context)> =
        outcome.roots.iter().map(|r| (r.file, r.context)).collect();
    let model = Model::build(&outcome.loaded, &roots);
    let cx = RuleContext {
        model: &model,
        opts,
    };
    // Rules only read the model: run them on all cores, and keep the
    // registry's order in the output.
    use rayon::prelude::*;
    let found: Vec<Vec<Diagnostic>> = ALL
        .par_iter()
        .filter(|rule| runs(rule, opts))
        .map(|rule| {
            let mut v = Vec::new();
            (rule.check)(&cx, &mut v);
            v
        })
        .collect();
    out.extend(found.into_iter().flatten());
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
    fn registry_lists_each_rule_once_with_doc() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(n, ids.len());
        assert!(RULES.iter().all(|r| r.doc.is_some()));
        assert_eq!(RULES.len(), ALL.len() + SUPPRESS.len());
    }

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
