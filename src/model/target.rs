//! Addresses as nginx reads them: `*_pass` targets (`http://host:port/uri`,
//! `unix:/path`, `$scheme://$host`, `grpcs://…`) and upstream `server`
//! addresses with their parameters (`max_fails=`, `fail_timeout=`, `backup`,
//! `down`, `resolve`, …). Parsing is purely textual, with nom combinators
//! ([`scheme`], [`unix_path`], [`authority`], [`bracketed`], [`host_port`],
//! [`param`]) that the grammar checks (`lint::grammar::values`) share; the
//! upstream index in [`super::upstream`] links targets to `upstream {}`
//! blocks.

use std::net::IpAddr;

use compact_str::CompactString;

use nom::bytes::complete::{tag, take_till, take_until};
use nom::character::complete::char;
use nom::combinator::{all_consuming, opt, recognize, rest};
use nom::sequence::{delimited, pair, preceded, separated_pair, terminated};
use nom::IResult;

use super::values::{parse_time_sec, Millis};

/// What the address combinators return (over `&str`: their results are
/// parts of words).
pub type StrRes<'a, O> = IResult<&'a str, O, ()>;

/// `scheme://`: the scheme, up to the first `://` (whatever it holds).
pub fn scheme(i: &str) -> StrRes<'_, &str> {
    terminated(take_until("://"), tag("://"))(i)
}

/// `unix:` and the rest: the path (and, for `proxy_pass`, `:uri`).
pub fn unix_path(i: &str) -> StrRes<'_, &str> {
    preceded(tag("unix:"), rest)(i)
}

/// The authority (`host[:port]`) of a URL without scheme: up to the first
/// `/`, where the URI starts.
pub fn authority(i: &str) -> StrRes<'_, &str> {
    take_till(|c| c == '/')(i)
}

/// `[…]` (an IPv6 literal), brackets included.
pub fn bracketed(i: &str) -> StrRes<'_, &str> {
    recognize(delimited(char('['), take_till(|c| c == ']'), char(']')))(i)
}

/// `host:port` with exactly one colon: host and port text (either may be
/// empty).
pub fn host_port(i: &str) -> StrRes<'_, (&str, &str)> {
    all_consuming(separated_pair(
        take_till(|c| c == ':'),
        char(':'),
        take_till(|c| c == ':'),
    ))(i)
}

/// An upstream `server` or `listen` parameter: `key=value` (key and value)
/// or `key` alone.
pub fn param(i: &str) -> StrRes<'_, (&str, Option<&str>)> {
    pair(take_till(|c| c == '='), opt(preceded(char('='), rest)))(i)
}

/// The module a `*_pass` directive belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassModule {
    Proxy,
    Fastcgi,
    Uwsgi,
    Scgi,
    Grpc,
    Memcached,
    /// `proxy_pass` in a `stream { server {} }`.
    StreamProxy,
}

impl PassModule {
    /// The module for a directive name in an http (`stream == false`) or
    /// stream context.
    pub fn of(name: &str, stream: bool) -> Option<PassModule> {
        Some(match name {
            "proxy_pass" if stream => PassModule::StreamProxy,
            "proxy_pass" => PassModule::Proxy,
            "fastcgi_pass" => PassModule::Fastcgi,
            "uwsgi_pass" => PassModule::Uwsgi,
            "scgi_pass" => PassModule::Scgi,
            "grpc_pass" => PassModule::Grpc,
            "memcached_pass" => PassModule::Memcached,
            _ => return None,
        })
    }

    /// Directive-name prefix of the module's settings (`proxy`, `fastcgi`, …):
    /// `format!("{}_read_timeout", m.prefix())`.
    pub fn prefix(self) -> &'static str {
        match self {
            PassModule::Proxy | PassModule::StreamProxy => "proxy",
            PassModule::Fastcgi => "fastcgi",
            PassModule::Uwsgi => "uwsgi",
            PassModule::Scgi => "scgi",
            PassModule::Grpc => "grpc",
            PassModule::Memcached => "memcached",
        }
    }

    /// The pass directive's name.
    pub fn directive(self) -> &'static str {
        match self {
            PassModule::Proxy | PassModule::StreamProxy => "proxy_pass",
            PassModule::Fastcgi => "fastcgi_pass",
            PassModule::Uwsgi => "uwsgi_pass",
            PassModule::Scgi => "scgi_pass",
            PassModule::Grpc => "grpc_pass",
            PassModule::Memcached => "memcached_pass",
        }
    }

    pub fn is_stream(self) -> bool {
        self == PassModule::StreamProxy
    }
}

/// The host part of an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// `unix:/path` (the path).
    Unix(String),
    /// An IPv4 or IPv6 literal.
    Ip(IpAddr),
    /// A literal name (`backend`, `api.example.com`, `localhost`).
    Name(String),
    /// The host contains variables (`$upstream_app`, `${host}`): the text.
    Variable(String),
}

impl Host {
    pub fn name(&self) -> Option<&str> {
        match self {
            Host::Name(n) => Some(n),
            _ => None,
        }
    }
}

/// A parsed `*_pass` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassTarget {
    /// The argument as written.
    pub raw: CompactString,
    /// `http`, `https`, `grpc`, `grpcs`, `uwsgi`, `suwsgi`; `None` when
    /// absent (fastcgi/scgi/memcached, stream) or itself a variable.
    pub scheme: Option<CompactString>,
    pub host: Host,
    /// Explicit port.
    pub port: Option<u16>,
    /// The URI part (`/api/`), when given.
    pub uri: Option<CompactString>,
    /// The argument contains variables anywhere (nginx then evaluates it per
    /// request and resolves the host at run time).
    pub has_variables: bool,
    /// The scheme is a variable (`$scheme://…`).
    pub variable_scheme: bool,
}

impl PassTarget {
    /// The port nginx uses: explicit, else the scheme's default for
    /// `proxy_pass` (80/443); `None` for modules with no default port.
    pub fn effective_port(&self) -> Option<u16> {
        self.port.or(match self.scheme.as_deref() {
            Some("http") => Some(80),
            Some("https") => Some(443),
            _ => None,
        })
    }

    /// `host[:port]` as nginx names an implicit upstream.
    pub fn authority(&self) -> String {
        let h = match &self.host {
            Host::Unix(p) => format!("unix:{p}"),
            Host::Ip(IpAddr::V6(a)) => format!("[{a}]"),
            Host::Ip(a) => a.to_string(),
            Host::Name(n) | Host::Variable(n) => n.clone(),
        };
        match self.port {
            Some(p) => format!("{h}:{p}"),
            None => h,
        }
    }
}

/// Does this text contain an nginx variable (`$name`, `${name}`, `$1`)?
pub fn has_variable(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b'$', b).any(|i| {
        b.get(i + 1)
            .is_some_and(|&n| n == b'{' || n == b'_' || n.is_ascii_alphanumeric())
    })
}

/// Variable names used in a text (`$a$b` → `["a", "b"]`; `${x}` → `x`).
pub fn variables(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        i += 1;
        if b.get(i) == Some(&b'{') {
            let start = i + 1;
            if let Some(end) = s[start..].find('}') {
                out.push(&s[start..start + end]);
                i = start + end + 1;
            }
            continue;
        }
        let start = i;
        while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
            i += 1;
        }
        if i > start {
            out.push(&s[start..i]);
        }
    }
    out
}

fn classify_host(h: &str) -> Host {
    if has_variable(h) {
        return Host::Variable(h.to_string());
    }
    let bare = h
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h);
    // only hex digits, dots and colons make an address: skip the parser
    // for the usual names
    let maybe_ip = bare
        .bytes()
        .all(|c| c.is_ascii_hexdigit() || c == b'.' || c == b':');
    match maybe_ip.then(|| bare.parse::<IpAddr>().ok()).flatten() {
        Some(ip) => Host::Ip(ip),
        None => Host::Name(h.to_string()),
    }
}

/// Split `host[:port]` (with `[v6]:port`); `None` port when absent or not a
/// number (a variable port).
fn split_host_port(s: &str) -> (&str, Option<u16>) {
    if let Ok((after, host)) = bracketed(s) {
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return (host, port);
    }
    match host_port(s) {
        Ok((_, (host, port))) => (host, port.parse().ok()),
        // no colon, or a bare IPv6 literal (several colons)
        Err(_) => (s, None),
    }
}

/// Parse a `*_pass` argument for a module.
pub fn parse_pass(raw: &str, module: PassModule) -> PassTarget {
    let has_variables = has_variable(raw);
    let mut scheme_name = None;
    let mut variable_scheme = false;
    let rest = match scheme(raw) {
        Ok((rest, s)) => {
            if has_variable(s) {
                variable_scheme = true;
            } else {
                let mut name = CompactString::from(s);
                name.make_ascii_lowercase();
                scheme_name = Some(name);
            }
            rest
        }
        Err(_) => raw,
    };
    // unix sockets: `unix:/path` or, for proxy_pass, `http://unix:/path:/uri`
    if let Ok((_, p)) = unix_path(rest) {
        let (path, uri) = match module {
            PassModule::Proxy => match p.split_once(':') {
                Some((path, uri)) => (path, Some(uri.into())),
                None => (p, None),
            },
            _ => (p, None),
        };
        return PassTarget {
            raw: raw.into(),
            scheme: scheme_name,
            host: Host::Unix(path.to_string()),
            port: None,
            uri: uri.filter(|u: &CompactString| !u.is_empty()),
            has_variables,
            variable_scheme,
        };
    }
    let (uri, authority) = match authority(rest) {
        Ok(split) => split,
        Err(_) => ("", rest),
    };
    // a variable port (`host:$port`) keeps the host literal but the target
    // is evaluated per request
    let (host, port) = split_host_port(authority);
    PassTarget {
        raw: raw.into(),
        scheme: scheme_name,
        host: classify_host(host),
        port,
        uri: (!uri.is_empty()).then(|| uri.into()),
        has_variables,
        variable_scheme,
    }
}

/// Parameters of an upstream `server` entry (absent = nginx default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerParams {
    pub weight: Option<u32>,
    /// `max_fails=N` (default 1; 0 disables failure accounting).
    pub max_fails: Option<u32>,
    /// `fail_timeout=T` in milliseconds (default 10s).
    pub fail_timeout: Option<Millis>,
    pub backup: bool,
    pub down: bool,
    pub resolve: bool,
    pub service: Option<String>,
    pub max_conns: Option<u32>,
    /// Parameters ngxray does not interpret (`slow_start=`, `route=`, `drain`, …).
    pub other: Vec<String>,
}

/// A parsed upstream `server address [params]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddress {
    pub host: Host,
    pub port: Option<u16>,
    pub params: ServerParams,
}

/// Parse the arguments of a `server` directive inside `upstream {}`.
pub fn parse_server(args: &[&str]) -> Option<ServerAddress> {
    let (addr, params) = args.split_first()?;
    let (host, port) = if let Ok((_, p)) = unix_path(addr) {
        (Host::Unix(p.to_string()), None)
    } else {
        let (h, port) = split_host_port(addr);
        (classify_host(h), port)
    };
    let mut out = ServerParams::default();
    for p in params {
        let (k, v) = param(p).map_or((*p, None), |(_, kv)| kv);
        match (k, v) {
            ("weight", Some(v)) => out.weight = v.parse().ok(),
            ("max_fails", Some(v)) => out.max_fails = v.parse().ok(),
            ("fail_timeout", Some(v)) => out.fail_timeout = parse_time_sec(v),
            ("max_conns", Some(v)) => out.max_conns = v.parse().ok(),
            ("service", Some(v)) => out.service = Some(v.to_string()),
            ("backup", None) => out.backup = true,
            ("down", None) => out.down = true,
            ("resolve", None) => out.resolve = true,
            _ => out.other.push((*p).to_string()),
        }
    }
    Some(ServerAddress {
        host,
        port,
        params: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_targets() {
        let t = parse_pass("http://backend:8080/api/", PassModule::Proxy);
        assert_eq!(t.scheme.as_deref(), Some("http"));
        assert_eq!(t.host, Host::Name("backend".into()));
        assert_eq!(t.port, Some(8080));
        assert_eq!(t.uri.as_deref(), Some("/api/"));
        assert!(!t.has_variables);

        let t = parse_pass("http://unix:/run/app.sock:/x", PassModule::Proxy);
        assert_eq!(t.host, Host::Unix("/run/app.sock".into()));
        assert_eq!(t.uri.as_deref(), Some("/x"));

        let t = parse_pass("unix:/run/php/php-fpm.sock", PassModule::Fastcgi);
        assert_eq!(t.host, Host::Unix("/run/php/php-fpm.sock".into()));

        let t = parse_pass("127.0.0.1:9000", PassModule::Fastcgi);
        assert_eq!(t.host, Host::Ip("127.0.0.1".parse().unwrap()));
        assert_eq!(t.port, Some(9000));

        let t = parse_pass("http://[::1]:3000", PassModule::Proxy);
        assert_eq!(t.host, Host::Ip("::1".parse().unwrap()));
        assert_eq!(t.port, Some(3000));
        assert_eq!(t.authority(), "[::1]:3000");

        let t = parse_pass(
            "$upstream_proto://$upstream_app:$upstream_port",
            PassModule::Proxy,
        );
        assert!(t.variable_scheme && t.has_variables);
        assert_eq!(t.host, Host::Variable("$upstream_app".into()));

        let t = parse_pass("http://backend/$uri", PassModule::Proxy);
        assert_eq!(t.host, Host::Name("backend".into()));
        assert!(t.has_variables);

        let t = parse_pass("php", PassModule::Fastcgi);
        assert_eq!(t.host, Host::Name("php".into()));
        assert_eq!(t.port, None);
        assert_eq!(t.effective_port(), None);

        let t = parse_pass("grpcs://api.example.com:443", PassModule::Grpc);
        assert_eq!(t.scheme.as_deref(), Some("grpcs"));
        assert_eq!(t.host, Host::Name("api.example.com".into()));
    }

    #[test]
    fn server_params() {
        let s = parse_server(&["app:8080", "max_fails=3", "fail_timeout=30s", "backup"]).unwrap();
        assert_eq!(s.host, Host::Name("app".into()));
        assert_eq!(s.port, Some(8080));
        assert_eq!(s.params.max_fails, Some(3));
        assert_eq!(s.params.fail_timeout, Some(30_000));
        assert!(s.params.backup && !s.params.down);
        let s = parse_server(&["unix:/tmp/a.sock", "down", "resolve"]).unwrap();
        assert_eq!(s.host, Host::Unix("/tmp/a.sock".into()));
        assert!(s.params.down && s.params.resolve);
    }

    #[test]
    fn variable_names() {
        assert_eq!(variables("$a://${b}x:$c_1/"), ["a", "b", "c_1"]);
        assert!(has_variable("http://$host"));
        assert!(!has_variable("http://host/$"));
    }
}
