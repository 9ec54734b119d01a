//! `.ngxray.toml`: project settings for `ngxray lint`, found upward from the
//! linted path (or given with `--config`). Unknown keys are errors, reported
//! with file, line and key — a typo never silently disables a setting.
//!
//! ```toml
//! nginx-version = "1.24"
//! flavor = "oss"                 # or "plus"
//! select = ["dns", "upstream"]   # rule ids or categories (default: all)
//! ignore = ["upstream/unused-upstream"]
//! fail-on = "warning"            # error | warning | info | never
//!
//! [rules."timeout/aggressive-read-timeout"]
//! severity = "error"             # error | warning | info | off
//! threshold = "5s"               # the rule's own options
//! ```
//!
//! Also here: selection (`--select`/`--ignore` by id or category, the most
//! specific match wins) and per-rule severity overrides, applied to the
//! diagnostics after every check ran.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::registry;
use super::LintOptions;
use crate::diag::{Diagnostic, Severity};

/// The file name searched for.
pub const FILE_NAME: &str = ".ngxray.toml";

/// A problem with `.ngxray.toml` (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        /// The key at fault, when there is one.
        key: Option<String>,
        message: String,
    },
}

/// Per-rule settings that travel with [`LintOptions`].
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The file they came from.
    pub path: Option<PathBuf>,
    /// rule id → severity (`None` = off).
    pub severity: HashMap<String, Option<Severity>>,
    /// rule id → options table (validated).
    pub options: HashMap<String, toml::Table>,
}

/// A parsed `.ngxray.toml`.
#[derive(Debug, Clone, Default)]
pub struct FileConfig {
    pub nginx_version: Option<super::NginxVersion>,
    pub plus: Option<bool>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// `fail-on`: `None` inside means "never".
    pub fail_on: Option<Option<Severity>>,
    pub settings: Settings,
    /// `[paths]`: install path → repository path (relative to the file's
    /// folder), for absolute includes.
    pub path_map: Vec<(PathBuf, PathBuf)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    nginx_version: Option<Spanned<String>>,
    flavor: Option<Spanned<String>>,
    #[serde(default)]
    select: Vec<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, toml::Value>>,
    #[serde(default)]
    paths: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// Find `.ngxray.toml` in `start` or its ancestors.
pub fn find(start: &Path) -> Option<PathBuf> {
    let abs = if start.is_absolute() {
        start.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(start)
    };
    abs.ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// The directory to search from for a linted path (`-` = current dir).
pub fn search_start(path: &Path) -> PathBuf {
    if path == Path::new("-") {
        return PathBuf::from(".");
    }
    if path.is_dir() {
        return path.to_path_buf();
    }
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Read and validate a config file.
pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, path)
}

fn invalid(text: &str, path: &Path, at: usize, key: Option<&str>, message: String) -> ConfigError {
    let at = at.min(text.len());
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map(|i| before[i + 1..].chars().count())
        .unwrap_or_else(|| before.chars().count())
        + 1;
    ConfigError::Invalid {
        path: path.display().to_string(),
        line,
        column,
        key: key.map(str::to_string),
        message,
    }
}

/// Is this an id or a category of a registered rule?
pub fn is_known_selector(s: &str) -> bool {
    registry::all()
        .iter()
        .any(|r| r.id == s || r.category() == s)
}

/// Parse and validate config text (`path` is for messages).
pub fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| s.start).unwrap_or(0);
        let msg = e.message().trim().to_string();
        let key = msg
            .split("unknown field `")
            .nth(1)
            .and_then(|r| r.split('`').next())
            .map(str::to_string);
        let message = match &key {
            Some(k) => format!("unknown key \"{k}\" ({msg})"),
            None => msg,
        };
        invalid(text, path, at, key.as_deref(), message)
    })?;
    let mut out = FileConfig::default();
    if let Some(v) = raw.nginx_version {
        out.nginx_version = Some(super::NginxVersion::parse(v.get_ref()).ok_or_else(|| {
            invalid(
                text,
                path,
                v.span().start,
                Some("nginx-version"),
                format!(
                    "invalid nginx-version \"{}\" (expected e.g. \"1.24\" or \"1.27.3\")",
                    v.get_ref()
                ),
            )
        })?);
    }
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    for (from, to) in &raw.paths {
        if !from.get_ref().starts_with('/') {
            return Err(invalid(
                text,
                path,
                from.span().start,
                Some("paths"),
                format!(
                    "invalid path map key \"{}\" (expected an absolute install path such as \"/etc/nginx\")",
                    from.get_ref()
                ),
            ));
        }
        out.path_map
            .push((PathBuf::from(from.get_ref()), base.join(to.get_ref())));
    }
    if let Some(v) = raw.flavor {
        out.plus = Some(match v.get_ref().as_str() {
            "oss" => false,
            "plus" => true,
            other => {
                return Err(invalid(
                    text,
                    path,
                    v.span().start,
                    Some("flavor"),
                    format!("invalid flavor \"{other}\" (expected \"oss\" or \"plus\")"),
                ))
            }
        });
    }
    if let Some(v) = raw.fail_on {
        out.fail_on = Some(match v.get_ref().as_str() {
            "never" => None,
            s => Some(Severity::parse(s).ok_or_else(|| {
                invalid(
                    text,
                    path,
                    v.span().start,
                    Some("fail-on"),
                    format!("invalid fail-on \"{s}\" (expected error, warning, info or never)"),
                )
            })?),
        });
    }
    for (list, key, dst) in [
        (raw.select, "select", &mut out.select),
        (raw.ignore, "ignore", &mut out.ignore),
    ] {
        for s in list {
            if !is_known_selector(s.get_ref()) {
                return Err(invalid(
                    text,
                    path,
                    s.span().start,
                    Some(key),
                    format!(
                        "unknown rule or category \"{}\" in {key} (see `ngxray rules`)",
                        s.get_ref()
                    ),
                ));
            }
            dst.push(s.into_inner());
        }
    }
    out.settings.path = Some(path.to_path_buf());
    for (id, table) in raw.rules {
        let id_span = id.span();
        let id = id.into_inner();
        let Some(meta) = registry::find(&id) else {
            return Err(invalid(
                text,
                path,
                id_span.start,
                Some(&id),
                format!("unknown rule \"{id}\" in [rules] (see `ngxray rules`)"),
            ));
        };
        let mut opts = toml::Table::new();
        let mut spans: HashMap<String, usize> = HashMap::new();
        for (k, v) in table {
            let k_span = k.span().start;
            let k = k.into_inner();
            if k == "severity" {
                let sev = match v.as_str() {
                    Some("off") => None,
                    Some(s) if Severity::parse(s).is_some() => Severity::parse(s),
                    _ => {
                        return Err(invalid(
                            text,
                            path,
                            k_span,
                            Some("severity"),
                            format!(
                                "invalid severity {v} for \"{id}\" (expected \"error\", \"warning\", \"info\" or \"off\")"
                            ),
                        ))
                    }
                };
                out.settings.severity.insert(id.clone(), sev);
                continue;
            }
            spans.insert(k.clone(), k_span);
            opts.insert(k, v);
        }
        if opts.is_empty() {
            continue;
        }
        let result = match meta.options() {
            Some(f) => f(&opts),
            None => Err(super::rule::OptionError {
                key: opts.keys().next().cloned(),
                message: format!("rule \"{id}\" takes no options"),
            }),
        };
        if let Err(e) = result {
            let at = e
                .key
                .as_ref()
                .and_then(|k| spans.get(k).copied())
                .unwrap_or(id_span.start);
            let message = match &e.key {
                Some(k) => format!("[rules.\"{id}\"] {k}: {}", e.message),
                None => format!("[rules.\"{id}\"]: {}", e.message),
            };
            return Err(invalid(text, path, at, e.key.as_deref(), message));
        }
        out.settings.options.insert(id, opts);
    }
    Ok(out)
}

/// How specifically a selector names an id: 2 = the id, 1 = its category.
fn specificity(selector: &str, id: &str) -> Option<u8> {
    if selector == id {
        Some(2)
    } else if id
        .strip_prefix(selector)
        .is_some_and(|r| r.starts_with('/'))
    {
        Some(1)
    } else {
        None
    }
}

/// Is a rule id selected by `--select`/`--ignore` (and not turned off)?
/// The most specific selector wins; on a tie, ignore wins.
pub fn is_selected(id: &str, opts: &LintOptions) -> bool {
    if let Some(None) = opts.settings.severity.get(id) {
        return false;
    }
    let sel = if opts.select.is_empty() {
        Some(0)
    } else {
        opts.select.iter().filter_map(|s| specificity(s, id)).max()
    };
    let ign = opts.ignore.iter().filter_map(|s| specificity(s, id)).max();
    match (sel, ign) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(s), Some(i)) => s > i,
    }
}

/// Drop diagnostics of unselected ids (syntax errors always stay) and apply
/// severity overrides.
pub fn apply(diags: &mut Vec<Diagnostic>, opts: &LintOptions) {
    diags.retain(|d| d.category() == "syntax" || is_selected(d.rule, opts));
    for d in diags.iter_mut() {
        if let Some(Some(s)) = opts.settings.severity.get(d.rule) {
            d.severity = *s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, Option<String>, String) {
        match parse(text, Path::new(".ngxray.toml")) {
            Err(ConfigError::Invalid {
                line, key, message, ..
            }) => (line, key, message),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn parses_settings() {
        let c = parse(
            "nginx-version = \"1.27.3\"\nselect = [\"dns\"]\nignore = [\"dns/localhost-dual-stack\"]\nfail-on = \"error\"\n[rules.\"timeout/aggressive-read-timeout\"]\nseverity = \"error\"\nthreshold = \"5s\"\n",
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(c.nginx_version, Some(super::super::NginxVersion(1, 27, 3)));
        assert_eq!(c.select, ["dns"]);
        assert_eq!(c.fail_on, Some(Some(Severity::Error)));
        assert_eq!(
            c.settings.severity.get("timeout/aggressive-read-timeout"),
            Some(&Some(Severity::Error))
        );
        assert!(c
            .settings
            .options
            .contains_key("timeout/aggressive-read-timeout"));
    }

    #[test]
    fn rejects_unknown_keys_with_line() {
        let (line, key, _) = err("select = []\nnginx_versoin = \"1.24\"\n");
        assert_eq!((line, key.as_deref()), (2, Some("nginx_versoin")));
        let (line, key, _) = err(
            "[rules.\"timeout/aggressive-read-timeout\"]\nthreshold = \"5s\"\nthresold = \"1s\"\n",
        );
        assert_eq!((line, key.as_deref()), (3, Some("thresold")));
        let (line, key, _) =
            err("[rules.\"timeout/aggressive-read-timeout\"]\nthreshold = \"five\"\n");
        assert_eq!((line, key.as_deref()), (2, Some("threshold")));
        let (line, _, msg) = err("\n[rules.\"dns/no-such-rule\"]\nseverity = \"error\"\n");
        assert_eq!(line, 2);
        assert!(msg.contains("unknown rule"));
        let (line, key, _) = err("ignore = [\"dns/nope\"]\n");
        assert_eq!((line, key.as_deref()), (1, Some("ignore")));
        let (line, _, _) = err("select = [\n");
        assert!(line >= 1);
    }

    #[test]
    fn selection_specificity() {
        let mut o = LintOptions::default();
        assert!(is_selected("dns/a", &o));
        o.select = vec!["dns".into()];
        assert!(is_selected("dns/a", &o));
        assert!(!is_selected("upstream/b", &o));
        o.ignore = vec!["dns/a".into()];
        assert!(!is_selected("dns/a", &o));
        assert!(is_selected("dns/b", &o));
        o.select = vec!["dns/a".into()];
        o.ignore = vec!["dns".into()];
        assert!(is_selected("dns/a", &o));
    }
}
