//! `tls/scheme-port-mismatch`: `https://` to a port that conventionally
//! serves plain HTTP (80, 8080, 3000, …), or `http://` to 443/8443. The
//! first fails the TLS handshake ("wrong version number"); the second sends
//! plain HTTP to a TLS listener.

use serde::Deserialize;

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::{Pass, PassModule};
use crate::rule;
use crate::syntax::Directive;

pub const RULE: Rule = rule! {
    id: "tls/scheme-port-mismatch",
    severity: Info,
    summary: "`https://` to a plaintext port (80, 8080, …) or `http://` to 443",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."tls/scheme-port-mismatch"]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Ports never reported (a backend that serves TLS on 8080, …).
    pub ignore_ports: Vec<u16>,
}

/// Ports that conventionally serve plain HTTP.
/// (9000 is left out: MinIO and others serve TLS there.)
pub const PLAINTEXT_PORTS: &[u16] = &[80, 8080, 3000, 5000, 8000, 8081];
/// Ports that conventionally serve TLS.
pub const TLS_PORTS: &[u16] = &[443, 8443];

/// Does the pass speak TLS (`Some(true)`), plain (`Some(false)`), or is it
/// not an HTTP/gRPC pass with a literal scheme (`None`)?
fn speaks_tls(p: &Pass<'_>) -> Option<bool> {
    match (p.module, p.target.scheme.as_deref()) {
        (PassModule::Proxy, Some("https")) | (PassModule::Grpc, Some("grpcs")) => Some(true),
        (PassModule::Proxy, Some("http")) | (PassModule::Grpc, Some("grpc")) => Some(false),
        (PassModule::Grpc, None) if !p.target.variable_scheme => Some(false),
        _ => None,
    }
}

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    for p in &m.passes {
        let Some(tls) = speaks_tls(p) else { continue };
        let bad = |port: u16| {
            !opts.ignore_ports.contains(&port)
                && if tls {
                    PLAINTEXT_PORTS.contains(&port)
                } else {
                    TLS_PORTS.contains(&port)
                }
        };
        // the port: explicit in the target, or of the group's servers
        let (port, server): (u16, Option<&Directive>) = match p.explicit_upstream(&m.upstreams) {
            Some(u) => {
                let u = m.upstreams.get(u);
                let Some(s) = u.servers.iter().find(|s| s.address.port.is_some_and(bad)) else {
                    continue;
                };
                (s.address.port.unwrap_or_default(), Some(s.directive))
            }
            None => {
                // `https://10.0.0.1:8080$request_uri`: the port before the variable
                let Some(port) = super::static_targets(m, p)
                    .into_iter()
                    .find_map(|(t, _)| t.port.filter(|x| bad(*x)))
                else {
                    continue;
                };
                (port, None)
            }
        };
        let scheme = p.target.scheme.as_deref().unwrap_or(match p.module {
            PassModule::Grpc => "grpc",
            _ => "",
        });
        let msg = if tls {
            format!(
                "{} {} speaks TLS to port {port}, which conventionally serves plain {}: the handshake fails with \"SSL_do_handshake() failed (SSL: error:…:wrong version number) while SSL handshaking to upstream\" (502)",
                p.directive.name(),
                p.target.raw,
                if scheme == "grpcs" { "gRPC/HTTP" } else { "HTTP" }
            )
        } else {
            format!(
                "{} {} sends plain {} to port {port}, which conventionally expects TLS: the backend answers \"400 The plain HTTP request was sent to HTTPS port\" or closes the connection, and nginx may relay garbage (\"upstream sent no valid HTTP/1.0 header\")",
                p.directive.name(),
                p.target.raw,
                if scheme == "grpc" { "gRPC" } else { "HTTP" }
            )
        };
        let fix = match (tls, scheme) {
            (true, "grpcs") => "grpc://",
            (true, _) => "http://",
            (false, "grpc") => "grpcs://",
            (false, _) => "https://",
        };
        let mut d = diag(&META, msg)
            .with_span(p.directive.args[0].span)
            .with_label(if tls {
                "TLS to a plaintext port"
            } else {
                "plaintext to a TLS port"
            });
        if let Some(s) = server {
            d = d.with_related(s.head_span(), format!("port {port} of the upstream group"));
        }
        out.push(d.with_help(format!(
            "use `{fix}` if the backend {} on port {port}, or add {port} to this rule's `ignore-ports` if it really {}",
            if tls { "speaks plain HTTP" } else { "speaks TLS" },
            if tls { "serves TLS there" } else { "serves plain HTTP there" }
        )));
    }
}
