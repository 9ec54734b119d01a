//! The one shape every finding takes, whatever produced it (syntax, include
//! resolution, grammar validation, rules): a rule id, a severity, a message, a
//! primary span, related spans and a help line. Producers fill it; reporters in
//! `report/` render it. Nothing here prints.

use crate::source::{SourceMap, Span};
use crate::syntax::SyntaxError;
use serde::Serialize;
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A finding's text (message, help, label, fix): immutable and shared.
///
/// Findings repeat their texts: one rule fires on every location of a
/// generated config, one snippet included by every server yields the same
/// finding in each, and findings are kept until the report. Equal texts
/// made on one thread share one allocation (a small per-thread cache of
/// recent texts), so a finding costs its spans and a few pointers, not
/// copies of its sentences. The cache is a memo only: it is cleared when
/// full, never changes what a text says, and is the only state kept
/// between calls.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Text(Arc<str>);

/// How many distinct texts a thread remembers before it starts over.
const TEXT_CACHE: usize = 4096;

/// Longest text a finding says (bytes): longer ones are cut at a character
/// boundary and end with `…`. Messages quote names and values from the
/// config, and a config may hold a 5 MB word: no report quotes more than a
/// bounded piece of the source (the text report quotes lines up to the
/// same length).
pub const MAX_TEXT: usize = 1024;

thread_local! {
    static TEXTS: RefCell<rustc_hash::FxHashSet<Arc<str>>> = RefCell::default();
}

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Address of the shared allocation: equal for clones of one text.
    pub fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as *const u8 as usize
    }

    /// `s` whole, however long: for the replacement text of an [`Edit`],
    /// which must be what the fix writes.
    pub fn verbatim(s: &str) -> Text {
        Text::cached(s)
    }

    /// `s`, cut to [`MAX_TEXT`].
    fn shared(s: &str) -> Text {
        if s.len() <= MAX_TEXT {
            return Text::cached(s);
        }
        let mut n = MAX_TEXT;
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        Text::cached(&format!("{}…", &s[..n]))
    }

    fn cached(s: &str) -> Text {
        TEXTS.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some(t) = cache.get(s) {
                return Text(Arc::clone(t));
            }
            if cache.len() >= TEXT_CACHE {
                cache.clear();
            }
            let t: Arc<str> = Arc::from(s);
            cache.insert(Arc::clone(&t));
            Text(t)
        })
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::shared(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::shared(&s)
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::shared(s)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" | "note" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary location with a short message ("upstream defined here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: Text,
}

/// Whether a fix may be applied without review (ruff's model): `Safe`
/// fixes do what the finding's help says to the reported directives only;
/// `Unsafe` ones change behaviour beyond that (a value that depends on the
/// backend, an inherited setting dropped) and need `--unsafe-fixes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Unsafe,
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// Replace the bytes of `span` with `replacement` (an empty span inserts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: Text,
}

/// A mechanical fix: text edits on exact spans, applied all or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    /// What it does ("add `max_fails=3 fail_timeout=30s` to 2 servers").
    pub message: Text,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn new(applicability: Applicability, message: impl Into<Text>, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability,
            message: message.into(),
            edits,
        }
    }
}

/// One finding: a pointer to its [`Details`], which it derefs to
/// (`d.message`, `d.span`). Findings are kept, merged and sorted by the
/// hundred thousand; a pointer moves where 160 bytes were copied, and a
/// growing list of them leaves no large blocks behind (rustc's `Diag` is
/// boxed for the same reason).
#[derive(Clone, PartialEq, Eq)]
pub struct Diagnostic(Box<Details>);

impl Deref for Diagnostic {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for Diagnostic {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

impl fmt::Debug for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// The fields of a [`Diagnostic`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    /// Stable rule id, `category/kebab-name`.
    pub rule: &'static str,
    pub severity: Severity,
    pub message: Text,
    /// Primary location. `None` only for findings about a whole run (e.g. an
    /// unreadable input) that have no source text.
    pub span: Option<Span>,
    /// Short label for the primary span.
    pub label: Option<Text>,
    pub related: Vec<Label>,
    pub help: Option<Text>,
    /// A mechanical fix, when the rule has one (see `crate::fix`).
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn new(rule: &'static str, severity: Severity, message: impl Into<Text>) -> Self {
        Diagnostic(Box::new(Details {
            rule,
            severity,
            message: message.into(),
            span: None,
            label: None,
            related: Vec::new(),
            help: None,
            fix: None,
        }))
    }

    pub fn error(rule: &'static str, message: impl Into<Text>) -> Self {
        Self::new(rule, Severity::Error, message)
    }

    pub fn warning(rule: &'static str, message: impl Into<Text>) -> Self {
        Self::new(rule, Severity::Warning, message)
    }

    pub fn info(rule: &'static str, message: impl Into<Text>) -> Self {
        Self::new(rule, Severity::Info, message)
    }

    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn with_label(mut self, label: impl Into<Text>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<Text>) -> Self {
        // Most findings have one related span: no room kept for more.
        self.related.reserve_exact(1);
        self.related.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<Text>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Attach a fix (`None` leaves the finding without one).
    pub fn with_fix(mut self, fix: impl Into<Option<Fix>>) -> Self {
        self.fix = fix.into();
        self
    }

    /// The category part of the rule id (`dns` for `dns/…`).
    pub fn category(&self) -> &'static str {
        self.rule.split('/').next().unwrap_or(self.rule)
    }

    /// Sort key: file, offset, rule.
    pub fn sort_key(&self) -> (u32, usize, &'static str) {
        match self.span {
            Some(s) => (s.file.0, s.start(), self.rule),
            None => (0, 0, self.rule),
        }
    }
}

/// A diagnostic with its positions resolved, ready for a reporter. It
/// borrows its texts from the diagnostic and the source map.
#[derive(Debug, Clone, Serialize)]
pub struct Located<'a> {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub offset: Option<usize>,
    pub end_offset: Option<usize>,
    pub help: Option<&'a str>,
    pub related: Vec<LocatedLabel<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<LocatedFix<'a>>,
    /// The rule's documentation page, for the reports that link it (set by
    /// [`Located::with_url`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'static str>,
}

impl Located<'_> {
    pub fn with_url(mut self, url: &'static str) -> Self {
        self.url = Some(url);
        self
    }
}

/// A fix with its edits resolved to positions (for SARIF and JSON).
#[derive(Debug, Clone, Serialize)]
pub struct LocatedFix<'a> {
    pub applicability: Applicability,
    pub message: &'a str,
    pub edits: Vec<LocatedEdit<'a>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocatedEdit<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub offset: usize,
    pub end_offset: usize,
    pub replacement: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocatedLabel<'a> {
    pub message: &'a str,
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Diagnostic {
    pub fn locate<'a>(&'a self, sources: &'a SourceMap) -> Located<'a> {
        let (file, start, end) = match self
            .span
            .and_then(|s| sources.try_get(s.file).map(|f| (s, f)))
        {
            Some((s, f)) => (
                Some(f.display_name()),
                Some(f.position(s.start())),
                Some(f.position(s.end())),
            ),
            None => (None, None, None),
        };
        Located {
            rule: self.rule,
            severity: self.severity,
            message: &self.message,
            file,
            line: start.map(|p| p.line),
            column: start.map(|p| p.column),
            end_line: end.map(|p| p.line),
            end_column: end.map(|p| p.column),
            offset: start.map(|p| p.offset),
            end_offset: end.map(|p| p.offset),
            help: self.help.as_deref(),
            related: self
                .related
                .iter()
                .filter_map(|l| {
                    let f = sources.try_get(l.span.file)?;
                    let (s, e) = (f.position(l.span.start()), f.position(l.span.end()));
                    Some(LocatedLabel {
                        message: &l.message,
                        file: f.display_name(),
                        line: s.line,
                        column: s.column,
                        end_line: e.line,
                        end_column: e.column,
                    })
                })
                .collect(),
            fix: self.fix.as_ref().map(|f| LocatedFix {
                applicability: f.applicability,
                message: &f.message,
                edits: f
                    .edits
                    .iter()
                    .filter_map(|e| {
                        let file = sources.try_get(e.span.file)?;
                        let (s, t) = (file.position(e.span.start()), file.position(e.span.end()));
                        Some(LocatedEdit {
                            file: file.display_name(),
                            line: s.line,
                            column: s.column,
                            end_line: t.line,
                            end_column: t.column,
                            offset: s.offset,
                            end_offset: t.offset,
                            replacement: &e.replacement,
                        })
                    })
                    .collect(),
            }),
            url: None,
        }
    }
}

impl From<&SyntaxError> for Diagnostic {
    /// A syntax error as a finding: the consumer converts, so the syntax
    /// layer knows nothing of diagnostics.
    fn from(e: &SyntaxError) -> Self {
        let mut d = Diagnostic::error(e.kind.rule_id(), e.message.clone())
            .with_span(e.span)
            .with_help(e.help());
        if let Some((s, m)) = &e.related {
            d = d.with_related(*s, m.clone());
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_allocation() {
        let a = Text::from(format!("proxy_read_timeout is {}s", 1));
        let b = Text::from("proxy_read_timeout is 1s");
        assert_eq!(a, b);
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a.as_str(), "proxy_read_timeout is 1s");
        assert_ne!(Text::from("other"), a);
    }

    #[test]
    fn long_texts_are_cut_at_a_character_boundary_but_edits_are_not() {
        let long = "é".repeat(600);
        let t = Text::from(long.as_str());
        assert!(t.len() <= MAX_TEXT + "…".len(), "{}", t.len());
        assert!(t.ends_with("é…"));
        assert_eq!(Text::verbatim(&long).as_str(), long);
        assert_eq!(Text::from("short").as_str(), "short");
    }

    #[test]
    fn a_full_cache_starts_over_and_texts_stay_right() {
        let kept = Text::from("kept");
        let many: Vec<Text> = (0..TEXT_CACHE + 10)
            .map(|i| Text::from(i.to_string()))
            .collect();
        assert_eq!(many[7].as_str(), "7");
        assert_eq!(kept.as_str(), "kept");
        assert_eq!(Text::from("kept"), kept);
    }
}
