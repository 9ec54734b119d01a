//! `tls/sni-name-is-upstream-group`: `proxy_pass https://group` names an
//! `upstream {}` block, so `$proxy_host` — the default `proxy_ssl_name`, used
//! for SNI and for certificate verification — is the group's name, not the
//! backend's host name.

use std::collections::HashSet;

use super::{group, tls_prefix};
use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::stock;
use crate::model::Host;
use crate::rule;
use crate::syntax::Span;

pub const RULE: Rule = rule! {
    id: "tls/sni-name-is-upstream-group",
    severity: Warning,
    summary: "SNI/verification name defaults to the upstream group's name: set `proxy_ssl_name`",
    check: check,
};

const META: RuleMeta = RULE.meta;

/// Values of `*_ssl_name` that are the group name again.
fn is_default_name(v: &str) -> bool {
    matches!(v, "$proxy_host" | "$host_from_pass")
}

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    let mut seen: HashSet<Span> = HashSet::new();
    for p in &m.passes {
        let Some(prefix) = tls_prefix(p) else {
            continue;
        };
        let Some(u) = group(m, p) else { continue };
        // a group named after the backend's host name is the usual workaround
        if u.name.contains('.')
            || u.servers.iter().any(
                |s| matches!(&s.address.host, Host::Name(n) if n.eq_ignore_ascii_case(&u.name)),
            )
        {
            continue;
        }
        let name = m.effective(p.scope, &format!("{prefix}_ssl_name"));
        if stock::hidden(m, p.scope, &name)
            || name
                .directive
                .and_then(|d| d.arg(0))
                .is_some_and(|v| !is_default_name(v))
        {
            continue;
        }
        let sni = m.effective(p.scope, &format!("{prefix}_ssl_server_name"));
        let verify = m.effective(p.scope, &format!("{prefix}_ssl_verify"));
        if stock::hidden(m, p.scope, &sni) || stock::hidden(m, p.scope, &verify) {
            continue;
        }
        let sni_on = sni.value() == Some("on");
        let verify_on = verify.value() == Some("on");
        if !sni_on && !verify_on {
            continue; // no name is used at all: tls/sni-disabled's case
        }
        if !seen.insert(p.directive.head_span()) {
            continue;
        }
        let uses = match (sni_on, verify_on) {
            (true, true) => "as the TLS server name (SNI) and to verify the certificate",
            (true, false) => "as the TLS server name (SNI)",
            _ => "to verify the certificate",
        };
        let symptom = if verify_on {
            format!("\"upstream SSL certificate does not match \\\"{}\\\" while SSL handshaking to upstream\"", u.name)
        } else {
            "\"SSL_do_handshake() failed (… unrecognized name: SSL alert number 112 …) while SSL handshaking to upstream\" or the wrong certificate".to_string()
        };
        let backend = u
            .servers
            .iter()
            .find_map(|s| s.address.host.name().map(str::to_string))
            .unwrap_or_else(|| "<backend host name>".into());
        let mut d = diag(
            &META,
            format!(
                "{} {} names upstream group \"{}\", and {prefix}_ssl_name defaults to $proxy_host — the group name — which nginx uses {uses}: the backend does not know the name \"{}\" ({symptom}, 502)",
                p.directive.name(),
                p.target.raw,
                u.name,
                u.name
            ),
        )
        .with_span(p.directive.args[0].span)
        .with_label("TLS name is the group name");
        if let Some(b) = u.directive {
            d = d.with_related(b.head_span(), "upstream group defined here");
        }
        if let Some(s) = sni.directive.filter(|_| sni_on) {
            d = d.with_related(s.head_span(), "SNI turned on here");
        }
        if let Some(v) = verify.directive.filter(|_| verify_on) {
            d = d.with_related(v.head_span(), "verification turned on here");
        }
        if let Some(n) = name.directive {
            d = d.with_related(n.head_span(), "name set to the group name here");
        }
        out.push(d.with_help(format!(
            "add `{prefix}_ssl_name {backend};` (the host name on the backend's certificate) next to `{prefix}_ssl_server_name on;`"
        )));
    }
}
