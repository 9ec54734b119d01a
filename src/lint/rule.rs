//! The rule API: what every rule id ngxray reports is ([`RuleMeta`],
//! [`Rule`]), what a rule over the model sees ([`RuleContext`]), and the
//! [`rule!`](crate::rule) constructor that builds one from its id, default
//! severity, summary, options type and check. The doc page of an id is
//! `docs/rules/<id>.md`, compiled in from that path, so an id without a page
//! does not build.
//!
//! This module depends on nothing in `lint` but [`LintOptions`]; the
//! registry ([`super::registry`]) lists every [`Rule`] once.
//!
//! ```ignore
//! pub const RULE: Rule = rule! {
//!     id: "timeout/aggressive-read-timeout",
//!     severity: Warning,
//!     summary: "`*_read_timeout` below a floor: slow responses become 504",
//!     options: Options,            // optional: a serde type, default `()`
//!     check: check,                // fn(&RuleContext<'_, Options>, &mut Findings)
//! };
//! ```

use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;

use super::{Findings, LintOptions};
use crate::diag::{Diagnostic, Severity, Text};
use crate::model::values::{parse_size, parse_time, Millis};
use crate::model::Model;

/// Metadata of one rule id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMeta {
    /// `category/kebab-name`.
    pub id: &'static str,
    pub severity: Severity,
    /// One line: what it finds.
    pub summary: &'static str,
    /// The rule's markdown page, `docs/rules/<id>.md`.
    pub doc: &'static str,
}

impl RuleMeta {
    pub fn category(&self) -> &'static str {
        self.id.split('/').next().unwrap_or(self.id)
    }

    /// Relative path of the rule's doc page.
    pub fn doc_path(&self) -> String {
        format!("docs/rules/{}.md", self.id)
    }
}

/// Runs a rule over the model: deserializes its options (or takes the
/// defaults) and calls its check.
pub type RunFn = fn(&Model<'_>, &LintOptions, Option<&toml::Table>, &mut Findings);

/// Checks a rule's options table (`[rules."<id>"]` of `.ngxray.toml`).
pub type OptionsFn = fn(&toml::Table) -> Result<(), OptionError>;

/// How a rule id is found.
#[derive(Clone, Copy)]
pub enum Check {
    /// By a pass of its own: loading (syntax, includes), grammar validation,
    /// inline suppressions. The id is registered for `rules`, `explain`,
    /// SARIF and configuration.
    Builtin,
    /// By a check over the [`Model`], run with the other rules.
    Model {
        run: RunFn,
        /// `None` when the rule takes no options.
        options: Option<OptionsFn>,
    },
}

/// A registered rule id: its metadata and how it is found.
#[derive(Clone, Copy)]
pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

impl Rule {
    pub const fn id(&self) -> &'static str {
        self.meta.id
    }

    /// Validates options for this rule; `None` when it takes none.
    pub fn options(&self) -> Option<OptionsFn> {
        match self.check {
            Check::Model { options, .. } => options,
            Check::Builtin => None,
        }
    }

    /// A diagnostic of this rule at its default severity.
    pub fn diag(&self, message: impl Into<Text>) -> Diagnostic {
        Diagnostic::new(self.meta.id, self.meta.severity, message)
    }
}

/// A diagnostic of a rule at its default severity.
pub fn diag(meta: &RuleMeta, message: impl Into<Text>) -> Diagnostic {
    Diagnostic::new(meta.id, meta.severity, message)
}

/// What a rule over the model sees.
pub struct RuleContext<'a, O = ()> {
    pub model: &'a Model<'a>,
    /// The run's options (target version, flavor, `--resolve`, …).
    pub lint: &'a LintOptions,
    /// The rule's own options: `[rules."<id>"]` of `.ngxray.toml`, or the
    /// defaults.
    pub options: O,
}

/// Run `check` with options deserialized from `table` (validated when the
/// configuration was read), or the defaults.
pub fn run<O: DeserializeOwned + Default>(
    model: &Model<'_>,
    lint: &LintOptions,
    table: Option<&toml::Table>,
    out: &mut Findings,
    check: fn(&RuleContext<'_, O>, &mut Findings),
) {
    let options = table
        .and_then(|t| toml::Value::Table(t.clone()).try_into::<O>().ok())
        .unwrap_or_default();
    check(
        &RuleContext {
            model,
            lint,
            options,
        },
        out,
    );
}

/// An invalid option value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The offending key, when known.
    pub key: Option<String>,
    pub message: String,
}

/// Deserialize a table of options into a rule's options type; the error
/// names the offending key (an unknown one, or the one that fails alone).
pub fn validate<O: DeserializeOwned>(table: &toml::Table) -> Result<(), OptionError> {
    let Err(e) = toml::Value::Table(table.clone()).try_into::<O>() else {
        return Ok(());
    };
    let msg = e.message().to_string();
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
                    .try_into::<O>()
                    .is_err()
                    .then(|| k.clone())
            })
        });
    Err(OptionError { key, message: msg })
}

/// An nginx time in an option (`"10s"`, `"1m30s"`), in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time(pub Millis);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_time(&s).map(Time).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "\"{s}\" is not an nginx time (e.g. \"10s\", \"1m30s\")"
            ))
        })
    }
}

/// An nginx time above zero in an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositiveTime(pub Millis);

impl<'de> Deserialize<'de> for PositiveTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match parse_time(&s) {
            Some(ms) if ms > 0 => Ok(PositiveTime(ms)),
            _ => Err(serde::de::Error::custom(format!(
                "\"{s}\" is not a positive nginx time (e.g. \"3s\")"
            ))),
        }
    }
}

/// An nginx size in an option (`"4k"`, `"1m"`), in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Size(pub u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_size(&s).map(Size).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "\"{s}\" is not an nginx size (e.g. \"4k\", \"16k\", \"1m\")"
            ))
        })
    }
}

/// Build a [`Rule`]: id, default severity, one-line summary, and for a rule
/// over the model its check and (optionally) its options type. The doc page
/// is `docs/rules/<id>.md`. See the module documentation.
#[macro_export]
macro_rules! rule {
    (id: $id:literal, severity: $sev:ident, summary: $summary:expr $(,)?) => {
        $crate::lint::rule::Rule {
            meta: $crate::rule!(@meta $id, $sev, $summary),
            check: $crate::lint::rule::Check::Builtin,
        }
    };
    (id: $id:literal, severity: $sev:ident, summary: $summary:expr, check: $check:path $(,)?) => {
        $crate::lint::rule::Rule {
            meta: $crate::rule!(@meta $id, $sev, $summary),
            check: $crate::lint::rule::Check::Model {
                run: |m, l, t, out| $crate::lint::rule::run::<()>(m, l, t, out, $check),
                options: None,
            },
        }
    };
    (id: $id:literal, severity: $sev:ident, summary: $summary:expr, options: $opt:ty, check: $check:path $(,)?) => {
        $crate::lint::rule::Rule {
            meta: $crate::rule!(@meta $id, $sev, $summary),
            check: $crate::lint::rule::Check::Model {
                run: |m, l, t, out| $crate::lint::rule::run::<$opt>(m, l, t, out, $check),
                options: Some($crate::lint::rule::validate::<$opt>),
            },
        }
    };
    (@meta $id:literal, $sev:ident, $summary:expr) => {
        $crate::lint::rule::RuleMeta {
            id: $id,
            severity: $crate::diag::Severity::$sev,
            summary: $summary,
            doc: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules/", $id, ".md")),
        }
    };
}

/// Declare the rules of one category: each name is the module of one rule
/// file (`<category>/<name>.rs`, declaring `pub const RULE`), and the
/// category's `RULES` lists them in this order for the registry. Listing a
/// rule here is the one line that registers it.
#[macro_export]
macro_rules! rules {
    ($($rule:ident),* $(,)?) => {
        $(pub mod $rule;)*

        /// The rules of this category, in the order `ngxray rules` lists them.
        pub const RULES: &[$crate::lint::rule::Rule] = &[$($rule::RULE),*];
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
    struct Opts {
        threshold: Option<Time>,
        size: Option<Size>,
    }

    fn table(s: &str) -> toml::Table {
        s.parse().expect("toml")
    }

    #[test]
    fn options_errors_name_the_key() {
        assert_eq!(validate::<Opts>(&table("threshold = \"5s\"")), Ok(()));
        let e = validate::<Opts>(&table("threshold = \"five\"")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("threshold"));
        assert!(e.message.contains("\"five\" is not an nginx time"), "{e:?}");
        let e = validate::<Opts>(&table("size = \"4k\"\nthresold = \"1s\"")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("thresold"));
        let e = validate::<Opts>(&table("size = \"big\"")).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("size"));
    }

    #[test]
    fn doc_page_comes_from_the_id() {
        const R: Rule = crate::rule! {
            id: "grammar/unknown-directive",
            severity: Error,
            summary: "s",
        };
        assert!(R.meta.doc.starts_with("# grammar/unknown-directive\n"));
        assert_eq!(R.meta.doc_path(), "docs/rules/grammar/unknown-directive.md");
        assert!(R.options().is_none());
    }
}
