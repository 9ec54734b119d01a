//! `keepalive/idle-timeout-race`: nginx keeps idle upstream connections for
//! the upstream's `keepalive_timeout` (60s by default), but many application
//! servers close idle connections after 5s (Node.js, uvicorn). nginx then
//! reuses a connection the backend is closing: "upstream prematurely closed
//! connection" / "Connection reset by peer", a 502 for requests nginx cannot
//! retry (POST, PATCH).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    conn_kind, http_version_from, plain_connection_in, upstream_keepalive, ConnKind,
    PlainConnection,
};
use crate::lint::Findings;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rule::{RuleContext, Time};
use crate::lint::rules::diag;
use crate::lint::LintOptions;
use crate::model::values::{format_time, parse_time, Millis};
use crate::model::{stock, Model, Pass, PassModule};
use crate::rule;

pub const RULE: Rule = rule! {
    id: "keepalive/idle-timeout-race",
    severity: Info,
    summary: "upstream `keepalive_timeout` longer than the backend's idle timeout: reused connections get reset",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."keepalive/idle-timeout-race"]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// How long the backends keep an idle connection open (default `5s`:
    /// Node.js `server.keepAliveTimeout`, uvicorn `--timeout-keep-alive`).
    pub backend_idle_timeout: Option<Time>,
    /// Per-upstream idle timeouts, by upstream block name.
    pub upstreams: BTreeMap<String, Time>,
}

const DEFAULT_BACKEND_IDLE: Millis = 5_000;
const DEFAULT_KEEPALIVE_TIMEOUT: Millis = 60_000;

/// Does this pass reuse connections of its upstream over HTTP/1.1?
/// `lists` answers `proxy_set_header` (memoized per level).
fn reuses<'a>(
    m: &Model<'a>,
    p: &Pass<'a>,
    opts: &LintOptions,
    lists: &mut stock::Lists<'_, 'a>,
) -> bool {
    match p.module {
        PassModule::Proxy => {
            if !http_version_from(m, p.scope, m.effective(p.scope, "proxy_http_version"), opts)
                .keeps_alive()
            {
                return false;
            }
            let Some(set_in) = lists.source(p.scope) else {
                return false;
            };
            let items = set_in.map(|s| lists.items(s)).unwrap_or_default();
            match plain_connection_in(m, items) {
                PlainConnection::Default => super::modern_defaults(opts),
                PlainConnection::Set(_, e) => {
                    matches!(conn_kind(&e.value), ConnKind::Empty | ConnKind::Other)
                }
                PlainConnection::Unknown(_) => false,
            }
        }
        // php-fpm and gRPC servers do not close idle connections after a
        // few seconds: the HTTP servers' idle timeout does not apply
        _ => false,
    }
}

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    let global = opts
        .backend_idle_timeout
        .map(|t| t.0)
        .unwrap_or(DEFAULT_BACKEND_IDLE);
    let mut lists = stock::Lists::new(m, "proxy_set_header");
    for (_, u) in m.upstreams.explicit() {
        let (Some(scope), Some(block)) = (u.scope, u.directive) else {
            continue;
        };
        let Some(ka) = upstream_keepalive(m, u, cx.lint) else {
            continue;
        };
        let Some(user) = u
            .used_by
            .iter()
            .map(|p| m.pass(*p))
            .find(|p| reuses(m, p, cx.lint, &mut lists))
        else {
            continue;
        };
        let (backend, from_option) = match opts
            .upstreams
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&u.name))
            .map(|(_, t)| t.0)
        {
            Some(t) => (t, format!("upstreams.{}", u.name)),
            None => (global, "backend-idle-timeout".to_string()),
        };
        let kt = m.local_first(scope, "keepalive_timeout");
        let timeout = match kt {
            Some(d) => match d.arg(0).and_then(parse_time) {
                Some(t) => t,
                None => continue,
            },
            None => DEFAULT_KEEPALIVE_TIMEOUT,
        };
        // nginx must give up an idle connection at least a second before
        // the backend does
        if timeout + 1_000 <= backend {
            continue;
        }
        let shown = match kt {
            Some(_) => format_time(timeout),
            None => format!("{} (default)", format_time(timeout)),
        };
        let span = kt
            .or(ka.directive)
            .map(|d| d.head_span())
            .unwrap_or_else(|| block.head_span());
        let mut d = diag(
            &META,
            format!(
                "upstream \"{}\" keeps idle connections for keepalive_timeout {shown}, not shorter than the backend's idle timeout ({}, option {from_option}): the backend may close a connection just as nginx reuses it, and requests nginx cannot retry (POST, PATCH) fail with \"upstream prematurely closed connection\" or \"recv() failed (104: Connection reset by peer)\" (502)",
                u.name,
                format_time(backend)
            ),
        )
        .with_span(span)
        .with_label("idle upstream connections outlive the backend's timeout")
        .with_related(block.head_span(), "upstream defined here")
        .with_related(
            user.directive.head_span(),
            "connections reused by this location",
        );
        if kt.is_some() {
            if let Some(k) = ka.directive {
                d = d.with_related(k.head_span(), "keepalive configured here");
            }
        }
        let below = format_time(backend.saturating_sub(1_000).max(1_000));
        out.push(d.with_help(format!(
            "set `keepalive_timeout {below};` in upstream \"{}\" (below the backend's idle timeout), or raise the backend's idle timeout above {} (Node.js server.keepAliveTimeout, uvicorn --timeout-keep-alive, gunicorn --keep-alive) and declare it in this rule's options",
            u.name,
            format_time(timeout)
        )));
    }
}
