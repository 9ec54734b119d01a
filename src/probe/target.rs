//! Which backends to probe and with which settings: every `server` of every
//! `upstream {}` group and every literal `*_pass` target of the model, each
//! with the effective values nginx applies where it is used (connect, send
//! and read timeouts, TLS, `Host`, `resolver`). Purely a reading of the
//! model; nothing here touches the network.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::model::target::has_variable;
use crate::model::values::{parse_size, parse_time};
use crate::model::{Context, Host, Model, Pass, PassModule, PassTarget, ScopeId, Upstream};

// Shared with `lint --resolve` through the bottom `dns` module.
pub use crate::dns::{ResolverSettings, Site};

/// The protocol nginx speaks to the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Http,
    Fastcgi,
    Grpc,
    Memcached,
    Uwsgi,
    Scgi,
    /// Stream proxying, or an upstream no `*_pass` uses: connect only.
    Tcp,
}

/// TLS to the backend as `*_ssl_*` directives set it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// `*_ssl_server_name` (default off: no SNI).
    pub send_sni: bool,
    /// `*_ssl_name`, else the host of the `*_pass` target.
    pub name: String,
    /// `*_ssl_verify` (default off).
    pub verify: bool,
    /// `*_ssl_trusted_certificate`, resolved against the config directory.
    pub trusted_certificate: Option<PathBuf>,
    /// `*_ssl_verify_depth` (default 1).
    pub verify_depth: u32,
    /// ALPN protocols nginx offers (`h2` for gRPC).
    pub alpn: Vec<Vec<u8>>,
}

/// The effective settings of the location (or stream server) that uses a
/// target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerSettings {
    pub protocol: Protocol,
    pub connect_timeout_ms: u64,
    pub send_timeout_ms: u64,
    pub read_timeout_ms: u64,
    pub tls: Option<TlsSettings>,
    /// The `Host` header nginx sends (HTTP only).
    pub host_header: String,
    /// How `host_header` was found, when it is a guess.
    pub host_note: Option<String>,
    /// `proxy_http_version` (default 1.0).
    pub http_version: String,
    /// `*_buffer_size`: the largest response header nginx accepts.
    pub buffer_size: usize,
    pub resolver: Option<ResolverSettings>,
    /// nginx's `user` (worker user and group; default `nobody`).
    pub worker_user: (String, Option<String>),
}

/// One backend to probe.
#[derive(Debug, Clone)]
pub struct Target {
    /// The `upstream {}` name, or `host:port` of the implicit upstream nginx
    /// creates for a literal `*_pass`.
    pub upstream: String,
    pub implicit: bool,
    pub stream: bool,
    /// The address as written (`server` argument or `*_pass` target).
    pub server: String,
    pub host: Host,
    pub port: u16,
    pub weight: Option<u32>,
    pub backup: bool,
    pub down: bool,
    /// The `server` directive, or the `*_pass` of an implicit upstream.
    pub site: Site,
    /// The `*_pass` whose location gave the settings.
    pub pass: Option<Site>,
    pub module: Option<PassModule>,
    pub scheme: Option<String>,
    /// nginx resolves the name per request (`resolve` parameter, or a
    /// `*_pass` with variables) through `resolver`, not once at load.
    pub runtime_resolve: bool,
    pub settings: PeerSettings,
    /// Why the target cannot be probed (variables, `down`, no pass).
    pub not_probeable: Option<String>,
    /// Request this path with GET instead of the run's (`--via` asks each
    /// backend for its location's path).
    pub path: Option<String>,
}

/// Errors in the probe request itself (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("no upstream named \"{0}\" in the configuration (known: {1})")]
    UnknownUpstream(String, String),
}

fn ms(model: &Model<'_>, scope: ScopeId, name: &str, fallback: u64) -> u64 {
    model.effective(scope, name).time_ms().unwrap_or(fallback)
}

fn flag(model: &Model<'_>, scope: ScopeId, name: &str) -> bool {
    model.effective(scope, name).value() == Some("on")
}

/// `resolver` and `resolver_timeout` effective at a scope.
fn resolver_at(model: &Model<'_>, scope: ScopeId) -> Option<ResolverSettings> {
    let r = model.effective(scope, "resolver");
    let d = r.directive?;
    let mut out = ResolverSettings {
        servers: Vec::new(),
        timeout_ms: ms(model, scope, "resolver_timeout", 30_000),
        ipv4: true,
        ipv6: true,
        site: Site::of(model, d),
    };
    for a in d.args.iter().map(|w| w.as_str()) {
        match a.split_once('=') {
            Some(("ipv4", v)) => out.ipv4 = v == "on",
            Some(("ipv6", v)) => out.ipv6 = v == "on",
            Some(_) => {}
            None => out.servers.push(a.to_string()),
        }
    }
    Some(out)
}

/// The resolver an upstream `server … resolve` uses: the upstream block's
/// own (nginx 1.27.3+), else the `http`/`stream` level's.
fn upstream_resolver(model: &Model<'_>, up: &Upstream<'_>) -> Option<ResolverSettings> {
    let scope = up.scope?;
    if model.local_first(scope, "resolver").is_some() {
        return resolver_at(model, scope);
    }
    resolver_at(model, model.scope(scope).parent?)
}

fn protocol_of(module: PassModule) -> Protocol {
    match module {
        PassModule::Proxy => Protocol::Http,
        PassModule::Fastcgi => Protocol::Fastcgi,
        PassModule::Grpc => Protocol::Grpc,
        PassModule::Memcached => Protocol::Memcached,
        PassModule::Uwsgi => Protocol::Uwsgi,
        PassModule::Scgi => Protocol::Scgi,
        PassModule::StreamProxy => Protocol::Tcp,
    }
}

/// `$proxy_host`: the target's host, with the port when not the default.
fn proxy_host(pass: &Pass<'_>) -> String {
    let t = &pass.target;
    let host = match &t.host {
        Host::Ip(IpAddr::V6(a)) => format!("[{a}]"),
        Host::Ip(a) => a.to_string(),
        Host::Name(n) | Host::Variable(n) => n.clone(),
        Host::Unix(_) => "localhost".to_string(),
    };
    let default = match t.scheme.as_deref() {
        Some("https") => 443,
        _ => 80,
    };
    match t.port {
        Some(p) if p != default => format!("{host}:{p}"),
        _ => host,
    }
}

/// The first literal `server_name` of the server around a scope.
fn server_name(model: &Model<'_>, scope: ScopeId) -> Option<String> {
    let server = model.enclosing(scope, Context::Server)?;
    let d = model.local_first(server, "server_name")?;
    d.args
        .iter()
        .map(|w| w.as_str())
        .find(|n| {
            !n.is_empty()
                && *n != "_"
                && !n.starts_with('~')
                && !n.contains('*')
                && !n.starts_with('.')
                && !has_variable(n)
        })
        .map(str::to_string)
}

/// The `Host` header nginx sends for a pass, and a note when guessed.
fn host_header(model: &Model<'_>, pass: &Pass<'_>) -> (String, Option<String>) {
    let ph = proxy_host(pass);
    if pass.module != PassModule::Proxy {
        return (ph, None);
    }
    let set = model.effective_array(pass.scope, "proxy_set_header");
    let Some(v) = set
        .directives
        .iter()
        .find(|d| d.arg(0).is_some_and(|n| n.eq_ignore_ascii_case("host")))
        .and_then(|d| d.arg(1))
    else {
        return (ph, None);
    };
    if !has_variable(v) {
        return (v.to_string(), None);
    }
    let client = server_name(model, pass.scope);
    let mut out = v.to_string();
    let mut guessed = false;
    for (var, val) in [
        ("$proxy_host", Some(ph.clone())),
        ("$host", client.clone()),
        ("$http_host", client.clone()),
        ("$server_name", client.clone()),
    ] {
        if out.contains(var) {
            match val {
                Some(val) => {
                    guessed |= var != "$proxy_host";
                    out = out.replace(var, &val);
                }
                None => {
                    return (
                        ph,
                        Some(format!(
                            "Host is \"{v}\" (per request); no literal server_name to stand for it, sending the upstream name"
                        )),
                    )
                }
            }
        }
    }
    if has_variable(&out) {
        return (
            ph,
            Some(format!(
                "Host is \"{v}\" (per request); sending the upstream name"
            )),
        );
    }
    let note = guessed.then(|| format!("Host is \"{v}\": the server_name stands for the client's"));
    (out, note)
}

fn tls_settings(
    model: &Model<'_>,
    pass: &Pass<'_>,
    conf_dir: &Path,
    default_name: &str,
) -> Option<TlsSettings> {
    let p = pass.module.prefix();
    let on = match pass.module {
        PassModule::StreamProxy => flag(model, pass.scope, "proxy_ssl"),
        _ => matches!(
            pass.target.scheme.as_deref(),
            Some("https" | "grpcs" | "suwsgi")
        ),
    };
    if !on {
        return None;
    }
    let s = pass.scope;
    let name = model
        .effective(s, &format!("{p}_ssl_name"))
        .value()
        .filter(|n| !has_variable(n))
        .unwrap_or(default_name)
        .to_string();
    let trusted = model
        .effective(s, &format!("{p}_ssl_trusted_certificate"))
        .value()
        .map(|f| conf_dir.join(f));
    Some(TlsSettings {
        send_sni: flag(model, s, &format!("{p}_ssl_server_name")),
        name,
        verify: flag(model, s, &format!("{p}_ssl_verify")),
        trusted_certificate: trusted,
        verify_depth: model
            .effective(s, &format!("{p}_ssl_verify_depth"))
            .value()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1),
        alpn: if pass.module == PassModule::Grpc {
            vec![b"h2".to_vec()]
        } else {
            Vec::new()
        },
    })
}

/// The settings of the location that uses a pass. `tls_name` is the host
/// nginx names the peer by (the upstream name for a group).
fn settings_of(
    model: &Model<'_>,
    pass: &Pass<'_>,
    conf_dir: &Path,
    tls_name: &str,
) -> PeerSettings {
    let p = pass.module.prefix();
    let s = pass.scope;
    let (host_header, host_note) = host_header(model, pass);
    let stream = pass.module.is_stream();
    let (send, read) = if stream {
        let t = ms(model, s, "proxy_timeout", 600_000);
        (t, t)
    } else {
        (
            ms(model, s, &format!("{p}_send_timeout"), 60_000),
            ms(model, s, &format!("{p}_read_timeout"), 60_000),
        )
    };
    let buffer_size = model
        .effective(s, &format!("{p}_buffer_size"))
        .value()
        .map(|v| v.split('|').next().unwrap_or(v))
        .and_then(parse_size)
        .unwrap_or(4096) as usize;
    PeerSettings {
        protocol: protocol_of(pass.module),
        connect_timeout_ms: ms(model, s, &format!("{p}_connect_timeout"), 60_000),
        send_timeout_ms: send,
        read_timeout_ms: read,
        tls: tls_settings(model, pass, conf_dir, tls_name),
        host_header,
        host_note,
        http_version: model
            .effective(s, "proxy_http_version")
            .value()
            .unwrap_or("1.0")
            .to_string(),
        buffer_size,
        resolver: resolver_at(model, s),
        worker_user: worker_user(model),
    }
}

/// The `user` directive of the main context, else nginx's default.
fn worker_user(model: &Model<'_>) -> (String, Option<String>) {
    model
        .roots
        .iter()
        .filter(|r| model.scope(**r).kind == Context::Main)
        .find_map(|r| model.local_first(*r, "user"))
        .and_then(|d| Some((d.arg(0)?.to_string(), d.arg(1).map(str::to_string))))
        .unwrap_or_else(|| ("nobody".into(), None))
}

/// Settings for an upstream no pass uses: nginx's defaults, connect only.
fn unused_settings(model: &Model<'_>, up: &Upstream<'_>) -> PeerSettings {
    PeerSettings {
        protocol: Protocol::Tcp,
        connect_timeout_ms: parse_time("60s").unwrap_or(60_000),
        send_timeout_ms: 60_000,
        read_timeout_ms: 60_000,
        tls: None,
        host_header: up.name.clone(),
        host_note: None,
        http_version: "1.0".into(),
        buffer_size: 4096,
        resolver: upstream_resolver(model, up),
        worker_user: worker_user(model),
    }
}

/// Variables that only ever produce a URI (they start with `/` or `?`, or
/// follow one): a pass like `http://app:8080$request_uri` has a literal
/// host and port.
const URI_VARIABLES: &[&str] = &[
    "request_uri",
    "uri",
    "document_uri",
    "is_args",
    "args",
    "query_string",
];

/// The literal part of a per-request pass target, parsed, when the scheme,
/// host and port have no variables.
fn literal_authority(raw: &str, module: PassModule) -> Option<crate::model::PassTarget> {
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, raw),
    };
    if scheme.is_some_and(has_variable) {
        return None;
    }
    let mut authority = rest.split('/').next().unwrap_or(rest);
    if let Some(i) = authority.find('$') {
        let var = crate::model::target::variables(&authority[i..]);
        if !var.first().is_some_and(|v| URI_VARIABLES.contains(v)) {
            return None;
        }
        authority = &authority[..i];
    }
    if authority.is_empty() || has_variable(authority) {
        return None;
    }
    let text = match scheme {
        Some(s) => format!("{s}://{authority}"),
        None => authority.to_string(),
    };
    let t = crate::model::target::parse_pass(&text, module);
    (!matches!(t.host, Host::Variable(_))).then_some(t)
}

fn default_port(scheme: Option<&str>) -> u16 {
    match scheme {
        Some("https" | "grpcs") => 443,
        _ => 80,
    }
}

/// One `server` of an upstream block, with the settings of `pass` (or
/// nginx's defaults when no pass uses the block).
fn server_target(
    model: &Model<'_>,
    up: &Upstream<'_>,
    s: &crate::model::UpstreamServer<'_>,
    pass: Option<&Pass<'_>>,
    conf_dir: &Path,
) -> Target {
    let a = &s.address;
    let settings = match pass {
        Some(p) => {
            let mut settings = settings_of(model, p, conf_dir, &up.name);
            if a.params.resolve {
                settings.resolver = upstream_resolver(model, up);
            }
            settings
        }
        None => unused_settings(model, up),
    };
    Target {
        upstream: up.name.clone(),
        implicit: false,
        stream: up.stream,
        server: s.directive.arg(0).unwrap_or_default().to_string(),
        host: a.host.clone(),
        port: a
            .port
            .unwrap_or_else(|| default_port(pass.and_then(|p| p.target.scheme.as_deref()))),
        weight: a.params.weight,
        backup: a.params.backup,
        down: a.params.down,
        site: Site::of(model, s.directive),
        pass: pass.map(|p| Site::of(model, p.directive)),
        module: pass.map(|p| p.module),
        scheme: pass.and_then(|p| p.target.scheme.as_deref().map(String::from)),
        runtime_resolve: a.params.resolve,
        not_probeable: if a.params.down {
            Some("marked `down`: nginx sends nothing to it".into())
        } else if matches!(a.host, Host::Variable(_)) {
            Some("the address uses variables".into())
        } else {
            None
        },
        settings,
        path: None,
    }
}

/// The targets one `*_pass` reaches, with the settings of its location:
/// the servers of its upstream block, its own literal address, or — for a
/// target with variables — the literal host nginx resolves per request
/// (listed as not probeable when the host itself is a variable).
pub fn pass_targets(model: &Model<'_>, id: crate::model::PassId, conf_dir: &Path) -> Vec<Target> {
    let pass = model.pass(id);
    if let Some(uid) = pass.upstream {
        let up = model.upstreams.get(uid);
        if !up.is_implicit() {
            return up
                .servers
                .iter()
                .map(|s| server_target(model, up, s, Some(pass), conf_dir))
                .collect();
        }
        let t = &pass.target;
        let target = implicit_target(model, pass, t, conf_dir);
        return vec![Target {
            upstream: up.name.clone(),
            stream: up.stream,
            server: t.authority(),
            runtime_resolve: false,
            ..target
        }];
    }
    // `http://app:8080$request_uri`: the host and port are literal
    let literal_part = literal_authority(&pass.target.raw, pass.module);
    let literal = literal_part.is_some();
    let reparsed;
    let t = match literal_part {
        Some(a) => {
            reparsed = a;
            &reparsed
        }
        None => &pass.target,
    };
    let (name, server) = if literal {
        (t.authority(), t.authority())
    } else {
        (t.raw.to_string(), pass.target.raw.to_string())
    };
    let not_probeable = (!literal).then(|| {
        let vars: Vec<String> = crate::model::target::variables(&pass.target.raw)
            .iter()
            .map(|v| format!("${v}"))
            .collect();
        format!(
            "the target uses variables ({}): nginx evaluates it per request",
            vars.join(", ")
        )
    });
    vec![Target {
        upstream: name,
        server,
        not_probeable,
        ..implicit_target(model, pass, t, conf_dir)
    }]
}

/// The one target of a `*_pass` to `t` (its literal address, or its
/// implicit upstream), with the settings of the pass's location; nginx
/// names a TLS peer by the host it connects to (an address as written).
fn implicit_target(model: &Model<'_>, pass: &Pass<'_>, t: &PassTarget, conf_dir: &Path) -> Target {
    let tls_name = match &t.host {
        Host::Name(n) => n.clone(),
        Host::Ip(a) => a.to_string(),
        _ => "localhost".into(),
    };
    let site = Site::of(model, pass.directive);
    Target {
        upstream: t.authority(),
        implicit: true,
        stream: pass.module.is_stream(),
        server: t.authority(),
        host: t.host.clone(),
        port: t.port.unwrap_or_else(|| default_port(t.scheme.as_deref())),
        weight: None,
        backup: false,
        down: false,
        site: site.clone(),
        pass: Some(site),
        module: Some(pass.module),
        scheme: t.scheme.as_deref().map(String::from),
        runtime_resolve: matches!(t.host, Host::Name(_)),
        settings: settings_of(model, pass, conf_dir, &tls_name),
        not_probeable: None,
        path: None,
    }
}

/// Every target of the model, in configuration order: the servers of each
/// upstream group (one target per distinct set of settings among the
/// passes that use the group), then the literal passes that name no group,
/// then the passes that cannot be probed. `only` keeps the named groups.
pub fn targets(
    model: &Model<'_>,
    conf_dir: &Path,
    only: &[String],
) -> Result<Vec<Target>, TargetError> {
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o.eq_ignore_ascii_case(name));
    let mut out: Vec<Target> = Vec::new();
    let mut push = |t: Target| {
        let dup = out.iter().any(|o| {
            o.upstream == t.upstream
                && o.site == t.site
                && o.settings == t.settings
                && o.runtime_resolve == t.runtime_resolve
        });
        if wanted(&t.upstream) && !dup {
            out.push(t);
        }
    };
    for (_, up) in model.upstreams.explicit() {
        if up.used_by.is_empty() {
            for s in &up.servers {
                let mut t = server_target(model, up, s, None, conf_dir);
                if t.not_probeable.is_none() {
                    t.settings.host_note = Some(
                        "no *_pass uses this upstream: connect only, with nginx's default timeouts"
                            .into(),
                    );
                }
                push(t);
            }
        }
    }
    for i in 0..model.passes.len() {
        for t in pass_targets(model, crate::model::PassId(i as u32), conf_dir) {
            push(t);
        }
    }
    // group by upstream, in order of first appearance
    let mut order: Vec<String> = Vec::new();
    for t in &out {
        if !order.contains(&t.upstream) {
            order.push(t.upstream.clone());
        }
    }
    out.sort_by_key(|t| order.iter().position(|u| *u == t.upstream));
    for name in only {
        if !out.iter().any(|t| t.upstream.eq_ignore_ascii_case(name)) {
            let mut names: Vec<&str> = model
                .upstreams
                .all()
                .filter(|(_, u)| !u.is_implicit() || !u.used_by.is_empty())
                .map(|(_, u)| u.name.as_str())
                .collect();
            names.dedup();
            return Err(TargetError::UnknownUpstream(
                name.clone(),
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                },
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, Loaded};

    #[test]
    fn literal_part_of_per_request_targets() {
        let t = literal_authority("http://app:8080$request_uri", PassModule::Proxy).unwrap();
        assert_eq!((t.host, t.port), (Host::Name("app".into()), Some(8080)));
        let t = literal_authority("https://api.example/$uri", PassModule::Proxy).unwrap();
        assert_eq!(t.host, Host::Name("api.example".into()));
        assert!(literal_authority("http://$upstream:80", PassModule::Proxy).is_none());
        assert!(literal_authority("$scheme://app", PassModule::Proxy).is_none());
        assert!(literal_authority("http://app:$port", PassModule::Proxy).is_none());
    }

    #[test]
    fn settings_come_from_the_location_that_uses_the_target() {
        let conf = "# configuration file /e/nginx.conf:\nuser www-data web;\nhttp {\n    proxy_connect_timeout 3s;\n    resolver 127.0.0.1:5353 ipv6=off;\n    upstream pool { server app.internal:8443 weight=5; server 10.0.0.2:8443 backup; }\n    server {\n        server_name site.example;\n        location / {\n            proxy_read_timeout 7s;\n            proxy_set_header Host $host;\n            proxy_ssl_server_name on;\n            proxy_ssl_verify on;\n            proxy_ssl_trusted_certificate ca.pem;\n            proxy_pass https://pool;\n        }\n        location /php { fastcgi_connect_timeout 1s; fastcgi_pass unix:/run/php.sock; }\n    }\n}\n\n";
        let mut l = Loaded::default();
        l.load_text(
            "-".into(),
            conf.as_bytes().to_vec(),
            &LoadOptions {
                follow_includes: true,
                ..Default::default()
            },
        );
        let m = Model::build(&l, &[(l.roots[0], Context::Main)]);
        let ts = targets(&m, Path::new("/etc/nginx"), &[]).unwrap();
        assert_eq!(ts.len(), 3, "{ts:#?}");
        let a = &ts[0];
        assert_eq!(
            (a.upstream.as_str(), a.server.as_str()),
            ("pool", "app.internal:8443")
        );
        assert_eq!((a.weight, a.backup), (Some(5), false));
        assert!(ts[1].backup);
        let s = &a.settings;
        assert_eq!((s.connect_timeout_ms, s.read_timeout_ms), (3000, 7000));
        assert_eq!(s.host_header, "site.example");
        assert!(s.host_note.is_some());
        let tls = s.tls.as_ref().unwrap();
        assert!(tls.send_sni && tls.verify);
        assert_eq!(tls.name, "pool");
        assert_eq!(
            tls.trusted_certificate.as_deref(),
            Some(Path::new("/etc/nginx/ca.pem"))
        );
        let r = s.resolver.as_ref().unwrap();
        assert_eq!(r.servers, ["127.0.0.1:5353"]);
        assert!(r.ipv4 && !r.ipv6);
        assert_eq!(
            s.worker_user,
            ("www-data".to_string(), Some("web".to_string()))
        );
        let php = &ts[2];
        assert_eq!(php.host, Host::Unix("/run/php.sock".into()));
        assert_eq!(php.settings.protocol, Protocol::Fastcgi);
        assert_eq!(php.settings.connect_timeout_ms, 1000);
        assert!(php.settings.tls.is_none());
        // only the named group
        let only = targets(&m, Path::new("/"), &["POOL".into()]).unwrap();
        assert_eq!(only.len(), 2);
        assert!(targets(&m, Path::new("/"), &["nope".into()]).is_err());
    }

    #[test]
    fn per_request_targets_can_be_selected_by_name() {
        let conf = "# configuration file /e/nginx.conf:\nhttp {\n    server {\n        location / { proxy_pass http://rt.example:8080$request_uri; }\n        location /v { proxy_pass http://$arg_h; }\n    }\n}\n\n";
        let mut l = Loaded::default();
        l.load_text(
            "-".into(),
            conf.as_bytes().to_vec(),
            &LoadOptions {
                follow_includes: true,
                ..Default::default()
            },
        );
        let m = Model::build(&l, &[(l.roots[0], Context::Main)]);
        let all = targets(&m, Path::new("/"), &[]).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].runtime_resolve && all[0].not_probeable.is_none());
        assert!(all[1].not_probeable.as_deref().unwrap().contains("$arg_h"));
        let one = targets(&m, Path::new("/"), &["RT.example:8080".into()]).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].server, "rt.example:8080");
        assert_eq!(one[0].port, 8080);
    }
}
