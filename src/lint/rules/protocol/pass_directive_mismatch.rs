//! `protocol/pass-directive-mismatch`: the `*_pass` module does not match
//! the protocol the backend's port conventionally speaks — `proxy_pass` to
//! php-fpm's FastCGI port 9000 or socket, `fastcgi_pass` to an HTTP port,
//! `grpc_pass` to an HTTP/1 port, `proxy_pass` to gRPC's 50051. A heuristic
//! (ports are conventions), hence info.

use serde::Deserialize;

use super::location_path;
use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::lint::rules::tls::static_targets;
use crate::model::{Context, Host, Model, Pass, PassModule, ScopeId};
use crate::rule;
use crate::syntax::Directive;

pub const RULE: Rule = rule! {
    id: "protocol/pass-directive-mismatch",
    severity: Info,
    summary: "`*_pass` module that does not match the port's usual protocol (`proxy_pass` to php-fpm's 9000, …)",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."protocol/pass-directive-mismatch"]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Ports never reported.
    pub ignore_ports: Vec<u16>,
}

/// Ports that conventionally serve HTTP/1.x.
const HTTP_PORTS: &[u16] = &[80, 443, 8080, 3000, 5000, 8000, 8081];
/// Ports that conventionally serve plain HTTP/1.x, for `grpc_pass grpc://`
/// (443 is left to grpcs).
const HTTP1_ONLY_PORTS: &[u16] = &[80, 8080, 3000, 5000, 8000, 8081];

/// What the backend at a port/socket conventionally speaks, when it is not
/// what the pass module sends: (protocol name, the right directive, the log
/// line that shows it).
fn mismatch(
    module: PassModule,
    host: &Host,
    port: Option<u16>,
) -> Option<(&'static str, &'static str, &'static str)> {
    const FASTCGI: (&str, &str, &str) = (
        "FastCGI (php-fpm)",
        "fastcgi_pass",
        "nginx relays the bytes as an HTTP/0.9 response or logs \"upstream prematurely closed connection\"",
    );
    match module {
        PassModule::Proxy => {
            if let Host::Unix(path) = host {
                let p = path.to_ascii_lowercase();
                return (p.contains("php") && p.contains("fpm")).then_some(FASTCGI);
            }
            match port? {
                9000 => Some(FASTCGI),
                50051 => Some((
                    "gRPC (HTTP/2 only)",
                    "grpc_pass",
                    "the backend rejects the HTTP/1.x request; nginx logs \"upstream sent no valid HTTP/1.0 header\" or \"upstream prematurely closed connection\"",
                )),
                _ => None,
            }
        }
        PassModule::Fastcgi => HTTP_PORTS.contains(&port?).then_some((
            "HTTP",
            "proxy_pass",
            "\"upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream\" (72 is the 'H' of \"HTTP/1.1\"; 502)",
        )),
        PassModule::Grpc => HTTP1_ONLY_PORTS.contains(&port?).then_some((
            "HTTP/1.x",
            "proxy_pass",
            "\"upstream sent too large http2 frame: 4740180 while reading response header from upstream\" (4740180 is \"HTT\"; 502)",
        )),
        _ => None,
    }
}

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    for p in &m.passes {
        if p.module == PassModule::Grpc && p.target.scheme.as_deref() == Some("grpcs") {
            continue;
        }
        let found: Option<(Option<u16>, Option<&Directive>, _)> =
            match p.explicit_upstream(&m.upstreams) {
                Some(u) => m.upstreams.get(u).servers.iter().find_map(|s| {
                    if s.address
                        .port
                        .is_some_and(|x| opts.ignore_ports.contains(&x))
                    {
                        return None;
                    }
                    mismatch(p.module, &s.address.host, s.address.port)
                        .map(|mm| (s.address.port, Some(s.directive), mm))
                }),
                None => static_targets(m, p).into_iter().find_map(|(t, _)| {
                    if matches!(t.host, Host::Variable(_))
                        || t.port.is_some_and(|x| opts.ignore_ports.contains(&x))
                    {
                        return None;
                    }
                    mismatch(p.module, &t.host, t.port).map(|mm| (t.port, None, mm))
                }),
            };
        let Some((port, server, (proto, right, symptom))) = found else {
            continue;
        };
        // many HTTP services listen on 9000 (MinIO, Portainer, SonarQube):
        // only a PHP-looking location or backend makes it php-fpm
        if p.module == PassModule::Proxy && port == Some(9000) && !php_evidence(m, p) {
            continue;
        }
        report(p, port, server, proto, right, symptom, out);
    }
}

/// Does anything around a `proxy_pass` say PHP: the location path, the
/// target or group name, or FastCGI settings in the same location?
fn php_evidence(m: &Model<'_>, p: &Pass<'_>) -> bool {
    let phpish = |t: &str| {
        let t = t.to_ascii_lowercase();
        t.contains("php") || t.contains("fpm")
    };
    if phpish(&p.target.raw) || location_path(m, p.scope).is_some_and(|l| phpish(&l)) {
        return true;
    }
    if let Some(u) = p.explicit_upstream(&m.upstreams) {
        let u = m.upstreams.get(u);
        if u.servers
            .iter()
            .any(|s| phpish(s.directive.arg(0).unwrap_or_default()))
        {
            return true;
        }
    }
    // FastCGI settings in the location, or a PHP index / try_files in the
    // location or its server
    let in_location = m.scope(p.scope).entries.iter().any(|e| {
        let d = m.entry(*e).directive;
        d.name().starts_with("fastcgi_")
            || (d.name() == "include" && d.arg(0).is_some_and(|a| a.contains("fastcgi")))
    });
    let php_files = |s: ScopeId| {
        ["index", "try_files"].iter().any(|n| {
            m.local(s, n)
                .any(|d| d.args.iter().any(|a| a.as_str().contains(".php")))
        })
    };
    in_location
        || php_files(p.scope)
        || m.enclosing(p.scope, Context::Server).is_some_and(php_files)
}

fn report(
    p: &Pass<'_>,
    port: Option<u16>,
    server: Option<&Directive>,
    proto: &str,
    right: &str,
    symptom: &str,
    out: &mut Findings,
) {
    let at = match port {
        Some(n) => format!("port {n}"),
        None => "this socket".to_string(),
    };
    let mut d = diag(
        &META,
        format!(
            "{} {} goes to {at}, which conventionally speaks {proto}, not what {} sends: {symptom}",
            p.directive.name(),
            p.target.raw,
            p.directive.name()
        ),
    )
    .with_span(p.directive.args[0].span)
    .with_label(format!("{proto} backend?"));
    if let Some(s) = server {
        d = d.with_related(s.head_span(), "backend address in the upstream group");
    }
    let extra = if right == "fastcgi_pass" {
        " with `include fastcgi_params;` and `fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;`"
    } else {
        ""
    };
    out.push(d.with_help(format!(
        "if the backend speaks {proto}, use `{right}`{extra}; if it really speaks what {} sends on {at}, add the port to this rule's `ignore-ports`",
        p.directive.name()
    )));
}
