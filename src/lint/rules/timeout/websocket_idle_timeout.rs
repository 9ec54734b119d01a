//! `timeout/websocket-idle-timeout`: a location that upgrades to WebSocket
//! (passes `Upgrade`) with an effective `proxy_read_timeout` of 60s or less:
//! a connection idle that long is closed by nginx.

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::values::format_time;
use crate::model::PassModule;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "timeout/websocket-idle-timeout",
    severity: Info,
    summary: "WebSocket location with `proxy_read_timeout` ≤ 60s: idle connections get closed",
    check: check,
};

const META: RuleMeta = RULE.meta;

/// Paths of frameworks that ping on their own (socket.io every 25s).
const SELF_PINGING: &[&str] = &["socket.io", "sockjs"];

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    // One finding per server block and timeout: its other WebSocket
    // locations are related spans (index of the finding in `mine`, which
    // is kept unpacked for that).
    let mut mine: Vec<crate::diag::Diagnostic> = Vec::new();
    let mut per_server: rustc_hash::FxHashMap<(Option<crate::model::ScopeId>, u64), usize> =
        Default::default();
    let mut levels = vec![0u8; m.scopes.len()];
    let mut path = Vec::new();
    for p in &m.passes {
        if p.module != PassModule::Proxy {
            continue;
        }
        // the effective list (all-or-nothing) sets an Upgrade header
        let mut upgrade = false;
        for s in m.chain(p.scope) {
            // per level: 0 not read, 1 declares no list, 2 a list without
            // Upgrade, 3 a list with it; 4 and 5: a level without a list
            // whose effective one (above) has no Upgrade / has it
            let slot = &mut levels[s.0 as usize];
            if *slot >= 4 {
                upgrade = *slot == 5;
                break;
            }
            if *slot == 0 {
                let mut list = m.local(s, "proxy_set_header").peekable();
                *slot = if list.peek().is_none() {
                    1
                } else if list.any(|d| d.arg(0).is_some_and(|h| h.eq_ignore_ascii_case("upgrade")))
                {
                    3
                } else {
                    2
                };
            }
            if *slot != 1 {
                upgrade = *slot == 3;
                break;
            }
            path.push(s);
        }
        // the answer of every level passed (a deep chain stays linear)
        for s in path.drain(..) {
            levels[s.0 as usize] = if upgrade { 5 } else { 4 };
        }
        if !upgrade {
            continue;
        }
        let loc = m
            .enclosing(p.scope, crate::model::Context::Location)
            .and_then(|l| m.scope(l).block)
            .and_then(|d| d.args.last())
            .map(|w| w.as_str().to_ascii_lowercase())
            .unwrap_or_default();
        if SELF_PINGING.iter().any(|s| loc.contains(s)) {
            continue;
        }
        let e = m.effective(p.scope, "proxy_read_timeout");
        let Some(ms) = e.time_ms() else { continue };
        if ms > 60_000 {
            continue;
        }
        let server = m.enclosing(p.scope, crate::model::Context::Server);
        if let Some(&i) = per_server.get(&(server, ms)) {
            mine[i].related.push(crate::diag::Label {
                span: p.directive.head_span(),
                message: "another WebSocket location with this timeout".into(),
            });
            continue;
        }
        per_server.insert((server, ms), mine.len());
        let value = if e.is_set() {
            format_time(ms)
        } else {
            format!("{} (default)", format_time(ms))
        };
        let mut d = diag(
            &META,
            format!(
                "this location upgrades to WebSocket with proxy_read_timeout {value}: a connection with no message for {} is closed (\"upstream timed out (110: Connection timed out) while proxying upgraded connection\")",
                format_time(ms)
            ),
        )
        .with_span(p.directive.head_span())
        .with_label("WebSocket tunnel with a short idle timeout");
        if let Some(td) = e.directive {
            d = d.with_related(td.head_span(), "read timeout set here");
        }
        mine.push(d.with_help("set `proxy_read_timeout 1h;` (and `proxy_send_timeout 1h;`) in this location, or make the application ping more often than the timeout"));
    }
    out.append(&mut mine);
}
