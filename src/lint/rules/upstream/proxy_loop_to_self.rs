//! `upstream/proxy-loop-to-self`: a `proxy_pass` that points back at the
//! same server block (loopback, `localhost`, its own `server_name` or
//! `$host`, on a port it listens on) with the same URI and a `Host` that
//! selects the same server: each request proxies to itself until worker
//! connections or file descriptors run out.

use std::net::IpAddr;

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::{Context, Host, Model, PassModule, ScopeId};
use crate::rule;
use crate::syntax::Directive;

pub const RULE: Rule = rule! {
    id: "upstream/proxy-loop-to-self",
    severity: Error,
    summary: "`proxy_pass` back to the same server block and location: an infinite proxy loop",
    check: check,
};

const META: RuleMeta = RULE.meta;

/// One `listen`: port, address (None = all), default_server.
struct Listen<'a> {
    port: u16,
    addr: Option<String>,
    default: bool,
    directive: Option<&'a Directive>,
}

fn listens<'a>(m: &Model<'a>, server: ScopeId) -> Option<Vec<Listen<'a>>> {
    let mut out = Vec::new();
    for d in m.local(server, "listen") {
        let Some(a) = d.arg(0) else { continue };
        if a.starts_with("unix:") {
            continue;
        }
        let default = d
            .args
            .iter()
            .any(|w| w.as_str() == "default_server" || w.as_str() == "default");
        let (addr, port) = if let Ok(p) = a.parse::<u16>() {
            (None, p)
        } else if let Some(i) = a.rfind(':') {
            let Ok(p) = a[i + 1..].parse::<u16>() else {
                continue;
            };
            let h = &a[..i];
            (
                if h == "*" || h == "[::]" || h == "0.0.0.0" {
                    None
                } else {
                    Some(h.to_string())
                },
                p,
            )
        } else {
            (Some(a.to_string()), 80)
        };
        out.push(Listen {
            port,
            addr,
            default,
            directive: Some(d),
        });
    }
    if out.is_empty() {
        if m.scope(server).unknown_include.is_some() {
            return None;
        }
        out.push(Listen {
            port: 80,
            addr: None,
            default: false,
            directive: None,
        });
    }
    Some(out)
}

fn server_names<'a>(m: &Model<'a>, server: ScopeId) -> Vec<&'a str> {
    server_name_iter(m, server).collect()
}

/// The literal `server_name`s of a server block.
fn server_name_iter<'m, 'a>(
    m: &'m Model<'a>,
    server: ScopeId,
) -> impl Iterator<Item = &'a str> + 'm {
    m.local(server, "server_name")
        .flat_map(|d| d.args.iter().map(|w| w.as_str()))
        .filter(|n| !n.starts_with('~') && !n.contains('*'))
}

/// Is `server` the default server for `port` among its siblings?
fn is_default_for(m: &Model<'_>, server: ScopeId, port: u16) -> bool {
    let Some(parent) = m.scope(server).parent else {
        return true;
    };
    let mut first = None;
    for s in m.scope(parent).children.iter().copied() {
        if m.scope(s).kind != Context::Server {
            continue;
        }
        let Some(ls) = listens(m, s) else { continue };
        for l in ls.iter().filter(|l| l.port == port) {
            if l.default {
                return s == server;
            }
            first.get_or_insert(s);
        }
    }
    first == Some(server)
}

const SELF_VARS: &[&str] = &["$host", "$http_host", "$server_name"];

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    for p in &m.passes {
        if p.module != PassModule::Proxy {
            continue;
        }
        let kind = m.scope(p.scope).kind;
        if kind != Context::Location && kind != Context::LimitExcept {
            continue;
        }
        let t = &p.target;
        if t.variable_scheme || !matches!(t.scheme.as_deref(), Some("http") | Some("https")) {
            continue;
        }
        // `proxy_pass http://NAME` to an `upstream NAME {}` group goes to
        // the group's servers, whatever `server_name` says
        if p.explicit_upstream(&m.upstreams).is_some() {
            continue;
        }
        let loopback = match &t.host {
            Host::Ip(ip) => ip.is_loopback() || ip.is_unspecified(),
            Host::Name(n) => super::super::dns::is_localhost(n),
            _ => false,
        };
        // the target must be this host or a name of some server first
        let maybe_self = loopback
            || match &t.host {
                Host::Name(_) => true,
                Host::Variable(v) => SELF_VARS.contains(&v.as_str()),
                _ => false,
            };
        if !maybe_self {
            continue;
        }
        let Some(server) = m.enclosing(p.scope, Context::Server) else {
            continue;
        };
        let own_name = match &t.host {
            Host::Name(n) => server_name_iter(m, server).any(|s| s.eq_ignore_ascii_case(n)),
            Host::Variable(v) => SELF_VARS.contains(&v.as_str()),
            _ => false,
        };
        if !loopback && !own_name {
            continue;
        }
        let Some(loc) = m.enclosing(p.scope, Context::Location) else {
            continue;
        };
        let Some(loc_d) = m.scope(loc).block else {
            continue;
        };
        if loc_d.arg(0).is_some_and(|a| a.starts_with('@'))
            || m.local_first(loc, "internal").is_some()
        {
            continue;
        }
        let names = match &t.host {
            Host::Name(_) => server_names(m, server),
            Host::Ip(_) if loopback => server_names(m, server),
            Host::Variable(v) if SELF_VARS.contains(&v.as_str()) => server_names(m, server),
            _ => Vec::new(),
        };
        let Some(port) = t.effective_port() else {
            continue;
        };
        let Some(ls) = listens(m, server) else {
            continue;
        };
        let Some(listen) = ls.iter().find(|l| {
            l.port == port
                && match &l.addr {
                    None => true,
                    Some(a) => {
                        let a = a.trim_start_matches('[').trim_end_matches(']');
                        a.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
                            || matches!(&t.host, Host::Name(n) if n.eq_ignore_ascii_case(a))
                            || matches!(&t.host, Host::Ip(ip) if a.parse::<IpAddr>().ok() == Some(*ip))
                    }
                }
        }) else {
            continue;
        };
        // same URI: no URI part, or one that repeats the request's
        let loc_path = loc_d.args.last().map(|w| w.as_str());
        let same_uri = match t.uri.as_deref() {
            None => true,
            Some("$request_uri") | Some("$uri$is_args$args") => true,
            Some(u) => Some(u) == loc_path && !t.has_variables,
        };
        if !same_uri {
            continue;
        }
        // the Host header sent upstream must select this server again
        let headers = m.effective_array(p.scope, "proxy_set_header");
        if headers.unknown.is_some() {
            continue;
        }
        let host_header = headers
            .directives
            .iter()
            .find(|d| d.arg(0).is_some_and(|h| h.eq_ignore_ascii_case("host")))
            .and_then(|d| d.arg(1));
        let same_server = match host_header {
            Some(v) => SELF_VARS.contains(&v) || names.iter().any(|n| n.eq_ignore_ascii_case(v)),
            None => {
                own_name || is_default_for(m, server, port) || names.iter().any(|n| {
                    matches!(&t.host, Host::Name(h) if h.eq_ignore_ascii_case(n))
                        || matches!(&t.host, Host::Ip(ip) if n.parse::<IpAddr>().ok() == Some(*ip))
                })
            }
        };
        if !same_server {
            continue;
        }
        let mut d = diag(
            &META,
            format!(
                "proxy_pass \"{}\" sends each request back to this server (listening on port {port}) and this location: it proxies to itself until worker_connections or open files run out",
                t.raw
            ),
        )
        .with_span(p.directive.args[0].span)
        .with_label("points back at this server");
        if let Some(ld) = listen.directive {
            d = d.with_related(ld.head_span(), "this server listens here");
        }
        out.push(d.with_help("proxy to the backend's own address and port (e.g. `proxy_pass http://127.0.0.1:8080;` where the application listens), not to nginx itself"));
    }
}
