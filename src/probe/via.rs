//! `--via URL`: the troubleshooting guides' "does a direct call succeed
//! where the call through the gateway fails?", for every location with a
//! literal `proxy_pass`. The location's path is requested through nginx
//! (with the server's `server_name` as `Host`, so nginx picks that server)
//! and, mapped as `proxy_pass` maps it (a URI part replaces the location
//! prefix), directly from each backend of the location with that
//! location's settings. The verdict says which side fails.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use crate::model::{Context, Host, Model, PassId, PassModule};

use super::net;
use super::target::{self, PeerSettings, Protocol, Site, Target, TlsSettings};
use super::{ProbeOptions, ProbeResult, Verdict};

/// A gateway URL (`http://gateway.example[:port]`, `https://…`).
#[derive(Debug, Clone)]
pub struct Gateway {
    pub url: String,
    pub https: bool,
    pub host: String,
    pub port: u16,
}

/// Why `--via` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ViaError {
    #[error("--via {0}: expected http://HOST[:PORT] or https://HOST[:PORT]")]
    Url(String),
}

impl Gateway {
    pub fn parse(url: &str) -> Result<Gateway, ViaError> {
        let bad = || ViaError::Url(url.to_string());
        let (https, rest) = if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else {
            return Err(bad());
        };
        let t = crate::model::target::parse_pass(
            &format!("http://{}", rest.trim_end_matches('/')),
            PassModule::Proxy,
        );
        if t.has_variables || t.uri.as_deref().is_some_and(|u| u != "/") {
            return Err(bad());
        }
        let host = match &t.host {
            Host::Name(n) if !n.is_empty() => n.clone(),
            Host::Ip(std::net::IpAddr::V6(a)) => format!("[{a}]"),
            Host::Ip(a) => a.to_string(),
            _ => return Err(bad()),
        };
        Ok(Gateway {
            url: url.to_string(),
            https,
            host,
            port: t.port.unwrap_or(if https { 443 } else { 80 }),
        })
    }
}

/// A location to compare.
#[derive(Debug, Clone)]
pub struct ViaLocation {
    /// `location` argument as written (`/api/`, `= /health`).
    pub location: String,
    /// The path requested through nginx.
    pub path: Option<String>,
    /// The path requested from the backend.
    pub direct_path: Option<String>,
    /// `Host` for the gateway: the server's first literal `server_name`.
    pub server_name: Option<String>,
    /// The `proxy_pass`.
    pub site: Site,
    pub targets: Vec<Target>,
    /// Why the location is not compared (regex, named, not HTTP).
    pub skip: Option<String>,
}

/// Every location with a `proxy_pass` (http, not stream).
pub fn locations(model: &Model<'_>, conf_dir: &Path) -> Vec<ViaLocation> {
    let mut out = Vec::new();
    for (i, pass) in model.passes.iter().enumerate() {
        if pass.module.is_stream() {
            continue;
        }
        let Some(loc) = model.enclosing(pass.scope, Context::Location) else {
            continue;
        };
        let Some(block) = model.scope(loc).block else {
            continue;
        };
        let args: Vec<&str> = block.args.iter().map(|w| w.as_str()).collect();
        let location = args.join(" ");
        let server_name = model
            .enclosing(loc, Context::Server)
            .and_then(|s| model.local_first(s, "server_name"))
            .and_then(|d| {
                d.args
                    .iter()
                    .map(|w| w.as_str())
                    .find(|n| !n.is_empty() && *n != "_" && !n.contains(['~', '*', '$']))
                    .map(str::to_string)
            });
        let (path, skip) = match &args[..] {
            [p] if p.starts_with('/') => (Some(p.to_string()), None),
            ["=" | "^~", p] if p.starts_with('/') => (Some(p.to_string()), None),
            [p] if p.starts_with('@') => (None, Some("a named location has no path to request")),
            _ => (None, Some("a regex location has no single path to request")),
        };
        let skip = skip
            .or((pass.module != PassModule::Proxy).then_some("only proxy_pass speaks HTTP"))
            .map(str::to_string);
        let direct_path = path.as_ref().map(|p| match &pass.target.uri {
            Some(u) if !pass.target.has_variables => u.to_string(),
            _ => p.clone(),
        });
        out.push(ViaLocation {
            location,
            path,
            direct_path,
            server_name,
            site: Site::of(model, pass.directive),
            targets: target::pass_targets(model, PassId(i as u32), conf_dir),
            skip,
        });
    }
    out
}

/// The request through the gateway.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GatewayResult {
    pub url: String,
    pub host: String,
    pub path: String,
    pub outcome: Verdict,
    pub status: Option<u16>,
    pub cause: Option<&'static str>,
    pub detail: Option<String>,
    pub elapsed_ms: u64,
}

/// One location compared.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ViaResult {
    pub location: String,
    pub file: String,
    pub line: usize,
    pub gateway: Option<GatewayResult>,
    /// The direct probes of the location's backends, with its path (whole
    /// rows are in the document's `results`).
    #[serde(serialize_with = "brief_rows")]
    pub direct: Vec<ProbeResult>,
    /// `ok`, `gateway` (nginx fails where a backend answers), `backend`
    /// (the backends fail too), `gateway-recovers` (nginx answers although
    /// every backend fails: cache, backup, error_page), `gateway-down`,
    /// `skipped`.
    pub verdict: &'static str,
    pub explanation: String,
}

#[derive(serde::Serialize)]
struct Brief<'a> {
    upstream: &'a str,
    server: &'a str,
    address: Option<&'a str>,
    outcome: Verdict,
    cause: Option<&'static str>,
    status: Option<u16>,
}

fn brief_rows<S: serde::Serializer>(rows: &[ProbeResult], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rows.iter().map(|r| Brief {
        upstream: &r.upstream,
        server: &r.server,
        address: r.address.as_deref(),
        outcome: r.outcome,
        cause: r.cause,
        status: r.status,
    }))
}

impl ViaResult {
    pub fn failed(&self) -> bool {
        !matches!(self.verdict, "ok" | "skipped")
    }
}

fn gateway_request(g: &Gateway, host: &str, path: &str, deadline: Instant) -> GatewayResult {
    let start = Instant::now();
    let mut r = GatewayResult {
        url: g.url.clone(),
        host: host.to_string(),
        path: path.to_string(),
        outcome: Verdict::Failed,
        status: None,
        cause: None,
        detail: None,
        elapsed_ms: 0,
    };
    let bare = g.host.trim_matches(['[', ']']);
    let addr: Option<SocketAddr> = match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => Some(SocketAddr::new(ip, g.port)),
        Err(_) => super::dns::system(bare, deadline.saturating_duration_since(Instant::now()))
            .addresses
            .first()
            .map(|ip| SocketAddr::new(*ip, g.port)),
    };
    let Some(addr) = addr else {
        r.cause = Some("dns-failure");
        r.detail = Some(format!("{} could not be resolved", g.host));
        return r;
    };
    let left = deadline.saturating_duration_since(Instant::now());
    let ms = left.as_millis() as u64;
    let settings = PeerSettings {
        protocol: Protocol::Http,
        connect_timeout_ms: ms.min(10_000),
        send_timeout_ms: ms,
        read_timeout_ms: ms,
        tls: g.https.then(|| TlsSettings {
            send_sni: true,
            name: host.to_string(),
            verify: false,
            trusted_certificate: None,
            verify_depth: 1,
            alpn: Vec::new(),
        }),
        host_header: host.to_string(),
        host_note: None,
        http_version: "1.1".into(),
        buffer_size: 64 * 1024,
        resolver: None,
        worker_user: ("nobody".into(), None),
    };
    let ex = net::probe(&net::Peer::Tcp(addr), &settings, "GET", path, deadline);
    r.elapsed_ms = start.elapsed().as_millis() as u64;
    r.status = ex.status;
    match ex.failure {
        Some(f) => {
            r.cause = f.cause;
            r.detail = Some(f.detail);
        }
        None => r.outcome = Verdict::Ok,
    }
    // the gateway's own 5xx is what the user sees
    if r.status.is_some_and(|s| s >= 500) {
        r.outcome = Verdict::Failed;
    }
    r
}

/// Compare every location through the gateway and directly. The direct
/// probes of all locations run as one [`super::run`], so the limit of
/// connections per peer holds across locations; the gateway requests run
/// meanwhile.
pub fn run(locations: &[ViaLocation], gateway: &Gateway, opts: &ProbeOptions) -> Vec<ViaResult> {
    let deadline = Instant::now() + opts.timeout;
    let mut flat: Vec<Target> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    let live: Vec<bool> = locations
        .iter()
        .map(|l| l.skip.is_none() && l.path.is_some())
        .collect();
    for (li, loc) in locations.iter().enumerate() {
        if !live[li] {
            continue;
        }
        for t in &loc.targets {
            let mut t = t.clone();
            t.path = loc.direct_path.clone();
            flat.push(t);
            owner.push(li);
        }
    }
    let (direct, gateways) = std::thread::scope(|sc| {
        let d = sc.spawn(|| super::run(&flat, opts));
        let idx: Vec<usize> = (0..locations.len()).filter(|i| live[*i]).collect();
        let g = super::parallel(&idx, opts.jobs.min(8), |&li| {
            let loc = &locations[li];
            let host = loc
                .server_name
                .clone()
                .unwrap_or_else(|| gateway.host.clone());
            let path = loc.path.clone().unwrap_or_else(|| "/".into());
            (li, gateway_request(gateway, &host, &path, deadline))
        });
        (d.join().unwrap_or_default(), g)
    });
    let mut out: Vec<ViaResult> = locations
        .iter()
        .map(|loc| ViaResult {
            location: loc.location.clone(),
            file: loc.site.file.clone(),
            line: loc.site.line,
            gateway: None,
            direct: Vec::new(),
            verdict: "skipped",
            explanation: loc.skip.clone().unwrap_or_default(),
        })
        .collect();
    for r in direct {
        if let Some(&li) = owner.get(r.target) {
            out[li].direct.push(r);
        }
    }
    for (li, g) in gateways {
        let res = &mut out[li];
        let direct_ok = res.direct.iter().any(|r| r.outcome == Verdict::Ok);
        let direct_any = res.direct.iter().any(|r| r.outcome != Verdict::NotProbed);
        let status = g
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "no answer".into());
        (res.verdict, res.explanation) = match (g.status.is_some(), g.outcome == Verdict::Ok, direct_ok) {
            (false, _, _) => (
                "gateway-down",
                format!(
                    "the gateway did not answer: {}",
                    g.detail.clone().unwrap_or_default()
                ),
            ),
            (true, true, true) => ("ok", format!("nginx answers {status}, and a backend directly")),
            (true, true, false) if direct_any => (
                "gateway-recovers",
                format!(
                    "nginx answers {status} although no backend of the location does: a cache, a backup server or error_page covers for it"
                ),
            ),
            (true, true, false) => (
                "ok",
                format!("nginx answers {status}; no backend could be probed directly"),
            ),
            (true, false, true) => (
                "gateway",
                format!(
                    "nginx answers {status} while a backend answers directly: look at what nginx does differently (timeouts, TLS, Host, the address it resolved at load)"
                ),
            ),
            (true, false, false) => (
                "backend",
                format!("nginx answers {status} and the backends fail directly too"),
            ),
        };
        res.gateway = Some(g);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_urls() {
        let g = Gateway::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            (g.host.as_str(), g.port, g.https),
            ("127.0.0.1", 8080, false)
        );
        let g = Gateway::parse("https://gw.example/").unwrap();
        assert_eq!(
            (g.host.as_str(), g.port, g.https),
            ("gw.example", 443, true)
        );
        assert!(Gateway::parse("gw.example").is_err());
        assert!(Gateway::parse("http://gw/x").is_err());
        assert!(Gateway::parse("ftp://gw").is_err());
    }
}
