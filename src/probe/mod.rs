//! `ngxray probe`: the first steps of every 502 runbook — does the name
//! resolve, does the port answer, does TLS pass, does the backend speak —
//! run for every backend the configuration names, with the settings nginx
//! really uses there (its timeouts, its resolver, its SNI name and CA file,
//! its `Host`). The model ([`crate::model`]) gives the targets
//! ([`target`]); [`dns`] resolves names both ways nginx does; [`net`]
//! connects and speaks the protocol. Every failure carries the error.log
//! cause id the same failure gets from nginx, so `probe` and `logs` agree.
//!
//! Probes run on threads (no async runtime): names first, then one probe
//! per peer address, at most `per_peer` at a time to one address, all
//! bounded by one global deadline. The library returns results; rendering
//! is in [`report`], printing in `cli::probe`.

// The DNS client is shared with `lint --resolve`.
pub use crate::dns;
pub mod net;
#[cfg(target_os = "linux")]
pub mod perm;
pub mod report;
pub mod target;
pub mod tls;
pub mod via;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::model::Host;

pub use dns::Lookup;
pub use target::{targets, Protocol, Site, Target, TargetError};
pub use tls::TlsReport;

/// The JSON schema id of `--format json`.
pub const SCHEMA: &str = "ngxray/probe/v1";

/// What to probe and how long to take.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// `--path`: request this path with GET (default `HEAD /`).
    pub path: Option<String>,
    /// The global deadline, from the start of the run.
    pub timeout: Duration,
    /// At most this many connections to one peer address at a time.
    pub per_peer: usize,
    /// At most this many probes at a time.
    pub jobs: usize,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            path: None,
            timeout: Duration::from_secs(20),
            per_peer: 2,
            jobs: 32,
        }
    }
}

/// The verdict of one peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ok,
    Failed,
    /// Variable target, `down` server: listed, not probed.
    NotProbed,
}

/// Both views of a name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DnsReport {
    pub name: String,
    /// Which view nginx uses for this target: `system` (resolved once at
    /// load) or `resolver` (per request, through `resolver`).
    pub used: &'static str,
    /// `getaddrinfo`, as nginx at load (`None` for names nginx only
    /// resolves at run time).
    pub system: Option<Lookup>,
    /// The `resolver` servers in effect, when there are any.
    pub resolver: Option<Lookup>,
    /// The `resolver` directive in effect.
    pub resolver_site: Option<Site>,
    /// Do the two views give different address sets (both answered)?
    pub differ: Option<bool>,
}

/// The effective timeouts a probe used, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Timeouts {
    pub connect_ms: u64,
    pub send_ms: u64,
    pub read_ms: u64,
}

/// One row of the report: one address of one target.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProbeResult {
    pub upstream: String,
    /// An implicit upstream (a literal `*_pass` target), not a block.
    pub implicit: bool,
    pub stream: bool,
    /// The address as written.
    pub server: String,
    /// The address probed (`10.0.0.5:8080`, `unix:/run/app.sock`).
    pub address: Option<String>,
    pub protocol: Protocol,
    pub scheme: Option<String>,
    pub weight: Option<u32>,
    pub backup: bool,
    pub down: bool,
    pub outcome: Verdict,
    /// The error.log cause id of the failure.
    pub cause: Option<&'static str>,
    pub detail: Option<String>,
    /// The step that failed: `dns`, `connect`, `tls`, `send`, `read`.
    pub failed_step: Option<&'static str>,
    pub dns: Option<DnsReport>,
    pub timeouts: Timeouts,
    pub connect_ms: Option<u64>,
    pub tls: Option<TlsReport>,
    pub request: Option<String>,
    pub status: Option<u16>,
    pub response: Option<String>,
    /// Time of the probe of this address (connect to answer).
    pub elapsed_ms: u64,
    /// The `server` directive, or the `*_pass` of an implicit upstream.
    pub file: String,
    pub line: usize,
    /// The `*_pass` whose location gave the settings.
    pub pass: Option<Site>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Index of the target in the list given to [`run`].
    #[serde(skip)]
    pub target: usize,
}

impl ProbeResult {
    fn of(t: &Target) -> ProbeResult {
        let s = &t.settings;
        ProbeResult {
            upstream: t.upstream.clone(),
            implicit: t.implicit,
            stream: t.stream,
            server: t.server.clone(),
            address: None,
            protocol: s.protocol,
            scheme: t.scheme.clone(),
            weight: t.weight,
            backup: t.backup,
            down: t.down,
            outcome: Verdict::NotProbed,
            cause: None,
            detail: t.not_probeable.clone(),
            failed_step: None,
            dns: None,
            timeouts: Timeouts {
                connect_ms: s.connect_timeout_ms,
                send_ms: s.send_timeout_ms,
                read_ms: s.read_timeout_ms,
            },
            connect_ms: None,
            tls: None,
            request: None,
            status: None,
            response: None,
            elapsed_ms: 0,
            file: t.site.file.clone(),
            line: t.site.line,
            pass: t.pass.clone(),
            notes: s.host_note.iter().cloned().collect(),
            target: 0,
        }
    }
}

/// A name to look up one way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum NameKey {
    System(String),
    /// name, servers, timeout, ipv4, ipv6
    Resolver(String, Vec<String>, u64, bool, bool),
}

fn resolver_key(name: &str, t: &Target) -> Option<NameKey> {
    let r = t.settings.resolver.as_ref()?;
    Some(NameKey::Resolver(
        name.to_string(),
        r.servers.clone(),
        r.timeout_ms,
        r.ipv4,
        r.ipv6,
    ))
}

/// Run `f` over `items` on at most `jobs` threads.
pub(crate) fn parallel<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = Mutex::new(0usize);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|sc| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            sc.spawn(|| loop {
                let i = {
                    let Ok(mut n) = next.lock() else { return };
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some(item) = items.get(i) else { return };
                let r = f(item);
                if let Ok(mut o) = out.lock() {
                    o[i] = Some(r);
                }
            });
        }
    });
    out.into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// One probe to run.
struct Work<'t> {
    target: &'t Target,
    /// Index of the row in the result list.
    row: usize,
    peer: PeerAddr,
}

#[derive(Debug, Clone)]
enum PeerAddr {
    Tcp(SocketAddr),
    Unix(String),
}

impl PeerAddr {
    fn key(&self) -> String {
        match self {
            PeerAddr::Tcp(a) => a.to_string(),
            PeerAddr::Unix(p) => format!("unix:{p}"),
        }
    }
}

/// Probe every target. Results come in target order, one row per address.
pub fn run(targets: &[Target], opts: &ProbeOptions) -> Vec<ProbeResult> {
    let start = Instant::now();
    let deadline = start + opts.timeout;
    // 1. names, each way once
    let mut keys: Vec<NameKey> = Vec::new();
    for t in targets.iter().filter(|t| t.not_probeable.is_none()) {
        if let Host::Name(n) = &t.host {
            let mut want = Vec::new();
            if !t.runtime_resolve {
                want.push(NameKey::System(n.clone()));
            }
            want.extend(resolver_key(n, t));
            for k in want {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
    }
    let answers = parallel(&keys, opts.jobs, |k| match k {
        NameKey::System(n) => dns::system(n, deadline.saturating_duration_since(Instant::now())),
        NameKey::Resolver(n, servers, timeout_ms, ipv4, ipv6) => dns::resolver(
            n,
            &target::ResolverSettings {
                servers: servers.clone(),
                timeout_ms: *timeout_ms,
                ipv4: *ipv4,
                ipv6: *ipv6,
                site: Site {
                    file: String::new(),
                    line: 0,
                    offset: 0,
                },
            },
            deadline,
        ),
    });
    let looked: HashMap<&NameKey, &Lookup> = keys.iter().zip(answers.iter()).collect();
    // 2. rows and work
    let mut rows: Vec<ProbeResult> = Vec::new();
    let mut work: Vec<Work<'_>> = Vec::new();
    for (ti, t) in targets.iter().enumerate() {
        let mut base = ProbeResult::of(t);
        base.target = ti;
        if t.not_probeable.is_some() {
            rows.push(base);
            continue;
        }
        let addrs: Vec<PeerAddr> = match &t.host {
            Host::Unix(p) => vec![PeerAddr::Unix(p.clone())],
            Host::Ip(ip) => vec![PeerAddr::Tcp(SocketAddr::new(*ip, t.port))],
            Host::Variable(_) => Vec::new(),
            Host::Name(n) => {
                let system = (!t.runtime_resolve)
                    .then(|| {
                        looked
                            .get(&NameKey::System(n.clone()))
                            .map(|l| (*l).clone())
                    })
                    .flatten();
                let resolver =
                    resolver_key(n, t).and_then(|k| looked.get(&k).map(|l| (*l).clone()));
                let differ = match (&system, &resolver) {
                    (Some(a), Some(b)) if a.error.is_none() && b.error.is_none() => {
                        let mut x = a.addresses.clone();
                        let mut y = b.addresses.clone();
                        x.sort();
                        y.sort();
                        Some(x != y)
                    }
                    _ => None,
                };
                let used = if t.runtime_resolve {
                    &resolver
                } else {
                    &system
                };
                let report = DnsReport {
                    name: n.clone(),
                    used: if t.runtime_resolve {
                        "resolver"
                    } else {
                        "system"
                    },
                    system: system.clone(),
                    resolver: resolver.clone(),
                    resolver_site: t.settings.resolver.as_ref().map(|r| r.site.clone()),
                    differ,
                };
                base.dns = Some(report);
                base.failed_step = Some("dns");
                base.outcome = Verdict::Failed;
                match used {
                    None if t.runtime_resolve => {
                        base.cause = Some("no-resolver");
                        base.detail = Some(format!(
                            "no resolver defined to resolve {n}: nginx looks this name up per request"
                        ));
                        rows.push(base);
                        continue;
                    }
                    None => {
                        base.cause = None;
                        base.detail =
                            Some("the global deadline (--timeout) passed before the lookup".into());
                        rows.push(base);
                        continue;
                    }
                    Some(l) if l.error.is_some() || l.addresses.is_empty() => {
                        base.cause = Some("dns-failure");
                        base.detail = Some(format!(
                            "{n} could not be resolved ({})",
                            l.error.as_deref().unwrap_or("no addresses")
                        ));
                        rows.push(base);
                        continue;
                    }
                    Some(l) => {
                        base.failed_step = None;
                        base.outcome = Verdict::NotProbed;
                        l.addresses
                            .iter()
                            .map(|ip: &IpAddr| PeerAddr::Tcp(SocketAddr::new(*ip, t.port)))
                            .collect()
                    }
                }
            }
        };
        for a in addrs {
            let mut row = base.clone();
            row.address = Some(a.key());
            row.detail = Some("the global deadline (--timeout) passed before the probe".into());
            work.push(Work {
                target: t,
                row: rows.len(),
                peer: a,
            });
            rows.push(row);
        }
    }
    // 3. probes, at most `per_peer` at a time to one address
    let state: Mutex<(Vec<bool>, HashMap<String, usize>)> =
        Mutex::new((vec![false; work.len()], HashMap::new()));
    let cv = Condvar::new();
    let done: Mutex<Vec<(usize, net::Exchange, u64)>> = Mutex::new(Vec::new());
    let per_peer = opts.per_peer.max(1);
    std::thread::scope(|sc| {
        for _ in 0..opts.jobs.clamp(1, work.len().max(1)) {
            sc.spawn(|| loop {
                let picked = {
                    let Ok(mut st) = state.lock() else { return };
                    loop {
                        let (taken, active) = &mut *st;
                        if taken.iter().all(|t| *t) {
                            break None;
                        }
                        let free = (0..work.len()).find(|&i| {
                            !taken[i]
                                && active.get(&work[i].peer.key()).copied().unwrap_or(0) < per_peer
                        });
                        if let Some(i) = free {
                            taken[i] = true;
                            *active.entry(work[i].peer.key()).or_default() += 1;
                            break Some(i);
                        }
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break None;
                        }
                        st = match cv.wait_timeout(st, left) {
                            Ok((g, _)) => g,
                            Err(_) => return,
                        };
                    }
                };
                let Some(i) = picked else { return };
                let w = &work[i];
                let (method, path) = match w.target.path.as_ref().or(opts.path.as_ref()) {
                    Some(p) => ("GET", p.as_str()),
                    None => ("HEAD", "/"),
                };
                let t0 = Instant::now();
                let ex = match &w.peer {
                    PeerAddr::Tcp(a) => net::probe(
                        &net::Peer::Tcp(*a),
                        &w.target.settings,
                        method,
                        path,
                        deadline,
                    ),
                    PeerAddr::Unix(p) => net::probe(
                        &net::Peer::Unix(Path::new(p)),
                        &w.target.settings,
                        method,
                        path,
                        deadline,
                    ),
                };
                let ms = t0.elapsed().as_millis() as u64;
                if let Ok(mut d) = done.lock() {
                    d.push((w.row, ex, ms));
                }
                if let Ok(mut st) = state.lock() {
                    if let Some(n) = st.1.get_mut(&w.peer.key()) {
                        *n = n.saturating_sub(1);
                    }
                }
                cv.notify_all();
            });
        }
    });
    let rows_done = done.into_inner().unwrap_or_default();
    #[cfg(target_os = "linux")]
    let root = perm::is_root();
    for (row, ex, ms) in rows_done {
        let r = &mut rows[row];
        #[cfg(target_os = "linux")]
        if root {
            if let Some(w) = work.iter().find(|w| w.row == row) {
                if let PeerAddr::Unix(p) = &w.peer {
                    let (user, group) = &w.target.settings.worker_user;
                    r.notes
                        .extend(perm::worker_denied(Path::new(p), user, group.as_deref()));
                }
            }
        }
        r.elapsed_ms = ms;
        r.connect_ms = ex.connect_ms;
        r.tls = ex.tls;
        r.request = ex.request;
        r.status = ex.status;
        r.response = ex.response;
        r.failed_step = ex.failed_step;
        match ex.failure {
            Some(f) => {
                r.outcome = Verdict::Failed;
                r.cause = f.cause;
                r.detail = Some(f.detail);
            }
            None => {
                r.outcome = Verdict::Ok;
                r.cause = None;
                r.detail = None;
            }
        }
    }
    // rows never started before the deadline
    for r in &mut rows {
        if r.outcome == Verdict::NotProbed && r.address.is_some() {
            r.outcome = Verdict::Failed;
        }
    }
    rows
}

/// The exit code the results call for: 0 all probed ok, 1 some failed.
pub fn any_failed(results: &[ProbeResult]) -> bool {
    results.iter().any(|r| r.outcome == Verdict::Failed)
}

/// Why a configuration cannot be probed (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Load(#[from] crate::load::LoadError),
    /// Syntax errors, one `file:line:col: …` line each.
    #[error("the configuration has syntax errors:\n{0}")]
    Syntax(String),
    #[error(transparent)]
    Target(#[from] TargetError),
}

/// What a configuration asks to probe.
pub struct Plan {
    pub targets: Vec<Target>,
    /// Locations with a `*_pass`, for `--via`.
    pub locations: Vec<via::ViaLocation>,
}

/// Read a configuration (with its includes) and list its targets and the
/// locations that pass to them. `prefix`: the directory relative paths
/// resolve against (default: nginx's conf prefix of the main file). `only`
/// keeps the named upstream groups (and locations that use them).
pub fn load_plan(path: &Path, prefix: Option<&Path>, only: &[String]) -> Result<Plan, ProbeError> {
    use crate::load::{LoadOptions, Loaded};
    let opts = LoadOptions {
        prefix: prefix.map(Path::to_path_buf),
        follow_includes: true,
        ..LoadOptions::default()
    };
    let mut loaded = Loaded::default();
    loaded.load_path(path, &opts)?;
    let errors: Vec<crate::diag::Diagnostic> = loaded
        .files
        .iter()
        .flat_map(|f| f.errors.iter().map(crate::diag::Diagnostic::from))
        .collect();
    if !errors.is_empty() {
        return Err(ProbeError::Syntax(crate::report::concise::render(
            &errors,
            &loaded.sources,
        )));
    }
    let roots: Vec<_> = loaded
        .roots
        .iter()
        .map(|&f| (f, crate::lint::infer_context(&loaded.file(f).root)))
        .collect();
    let model = crate::model::Model::build(&loaded, &roots);
    let conf_dir = match prefix {
        Some(p) => p.to_path_buf(),
        None => crate::load::conf_prefix(path),
    };
    let targets = targets(&model, &conf_dir, only)?;
    let mut locations = via::locations(&model, &conf_dir);
    if !only.is_empty() {
        locations.retain(|l| {
            l.targets
                .iter()
                .any(|t| only.iter().any(|o| o.eq_ignore_ascii_case(&t.upstream)))
        });
    }
    Ok(Plan { targets, locations })
}
