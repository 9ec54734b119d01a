//! `upstream/undefined-upstream-name`: a `*_pass` names an upstream that no
//! `upstream {}` block defines. For `fastcgi_pass`/`uwsgi_pass`/
//! `scgi_pass`/`grpc_pass`/`memcached_pass` (and stream `proxy_pass`) a
//! bare name without port stops nginx with `no port in upstream`; for
//! `proxy_pass http://name` nginx treats the typo as a host name.

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::{diag, did_you_mean};
use crate::model::{Host, PassModule};
use crate::rule;

pub const RULE: Rule = rule! {
    id: "upstream/undefined-upstream-name",
    severity: Error,
    summary: "`*_pass` names an upstream that no `upstream {}` block defines",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    for p in &m.passes {
        let t = &p.target;
        if t.has_variables || t.port.is_some() || p.explicit_upstream(&m.upstreams).is_some() {
            continue;
        }
        let Host::Name(n) = &t.host else { continue };
        let stream = p.module.is_stream();
        let mut suggestion = did_you_mean(n, m.upstreams.names(stream));
        if suggestion.is_none() && p.module != PassModule::Proxy {
            // `php` for `php72`: a version suffix or prefix
            let lower = n.to_ascii_lowercase();
            suggestion = m.upstreams.names(stream).find(|u| {
                let u = u.to_ascii_lowercase();
                lower.len() >= 3 && (u.starts_with(&lower) || lower.starts_with(&u))
            });
        }
        let name = p.directive.name();
        let (message, label) = match p.module {
            PassModule::Proxy => {
                // a hostname on port 80 unless it is a typo of an upstream
                if suggestion.is_none() || super::super::dns::is_localhost(n) {
                    continue;
                }
                (
                    format!(
                        "{name} \"{}\": no upstream \"{n}\" is defined, so nginx resolves \"{n}\" as a host name (host not found in upstream \"{n}\")",
                        t.raw
                    ),
                    "not an upstream name",
                )
            }
            _ => {
                // the upstream may be defined in a file ngxray did not see
                let sure = m.is_complete(p.scope)
                    && m.chain(p.scope)
                        .all(|s| m.scope(s).unknown_include.is_none());
                if !sure && suggestion.is_none() {
                    continue;
                }
                (
                    format!(
                        "{name} \"{n}\": no upstream \"{n}\" is defined and the address has no port; nginx stops with: no port in upstream \"{n}\""
                    ),
                    "undefined upstream",
                )
            }
        };
        let mut d = diag(&META, message)
            .with_span(p.directive.args[0].span)
            .with_label(label);
        if let Some(s) = suggestion {
            if let Some(id) = m.upstreams.find(s, stream) {
                if let Some(ud) = m.upstreams.get(id).directive {
                    d = d.with_related(ud.head_span(), format!("upstream \"{s}\" is defined here"));
                }
            }
            d = d.with_help(format!("did you mean \"{s}\"?"));
        } else {
            d = d.with_help(format!(
                "define `upstream {n} {{ server <address>:<port>; }}`, or write the address with its port (`{n}:<port>` or `unix:/path.sock`)"
            ));
        }
        out.push(d);
    }
}
