//! DNS rules: how and when nginx resolves backend names.

// Each rule of the category, once, in the order `ngxray rules` lists them.
crate::rules! {
    variable_pass_without_resolver,
    static_hostname_resolved_once,
    unresolvable_host,
    localhost_dual_stack,
    resolve_param_misconfigured,
    resolver_timeout_too_long,
}

use crate::model::{Host, Model, Pass, PassModule};

/// Variables whose value is a host name from the request or the machine
/// (never an upstream name or IP nginx can know in advance).
pub fn is_request_name_variable(v: &str) -> bool {
    matches!(v, "host" | "http_host" | "server_name" | "hostname")
        || v.starts_with("http_")
        || v.starts_with("arg_")
        || v.starts_with("cookie_")
        || (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

/// What the host of a per-request `*_pass` can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeHost {
    /// Every value is an IP, a unix socket or an upstream name.
    NoDns,
    /// Some value is a DNS name (the name or the expression).
    Dns(String),
    /// Cannot tell (opaque or undefined variable).
    Unknown,
}

fn classify_value(model: &Model<'_>, value: &str, module: PassModule) -> RuntimeHost {
    let t = if value.contains("://") || value.starts_with("unix:") {
        crate::model::target::parse_pass(value, module)
    } else {
        crate::model::target::parse_pass(value, PassModule::Fastcgi)
    };
    if t.has_variables {
        return RuntimeHost::Unknown;
    }
    match &t.host {
        Host::Ip(_) | Host::Unix(_) => RuntimeHost::NoDns,
        Host::Name(n) => {
            if model.upstreams.matches_at_runtime(
                n,
                t.port,
                if module == PassModule::Proxy {
                    t.effective_port()
                } else {
                    None
                },
                module.is_stream(),
            ) {
                RuntimeHost::NoDns
            } else {
                RuntimeHost::Dns(n.clone())
            }
        }
        Host::Variable(_) => RuntimeHost::Unknown,
    }
}

/// For a `*_pass` with variables: will nginx need DNS at request time?
pub fn runtime_host(model: &Model<'_>, pass: &Pass<'_>) -> RuntimeHost {
    let t = &pass.target;
    let stream = pass.module.is_stream();
    match &t.host {
        Host::Ip(_) | Host::Unix(_) => RuntimeHost::NoDns,
        Host::Name(n) => {
            if model
                .upstreams
                .matches_at_runtime(n, t.port, t.effective_port(), stream)
            {
                RuntimeHost::NoDns
            } else {
                RuntimeHost::Dns(n.clone())
            }
        }
        Host::Variable(expr) => {
            let vars = crate::model::target::variables(expr);
            let whole = vars.len() == 1
                && (expr == &format!("${}", vars[0]) || expr == &format!("${{{}}}", vars[0]));
            if !whole {
                // `backend$route`: a literal host followed by the URI
                let prefix = &expr[..expr.find('$').unwrap_or(expr.len())];
                if !prefix.is_empty() && model.upstreams.find(prefix, stream).is_some() {
                    return RuntimeHost::NoDns;
                }
                // `$sub.example.com`: a name built per request, unless it is
                // made only of variables and IP-ish characters
                let literal: String = {
                    let mut s = expr.clone();
                    for v in &vars {
                        s = s
                            .replace(&format!("${{{v}}}"), "")
                            .replace(&format!("${v}"), "");
                    }
                    s
                };
                if literal.bytes().any(|b| b.is_ascii_alphabetic()) {
                    return RuntimeHost::Dns(expr.clone());
                }
                return RuntimeHost::Unknown;
            }
            let v = vars[0];
            // the whole argument is the variable: its value is a full URL
            let whole_arg = t.raw == *expr;
            match model.variable_values(v) {
                Some(values) => {
                    let mut out = RuntimeHost::NoDns;
                    for val in values {
                        let val = if whole_arg || val.contains("://") {
                            val.to_string()
                        } else {
                            match t.port {
                                Some(p) => format!("{val}:{p}"),
                                None => val.to_string(),
                            }
                        };
                        match classify_value(model, &val, pass.module) {
                            RuntimeHost::NoDns => {}
                            RuntimeHost::Unknown => return RuntimeHost::Unknown,
                            d @ RuntimeHost::Dns(_) => out = d,
                        }
                    }
                    out
                }
                None if model.variable_sources(v).is_empty() && is_request_name_variable(v) => {
                    RuntimeHost::Dns(format!("${v}"))
                }
                None => RuntimeHost::Unknown,
            }
        }
    }
}

/// Does a literal name need no DNS lookup at all (an IP written as a name)?
pub fn is_localhost(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost") || name.eq_ignore_ascii_case("localhost.localdomain")
}
