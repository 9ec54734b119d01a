//! nginx's name lookup for grammar validation: which row of the directive
//! table a name resolves to in a context for the target version, flavor and
//! loaded modules, and what to say when none does (unknown, not allowed
//! here, not in this version, module not loaded, a spelling suggestion).

use std::collections::HashSet;

use super::checker::Checker;
use super::table::{context_bit, table, DirectiveRow, ModuleKind};
use super::{
    DID_YOU_MEAN, NOT_ALLOWED_HERE, UNAVAILABLE_IN_VERSION, UNKNOWN_DIRECTIVE, UNKNOWN_LABEL,
};
use crate::diag::Diagnostic;
use crate::lint::LintOptions;
use crate::model::Context;
use crate::syntax::Directive;

/// Is a row usable for this run?
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Avail {
    Yes,
    /// A third-party row when nothing says which modules are loaded.
    Assumed,
    NoModule,
    NoPlus,
    NoVersion,
}

pub(super) fn avail(
    e: &DirectiveRow,
    opts: &LintOptions,
    modules: &Option<HashSet<String>>,
) -> Avail {
    match e.kind {
        ModuleKind::Oss => {
            if e.exists_in(opts.grammar_version()) {
                Avail::Yes
            } else {
                Avail::NoVersion
            }
        }
        ModuleKind::Removed => {
            if e.exists_in(opts.nginx_version) {
                Avail::Yes
            } else {
                Avail::NoVersion
            }
        }
        ModuleKind::Plus => {
            if opts.plus {
                Avail::Yes
            } else if !opts.flavor_known {
                Avail::Assumed
            } else {
                Avail::NoPlus
            }
        }
        ModuleKind::External | ModuleKind::ThirdParty => match modules {
            None => Avail::Assumed,
            Some(m) if m.contains(e.load) => Avail::Yes,
            Some(_) => Avail::NoModule,
        },
    }
}

impl<'a, 'o> Checker<'a, 'o> {
    /// nginx's name lookup: the first usable row allowing this context.
    /// Reports and returns `None` when there is none.
    pub(super) fn resolve(
        &mut self,
        d: &Directive,
        ctx: Context,
        group: Option<usize>,
    ) -> Option<&'static DirectiveRow> {
        let name = d.name();
        let rows = match group {
            Some(g) => self.table.rows(g),
            None => &[],
        };
        let v = self.opts.grammar_version();
        let bit = context_bit(ctx);
        // Fast path, no allocation: the first usable row allowing `ctx`.
        if let Some(e) = rows.iter().find(|e| {
            matches!(
                avail(e, self.opts, &self.modules),
                Avail::Yes | Avail::Assumed
            ) && e.at(v).0 & bit != 0
        }) {
            return Some(e);
        }
        let usable: Vec<&'static DirectiveRow> = rows
            .iter()
            .filter(|e| {
                matches!(
                    avail(e, self.opts, &self.modules),
                    Avail::Yes | Avail::Assumed
                )
            })
            .collect();
        if let Some(e) = usable.iter().find(|e| e.at(v).0 & bit != 0) {
            return Some(e);
        }
        if rows.is_empty() {
            self.unknown(d, ctx);
            return None;
        }
        if usable.is_empty() {
            let (e, why) = rows
                .iter()
                .map(|e| (e, avail(e, self.opts, &self.modules)))
                .min_by_key(|(_, a)| *a)?;
            let help = match why {
                Avail::NoModule => format!(
                    "\"{name}\" comes from {} ({}), which this configuration does not load: add `load_module modules/{};`",
                    e.module, e.origin, e.load
                ),
                Avail::NoPlus => format!(
                    "\"{name}\" is an NGINX Plus directive; pass --flavor plus if this configuration targets NGINX Plus"
                ),
                _ => match (e.since, e.removed_in) {
                    (_, Some(r)) if v >= r => format!(
                        "\"{name}\" was removed in nginx {r}; the target is nginx {v} (--nginx-version)"
                    ),
                    (Some(s), _) if s.0 == u32::MAX => format!(
                        "\"{name}\" is not in any nginx release yet; the target is nginx {v}"
                    ),
                    (Some(s), _) => format!(
                        "\"{name}\" appeared in nginx {s}; the target is nginx {v} (--nginx-version)"
                    ),
                    _ => format!("\"{name}\" is not available in nginx {v}"),
                },
            };
            let rule = if why == Avail::NoModule {
                UNKNOWN_DIRECTIVE
            } else {
                UNAVAILABLE_IN_VERSION
            };
            self.push(
                Diagnostic::error(rule, format!("unknown directive \"{name}\""))
                    .with_span(d.name.span)
                    .with_label(match why {
                        Avail::NoModule => "module not loaded",
                        Avail::NoPlus => "NGINX Plus only",
                        _ => "not in the target nginx version",
                    })
                    .with_help(help),
            );
            return None;
        }
        // Known, but not here.
        let later = usable.iter().find(|e| e.contexts & bit != 0);
        let mut allowed: Vec<&str> = Vec::new();
        for e in &usable {
            let (mask, _) = e.at(v);
            for c in Context::NAMED {
                if mask & context_bit(c) != 0 && !allowed.contains(&c.as_str()) {
                    allowed.push(c.as_str());
                }
            }
            if e.contexts == u32::MAX {
                allowed.push("any");
            }
        }
        let (rule, help) = match later {
            Some(e) => (
                UNAVAILABLE_IN_VERSION,
                format!(
                    "\"{name}\" is allowed in {} only in newer nginx versions than {v} (--nginx-version); here it may appear in: {}",
                    ctx,
                    e.context_names
                ),
            ),
            None if allowed.is_empty() => (
                NOT_ALLOWED_HERE,
                format!("\"{name}\" cannot appear in any context of nginx {v}"),
            ),
            None => (
                NOT_ALLOWED_HERE,
                format!(
                    "\"{name}\" may appear in: {}{}",
                    allowed.join(", "),
                    placement_hint(name, ctx)
                ),
            ),
        };
        self.push(
            Diagnostic::error(rule, format!("\"{name}\" directive is not allowed here"))
                .with_span(d.name.span)
                .with_label(format!("not allowed in {ctx}"))
                .with_help(help),
        );
        None
    }

    fn unknown(&mut self, d: &Directive, ctx: Context) {
        let name = d.name();
        let suggestion = if self.is_full(d.span().file, UNKNOWN_DIRECTIVE) {
            None
        } else {
            suggest(name, ctx, self.opts, &self.modules)
        };
        let help = match suggestion {
            Some(s) => format!("{DID_YOU_MEAN} \"{s}\"?"),
            None => "check the spelling; if a module provides it, that module must be built into nginx or loaded with `load_module`".to_string(),
        };
        self.push(
            Diagnostic::error(UNKNOWN_DIRECTIVE, format!("unknown directive \"{name}\""))
                .with_span(d.name.span)
                .with_label(UNKNOWN_LABEL)
                .with_help(help),
        );
    }
}

/// Where a misplaced block-level directive usually belongs.
fn placement_hint(name: &str, ctx: Context) -> &'static str {
    match (name, ctx) {
        ("server" | "upstream" | "map" | "log_format", Context::Main) => {
            "; wrap it in `http { ... }` (or `stream { ... }`)"
        }
        ("location", Context::Http | Context::Main) => "; put it inside a `server { ... }` block",
        ("listen" | "server_name", _) => "; put it inside a `server { ... }` block",
        _ => "",
    }
}

/// The closest usable directive name allowed in `ctx` (edit distance).
pub(super) fn suggest(
    name: &str,
    ctx: Context,
    opts: &LintOptions,
    modules: &Option<HashSet<String>>,
) -> Option<&'static str> {
    let bit = context_bit(ctx);
    let lower = name.to_ascii_lowercase();
    let limit = if name.len() <= 4 { 1 } else { 2 };
    let mut best: Option<(usize, u8, &'static str)> = None;
    for e in table().entries() {
        if e.at(opts.grammar_version()).0 & bit == 0 {
            continue;
        }
        let rank = match avail(e, opts, modules) {
            Avail::Yes if matches!(e.kind, ModuleKind::Oss | ModuleKind::Removed) => 0,
            Avail::Yes | Avail::Assumed => 1,
            _ => continue,
        };
        if e.name.len().abs_diff(name.len()) > limit {
            continue;
        }
        let dist = if e.name == lower {
            0
        } else {
            strsim::levenshtein(name, e.name)
        };
        if dist > limit {
            continue;
        }
        let cand = (dist, rank, e.name);
        if best.is_none_or_gt(&cand) {
            best = Some(cand);
        }
    }
    best.map(|b| b.2)
}

trait BestExt<T> {
    fn is_none_or_gt(&self, other: &T) -> bool;
}

impl<T: Ord> BestExt<T> for Option<T> {
    fn is_none_or_gt(&self, other: &T) -> bool {
        match self {
            None => true,
            Some(x) => x > other,
        }
    }
}
