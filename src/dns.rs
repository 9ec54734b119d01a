//! Name resolution the two ways nginx does it. At load, nginx calls the
//! system resolver (`getaddrinfo`: /etc/hosts, then DNS) once per literal
//! name; at run time (`server … resolve`, `*_pass` with variables) its own
//! stub resolver asks the `resolver` servers over UDP, A and AAAA, resending
//! to the next server every 5 seconds until `resolver_timeout`. The second
//! is reproduced here with hickory-proto messages over a UDP socket, so the
//! answer is the one those servers give, not the system's.
//!
//! A bottom module of its own: `probe` and `lint --resolve` (`resolve`) both
//! ask DNS through it, so neither depends on the other.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

use crate::model::Model;
use crate::syntax::Directive;

/// A place in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Site {
    pub file: String,
    pub line: usize,
    /// Byte offset of the directive: tells apart two on one line.
    #[serde(skip)]
    pub offset: usize,
}

impl Site {
    pub fn of(model: &Model<'_>, d: &Directive) -> Site {
        let f = model.loaded.sources.get(d.file());
        Site {
            file: f.path().display().to_string(),
            line: f.line_of(d.span().start()),
            offset: d.span().start(),
        }
    }
}

/// nginx's `resolver` in effect for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverSettings {
    /// `host[:port]` as written (IP literals, or names resolved at load).
    pub servers: Vec<String>,
    pub timeout_ms: u64,
    pub ipv4: bool,
    pub ipv6: bool,
    pub site: Site,
}

/// The answer of one resolver view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lookup {
    /// Addresses in the order given (A before AAAA for the resolver view).
    pub addresses: Vec<IpAddr>,
    /// Why there are none: `NXDOMAIN (3: Host not found)`, `SERVFAIL (2:
    /// Server failure)`, `timeout (110: Operation timed out)`, …
    pub error: Option<String>,
    /// The resolver that answered (resolver view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    pub elapsed_ms: u64,
}

impl Lookup {
    fn failed(error: String, start: Instant) -> Lookup {
        Lookup {
            addresses: Vec::new(),
            error: Some(error),
            server: None,
            elapsed_ms: start.elapsed().as_millis() as u64,
        }
    }
}

/// What nginx did at load: `getaddrinfo`, bounded by `timeout` (a lookup
/// still running then is abandoned on its thread).
pub fn system(name: &str, timeout: Duration) -> Lookup {
    let start = Instant::now();
    let (tx, rx) = mpsc::channel();
    let owned = name.to_string();
    let spawned = std::thread::Builder::new()
        .name("probe-getaddrinfo".into())
        .spawn(move || {
            let r = (owned.as_str(), 0u16).to_socket_addrs().map(|it| {
                let mut v: Vec<IpAddr> = Vec::new();
                for a in it {
                    if !v.contains(&a.ip()) {
                        v.push(a.ip());
                    }
                }
                v
            });
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return Lookup::failed(format!("cannot start a lookup: {e}"), start);
    }
    match rx.recv_timeout(timeout) {
        Ok(Ok(v)) if v.is_empty() => Lookup::failed("no addresses".into(), start),
        Ok(Ok(addresses)) => Lookup {
            addresses,
            error: None,
            server: None,
            elapsed_ms: start.elapsed().as_millis() as u64,
        },
        Ok(Err(e)) => Lookup::failed(describe_gai(&e.to_string()), start),
        Err(_) => Lookup::failed("timeout (110: Operation timed out)".into(), start),
    }
}

/// `getaddrinfo` messages in the words of nginx's resolver.
fn describe_gai(msg: &str) -> String {
    let m = msg.to_ascii_lowercase();
    if m.contains("not known") || m.contains("no address associated") || m.contains("nodename") {
        format!("NXDOMAIN (3: Host not found): {msg}")
    } else if m.contains("temporary failure") {
        format!("SERVFAIL or timeout (temporary failure): {msg}")
    } else {
        msg.to_string()
    }
}

/// A `resolver` argument as a socket address (`ip`, `ip:port`, `[v6]:port`,
/// or a name nginx resolved at load).
pub fn resolver_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(sa);
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    let with_port = if s
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        s.to_string()
    } else {
        format!("{s}:53")
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| format!("resolver {s}: {e}"))?
        .next()
        .ok_or_else(|| format!("resolver {s}: no address"))
}

fn rcode_text(rc: ResponseCode) -> String {
    match rc {
        ResponseCode::FormErr => "FORMERR (1: Format error)".into(),
        ResponseCode::ServFail => "SERVFAIL (2: Server failure)".into(),
        ResponseCode::NXDomain => "NXDOMAIN (3: Host not found)".into(),
        ResponseCode::NotImp => "NOTIMP (4: Unimplemented)".into(),
        ResponseCode::Refused => "REFUSED (5: Operation refused)".into(),
        other => format!("{other} ({}: DNS error)", u16::from(other)),
    }
}

/// One outstanding question.
struct Pending {
    id: u16,
    rtype: RecordType,
    bytes: Vec<u8>,
    answer: Option<Result<Vec<IpAddr>, ResponseCode>>,
}

/// What nginx does at run time: ask the `resolver` servers, bounded by
/// `resolver_timeout` and `deadline`.
pub fn resolver(name: &str, rs: &ResolverSettings, deadline: Instant) -> Lookup {
    let start = Instant::now();
    let end = deadline.min(start + Duration::from_millis(rs.timeout_ms));
    let servers: Vec<SocketAddr> = match rs.servers.iter().map(|s| resolver_addr(s)).collect() {
        Ok(v) => v,
        Err(e) => return Lookup::failed(e, start),
    };
    let Some(first) = servers.first() else {
        return Lookup::failed("resolver has no address".into(), start);
    };
    let qname = match Name::from_ascii(name) {
        Ok(mut n) => {
            n.set_fqdn(true);
            n
        }
        Err(e) => return Lookup::failed(format!("invalid name: {e}"), start),
    };
    let bind: SocketAddr = if first.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let sock = match UdpSocket::bind(bind) {
        Ok(s) => s,
        Err(e) => return Lookup::failed(format!("cannot open a UDP socket: {e}"), start),
    };
    let seed = (start.elapsed().as_nanos() as u16) ^ (std::process::id() as u16) ^ 0x5a5a;
    let mut pending: Vec<Pending> = Vec::new();
    let types: Vec<RecordType> = [(rs.ipv4, RecordType::A), (rs.ipv6, RecordType::AAAA)]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, t)| t)
        .collect();
    for (i, rtype) in types.into_iter().enumerate() {
        let id = seed.wrapping_add(i as u16 * 7919);
        let mut m = Message::new();
        m.set_id(id)
            .set_message_type(MessageType::Query)
            .set_op_code(OpCode::Query)
            .set_recursion_desired(true);
        m.add_query(Query::query(qname.clone(), rtype));
        match m.to_vec() {
            Ok(bytes) => pending.push(Pending {
                id,
                rtype,
                bytes,
                answer: None,
            }),
            Err(e) => return Lookup::failed(format!("cannot encode the query: {e}"), start),
        }
    }
    let mut server_i = 0usize;
    let mut answered_by: Option<SocketAddr> = None;
    let mut send_errors: Vec<String> = Vec::new();
    'rounds: loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let to = servers[server_i % servers.len()];
        server_i += 1;
        for p in pending.iter().filter(|p| p.answer.is_none()) {
            if let Err(e) = sock.send_to(&p.bytes, to) {
                send_errors.push(format!("{to}: {e}"));
            }
        }
        // nginx resends to the next server after 5 s
        let round_end = end.min(now + Duration::from_secs(5));
        let mut buf = [0u8; 4096];
        loop {
            let left = round_end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                continue 'rounds;
            }
            if sock.set_read_timeout(Some(left)).is_err() {
                break 'rounds;
            }
            let (n, from) = match sock.recv_from(&mut buf) {
                Ok(r) => r,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue 'rounds
                }
                // ICMP port unreachable from a server: try the next one
                Err(e) => {
                    send_errors.push(format!("{to}: {e}"));
                    std::thread::sleep(left.min(Duration::from_millis(50)));
                    continue 'rounds;
                }
            };
            if !servers.contains(&from) {
                continue;
            }
            let Ok(msg) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let Some(p) = pending
                .iter_mut()
                .find(|p| p.id == msg.id() && p.answer.is_none())
            else {
                continue;
            };
            answered_by.get_or_insert(from);
            let rc = msg.response_code();
            p.answer = Some(if rc == ResponseCode::NoError {
                let rtype = p.rtype;
                Ok(msg
                    .answers()
                    .iter()
                    .filter_map(|r| match r.data() {
                        RData::A(a) if rtype == RecordType::A => Some(IpAddr::V4(a.0)),
                        RData::AAAA(a) if rtype == RecordType::AAAA => Some(IpAddr::V6(a.0)),
                        _ => None,
                    })
                    .collect())
            } else {
                Err(rc)
            });
            if pending.iter().all(|p| p.answer.is_some()) {
                break 'rounds;
            }
        }
    }
    let elapsed_ms = start.elapsed().as_millis() as u64;
    let mut addresses = Vec::new();
    let mut error = None;
    for p in &pending {
        match &p.answer {
            Some(Ok(a)) => addresses.extend(a.iter().copied()),
            Some(Err(rc)) => {
                error.get_or_insert_with(|| rcode_text(*rc));
            }
            None => {}
        }
    }
    let all_answered = pending.iter().all(|p| p.answer.is_some());
    let error = if !addresses.is_empty() {
        None
    } else if let Some(e) = error {
        Some(e)
    } else if all_answered {
        Some("no address records (3: Host not found)".into())
    } else if !send_errors.is_empty() && answered_by.is_none() {
        Some(format!(
            "timeout (110: Operation timed out); {}",
            send_errors.join("; ")
        ))
    } else {
        Some("timeout (110: Operation timed out)".into())
    };
    Lookup {
        addresses,
        error,
        server: answered_by.map(|s| s.to_string()),
        elapsed_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_addresses() {
        assert_eq!(
            resolver_addr("127.0.0.1").unwrap(),
            "127.0.0.1:53".parse().unwrap()
        );
        assert_eq!(
            resolver_addr("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            resolver_addr("[::1]:5353").unwrap(),
            "[::1]:5353".parse().unwrap()
        );
        assert_eq!(resolver_addr("[::1]").unwrap(), "[::1]:53".parse().unwrap());
    }

    #[test]
    fn gai_messages_read_like_nginx() {
        assert!(
            describe_gai("failed to lookup address information: Name or service not known")
                .starts_with("NXDOMAIN")
        );
        assert!(describe_gai("Temporary failure in name resolution").starts_with("SERVFAIL"));
    }
}
