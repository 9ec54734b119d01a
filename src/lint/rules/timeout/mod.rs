//! Timeout rules: nginx's own timers decide between a clean response, a 504
//! and a 502.

// Each rule of the category, once, in the order `ngxray rules` lists them.
crate::rules! {
    aggressive_read_timeout,
    connect_timeout_out_of_range,
    websocket_idle_timeout,
}

use crate::model::{Context, Model, ScopeId};

/// Module prefixes whose `*_read_timeout`/`*_send_timeout`/`*_connect_timeout` exist.
pub const PREFIXES: &[&str] = &["proxy", "fastcgi", "uwsgi", "scgi", "grpc", "memcached"];

/// Words in a location path that mark a health or status endpoint, where a
/// short timeout is deliberate.
const HEALTH_WORDS: &[&str] = &[
    "health",
    "ping",
    "status",
    "ready",
    "live",
    "alive",
    "heartbeat",
];

/// Is the nearest location of a scope a health-check or status endpoint?
pub fn is_health_location(m: &Model<'_>, scope: ScopeId) -> bool {
    m.enclosing(scope, Context::Location)
        .and_then(|l| m.scope(l).block)
        .and_then(|d| d.args.last())
        .is_some_and(|w| {
            let p = w.as_str().as_bytes();
            HEALTH_WORDS.iter().any(|h| {
                p.windows(h.len())
                    .any(|win| win.eq_ignore_ascii_case(h.as_bytes()))
            })
        })
}
