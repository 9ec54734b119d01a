//! `dns/static-hostname-resolved-once`: a literal host name in a `*_pass`
//! or an upstream `server` is resolved once, when nginx starts or reloads;
//! nginx keeps the old addresses when the backend moves (container
//! recreated, cloud load balancer rotated).

use serde::Deserialize;

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::{diag, did_you_mean};
use crate::model::{Host, PassModule};
use crate::rule;

pub const RULE: Rule = rule! {
    id: "dns/static-hostname-resolved-once",
    severity: Info,
    summary: "literal host name in `*_pass`/upstream `server`, resolved only at start or reload",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."dns/static-hostname-resolved-once"]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Host names whose addresses never change: exact names or `*.suffix`
    /// patterns (added to the built-in `*.svc.cluster.local`, `*.svc`).
    pub allow: Vec<String>,
}

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

/// Docker's names for the host machine: stable for a container's life.
const HOST_ALIASES: &[&str] = &["host.docker.internal", "gateway.docker.internal"];

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    let runtime_resolve =
        cx.lint.plus || cx.lint.nginx_version >= crate::lint::NginxVersion(1, 27, 3);
    let skip = |n: &str| {
        super::is_localhost(n)
            || allowed(n, &opts.allow)
            || HOST_ALIASES.contains(&n.trim_end_matches('.').to_ascii_lowercase().as_str())
    };
    // One finding for all literal `*_pass` host names (one root cause: the
    // config resolves its backends at load), the others as related spans.
    let mut passes: Vec<(&str, crate::syntax::Span, &str)> = Vec::new();
    for p in &m.passes {
        if p.target.has_variables || p.explicit_upstream(&m.upstreams).is_some() {
            continue;
        }
        let Host::Name(n) = &p.target.host else {
            continue;
        };
        if skip(n) {
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
        passes.push((n, p.directive.args[0].span, p.directive.name()));
    }
    if let Some(&(first, span, name)) = passes.first() {
        let mut names: Vec<&str> = passes.iter().map(|(n, _, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        let list = names
            .iter()
            .take(5)
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let more = if names.len() > 5 {
            format!(" and {} more", names.len() - 5)
        } else {
            String::new()
        };
        let help = format!(
            "if these backends can change address while nginx keeps running (containers recreated, cloud load balancers), resolve at run time: `resolver <dns-ip> valid=30s; set $backend {first}; {name} http://$backend:PORT;`{}; otherwise reload nginx after redeploying them, or list the names in this rule's `allow` option",
            if runtime_resolve {
                ", or an upstream block with `zone` and `server NAME resolve;`"
            } else {
                ""
            }
        );
        let mut d = diag(
            &META,
            format!(
                "backend host name{} {list}{more} {} resolved once, when nginx starts or reloads: if {} address changes while nginx runs, requests keep going to the old one (502/504 until a reload)",
                if names.len() == 1 { "" } else { "s" },
                if names.len() == 1 { "is" } else { "are" },
                if names.len() == 1 { "its" } else { "an" },
            ),
        )
        .with_span(span)
        .with_label("resolved only when the config is loaded")
        .with_help(help);
        for &(_, sp, _) in passes.iter().skip(1) {
            d = d.with_related(sp, "also resolved only at load");
        }
        out.push(d);
    }
    for (_, u) in m.upstreams.explicit() {
        let names: Vec<_> = u
            .servers
            .iter()
            .filter(|s| {
                matches!(&s.address.host, Host::Name(n) if !skip(n))
                    && !s.address.params.resolve
                    && s.address.params.service.is_none()
            })
            .collect();
        let Some(first) = names.first() else {
            continue;
        };
        let help = if runtime_resolve {
            format!(
                "if these servers can change address while nginx runs: add `zone {0} 64k;` and a `resolver` to upstream \"{0}\", and the `resolve` parameter to its servers",
                u.name
            )
        } else {
            "if these servers can change address while nginx runs: nginx before 1.27.3 cannot re-resolve upstream servers; resolve at run time with `resolver` + a variable in `*_pass`, or reload nginx when they move".to_string()
        };
        let list = names
            .iter()
            .take(5)
            .map(|s| format!("\"{}\"", s.directive.arg(0).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut d = diag(
            &META,
            format!(
                "upstream \"{}\": server{} {list}{} {} resolved once, when nginx starts or reloads: if an address changes while nginx runs, requests keep going to the old one",
                u.name,
                if names.len() == 1 { "" } else { "s" },
                if names.len() > 5 { format!(" and {} more", names.len() - 5) } else { String::new() },
                if names.len() == 1 { "is" } else { "are" },
            ),
        )
        .with_span(first.directive.args[0].span)
        .with_label("resolved only when the config is loaded")
        .with_help(help);
        for s in names.iter().skip(1) {
            d = d.with_related(s.directive.args[0].span, "also resolved only at load");
        }
        out.push(d);
    }
}
