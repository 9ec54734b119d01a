//! `dns/static-hostname-resolved-once`: a literal host name in a `*_pass`
//! or an upstream `server` is resolved once, when nginx starts or reloads;
//! nginx keeps the old addresses when the backend moves (container
//! recreated, cloud load balancer rotated).

use serde::Deserialize;

use crate::diag::{Diagnostic, Severity};
use crate::lint::registry::RuleMeta;
use crate::lint::rules::{diag, did_you_mean, validate, Rule, RuleContext, RuleOptions};
use crate::model::{Host, PassModule};

pub const META: RuleMeta = RuleMeta {
    id: "dns/static-hostname-resolved-once",
    severity: Severity::Warning,
    summary: "literal host name in `*_pass`/upstream `server`, resolved only at start or reload",
    doc: Some(include_str!(
        "../../../../docs/rules/dns/static-hostname-resolved-once.md"
    )),
};

pub const RULE: Rule = Rule {
    meta: META,
    check,
    options: Some(validate::<Options>),
};

/// `[rules."dns/static-hostname-resolved-once"]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Host names whose addresses never change: exact names or `*.suffix`
    /// patterns (added to the built-in `*.svc.cluster.local`, `*.svc`).
    pub allow: Vec<String>,
}

impl RuleOptions for Options {}

/// Names that are stable by construction: Kubernetes ClusterIP services.
const BUILTIN_ALLOW: &[&str] = &["*.svc.cluster.local", "*.svc"];

fn allowed(name: &str, allow: &[String]) -> bool {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    BUILTIN_ALLOW
        .iter()
        .copied()
        .chain(allow.iter().map(String::as_str))
        .any(|p| match p.strip_prefix("*.") {
            Some(suffix) => n.ends_with(&format!(".{}", suffix.to_ascii_lowercase())),
            None => n == p.to_ascii_lowercase(),
        })
}

fn check(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let m = cx.model;
    let opts: Options = cx.options(META.id);
    let runtime_resolve =
        cx.opts.plus || cx.opts.nginx_version >= crate::lint::NginxVersion(1, 27, 3);
    for p in &m.passes {
        if p.target.has_variables || p.explicit_upstream(&m.upstreams).is_some() {
            continue;
        }
        let Host::Name(n) = &p.target.host else {
            continue;
        };
        if super::is_localhost(n) || allowed(n, &opts.allow) {
            continue;
        }
        // a bare name without port: an undefined upstream, not a DNS name
        if p.target.port.is_none()
            && (p.module != PassModule::Proxy
                || did_you_mean(n, m.upstreams.names(p.module.is_stream())).is_some())
        {
            continue;
        }
        // `proxy_pass http://name` in a fragment: most likely an upstream
        // block defined in a file ngxray did not see (underscores are not
        // valid in host names at all)
        let single_label = !n.contains('.');
        if p.target.port.is_none() && single_label && (!m.is_complete(p.scope) || n.contains('_')) {
            continue;
        }
        let name = p.directive.name();
        let help = format!(
            "resolve at run time: `resolver <dns-ip> valid=30s; set $backend {}; {name} $backend;`{}; or add \"{n}\" to this rule's `allow` list if its address never changes",
            p.target.raw,
            if runtime_resolve {
                format!(", or an upstream block with `zone` and `server {} resolve;`", p.target.authority())
            } else {
                String::new()
            }
        );
        out.push(
            diag(
                &META,
                format!(
                    "{name} host \"{n}\" is resolved once, at start or reload: if its address changes, nginx keeps using the old one"
                ),
            )
            .with_span(p.directive.args[0].span)
            .with_label("resolved only when the config is loaded")
            .with_help(help),
        );
    }
    for (_, u) in m.upstreams.explicit() {
        for s in &u.servers {
            let Host::Name(n) = &s.address.host else {
                continue;
            };
            if s.address.params.resolve
                || s.address.params.service.is_some()
                || super::is_localhost(n)
                || allowed(n, &opts.allow)
            {
                continue;
            }
            let help = if runtime_resolve {
                format!(
                    "add `zone {0} 64k;` and a `resolver` to upstream \"{0}\", and the `resolve` parameter to this server",
                    u.name
                )
            } else {
                "nginx before 1.27.3 cannot re-resolve upstream servers: resolve at run time with `resolver` + a variable in `*_pass`, reload nginx when the backend moves, or add the name to this rule's `allow` list if its address never changes".to_string()
            };
            out.push(
                diag(
                    &META,
                    format!(
                        "server \"{}\" in upstream \"{}\" is resolved once, at start or reload: if its address changes, nginx keeps using the old one",
                        s.directive.arg(0).unwrap_or_default(),
                        u.name
                    ),
                )
                .with_span(s.directive.args[0].span)
                .with_label("resolved only when the config is loaded")
                .with_help(help),
            );
        }
    }
}
