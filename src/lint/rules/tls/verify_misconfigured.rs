//! `tls/verify-misconfigured`: upstream certificate verification that nginx
//! refuses (`proxy_ssl_verify on` without `proxy_ssl_trusted_certificate`
//! in a location that proxies over TLS: `[emerg] no
//! proxy_ssl_trusted_certificate for proxy_ssl_verify`), or that rejects
//! ordinary certificate chains (`proxy_ssl_verify_depth` 1, the default:
//! at most one intermediate CA).

use std::collections::HashSet;

use super::tls_prefix;
use crate::diag::Severity;
use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::stock;
use crate::model::{Pass, PassModule};
use crate::rule;
use crate::syntax::Span;

pub const RULE: Rule = rule! {
    id: "tls/verify-misconfigured",
    severity: Error,
    summary: "`proxy_ssl_verify on` without a trusted CA file (nginx refuses to load), or `proxy_ssl_verify_depth 1`",
    check: check,
};

const META: RuleMeta = RULE.meta;

/// The module prefix whose TLS settings nginx prepares for a pass: TLS
/// schemes, and any pass with variables (the scheme may be `https`).
fn ssl_prefix(p: &Pass<'_>) -> Option<&'static str> {
    tls_prefix(p).or_else(|| {
        if !p.target.has_variables {
            return None;
        }
        match p.module {
            PassModule::Proxy => Some("proxy"),
            PassModule::Grpc => Some("grpc"),
            PassModule::Uwsgi => Some("uwsgi"),
            _ => None,
        }
    })
}

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    let mut seen: HashSet<Span> = HashSet::new();
    for p in &m.passes {
        let Some(prefix) = ssl_prefix(p) else {
            continue;
        };
        let verify = m.effective(p.scope, &format!("{prefix}_ssl_verify"));
        let Some(vd) = verify.directive.filter(|_| verify.value() == Some("on")) else {
            continue;
        };
        let trusted_name = format!("{prefix}_ssl_trusted_certificate");
        let trusted = m.effective(p.scope, &trusted_name);
        if stock::hidden(m, p.scope, &verify) || stock::hidden(m, p.scope, &trusted) {
            continue;
        }
        let what = if tls_prefix(p).is_some() {
            format!("{} {}", p.directive.name(), p.target.raw)
        } else {
            format!(
                "{} {} (a variable target may be https)",
                p.directive.name(),
                p.target.raw
            )
        };
        if !trusted.is_set() {
            if !seen.insert(vd.head_span()) {
                continue;
            }
            out.push(
                diag(
                    &META,
                    format!(
                        "{prefix}_ssl_verify on without {trusted_name} where {what} is used: nginx refuses to load the configuration: \"no {trusted_name} for {prefix}_ssl_verify\""
                    ),
                )
                .with_span(vd.head_span())
                .with_label("verification without a CA file")
                .with_related(p.directive.head_span(), "TLS upstream used here")
                .with_help(format!(
                    "add `{trusted_name} /etc/ssl/certs/ca-certificates.crt;` (or the CA that signs the backend's certificate) at the same level"
                )),
            );
            continue;
        }
        let depth_name = format!("{prefix}_ssl_verify_depth");
        let depth = m.effective(p.scope, &depth_name);
        if stock::hidden(m, p.scope, &depth) {
            continue;
        }
        let Some(n) = depth.value().and_then(|v| v.parse::<u32>().ok()) else {
            continue;
        };
        if n >= 2 {
            continue;
        }
        let span = depth.directive.unwrap_or(vd).head_span();
        if !seen.insert(span) {
            continue;
        }
        let shown = if depth.is_set() {
            n.to_string()
        } else {
            format!("{n} (default)")
        };
        let allows = if n == 0 {
            "only a self-signed backend certificate"
        } else {
            "at most one intermediate CA between the backend's certificate and the trusted root"
        };
        let mut d = diag(
            &META,
            format!(
                "{depth_name} {shown} with {prefix}_ssl_verify on allows {allows}: chains with more intermediates (cross-signed roots during CA rollovers, many enterprise CAs) fail with \"upstream SSL certificate verify error: (22:certificate chain too long) while SSL handshaking to upstream\" (502)"
            ),
        )
        .with_span(span)
        .with_label("verification depth too shallow for common chains");
        d.severity = Severity::Warning;
        if depth.is_set() {
            d = d.with_related(vd.head_span(), "verification turned on here");
        }
        out.push(
            d.with_related(p.directive.head_span(), "TLS upstream used here")
                .with_help(format!(
                    "set `{depth_name} 3;` next to `{prefix}_ssl_verify on;`"
                )),
        );
    }
}
