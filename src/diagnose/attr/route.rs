//! Routing a request as nginx does: the `server {}` for a Host header and
//! port (server_name: exact, leading wildcard, trailing wildcard, regex in
//! order, else the `default_server`), then the `location` for a path as
//! `ngx_http_core_find_location` (exact `=`, longest prefix, `^~` stops,
//! nested locations of the prefix first, then regexes in order).

use regex::Regex;

use super::Attributor;
use crate::model::{Context, ScopeId};

/// A server name as nginx matches it.
#[derive(Debug)]
pub(super) enum Name {
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
    pub(super) names: Vec<Name>,
    /// The first name (what `$server_name` holds), or `_`.
    pub label: String,
    pub ports: Vec<u16>,
    pub default_ports: Vec<u16>,
    /// A `stream { server {} }`: routed by listen port, no names, no
    /// locations (the server itself holds its `proxy_pass`).
    pub stream: bool,
}

#[derive(Debug)]
pub(super) enum LocKind {
    Exact,
    Prefix { noregex: bool },
    Regex(Regex),
    Named,
}

#[derive(Debug)]
pub(super) struct LocInfo {
    scope: ScopeId,
    kind: LocKind,
    path: String,
    children: Vec<usize>,
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

impl Attributor<'_, '_> {
    /// Index every http `server {}` with its names, ports and locations.
    pub(super) fn add_servers(&mut self) {
        for sid in self.model.scopes_of(Context::Server) {
            let mut names = Vec::new();
            let mut label = None;
            for d in self.model.local(sid, "server_name") {
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
            for d in self.model.local(sid, "listen") {
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
            let top = self.add_locations(sid);
            self.server_locs.push(top);
            self.servers.push(ServerInfo {
                scope: sid,
                names,
                label: label.unwrap_or_else(|| "_".to_string()),
                ports,
                default_ports,
                stream: false,
            });
        }
    }

    /// Index every `stream { server {} }` by its listen ports, after the
    /// http servers (their indexes stay the same).
    pub(super) fn add_stream_servers(&mut self) {
        for sid in self.model.scopes_of(Context::StreamServer) {
            let listens: Vec<&str> = self
                .model
                .local(sid, "listen")
                .filter_map(|d| d.arg(0))
                .collect();
            let ports = listens.iter().filter_map(|a| port_of_listen(a)).collect();
            self.server_locs.push(Vec::new());
            self.servers.push(ServerInfo {
                scope: sid,
                names: Vec::new(),
                label: format!("stream {}", listens.first().copied().unwrap_or("?")),
                ports,
                default_ports: Vec::new(),
                stream: true,
            });
        }
    }

    /// The stream server of a session: the one listening on `port`, or the
    /// only stream server there is.
    pub fn find_stream_server(&self, port: Option<u16>) -> Option<usize> {
        let mut stream = (0..self.servers.len()).filter(|&i| self.servers[i].stream);
        match port {
            Some(p) => stream.find(|&i| self.servers[i].ports.contains(&p)),
            None => match (stream.next(), stream.next()) {
                (Some(i), None) => Some(i),
                _ => None,
            },
        }
    }

    /// The route of a stream session: its server, whose scope stands for
    /// the location (it holds the `proxy_pass`).
    pub fn stream_route(&self, port: Option<u16>) -> (Option<usize>, Option<ScopeId>) {
        let s = self.find_stream_server(port);
        (s, s.map(|s| self.servers[s].scope))
    }

    pub(super) fn add_locations(&mut self, parent: ScopeId) -> Vec<usize> {
        let mut out = Vec::new();
        let children = self.model.scope(parent).children.clone();
        for c in children {
            let sc = self.model.scope(c);
            if sc.kind != Context::Location {
                continue;
            }
            let Some(d) = sc.block else { continue };
            let args: Vec<&str> = d.args.iter().map(|w| w.as_str()).collect();
            let (kind, path) = match &args[..] {
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
        let http: Vec<usize> = (0..self.servers.len())
            .filter(|&i| !self.servers[i].stream)
            .collect();
        if http.is_empty() {
            return None;
        }
        let on_port: Vec<usize> = http
            .iter()
            .copied()
            .filter(|&i| port.is_none_or(|p| self.servers[i].ports.contains(&p)))
            .collect();
        let cands = if on_port.is_empty() { http } else { on_port };
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

    /// The label of a location scope; `None` for a stream server (which
    /// stands for its own location).
    pub fn location_name(&self, scope: ScopeId) -> Option<String> {
        (self.model.scope(scope).kind != Context::StreamServer).then(|| self.location_label(scope))
    }

    /// The `server {}` label.
    pub fn server_label(&self, i: usize) -> String {
        self.servers[i].label.clone()
    }
}
