//! Value checks nginx performs while loading: `on`/`off`, sizes (`10k`),
//! offsets (`1g`), times (`1h30m`, `500ms`), numbers, keyword lists, the
//! parameters of `listen` and of upstream `server`, the port of `*_pass`
//! addresses, and which directives may be given once per block. The value
//! grammars are the model's nom combinators (`model::values` for
//! `ngx_parse_size`, `ngx_parse_offset`, `ngx_parse_time` and `ngx_atoi`,
//! `model::target` for addresses and parameters), so that what they reject
//! is what nginx rejects.

use std::sync::LazyLock;

use nom::branch::alt;
use nom::bytes::complete::tag_no_case;

use super::table::{Args, DirectiveRow};
use super::{Checker, INVALID_FLAG_VALUE, INVALID_VALUE, UNAVAILABLE_IN_VERSION};
use crate::diag::Diagnostic;
use crate::lint::NginxVersion;
use crate::model::target::{authority, bracketed, param, StrRes};
use crate::model::values::{is_number, is_offset, is_size, is_time};
use crate::model::Context;
use crate::syntax::{Directive, Word};

const PARAMS_TSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/grammar/upstream-server-params.tsv"
));

const FIXED_HTTP_VARIABLES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/grammar/http-fixed-variables.txt"
));

/// The keywords of enum and bitmask directives, read from nginx's source
/// by `grammar/ngx_values.py`.
const VALUES_TSV: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/values.tsv"));

/// (name, module) -> (bitmask?, keywords), from [`VALUES_TSV`].
type Keywords = std::collections::HashMap<(&'static str, &'static str), (bool, Vec<&'static str>)>;

static KEYWORDS: LazyLock<Keywords> = LazyLock::new(|| {
    VALUES_TSV
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&'static str> = l.split('\t').collect();
            let [name, module, kind, values] = f[..] else {
                return None;
            };
            Some((
                (name, module),
                (kind == "bitmask", values.split(',').collect()),
            ))
        })
        .collect()
});

static FIXED: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    FIXED_HTTP_VARIABLES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// A built-in http variable without `NGX_HTTP_VAR_CHANGEABLE`: `set`, `map`
/// and friends may not define it ("the duplicate ... variable").
pub fn fixed_http_variable(name: &str) -> bool {
    FIXED.contains(name)
}

/// Does the word use variables (nginx then checks at run time)?
/// `s` is (part of) an argument of the directive being checked: when no
/// argument has a `$` ([`Checker::dollar`]), there is nothing to look for.
#[inline]
fn has_var(c: &Checker, s: &str) -> bool {
    c.dollar && s.bytes().any(|b| b == b'$')
}

/// `s` up to the first `/` (the host:port of a URL without scheme).
#[inline]
fn before_slash(s: &str) -> &str {
    authority(s).map_or(s, |(_, a)| a)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Size,
    Offset,
    Msec,
    Sec,
    Number,
    NumberSize,
}

fn unit_of(e: &DirectiveRow, args: Args) -> Option<Unit> {
    let u = match e.unit {
        "size" => Unit::Size,
        "offset" => Unit::Offset,
        "msec" => Unit::Msec,
        "sec" => Unit::Sec,
        "number" => Unit::Number,
        "number size" => Unit::NumberSize,
        // The units table (`grammar/units.tsv`, from nginx's setters)
        // covers the slots; this one has its own handler.
        _ => match e.name {
            "worker_connections" => Unit::Number,
            _ => return None,
        },
    };
    // Only where every argument has that unit.
    let plain = !args.any && !args.flag && !args.more1 && !args.more2;
    match u {
        Unit::NumberSize if plain && args.takes == 1 << 2 => Some(u),
        Unit::NumberSize => None,
        _ if plain && args.takes == 1 << 1 => Some(u),
        _ => None,
    }
}

fn bad(c: &mut Checker, d: &Directive, w: &Word, msg: String, help: String) {
    c.push(
        Diagnostic::error(INVALID_VALUE, msg)
            .with_span(w.span)
            .with_label("rejected by nginx at load")
            .with_help(help),
    );
    let _ = d;
}

fn unit_ok(u: Unit, s: &str) -> bool {
    match u {
        Unit::Size => is_size(s),
        Unit::Offset => is_offset(s),
        Unit::Msec => is_time(s, false),
        Unit::Sec => is_time(s, true),
        Unit::Number => is_number(s),
        Unit::NumberSize => true,
    }
}

/// The help line of a value of unit `u`; a value with a variable is told
/// that the directive takes none.
fn unit_help(c: &Checker, u: Unit, w: &Word) -> String {
    if has_var(c, &w.value) {
        format!(
            "this directive takes no variables: nginx reads the value while loading; {}",
            unit_hint(u)
        )
    } else {
        unit_hint(u).into()
    }
}

fn unit_hint(u: Unit) -> &'static str {
    match u {
        Unit::Size => "a size is a number with an optional k or m suffix, e.g. 16k or 1m (no decimals, no \"kb\")",
        Unit::Offset => "a size is a number with an optional k, m or g suffix, e.g. 10m or 1g (no decimals, no \"mb\")",
        Unit::Msec => "a time is numbers with units in decreasing order: 1h30m, 60s, 500ms (no spaces, no decimals)",
        Unit::Sec => "a time is numbers with units in decreasing order: 1h30m, 60s (no milliseconds, no decimals)",
        Unit::Number => "a plain non-negative integer, e.g. 1024",
        Unit::NumberSize => "a count and a size, e.g. 8 16k",
    }
}

/// The value check a resolved row needs, decided once per (name, context)
/// when the name is first resolved, so that checking a directive compares
/// no strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueCheck {
    None,
    Flag,
    Unit(Unit),
    WorkerProcesses,
    KeepaliveTimeout,
    /// `ngx_conf_set_bitmask_slot`: each word one of these keywords.
    Bitmask(&'static [&'static str]),
    /// `ngx_conf_set_enum_slot`: the one word one of these keywords.
    Enum(&'static [&'static str]),
    ErrorPage,
    Listen,
    UpstreamServer,
    /// `proxy_pass` (the URL needs a scheme in http).
    ProxyPass,
    /// The other `*_pass` directives.
    Pass,
}

pub(super) fn classify(e: &DirectiveRow, args: Args, ctx: Context) -> ValueCheck {
    if e.on_off && args.flag {
        return ValueCheck::Flag;
    }
    if let Some(u) = unit_of(e, args) {
        return ValueCheck::Unit(u);
    }
    if let Some((bitmask, keywords)) = KEYWORDS.get(&(e.name, e.module)) {
        return if *bitmask {
            ValueCheck::Bitmask(keywords)
        } else {
            ValueCheck::Enum(keywords)
        };
    }
    match e.name {
        "worker_processes" => ValueCheck::WorkerProcesses,
        "keepalive_timeout" => ValueCheck::KeepaliveTimeout,
        "error_page" => ValueCheck::ErrorPage,
        "listen" => ValueCheck::Listen,
        "server" if matches!(ctx, Context::Upstream | Context::StreamUpstream) => {
            ValueCheck::UpstreamServer
        }
        "fastcgi_pass" | "uwsgi_pass" | "scgi_pass" | "grpc_pass" | "memcached_pass" => {
            ValueCheck::Pass
        }
        "proxy_pass" => ValueCheck::ProxyPass,
        _ => ValueCheck::None,
    }
}

/// Check the values of one directive already known to be well-formed.
pub(super) fn check(c: &mut Checker, d: &Directive, ctx: Context, vc: ValueCheck) {
    match vc {
        ValueCheck::None => {}
        ValueCheck::Flag => {
            if let Some(w) = d.args.first() {
                let v = w.value.as_str();
                if !v.eq_ignore_ascii_case("on") && !v.eq_ignore_ascii_case("off") {
                    let name = d.name();
                    c.push(
                        Diagnostic::error(
                            INVALID_FLAG_VALUE,
                            format!("invalid value \"{v}\" in \"{name}\" directive, it must be \"on\" or \"off\""),
                        )
                        .with_span(w.span)
                        .with_label("not on or off")
                        .with_help(format!("write `{name} on;` or `{name} off;`")),
                    );
                }
            }
        }
        ValueCheck::Unit(u) => unit_value(c, d, u),
        ValueCheck::WorkerProcesses => {
            if let Some(w) = d.args.first() {
                if w.value != "auto" && !is_number(&w.value) {
                    bad(
                        c,
                        d,
                        w,
                        "\"worker_processes\" directive invalid value".into(),
                        "a number of worker processes, or `auto`".into(),
                    );
                }
            }
        }
        ValueCheck::KeepaliveTimeout => {
            if let Some(w) = d.args.first() {
                if !is_time(&w.value, false) {
                    bad(
                        c,
                        d,
                        w,
                        "\"keepalive_timeout\" directive invalid value".into(),
                        unit_help(c, Unit::Msec, w),
                    );
                }
            }
            if let Some(w) = d.args.get(1) {
                if !is_time(&w.value, true) {
                    bad(
                        c,
                        d,
                        w,
                        "\"keepalive_timeout\" directive invalid value".into(),
                        unit_help(c, Unit::Sec, w),
                    );
                }
            }
        }
        ValueCheck::Bitmask(allowed) | ValueCheck::Enum(allowed) => bitmask(c, d, allowed),
        ValueCheck::ErrorPage => error_page(c, d),
        ValueCheck::Listen => listen(c, d, ctx),
        ValueCheck::UpstreamServer => upstream_server(c, d, ctx),
        ValueCheck::Pass => pass(c, d, ctx, false),
        ValueCheck::ProxyPass => pass(c, d, ctx, true),
    }
}

/// A directive whose arguments all have one unit. nginx parses these
/// values while loading (`ngx_conf_set_size_slot`, `…_msec_slot`,
/// `…_num_slot`, `…_bufs_slot`, …), so a `$variable` is no value to it
/// (`"client_max_body_size" directive invalid value`): none of these
/// directives compiles variables. An envsubst placeholder in a template
/// (`$MAX_BODY_SIZE`) gets the same error here; `lint::template` hides it
/// as a template line, where rendering decides the value.
fn unit_value(c: &mut Checker, d: &Directive, u: Unit) {
    let name = d.name();
    if u == Unit::NumberSize {
        if let [n, s] = &d.args[..] {
            if !is_number(&n.value) || !is_size(&s.value) {
                let w = if is_number(&n.value) { s } else { n };
                bad(
                    c,
                    d,
                    w,
                    format!("\"{name}\" directive invalid value"),
                    unit_help(c, u, w),
                );
            }
        }
    } else if let Some(w) = d.args.first() {
        if !unit_ok(u, &w.value) {
            let msg = match u {
                // `ngx_event_connections`, its own handler
                Unit::Number if name == "worker_connections" => {
                    format!("invalid number \"{}\"", w.value)
                }
                Unit::Number => format!("\"{name}\" directive invalid number"),
                _ => format!("\"{name}\" directive invalid value"),
            };
            bad(c, d, w, msg, unit_help(c, u, w));
        }
    }
}

/// `ngx_conf_set_bitmask_slot` and `…_enum_slot`: every word must be a
/// known keyword (compared without case, as nginx does).
fn bitmask(c: &mut Checker, d: &Directive, allowed: &[&str]) {
    for w in &d.args {
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(&w.value)) {
            let list = allowed.join(", ");
            bad(
                c,
                d,
                w,
                format!("invalid value \"{}\"", w.value),
                format!("\"{}\" accepts: {list}", d.name()),
            );
        }
    }
}

fn error_page(c: &mut Checker, d: &Directive) {
    let n = d.args.len();
    for (i, w) in d.args.iter().enumerate() {
        if i + 1 == n || w.value.starts_with('=') || has_var(c, &w.value) {
            continue;
        }
        match w.value.parse::<u32>() {
            Ok(code) if (300..=599).contains(&code) => {}
            Ok(_) => bad(c, d, w, format!("value \"{}\" must be between 300 and 599", w.value), "error_page handles HTTP status codes 300 to 599 only".into()),
            Err(_) => bad(c, d, w, format!("invalid value \"{}\"", w.value), "write the status codes first, then an optional `=code`, then the URI: `error_page 502 504 /50x.html;`".into()),
        }
    }
}

/// Parameters `listen` accepts per subsystem, with the nginx version they
/// appeared in.
const LISTEN_HTTP: &[(&str, NginxVersion)] = &[
    ("default_server", NginxVersion(0, 8, 21)),
    ("default", NginxVersion(0, 1, 0)),
    ("ssl", NginxVersion(0, 7, 14)),
    ("http2", NginxVersion(1, 9, 5)),
    ("quic", NginxVersion(1, 25, 0)),
    ("proxy_protocol", NginxVersion(1, 5, 12)),
    ("deferred", NginxVersion(0, 1, 0)),
    ("bind", NginxVersion(0, 1, 0)),
    ("reuseport", NginxVersion(1, 9, 1)),
    ("backlog=", NginxVersion(0, 1, 0)),
    ("rcvbuf=", NginxVersion(0, 1, 0)),
    ("sndbuf=", NginxVersion(0, 1, 0)),
    ("setfib=", NginxVersion(0, 8, 44)),
    ("fastopen=", NginxVersion(1, 5, 8)),
    ("accept_filter=", NginxVersion(0, 1, 0)),
    ("ipv6only=", NginxVersion(0, 7, 42)),
    ("so_keepalive=", NginxVersion(1, 1, 11)),
];
const LISTEN_STREAM: &[(&str, NginxVersion)] = &[
    ("default_server", NginxVersion(1, 25, 5)),
    ("ssl", NginxVersion(1, 9, 0)),
    ("udp", NginxVersion(1, 9, 13)),
    ("proxy_protocol", NginxVersion(1, 11, 4)),
    ("deferred", NginxVersion(1, 9, 0)),
    ("bind", NginxVersion(1, 9, 0)),
    ("reuseport", NginxVersion(1, 9, 1)),
    ("backlog=", NginxVersion(1, 9, 0)),
    ("rcvbuf=", NginxVersion(1, 9, 0)),
    ("sndbuf=", NginxVersion(1, 9, 0)),
    ("setfib=", NginxVersion(1, 9, 0)),
    ("fastopen=", NginxVersion(1, 21, 0)),
    ("accept_filter=", NginxVersion(1, 9, 0)),
    ("ipv6only=", NginxVersion(1, 9, 0)),
    ("so_keepalive=", NginxVersion(1, 9, 0)),
];
const LISTEN_MAIL: &[(&str, NginxVersion)] = &[
    ("ssl", NginxVersion(0, 7, 14)),
    ("proxy_protocol", NginxVersion(1, 19, 8)),
    ("bind", NginxVersion(0, 7, 14)),
    ("backlog=", NginxVersion(1, 9, 0)),
    ("rcvbuf=", NginxVersion(1, 9, 0)),
    ("sndbuf=", NginxVersion(1, 9, 0)),
    ("ipv6only=", NginxVersion(0, 7, 42)),
    ("so_keepalive=", NginxVersion(1, 1, 11)),
];

fn listen(c: &mut Checker, d: &Directive, ctx: Context) {
    let table = match ctx {
        Context::Server => LISTEN_HTTP,
        Context::StreamServer => LISTEN_STREAM,
        Context::MailServer => LISTEN_MAIL,
        _ => return,
    };
    if let Some(addr) = d.args.first() {
        check_port(c, d, addr, &addr.value, "of the \"listen\" directive", true);
    }
    let v = c.opts.grammar_version();
    for w in d.args.iter().skip(1) {
        let s = w.value.as_str();
        // the table's keys end with `=` when they take a value
        let key_len = match param(s) {
            Ok((_, (k, Some(_)))) => k.len() + 1,
            _ => s.len(),
        };
        let key = &s[..key_len];
        match table.iter().find(|(k, _)| *k == key) {
            None => bad(
                c,
                d,
                w,
                format!("invalid parameter \"{s}\""),
                format!(
                    "\"listen\" in {ctx} accepts: {}",
                    table.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(" ")
                ),
            ),
            Some((k, since)) if *since > v => c.push(
                Diagnostic::error(UNAVAILABLE_IN_VERSION, format!("invalid parameter \"{s}\""))
                    .with_span(w.span)
                    .with_label("newer than the target nginx")
                    .with_help(format!("the listen parameter \"{}\" appeared in nginx {since}; the target is nginx {v} (--nginx-version)", k.trim_end_matches('='))),
            ),
            Some((k, _)) => {
                let val = &s[key_len..];
                let ok = match *k {
                    "backlog=" | "setfib=" | "fastopen=" => is_signed_number(val),
                    "rcvbuf=" | "sndbuf=" => is_size(val),
                    "ipv6only=" => val == "on" || val == "off",
                    _ => true,
                };
                if !ok {
                    let what = k.trim_end_matches('=');
                    bad(c, d, w, format!("invalid {what} \"{val}\""), format!("check the value of {what}="));
                }
            }
        }
    }
}

/// `host:port`: the port must be a number in 1..65535 (`ngx_parse_url`).
fn check_port(c: &mut Checker, d: &Directive, w: &Word, url: &str, whose: &str, listen: bool) {
    if has_var(c, url) || url.starts_with("unix:") {
        return;
    }
    let hostport = before_slash(url);
    let port = if hostport.starts_with('[') {
        match bracketed(hostport) {
            Ok((after, _)) => after.strip_prefix(':'),
            Err(_) => return,
        }
    } else if listen && !hostport.bytes().any(|b| b == b':') {
        // "listen 8080" or "listen host"
        if hostport.bytes().all(|b| b.is_ascii_digit()) {
            Some(hostport)
        } else {
            None
        }
    } else {
        after_last_colon(hostport)
    };
    let Some(p) = port else { return };
    if !valid_port(p) {
        bad(
            c,
            d,
            w,
            format!("invalid port in \"{url}\" {whose}"),
            "a port is a number from 1 to 65535".into(),
        );
    }
}

fn pass(c: &mut Checker, d: &Directive, ctx: Context, proxy: bool) {
    let Some(w) = d.args.first() else { return };
    let s = w.value.as_str();
    if has_var(c, s) {
        return;
    }
    let name = d.name();
    let rest = if proxy && ctx.is_http() {
        if let Ok((r, _)) = url_scheme(&["http://", "https://"], s) {
            r
        } else {
            bad(
                c,
                d,
                w,
                format!("invalid URL prefix in \"{s}\""),
                "proxy_pass needs http:// or https://, e.g. `proxy_pass http://127.0.0.1:8080;`"
                    .into(),
            );
            return;
        }
    } else if name == "grpc_pass" {
        url_scheme(&["grpc://", "grpcs://"], s).map_or(s, |(r, _)| r)
    } else {
        s
    };
    let hostport = before_slash(rest);
    if hostport.is_empty() || hostport.starts_with("unix:") {
        return;
    }
    if let Some(p) = port_of(hostport) {
        if !valid_port(p) {
            bad(
                c,
                d,
                w,
                format!("invalid port in upstream \"{rest}\""),
                "a port is a number from 1 to 65535".into(),
            );
        }
    }
}

/// The port of `host:port` or `[v6]:port`, if one is written.
fn port_of(hostport: &str) -> Option<&str> {
    if hostport.starts_with('[') {
        bracketed(hostport)
            .ok()
            .and_then(|(after, _)| after.strip_prefix(':'))
    } else {
        after_last_colon(hostport)
    }
}

/// What follows the last `:`, if there is one.
#[inline]
fn after_last_colon(s: &str) -> Option<&str> {
    s.rsplit_once(':').map(|(_, p)| p)
}

/// A port nginx accepts: a number from 1 to 65535.
fn valid_port(p: &str) -> bool {
    is_number(p) && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
}

/// A number with an optional `-` (`backlog=-1`).
fn is_signed_number(s: &str) -> bool {
    is_number(s.strip_prefix('-').unwrap_or(s))
}

/// One of two URL schemes (`http://`, `https://`), in any case.
fn url_scheme<'s>(schemes: &[&'static str; 2], s: &'s str) -> StrRes<'s, &'s str> {
    alt((tag_no_case(schemes[0]), tag_no_case(schemes[1])))(s)
}

/// One row of `upstream-server-params.tsv`.
struct Param {
    stream: bool,
    name: &'static str,
    takes_value: bool,
    value_type: &'static str,
    plus: bool,
    since: Option<NginxVersion>,
}

static PARAMS: LazyLock<Vec<Param>> = LazyLock::new(|| {
    PARAMS_TSV
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&'static str> = l.split('\t').collect();
            (f.len() >= 7).then(|| Param {
                stream: f[0] == "stream",
                name: f[1],
                takes_value: f[2].contains('='),
                value_type: f[3],
                plus: f[5] == "plus",
                since: NginxVersion::parse(f[6]),
            })
        })
        .collect()
});

fn upstream_server(c: &mut Checker, d: &Directive, ctx: Context) {
    let stream = ctx == Context::StreamUpstream;
    if let Some(w) = d.args.first() {
        if !has_var(c, &w.value) && !w.value.starts_with("unix:") {
            let url = w.value.as_str();
            let hostport = before_slash(url);
            if let Some(p) = port_of(hostport) {
                if !valid_port(p) {
                    bad(
                        c,
                        d,
                        w,
                        format!("invalid port in upstream \"{url}\""),
                        "a port is a number from 1 to 65535".into(),
                    );
                }
            } else if stream {
                bad(
                    c,
                    d,
                    w,
                    format!("no port in upstream \"{url}\""),
                    "stream upstream servers need host:port".into(),
                );
            }
        }
    }
    let v = c.opts.grammar_version();
    for w in d.args.iter().skip(1) {
        let s = w.value.as_str();
        let (key, val) = param(s).map_or((s, None), |(_, kv)| kv);
        let Some(p) = PARAMS
            .iter()
            .find(|p| p.stream == stream && p.name == key && p.takes_value == val.is_some())
        else {
            bad(
                c,
                d,
                w,
                format!("invalid parameter \"{s}\""),
                format!(
                    "upstream server parameters: {}",
                    PARAMS
                        .iter()
                        .filter(|p| p.stream == stream)
                        .map(|p| if p.takes_value {
                            format!("{}=", p.name)
                        } else {
                            p.name.to_string()
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            );
            continue;
        };
        let unavailable = if p.plus {
            (!c.opts.plus).then(|| "is NGINX Plus only; pass --flavor plus if this configuration targets NGINX Plus".to_string())
        } else {
            match p.since {
                Some(s) if s > v && !c.opts.plus => Some(format!("appeared in nginx {s} (earlier NGINX Plus only); the target is nginx {v} (--nginx-version)")),
                _ => None,
            }
        };
        if let Some(why) = unavailable {
            c.push(
                Diagnostic::error(UNAVAILABLE_IN_VERSION, format!("invalid parameter \"{s}\""))
                    .with_span(w.span)
                    .with_label("not in the target nginx")
                    .with_help(format!("the server parameter \"{key}\" {why}")),
            );
            continue;
        }
        if let Some(val) = val {
            let ok = if p.value_type.starts_with("positive integer") {
                is_number(val) && val.parse::<u64>().is_ok_and(|n| n > 0)
            } else if p.value_type.starts_with("non-negative integer") {
                is_number(val)
            } else if p.value_type.starts_with("time") {
                is_time(val, true)
            } else {
                !val.is_empty()
            };
            if !ok {
                bad(
                    c,
                    d,
                    w,
                    format!("invalid parameter \"{s}\""),
                    format!("{key}= takes a {}", p.value_type),
                );
            }
        }
    }
}

/// `location` modifiers: ("=", "~", "~*", "^~", "@", "") and the name.
fn location_kind(d: &Directive) -> (&str, &str) {
    match &d.args[..] {
        [m, n] => (m.value.as_str(), n.value.as_str()),
        [n] => {
            let s = n.value.as_str();
            for m in ["=", "~*", "~", "^~", "@"] {
                if let Some(rest) = s.strip_prefix(m) {
                    return (m, if m == "@" { s } else { rest });
                }
            }
            ("", s)
        }
        _ => ("", ""),
    }
}

/// `ngx_http_core_location`'s nesting rules.
pub(super) fn nested_location(c: &mut Checker, d: &Directive, parent: &Directive) {
    let (pm, pn) = location_kind(parent);
    let (cm, cn) = location_kind(d);
    if has_var(c, cn) || d.args.is_empty() {
        return;
    }
    let msg = match (pm, cm) {
        ("=", _) => format!("location \"{cn}\" cannot be inside the exact location \"{pn}\""),
        ("@", _) => format!("location \"{cn}\" could not be inside the named location \"{pn}\""),
        (_, "@") => format!("named location \"{cn}\" can be on the server level only"),
        ("" | "^~", "" | "^~" | "=") if !cn.starts_with(pn) => {
            format!("location \"{cn}\" is outside location \"{pn}\"")
        }
        _ => return,
    };
    let w = d.args.last().unwrap_or(&d.name);
    c.push(
        Diagnostic::error(INVALID_VALUE, msg)
            .with_span(w.span)
            .with_label("nested location")
            .with_related(parent.head_span(), "inside this location")
            .with_help("a prefix location nested in another must start with the outer prefix; named locations belong at server level"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_value_parsers() {
        assert!(is_signed_number("-1") && is_signed_number("10") && !is_signed_number("-"));
        assert!(!is_signed_number("--1") && !is_signed_number("1-"));
        assert_eq!(port_of("[::1]:80"), Some("80"));
        assert_eq!(port_of("[::1]"), None);
        assert_eq!(port_of("[::1"), None);
        assert_eq!(port_of("a:b:80"), Some("80"));
        assert_eq!(
            url_scheme(&["http://", "https://"], "HTTPS://x"),
            Ok(("x", "HTTPS://"))
        );
        for (p, ok) in [
            ("80", true),
            ("000080", true),
            ("65535", true),
            ("65536", false),
            ("0", false),
            ("", false),
            ("8a", false),
            ("99999999999999999", false),
        ] {
            assert_eq!(valid_port(p), ok, "{p}");
        }
    }
}
