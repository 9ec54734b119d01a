//! Directive grammar validation, as `nginx -t` does it: known names,
//! contexts, argument counts, terminators, values, versions, and the
//! load-time semantic errors a linter can see (no `events`, empty upstreams,
//! unknown log formats, undefined zones, `listen ... ssl` without a
//! certificate). The directive table lives in `grammar/directives.tsv`
//! ([`table`]); messages use nginx's own wording so they can be compared with
//! `nginx -t` output line by line.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::{LintOptions, LintOutcome};
use crate::diag::Diagnostic;
use crate::load::Loaded;
use crate::model::{walk, Context, Visit};
use crate::syntax::{Block, Directive, FileId, Span, Terminator};

pub mod table;
#[cfg(test)]
mod tsv;
mod values;

use super::variables::{self, Variables};
use table::{context_bit, context_index, table, Args, Entry, Kind, Special, Table, CONTEXTS};
use values::ValueCheck;

pub const UNKNOWN_DIRECTIVE: &str = "grammar/unknown-directive";
pub const NOT_ALLOWED_HERE: &str = "grammar/not-allowed-here";
pub const INVALID_ARGUMENT_COUNT: &str = "grammar/invalid-argument-count";
pub const INVALID_TERMINATOR: &str = "grammar/invalid-terminator";
pub const INVALID_FLAG_VALUE: &str = "grammar/invalid-flag-value";
pub const INVALID_VALUE: &str = "grammar/invalid-value";
pub const DUPLICATE_DIRECTIVE: &str = "grammar/duplicate-directive";
pub const UNAVAILABLE_IN_VERSION: &str = "grammar/unavailable-in-version";
pub const THIRD_PARTY_DIRECTIVE: &str = "grammar/third-party-directive";
pub const MISSING_EVENTS: &str = "grammar/missing-events";
pub const EMPTY_UPSTREAM: &str = "grammar/empty-upstream";
pub const UNKNOWN_LOG_FORMAT: &str = "grammar/unknown-log-format";
pub const UNDEFINED_ZONE: &str = "grammar/undefined-zone";
pub const SSL_WITHOUT_CERTIFICATE: &str = "grammar/ssl-without-certificate";
pub const DUPLICATE_VARIABLE: &str = "grammar/duplicate-variable";

/// Every id grammar validation reports (each is registered in
/// [`super::registry::ALL`]).
pub const IDS: &[&str] = &[
    UNKNOWN_DIRECTIVE,
    NOT_ALLOWED_HERE,
    INVALID_ARGUMENT_COUNT,
    INVALID_TERMINATOR,
    INVALID_FLAG_VALUE,
    INVALID_VALUE,
    DUPLICATE_DIRECTIVE,
    UNAVAILABLE_IN_VERSION,
    THIRD_PARTY_DIRECTIVE,
    MISSING_EVENTS,
    EMPTY_UPSTREAM,
    UNKNOWN_LOG_FORMAT,
    UNDEFINED_ZONE,
    SSL_WITHOUT_CERTIFICATE,
    DUPLICATE_VARIABLE,
];

/// Validate every directive reachable from the roots.
///
/// One walk per root does all of it, `grammar/unknown-variable` included
/// (reported after the other findings, once every root is walked). In a
/// large configuration that walk sets the `server` and `upstream` blocks
/// of an `http` block aside, in runs of consecutive ones, and they are
/// validated on all cores ([`Split::Auto`]); what they find is merged back
/// in read order.
pub fn check(outcome: &LintOutcome, opts: &LintOptions, out: &mut Vec<Diagnostic>) {
    check_with(outcome, opts, out, Split::Auto);
}

/// How grammar validation spreads over the cores. Every mode gives the
/// same findings in the same order; the modes other than `Auto` are for
/// the tests that check this.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// One walk in read order, on one core.
    Never,
    /// On all cores when the configuration has [`PARALLEL_BYTES`] or more.
    Auto,
    /// Every `server` and `upstream` block of an `http` block set aside on
    /// its own, whatever the size and the number of cores.
    Always,
}

/// From this many bytes of configuration on, `server` and `upstream` blocks
/// are validated on all cores; below, handing them over costs more than it
/// saves.
pub const PARALLEL_BYTES: usize = 256 * 1024;

#[doc(hidden)]
pub fn check_with(
    outcome: &LintOutcome,
    opts: &LintOptions,
    out: &mut Vec<Diagnostic>,
    split: Split,
) {
    let loaded = &outcome.loaded;
    let size: usize = loaded.sources.files().map(|(_, f)| f.text.len()).sum();
    let parallel = match split {
        Split::Never => false,
        Split::Auto => rayon::current_num_threads() > 1 && size >= PARALLEL_BYTES,
        Split::Always => true,
    };
    let start = out.len();
    let mut seen: HashSet<(&'static str, Option<Span>, String)> = HashSet::new();
    let mut info_modules: HashSet<&'static str> = HashSet::new();
    let mut vars = Variables::default();
    let table = table();
    for root in &outcome.roots {
        let modules = loaded_modules(loaded, root.file, root.context, opts);
        let mut c = Checker::new(
            opts,
            loaded,
            table,
            modules,
            &mut vars,
            root.context,
            root.context == Context::Main && opts.context.is_none(),
        );
        c.defer = parallel;
        // Jobs of a sixteenth of a thread's share (runs group them), or of
        // one block each when testing.
        c.chunk_weight = match split {
            Split::Always => 1,
            _ => (size / (rayon::current_num_threads() * 16)).max(16 * 1024),
        };
        c.walk(root.file, root.context);
        c.run_jobs();
        c.settle_infos(&mut info_modules);
        c.finish(root.file);
        for d in c.out {
            if seen.insert((d.rule, d.span, d.message.clone())) {
                out.push(d);
            }
        }
    }
    group_unknown(out, start);
    vars.finish(out);
}

/// Label of a name no row of the table has (not "module not loaded").
const UNKNOWN_LABEL: &str = "unknown directive";
/// Start of the help of an unknown name close to a known one.
const DID_YOU_MEAN: &str = "did you mean";

/// Unknown names that share a module prefix (`foo_` of `foo_bar`,
/// `foo_baz`) are one finding: one module missing from the build (or from
/// the directive table) is one cause, not one error per line. The first in
/// read order stays, with the other lines as related spans. Names with a
/// spelling suggestion stay apart (a typo of a known directive is its own
/// cause), and so do names without `_`.
fn group_unknown(out: &mut Vec<Diagnostic>, start: usize) {
    fn prefix(d: &Diagnostic) -> Option<(&str, &str)> {
        if d.rule != UNKNOWN_DIRECTIVE
            || d.label.as_deref() != Some(UNKNOWN_LABEL)
            || d.span.is_none()
            || d.help
                .as_deref()
                .is_some_and(|h| h.starts_with(DID_YOU_MEAN))
        {
            return None;
        }
        let name = d
            .message
            .strip_prefix("unknown directive \"")?
            .strip_suffix('"')?;
        let (p, rest) = name.split_once('_')?;
        (!p.is_empty() && !rest.is_empty()).then_some((&name[..=p.len()], name))
    }
    /// The index of the first finding, the distinct names, the others.
    type Group = (usize, Vec<String>, Vec<(Span, String)>);
    let mut groups: HashMap<String, Group> = HashMap::new();
    let mut drop = HashSet::new();
    for (i, d) in out.iter().enumerate().skip(start) {
        let (Some((p, name)), Some(span)) = (prefix(d), d.span) else {
            continue;
        };
        match groups.get_mut(p) {
            None => {
                groups.insert(p.to_string(), (i, vec![name.to_string()], Vec::new()));
            }
            Some((_, names, others)) => {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
                others.push((span, name.to_string()));
                drop.insert(i);
            }
        }
    }
    for (p, (first, names, others)) in groups {
        if others.is_empty() {
            continue;
        }
        let Some(d) = out.get_mut(first) else {
            continue;
        };
        const SHOWN: usize = 6;
        let mut list: Vec<String> = names
            .iter()
            .take(SHOWN)
            .map(|n| format!("\"{n}\""))
            .collect();
        if names.len() > SHOWN {
            list.push(format!("and {} more", names.len() - SHOWN));
        }
        d.message = format!(
            "unknown directives with prefix \"{p}\": {}",
            list.join(", ")
        );
        d.label = Some(format!("unknown directive (1 of {})", others.len() + 1));
        d.help = Some(format!(
            "{} lines use unknown \"{p}*\" directives, most likely one third-party module this nginx lacks: build it in (`--add-module`) or load it with `load_module`, or remove its directives",
            others.len() + 1
        ));
        for (span, name) in others {
            d.related.push(crate::diag::Label {
                span,
                message: format!("also unknown: \"{name}\""),
            });
        }
    }
    if !drop.is_empty() {
        let mut i = 0;
        out.retain(|_| {
            i += 1;
            !drop.contains(&(i - 1))
        });
    }
}

/// The `.so` files `load_module` lines (or `--load-module`) load: `None` when
/// the config says nothing about dynamic modules.
fn loaded_modules(
    loaded: &Loaded,
    file: crate::syntax::FileId,
    ctx: Context,
    opts: &LintOptions,
) -> Option<HashSet<String>> {
    let mut set: HashSet<String> = opts.modules.iter().map(|m| so_name(m)).collect();
    let mut any = !opts.modules.is_empty();
    if ctx == Context::Main {
        walk(loaded, file, ctx, |v| {
            if v.context == Context::Main && v.directive.name() == "load_module" {
                any = true;
                if let Some(a) = v.directive.arg(0) {
                    set.insert(so_name(a));
                }
            }
            false
        });
    }
    any.then_some(set)
}

/// `modules/ngx_http_lua_module.so` → `ngx_http_lua_module.so`.
fn so_name(s: &str) -> String {
    let base = s.rsplit('/').next().unwrap_or(s);
    if base.ends_with(".so") {
        base.to_string()
    } else {
        format!("{base}.so")
    }
}

/// Is a row usable for this run?
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Avail {
    Yes,
    /// A third-party row when nothing says which modules are loaded.
    Assumed,
    NoModule,
    NoPlus,
    NoVersion,
}

fn avail(e: &Entry, opts: &LintOptions, modules: &Option<HashSet<String>>) -> Avail {
    match e.kind {
        Kind::Oss => {
            if e.exists_in(opts.grammar_version()) {
                Avail::Yes
            } else {
                Avail::NoVersion
            }
        }
        Kind::Removed => {
            if e.exists_in(opts.nginx_version) {
                Avail::Yes
            } else {
                Avail::NoVersion
            }
        }
        Kind::Plus => {
            if opts.plus {
                Avail::Yes
            } else if !opts.flavor_known {
                Avail::Assumed
            } else {
                Avail::NoPlus
            }
        }
        Kind::External | Kind::ThirdParty => match modules {
            None => Avail::Assumed,
            Some(m) if m.contains(e.load) => Avail::Yes,
            Some(_) => Avail::NoModule,
        },
    }
}

/// Per-root state.
pub(crate) struct Checker<'a, 'o> {
    pub(crate) opts: &'o LintOptions,
    loaded: &'a Loaded,
    table: &'static Table,
    /// (name group, context) → index + 1 into `resolved`; 0 = not yet.
    cache: Vec<u32>,
    resolved: Vec<Resolved>,
    modules: Option<HashSet<String>>,
    /// No `load_module` says which modules are loaded: third-party rows
    /// are assumed available (and reported as info).
    third_party_assumed: bool,
    vars: &'o mut Variables,
    /// Set consecutive `server` and `upstream` blocks of an `http` block
    /// aside as [`Job`]s instead of walking them ([`Checker::run_jobs`]
    /// does).
    defer: bool,
    /// Bytes of consecutive blocks that make one job.
    chunk_weight: usize,
    jobs: Vec<Job<'a>>,
    /// The ancestors of every job's blocks, one job after the other.
    chains: Vec<&'a Directive>,
    /// Some argument of the directive being checked has a `$` (or `(`).
    pub(crate) dollar: bool,
    /// (depth, block directive): grammar rejected this block directive, so
    /// its body is walked for `grammar/unknown-variable` only.
    suppress: Option<(usize, usize)>,
    /// Per enclosing block (index = depth), where its entries in `once`
    /// start.
    frames: Vec<usize>,
    /// The root is a whole main configuration (inferred, not `--context`).
    pub(crate) whole: bool,
    root_context: Context,
    /// Modules this checker reported `grammar/third-party-directive` for,
    /// and where in `out`; of all reports of a module, the run keeps the
    /// first in read order ([`Checker::settle_infos`]).
    info_local: HashSet<&'static str>,
    infos: Vec<(usize, &'static str)>,
    pub(crate) out: Vec<Diagnostic>,
    /// (row index, first occurrence) of once-per-block directives, for
    /// "is duplicate": one run per open block, as `frames` says.
    once: Vec<(u32, Span)>,
    events: bool,
    /// `log_format` names, each with the number of jobs set aside before
    /// its definition: job `j` sees the names numbered `j` or less
    /// (`epoch`); the top-level walk sees all it defined so far.
    log_formats: Cow<'o, HashMap<String, u32>>,
    epoch: u32,
    zones_defined: HashSet<(&'static str, String)>,
    zones_used: Vec<(&'static str, String, Span)>,
    /// (upstream block id, close/open span, has server, uncertain, has zone)
    upstreams: Vec<UpstreamSeen>,
    /// (server block id, http block id, `{` span, listen span)
    ssl_servers: Vec<(usize, usize, Span, Span)>,
    cert_blocks: rustc_hash::FxHashSet<usize>,
    /// `ssl on;`: (block id, http block id, span, at http level)
    ssl_on: Vec<(usize, usize, Span, bool)>,
    /// http servers: (server block id, http block id)
    http_servers: Vec<(usize, usize)>,
}

/// A name resolved in one context: the row nginx would use and everything
/// the checks need from it, computed once per run.
#[derive(Clone, Copy)]
struct Resolved {
    entry: &'static Entry,
    args: Args,
    value: ValueCheck,
    special: Special,
    third_party: bool,
    /// The context a block of this directive opens.
    child: Context,
}

struct UpstreamSeen {
    id: usize,
    span: Span,
    name: String,
    servers: bool,
    uncertain: bool,
    zone: bool,
}

/// `server` and `upstream` blocks the top-level walk set aside, validated
/// after it (on any core) and merged back in read order.
struct Job<'a> {
    /// Consecutive `server` and `upstream` blocks of an `http` block.
    directives: &'a [Directive],
    /// Its ancestors (the `http` block last) in [`Checker::chains`].
    chain: std::ops::Range<usize>,
    /// Where its findings and facts go in the top-level walk's.
    at: Marks,
    /// Bytes of the blocks, to share the jobs out evenly.
    weight: usize,
}

/// Lengths of a checker's ordered collections at one moment.
#[derive(Debug, Clone, Copy)]
struct Marks {
    out: usize,
    uses: usize,
    zones_used: usize,
    ssl_servers: usize,
    ssl_on: usize,
    upstreams: usize,
}

/// What one core found validating a contiguous run of jobs, with where
/// each job's part starts (`starts`: one entry per job, and the end).
struct Run {
    out: Vec<Diagnostic>,
    infos: Vec<(usize, &'static str)>,
    vars: Variables,
    zones_used: Vec<(&'static str, String, Span)>,
    ssl_servers: Vec<(usize, usize, Span, Span)>,
    ssl_on: Vec<(usize, usize, Span, bool)>,
    cert_blocks: rustc_hash::FxHashSet<usize>,
    upstreams: Vec<UpstreamSeen>,
    http_servers: Vec<(usize, usize)>,
    starts: Vec<Marks>,
}

/// One step of [`Checker::walk_frames`].
enum Frame<'a> {
    /// A block's directives; `owned` when a block directive (in
    /// `ancestors`) opened it, not a file's top level.
    Block {
        iter: std::slice::Iter<'a, Directive>,
        context: Context,
        owned: bool,
    },
    Include {
        files: std::slice::Iter<'a, FileId>,
        context: Context,
    },
}

/// Put each job's items at the job's mark in `main`, keeping the order of
/// both. `runs` holds, in job order, each run's items and the start of
/// each of its jobs' items (and their end); `marks` gives each job's place
/// in `main`.
fn weave<T>(
    main: &mut Vec<T>,
    mut marks: impl Iterator<Item = usize>,
    runs: Vec<(Vec<T>, Vec<usize>)>,
) {
    if runs.iter().all(|(items, _)| items.is_empty()) {
        return;
    }
    let mut rest = std::mem::take(main).into_iter();
    let mut taken = 0;
    for (items, starts) in runs {
        let mut items = items.into_iter();
        for w in starts.windows(2) {
            let Some(at) = marks.next() else { break };
            let len = w[1] - w[0];
            if len == 0 {
                continue;
            }
            main.extend(rest.by_ref().take(at - taken));
            taken = at;
            main.extend(items.by_ref().take(len));
        }
    }
    main.extend(rest);
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

/// Hint the CPU to load the cache line at `p` (a no-op elsewhere).
#[inline(always)]
fn prefetch(p: *const i8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults, even for an
    // invalid address, and changes nothing the program can observe.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

fn block_id(d: Option<&&Directive>) -> usize {
    d.map(|d| *d as *const Directive as usize).unwrap_or(0)
}

impl<'a, 'o> Checker<'a, 'o> {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
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
            defer: false,
            chunk_weight: usize::MAX,
            jobs: Vec::new(),
            chains: Vec::new(),
            dollar: false,
            suppress: None,
            frames: Vec::new(),
            whole,
            root_context,
            info_local: HashSet::new(),
            infos: Vec::new(),
            out: Vec::new(),
            once: Vec::new(),
            events: false,
            log_formats: Cow::Owned(HashMap::new()),
            epoch: u32::MAX,
            zones_defined: HashSet::new(),
            zones_used: Vec::new(),
            upstreams: Vec::new(),
            ssl_servers: Vec::new(),
            cert_blocks: rustc_hash::FxHashSet::default(),
            ssl_on: Vec::new(),
            http_servers: Vec::new(),
        }
    }

    /// Visit every directive reachable from `root` in nginx's read order,
    /// expanding includes in place: the order, contexts and ancestors of
    /// [`crate::model::walk`], with each name looked up once and the
    /// bodies of rejected block directives still visited (for
    /// `grammar/unknown-variable` only). With `defer`, the `server` and
    /// `upstream` blocks of an `http` block are set aside instead.
    fn walk(&mut self, root: FileId, context: Context) {
        let mut stack = vec![Frame::Block {
            iter: self.loaded.file(root).root.directives.iter(),
            context,
            owned: false,
        }];
        self.walk_frames(&mut stack, &mut Vec::new());
    }

    fn walk_frames(&mut self, stack: &mut Vec<Frame<'a>>, ancestors: &mut Vec<&'a Directive>) {
        let loaded = self.loaded;
        let include = self.table.include();
        while let Some(frame) = stack.pop() {
            match frame {
                Frame::Block {
                    mut iter,
                    context: ctx,
                    owned,
                } => {
                    // The hot loop: the directives of one block, leaving it
                    // only to enter a block or an include.
                    let mut paused = None;
                    // Consecutive `server` and `upstream` blocks met here
                    // are set aside (as `run`), not visited.
                    let deferring = self.defer && ctx == Context::Http;
                    let mut run: Option<(&'a [Directive], usize, usize)> = None;
                    loop {
                        let rest = iter.as_slice();
                        let Some(d) = iter.next() else { break };
                        let group = self.table.lookup(d.name());
                        if deferring {
                            if d.block.is_some() && self.table.is_server_or_upstream(group) {
                                let (_, n, weight) = run.get_or_insert((rest, 0, 0));
                                *n += 1;
                                *weight += d.span.len();
                                if *weight >= self.chunk_weight {
                                    self.set_aside(run.take(), ancestors);
                                }
                                continue;
                            }
                            self.set_aside(run.take(), ancestors);
                        }
                        // The walk waits on memory more than it computes:
                        // start loading the body of this block directive
                        // and the block of the next one before validating.
                        if let Some(b) = &d.block {
                            // The whole body, up to 16 cache lines.
                            let p = b.directives.as_ptr() as *const i8;
                            let bytes = std::mem::size_of_val(b.directives.as_slice()).min(1024);
                            let mut at = 0;
                            while at < bytes {
                                prefetch(p.wrapping_add(at));
                                at += 64;
                            }
                        }
                        let ahead = iter.as_slice();
                        if let Some(b) = ahead.first().and_then(|n| n.block.as_deref()) {
                            prefetch(b as *const Block as *const i8);
                        }
                        if let Some(n) = ahead.get(2) {
                            prefetch(n as *const Directive as *const i8);
                        }
                        let child = self.visit(
                            &Visit {
                                directive: d,
                                context: ctx,
                                ancestors,
                                via: &[],
                            },
                            group,
                        );
                        if group.is_some() && group == include {
                            let files = loaded.included_by(d);
                            if !files.is_empty() {
                                paused = Some(Frame::Include {
                                    files: files.iter(),
                                    context: ctx,
                                });
                                break;
                            }
                        }
                        if let Some(b) = &d.block {
                            let child = child
                                .unwrap_or_else(|| ctx.child(d.name()).unwrap_or(Context::Unknown));
                            ancestors.push(d);
                            paused = Some(Frame::Block {
                                iter: b.directives.iter(),
                                context: child,
                                owned: true,
                            });
                            break;
                        }
                    }
                    self.set_aside(run.take(), ancestors);
                    match paused {
                        Some(next) => {
                            stack.push(Frame::Block {
                                iter,
                                context: ctx,
                                owned,
                            });
                            stack.push(next);
                        }
                        // The block is done: leave its owner.
                        None if owned => {
                            ancestors.pop();
                        }
                        None => {}
                    }
                }
                Frame::Include { mut files, context } => {
                    if let Some(&f) = files.next() {
                        stack.push(Frame::Include { files, context });
                        stack.push(Frame::Block {
                            iter: loaded.file(f).root.directives.iter(),
                            context,
                            owned: false,
                        });
                    }
                }
            }
        }
    }

    fn marks(&self) -> Marks {
        Marks {
            out: self.out.len(),
            uses: self.vars.mark(),
            zones_used: self.zones_used.len(),
            ssl_servers: self.ssl_servers.len(),
            ssl_on: self.ssl_on.len(),
            upstreams: self.upstreams.len(),
        }
    }

    /// Set a run of consecutive `server` and `upstream` blocks aside as a
    /// job: (the directives from its first one on, how many, bytes).
    fn set_aside(
        &mut self,
        run: Option<(&'a [Directive], usize, usize)>,
        ancestors: &[&'a Directive],
    ) {
        let Some((from, n, _)) = run else { return };
        let directives = from.get(..n).unwrap_or_default();
        let (Some(first), Some(last)) = (directives.first(), directives.last()) else {
            return;
        };
        let start = self.chains.len();
        self.chains.extend_from_slice(ancestors);
        self.jobs.push(Job {
            directives,
            chain: start..self.chains.len(),
            at: self.marks(),
            weight: last.span.end().saturating_sub(first.span.start()),
        });
    }

    /// Validate the blocks set aside, on all cores in contiguous runs of
    /// about equal size, each run with its own checker, and merge what
    /// they found in read order: the result is the walk's in one piece.
    fn run_jobs(&mut self) {
        if self.jobs.is_empty() {
            return;
        }
        let jobs = std::mem::take(&mut self.jobs);
        let chains = std::mem::take(&mut self.chains);
        let total: usize = jobs.iter().map(|j| j.weight).sum::<usize>().max(1);
        // Four runs per thread: a thread that starts late (woken from
        // sleep, or busy with the rules beside grammar validation) leaves
        // little to wait for at the end. (Two were slower by a sixth in
        // the criterion bench, eight by as much.)
        let runs = (rayon::current_num_threads() * 4).clamp(1, jobs.len());
        let mut bounds = Vec::with_capacity(runs + 1);
        bounds.push(0);
        let mut sum = 0;
        for (i, j) in jobs.iter().enumerate() {
            sum += j.weight;
            if bounds.len() < runs && sum * runs >= total * bounds.len() {
                bounds.push(i + 1);
            }
        }
        bounds.push(jobs.len());
        bounds.dedup();
        let me: &Checker<'a, 'o> = self;
        let found: Vec<Run> = bounds
            .par_windows(2)
            .map(|w| me.run(&jobs, w[0]..w[1], &chains))
            .collect();
        self.weave_runs(&jobs, found);
    }

    /// Validate jobs `range` with a checker of their own.
    fn run(
        &self,
        jobs: &[Job<'a>],
        range: std::ops::Range<usize>,
        chains: &[&'a Directive],
    ) -> Run {
        let mut vars = Variables::default();
        let mut c = Checker::new(
            self.opts,
            self.loaded,
            self.table,
            self.modules.clone(),
            &mut vars,
            self.root_context,
            self.whole,
        );
        c.cache.clone_from(&self.cache);
        c.resolved.clone_from(&self.resolved);
        c.log_formats = Cow::Borrowed(&*self.log_formats);
        let mut starts = Vec::with_capacity(range.len() + 1);
        let mut stack = Vec::new();
        let mut ancestors = Vec::new();
        for i in range {
            let Some(job) = jobs.get(i) else { break };
            starts.push(c.marks());
            c.frames.clear();
            c.once.clear();
            c.suppress = None;
            c.epoch = i as u32;
            ancestors.clear();
            ancestors.extend_from_slice(chains.get(job.chain.clone()).unwrap_or_default());
            stack.push(Frame::Block {
                iter: job.directives.iter(),
                context: Context::Http,
                owned: false,
            });
            c.walk_frames(&mut stack, &mut ancestors);
        }
        starts.push(c.marks());
        let mut run = Run {
            out: c.out,
            infos: c.infos,
            vars: Variables::default(),
            zones_used: c.zones_used,
            ssl_servers: c.ssl_servers,
            ssl_on: c.ssl_on,
            cert_blocks: c.cert_blocks,
            upstreams: c.upstreams,
            http_servers: c.http_servers,
            starts,
        };
        // The checker borrowed them; it is gone now.
        run.vars = vars;
        run
    }

    /// Merge the runs' findings and facts into this (top-level) checker's,
    /// each job's at its marks.
    fn weave_runs(&mut self, jobs: &[Job<'a>], runs: Vec<Run>) {
        let mut outs = Vec::with_capacity(runs.len());
        let mut uses = Vec::with_capacity(runs.len());
        let mut zones = Vec::with_capacity(runs.len());
        let mut servers = Vec::with_capacity(runs.len());
        let mut ssl_on = Vec::with_capacity(runs.len());
        let mut upstreams = Vec::with_capacity(runs.len());
        for r in runs {
            let starts = |f: fn(&Marks) -> usize| r.starts.iter().map(f).collect::<Vec<_>>();
            outs.push((tag(r.out, &r.infos), starts(|m| m.out)));
            let (defined, u) = r.vars.into_parts();
            self.vars.define_all(defined);
            uses.push((u, starts(|m| m.uses)));
            zones.push((r.zones_used, starts(|m| m.zones_used)));
            servers.push((r.ssl_servers, starts(|m| m.ssl_servers)));
            ssl_on.push((r.ssl_on, starts(|m| m.ssl_on)));
            self.cert_blocks.extend(r.cert_blocks);
            // Only asked whether any matches: the order does not matter.
            self.http_servers.extend(r.http_servers);
            upstreams.push((r.upstreams, starts(|m| m.upstreams)));
        }
        let mut all = tag(
            std::mem::take(&mut self.out),
            &std::mem::take(&mut self.infos),
        );
        weave(&mut all, jobs.iter().map(|j| j.at.out), outs);
        for (i, (d, module)) in all.into_iter().enumerate() {
            if let Some(m) = module {
                self.infos.push((i, m));
            }
            self.out.push(d);
        }
        weave(self.vars.uses_mut(), jobs.iter().map(|j| j.at.uses), uses);
        weave(
            &mut self.zones_used,
            jobs.iter().map(|j| j.at.zones_used),
            zones,
        );
        weave(
            &mut self.ssl_servers,
            jobs.iter().map(|j| j.at.ssl_servers),
            servers,
        );
        weave(&mut self.ssl_on, jobs.iter().map(|j| j.at.ssl_on), ssl_on);
        weave(
            &mut self.upstreams,
            jobs.iter().map(|j| j.at.upstreams),
            upstreams,
        );
    }

    /// Keep only the first `grammar/third-party-directive` report of each
    /// module in the whole run (`seen` spans the roots).
    fn settle_infos(&mut self, seen: &mut HashSet<&'static str>) {
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
    fn visit(&mut self, v: &Visit<'a, '_>, group: Option<usize>) -> Option<Context> {
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
        if child.is_none() && d.block.is_some() {
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
            third_party: (matches!(entry.kind, Kind::ThirdParty | Kind::External)
                && self.third_party_assumed)
                || (entry.kind == Kind::Plus && !self.opts.plus),
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
        if entry.kind == Kind::ThirdParty
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
            self.duplicates(d, entry);
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

    fn third_party_info(&mut self, d: &Directive, e: &'static Entry) {
        if !self.info_local.insert(e.module) {
            return;
        }
        self.infos.push((self.out.len(), e.module));
        if e.kind == Kind::Plus {
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
        let what = if e.kind == Kind::External {
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

    /// nginx's name lookup: the first usable row allowing this context.
    /// Reports and returns `None` when there is none.
    fn resolve(
        &mut self,
        d: &Directive,
        ctx: Context,
        group: Option<usize>,
    ) -> Option<&'static Entry> {
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
        let usable: Vec<&'static Entry> = rows
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
        let help = match suggest(name, ctx, self.opts, &self.modules) {
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

    fn duplicates(&mut self, d: &Directive, e: &'static Entry) {
        let start = self.frames.last().copied().unwrap_or(0);
        let first = self
            .once
            .get(start..)
            .and_then(|run| run.iter().find(|(i, _)| *i == e.index))
            .map(|&(_, span)| span);
        match first {
            Some(first) => {
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

    /// Facts for the load-time semantic checks run in [`Checker::finish`].
    fn semantic(&mut self, v: &Visit<'a, '_>, block: usize, sp: Special) {
        let d = v.directive;
        let ctx = v.context;
        match (ctx, sp) {
            (Context::Main, Special::Events) => self.events = true,
            (Context::Http, Special::LogFormat) => {
                if let Some(n) = d.arg(0) {
                    let epoch = self.jobs.len() as u32;
                    self.log_formats
                        .to_mut()
                        .entry(n.to_string())
                        .or_insert(epoch);
                }
            }
            (
                Context::Http
                | Context::Server
                | Context::Location
                | Context::IfInServer
                | Context::IfInLocation
                | Context::LimitExcept,
                Special::AccessLog,
            ) => {
                if let (true, Some(f)) = (self.whole, d.arg(1)) {
                    if !f.contains('=')
                        && f != "combined"
                        && self.log_formats.get(f).is_none_or(|&e| e > self.epoch)
                    {
                        self.push(
                            Diagnostic::error(UNKNOWN_LOG_FORMAT, format!("unknown log format \"{f}\""))
                                .with_span(d.args[1].span)
                                .with_label("no log_format with this name before here")
                                .with_help(format!("define `log_format {f} ...;` in the http block before this access_log, or use the predefined \"combined\"")),
                        );
                    }
                }
            }
            (Context::Http, Special::LimitReqZone | Special::LimitConnZone) => {
                let kind = if sp == Special::LimitReqZone {
                    "limit_req"
                } else {
                    "limit_conn"
                };
                for a in &d.args {
                    if let Some(z) = a.value.strip_prefix("zone=") {
                        let n = z.split(':').next().unwrap_or(z);
                        self.zones_defined.insert((kind, n.to_string()));
                    }
                }
            }
            (_, Special::LimitReq) if ctx.is_http() => {
                for a in &d.args {
                    if let Some(z) = a.value.strip_prefix("zone=") {
                        self.zones_used.push(("limit_req", z.to_string(), a.span));
                    }
                }
            }
            (_, Special::LimitConn) if ctx.is_http() => {
                if let Some(a) = d.args.first() {
                    self.zones_used
                        .push(("limit_conn", a.value.to_string(), a.span));
                }
            }
            (Context::Http | Context::Stream, Special::Upstream) => {
                if let Some(b) = &d.block {
                    self.upstreams.push(UpstreamSeen {
                        id: d as *const Directive as usize,
                        span: b.close.unwrap_or(b.open),
                        name: d.arg(0).unwrap_or("").to_string(),
                        servers: false,
                        uncertain: b.close.is_none(),
                        zone: false,
                    });
                }
            }
            (Context::Upstream | Context::StreamUpstream, n) => {
                if let Some(u) = self.upstreams.iter_mut().rev().find(|u| u.id == block) {
                    match n {
                        Special::Server => u.servers = true,
                        Special::Zone => u.zone = true,
                        Special::Include if self.loaded.included_by(d).is_empty() => {
                            u.uncertain = true
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        self.after_semantic(v, block, sp);
    }

    /// The semantic facts any directive may add, whatever its context.
    fn after_semantic(&mut self, v: &Visit<'a, '_>, block: usize, sp: Special) {
        let d = v.directive;
        let ctx = v.context;
        if ctx == Context::Server
            && sp == Special::Listen
            && d.args.iter().skip(1).any(|a| a.value == "ssl")
        {
            let http = v
                .ancestors
                .len()
                .checked_sub(2)
                .and_then(|i| v.ancestors.get(i));
            if let Some(server) = v.ancestors.last() {
                if let Some(b) = &server.block {
                    self.ssl_servers
                        .push((block, block_id(http), b.open, d.head_span()));
                }
            }
        }
        if ctx == Context::Http && sp == Special::Server {
            self.http_servers
                .push((d as *const Directive as usize, block));
        }
        if matches!(ctx, Context::Http | Context::Server)
            && sp == Special::Ssl
            && d.arg(0).is_some_and(|a| a.eq_ignore_ascii_case("on"))
        {
            let http = if ctx == Context::Http {
                block
            } else {
                block_id(
                    v.ancestors
                        .len()
                        .checked_sub(2)
                        .and_then(|i| v.ancestors.get(i)),
                )
            };
            self.ssl_on
                .push((block, http, d.head_span(), ctx == Context::Http));
        }
        if matches!(ctx, Context::Http | Context::Server) {
            let set = match sp {
                Special::SslCertificate => true,
                Special::SslRejectHandshake => d.arg(0) == Some("on"),
                _ => false,
            };
            if set {
                self.cert_blocks.insert(block);
            }
        }
    }

    /// `set`/`map`/`geo`/`split_clients`/`perl_set`/`js_set` of a built-in
    /// variable that nginx does not let change.
    fn variable_definition(&mut self, d: &Directive, ctx: Context, sp: Special) {
        let target = match (ctx, sp) {
            (
                Context::Server | Context::Location | Context::IfInServer | Context::IfInLocation,
                Special::Set,
            ) => d.args.first(),
            (Context::Http, Special::Map) => d.args.get(1),
            (Context::Http, Special::Geo) => d.args.last(),
            (Context::Http, Special::PerlJsSet) => d.args.first(),
            _ => None,
        };
        let Some(w) = target else { return };
        let Some(var) = w.value.strip_prefix('$') else {
            return;
        };
        if values::fixed_http_variable(var) {
            self.push(
                Diagnostic::error(DUPLICATE_VARIABLE, format!("the duplicate \"{var}\" variable"))
                    .with_span(w.span)
                    .with_label("built-in variable")
                    .with_help(format!("${var} is a built-in nginx variable that cannot be redefined: pick another name, e.g. ${var}_value")),
            );
        }
    }

    fn finish(&mut self, root: crate::syntax::FileId) {
        // nginx checks for `events` only after the whole file parsed.
        let parsed = self.loaded.files.iter().all(|f| f.errors.is_empty());
        if self.whole && !self.events && parsed {
            self.push(
                Diagnostic::error(MISSING_EVENTS, "no \"events\" section in configuration")
                    .with_span(Span::new(root, 0, 0))
                    .with_label("main configuration without events {}")
                    .with_help("add `events {}` at the top level (worker_connections goes there)"),
            );
        }
        let ups = std::mem::take(&mut self.upstreams);
        for u in &ups {
            if u.servers || u.uncertain || (u.zone && self.opts.plus) {
                continue;
            }
            self.push(
                Diagnostic::error(EMPTY_UPSTREAM, "no servers are inside upstream")
                    .with_span(u.span)
                    .with_label(format!("upstream \"{}\" ends without a server", u.name))
                    .with_help("add at least one `server host:port;` line to the upstream block"),
            );
        }
        if self.whole {
            let used = std::mem::take(&mut self.zones_used);
            for (kind, z, span) in used {
                if !self.zones_defined.contains(&(kind, z.clone())) {
                    self.push(
                        Diagnostic::error(UNDEFINED_ZONE, format!("zero size shared memory zone \"{z}\""))
                            .with_span(span)
                            .with_label(format!("no {kind}_zone defines \"{z}\""))
                            .with_help(format!("define it in the http block, e.g. `{kind}_zone $binary_remote_addr zone={z}:10m{};`", if kind == "limit_req" { " rate=10r/s" } else { "" })),
                    );
                }
            }
        }
        if matches!(self.root_context, Context::Main | Context::Http) {
            let ssl_on = std::mem::take(&mut self.ssl_on);
            for (block, http, span, at_http) in ssl_on {
                if self.cert_blocks.contains(&block) || self.cert_blocks.contains(&http) {
                    continue;
                }
                let uncovered = if at_http {
                    self.http_servers
                        .iter()
                        .any(|(s, h)| *h == http && !self.cert_blocks.contains(s))
                } else {
                    true
                };
                if uncovered {
                    self.push(
                        Diagnostic::error(
                            SSL_WITHOUT_CERTIFICATE,
                            "no \"ssl_certificate\" is defined for the \"ssl\" directive",
                        )
                        .with_span(span)
                        .with_label("ssl on without a certificate")
                        .with_help("add `ssl_certificate` and `ssl_certificate_key`; better, drop the deprecated `ssl on;` and use `listen 443 ssl;`"),
                    );
                }
            }
            let servers = std::mem::take(&mut self.ssl_servers);
            let mut done = HashSet::new();
            for (server, http, open, listen) in servers {
                if self.cert_blocks.contains(&server)
                    || self.cert_blocks.contains(&http)
                    || !done.insert(server)
                {
                    continue;
                }
                self.push(
                    Diagnostic::error(
                        SSL_WITHOUT_CERTIFICATE,
                        "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive",
                    )
                    .with_span(open)
                    .with_label("this server has no ssl_certificate")
                    .with_related(listen, "listens with ssl here")
                    .with_help("add `ssl_certificate` and `ssl_certificate_key` to this server (or the http block), or drop `ssl` from the listen line"),
                );
            }
        }
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
fn suggest(
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
            Avail::Yes if matches!(e.kind, Kind::Oss | Kind::Removed) => 0,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::LoadOptions;

    /// Grammar findings (rule, line) for an `nginx -T` style dump.
    fn findings(dump: &str) -> Vec<(&'static str, usize)> {
        let mut loaded = Loaded::default();
        let roots = loaded.load_text(
            "-".into(),
            dump.as_bytes().to_vec(),
            &LoadOptions {
                follow_includes: true,
                ..Default::default()
            },
        );
        let outcome = LintOutcome {
            roots: vec![super::super::Root {
                file: roots[0],
                context: Context::Main,
            }],
            loaded,
            diagnostics: Vec::new(),
        };
        let mut out = Vec::new();
        check(&outcome, &LintOptions::default(), &mut out);
        out.iter()
            .map(|d| {
                let span = d.span.expect("grammar findings have a span");
                let file = outcome.loaded.sources.get(span.file);
                (d.rule, file.position(span.start()).line)
            })
            .collect()
    }

    #[test]
    fn duplicates_are_per_block_even_through_shared_includes() {
        // nginx -t accepts one file of locations included by two servers.
        let dump = "# configuration file /e/nginx.conf:\nevents {}\nhttp {\n server { listen 81; include /e/loc.conf; }\n server { listen 82; include /e/loc.conf; }\n}\n\n# configuration file /e/loc.conf:\nlocation / { root /a; }\n\n";
        assert_eq!(findings(dump), []);
        // Twice in one block, also through an include: nginx says duplicate.
        let dump = "# configuration file /e/nginx.conf:\nevents {}\nhttp {\n server { include /e/r.conf; include /e/r.conf; }\n server { root /a; location / { root /b; } root /c; }\n}\n\n# configuration file /e/r.conf:\nroot /a;\n\n";
        assert_eq!(
            findings(dump),
            [(DUPLICATE_DIRECTIVE, 1), (DUPLICATE_DIRECTIVE, 4)]
        );
    }

    #[test]
    fn unknown_variables_are_found_inside_rejected_blocks() {
        // Grammar stops at the unknown block directive and in data blocks;
        // the variable check still sees every word.
        let dump = "events {}\nhttp {\n server { foo { return 200 $arg; } }\n map $x $y { default $http; }\n server { location / { return 200 $cookie; } }\n}\n";
        assert_eq!(
            findings(dump),
            [
                (UNKNOWN_DIRECTIVE, 3),
                (variables::UNKNOWN_VARIABLE, 3),
                (variables::UNKNOWN_VARIABLE, 4),
                (variables::UNKNOWN_VARIABLE, 5),
            ]
        );
    }

    #[test]
    fn suggests_in_context() {
        let o = LintOptions::default();
        assert_eq!(
            suggest("proxy_pas", Context::Location, &o, &None),
            Some("proxy_pass")
        );
        assert_eq!(
            suggest("Server_Name", Context::Server, &o, &None),
            Some("server_name")
        );
        assert_eq!(suggest("zzzzzzzzzz", Context::Server, &o, &None), None);
    }
}
