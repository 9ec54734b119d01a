//! The name lookups of `ngxray lint --resolve`, bounded as a whole.
//!
//! A config can name thousands of backends, and the resolver can be slow,
//! rate-limiting or silent. Lookups run in parallel on a small pool of
//! threads under ONE deadline for the whole run; a name without an answer by
//! then is "could not be checked", never "does not resolve" — only an
//! authoritative answer (NXDOMAIN, no address records, a definite
//! `getaddrinfo` failure) is a resolution failure.
//!
//! Two resolvers: the system's (`getaddrinfo`, as nginx does at load), or a
//! given server (`--resolver ADDR`) asked directly over UDP with the DNS
//! client of [`crate::dns`].

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::dns::{self, ResolverSettings, Site};

/// Default deadline for all lookups of one run.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

/// Lookups running at the same time: enough to finish thousands of names
/// within seconds, few enough not to flood a resolver.
pub const PARALLEL: usize = 32;

/// How `--resolve` looks names up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolveSettings {
    /// Deadline for all lookups together (`--resolve-timeout`); `None`: the
    /// rule's `timeout` option, else [`DEFAULT_DEADLINE`].
    pub deadline: Option<Duration>,
    /// Ask this DNS server instead of the system resolver (`--resolver`).
    pub server: Option<SocketAddr>,
    /// Show progress on stderr (set by the CLI when stderr is a terminal).
    pub progress: bool,
}

/// The result for one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The name has addresses.
    Found(Vec<IpAddr>),
    /// The resolver said the name has no address (NXDOMAIN, no records).
    Failed(String),
    /// No definite answer: the deadline passed, or the resolver failed
    /// (SERVFAIL, REFUSED, a temporary failure). Why, in words.
    Unchecked(String),
}

/// Parse a `--resolver` value: `IP`, `IP:PORT`, `[V6]:PORT` (port 53 when
/// none is given). Names are refused: the point is to choose the server.
pub fn parse_server(s: &str) -> Result<SocketAddr, String> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(sa);
    }
    if let Ok(ip) = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or("")
        .parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(format!(
        "invalid resolver address \"{s}\" (expected an IP address with an optional port, e.g. 10.0.0.2, 10.0.0.2:53 or [::1]:5353)"
    ))
}

/// Look every name up, in parallel, all within one deadline.
pub fn resolve_all(
    names: &[String],
    settings: &ResolveSettings,
    deadline: Duration,
) -> HashMap<String, Answer> {
    let start = Instant::now();
    let end = start + deadline;
    let total = names.len();
    let mut out: HashMap<String, Answer> = HashMap::with_capacity(total);
    if total == 0 {
        return out;
    }
    let queue: Arc<Mutex<VecDeque<String>>> = Arc::new(Mutex::new(names.iter().cloned().collect()));
    let (tx, rx) = mpsc::channel::<(String, Answer)>();
    for _ in 0..PARALLEL.min(total) {
        let queue = Arc::clone(&queue);
        let tx = tx.clone();
        let server = settings.server;
        // Detached: a lookup still blocked in getaddrinfo at the deadline is
        // abandoned (the process exits after the report).
        let spawned = std::thread::Builder::new()
            .name("ngxray-resolve".into())
            .spawn(move || loop {
                if Instant::now() >= end {
                    return;
                }
                let next = match queue.lock() {
                    Ok(mut q) => q.pop_front(),
                    Err(_) => None,
                };
                let Some(name) = next else { return };
                let answer = match server {
                    Some(addr) => ask_server(&name, addr, end),
                    None => ask_system(&name),
                };
                if tx.send((name, answer)).is_err() {
                    return;
                }
            });
        if spawned.is_err() {
            break; // fewer workers; the ones running still drain the queue
        }
    }
    drop(tx);
    let bar = settings.progress.then(|| progress_bar(total as u64));
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match rx.recv_timeout(left.min(Duration::from_millis(200))) {
            Ok((name, answer)) => {
                out.insert(name, answer);
                if let Some(b) = &bar {
                    b.set_position(out.len() as u64);
                }
                if out.len() == total {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let waited = crate::model::values::format_time(deadline.as_millis() as u64);
    let who = match settings.server {
        Some(s) => format!("resolver {s}"),
        None => "system resolver".to_string(),
    };
    for n in names {
        out.entry(n.clone()).or_insert_with(|| {
            Answer::Unchecked(format!(
                "{who}: no answer within the {waited} deadline of --resolve"
            ))
        });
    }
    out
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} resolving host names {pos}/{len} {elapsed}",
    ) {
        b.set_style(style);
    }
    b
}

/// `getaddrinfo`, as nginx does when it loads the config.
fn ask_system(name: &str) -> Answer {
    match (name, 0u16).to_socket_addrs() {
        Ok(it) => {
            let mut ips: Vec<IpAddr> = it.map(|s| s.ip()).collect();
            ips.sort();
            ips.dedup();
            if ips.is_empty() {
                Answer::Failed("system resolver: no addresses".into())
            } else {
                Answer::Found(ips)
            }
        }
        Err(e) => classify_system_error(&e.to_string()),
    }
}

/// A `getaddrinfo` failure: "temporary failure" (EAI_AGAIN: the DNS server
/// did not answer or failed) is not an answer about the name.
fn classify_system_error(msg: &str) -> Answer {
    let m = msg.to_ascii_lowercase();
    if m.contains("temporary failure") || m.contains("try again") || m.contains("timed out") {
        Answer::Unchecked(format!("system resolver: {msg}"))
    } else {
        Answer::Failed(format!("system resolver: {msg}"))
    }
}

/// One DNS server, asked over UDP for A and AAAA.
fn ask_server(name: &str, server: SocketAddr, end: Instant) -> Answer {
    let rs = ResolverSettings {
        servers: vec![server.to_string()],
        timeout_ms: end
            .saturating_duration_since(Instant::now())
            .as_millis()
            .max(1) as u64,
        ipv4: true,
        ipv6: true,
        site: Site {
            file: String::new(),
            line: 0,
            offset: 0,
        },
    };
    let l = dns::resolver(name, &rs, end);
    classify_server_answer(server, l)
}

fn classify_server_answer(server: SocketAddr, l: dns::Lookup) -> Answer {
    if !l.addresses.is_empty() {
        let mut ips = l.addresses;
        ips.sort();
        ips.dedup();
        return Answer::Found(ips);
    }
    let e = l.error.unwrap_or_else(|| "no addresses".into());
    // Only NXDOMAIN and "no address records" say the name has no address;
    // SERVFAIL, REFUSED, timeouts say nothing about it.
    if e.starts_with("NXDOMAIN") || e.starts_with("no address records") {
        Answer::Failed(format!("resolver {server}: {e}"))
    } else {
        Answer::Unchecked(format!("resolver {server}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_parse() {
        assert_eq!(
            parse_server("10.0.0.2").unwrap(),
            "10.0.0.2:53".parse().unwrap()
        );
        assert_eq!(
            parse_server("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(parse_server("[::1]").unwrap(), "[::1]:53".parse().unwrap());
        assert_eq!(
            parse_server("[::1]:5353").unwrap(),
            "[::1]:5353".parse().unwrap()
        );
        assert!(parse_server("dns.example").is_err());
        assert!(parse_server("10.0.0.2:99999").is_err());
    }

    #[test]
    fn temporary_failures_are_not_answers() {
        assert!(matches!(
            classify_system_error("Temporary failure in name resolution"),
            Answer::Unchecked(_)
        ));
        assert!(matches!(
            classify_system_error(
                "failed to lookup address information: Name or service not known"
            ),
            Answer::Failed(_)
        ));
    }

    #[test]
    fn server_errors_other_than_nxdomain_are_not_answers() {
        let s: SocketAddr = "127.0.0.1:53".parse().unwrap();
        let l = |e: &str| dns::Lookup {
            addresses: Vec::new(),
            error: Some(e.into()),
            server: None,
            elapsed_ms: 0,
        };
        assert!(matches!(
            classify_server_answer(s, l("NXDOMAIN (3: Host not found)")),
            Answer::Failed(_)
        ));
        assert!(matches!(
            classify_server_answer(s, l("no address records (3: Host not found)")),
            Answer::Failed(_)
        ));
        for e in [
            "SERVFAIL (2: Server failure)",
            "REFUSED (5: Operation refused)",
            "timeout (110: Operation timed out)",
        ] {
            assert!(
                matches!(classify_server_answer(s, l(e)), Answer::Unchecked(_)),
                "{e}"
            );
        }
    }

    #[test]
    fn empty_list_returns_at_once() {
        let r = resolve_all(&[], &ResolveSettings::default(), Duration::from_secs(60));
        assert!(r.is_empty());
    }
}
