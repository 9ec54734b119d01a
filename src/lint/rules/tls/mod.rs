//! TLS-to-upstream rules: SNI, verification and scheme/port agreement for
//! `proxy_pass https://`, `grpc_pass grpcs://` and `uwsgi_pass suwsgi://`.

pub mod scheme_port_mismatch;
pub mod sni_disabled;
pub mod sni_name_is_upstream_group;
pub mod verify_misconfigured;

use crate::model::{Host, Model, Pass, PassModule, Upstream};

/// The directive prefix of a pass that speaks TLS to its upstream
/// (`proxy` for `https://`, `grpc` for `grpcs://`, `uwsgi` for `suwsgi://`).
pub fn tls_prefix(p: &Pass<'_>) -> Option<&'static str> {
    match (p.module, p.target.scheme.as_deref()) {
        (PassModule::Proxy, Some("https")) => Some("proxy"),
        (PassModule::Grpc, Some("grpcs")) => Some("grpc"),
        (PassModule::Uwsgi, Some("suwsgi")) => Some("uwsgi"),
        _ => None,
    }
}

/// The explicit upstream block a pass names, if any.
pub fn group<'m, 'a>(m: &'m Model<'a>, p: &Pass<'a>) -> Option<&'m Upstream<'a>> {
    p.explicit_upstream(&m.upstreams)
        .map(|u| m.upstreams.get(u))
}

/// Is this a host name (not an IP, socket or `localhost`) that a TLS
/// backend may select its certificate by?
pub fn is_dns_name(h: &Host) -> bool {
    matches!(h, Host::Name(n) if !crate::lint::rules::dns::is_localhost(n))
}
