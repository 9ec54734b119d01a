//! TLS-to-upstream rules: SNI, verification and scheme/port agreement for
//! `proxy_pass https://`, `grpc_pass grpcs://` and `uwsgi_pass suwsgi://`.
//!
//! [`static_targets`] (also used by the protocol rules) reads a pass target
//! the way it is at request time when that is knowable: the scheme and
//! authority before a variable URI, or the static values of a variable.

// Each rule of the category, once, in the order `ngxray rules` lists them.
crate::rules! {
    sni_disabled,
    sni_name_is_upstream_group,
    verify_misconfigured,
    scheme_port_mismatch,
}

use crate::model::target::{parse_pass, variables};
use crate::model::{Host, Model, Pass, PassModule, PassTarget, Upstream, VarSource};
use crate::syntax::Directive;

/// The directive prefix of a pass that speaks TLS to its upstream
/// (`proxy` for `https://`, `grpc` for `grpcs://`, `uwsgi` for `suwsgi://`).
pub fn tls_prefix(p: &Pass<'_>) -> Option<&'static str> {
    tls_prefix_of(p.module, &p.target)
}

/// [`tls_prefix`] for a module and a (possibly substituted) target.
pub fn tls_prefix_of(module: PassModule, t: &PassTarget) -> Option<&'static str> {
    match (module, t.scheme.as_deref()) {
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

/// The targets a pass can have: its own when its scheme and host are
/// literal (variables in the URI do not matter), or — when they come from one
/// variable whose every value is static (`set $api https://api.example.com;
/// proxy_pass $api;`) — each value substituted in, with the directive that
/// defines the variable. Empty when the values cannot be known.
pub fn static_targets<'a>(m: &Model<'a>, p: &Pass<'a>) -> Vec<(PassTarget, Option<&'a Directive>)> {
    let literal = |t: &PassTarget| !t.variable_scheme && !matches!(t.host, Host::Variable(_));
    // `https://api.example.com$request_uri`: the host ends where the first
    // variable starts
    let cut = |t: PassTarget| -> PassTarget {
        if !t.has_variables || (literal(&t) && t.port.is_some()) {
            return t;
        }
        let Some(i) = t.raw.find("://").map(|i| i + 3) else {
            return t;
        };
        match t.raw[i..].find('$') {
            Some(j) if j > 0 => {
                let c = parse_pass(&t.raw[..i + j], p.module);
                if literal(&c) && (c.port.is_some() || !literal(&t)) {
                    c
                } else {
                    t
                }
            }
            _ => t,
        }
    };
    let own = cut(p.target.clone());
    if literal(&own) {
        return vec![(own, None)];
    }
    let known: Vec<(&str, Vec<&'a str>)> = variables(&p.target.raw)
        .into_iter()
        .filter_map(|v| Some((v, m.variable_values(v)?)))
        .collect();
    let [(var, values)] = known.as_slice() else {
        return Vec::new();
    };
    let via = m.variable_sources(var).iter().find_map(|s| match s {
        VarSource::Set(d) | VarSource::Block(d) => Some(*d),
        VarSource::Opaque(_) => None,
    });
    let braced = format!("${{{var}}}");
    let plain = format!("${var}");
    values
        .iter()
        .filter(|v| !crate::model::target::has_variable(v))
        .map(|v| {
            let raw = p.target.raw.replace(&braced, v).replace(&plain, v);
            (cut(parse_pass(&raw, p.module)), via)
        })
        .filter(|(t, _)| literal(t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, Loaded};
    use crate::model::Context;
    use std::path::PathBuf;

    type Seen = Vec<(Option<String>, Host, Option<u16>)>;

    #[test]
    fn targets_at_request_time() {
        let text = "http { server {\n\
            location /a { proxy_pass https://api.example.com:8443$request_uri; }\n\
            location /b { set $api https://api.example.com; proxy_pass $api; }\n\
            location /c { proxy_pass https://$host$request_uri; }\n\
            location /d { proxy_pass http://10.0.0.1:8080/x/$uri; }\n\
            } }\n";
        let mut l = Loaded::default();
        let ids = l.load_text(
            PathBuf::from("t.conf"),
            text.as_bytes().to_vec(),
            &LoadOptions::default(),
        );
        let m = Model::build(&l, &[(ids[0], Context::Main)]);
        let t: Vec<Seen> = m
            .passes
            .iter()
            .map(|p| {
                static_targets(&m, p)
                    .into_iter()
                    .map(|(t, _)| (t.scheme.map(String::from), t.host, t.port))
                    .collect()
            })
            .collect();
        let name = |n: &str| Host::Name(n.to_string());
        assert_eq!(
            t[0],
            [(Some("https".into()), name("api.example.com"), Some(8443))]
        );
        assert_eq!(
            t[1],
            [(Some("https".into()), name("api.example.com"), None)]
        );
        assert!(t[2].is_empty());
        assert_eq!(t[3].len(), 1);
        assert_eq!(t[3][0].2, Some(8080));
    }
}
