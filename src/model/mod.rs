//! The whole-config model that rules read: built once per lint run from
//! [`walk`] (includes expanded, contexts known), it never re-reads text.
//!
//! # Shape
//!
//! * **Scopes** — a flat arena ([`Model::scopes`], indexed by [`ScopeId`]):
//!   one per lint root (its top level, in the root's context) and one per
//!   block (`http`, `server`, `location`, `if`, `limit_except`, `upstream`,
//!   stream `server`, …). Each knows its kind ([`Context`]), its block
//!   directive, its parent and its directives in nginx read order (includes
//!   expanded in place). Data blocks (`map`, `types`, `geo`,
//!   `split_clients`) are not scopes; their lines are read by
//!   [`Model::variable_values`].
//! * **Effective values** — [`Model::effective`] gives the value of a scalar
//!   directive at any scope with nginx's inheritance: the nearest enclosing
//!   level that sets it, else the built-in default ([`defaults`]).
//!   [`Model::effective_array`] does the all-or-nothing inheritance of array
//!   directives (`proxy_set_header`, `add_header`, `fastcgi_param`, …): the
//!   whole list of the nearest level that declares any. Both report when an
//!   `include` on the way could not be read ([`Effective::unknown`]), so
//!   rules that fire on the *absence* of a directive can stay quiet.
//! * **Upstreams** — [`Model::upstreams`]: explicit blocks with parsed
//!   `server` entries and the implicit upstreams of literal `*_pass
//!   host:port` targets; [`Model::passes`]: every `*_pass` with its parsed
//!   [`PassTarget`], scope and upstream.
//! * **Values** — [`values::parse_time`], [`values::parse_size`].
//!
//! # Extending
//!
//! A rule asks questions of the model; it does not walk the AST. To look at
//! every location that proxies: iterate [`Model::passes`] and ask
//! [`Model::effective`] at `pass.scope`. To look at every directive of a name
//! wherever it appears: [`Model::directives_named`]. Add an index here (built
//! in [`Model::build`], O(n)) rather than scanning in a rule.

pub mod context;
pub mod defaults;
mod inherit;
pub mod stock;
pub mod target;
pub mod upstream;
pub mod values;
pub mod walk;

use rustc_hash::FxHashMap;

pub use context::Context;
pub use target::{Host, PassModule, PassTarget};
pub use upstream::{Pass, PassId, Upstream, UpstreamId, UpstreamIndex, UpstreamServer};
pub use walk::{walk, Visit};

use crate::load::Loaded;
use crate::syntax::{Directive, FileId};

/// Index of a scope in [`Model::scopes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub u32);

/// Index of an entry in [`Model::entries`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(pub u32);

/// One directive in the model.
#[derive(Debug, Clone, Copy)]
pub struct ScopeEntry<'a> {
    pub directive: &'a Directive,
    /// The scope the directive is in.
    pub scope: ScopeId,
    /// [`name_key`] of the name: scans compare these before names.
    key: u32,
}

/// A level of configuration.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// The context inside this scope (`Location` for a location body).
    pub kind: Context,
    /// The block directive (`None` for a root file's top level).
    pub block: Option<&'a Directive>,
    pub parent: Option<ScopeId>,
    /// Directives directly in this scope, in read order.
    pub entries: Vec<EntryId>,
    pub children: Vec<ScopeId>,
    /// An `include` directly in this scope could not be read: the scope may
    /// hold directives ngxray cannot see.
    pub unknown_include: Option<&'a Directive>,
    /// name → entries, for large scopes only (see [`Model::local`]).
    index: Option<Box<FxHashMap<&'a str, Vec<EntryId>>>>,
    /// The nearest http `server` scope at or above this one, and the top of
    /// the chain: [`Model::enclosing`] and [`Model::is_complete`] answer in
    /// constant time at any nesting depth.
    server: Option<ScopeId>,
    root: ScopeId,
}

/// A 32-bit key of a directive name: its length and its first and last
/// eight bytes, mixed. Scanning a scope compares these, which sit in the
/// entry arena, instead of following every entry to its directive and
/// name; a matching key is confirmed by comparing names.
#[inline]
fn name_key(name: &str) -> u32 {
    let b = name.as_bytes();
    let word = |s: &[u8]| {
        let mut w = [0u8; 8];
        w[..s.len()].copy_from_slice(s);
        u64::from_le_bytes(w)
    };
    let n = b.len();
    let (head, tail) = if n >= 8 {
        (word(&b[..8]), word(&b[n - 8..]))
    } else {
        (word(b), 0)
    };
    let v = (head ^ tail.rotate_left(29) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (v >> 32) as u32
}

/// The directives of one name directly in a scope: see [`Model::local`].
pub struct Local<'m, 'a> {
    entries: &'m [ScopeEntry<'a>],
    ids: std::slice::Iter<'m, EntryId>,
    /// `None` when `ids` come from the scope's name index (all match).
    key: Option<u32>,
    name: &'m str,
}

impl<'a> Iterator for Local<'_, 'a> {
    type Item = &'a Directive;

    #[inline]
    fn next(&mut self) -> Option<&'a Directive> {
        loop {
            let e = self.entries.get(self.ids.next()?.0 as usize)?;
            match self.key {
                None => return Some(e.directive),
                Some(k) if e.key == k && e.directive.name() == self.name => {
                    return Some(e.directive)
                }
                Some(_) => {}
            }
        }
    }
}

/// Directives whose values are lists inherited all-or-nothing: a level that
/// declares any of them replaces the whole list from outer levels.
pub const ARRAY_DIRECTIVES: &[&str] = &[
    "proxy_set_header",
    "proxy_hide_header",
    "proxy_pass_header",
    "proxy_set_body",
    "fastcgi_param",
    "fastcgi_hide_header",
    "fastcgi_pass_header",
    "uwsgi_param",
    "uwsgi_hide_header",
    "uwsgi_pass_header",
    "scgi_param",
    "scgi_hide_header",
    "scgi_pass_header",
    "grpc_set_header",
    "grpc_hide_header",
    "grpc_pass_header",
    "add_header",
    "add_trailer",
    "error_page",
    "access_log",
    "allow",
    "deny",
    "limit_req",
    "limit_conn",
    "ssl_conf_command",
    "proxy_ssl_conf_command",
    "proxy_cache_valid",
    "fastcgi_cache_valid",
];

/// The effective value of a scalar directive at a scope.
#[derive(Debug, Clone, Copy)]
pub struct Effective<'a> {
    /// The directive that sets it (possibly in an outer scope).
    pub directive: Option<&'a Directive>,
    /// The scope of that directive.
    pub set_in: Option<ScopeId>,
    /// nginx's built-in default, when nothing sets it.
    pub default: Option<&'static str>,
    /// An unreadable `include` between the asking scope and where the value
    /// was found (or the root): the real value may differ.
    pub unknown: Option<&'a Directive>,
}

impl<'a> Effective<'a> {
    /// The first argument of the setting directive, else the default.
    pub fn value(&self) -> Option<&'a str> {
        match self.directive {
            Some(d) => d.arg(0),
            None => self.default,
        }
    }

    /// All arguments of the setting directive (empty when defaulted).
    pub fn args(&self) -> Vec<&'a str> {
        self.directive
            .map(|d| d.args.iter().map(|w| w.as_str()).collect())
            .unwrap_or_default()
    }

    /// Set explicitly somewhere in the chain.
    pub fn is_set(&self) -> bool {
        self.directive.is_some()
    }

    /// The value in milliseconds, when it is a valid nginx time.
    pub fn time_ms(&self) -> Option<u64> {
        values::parse_time(self.value()?)
    }
}

/// The effective list of an array directive at a scope.
#[derive(Debug, Clone)]
pub struct EffectiveArray<'a> {
    /// Every directive of the list, from the one level that declares it.
    pub directives: Vec<&'a Directive>,
    pub set_in: Option<ScopeId>,
    pub default: Option<&'static str>,
    pub unknown: Option<&'a Directive>,
}

/// How a variable gets its value.
#[derive(Debug, Clone, Copy)]
pub enum VarSource<'a> {
    /// `set $v value;`
    Set(&'a Directive),
    /// `map`/`geo`/`split_clients` block producing `$v`.
    Block(&'a Directive),
    /// A directive whose values ngxray cannot evaluate (`js_set`,
    /// `perl_set`, `set_by_lua*`, `auth_request_set`, …).
    Opaque(&'a Directive),
}

/// Directives that define a variable ngxray cannot evaluate: first argument
/// is the variable.
const OPAQUE_SETTERS: &[&str] = &[
    "js_set",
    "perl_set",
    "set_by_lua",
    "set_by_lua_block",
    "set_by_lua_file",
    "auth_request_set",
    "set_secure_link",
    "set_unescape_uri",
    "set_escape_uri",
    "set_md5",
    "set_sha1",
    "set_hashed_upstream",
    "set_formatted_gmt_time",
    "set_formatted_local_time",
];

/// The whole model. See the module documentation.
pub struct Model<'a> {
    pub loaded: &'a Loaded,
    pub scopes: Vec<Scope<'a>>,
    pub entries: Vec<ScopeEntry<'a>>,
    /// Root scopes, one per lint root.
    pub roots: Vec<ScopeId>,
    pub upstreams: UpstreamIndex<'a>,
    pub passes: Vec<Pass<'a>>,
    /// variable name (no `$`) → where it is defined.
    vars: FxHashMap<String, Vec<VarSource<'a>>>,
    /// Answers of [`Model::effective`] so far.
    memo: inherit::Memo,
}

/// Scopes with more entries than this get a name index (`http` with
/// thousands of servers); smaller ones are scanned.
const INDEX_AT: usize = 24;

impl<'a> Model<'a> {
    /// Build the model of every root (`(file, context)`), in order.
    pub fn build(loaded: &'a Loaded, roots: &[(FileId, Context)]) -> Model<'a> {
        // about one directive per 40 bytes of configuration
        let n_hint: usize = loaded
            .sources
            .files()
            .map(|(_, f)| f.text.len() / 40)
            .sum::<usize>()
            + 16;
        let mut m = Model {
            loaded,
            scopes: Vec::new(),
            entries: Vec::with_capacity(n_hint),
            roots: Vec::new(),
            upstreams: UpstreamIndex::default(),
            passes: Vec::new(),
            vars: FxHashMap::default(),
            memo: inherit::Memo::default(),
        };
        for &(file, ctx) in roots {
            let root = m.new_scope(ctx, None, None);
            m.roots.push(root);
            let mut stack: Vec<ScopeId> = vec![root];
            let mut upstream_of: FxHashMap<ScopeId, UpstreamId> = FxHashMap::default();
            walk(loaded, file, ctx, |v| {
                stack.truncate(v.ancestors.len() + 1);
                let Some(&scope) = stack.last() else {
                    return false;
                };
                let d = v.directive;
                let id = EntryId(m.entries.len() as u32);
                m.entries.push(ScopeEntry {
                    directive: d,
                    scope,
                    key: name_key(d.name()),
                });
                m.scopes[scope.0 as usize].entries.push(id);
                if d.name() == "include" && !d.args.is_empty() && loaded.included_by(d).is_empty() {
                    let s = &mut m.scopes[scope.0 as usize];
                    s.unknown_include.get_or_insert(d);
                }
                m.index_directive(d, v.context, scope, &upstream_of);
                if d.block().is_none() {
                    return true;
                }
                let child = v.context.child(d.name()).unwrap_or(Context::Unknown);
                if child == Context::Data {
                    m.index_data_block(d);
                    return false;
                }
                let s = m.new_scope(child, Some(d), Some(scope));
                if matches!(child, Context::Upstream | Context::StreamUpstream) {
                    let up = m.upstreams.add_explicit(Upstream {
                        name: d.arg(0).unwrap_or_default().to_string(),
                        directive: Some(d),
                        scope: Some(s),
                        stream: child == Context::StreamUpstream,
                        servers: Vec::new(),
                        used_by: Vec::new(),
                    });
                    upstream_of.insert(s, up);
                }
                stack.push(s);
                true
            });
        }
        m.link_passes();
        // The arenas grew by doubling; the rules' findings are added to
        // what is left, so give the slack back first.
        m.entries.shrink_to_fit();
        m.scopes.shrink_to_fit();
        m.passes.shrink_to_fit();
        for sc in &mut m.scopes {
            if sc.entries.len() > INDEX_AT {
                let mut ix: FxHashMap<&'a str, Vec<EntryId>> = FxHashMap::default();
                for e in &sc.entries {
                    ix.entry(m.entries[e.0 as usize].directive.name())
                        .or_default()
                        .push(*e);
                }
                sc.index = Some(Box::new(ix));
            }
        }
        m
    }

    fn new_scope(
        &mut self,
        kind: Context,
        block: Option<&'a Directive>,
        parent: Option<ScopeId>,
    ) -> ScopeId {
        let id = ScopeId(self.scopes.len() as u32);
        let up = parent.map(|p| &self.scopes[p.0 as usize]);
        let server = match kind {
            Context::Server => Some(id),
            _ => up.and_then(|p| p.server),
        };
        let root = up.map_or(id, |p| p.root);
        self.scopes.push(Scope {
            kind,
            block,
            parent,
            entries: Vec::new(),
            children: Vec::new(),
            unknown_include: None,
            index: None,
            server,
            root,
        });
        if let Some(p) = parent {
            self.scopes[p.0 as usize].children.push(id);
        }
        id
    }

    fn index_directive(
        &mut self,
        d: &'a Directive,
        ctx: Context,
        scope: ScopeId,
        upstream_of: &FxHashMap<ScopeId, UpstreamId>,
    ) {
        let name = d.name();
        match (name, ctx) {
            ("server", Context::Upstream | Context::StreamUpstream) => {
                let args: Vec<&str> = d.args.iter().map(|w| w.as_str()).collect();
                if let (Some(addr), Some(up)) =
                    (target::parse_server(&args), upstream_of.get(&scope))
                {
                    self.upstreams.get_mut(*up).servers.push(UpstreamServer {
                        directive: d,
                        address: addr,
                    });
                }
            }
            ("set", _) => {
                if let Some(v) = d.arg(0).and_then(|a| a.strip_prefix('$')) {
                    self.vars
                        .entry(v.to_string())
                        .or_default()
                        .push(VarSource::Set(d));
                }
            }
            _ if OPAQUE_SETTERS.contains(&name) => {
                if let Some(v) = d.arg(0).and_then(|a| a.strip_prefix('$')) {
                    self.vars
                        .entry(v.to_string())
                        .or_default()
                        .push(VarSource::Opaque(d));
                }
            }
            _ => {}
        }
        // a statement cut by a syntax error is not what nginx would run
        if d.terminator == crate::syntax::Terminator::Missing {
            return;
        }
        let stream = matches!(ctx, Context::StreamServer);
        let in_pass_ctx = matches!(
            ctx,
            Context::Location
                | Context::IfInLocation
                | Context::LimitExcept
                | Context::StreamServer
        );
        if in_pass_ctx && d.args.len() == 1 {
            if let Some(module) = PassModule::of(name, stream) {
                let t = target::parse_pass(d.args[0].as_str(), module);
                self.passes.push(Pass {
                    directive: d,
                    scope,
                    module,
                    target: t,
                    upstream: None,
                });
            }
        }
    }

    /// `map $src $dst {}`, `geo [$src] $dst {}`, `split_clients "…" $dst {}`.
    fn index_data_block(&mut self, d: &'a Directive) {
        let var = match d.name() {
            "map" | "split_clients" => d.arg(1),
            "geo" => d.args.last().map(|w| w.as_str()),
            _ => None,
        };
        if let Some(v) = var.and_then(|a| a.strip_prefix('$')) {
            self.vars
                .entry(v.to_string())
                .or_default()
                .push(VarSource::Block(d));
        }
    }

    /// Link every pass to its upstream (explicit block by name, else the
    /// implicit upstream of a literal target).
    fn link_passes(&mut self) {
        for i in 0..self.passes.len() {
            let p = &self.passes[i];
            let stream = p.module.is_stream();
            let up = if p.target.has_variables && !matches!(p.target.host, Host::Name(_)) {
                None
            } else {
                match &p.target.host {
                    Host::Name(n) if p.target.port.is_none() => self.upstreams.find(n, stream),
                    _ => None,
                }
                .or_else(|| {
                    (!p.target.has_variables)
                        .then(|| self.upstreams.implicit_for(&self.passes[i].target, stream))
                })
            };
            self.passes[i].upstream = up;
            if let Some(u) = up {
                self.upstreams.get_mut(u).used_by.push(PassId(i as u32));
            }
        }
    }

    // ---- queries -------------------------------------------------------

    pub fn scope(&self, id: ScopeId) -> &Scope<'a> {
        &self.scopes[id.0 as usize]
    }

    pub fn entry(&self, id: EntryId) -> &ScopeEntry<'a> {
        &self.entries[id.0 as usize]
    }

    /// The scope and its enclosing scopes, innermost first.
    pub fn chain(&self, scope: ScopeId) -> impl Iterator<Item = ScopeId> + '_ {
        std::iter::successors(Some(scope), move |s| self.scope(*s).parent)
    }

    /// The nearest enclosing scope (itself included) of a kind.
    pub fn enclosing(&self, scope: ScopeId, kind: Context) -> Option<ScopeId> {
        if kind == Context::Server {
            return self.scope(scope).server;
        }
        self.chain(scope).find(|s| self.scope(*s).kind == kind)
    }

    /// Does the chain reach a `main` root (the whole config is visible)?
    pub fn is_complete(&self, scope: ScopeId) -> bool {
        self.scope(self.scope(scope).root).kind == Context::Main
    }

    /// Directives named `name` directly in `scope`, in read order.
    pub fn local<'m>(&'m self, scope: ScopeId, name: &'m str) -> Local<'m, 'a> {
        let sc = self.scope(scope);
        let (ids, key) = match &sc.index {
            Some(ix) => (ix.get(name).map(Vec::as_slice).unwrap_or(&[]), None),
            None => (sc.entries.as_slice(), Some(name_key(name))),
        };
        Local {
            entries: &self.entries,
            ids: ids.iter(),
            key,
            name,
        }
    }

    /// The entry of the first directive named `name` directly in `scope`.
    fn first_entry(&self, scope: ScopeId, name: &str) -> Option<EntryId> {
        let sc = self.scope(scope);
        match &sc.index {
            Some(ix) => ix.get(name).and_then(|v| v.first().copied()),
            None => {
                let key = name_key(name);
                sc.entries.iter().copied().find(|e| {
                    let e = self.entry(*e);
                    e.key == key && e.directive.name() == name
                })
            }
        }
    }

    /// The first directive named `name` directly in `scope`.
    pub fn local_first(&self, scope: ScopeId, name: &str) -> Option<&'a Directive> {
        self.local(scope, name).next()
    }

    /// Every entry with this name, anywhere, in read order (a scan: rules
    /// call it a few times per run, not per directive).
    pub fn directives_named<'m>(
        &'m self,
        name: &'m str,
    ) -> impl Iterator<Item = &'m ScopeEntry<'a>> + 'm {
        self.entries
            .iter()
            .filter(move |e| e.directive.name() == name)
    }

    /// Scopes of a kind, in creation (read) order.
    pub fn scopes_of(&self, kind: Context) -> impl Iterator<Item = ScopeId> + '_ {
        self.scopes
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.kind == kind)
            .map(|(i, _)| ScopeId(i as u32))
    }

    /// Effective list of an array directive at `scope` (all-or-nothing).
    pub fn effective_array(&self, scope: ScopeId, name: &str) -> EffectiveArray<'a> {
        let mut unknown = None;
        for s in self.chain(scope) {
            let list: Vec<&'a Directive> = self.local(s, name).collect();
            if !list.is_empty() {
                return EffectiveArray {
                    directives: list,
                    set_in: Some(s),
                    default: None,
                    unknown,
                };
            }
            unknown = unknown.or(self.scope(s).unknown_include);
        }
        EffectiveArray {
            directives: Vec::new(),
            set_in: None,
            default: defaults::default_of(name, self.scope(scope).kind),
            unknown,
        }
    }

    pub fn pass(&self, id: PassId) -> &Pass<'a> {
        &self.passes[id.0 as usize]
    }

    /// Where a variable (name without `$`) is defined.
    pub fn variable_sources(&self, name: &str) -> &[VarSource<'a>] {
        self.vars.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every value a variable can take when all its definitions are static
    /// `set`/`map`/`geo`/`split_clients` values; `None` when a value is not
    /// knowable (opaque setter, no definition, or a value that itself uses
    /// variables other than through a known definition).
    pub fn variable_values(&self, name: &str) -> Option<Vec<&'a str>> {
        let sources = self.variable_sources(name);
        if sources.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        for s in sources {
            match *s {
                VarSource::Set(d) => out.push(d.arg(1)?),
                VarSource::Opaque(_) => return None,
                VarSource::Block(d) => {
                    let b = d.block()?;
                    for line in &b.directives {
                        let skip: &[&str] = match d.name() {
                            "map" => &["hostnames", "volatile"],
                            "geo" => &["ranges", "delete", "proxy", "proxy_recursive"],
                            _ => &[],
                        };
                        if skip.contains(&line.name()) {
                            continue;
                        }
                        if line.name() == "include" {
                            return None;
                        }
                        out.push(line.args.last()?.as_str());
                    }
                }
            }
        }
        Some(out)
    }

    /// The file a directive is in.
    pub fn file_of(&self, d: &Directive) -> FileId {
        d.file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::LoadOptions;

    /// An entry per directive: the model's largest arena.
    #[test]
    fn entries_stay_small() {
        assert!(std::mem::size_of::<ScopeEntry<'_>>() <= 16);
    }

    fn load(dump: &str) -> Loaded {
        let mut l = Loaded::default();
        l.load_text(
            "-".into(),
            dump.as_bytes().to_vec(),
            &LoadOptions {
                follow_includes: true,
                ..Default::default()
            },
        );
        l
    }

    const CONF: &str = "# configuration file /e/nginx.conf:\nevents {}\nhttp {\n    proxy_read_timeout 30s;\n    proxy_set_header Host $host;\n    proxy_set_header Connection \"\";\n    include /e/up.conf;\n    server {\n        listen 80;\n        resolver 10.0.0.2;\n        location / {\n            proxy_set_header X-Foo bar;\n            proxy_pass http://backend;\n            if ($arg_x) {\n                proxy_read_timeout 5s;\n                proxy_pass http://10.0.0.9:8080;\n            }\n            location /inner/ {\n                proxy_pass http://app.internal:3000;\n            }\n        }\n        location @named {\n            proxy_pass http://backend;\n        }\n    }\n}\n\n# configuration file /e/up.conf:\nupstream backend {\n    server 10.0.0.1:8080 max_fails=3;\n    server app.internal:8080 backup;\n}\n\n";

    #[test]
    fn effective_values_follow_nginx_inheritance() {
        let l = load(CONF);
        let m = Model::build(&l, &[(l.roots[0], Context::Main)]);
        let p = |i: usize| &m.passes[i];
        assert_eq!(m.passes.len(), 4);
        // scalar: from http, overridden in if
        let loc = p(0).scope;
        let e = m.effective(loc, "proxy_read_timeout");
        assert_eq!(e.value(), Some("30s"));
        assert_eq!(e.time_ms(), Some(30_000));
        assert_eq!(m.scope(e.set_in.unwrap()).kind, Context::Http);
        let iff = p(1).scope;
        assert_eq!(m.scope(iff).kind, Context::IfInLocation);
        assert_eq!(m.effective(iff, "proxy_read_timeout").value(), Some("5s"));
        // nested location inherits from the outer location
        let inner = p(2).scope;
        assert_eq!(m.scope(inner).parent, Some(loc));
        assert_eq!(
            m.effective(inner, "proxy_read_timeout").value(),
            Some("30s")
        );
        assert!(m.effective(inner, "resolver").is_set());
        // default when unset anywhere
        let c = m.effective(loc, "proxy_connect_timeout");
        assert!(!c.is_set());
        assert_eq!(c.value(), Some("60s"));
        // arrays: all-or-nothing
        let a = m.effective_array(loc, "proxy_set_header");
        assert_eq!(a.directives.len(), 1);
        assert_eq!(a.directives[0].arg(0), Some("X-Foo"));
        let named = p(3).scope;
        let a = m.effective_array(named, "proxy_set_header");
        assert_eq!(a.directives.len(), 2);
        assert_eq!(m.scope(a.set_in.unwrap()).kind, Context::Http);
    }

    #[test]
    fn upstream_index_links_passes() {
        let l = load(CONF);
        let m = Model::build(&l, &[(l.roots[0], Context::Main)]);
        let b = m
            .upstreams
            .find("BACKEND", false)
            .expect("case-insensitive");
        let u = m.upstreams.get(b);
        assert_eq!(u.servers.len(), 2);
        assert_eq!(u.servers[0].address.params.max_fails, Some(3));
        assert!(u.servers[1].address.params.backup);
        assert_eq!(u.used_by.len(), 2);
        // literal host:port passes get implicit upstreams
        let implicit = m.passes[1].upstream.expect("implicit");
        assert!(m.upstreams.get(implicit).is_implicit());
        assert_eq!(m.upstreams.get(implicit).name, "10.0.0.9:8080");
        assert!(m
            .upstreams
            .matches_at_runtime("10.0.0.9", Some(8080), Some(8080), false));
        assert!(m
            .upstreams
            .matches_at_runtime("backend", None, Some(80), false));
        assert!(!m
            .upstreams
            .matches_at_runtime("backend", Some(8080), Some(8080), false));
        assert!(m.is_complete(m.passes[0].scope));
    }

    #[test]
    fn unreadable_include_makes_absence_unknown() {
        let dump = "# configuration file /e/nginx.conf:\nevents {}\nhttp {\n    include /e/missing.conf;\n    server { location / { proxy_pass http://$x; } }\n}\n\n";
        let l = load(dump);
        let m = Model::build(&l, &[(l.roots[0], Context::Main)]);
        let e = m.effective(m.passes[0].scope, "resolver");
        assert!(!e.is_set());
        assert!(e.unknown.is_some());
    }

    #[test]
    fn variable_values_from_set_and_map() {
        let dump = "# configuration file /e/nginx.conf:\nhttp {\n    map $host $pool { default a; b.example b; }\n    js_set $dyn f;\n    server { location / { set $one x; proxy_pass http://$pool; } }\n}\n\n";
        let l = load(dump);
        let m = Model::build(&l, &[(l.roots[0], Context::Main)]);
        assert_eq!(m.variable_values("pool"), Some(vec!["a", "b"]));
        assert_eq!(m.variable_values("one"), Some(vec!["x"]));
        assert_eq!(m.variable_values("dyn"), None);
        assert_eq!(m.variable_values("nope"), None);
    }
}
