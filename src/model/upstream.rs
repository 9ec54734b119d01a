//! The upstream index: every `upstream {}` block (http and stream are
//! separate namespaces), the implicit upstreams nginx creates for literal
//! `*_pass host:port` targets, and which `*_pass` directives use each.
//! Names compare case-insensitively, as in `ngx_http_upstream_add`.

use std::collections::HashMap;

use super::target::{Host, PassModule, PassTarget, ServerAddress};
use super::ScopeId;
use crate::syntax::Directive;

/// Index of an upstream in [`UpstreamIndex::all`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UpstreamId(pub u32);

/// Index of a pass in [`super::Model::passes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PassId(pub u32);

/// One `server` entry of an upstream block.
#[derive(Debug, Clone)]
pub struct UpstreamServer<'a> {
    pub directive: &'a Directive,
    pub address: ServerAddress,
}

/// An upstream group: explicit (`upstream name {}`) or implicit (created by a
/// literal `*_pass host:port`).
#[derive(Debug, Clone)]
pub struct Upstream<'a> {
    /// The block name, or `host:port` of an implicit upstream.
    pub name: String,
    /// The `upstream` block directive (`None` for implicit upstreams).
    pub directive: Option<&'a Directive>,
    /// The block's scope (`None` for implicit upstreams).
    pub scope: Option<ScopeId>,
    /// Stream (`stream { upstream {} }`) rather than http.
    pub stream: bool,
    pub servers: Vec<UpstreamServer<'a>>,
    /// `*_pass` directives that use this upstream.
    pub used_by: Vec<PassId>,
}

impl Upstream<'_> {
    pub fn is_implicit(&self) -> bool {
        self.directive.is_none()
    }
}

/// A `*_pass` directive with its parsed target.
#[derive(Debug, Clone)]
pub struct Pass<'a> {
    pub directive: &'a Directive,
    /// The scope the directive is in (its location, `if`, or stream server).
    pub scope: ScopeId,
    pub module: PassModule,
    pub target: PassTarget,
    /// The upstream block the target names (literal host equal to an
    /// upstream name), or the implicit upstream nginx creates for it.
    pub upstream: Option<UpstreamId>,
}

impl Pass<'_> {
    /// The upstream an explicit `upstream {}` block provides (not implicit).
    pub fn explicit_upstream(&self, index: &UpstreamIndex<'_>) -> Option<UpstreamId> {
        self.upstream.filter(|u| !index.get(*u).is_implicit())
    }
}

#[derive(Debug, Default)]
pub struct UpstreamIndex<'a> {
    all: Vec<Upstream<'a>>,
    /// (stream, lowercase name) → explicit upstream blocks with that name, in
    /// read order (more than one is `duplicate upstream`).
    by_name: HashMap<(bool, String), Vec<UpstreamId>>,
    /// (stream, lowercase authority) → implicit upstream.
    implicit: HashMap<(bool, String), UpstreamId>,
}

impl<'a> UpstreamIndex<'a> {
    pub fn all(&self) -> impl Iterator<Item = (UpstreamId, &Upstream<'a>)> {
        self.all
            .iter()
            .enumerate()
            .map(|(i, u)| (UpstreamId(i as u32), u))
    }

    /// Explicit upstream blocks only.
    pub fn explicit(&self) -> impl Iterator<Item = (UpstreamId, &Upstream<'a>)> {
        self.all().filter(|(_, u)| !u.is_implicit())
    }

    pub fn get(&self, id: UpstreamId) -> &Upstream<'a> {
        &self.all[id.0 as usize]
    }

    pub(super) fn get_mut(&mut self, id: UpstreamId) -> &mut Upstream<'a> {
        &mut self.all[id.0 as usize]
    }

    /// The first explicit upstream block with this name (case-insensitive).
    pub fn find(&self, name: &str, stream: bool) -> Option<UpstreamId> {
        self.by_name
            .get(&(stream, name.to_ascii_lowercase()))
            .and_then(|v| v.first().copied())
    }

    /// Every explicit block with this name (more than one: duplicate).
    pub fn find_all(&self, name: &str, stream: bool) -> &[UpstreamId] {
        self.by_name
            .get(&(stream, name.to_ascii_lowercase()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Would a run-time `*_pass` with this host match an upstream before DNS
    /// is asked? As `ngx_http_upstream_init_request` does: an explicit block
    /// by name only when the URL has no port; an implicit upstream by host
    /// and port (`port`: the explicit one, else the scheme's default).
    pub fn matches_at_runtime(
        &self,
        host: &str,
        explicit_port: Option<u16>,
        port: Option<u16>,
        stream: bool,
    ) -> bool {
        if explicit_port.is_none() && self.find(host, stream).is_some() {
            return true;
        }
        let key = match explicit_port.or(port) {
            Some(p) => format!("{}:{p}", host.to_ascii_lowercase()),
            None => host.to_ascii_lowercase(),
        };
        self.implicit.contains_key(&(stream, key))
    }

    /// Names of explicit upstreams (for "did you mean").
    pub fn names(&self, stream: bool) -> impl Iterator<Item = &str> {
        self.explicit()
            .filter(move |(_, u)| u.stream == stream)
            .map(|(_, u)| u.name.as_str())
    }

    pub(super) fn add_explicit(&mut self, up: Upstream<'a>) -> UpstreamId {
        let id = UpstreamId(self.all.len() as u32);
        self.by_name
            .entry((up.stream, up.name.to_ascii_lowercase()))
            .or_default()
            .push(id);
        self.all.push(up);
        id
    }

    /// The implicit upstream for a literal target, created on first use.
    pub(super) fn implicit_for(&mut self, target: &PassTarget, stream: bool) -> UpstreamId {
        let key = (stream, target.authority().to_ascii_lowercase());
        if let Some(id) = self.implicit.get(&key) {
            return *id;
        }
        let id = UpstreamId(self.all.len() as u32);
        self.all.push(Upstream {
            name: target.authority(),
            directive: None,
            scope: None,
            stream,
            servers: Vec::new(),
            used_by: Vec::new(),
        });
        self.implicit.insert(key, id);
        id
    }
}

/// Does `host` (a literal pass host) name an upstream block rather than a
/// DNS name? True when an explicit block has that name.
pub fn names_block(index: &UpstreamIndex<'_>, target: &PassTarget, stream: bool) -> bool {
    match &target.host {
        Host::Name(n) => target.port.is_none() && index.find(n, stream).is_some(),
        _ => false,
    }
}
