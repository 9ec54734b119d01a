//! The load-time semantic errors grammar validation can see, from facts
//! gathered during the walk: no `events`, an upstream without servers,
//! `access_log` naming an unknown `log_format`, limit zones nobody defines,
//! `ssl` without a certificate, redefined built-in variables.

use std::collections::HashSet;

use super::checker::{block_id, Checker};
use super::table::Special;
use super::values;
use super::{
    DUPLICATE_VARIABLE, EMPTY_UPSTREAM, MISSING_EVENTS, SSL_WITHOUT_CERTIFICATE, UNDEFINED_ZONE,
    UNKNOWN_LOG_FORMAT,
};
use crate::diag::Diagnostic;
use crate::model::{Context, Visit};
use crate::syntax::{Directive, Span};

pub(super) struct UpstreamSeen {
    pub(super) id: usize,
    pub(super) span: Span,
    pub(super) name: String,
    pub(super) servers: bool,
    pub(super) uncertain: bool,
    pub(super) zone: bool,
}

impl<'a, 'o> Checker<'a, 'o> {
    /// Facts for the load-time semantic checks run in [`Checker::finish`].
    pub(super) fn semantic(&mut self, v: &Visit<'a, '_>, block: usize, sp: Special) {
        let d = v.directive;
        let ctx = v.context;
        match (ctx, sp) {
            (Context::Main, Special::Events) => self.events = true,
            (Context::Http, Special::LogFormat) => {
                if let Some(n) = d.arg(0) {
                    self.log_formats.insert(n.to_string());
                }
            }
            (
                Context::Http
                | Context::Server
                | Context::Location
                | Context::IfInServer
                | Context::IfInLocation
                | Context::LimitExcept,
                Special::AccessLog,
            ) => {
                if let (true, Some(f)) = (self.whole, d.arg(1)) {
                    if !f.contains('=') && f != "combined" && !self.log_formats.contains(f) {
                        self.push(
                            Diagnostic::error(UNKNOWN_LOG_FORMAT, format!("unknown log format \"{f}\""))
                                .with_span(d.args[1].span)
                                .with_label("no log_format with this name before here")
                                .with_help(format!("define `log_format {f} ...;` in the http block before this access_log, or use the predefined \"combined\"")),
                        );
                    }
                }
            }
            (Context::Http, Special::LimitReqZone | Special::LimitConnZone) => {
                let kind = if sp == Special::LimitReqZone {
                    "limit_req"
                } else {
                    "limit_conn"
                };
                for a in &d.args {
                    if let Some(z) = a.value.strip_prefix("zone=") {
                        let n = z.split(':').next().unwrap_or(z);
                        self.zones_defined.insert((kind, n.to_string()));
                    }
                }
            }
            (_, Special::LimitReq) if ctx.is_http() => {
                for a in &d.args {
                    if let Some(z) = a.value.strip_prefix("zone=") {
                        self.zones_used.push(("limit_req", z.to_string(), a.span));
                    }
                }
            }
            (_, Special::LimitConn) if ctx.is_http() => {
                if let Some(a) = d.args.first() {
                    self.zones_used
                        .push(("limit_conn", a.value.to_string(), a.span));
                }
            }
            (Context::Http, Special::CachePath(kind)) => {
                for a in d.args.iter().skip(1) {
                    if let Some(z) = a.value.strip_prefix("keys_zone=") {
                        let n = z.split(':').next().unwrap_or(z);
                        self.zones_defined.insert((kind, n.to_string()));
                    }
                }
            }
            (_, Special::Cache(kind)) if ctx.is_http() => {
                // `off`, or a zone chosen per request (`$var`, checked at
                // run time).
                if let Some(a) = d.args.first() {
                    if a.value != "off" && !a.value.contains('$') {
                        self.zones_used.push((kind, a.value.to_string(), a.span));
                    }
                }
            }
            (Context::Http | Context::Stream, Special::Upstream) => {
                if let Some(b) = d.block() {
                    self.upstreams.push(UpstreamSeen {
                        id: d as *const Directive as usize,
                        span: b.close.unwrap_or(b.open),
                        name: d.arg(0).unwrap_or("").to_string(),
                        servers: false,
                        uncertain: b.close.is_none(),
                        zone: false,
                    });
                }
            }
            (Context::Upstream | Context::StreamUpstream, n) => {
                if let Some(u) = self.upstreams.iter_mut().rev().find(|u| u.id == block) {
                    match n {
                        Special::Server => u.servers = true,
                        Special::Zone => u.zone = true,
                        Special::Include if self.loaded.included_by(d).is_empty() => {
                            u.uncertain = true
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        self.after_semantic(v, block, sp);
    }

    /// The semantic facts any directive may add, whatever its context.
    fn after_semantic(&mut self, v: &Visit<'a, '_>, block: usize, sp: Special) {
        let d = v.directive;
        let ctx = v.context;
        if ctx == Context::Server
            && sp == Special::Listen
            && d.args.iter().skip(1).any(|a| a.value == "ssl")
        {
            let http = v
                .ancestors
                .len()
                .checked_sub(2)
                .and_then(|i| v.ancestors.get(i));
            if let Some(server) = v.ancestors.last() {
                if let Some(b) = server.block() {
                    self.ssl_servers
                        .push((block, block_id(http), b.open, d.head_span()));
                }
            }
        }
        if ctx == Context::Http && sp == Special::Server {
            self.http_servers
                .push((d as *const Directive as usize, block));
        }
        if matches!(ctx, Context::Http | Context::Server)
            && sp == Special::Ssl
            && d.arg(0).is_some_and(|a| a.eq_ignore_ascii_case("on"))
        {
            let http = if ctx == Context::Http {
                block
            } else {
                block_id(
                    v.ancestors
                        .len()
                        .checked_sub(2)
                        .and_then(|i| v.ancestors.get(i)),
                )
            };
            self.ssl_on
                .push((block, http, d.head_span(), ctx == Context::Http));
        }
        if matches!(ctx, Context::Http | Context::Server) {
            let set = match sp {
                Special::SslCertificate => true,
                Special::SslRejectHandshake => d.arg(0) == Some("on"),
                _ => false,
            };
            if set {
                self.cert_blocks.insert(block);
            }
        }
    }

    /// `set`/`map`/`geo`/`split_clients`/`perl_set`/`js_set` of a built-in
    /// variable that nginx does not let change.
    pub(super) fn variable_definition(&mut self, d: &Directive, ctx: Context, sp: Special) {
        let target = match (ctx, sp) {
            (
                Context::Server | Context::Location | Context::IfInServer | Context::IfInLocation,
                Special::Set,
            ) => d.args.first(),
            (Context::Http, Special::Map) => d.args.get(1),
            (Context::Http, Special::Geo) => d.args.last(),
            (Context::Http, Special::PerlJsSet) => d.args.first(),
            _ => None,
        };
        let Some(w) = target else { return };
        let Some(var) = w.value.strip_prefix('$') else {
            return;
        };
        if values::fixed_http_variable(var) {
            self.push(
                Diagnostic::error(DUPLICATE_VARIABLE, format!("the duplicate \"{var}\" variable"))
                    .with_span(w.span)
                    .with_label("built-in variable")
                    .with_help(format!("${var} is a built-in nginx variable that cannot be redefined: pick another name, e.g. ${var}_value")),
            );
        }
    }

    pub(super) fn finish(&mut self, root: crate::syntax::FileId) {
        // nginx checks for `events` only after the whole file parsed.
        let parsed = self.loaded.files.iter().all(|f| f.errors.is_empty());
        if self.whole && !self.events && parsed {
            self.push(
                Diagnostic::error(MISSING_EVENTS, "no \"events\" section in configuration")
                    .with_span(Span::new(root, 0, 0))
                    .with_label("main configuration without events {}")
                    .with_help("add `events {}` at the top level (worker_connections goes there)"),
            );
        }
        let ups = std::mem::take(&mut self.upstreams);
        for u in &ups {
            if u.servers || u.uncertain || (u.zone && self.opts.plus) {
                continue;
            }
            self.push(
                Diagnostic::error(EMPTY_UPSTREAM, "no servers are inside upstream")
                    .with_span(u.span)
                    .with_label(format!("upstream \"{}\" ends without a server", u.name))
                    .with_help("add at least one `server host:port;` line to the upstream block"),
            );
        }
        if self.whole {
            let used = std::mem::take(&mut self.zones_used);
            for (kind, z, span) in used {
                if self.zones_defined.contains(&(kind, z.clone())) {
                    continue;
                }
                if kind.ends_with("_cache") {
                    // nginx's words when it merges the location
                    self.push(
                        Diagnostic::error(UNDEFINED_ZONE, format!("\"{kind}\" zone \"{z}\" is unknown"))
                            .with_span(span)
                            .with_label(format!("no {kind}_path defines keys_zone={z}"))
                            .with_help(format!("define it in the http block, e.g. `{kind}_path /var/cache/nginx/{z} keys_zone={z}:10m;`, or fix the name")),
                    );
                } else {
                    self.push(
                        Diagnostic::error(UNDEFINED_ZONE, format!("zero size shared memory zone \"{z}\""))
                            .with_span(span)
                            .with_label(format!("no {kind}_zone defines \"{z}\""))
                            .with_help(format!("define it in the http block, e.g. `{kind}_zone $binary_remote_addr zone={z}:10m{};`", if kind == "limit_req" { " rate=10r/s" } else { "" })),
                    );
                }
            }
        }
        if matches!(self.root_context, Context::Main | Context::Http) {
            let ssl_on = std::mem::take(&mut self.ssl_on);
            for (block, http, span, at_http) in ssl_on {
                if self.cert_blocks.contains(&block) || self.cert_blocks.contains(&http) {
                    continue;
                }
                let uncovered = if at_http {
                    self.http_servers
                        .iter()
                        .any(|(s, h)| *h == http && !self.cert_blocks.contains(s))
                } else {
                    true
                };
                if uncovered {
                    self.push(
                        Diagnostic::error(
                            SSL_WITHOUT_CERTIFICATE,
                            "no \"ssl_certificate\" is defined for the \"ssl\" directive",
                        )
                        .with_span(span)
                        .with_label("ssl on without a certificate")
                        .with_help("add `ssl_certificate` and `ssl_certificate_key`; better, drop the deprecated `ssl on;` and use `listen 443 ssl;`"),
                    );
                }
            }
            let servers = std::mem::take(&mut self.ssl_servers);
            let mut done = HashSet::new();
            for (server, http, open, listen) in servers {
                if self.cert_blocks.contains(&server)
                    || self.cert_blocks.contains(&http)
                    || !done.insert(server)
                {
                    continue;
                }
                self.push(
                    Diagnostic::error(
                        SSL_WITHOUT_CERTIFICATE,
                        "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive",
                    )
                    .with_span(open)
                    .with_label("this server has no ssl_certificate")
                    .with_related(listen, "listens with ssl here")
                    .with_help("add `ssl_certificate` and `ssl_certificate_key` to this server (or the http block), or drop `ssl` from the listen line"),
                );
            }
        }
    }
}
