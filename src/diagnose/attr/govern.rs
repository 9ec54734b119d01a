//! The directives that govern each failure cause, with their effective
//! values and where they are set (or nginx's default when nothing sets
//! them): timeouts, retries (`*_next_upstream*`), the failing peers'
//! `server` lines (`max_fails`/`fail_timeout`/`backup`), keepalive,
//! buffers, resolvers, `limit_req_status` and `auth_request`.

use serde::Serialize;

use super::{addr_keys, Attributor};
use crate::model::{Context, ScopeId, UpstreamId};
use crate::syntax::Directive;

/// A directive that governs a finding, with its effective value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DirectiveRef {
    pub name: String,
    pub value: String,
    /// Where it is set; `None` when nginx's default applies.
    pub file: Option<String>,
    pub line: Option<usize>,
    /// True when nothing sets it and `value` is nginx's default.
    pub default: bool,
}

impl Attributor<'_, '_> {
    /// `file`, `line` of a directive.
    pub fn position(&self, d: &Directive) -> (String, usize) {
        let f = self.model.loaded.sources.get(d.file());
        (f.path().display().to_string(), f.line_of(d.span().start()))
    }

    fn reference(&self, name: &str, scope: ScopeId) -> DirectiveRef {
        let e = self.model.effective(scope, name);
        match e.directive {
            Some(d) => {
                let (file, line) = self.position(d);
                DirectiveRef {
                    name: name.to_string(),
                    value: e.args().join(" "),
                    file: Some(file),
                    line: Some(line),
                    default: false,
                }
            }
            None => DirectiveRef {
                name: name.to_string(),
                value: e.default.unwrap_or("").to_string(),
                file: None,
                line: None,
                default: true,
            },
        }
    }

    fn line_ref(&self, d: &Directive) -> DirectiveRef {
        let (file, line) = self.position(d);
        DirectiveRef {
            name: d.name().to_string(),
            value: d
                .args
                .iter()
                .map(|w| w.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            file: Some(file),
            line: Some(line),
            default: false,
        }
    }

    /// The directives that govern a cause at a location and group.
    pub fn governing(
        &self,
        cause: &str,
        location: Option<ScopeId>,
        group: Option<UpstreamId>,
        peers: &[String],
    ) -> Vec<DirectiveRef> {
        let up = group.map(|g| self.model.upstreams.get(g));
        let stream = up.is_some_and(|u| u.stream)
            || location.is_some_and(|l| self.model.scope(l).kind == Context::StreamServer);
        // a stream session whose server is not known: the group's only pass
        let sole_pass = || match up.map(|u| u.used_by.as_slice()) {
            Some([p]) if stream => Some(*p),
            _ => None,
        };
        let pass = location
            .and_then(|l| self.pass_of(l))
            .or_else(sole_pass)
            .map(|p| self.model.pass(p));
        let prefix = pass.map_or("proxy", |p| p.module.prefix());
        let at = pass.map(|p| p.scope).or(location);
        let mut out = Vec::new();
        let loc_names = if stream {
            stream_names(cause)
        } else {
            http_names(cause)
        };
        // nginx answered itself: the location's own *_pass is not at fault
        let local = matches!(
            cause,
            "rate-limited" | "auth-denied" | "auth-request-failed"
        );
        if let Some(p) = pass.filter(|_| !local) {
            out.push(self.line_ref(p.directive));
        }
        if let Some(at) = at {
            for n in loc_names {
                let name = format!("{prefix}_{n}");
                out.push(self.reference(&name, at));
            }
            match cause {
                "dns-failure" | "no-resolver" => {
                    out.push(self.reference("resolver", at));
                    out.push(self.reference("resolver_timeout", at));
                }
                "rate-limited" => {
                    for d in self.model.effective_array(at, "limit_req").directives {
                        out.push(self.line_ref(d));
                    }
                    out.push(self.reference("limit_req_status", at));
                }
                "request-rejected" | "forbidden" => {
                    out.push(self.reference("auth_request", at));
                }
                "auth-request-failed" | "auth-denied" => {
                    out.push(self.reference("auth_request", at));
                    // the location that serves the auth subrequest
                    if let Some(pass) = self.auth_pass(at) {
                        out.push(self.line_ref(self.model.pass(pass).directive));
                    }
                }
                _ => {}
            }
        }
        let upstream_params = matches!(
            cause,
            "connect-refused"
                | "connect-unreachable"
                | "connect-timeout"
                | "no-live-upstreams"
                | "peer-disabled"
                | "backend-busy"
                | "unix-socket-missing"
                | "read-timeout"
                | "status-502"
                | "status-504"
        );
        let keepalive = matches!(cause, "premature-close" | "connection-reset");
        if let Some(g) = group {
            let up = self.model.upstreams.get(g);
            if upstream_params {
                // the server lines of the failing peers first, then the rest
                let mut lines: Vec<&Directive> = Vec::new();
                for s in &up.servers {
                    let keys = addr_keys(&s.address.host, s.address.port, 80);
                    if peers
                        .iter()
                        .any(|p| keys.iter().any(|k| k.eq_ignore_ascii_case(p)))
                    {
                        lines.push(s.directive);
                    }
                }
                for s in &up.servers {
                    if !lines.iter().any(|d| std::ptr::eq(*d, s.directive)) {
                        lines.push(s.directive);
                    }
                }
                for d in lines {
                    out.push(self.line_ref(d));
                }
            }
            if let Some(sc) = up.scope {
                let names: &[&str] = if keepalive {
                    &["keepalive", "keepalive_timeout", "keepalive_requests"]
                } else if cause == "backend-busy" {
                    &["queue"]
                } else {
                    &[]
                };
                for n in names {
                    if let Some(d) = self.model.local_first(sc, n) {
                        out.push(self.line_ref(d));
                    }
                }
            }
        }
        out
    }

    /// The rule of the config that decides a 4xx nginx answers itself at
    /// a location: `limit_req` with its `limit_req_status`, or a 401/403
    /// passed on from an `auth_request` subrequest.
    pub fn decided_by(&self, location: ScopeId, status: u16) -> Option<&'static str> {
        let limited = !self
            .model
            .effective_array(location, "limit_req")
            .directives
            .is_empty();
        let limit_status = self
            .reference("limit_req_status", location)
            .value
            .parse::<u16>()
            .ok();
        if limited && limit_status == Some(status) {
            return Some("rate-limited");
        }
        let auth = self.model.effective(location, "auth_request");
        let auth_on = auth.args().first().is_some_and(|a| *a != "off");
        (auth_on && matches!(status, 401 | 403)).then_some("auth-denied")
    }

    /// The `*_pass` of the location an `auth_request URI` at `scope` goes to.
    fn auth_pass(&self, scope: ScopeId) -> Option<crate::model::PassId> {
        let e = self.model.effective(scope, "auth_request");
        let uri = e.args().first().copied().filter(|a| *a != "off")?;
        let server_scope = self
            .model
            .chain(scope)
            .find(|s| self.model.scope(*s).kind == Context::Server)?;
        let server = self.servers.iter().position(|s| s.scope == server_scope)?;
        let uri = uri.split('?').next().unwrap_or(uri);
        self.pass_of(self.find_location(server, uri)?)
    }

    /// Effective read timeout (ms) at a location.
    pub fn read_timeout(&self, location: ScopeId) -> Option<(u64, DirectiveRef)> {
        let pass = self.pass_of(location).map(|p| self.model.pass(p))?;
        let name = format!("{}_read_timeout", pass.module.prefix());
        let e = self.model.effective(pass.scope, &name);
        Some((e.time_ms()?, self.reference(&name, pass.scope)))
    }
}

/// `*_` directive suffixes (after the module prefix) that govern an http
/// cause at the location.
fn http_names(cause: &str) -> &'static [&'static str] {
    match cause {
        "read-timeout" | "status-504" => &[
            "read_timeout",
            "next_upstream",
            "next_upstream_tries",
            "next_upstream_timeout",
        ],
        "send-timeout" => &["send_timeout", "next_upstream"],
        "connect-timeout" => &["connect_timeout", "next_upstream", "next_upstream_tries"],
        "connect-refused"
        | "connect-unreachable"
        | "unix-socket-missing"
        | "permission-denied"
        | "status-502" => &[
            "next_upstream",
            "next_upstream_tries",
            "next_upstream_timeout",
        ],
        "no-live-upstreams" | "peer-disabled" | "backend-busy" => {
            &["next_upstream", "next_upstream_tries"]
        }
        "header-too-big" => &["buffer_size", "buffers", "busy_buffers_size"],
        "premature-close" | "connection-reset" => &["http_version", "next_upstream"],
        "tls-handshake" => &["ssl_server_name", "ssl_name", "ssl_protocols", "ssl_verify"],
        "protocol-mismatch" | "invalid-response" => &["http_version"],
        _ => &[],
    }
}

/// The same for a stream `server {}`: stream clients get 502 for every
/// upstream failure (a connect timeout too); retries are `proxy_next_upstream
/// on|off` with its tries and timeout; `proxy_timeout` is the idle timeout
/// of the session in both directions.
fn stream_names(cause: &str) -> &'static [&'static str] {
    match cause {
        "connect-timeout" => &[
            "connect_timeout",
            "next_upstream",
            "next_upstream_tries",
            "next_upstream_timeout",
        ],
        "connect-refused"
        | "connect-unreachable"
        | "unix-socket-missing"
        | "permission-denied"
        | "no-live-upstreams"
        | "peer-disabled"
        | "backend-busy"
        | "status-502"
        | "status-503" => &[
            "next_upstream",
            "next_upstream_tries",
            "next_upstream_timeout",
        ],
        "read-timeout" | "send-timeout" | "status-504" => &["timeout"],
        "tls-handshake" => &["ssl_server_name", "ssl_name", "ssl_protocols", "ssl_verify"],
        _ => &[],
    }
}
