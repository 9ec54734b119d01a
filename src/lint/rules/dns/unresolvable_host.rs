//! `dns/unresolvable-host` (only with `--resolve`): looks every literal
//! backend host name up through the system resolver — in parallel, with a
//! timeout, once per name — and reports the names that do not resolve.
//! nginx refuses to start on them: `host not found in upstream`.

use std::collections::{BTreeMap, HashMap};
use std::net::ToSocketAddrs;
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::Duration;

use serde::Deserialize;

use crate::diag::{Diagnostic, Severity};
use crate::lint::rule::{PositiveTime, RuleContext};
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::values::format_time;
use crate::model::{Host, PassModule};
use crate::rule;
use crate::syntax::Span;

pub const RULE: Rule = rule! {
    id: "dns/unresolvable-host",
    severity: Error,
    summary: "backend host name that the system resolver cannot resolve (only with --resolve)",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."dns/unresolvable-host"]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// How long to wait for each lookup (nginx time, default `3s`).
    pub timeout: PositiveTime,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: PositiveTime(3000),
        }
    }
}

/// The answer of the system resolver for one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Vec<std::net::IpAddr>),
    Failed(String),
    TimedOut,
}

fn cache() -> &'static Mutex<HashMap<String, Lookup>> {
    static C: OnceLock<Mutex<HashMap<String, Lookup>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Resolve names in parallel (one thread per name, at most 16 at a time),
/// waiting at most `timeout` per batch. Answers are cached for the process.
pub fn resolve_all(names: &[String], timeout: Duration) -> HashMap<String, Lookup> {
    let mut out = HashMap::new();
    let mut todo = Vec::new();
    if let Ok(c) = cache().lock() {
        for n in names {
            match c.get(n) {
                Some(l) => {
                    out.insert(n.clone(), l.clone());
                }
                None => todo.push(n.clone()),
            }
        }
    } else {
        todo = names.to_vec();
    }
    for batch in todo.chunks(16) {
        let (tx, rx) = mpsc::channel();
        for n in batch {
            let tx = tx.clone();
            let n = n.clone();
            // detached: a lookup stuck past the timeout does not block us
            let _ = std::thread::Builder::new()
                .name("ngxray-resolve".into())
                .spawn(move || {
                    let r = match (n.as_str(), 0u16).to_socket_addrs() {
                        Ok(a) => {
                            let mut ips: Vec<_> = a.map(|s| s.ip()).collect();
                            ips.sort();
                            ips.dedup();
                            if ips.is_empty() {
                                Lookup::Failed("no addresses".into())
                            } else {
                                Lookup::Found(ips)
                            }
                        }
                        Err(e) => Lookup::Failed(e.to_string()),
                    };
                    let _ = tx.send((n, r));
                });
        }
        drop(tx);
        let deadline = std::time::Instant::now() + timeout;
        let mut got = 0;
        while got < batch.len() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok((n, r)) => {
                    got += 1;
                    out.insert(n, r);
                }
                Err(_) => break,
            }
        }
        for n in batch {
            out.entry(n.clone()).or_insert(Lookup::TimedOut);
        }
    }
    if let Ok(mut c) = cache().lock() {
        for (n, l) in &out {
            if *l != Lookup::TimedOut {
                c.insert(n.clone(), l.clone());
            }
        }
    }
    out
}

fn check(cx: &RuleContext<'_, Options>, out: &mut Vec<Diagnostic>) {
    let m = cx.model;
    let opts = &cx.options;
    let timeout = Duration::from_millis(opts.timeout.0);
    // name → (directive, span of the address) in read order
    let mut uses: BTreeMap<String, Vec<(&'static str, Span, String)>> = BTreeMap::new();
    for p in &m.passes {
        if p.target.has_variables || p.explicit_upstream(&m.upstreams).is_some() {
            continue;
        }
        let Host::Name(n) = &p.target.host else {
            continue;
        };
        if p.target.port.is_none() && p.module != PassModule::Proxy {
            continue; // `fastcgi_pass name;`: an upstream name, not a host
        }
        uses.entry(n.to_ascii_lowercase()).or_default().push((
            p.module.directive(),
            p.directive.args[0].span,
            p.target.raw.clone(),
        ));
    }
    for (_, u) in m.upstreams.explicit() {
        for s in &u.servers {
            let Host::Name(n) = &s.address.host else {
                continue;
            };
            if s.address.params.resolve || s.address.params.service.is_some() {
                continue; // resolved at run time; nginx starts anyway
            }
            uses.entry(n.to_ascii_lowercase()).or_default().push((
                "server",
                s.directive.args[0].span,
                s.directive.arg(0).unwrap_or_default().to_string(),
            ));
        }
    }
    if uses.is_empty() {
        return;
    }
    let names: Vec<String> = uses.keys().cloned().collect();
    let answers = resolve_all(&names, timeout);
    for (name, sites) in &uses {
        let answer = answers.get(name).cloned().unwrap_or(Lookup::TimedOut);
        let (msg, sev) = match &answer {
            Lookup::Found(_) => continue,
            Lookup::Failed(e) => (
                format!("\"{name}\" does not resolve here (system resolver: {e}): nginx stops with host not found in upstream \"{name}\""),
                META.severity,
            ),
            Lookup::TimedOut => (
                format!("looking up \"{name}\" timed out after {}: nginx may fail to start with host not found in upstream \"{name}\"", format_time(timeout.as_millis() as u64)),
                Severity::Warning,
            ),
        };
        for (directive, span, raw) in sites {
            let mut d = diag(&META, format!("{directive} \"{raw}\": {msg}"))
                .with_span(*span)
                .with_label("no address for this name")
                .with_help("fix the name, make it resolvable where nginx runs, or resolve at run time (`resolver` + a variable) so nginx can start without it");
            d.severity = sev;
            out.push(d);
        }
    }
}
