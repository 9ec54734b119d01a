//! Upstream-group rules: peer health accounting, retries, names, loops.

// Each rule of the category, once, in the order `ngxray rules` lists them.
crate::rules! {
    undefined_upstream_name,
    duplicate_upstream_name,
    missing_health_params,
    health_checks_disabled,
    single_server_guard_lost,
    next_upstream_marks_http_errors,
    retry_unbounded,
    proxy_loop_to_self,
    unused_upstream,
}

use crate::model::{Model, ScopeId, Upstream};

/// Servers that take traffic normally: neither `down` nor `backup`.
pub fn active<'u, 'a>(
    u: &'u Upstream<'a>,
) -> impl Iterator<Item = &'u crate::model::UpstreamServer<'a>> {
    u.servers
        .iter()
        .filter(|s| !s.address.params.down && !s.address.params.backup)
}

/// Does the upstream (or a location using it) have active health checks
/// (NGINX Plus `health_check`, or the third-party `check` module)? Passive
/// failure accounting then matters less.
pub fn has_active_checks(m: &Model<'_>, u: &Upstream<'_>) -> bool {
    let in_block = u.scope.is_some_and(|s| {
        m.local_first(s, "check").is_some() || m.local_first(s, "health_check").is_some()
    });
    in_block
        || u.used_by
            .iter()
            .any(|p| m.local_first(m.pass(*p).scope, "health_check").is_some())
}

/// The root scope of a scope.
pub fn root_of(m: &Model<'_>, s: ScopeId) -> ScopeId {
    m.chain(s).last().unwrap_or(s)
}
