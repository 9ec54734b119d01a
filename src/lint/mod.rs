//! Linting: load inputs (files, directories, stdin, `nginx -T` dumps), then
//! run every check over them and collect [`Diagnostic`]s. Syntax and include
//! problems come from loading; grammar validation and the 502/504 rules plug
//! in through [`run_checks`].

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Severity};
use crate::load::{LoadError, LoadOptions, Loaded};
use crate::model::Context;
use crate::syntax::{Block, FileId};

pub mod baseline;
pub mod config;
pub mod findings;
pub mod grammar;
pub mod refuse;
pub mod registry;
pub mod rule;
pub mod rules;
pub mod scope;
pub mod suppress;
pub mod template;
pub mod variables;

pub use findings::Findings;

/// An nginx version, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NginxVersion(pub u32, pub u32, pub u32);

impl NginxVersion {
    /// The default target: the newest stable release the directive table
    /// knows. Rules whose risk depends on behaviour that changed in a later
    /// release still assume the older behaviour while the target is not
    /// given ([`LintOptions::version_known`]).
    pub const DEFAULT: NginxVersion = NginxVersion(1, 30, 0);
    /// The newest release in the directive table: what an unknown target is
    /// allowed to be when the configuration uses newer directives (they raise
    /// the minimum instead of being errors).
    pub const NEWEST: NginxVersion = NginxVersion(1, 31, 3);

    pub fn parse(s: &str) -> Option<NginxVersion> {
        let mut it = s.trim().trim_start_matches("nginx/").split('.');
        let a = it.next()?.parse().ok()?;
        let b = it.next().unwrap_or("0").parse().ok()?;
        let c = it.next().unwrap_or("0").parse().ok()?;
        if it.next().is_some() {
            return None;
        }
        Some(NginxVersion(a, b, c))
    }
}

impl Default for NginxVersion {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl std::fmt::Display for NginxVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// File names linted when a directory is given (see README).
pub const DEFAULT_GLOBS: &[&str] = &["*.conf", "*.conf.template", "*.nginx", "nginx.conf*"];
/// Directory names whose files are all nginx configs, whatever their names.
pub const CONFIG_DIRS: &[&str] = &[
    "sites-enabled",
    "sites-available",
    "conf.d",
    "vhosts.d",
    "http.d",
    "stream.d",
];

#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// Lint fragments as if included in this context (default: inferred).
    pub context: Option<Context>,
    pub prefix: Option<PathBuf>,
    /// Install path → repository path, for absolute includes.
    pub path_map: Vec<(PathBuf, PathBuf)>,
    /// Substitute defined environment variables first (`--env-subst`).
    pub env_subst: bool,
    /// The given files are the whole configuration (`--complete`): report
    /// missing directives in fragments too, as `nginx -t` on the file alone
    /// would.
    pub complete: bool,
    /// Globs for files to pick inside directories (default [`DEFAULT_GLOBS`]).
    pub globs: Vec<String>,
    /// Target nginx version (`--nginx-version`).
    pub nginx_version: NginxVersion,
    /// `nginx_version` was given (`--nginx-version`, the config file, or
    /// `auto`). When it was not, directives of newer releases are accepted
    /// and behaviour-dependent risks assume older releases.
    pub version_known: bool,
    /// Target NGINX Plus (`--flavor plus`).
    pub plus: bool,
    /// The flavor was given. When it was not, NGINX Plus directives are
    /// accepted with one info per module (the config targets Plus).
    pub flavor_known: bool,
    /// Rule ids or categories to run (empty: all).
    pub select: Vec<String>,
    /// Rule ids or categories to skip.
    pub ignore: Vec<String>,
    /// Explicit `.ngxray.toml` (default: found upward from the first input).
    pub config: Option<PathBuf>,
    /// Really resolve upstream host names (`dns/unresolvable-host`).
    pub resolve: bool,
    /// How `--resolve` looks names up (deadline, server, progress).
    pub resolve_with: crate::resolve::ResolveSettings,
    /// Per-rule severities and options (from `.ngxray.toml`).
    pub settings: config::Settings,
    /// Dynamic modules assumed loaded, as by `load_module` (`.so` names).
    pub modules: Vec<String>,
    /// `[per-file-ignores]` of the governing `.ngxray.toml`.
    pub per_file_ignores: Vec<config::PerFileIgnore>,
}

impl LintOptions {
    /// The version directive availability is checked against: the target
    /// when known, else the newest release (a directive the config uses
    /// raises the minimum).
    pub fn grammar_version(&self) -> NginxVersion {
        if self.version_known {
            self.nginx_version
        } else {
            self.nginx_version.max(NginxVersion::NEWEST)
        }
    }
}

/// One root file and the context it is linted in.
#[derive(Debug, Clone, Copy)]
pub struct Root {
    pub file: FileId,
    pub context: Context,
}

#[derive(Debug, Default)]
pub struct LintOutcome {
    pub loaded: Loaded,
    pub roots: Vec<Root>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Expand directories into the config files inside them (see [`scope`]:
/// sorted, hidden and git-ignored paths skipped, symlinked files followed,
/// symlinked directories not). No `.ngxray.toml` is read here.
pub fn expand_inputs(paths: &[PathBuf], globs: &[String]) -> Result<Vec<PathBuf>, LoadError> {
    let walk = scope::Walk {
        globs: globs.to_vec(),
        ..scope::Walk::default()
    };
    match scope::plan(paths, &walk, &mut scope::Configs::none()) {
        Ok(p) => Ok(p.into_iter().map(|(f, _)| f).collect()),
        Err(scope::ScopeError::Load(e)) => Err(e),
        Err(e) => Err(LoadError::Io {
            path: ".".into(),
            source: std::io::Error::other(e.to_string()),
        }),
    }
}

/// Directives that only appear at the top of a main config.
const MAIN_MARKERS: &[&str] = &[
    "events",
    "http",
    "stream",
    "mail",
    "worker_processes",
    "user",
    "pid",
    "load_module",
    "worker_rlimit_nofile",
    "daemon",
    "master_process",
    "env",
    "pcre_jit",
    "thread_pool",
    "worker_cpu_affinity",
    "worker_priority",
    "working_directory",
    "lock_file",
];
const SERVER_MARKERS: &[&str] = &["listen", "server_name", "location", "ssl_certificate"];
const HTTP_MARKERS: &[&str] = &[
    "server",
    "upstream",
    "map",
    "log_format",
    "limit_req_zone",
    "limit_conn_zone",
    "proxy_cache_path",
    "geo",
    "split_clients",
];
const LOCATION_MARKERS: &[&str] = &[
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
    "try_files",
    "alias",
    "limit_except",
    "content_by_lua_block",
    // Rewrite-module directives: server, location or if, never http.
    "set",
    "if",
    "rewrite",
    "return",
    "break",
];
const EVENTS_MARKERS: &[&str] = &["worker_connections", "use", "multi_accept", "accept_mutex"];

/// The context a file's top level is linted in when `--context` is not given:
/// main if it has main-only directives (`events`, `http`, `worker_processes`,
/// …); otherwise server if it has `listen`/`server_name`/`location`; http if
/// it has `server`/`upstream`/`map`/…; location if it has `*_pass`/`try_files`;
/// events for `worker_connections`; http by default.
pub fn infer_context(root: &Block) -> Context {
    let has = |set: &[&str]| root.directives.iter().any(|d| set.contains(&d.name()));
    if has(MAIN_MARKERS) {
        Context::Main
    } else if has(SERVER_MARKERS) && !has(&["server", "upstream"]) {
        Context::Server
    } else if has(HTTP_MARKERS) {
        Context::Http
    } else if has(LOCATION_MARKERS) {
        Context::Location
    } else if has(EVENTS_MARKERS) {
        Context::Events
    } else {
        Context::Http
    }
}

/// Load and lint the given inputs.
pub fn lint_paths(paths: &[PathBuf], opts: &LintOptions) -> Result<LintOutcome, LoadError> {
    // An input that cannot be read (missing, unreadable, an empty
    // directory, empty standard input) is a finding of its own; the other
    // inputs are still linted.
    let mut unreadable = Vec::new();
    let mut inputs = Vec::new();
    for p in paths {
        match expand_inputs(std::slice::from_ref(p), &opts.globs) {
            Ok(found) => inputs.extend(found),
            Err(e) => unreadable.push(e),
        }
    }
    let load_opts = LoadOptions {
        prefix: opts.prefix.clone(),
        path_map: opts.path_map.clone(),
        env_subst: opts.env_subst,
        follow_includes: true,
    };
    let mut loaded = Loaded::default();
    for p in &inputs {
        if let Err(e) = loaded.load_path(p, &load_opts) {
            unreadable.push(e);
        }
    }
    loaded
        .diagnostics
        .extend(unreadable.iter().map(unreadable_input));
    Ok(lint_loaded(loaded, opts))
}

/// Inputs linted with one set of options: those one `.ngxray.toml`
/// governs (see [`scope`]).
#[derive(Debug, Clone, Default)]
pub struct LintGroup {
    /// Files (already expanded: no directories) or `-`.
    pub inputs: Vec<PathBuf>,
    pub opts: LintOptions,
    /// The governing `.ngxray.toml`, if any.
    pub config: Option<PathBuf>,
}

/// Load and lint groups of inputs, each with its own options, into one
/// outcome (one source map for the reporters). A finding belongs to the
/// group whose config governs the file of its primary span.
pub fn lint_groups(groups: &[LintGroup]) -> Result<LintOutcome, LoadError> {
    let Some(first) = groups.first() else {
        return Ok(LintOutcome::default());
    };
    let mut loaded = Loaded::default();
    let mut root_group = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let load_opts = LoadOptions {
            prefix: g.opts.prefix.clone(),
            path_map: g.opts.path_map.clone(),
            env_subst: g.opts.env_subst,
            follow_includes: true,
        };
        for p in &g.inputs {
            // An input that cannot be read is a finding of its own; the
            // other inputs are still linted.
            match loaded.load_path(p, &load_opts) {
                Ok(ids) => root_group.extend(ids.into_iter().map(|id| (id, gi))),
                Err(e) => {
                    let d = unreadable_input(&e);
                    loaded.diagnostics.push(d);
                }
            }
        }
    }
    if groups.len() == 1 {
        return Ok(lint_loaded(loaded, &first.opts));
    }
    Ok(lint_loaded_groups(loaded, groups, &root_group))
}

/// The `io/unreadable` finding of an input that could not be read: no
/// span (there is no text); the label names the input's path.
fn unreadable_input(e: &LoadError) -> Diagnostic {
    let LoadError::Io { path, .. } = e;
    Diagnostic::error("io/unreadable", e.to_string())
        .with_label(path.clone())
        .with_help("fix the path or its permissions; the other inputs were linted")
}

/// Lint already loaded files.
pub fn lint_loaded(loaded: Loaded, opts: &LintOptions) -> LintOutcome {
    let mut outcome = prepare(loaded, |_| opts);
    run_checks(&mut outcome, opts);
    sort(&mut outcome.diagnostics);
    outcome.diagnostics.dedup();
    outcome
}

/// Roots (with their contexts) and the findings of loading.
fn prepare<'a>(loaded: Loaded, opts_of: impl Fn(FileId) -> &'a LintOptions) -> LintOutcome {
    // A root that another root includes is linted through that include.
    let included: std::collections::HashSet<FileId> =
        loaded.includes.values().flatten().copied().collect();
    let roots: Vec<Root> = loaded
        .roots
        .iter()
        .filter(|r| !included.contains(r) || loaded.roots.len() == 1)
        .map(|&file| Root {
            file,
            context: opts_of(file)
                .context
                .unwrap_or_else(|| refuse::root_context(&loaded, file)),
        })
        .collect();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    for f in &loaded.files {
        diagnostics.extend(f.errors.iter().map(Diagnostic::from));
    }
    diagnostics.extend(loaded.diagnostics.iter().cloned());
    missing_includes(&loaded, &roots, &mut diagnostics);
    LintOutcome {
        loaded,
        roots,
        diagnostics,
    }
}

/// Files reachable from a root through includes (the root first).
fn reach(loaded: &Loaded, root: FileId) -> Vec<FileId> {
    let mut out = vec![root];
    let mut i = 0;
    while let Some(&f) = out.get(i) {
        i += 1;
        for ((from, _), to) in &loaded.includes {
            if *from == f {
                for t in to {
                    if !out.contains(t) {
                        out.push(*t);
                    }
                }
            }
        }
    }
    out
}

/// Several groups: the checks run once per group over that group's roots;
/// each keeps the findings in the files it owns — files its config governs
/// that its roots reach, then files only other groups' roots reach.
fn lint_loaded_groups(
    loaded: Loaded,
    groups: &[LintGroup],
    root_group: &[(FileId, usize)],
) -> LintOutcome {
    let group_of_root = |f: FileId| {
        root_group
            .iter()
            .find(|(id, _)| *id == f)
            .map(|(_, g)| *g)
            .unwrap_or(0)
    };
    let mut outcome = prepare(loaded, |f| &groups[group_of_root(f)].opts);
    let all_roots = std::mem::take(&mut outcome.roots);
    let base = std::mem::take(&mut outcome.diagnostics);
    // Owner of each file.
    let n = outcome.loaded.files.len();
    let mut owner: Vec<Option<usize>> = vec![None; n];
    let reaches: Vec<(usize, Vec<FileId>)> = all_roots
        .iter()
        .map(|r| (group_of_root(r.file), reach(&outcome.loaded, r.file)))
        .collect();
    let mut nearest: std::collections::HashMap<PathBuf, Option<PathBuf>> =
        std::collections::HashMap::new();
    for (g, files) in &reaches {
        for f in files {
            let path = &outcome.loaded.sources.get(*f).path;
            let dir = config::absolute(path)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let home = nearest
                .entry(dir)
                .or_insert_with_key(|d| config::find(d))
                .clone();
            if owner[f.0 as usize].is_none() && home.is_some() && groups[*g].config == home {
                owner[f.0 as usize] = Some(*g);
            }
        }
    }
    for (g, files) in &reaches {
        for f in files {
            owner[f.0 as usize].get_or_insert(*g);
        }
    }
    let mut all = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        outcome.roots = all_roots
            .iter()
            .filter(|r| group_of_root(r.file) == gi)
            .copied()
            .collect();
        if outcome.roots.is_empty() {
            continue;
        }
        outcome.diagnostics = base.clone();
        run_checks(&mut outcome, &g.opts);
        all.extend(outcome.diagnostics.drain(..).filter(|d| match d.span {
            Some(s) => owner.get(s.file.0 as usize).copied().flatten().unwrap_or(0) == gi,
            None => gi == 0,
        }));
    }
    outcome.roots = all_roots;
    outcome.diagnostics = all;
    sort(&mut outcome.diagnostics);
    outcome.diagnostics.dedup();
    outcome
}

/// Files every nginx package installs in its conf prefix: an include of one
/// that is not at hand is the install's, not a problem of the config.
const STOCK_FILES: &[&str] = &[
    "mime.types",
    "fastcgi_params",
    "fastcgi.conf",
    "uwsgi_params",
    "scgi_params",
    "proxy_params",
    "koi-utf",
    "koi-win",
    "win-utf",
    "snippets/fastcgi-php.conf",
    "snippets/snakeoil.conf",
];

/// Is this include argument one of nginx's stock files?
pub fn is_stock_include(arg: &str) -> bool {
    STOCK_FILES
        .iter()
        .any(|f| arg == *f || arg.strip_suffix(f).is_some_and(|head| head.ends_with('/')))
}

/// `include/not-found` for literal includes of missing files: an error in a
/// main config (nginx refuses to start), an info in a fragment (its install
/// layout is unknown here: `--prefix` or `--path-map` make it checkable).
/// nginx's stock files (`mime.types`, `fastcgi_params`, …) come with every
/// install and are not reported.
fn missing_includes(loaded: &Loaded, roots: &[Root], out: &mut Vec<Diagnostic>) {
    for m in &loaded.missing {
        if is_stock_include(&m.arg) {
            continue;
        }
        let (code, text) = (2, "No such file or directory");
        let message = format!("open() \"{}\" failed ({code}: {text})", m.path.display());
        let in_main = roots
            .iter()
            .any(|r| r.context == Context::Main && r.file == m.from);
        let d = if in_main {
            Diagnostic::error("include/not-found", message)
                .with_help("fix the path; when the config is kept in a repository, map its install path with --path-map /etc/nginx=PATH (or `[paths]` in .ngxray.toml), or set --prefix")
        } else {
            Diagnostic::info("include/not-found", message)
                .with_help("checks that depend on this file were skipped; map its install path with --path-map /etc/nginx=PATH (or `[paths]` in .ngxray.toml) to check them")
        };
        out.push(d.with_span(m.span).with_label("included here"));
    }
}

/// Sort findings by file, offset, rule and message, keeping the order of
/// equal ones. A finding is a pointer ([`Diagnostic`]): the sort moves 8
/// bytes a finding.
fn sort(diags: &mut [Diagnostic]) {
    use rayon::slice::ParallelSliceMut;
    diags.par_sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// The findings of several checks as one list, in order.
fn concat(pieces: Vec<Vec<Diagnostic>>) -> Vec<Diagnostic> {
    let mut all = Vec::with_capacity(pieces.iter().map(Vec::len).sum());
    for p in pieces {
        all.extend(p);
    }
    all
}

/// Which sides of the checks run: (grammar validation, model and rules).
/// A side none of whose ids is selected (`--select grammar`, `--ignore
/// grammar`) is not run at all.
fn sides(opts: &LintOptions) -> (bool, bool) {
    let grammar_on = grammar::IDS
        .iter()
        .chain([&variables::UNKNOWN_VARIABLE])
        .any(|id| config::is_selected(id, opts));
    let rules_on = registry::model_rules().any(|r| rules::runs(r, opts));
    (grammar_on, rules_on)
}

/// Below this much configuration text the checks run on the calling thread
/// ([`crate::source::PARALLEL_MIN_BYTES`]).
pub use crate::source::PARALLEL_MIN_BYTES;

fn run_checks(outcome: &mut LintOutcome, opts: &LintOptions) {
    // Grammar validation, the refusal checks and the rules only read the
    // outcome: run them side by side (the rules spread further over the
    // cores themselves).
    let (grammar_on, rules_on) = sides(opts);
    let shared: &LintOutcome = outcome;
    let parallel = shared
        .loaded
        .sources
        .files()
        .map(|(_, f)| f.text.len())
        .sum::<usize>()
        >= PARALLEL_MIN_BYTES;
    let grammar = || {
        let mut found = Vec::new();
        if grammar_on {
            grammar::check(shared, opts, &mut found);
        }
        found
    };
    let refusals = || {
        let mut found = Vec::new();
        if grammar_on {
            refuse::check(shared, opts, &mut found);
        }
        found
    };
    let rules = || {
        if rules_on {
            rules::check(shared, opts, parallel)
        } else {
            Vec::new()
        }
    };
    // Three independent walks: grammar, nginx's load-time refusals, and the
    // model with its rules.
    let ((found, refused), ruled) = if parallel {
        rayon::join(|| rayon::join(grammar, refusals), rules)
    } else {
        ((grammar(), refusals()), rules())
    };
    let mut pieces = vec![std::mem::take(&mut outcome.diagnostics), found, refused];
    pieces.extend(ruled);
    outcome.diagnostics = concat(pieces);
    template::apply(&outcome.loaded, &mut outcome.diagnostics);
    if !opts.complete {
        unknown_context(outcome);
    }
    config::apply(&mut outcome.diagnostics, opts);
    suppress::apply(outcome, opts);
    config::apply_per_file(&mut outcome.diagnostics, opts, &outcome.loaded.sources);
}

/// Checks that fire on something *missing*: in a fragment linted alone, or
/// in a config with an include that could not be read, the missing thing
/// may well be in the part ngxray did not see.
const ABSENCE_RULES: &[&str] = &[
    "grammar/ssl-without-certificate",
    "grammar/unknown-log-format",
    "grammar/undefined-zone",
    "grammar/unknown-variable",
    "grammar/missing-events",
    "grammar/empty-upstream",
    "dns/variable-pass-without-resolver",
    "dns/resolve-param-misconfigured",
    "upstream/undefined-upstream-name",
    "inherit/proxy-set-header-dropped",
    "protocol/websocket-upgrade-missing",
    "tls/verify-misconfigured",
];

/// Unknown outer context never yields an assertion of absence: findings of
/// [`ABSENCE_RULES`] in files that no complete main config reaches (a
/// fragment linted alone), or reached only through a config with an
/// include that could not be read, are replaced by one info per root that
/// says what could not be checked and why.
fn unknown_context(outcome: &mut LintOutcome) {
    let loaded = &outcome.loaded;
    // Files each root reaches, and whether that root is complete.
    let mut certain: std::collections::HashSet<FileId> = std::collections::HashSet::new();
    let mut why: Vec<(Root, String, Vec<FileId>)> = Vec::new();
    for root in &outcome.roots {
        let mut reach = vec![root.file];
        let mut i = 0;
        while let Some(&f) = reach.get(i) {
            i += 1;
            for ((from, _), to) in &loaded.includes {
                if *from == f {
                    for t in to {
                        if !reach.contains(t) {
                            reach.push(*t);
                        }
                    }
                }
            }
        }
        let unread = loaded
            .missing
            .iter()
            .find(|m| reach.contains(&m.from) && !is_stock_include(&m.arg));
        match (root.context, unread) {
            (Context::Main, None) => certain.extend(reach),
            (Context::Main, Some(m)) => why.push((
                *root,
                format!("the include of \"{}\" could not be read", m.path.display()),
                reach,
            )),
            (ctx, _) => why.push((
                *root,
                format!("this file is a fragment linted as if included in {ctx} context, and the config around it was not given"),
                reach,
            )),
        }
    }
    let mut skipped: std::collections::HashMap<FileId, Vec<&'static str>> =
        std::collections::HashMap::new();
    outcome.diagnostics.retain(|d| {
        if !ABSENCE_RULES.contains(&d.rule) || d.severity == Severity::Info {
            return true;
        }
        let Some(span) = d.span else { return true };
        if certain.contains(&span.file) {
            return true;
        }
        skipped.entry(span.file).or_default().push(d.rule);
        false
    });
    if skipped.is_empty() {
        return;
    }
    for (root, reason, reach) in why {
        // The findings this root's files lost (each counted once).
        let mut rules: Vec<&str> = reach
            .iter()
            .filter_map(|f| skipped.remove(f))
            .flatten()
            .collect();
        if rules.is_empty() {
            continue;
        }
        let n = rules.len();
        rules.sort_unstable();
        rules.dedup();
        let text = &loaded.sources.get(root.file).text;
        let end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
        outcome.diagnostics.push(
            Diagnostic::info(
                "include/incomplete-config",
                format!(
                    "{n} check{} for a missing directive ({}) not reported: {reason}",
                    if n == 1 { "" } else { "s" },
                    rules.join(", ")
                ),
            )
            .with_span(crate::syntax::Span::new(root.file, 0, end))
            .with_label("checked without the whole config")
            .with_help("lint the main config that includes this file (or the whole directory), or make the missing files readable (--prefix, --path-map), so that what is missing can be told from what was not seen"),
        );
    }
}

/// Does any diagnostic reach the threshold? `None` = never fail.
pub fn fails(diags: &[Diagnostic], threshold: Option<Severity>) -> bool {
    match threshold {
        Some(t) => diags.iter().any(|d| d.severity >= t),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn at(file: u32, offset: usize, rule: &'static str, message: &str) -> Diagnostic {
        Diagnostic::warning(rule, message).with_span(Span::new(FileId(file), offset, offset + 1))
    }

    #[test]
    fn concat_keeps_the_order() {
        let a = vec![at(0, 1, "a", "1"), at(0, 2, "a", "2")];
        let b = vec![at(0, 3, "b", "3"); 5];
        let c = vec![at(0, 4, "c", "4")];
        let all = concat(vec![a.clone(), b.clone(), Vec::new(), c.clone()]);
        let want: Vec<Diagnostic> = a.into_iter().chain(b).chain(c).collect();
        assert_eq!(all, want);
        assert!(concat(Vec::new()).is_empty());
    }

    #[test]
    fn sort_is_stable() {
        // Equal keys keep their order (the messages tell them apart).
        let mut v = vec![
            at(1, 5, "r", "x"),
            at(0, 9, "r", "a"),
            at(0, 2, "r", "first"),
            at(0, 2, "r", "first"),
            at(1, 0, "r", "y"),
            at(0, 2, "q", "z"),
        ];
        sort(&mut v);
        let got: Vec<(u32, usize, &str, &str)> = v
            .iter()
            .map(|d| {
                let (f, o, r) = d.sort_key();
                (f, o, r, d.message.as_str())
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (0, 2, "q", "z"),
                (0, 2, "r", "first"),
                (0, 2, "r", "first"),
                (0, 9, "r", "a"),
                (1, 0, "r", "y"),
                (1, 5, "r", "x"),
            ]
        );
    }
}
