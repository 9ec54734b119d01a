//! The per-root state of grammar validation ([`Checker`]) and the check of
//! one directive, as `ngx_conf_handler` does it: the row for its name in
//! its context, terminator, argument count, values, duplicates. The name
//! lookup is in [`super::lookup`], the load-time facts in
//! [`super::semantic`].

use std::collections::HashSet;

use super::semantic::UpstreamSeen;
use super::table::{context_index, Args, DirectiveRow, ModuleKind, Special, Table, CONTEXTS};
use super::values::{self, ValueCheck};
use super::{
    DUPLICATE_DIRECTIVE, INVALID_ARGUMENT_COUNT, INVALID_TERMINATOR, THIRD_PARTY_DIRECTIVE,
    UNAVAILABLE_IN_VERSION,
};
use crate::diag::Diagnostic;
use crate::lint::variables::{self, Variables};
use crate::lint::LintOptions;
use crate::load::Loaded;
use crate::model::{Context, Visit};
use crate::syntax::{Directive, Span, Terminator};

/// Per-root state.
pub(crate) struct Checker<'a, 'o> {
    pub(crate) opts: &'o LintOptions,
    pub(super) loaded: &'a Loaded,
    pub(super) table: &'static Table,
    /// (name group, context) → index + 1 into `resolved`; 0 = not yet.
    pub(super) cache: Vec<u32>,
    pub(super) resolved: Vec<Resolved>,
    pub(super) modules: Option<HashSet<String>>,
    /// No `load_module` says which modules are loaded: third-party rows
    /// are assumed available (and reported as info).
    pub(super) third_party_assumed: bool,
    pub(super) vars: &'o mut Variables,
    /// Some argument of the directive being checked has a `$` (or `(`).
    pub(crate) dollar: bool,
    /// (depth, block directive): grammar rejected this block directive, so
    /// its body is walked for `grammar/unknown-variable` only.
    pub(super) suppress: Option<(usize, usize)>,
    /// Per enclosing block (index = depth), where its entries in `once`
    /// start.
    pub(super) frames: Vec<usize>,
    /// The root is a whole main configuration (inferred, not `--context`).
    pub(crate) whole: bool,
    pub(super) root_context: Context,
    /// Modules this checker reported `grammar/third-party-directive` for,
    /// and where in `out`; of all reports of a module, the run keeps the
    /// first in read order ([`Checker::settle_infos`]).
    pub(super) info_local: HashSet<&'static str>,
    pub(super) infos: Vec<(usize, &'static str)>,
    pub(crate) out: Vec<Diagnostic>,
    /// Findings listed so far per (file, rule), and past [`LISTED`] how
    /// many more and the first of them ([`Checker::list_unlisted`]).
    listed: rustc_hash::FxHashMap<(u32, &'static str), usize>,
    unlisted: std::collections::BTreeMap<(u32, &'static str), (usize, Diagnostic)>,
    /// (row index, first occurrence) of once-per-block directives, for
    /// "is duplicate": one run per open block, as `frames` says.
    pub(super) once: Vec<(u32, Span)>,
    /// Table rows of `root` and `alias`, which share one slot.
    root_alias_rows: Vec<u32>,
    pub(super) events: bool,
    /// `log_format` names defined so far in read order.
    pub(super) log_formats: HashSet<String>,
    pub(super) zones_defined: HashSet<(&'static str, String)>,
    pub(super) zones_used: Vec<(&'static str, String, Span)>,
    /// (upstream block id, close/open span, has server, uncertain, has zone)
    pub(super) upstreams: Vec<UpstreamSeen>,
    /// (server block id, http block id, `{` span, listen span)
    pub(super) ssl_servers: Vec<(usize, usize, Span, Span)>,
    pub(super) cert_blocks: rustc_hash::FxHashSet<usize>,
    /// `ssl on;`: (block id, http block id, span, at http level)
    pub(super) ssl_on: Vec<(usize, usize, Span, bool)>,
    /// http servers: (server block id, http block id)
    pub(super) http_servers: Vec<(usize, usize)>,
}

/// A name resolved in one context: the row nginx would use and everything
/// the checks need from it, computed once per run.
#[derive(Clone, Copy)]
pub(super) struct Resolved {
    pub(super) entry: &'static DirectiveRow,
    pub(super) args: Args,
    pub(super) value: ValueCheck,
    pub(super) special: Special,
    pub(super) third_party: bool,
    /// The context a block of this directive opens.
    pub(super) child: Context,
}

/// Findings paired with the module of each `grammar/third-party-directive`
/// report among them.
fn tag(
    out: Vec<Diagnostic>,
    infos: &[(usize, &'static str)],
) -> Vec<(Diagnostic, Option<&'static str>)> {
    let mut infos = infos.iter().peekable();
    out.into_iter()
        .enumerate()
        .map(|(i, d)| (d, infos.next_if(|(at, _)| *at == i).map(|&(_, m)| m)))
        .collect()
}

pub(super) fn block_id(d: Option<&&Directive>) -> usize {
    d.map(|d| *d as *const Directive as usize).unwrap_or(0)
}

/// Findings of one rule listed per file. nginx stops at the first error;
/// past this many, one last finding counts the rest, so a file of a
/// million unknown directives costs what a file of a hundred does.
pub(crate) const LISTED: usize = 100;

impl<'a, 'o> Checker<'a, 'o> {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        // (the third-party reports are one per module, and `infos` points
        // at each)
        if d.rule != THIRD_PARTY_DIRECTIVE {
            let key = (d.span.map_or(u32::MAX, |s| s.file.0), d.rule);
            let n = self.listed.entry(key).or_insert(0);
            if *n >= LISTED {
                self.unlisted
                    .entry(key)
                    .and_modify(|(more, _)| *more += 1)
                    .or_insert((1, d));
                return;
            }
            *n += 1;
        }
        self.out.push(d);
    }

    /// Whether findings of `rule` in `file` are past [`LISTED`] already
    /// (then a costly help is not worth making).
    pub(super) fn is_full(&self, file: crate::syntax::FileId, rule: &'static str) -> bool {
        self.listed
            .get(&(file.0, rule))
            .is_some_and(|n| *n >= LISTED)
    }

    /// One finding per (file, rule) past [`LISTED`]: how many more there
    /// are, at the first of them.
    pub(super) fn list_unlisted(&mut self) {
        for (_, (more, first)) in std::mem::take(&mut self.unlisted) {
            let mut d = Diagnostic::new(
                first.rule,
                first.severity,
                format!(
                    "{more} more {} findings in this file are not listed",
                    first.rule
                ),
            )
            .with_help("nginx stops at the first error: fix the ones listed, then lint again");
            d.span = first.span;
            self.out.push(d);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        opts: &'o LintOptions,
        loaded: &'a Loaded,
        table: &'static Table,
        modules: Option<HashSet<String>>,
        vars: &'o mut Variables,
        root_context: Context,
        whole: bool,
    ) -> Self {
        Checker {
            opts,
            loaded,
            table,
            cache: vec![0; table.groups() * CONTEXTS],
            resolved: Vec::new(),
            third_party_assumed: modules.is_none(),
            modules,
            vars,
            dollar: false,
            suppress: None,
            frames: Vec::new(),
            whole,
            root_context,
            info_local: HashSet::new(),
            infos: Vec::new(),
            out: Vec::new(),
            listed: rustc_hash::FxHashMap::default(),
            unlisted: std::collections::BTreeMap::new(),
            once: Vec::new(),
            root_alias_rows: ["root", "alias"]
                .iter()
                .flat_map(|n| table.get(n))
                .map(|r| r.index)
                .collect(),
            events: false,
            log_formats: HashSet::new(),
            zones_defined: HashSet::new(),
            zones_used: Vec::new(),
            upstreams: Vec::new(),
            ssl_servers: Vec::new(),
            cert_blocks: rustc_hash::FxHashSet::default(),
            ssl_on: Vec::new(),
            http_servers: Vec::new(),
        }
    }

    /// Keep only the first `grammar/third-party-directive` report of each
    /// module in the whole run (`seen` spans the roots).
    pub(super) fn settle_infos(&mut self, seen: &mut HashSet<&'static str>) {
        if self.infos.is_empty() {
            return;
        }
        let all = tag(
            std::mem::take(&mut self.out),
            &std::mem::take(&mut self.infos),
        );
        self.out = all
            .into_iter()
            .filter(|(_, module)| module.is_none_or(|m| seen.insert(m)))
            .map(|(d, _)| d)
            .collect();
    }

    /// One directive of the walk: `grammar/unknown-variable` sees every
    /// directive; grammar validation skips the bodies of block directives
    /// it rejects (nginx stops there). Gives the context the directive's
    /// block opens when validation already knows it.
    pub(super) fn visit(&mut self, v: &Visit<'a, '_>, group: Option<usize>) -> Option<Context> {
        let d = v.directive;
        let defines = match group {
            Some(g) => self.table.defines(g),
            None => variables::defining_arg(d.name()),
        };
        self.dollar = self.vars.visit(d, defines);
        let depth = v.ancestors.len();
        if let Some((at, owner)) = self.suppress {
            if depth > at && block_id(v.ancestors.get(at)) == owner {
                return None;
            }
            self.suppress = None;
        }
        let child = self.validate(v, group);
        if child.is_none() && d.block().is_some() {
            self.suppress = Some((depth, d as *const Directive as usize));
        }
        child
    }

    /// Open the duplicate-tracking run of the block at `depth`, closing
    /// those of blocks already left. Every block directive is validated
    /// (here) before its body, so a shorter stack means a new block.
    #[inline]
    fn enter(&mut self, depth: usize) {
        if let Some(&start) = self.frames.get(depth + 1) {
            self.once.truncate(start);
            self.frames.truncate(depth + 1);
        }
        while self.frames.len() <= depth {
            self.frames.push(self.once.len());
        }
    }

    /// The row for a name in a context (its index in `resolved`), from the
    /// per-run cache; resolving (and reporting when there is none) on first
    /// use. An index, not the row: moving a `Resolved` through an `Option`
    /// costs the hot path a stalled copy.
    #[inline]
    fn resolved(&mut self, d: &Directive, ctx: Context, group: Option<usize>) -> Option<usize> {
        let ci = context_index(ctx)?;
        let Some(g) = group else {
            // Unknown name: reports and gives `None`.
            return self.resolve(d, ctx, None).and(None);
        };
        let slot = g * CONTEXTS + ci;
        if let Some(&k) = self.cache.get(slot) {
            if k != 0 {
                return Some(k as usize - 1);
            }
        }
        let entry = self.resolve(d, ctx, group)?;
        let (_, args) = entry.at(self.opts.grammar_version());
        let r = Resolved {
            entry,
            args,
            value: values::classify(entry, args, ctx),
            special: self.table.group(g).special,
            third_party: (matches!(entry.kind, ModuleKind::ThirdParty | ModuleKind::External)
                && self.third_party_assumed)
                || (entry.kind == ModuleKind::Plus && !self.opts.plus),
            child: ctx.child(entry.name).unwrap_or(Context::Unknown),
        };
        self.resolved.push(r);
        if let Some(k) = self.cache.get_mut(slot) {
            *k = self.resolved.len() as u32;
        }
        Some(self.resolved.len() - 1)
    }

    /// Grammar validation of one directive: the context its block opens,
    /// or `None` when nginx would stop (its body is then not validated).
    fn validate(&mut self, v: &Visit<'a, '_>, group: Option<usize>) -> Option<Context> {
        let ctx = v.context;
        let depth = v.ancestors.len();
        self.enter(depth);
        if matches!(ctx, Context::Data | Context::Unknown) {
            return None;
        }
        let d = v.directive;
        if d.terminator == Terminator::Missing {
            // The parser already reported it; nginx stops before the lookup.
            return None;
        }
        let k = self.resolved(d, ctx, group)?;
        let Resolved {
            entry,
            args,
            value,
            special,
            third_party,
            child,
        } = *self.resolved.get(k)?;
        // Terminator.
        let is_block = d.is_block();
        if entry.is_block && !is_block {
            let name = d.name();
            self.push(
                Diagnostic::error(
                    INVALID_TERMINATOR,
                    format!("directive \"{name}\" has no opening \"{{\""),
                )
                .with_span(d.name.span)
                .with_label("block directive ended by `;`")
                .with_help(format!(
                    "\"{name}\" opens a block: write `{name} ... {{ ... }}`"
                )),
            );
            return None;
        }
        if !entry.is_block && is_block {
            let name = d.name();
            self.push(
                Diagnostic::error(INVALID_TERMINATOR, format!("directive \"{name}\" is not terminated by \";\""))
                    .with_span(d.name.span)
                    .with_label("not a block directive")
                    .with_help(format!("\"{name}\" takes no block: end it with `;` (a missing `;` on this line makes nginx read the next `{{` as its block)")),
            );
            return None;
        }
        // Argument count.
        let n = d.args.len();
        if !args.accepts(n) {
            let name = d.name();
            let newer = entry.args.accepts(n);
            let rule = if newer {
                UNAVAILABLE_IN_VERSION
            } else {
                INVALID_ARGUMENT_COUNT
            };
            let mut help = format!(
                "\"{name}\" takes {} argument{}",
                args.describe(),
                if args.describe() == "exactly 1" || args.describe() == "exactly 1 (on or off)" {
                    ""
                } else {
                    "s"
                }
            );
            if newer {
                help.push_str(&format!(
                    " in nginx {}; newer versions accept {n} (--nginx-version)",
                    self.opts.grammar_version()
                ));
            }
            self.push(
                Diagnostic::error(
                    rule,
                    format!("invalid number of arguments in \"{name}\" directive"),
                )
                .with_span(d.name.span)
                .with_label(format!("{n} argument{}", if n == 1 { "" } else { "s" }))
                .with_help(help),
            );
            return None;
        }
        if third_party {
            self.third_party_info(d, entry);
        }
        if entry.kind == ModuleKind::ThirdParty
            && matches!(ctx, Context::Upstream | Context::StreamUpstream)
        {
            // A module's handler may add the group's servers itself
            // (jdomain pushes one at load): whether nginx finds "no servers
            // inside upstream" is then not for ngxray to say.
            let block = block_id(v.ancestors.last());
            if let Some(u) = self.upstreams.iter_mut().rev().find(|u| u.id == block) {
                u.uncertain = true;
            }
        }
        if value != ValueCheck::None {
            values::check(self, d, ctx, value);
        }
        if entry.unique {
            self.duplicates(d, entry, special == Special::RootAlias);
        }
        match special {
            Special::None => {}
            Special::Location => {
                if ctx == Context::Location {
                    if let Some(parent) = v.ancestors.last() {
                        values::nested_location(self, d, parent);
                    }
                }
            }
            Special::Set | Special::Map | Special::Geo | Special::PerlJsSet => {
                self.variable_definition(d, ctx, special)
            }
            sp => {
                let block = block_id(v.ancestors.last());
                self.semantic(v, block, sp);
            }
        }
        Some(child)
    }

    fn third_party_info(&mut self, d: &Directive, e: &'static DirectiveRow) {
        if !self.info_local.insert(e.module) {
            return;
        }
        self.infos.push((self.out.len(), e.module));
        if e.kind == ModuleKind::Plus {
            self.push(
                Diagnostic::info(
                    THIRD_PARTY_DIRECTIVE,
                    format!("\"{}\" is an NGINX Plus directive: linted as NGINX Plus", d.name()),
                )
                .with_span(d.name.span)
                .with_label("NGINX Plus only")
                .with_help("open source nginx says unknown directive; pass --flavor oss (or `flavor = \"oss\"`) to check against it, --flavor plus to silence this"),
            );
            return;
        }
        let what = if e.kind == ModuleKind::External {
            "the official dynamic module"
        } else {
            "the third-party module"
        };
        self.push(
            Diagnostic::info(
                THIRD_PARTY_DIRECTIVE,
                format!(
                    "\"{}\" comes from {what} {} ({})",
                    d.name(),
                    e.module,
                    e.origin
                ),
            )
            .with_span(d.name.span)
            .with_label(format!("needs {}", e.module))
            .with_help(format!(
                "nginx accepts it only when the module is built in or loaded (`load_module modules/{};`); otherwise `nginx -t` says unknown directive",
                e.load
            )),
        );
    }

    /// `root_alias`: `root` and `alias` share one slot, so either after
    /// the other is refused too, in nginx's words for the pair.
    fn duplicates(&mut self, d: &Directive, e: &'static DirectiveRow, root_alias: bool) {
        let start = self.frames.last().copied().unwrap_or(0);
        let pair = |i: u32| root_alias && self.root_alias_rows.contains(&i);
        let first = self
            .once
            .get(start..)
            .and_then(|run| run.iter().find(|(i, _)| *i == e.index || pair(*i)))
            .copied();
        match first {
            Some((i, first)) if i != e.index => {
                let (name, other) = if e.name == "root" {
                    ("root", "alias")
                } else {
                    ("alias", "root")
                };
                self.push(
                    Diagnostic::error(
                        DUPLICATE_DIRECTIVE,
                        format!("\"{name}\" directive is duplicate, \"{other}\" directive was specified earlier"),
                    )
                    .with_span(d.name.span)
                    .with_label("second of root and alias")
                    .with_related(first, format!("{other} set here"))
                    .with_help(
                        "a location takes either root or alias: remove one (alias replaces the location's prefix, root is prepended to the whole URI)",
                    ),
                );
            }
            Some((_, first)) => {
                let name = e.name;
                self.push(
                    Diagnostic::error(
                        DUPLICATE_DIRECTIVE,
                        format!("\"{name}\" directive is duplicate"),
                    )
                    .with_span(d.name.span)
                    .with_label("second occurrence")
                    .with_related(first, "first set here")
                    .with_help(format!(
                        "\"{name}\" may be set once per block: remove one of them"
                    )),
                );
            }
            None => {
                self.once.push((e.index, d.name.span));
            }
        }
    }
}
