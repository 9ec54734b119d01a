//! Attribution: which `server {}` and `location` nginx chooses for a
//! request (server_name: exact, leading wildcard, trailing wildcard, regex
//! in order, else the `default_server`; locations as
//! `ngx_http_core_find_location`: exact `=`, longest prefix, `^~` stops,
//! nested locations of the prefix first, then regexes in order), which
//! upstream group and `server` line an upstream address belongs to, and
//! the directives that govern each failure cause with their effective
//! values and where they are set.

use std::collections::HashMap;

use regex::Regex;
use serde::Serialize;

use crate::model::{Context, Host, Model, PassId, ScopeId, UpstreamId};
use crate::syntax::Directive;

/// A server name as nginx matches it.
#[derive(Debug)]
enum Name {
    Exact(String),
    /// `*.example.com` / `.example.com`: the suffix (with the dot).
    Suffix(String, bool),
    /// `www.example.*`: the prefix (with the dot).
    Prefix(String),
    Regex(Regex),
}

#[derive(Debug)]
pub struct ServerInfo {
    pub scope: ScopeId,
    names: Vec<Name>,
    /// The first name (what `$server_name` holds), or `_`.
    pub label: String,
    pub ports: Vec<u16>,
    pub default_ports: Vec<u16>,
}

#[derive(Debug)]
enum LocKind {
    Exact,
    Prefix { noregex: bool },
    Regex(Regex),
    Named,
}

#[derive(Debug)]
struct LocInfo {
    scope: ScopeId,
    kind: LocKind,
    path: String,
    children: Vec<usize>,
}

/// A location chosen for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Place {
    pub server: usize,
    /// `None`: no location matches (nginx answers 404 itself).
    pub location: Option<ScopeId>,
}

/// The config side of a diagnosis.
pub struct Attributor<'m, 'a> {
    pub model: &'m Model<'a>,
    pub servers: Vec<ServerInfo>,
    locs: Vec<LocInfo>,
    /// Per server: its top-level locations (indexes into `locs`).
    server_locs: Vec<Vec<usize>>,
    /// Peer address (`127.0.0.1:8080`, `unix:/p`, group name) → groups.
    peers: HashMap<String, Vec<(UpstreamId, Option<&'a Directive>)>>,
    /// Location (or server) scope → passes directly in it or its `if`s.
    passes_of: HashMap<ScopeId, Vec<PassId>>,
}

/// A directive that governs a finding, with its effective value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DirectiveRef {
    pub name: String,
    pub value: String,
    /// Where it is set; `None` when nginx's default applies.
    pub file: Option<String>,
    pub line: Option<usize>,
    /// True when nothing sets it and `value` is nginx's default.
    pub default: bool,
}

fn port_of_listen(arg: &str) -> Option<u16> {
    if arg.starts_with("unix:") {
        return None;
    }
    let p = match arg.rfind(':') {
        Some(i) if !arg[i..].contains(']') => &arg[i + 1..],
        _ => arg,
    };
    p.parse()
        .ok()
        .or(if arg.contains('.') || arg.contains(']') {
            Some(80)
        } else {
            None
        })
}

/// Keys a peer address is known by: `host:port` plus `127.0.0.1:port`
/// and `[::1]:port` for `localhost`.
fn addr_keys(host: &Host, port: Option<u16>, default_port: u16) -> Vec<String> {
    let port = port.unwrap_or(default_port);
    match host {
        Host::Unix(p) => vec![format!("unix:{p}")],
        Host::Ip(std::net::IpAddr::V6(a)) => vec![format!("[{a}]:{port}")],
        Host::Ip(a) => vec![format!("{a}:{port}")],
        Host::Name(n) if n.eq_ignore_ascii_case("localhost") => vec![
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
            format!("localhost:{port}"),
        ],
        Host::Name(n) => vec![format!("{}:{port}", n.to_ascii_lowercase())],
        Host::Variable(_) => Vec::new(),
    }
}

impl<'m, 'a> Attributor<'m, 'a> {
    pub fn new(model: &'m Model<'a>) -> Attributor<'m, 'a> {
        let mut at = Attributor {
            model,
            servers: Vec::new(),
            locs: Vec::new(),
            server_locs: Vec::new(),
            peers: HashMap::new(),
            passes_of: HashMap::new(),
        };
        for sid in model.scopes_of(Context::Server) {
            let mut names = Vec::new();
            let mut label = None;
            for d in model.local(sid, "server_name") {
                for w in &d.args {
                    let n = w.as_str().to_ascii_lowercase();
                    if label.is_none() {
                        label = Some(w.as_str().to_string());
                    }
                    names.push(if let Some(re) = w.as_str().strip_prefix('~') {
                        match Regex::new(re) {
                            Ok(r) => Name::Regex(r),
                            Err(_) => continue,
                        }
                    } else if let Some(s) = n.strip_prefix('*') {
                        Name::Suffix(s.to_string(), false)
                    } else if n.starts_with('.') {
                        Name::Suffix(n.clone(), true)
                    } else if let Some(p) = n.strip_suffix('*') {
                        Name::Prefix(p.to_string())
                    } else {
                        Name::Exact(n)
                    });
                }
            }
            let mut ports = Vec::new();
            let mut default_ports = Vec::new();
            for d in model.local(sid, "listen") {
                if let Some(p) = d.arg(0).and_then(port_of_listen) {
                    ports.push(p);
                    if d.args
                        .iter()
                        .any(|w| w.as_str() == "default_server" || w.as_str() == "default")
                    {
                        default_ports.push(p);
                    }
                }
            }
            if ports.is_empty() {
                ports.push(80);
            }
            let top = at.add_locations(sid);
            at.server_locs.push(top);
            at.servers.push(ServerInfo {
                scope: sid,
                names,
                label: label.unwrap_or_else(|| "_".to_string()),
                ports,
                default_ports,
            });
        }
        for (i, p) in model.passes.iter().enumerate() {
            // the location (or stream server) the pass serves
            let owner = model
                .chain(p.scope)
                .find(|s| {
                    matches!(
                        model.scope(*s).kind,
                        Context::Location | Context::StreamServer | Context::Server
                    )
                })
                .unwrap_or(p.scope);
            at.passes_of
                .entry(owner)
                .or_default()
                .push(PassId(i as u32));
        }
        for (id, up) in model.upstreams.all() {
            let default_port = if up.stream { 0 } else { 80 };
            if up.is_implicit() {
                at.peers
                    .entry(up.name.to_ascii_lowercase())
                    .or_default()
                    .push((id, None));
                for pid in &up.used_by {
                    let t = &model.pass(*pid).target;
                    for k in addr_keys(&t.host, t.effective_port(), default_port) {
                        at.peers
                            .entry(k.to_ascii_lowercase())
                            .or_default()
                            .push((id, None));
                    }
                }
                continue;
            }
            at.peers
                .entry(up.name.to_ascii_lowercase())
                .or_default()
                .push((id, None));
            for s in &up.servers {
                for k in addr_keys(&s.address.host, s.address.port, default_port) {
                    at.peers
                        .entry(k.to_ascii_lowercase())
                        .or_default()
                        .push((id, Some(s.directive)));
                }
            }
        }
        for v in at.peers.values_mut() {
            v.dedup_by_key(|(u, _)| *u);
        }
        at
    }

    fn add_locations(&mut self, parent: ScopeId) -> Vec<usize> {
        let mut out = Vec::new();
        let children = self.model.scope(parent).children.clone();
        for c in children {
            let sc = self.model.scope(c);
            if sc.kind != Context::Location {
                continue;
            }
            let Some(d) = sc.block else { continue };
            let args: Vec<&str> = d.args.iter().map(|w| w.as_str()).collect();
            let (kind, path) = match args.as_slice() {
                ["=", p] => (LocKind::Exact, p.to_string()),
                ["^~", p] => (LocKind::Prefix { noregex: true }, p.to_string()),
                ["~", p] => match Regex::new(p) {
                    Ok(r) => (LocKind::Regex(r), p.to_string()),
                    Err(_) => continue,
                },
                ["~*", p] => match Regex::new(&format!("(?i){p}")) {
                    Ok(r) => (LocKind::Regex(r), p.to_string()),
                    Err(_) => continue,
                },
                [p] if p.starts_with('@') => (LocKind::Named, p.to_string()),
                [p] => {
                    if let Some(rest) = p.strip_prefix('=') {
                        (LocKind::Exact, rest.to_string())
                    } else if let Some(rest) = p.strip_prefix("^~") {
                        (LocKind::Prefix { noregex: true }, rest.to_string())
                    } else if let Some(rest) = p.strip_prefix("~*") {
                        match Regex::new(&format!("(?i){rest}")) {
                            Ok(r) => (LocKind::Regex(r), rest.to_string()),
                            Err(_) => continue,
                        }
                    } else if let Some(rest) = p.strip_prefix('~') {
                        match Regex::new(rest) {
                            Ok(r) => (LocKind::Regex(r), rest.to_string()),
                            Err(_) => continue,
                        }
                    } else {
                        (LocKind::Prefix { noregex: false }, p.to_string())
                    }
                }
                _ => continue,
            };
            let idx = self.locs.len();
            self.locs.push(LocInfo {
                scope: c,
                kind,
                path,
                children: Vec::new(),
            });
            let kids = self.add_locations(c);
            self.locs[idx].children = kids;
            out.push(idx);
        }
        out
    }

    /// The server nginx chooses for a Host header (and port, when known).
    /// `server_name` (the `$server_name` variable) names it directly.
    pub fn find_server(
        &self,
        host: Option<&str>,
        port: Option<u16>,
        server_name: Option<&str>,
    ) -> Option<usize> {
        if self.servers.is_empty() {
            return None;
        }
        let on_port: Vec<usize> = (0..self.servers.len())
            .filter(|&i| port.is_none_or(|p| self.servers[i].ports.contains(&p)))
            .collect();
        let cands = if on_port.is_empty() {
            (0..self.servers.len()).collect()
        } else {
            on_port
        };
        if let Some(sn) = server_name {
            if let Some(&i) = cands
                .iter()
                .find(|&&i| self.servers[i].label.eq_ignore_ascii_case(sn))
            {
                return Some(i);
            }
        }
        if let Some(h) = host {
            let h = h.to_ascii_lowercase();
            // strip the port: `host:80`, `[::1]:80`
            let h = match (h.starts_with('['), h.rfind(']'), h.rfind(':')) {
                (true, Some(close), _) => &h[..=close],
                (false, _, Some(i)) => &h[..i],
                _ => h.as_str(),
            };
            let h = h.trim_end_matches('.');
            for &i in &cands {
                if self.servers[i]
                    .names
                    .iter()
                    .any(|n| matches!(n, Name::Exact(e) if e == h))
                {
                    return Some(i);
                }
            }
            let mut best: Option<(usize, usize)> = None;
            for &i in &cands {
                for n in &self.servers[i].names {
                    if let Name::Suffix(s, dot_form) = n {
                        let ok = h.ends_with(s.as_str()) || (*dot_form && h == &s[1..]);
                        if ok && best.is_none_or(|(_, l)| s.len() > l) {
                            best = Some((i, s.len()));
                        }
                    }
                }
            }
            if let Some((i, _)) = best {
                return Some(i);
            }
            for &i in &cands {
                for n in &self.servers[i].names {
                    if let Name::Prefix(p) = n {
                        if h.starts_with(p.as_str()) && best.is_none_or(|(_, l)| p.len() > l) {
                            best = Some((i, p.len()));
                        }
                    }
                }
            }
            if let Some((i, _)) = best {
                return Some(i);
            }
            for &i in &cands {
                if self.servers[i]
                    .names
                    .iter()
                    .any(|n| matches!(n, Name::Regex(r) if r.is_match(h)))
                {
                    return Some(i);
                }
            }
        }
        cands
            .iter()
            .copied()
            .find(|&i| {
                port.map_or(!self.servers[i].default_ports.is_empty(), |p| {
                    self.servers[i].default_ports.contains(&p)
                })
            })
            .or(cands.first().copied())
    }

    /// The location nginx chooses for a path in a server.
    pub fn find_location(&self, server: usize, path: &str) -> Option<ScopeId> {
        self.find_in(&self.server_locs[server], path)
            .map(|i| self.locs[i].scope)
    }

    fn find_in(&self, level: &[usize], path: &str) -> Option<usize> {
        let mut prefix: Option<usize> = None;
        for &i in level {
            let l = &self.locs[i];
            match l.kind {
                LocKind::Exact if l.path == path => return Some(i),
                LocKind::Prefix { .. }
                    if path.starts_with(l.path.as_str())
                        && prefix.is_none_or(|p| l.path.len() > self.locs[p].path.len()) =>
                {
                    prefix = Some(i);
                }
                _ => {}
            }
        }
        let mut result = prefix;
        if let Some(p) = prefix {
            let nested = &self.locs[p].children;
            if !nested.is_empty() {
                if let Some(n) = self.find_in(nested, path) {
                    // a nested exact or regex match ends the search; a
                    // nested prefix still lets this level's regexes try
                    match self.locs[n].kind {
                        LocKind::Prefix { noregex: false } => result = Some(n),
                        _ => return Some(n),
                    }
                }
            }
            if matches!(self.locs[p].kind, LocKind::Prefix { noregex: true }) {
                return result;
            }
        }
        for &i in level {
            if let LocKind::Regex(r) = &self.locs[i].kind {
                if r.is_match(path) {
                    return Some(i);
                }
            }
        }
        result
    }

    /// `location` label of a scope: `/api/`, `= /x`, `~ \.php$`.
    pub fn location_label(&self, scope: ScopeId) -> String {
        match self.model.scope(scope).block {
            Some(d) => d
                .args
                .iter()
                .map(|w| w.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            None => String::new(),
        }
    }

    /// The pass that serves a location (its own, or an enclosing one's).
    pub fn pass_of(&self, location: ScopeId) -> Option<PassId> {
        self.model
            .chain(location)
            .find_map(|s| self.passes_of.get(&s).and_then(|v| v.first().copied()))
    }

    /// Upstream groups a peer address belongs to, with its `server` line.
    pub fn groups_of_peer(&self, addr: &str) -> &[(UpstreamId, Option<&'a Directive>)] {
        let key = addr.to_ascii_lowercase();
        self.peers.get(&key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The group of an attempt: the location's own group when the peer is
    /// in it (or nothing better is known), else the peer's first group.
    pub fn group_of(&self, addr: &str, location: Option<ScopeId>) -> Option<UpstreamId> {
        let by_loc = location
            .and_then(|l| self.pass_of(l))
            .and_then(|p| self.model.pass(p).upstream);
        let peers = self.groups_of_peer(addr);
        if let Some(u) = by_loc {
            if peers.is_empty() || peers.iter().any(|(g, _)| *g == u) {
                return Some(u);
            }
        }
        peers.first().map(|(g, _)| *g).or(by_loc)
    }

    /// `file`, `line` of a directive.
    pub fn position(&self, d: &Directive) -> (String, usize) {
        let f = self.model.loaded.sources.get(d.file());
        (f.path().display().to_string(), f.line_of(d.span.start()))
    }

    fn reference(&self, name: &str, scope: ScopeId) -> DirectiveRef {
        let e = self.model.effective(scope, name);
        match e.directive {
            Some(d) => {
                let (file, line) = self.position(d);
                DirectiveRef {
                    name: name.to_string(),
                    value: e.args().join(" "),
                    file: Some(file),
                    line: Some(line),
                    default: false,
                }
            }
            None => DirectiveRef {
                name: name.to_string(),
                value: e.default.unwrap_or("").to_string(),
                file: None,
                line: None,
                default: true,
            },
        }
    }

    fn line_ref(&self, d: &Directive) -> DirectiveRef {
        let (file, line) = self.position(d);
        DirectiveRef {
            name: d.name().to_string(),
            value: d
                .args
                .iter()
                .map(|w| w.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            file: Some(file),
            line: Some(line),
            default: false,
        }
    }

    /// The directives that govern a cause at a location and group.
    pub fn governing(
        &self,
        cause: &str,
        location: Option<ScopeId>,
        group: Option<UpstreamId>,
        peers: &[String],
    ) -> Vec<DirectiveRef> {
        let pass = location
            .and_then(|l| self.pass_of(l))
            .map(|p| self.model.pass(p));
        let prefix = pass.map_or("proxy", |p| p.module.prefix());
        let at = pass.map(|p| p.scope).or(location);
        let mut out = Vec::new();
        let loc_names: &[&str] = match cause {
            "read-timeout" | "status-504" => &[
                "read_timeout",
                "next_upstream",
                "next_upstream_tries",
                "next_upstream_timeout",
            ],
            "send-timeout" => &["send_timeout", "next_upstream"],
            "connect-timeout" => &["connect_timeout", "next_upstream", "next_upstream_tries"],
            "connect-refused"
            | "connect-unreachable"
            | "unix-socket-missing"
            | "permission-denied"
            | "status-502" => &[
                "next_upstream",
                "next_upstream_tries",
                "next_upstream_timeout",
            ],
            "no-live-upstreams" | "peer-disabled" | "backend-busy" => {
                &["next_upstream", "next_upstream_tries"]
            }
            "header-too-big" => &["buffer_size", "buffers", "busy_buffers_size"],
            "premature-close" | "connection-reset" => &["http_version", "next_upstream"],
            "tls-handshake" => &["ssl_server_name", "ssl_name", "ssl_protocols", "ssl_verify"],
            "protocol-mismatch" | "invalid-response" => &["http_version"],
            _ => &[],
        };
        if let Some(p) = pass {
            out.push(self.line_ref(p.directive));
        }
        if let Some(at) = at {
            for n in loc_names {
                let name = format!("{prefix}_{n}");
                out.push(self.reference(&name, at));
            }
            match cause {
                "dns-failure" | "no-resolver" => {
                    out.push(self.reference("resolver", at));
                    out.push(self.reference("resolver_timeout", at));
                }
                "rate-limited" => {
                    for d in self.model.effective_array(at, "limit_req").directives {
                        out.push(self.line_ref(d));
                    }
                    out.push(self.reference("limit_req_status", at));
                }
                "request-rejected" | "forbidden" => {
                    out.push(self.reference("auth_request", at));
                }
                _ => {}
            }
        }
        let upstream_params = matches!(
            cause,
            "connect-refused"
                | "connect-unreachable"
                | "connect-timeout"
                | "no-live-upstreams"
                | "peer-disabled"
                | "backend-busy"
                | "unix-socket-missing"
                | "read-timeout"
                | "status-502"
                | "status-504"
        );
        let keepalive = matches!(cause, "premature-close" | "connection-reset");
        if let Some(g) = group {
            let up = self.model.upstreams.get(g);
            if upstream_params {
                // the server lines of the failing peers first, then the rest
                let mut lines: Vec<&Directive> = Vec::new();
                for s in &up.servers {
                    let keys = addr_keys(&s.address.host, s.address.port, 80);
                    if peers
                        .iter()
                        .any(|p| keys.iter().any(|k| k.eq_ignore_ascii_case(p)))
                    {
                        lines.push(s.directive);
                    }
                }
                for s in &up.servers {
                    if !lines.iter().any(|d| std::ptr::eq(*d, s.directive)) {
                        lines.push(s.directive);
                    }
                }
                for d in lines {
                    out.push(self.line_ref(d));
                }
            }
            if let Some(sc) = up.scope {
                let names: &[&str] = if keepalive {
                    &["keepalive", "keepalive_timeout", "keepalive_requests"]
                } else if cause == "backend-busy" {
                    &["queue"]
                } else {
                    &[]
                };
                for n in names {
                    if let Some(d) = self.model.local_first(sc, n) {
                        out.push(self.line_ref(d));
                    }
                }
            }
        }
        out
    }

    /// Effective read timeout (ms) at a location.
    pub fn read_timeout(&self, location: ScopeId) -> Option<(u64, DirectiveRef)> {
        let pass = self.pass_of(location).map(|p| self.model.pass(p))?;
        let name = format!("{}_read_timeout", pass.module.prefix());
        let e = self.model.effective(pass.scope, &name);
        Some((e.time_ms()?, self.reference(&name, pass.scope)))
    }

    /// Display name of a group.
    pub fn group_name(&self, g: UpstreamId) -> String {
        self.model.upstreams.get(g).name.clone()
    }

    /// The `server {}` label.
    pub fn server_label(&self, i: usize) -> String {
        self.servers[i].label.clone()
    }

    /// The `access_log` and `error_log` paths the config names, with the
    /// format name of each access log.
    pub fn log_paths(&self) -> (Vec<(String, String)>, Vec<String>) {
        let mut access = Vec::new();
        for e in self.model.directives_named("access_log") {
            let d = e.directive;
            match d.arg(0) {
                Some("off") | None => {}
                Some(p) => access.push((p.to_string(), d.arg(1).unwrap_or("combined").to_string())),
            }
        }
        let errors = self
            .model
            .directives_named("error_log")
            .filter_map(|e| e.directive.arg(0))
            .filter(|p| !p.starts_with("syslog:") && *p != "stderr")
            .map(str::to_string)
            .collect();
        (access, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, Loaded};

    fn load(conf: &str) -> Loaded {
        let mut l = Loaded::default();
        l.load_text(
            "/e/nginx.conf".into(),
            conf.as_bytes().to_vec(),
            &LoadOptions {
                follow_includes: true,
                ..Default::default()
            },
        );
        l
    }

    const CONF: &str = "events {}
http {
    upstream app { server 10.0.0.1:80; server localhost:81 backup; }
    server {
        listen 80 default_server;
        server_name _;
        location / { proxy_pass http://app; }
    }
    server {
        listen 80;
        server_name api.example.test *.example.test www.example.* ~^v\\d+\\.api\\.;
        location = /exact { return 200; }
        location / { proxy_pass http://app; }
        location /static/ {
            location ~ \\.png$ { return 200; }
            proxy_pass http://app;
        }
        location ^~ /img/ { return 200; }
        location ~* \\.(jpg|png)$ { return 200; }
        location ~ ^/api/ { proxy_read_timeout 3s; proxy_pass http://10.0.0.9:8080; }
    }
}
";

    #[test]
    fn servers_and_locations_in_nginx_order() {
        let l = load(CONF);
        let m = Model::build(&l, &[(l.roots[0], Context::Main)]);
        let at = Attributor::new(&m);
        let api = at
            .find_server(Some("api.example.test"), Some(80), None)
            .unwrap();
        assert_eq!(at.server_label(api), "api.example.test");
        assert_eq!(
            at.find_server(Some("x.example.test"), None, None),
            Some(api)
        );
        assert_eq!(
            at.find_server(Some("www.example.org"), None, None),
            Some(api)
        );
        assert_eq!(
            at.find_server(Some("v2.api.internal"), None, None),
            Some(api)
        );
        let dflt = at.find_server(Some("other.test"), Some(80), None).unwrap();
        assert_eq!(at.server_label(dflt), "_");
        assert_eq!(
            at.find_server(None, None, Some("api.example.test")),
            Some(api)
        );

        let loc = |p: &str| at.find_location(api, p).map(|s| at.location_label(s));
        assert_eq!(loc("/exact").as_deref(), Some("= /exact"));
        assert_eq!(loc("/exact/more").as_deref(), Some("/"));
        // ^~ stops the regexes
        assert_eq!(loc("/img/a.png").as_deref(), Some("^~ /img/"));
        // a nested regex of the longest prefix wins over outer regexes
        assert_eq!(loc("/static/a.png").as_deref(), Some("~ \\.png$"));
        // outer regexes win over the plain prefix
        assert_eq!(loc("/static/a.JPG").as_deref(), Some("~* \\.(jpg|png)$"));
        assert_eq!(loc("/api/v1").as_deref(), Some("~ ^/api/"));
        assert_eq!(loc("/other").as_deref(), Some("/"));
    }

    #[test]
    fn peers_groups_and_governing_directives() {
        let l = load(CONF);
        let m = Model::build(&l, &[(l.roots[0], Context::Main)]);
        let at = Attributor::new(&m);
        let g = at.groups_of_peer("10.0.0.1:80");
        assert_eq!(g.len(), 1);
        assert_eq!(at.group_name(g[0].0), "app");
        assert_eq!(at.group_name(at.groups_of_peer("127.0.0.1:81")[0].0), "app");
        let api = at
            .find_server(Some("api.example.test"), None, None)
            .unwrap();
        let loc = at.find_location(api, "/api/x");
        let grp = at.group_of("10.0.0.9:8080", loc).unwrap();
        assert_eq!(at.group_name(grp), "10.0.0.9:8080");
        let ds = at.governing("read-timeout", loc, Some(grp), &["10.0.0.9:8080".into()]);
        let rt = ds.iter().find(|d| d.name == "proxy_read_timeout").unwrap();
        assert_eq!((rt.value.as_str(), rt.line), ("3s", Some(20)));
        assert_eq!(at.read_timeout(loc.unwrap()).map(|r| r.0), Some(3000));
        let root = at.find_location(api, "/x");
        let ds = at.governing(
            "connect-refused",
            root,
            at.group_of("10.0.0.1:80", root),
            &["10.0.0.1:80".into()],
        );
        let lines: Vec<(String, Option<usize>)> = ds
            .iter()
            .filter(|d| d.name == "server")
            .map(|d| (d.value.clone(), d.line))
            .collect();
        assert_eq!(lines[0], ("10.0.0.1:80".to_string(), Some(3)));
        assert!(ds
            .iter()
            .any(|d| d.name == "proxy_next_upstream" && d.default));
    }
}
