//! The words of a finding: what happened (from its evidence) and the
//! concrete change to make (naming the governing directives where they are
//! set). One function per cause family; unknown causes fall back to the
//! cause table's own explanation.

use super::attr::DirectiveRef;
use super::Finding;
use crate::logs::causes;

/// Title of an access-log-only cause (`status-502`: no error.log line).
pub fn status_title(cause: &str) -> String {
    if cause == "auth-denied" {
        return "auth_request denied the request (401/403 from the auth subrequest)".into();
    }
    match cause.strip_prefix("status-") {
        Some(s) => format!("upstream answered or ended with {s} (no matching error.log line)"),
        None => cause.to_string(),
    }
}

fn at(d: &DirectiveRef) -> String {
    match (&d.file, d.line) {
        (Some(f), Some(l)) => format!("`{} {}` ({f}:{l})", d.name, d.value),
        _ => format!("`{} {}` (nginx default)", d.name, d.value),
    }
}

fn find<'f>(f: &'f Finding, suffix: &str) -> Option<&'f DirectiveRef> {
    f.directives.iter().find(|d| d.name.ends_with(suffix))
}

fn finals(f: &Finding) -> (u64, u64) {
    let bad: u64 = f
        .final_status
        .iter()
        .filter(|(k, _)| k.as_str() >= "500")
        .map(|(_, v)| *v)
        .sum();
    (bad, f.retried_ok)
}

/// (explanation, fix) of a finding.
pub fn explain(f: &Finding) -> (String, String) {
    let group = f.upstream.as_deref().unwrap_or("(no upstream)");
    let peers = if f.peers.is_empty() {
        String::new()
    } else {
        format!(" ({})", f.peers.join(", "))
    };
    let place = match (&f.server, &f.location) {
        (Some(s), Some(l)) => format!(" for server {s}, location {l}"),
        (Some(s), None) => format!(" for server {s}"),
        _ => String::new(),
    };
    let (bad, ok) = finals(f);
    let local = matches!(
        f.cause.as_str(),
        "rate-limited" | "auth-denied" | "auth-request-failed"
    );
    let outcome = if local && f.requests > 0 {
        let got: Vec<String> = f
            .final_status
            .iter()
            .map(|(s, n)| format!("{s}×{n}"))
            .collect();
        format!(" Clients got {} for it.", got.join(" "))
    } else if f.requests > 0 {
        if f.requests == 1 {
            format!(
                " The one request it hit {}.",
                if ok == 1 {
                    "was retried onto another peer and served"
                } else {
                    "ended in an error for the client"
                }
            )
        } else {
            format!(
                " Of the {} requests it hit, {ok} were retried onto another peer and served, {bad} ended in an error for the client.",
                f.requests
            )
        }
    } else {
        String::new()
    };
    let next = find(f, "_next_upstream");
    let tries = find(f, "_next_upstream_tries");
    let retry_note = match (next, tries) {
        (Some(n), Some(t)) => format!(" Retries are governed by {} and {}.", at(n), at(t)),
        (Some(n), None) => format!(" Retries are governed by {}.", at(n)),
        _ => String::new(),
    };
    let server_lines: Vec<String> = f
        .directives
        .iter()
        .filter(|d| d.name == "server")
        .map(at)
        .collect();
    match f.cause.as_str() {
        "connect-refused" => (
            format!(
                "Upstream {group}{peers} refused connections{place}: nothing listens on the peer's port (backend stopped, crashed or on another port).{outcome}{retry_note}"
            ),
            format!(
                "Start or fix the backend at {}; if it is gone for good, remove or mark `down` its line in upstream {group}{}. Keep `max_fails`/`fail_timeout` on it so nginx stops trying it for a while, and keep {} so clients are retried onto healthy peers.",
                f.peers.join(", "),
                server_lines.first().map(|s| format!(" — {s}")).unwrap_or_default(),
                if f.stream { "`proxy_next_upstream on` (stream's default) with more than one server in the group" } else { "`error` in *_next_upstream" }
            ),
        ),
        "read-timeout" | "status-504" => {
            let rt = find(f, "_read_timeout");
            let lat = f
                .latency
                .as_ref()
                .map(|l| format!(" The group's upstream response times: p50 {}s, p95 {}s, p99 {}s.", l.p50, l.p95, l.p99))
                .unwrap_or_default();
            (
                format!(
                    "Upstream {group}{peers} did not answer within the read timeout{place}{}.{lat}{outcome}{retry_note}",
                    rt.map(|d| format!(", {}", at(d))).unwrap_or_default()
                ),
                format!(
                    "Find why {} is slow (its own logs, saturation, slow queries). If the slowness is legitimate, raise {} above the backend's real latency for this location only; do not add `timeout` to *_next_upstream for non-idempotent requests.",
                    if f.peers.is_empty() { group.to_string() } else { f.peers.join(", ") },
                    rt.map_or("the read timeout".to_string(), |d| format!("`{}` where it is set ({})", d.name, d.file.as_deref().map_or("default".to_string(), |x| format!("{x}:{}", d.line.unwrap_or(0)))))
                ),
            )
        }
        "latency-near-timeout" => {
            let l = f.latency.as_ref();
            (
                format!(
                    "Upstream {group}'s p99 response time ({}s) is within 20 % of its effective read timeout ({}s): timeouts are too tight for this backend's real latency; ordinary slow requests will turn into 504s.",
                    l.map_or(0.0, |l| l.p99),
                    l.and_then(|l| l.read_timeout).unwrap_or(0.0)
                ),
                format!(
                    "Raise {} well above p99 (e.g. 3× p99) or make the backend faster; measure p99 again after the change.",
                    find(f, "_read_timeout").map_or("the read timeout".to_string(), at)
                ),
            )
        }
        "connect-timeout" => (
            format!(
                "Connecting to {group}{peers} timed out{place}{}: the peer is down behind a firewall, overloaded (full accept backlog) or unreachable.{outcome}{retry_note}",
                find(f, "_connect_timeout").map(|d| format!(" ({})", at(d))).unwrap_or_default()
            ),
            format!(
                "Check that the peer is up and reachable from nginx and that its listen backlog is not full; keep connect timeouts short (a few seconds) so retries happen quickly.{}",
                if f.stream { " In stream{} a connect timeout reaches the client as 502 (not 504), and only `proxy_next_upstream on` retries it." } else { "" }
            ),
        ),
        "no-live-upstreams" => (
            format!(
                "Every server of upstream {group} was marked failed (max_fails within fail_timeout){place}, so nginx answered without trying any.{outcome}"
            ),
            format!(
                "Fix the failing peers first (see the other findings for {group}); then review max_fails/fail_timeout on {} and add a `backup` server.",
                if server_lines.is_empty() { "its server lines".to_string() } else { server_lines.join(", ") }
            ),
        ),
        "backend-busy" => (
            format!(
                "Upstream {group}{peers} refused new connections because its listen queue was full{place}: every worker (php-fpm child, app thread) was busy and the backlog overflowed. This is saturation, not a crash.{outcome}{retry_note}"
            ),
            format!(
                "Give the backend more workers (php-fpm `pm.max_children`, app threads) or make requests faster; raise its listen backlog (php-fpm `listen.backlog`, `net.core.somaxconn`) so bursts queue instead of failing; cap concurrency from nginx with `max_conns` on {}{}.",
                if server_lines.is_empty() { "the server line".to_string() } else { server_lines.join(", ") },
                if f.retried_ok == 0 { " and add a second peer so *_next_upstream can retry" } else { "" }
            ),
        ),
        "premature-close" | "connection-reset" => (
            format!(
                "Upstream {group}{peers} closed or reset the connection before a full response{place}. With upstream keepalive this is often an idle connection closed by the backend while nginx reused it.{outcome}{retry_note}"
            ),
            "Make the backend's keepalive idle timeout longer than nginx's upstream `keepalive_timeout`, or lower `keepalive_timeout` in the upstream block; check the backend for crashes.".to_string(),
        ),
        "rate-limited" => {
            let status = find(f, "limit_req_status").map_or("503".to_string(), |d| d.value.clone());
            let zones: Vec<String> = f.directives.iter().filter(|d| d.name == "limit_req").map(at).collect();
            (
                format!(
                    "nginx rejected requests{place} itself with status {status} ({}) because they exceeded {}; no upstream was tried.{outcome}",
                    find(f, "limit_req_status").map_or("the default limit_req_status".to_string(), at),
                    if zones.is_empty() { "the request rate limit".to_string() } else { zones.join(", ") }
                ),
                "If these were legitimate clients, raise the zone's `rate=` in `limit_req_zone` or add `burst=` (with `nodelay` to keep latency) on the limit_req line; if they were abuse, the limit works — keep the status distinct (429) so monitoring does not count it as a backend failure.".to_string(),
            )
        }
        "auth-request-failed" => {
            let pass = f.directives.iter().find(|d| d.name.ends_with("_pass"));
            (
                format!(
                    "The auth_request subrequest{place} ({}) did not answer 2xx, 401 or 403 — usually the auth service itself failed (see its own finding) — so nginx answered 500 without serving the request.{outcome}",
                    find(f, "auth_request").map_or("auth_request".to_string(), at)
                ),
                format!(
                    "Fix or restore the auth service behind {}; give its internal location short connect/read timeouts and, if it may be down, a fallback (`error_page 500 = …`) that fails closed deliberately.",
                    pass.map_or("the auth location".to_string(), at)
                ),
            )
        }
        "auth-denied" => (
            format!(
                "The auth service behind {} answered 401/403{place} and nginx passed it to the client: the configuration decided this status, no backend failed.{outcome}",
                find(f, "auth_request").map_or("auth_request".to_string(), at)
            ),
            "Check the credentials clients send and the auth service's rules; if the denials are unexpected, read the auth service's log for the requests above.".to_string(),
        ),
        "status-502" | "status-503" | "status-none" => (
            format!(
                "Attempts to {group}{peers} failed{place} (from access.log only; no error.log line matched).{outcome}{retry_note}"
            ),
            "Read the matching error.log (give it to diagnose) to see the cause of each attempt.".to_string(),
        ),
        other => {
            let base = causes::find(other).map(|c| causes::cause(c).explanation.to_string()).unwrap_or_default();
            (
                format!("{}{peers}{place}: {base}{outcome}", f.title),
                format!(
                    "Review {}.",
                    if f.directives.is_empty() {
                        "the configuration of this location".to_string()
                    } else {
                        f.directives.iter().map(at).collect::<Vec<_>>().join(", ")
                    }
                ),
            )
        }
    }
}
