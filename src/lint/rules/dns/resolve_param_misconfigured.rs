//! `dns/resolve-param-misconfigured`: `server … resolve` in an upstream that
//! nginx rejects at load: before 1.27.3 (open source), without `zone`,
//! without a `resolver` in the upstream or `http{}`, or under a balancer
//! that cannot re-resolve.

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::lint::NginxVersion;
use crate::model::Context;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "dns/resolve-param-misconfigured",
    severity: Error,
    summary: "`server … resolve` that nginx refuses: old version, no `zone`, or no `resolver`",
    check: check,
};

const META: RuleMeta = RULE.meta;

/// Third-party balancers known not to support run-time resolution.
const NO_RESOLVE_BALANCERS: &[&str] = &["fair", "consistent_hash", "chash", "sticky"];

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    let new_enough = cx.lint.plus || cx.lint.nginx_version >= NginxVersion(1, 27, 3);
    for (_, u) in m.upstreams.explicit() {
        let Some(scope) = u.scope else { continue };
        let Some(first) = u
            .servers
            .iter()
            .find(|s| s.address.params.resolve || s.address.params.service.is_some())
        else {
            continue;
        };
        let server_span = first.directive.head_span();
        if !new_enough {
            out.push(
                diag(
                    &META,
                    format!(
                        "the `resolve` parameter of server in upstream \"{}\" needs nginx 1.27.3 or later (target: {}); nginx {} stops with: invalid parameter \"resolve\"",
                        u.name, cx.lint.nginx_version, cx.lint.nginx_version
                    ),
                )
                .with_span(server_span)
                .with_label("not supported by the target nginx")
                .with_help("upgrade to nginx ≥ 1.27.3 (set --nginx-version / nginx-version), or resolve at run time with `resolver` + a variable in `*_pass`"),
            );
            continue;
        }
        let sc = m.scope(scope);
        let unknown = sc.unknown_include.is_some();
        let block = u.directive.map(|d| d.head_span()).unwrap_or(server_span);
        if m.local_first(scope, "zone").is_none() && !unknown {
            out.push(
                diag(
                    &META,
                    format!(
                        "upstream \"{}\" resolves names at run time but has no `zone`: nginx stops with \"resolving names at run time requires upstream \\\"{}\\\" to be in shared memory\"",
                        u.name, u.name
                    ),
                )
                .with_span(server_span)
                .with_label("`resolve` needs a shared-memory zone")
                .with_related(block, "upstream defined here")
                .with_help(format!("add `zone {} 64k;` to the upstream block", u.name)),
            );
        }
        let http = m.enclosing(
            scope,
            if u.stream {
                Context::Stream
            } else {
                Context::Http
            },
        );
        let http_resolver = http.and_then(|h| m.local_first(h, "resolver"));
        let http_unknown = http.is_none_or(|h| m.scope(h).unknown_include.is_some());
        if m.local_first(scope, "resolver").is_none()
            && http_resolver.is_none()
            && !unknown
            && !http_unknown
        {
            out.push(
                diag(
                    &META,
                    format!(
                        "upstream \"{}\" resolves names at run time but no resolver is set in it or in {}{{}}: nginx stops with \"no resolver defined to resolve names at run time in upstream \\\"{}\\\"\"",
                        u.name,
                        if u.stream { "stream" } else { "http" },
                        u.name
                    ),
                )
                .with_span(server_span)
                .with_label("no resolver for run-time resolution")
                .with_help("add `resolver <dns-ip> valid=30s;` inside the upstream block or at http{} level (a resolver in server{} or location{} does not count)"),
            );
        }
        for b in NO_RESOLVE_BALANCERS {
            if let Some(d) = m.local_first(scope, b) {
                out.push(
                    diag(
                        &META,
                        format!(
                            "upstream \"{}\" uses `{b}`, which cannot resolve names at run time: nginx stops with \"load balancing method does not support resolving names at run time\"",
                            u.name
                        ),
                    )
                    .with_span(d.head_span())
                    .with_label("balancer without run-time resolution")
                    .with_related(server_span, "`resolve` used here")
                    .with_help("use round-robin, least_conn, hash, ip_hash or random, or drop `resolve`"),
                );
            }
        }
    }
}
