//! Attribution, the config side of a diagnosis: which `server {}` and
//! `location` nginx chooses for a request ([`route`]), which upstream
//! group and `server` line an upstream address belongs to (here), and the
//! directives that govern each failure cause ([`govern`]).

mod govern;
mod route;

use std::collections::HashMap;

pub use govern::DirectiveRef;
use route::LocInfo;
pub use route::ServerInfo;

use crate::model::{Context, Host, Model, PassId, ScopeId, UpstreamId};
use crate::syntax::Directive;

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
        at.add_servers();
        at.add_stream_servers();
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

    /// Display name of a group.
    pub fn group_name(&self, g: UpstreamId) -> String {
        self.model.upstreams.get(g).name.clone()
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

    const STREAM: &str = "events {}
http {
    limit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;
    server {
        listen 80;
        server_name a.test;
        location /login/ { limit_req zone=z; limit_req_status 429; proxy_pass http://10.0.0.1; }
        location /plain/ { limit_req zone=z; proxy_pass http://10.0.0.1; }
        location /members/ { auth_request /_auth; proxy_pass http://10.0.0.1; }
        location = /_auth { internal; proxy_pass http://10.0.0.7:9000; }
    }
}
stream {
    upstream tcp { server 10.0.1.1:5432 max_fails=3; server 10.0.1.2:5432; }
    server { listen 127.0.0.1:6432; proxy_connect_timeout 2s; proxy_pass tcp; }
    server { listen 7000; proxy_pass 10.0.2.1:7000; }
}
";

    #[test]
    fn stream_servers_and_their_directives() {
        let l = load(STREAM);
        let m = Model::build(&l, &[(l.roots[0], Context::Main)]);
        let at = Attributor::new(&m);
        // http routing never picks a stream server
        let http = at
            .find_server(Some("other.test"), Some(6432), None)
            .unwrap();
        assert_eq!(at.server_label(http), "a.test");
        let (srv, loc) = at.stream_route(Some(6432));
        assert_eq!(at.server_label(srv.unwrap()), "stream 127.0.0.1:6432");
        assert_eq!(at.location_name(loc.unwrap()), None);
        assert_eq!(at.stream_route(Some(1)), (None, None));
        // two stream servers: no port, no route
        assert_eq!(at.stream_route(None), (None, None));
        let g = at.group_of("10.0.1.1:5432", loc).unwrap();
        assert_eq!(at.group_name(g), "tcp");
        let ds = at.governing("connect-timeout", loc, Some(g), &["10.0.1.1:5432".into()]);
        let names: Vec<(&str, &str, Option<usize>)> = ds
            .iter()
            .map(|d| (d.name.as_str(), d.value.as_str(), d.line))
            .collect();
        assert_eq!(
            names,
            [
                ("proxy_pass", "tcp", Some(15)),
                ("proxy_connect_timeout", "2s", Some(15)),
                ("proxy_next_upstream", "on", None),
                ("proxy_next_upstream_tries", "0", None),
                ("proxy_next_upstream_timeout", "0", None),
                ("server", "10.0.1.1:5432 max_fails=3", Some(14)),
                ("server", "10.0.1.2:5432", Some(14)),
            ]
        );
        // the server unknown (no $server_port): the group's only pass
        let ds = at.governing("connect-refused", None, Some(g), &[]);
        assert_eq!(ds[0].name, "proxy_pass");
    }

    #[test]
    fn statuses_the_config_decides() {
        let l = load(STREAM);
        let m = Model::build(&l, &[(l.roots[0], Context::Main)]);
        let at = Attributor::new(&m);
        let s = at.find_server(Some("a.test"), Some(80), None).unwrap();
        let loc = |p: &str| at.find_location(s, p).unwrap();
        assert_eq!(at.decided_by(loc("/login/x"), 429), Some("rate-limited"));
        assert_eq!(at.decided_by(loc("/login/x"), 503), None);
        assert_eq!(at.decided_by(loc("/plain/x"), 503), Some("rate-limited"));
        assert_eq!(at.decided_by(loc("/members/x"), 401), Some("auth-denied"));
        assert_eq!(at.decided_by(loc("/members/x"), 404), None);
        let ds = at.governing("auth-request-failed", Some(loc("/members/x")), None, &[]);
        let names: Vec<(&str, &str)> = ds
            .iter()
            .map(|d| (d.name.as_str(), d.value.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("auth_request", "/_auth"),
                ("proxy_pass", "http://10.0.0.7:9000")
            ]
        );
        let ds = at.governing("rate-limited", Some(loc("/plain/x")), None, &[]);
        let st = ds.iter().find(|d| d.name == "limit_req_status").unwrap();
        assert_eq!((st.value.as_str(), st.default), ("503", true));
    }
}
