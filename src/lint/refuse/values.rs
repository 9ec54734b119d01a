//! Value shapes `nginx -t` refuses: numbers, `listen` addresses, CIDR
//! masks, the named captures of a regex.

use std::net::Ipv6Addr;

use crate::syntax::Directive;

/// `ngx_atoi`: digits only, no sign, no overflow.
pub(super) fn atoi(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 18 {
        return None;
    }
    s.parse().ok()
}

/// The normalised address of a `listen` (as nginx prints it in `a duplicate
/// listen ...`), `Ok(None)` when it cannot be known here (host names,
/// variables), or nginx's parse error for a bracketed IPv6 address.
pub(super) fn listen_address(d: &Directive) -> Result<Option<String>, &'static str> {
    let Some(a) = d.arg(0) else { return Ok(None) };
    if let Some(path) = a.strip_prefix("unix:") {
        return Ok(Some(format!("unix:{path}")));
    }
    if let Some(rest) = a.strip_prefix('[') {
        let Some((host, tail)) = rest.split_once(']') else {
            return Err("invalid host");
        };
        let port = match tail {
            "" => 80,
            t => match t.strip_prefix(':') {
                Some(p) => match p.parse::<u32>() {
                    Ok(n) if (1..=65535).contains(&n) && !p.starts_with('+') => n,
                    _ => return Err("invalid port"),
                },
                None => return Err("invalid host"),
            },
        };
        let ip: Ipv6Addr = host.parse().map_err(|_| "invalid IPv6 address")?;
        let ip = if ip.is_unspecified() {
            "::".to_string()
        } else {
            ip.to_string()
        };
        return Ok(Some(format!("[{ip}]:{port}")));
    }
    // IPv4: `port`, `*:port`, `a.b.c.d[:port]`, `*`
    let (host, port) = match a.rsplit_once(':') {
        Some((h, p)) => (h, p),
        None if a.bytes().all(|b| b.is_ascii_digit()) => ("*", a),
        None => (a, "80"),
    };
    let Ok(port) = port.parse::<u16>() else {
        return Ok(None);
    };
    if port == 0 {
        return Ok(None);
    }
    let host = if host == "*" {
        "0.0.0.0".to_string()
    } else if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
        ip.to_string()
    } else {
        return Ok(None);
    };
    Ok(Some(format!("{host}:{port}")))
}

/// `ngx_ptocidr`: an address, or address/prefix within its length.
pub(super) fn valid_cidr(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let max = if addr.parse::<std::net::Ipv4Addr>().is_ok() {
        32
    } else if addr.parse::<Ipv6Addr>().is_ok() {
        128
    } else {
        return false;
    };
    match prefix {
        None => true,
        Some(p) => {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= max)
        }
    }
}

/// `ngx_parse_inet6_url` on a bracketed address of an upstream (`server`
/// of `upstream`, `*_pass`): nginx's error, if any. `uri_part`: a path may
/// follow (`proxy_pass`).
pub(super) fn inet6_url(s: &str, uri_part: bool) -> Result<(), &'static str> {
    let Some(rest) = s.strip_prefix('[') else {
        return Ok(());
    };
    let Some((host, tail)) = rest.split_once(']') else {
        return Err("invalid host");
    };
    let tail = match tail.find('/') {
        Some(_) if !uri_part => return Err("invalid host"),
        Some(i) => &tail[..i],
        None => tail,
    };
    if !tail.is_empty() {
        let Some(port) = tail.strip_prefix(':') else {
            return Err("invalid host");
        };
        if !atoi(port).is_some_and(|n| (1..=65535).contains(&n)) {
            return Err("invalid port");
        }
    }
    if host.is_empty() {
        return Err("no host");
    }
    if host.parse::<Ipv6Addr>().is_err() {
        return Err("invalid IPv6 address");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{parse, FileId};

    fn listen(s: &str) -> Result<Option<String>, &'static str> {
        let p = parse(format!("listen {s};").as_bytes(), FileId(0));
        listen_address(&p.root.directives[0])
    }

    #[test]
    fn listen_addresses_as_nginx_prints_them() {
        assert_eq!(listen("80"), Ok(Some("0.0.0.0:80".into())));
        assert_eq!(listen("*:80"), Ok(Some("0.0.0.0:80".into())));
        assert_eq!(listen("127.0.0.1"), Ok(Some("127.0.0.1:80".into())));
        assert_eq!(listen("[::]:8080"), Ok(Some("[::]:8080".into())));
        assert_eq!(listen("[0::0]:8080"), Ok(Some("[::]:8080".into())));
        assert_eq!(listen("[::1]"), Ok(Some("[::1]:80".into())));
        assert_eq!(listen("localhost:80"), Ok(None));
        assert_eq!(listen("unix:/a"), Ok(Some("unix:/a".into())));
        assert_eq!(listen("[:::80"), Err("invalid host"));
        assert_eq!(listen("[::1]x"), Err("invalid host"));
        assert_eq!(listen("[::1]:"), Err("invalid port"));
        assert_eq!(listen("[::1]:99999"), Err("invalid port"));
        assert_eq!(listen("[zz]:80"), Err("invalid IPv6 address"));
    }
}
