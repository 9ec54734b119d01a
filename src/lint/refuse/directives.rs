//! Per-directive value checks of `nginx -t` that the directive table does
//! not express: `return` codes, `rewrite` flags, `location` modifiers,
//! `listen` addresses (and duplicates in one `server`), `if` conditions,
//! `allow`/`deny` networks, `expires`, `*_pass` names without a port.

use super::values::{atoi, inet6_url, listen_address, valid_cidr};
use super::Checker;
use crate::lint::grammar::{DUPLICATE_DIRECTIVE, INVALID_ARGUMENT_COUNT, INVALID_VALUE};
use crate::model::values::{parse_size, parse_time_sec};
use crate::syntax::{Directive, Word};

impl<'a> Checker<'a> {
    /// `ngx_http_rewrite_return`: a number up to 999, or one URL argument
    /// (`http://`, `https://`, `$scheme`).
    pub(super) fn return_code(&mut self, d: &Directive) {
        let Some(w) = d.args.first() else { return };
        let v = w.value.as_str();
        let url = v.starts_with("http://") || v.starts_with("https://") || v.starts_with("$scheme");
        let ok = match atoi(v) {
            Some(n) => n <= 999,
            None => d.args.len() == 1 && url,
        };
        if !ok {
            self.err(
                INVALID_VALUE,
                format!("invalid return code \"{v}\""),
                w.span,
                "not a status code",
                "use a status code (e.g. `return 301 https://$host$request_uri;`) or a single URL argument",
            );
        }
    }

    pub(super) fn rewrite_flag(&mut self, d: &Directive) {
        if let Some(w) = d.args.first() {
            self.regex(w, &w.value, false);
        }
        let Some(w) = d.args.get(2) else { return };
        if !matches!(
            w.value.as_str(),
            "last" | "break" | "redirect" | "permanent"
        ) {
            self.err(
                INVALID_VALUE,
                format!("invalid parameter \"{}\"", w.value),
                w.span,
                "not a rewrite flag",
                "the flag is one of last, break, redirect, permanent (lowercase)",
            );
        }
    }

    pub(super) fn location_modifier(&mut self, d: &Directive) {
        if d.args.len() == 1 {
            // `location ~regex`, `location ~*regex`
            let w = &d.args[0];
            if let Some(p) = w.value.strip_prefix('~') {
                match p.strip_prefix('*') {
                    Some(p) => self.regex(w, p, true),
                    None => self.regex(w, p, false),
                }
            }
            return;
        }
        if d.args.len() != 2 {
            return;
        }
        let m = &d.args[0];
        if matches!(m.value.as_str(), "~" | "~*") {
            self.regex(&d.args[1], &d.args[1].value, m.value == "~*");
        }
        if !matches!(m.value.as_str(), "=" | "^~" | "~" | "~*") {
            self.err(
                INVALID_VALUE,
                format!("invalid location modifier \"{}\"", m.value),
                m.span,
                "not a location modifier",
                "the modifier is one of =, ^~, ~, ~*",
            );
        }
    }

    /// Two exact (`=`) or two prefix (plain or `^~`) locations with the
    /// same name in one block: nginx refuses the second (`duplicate
    /// location`) when it sorts them. Regular expression and named
    /// locations may repeat.
    pub(super) fn duplicate_location(&mut self, d: &'a Directive, ancestors: &[&'a Directive]) {
        let (exact, name, span): (bool, &'a str, _) = match &d.args[..] {
            [m, n] if m.value == "=" => (true, &n.value, n.span),
            [m, n] if m.value == "^~" => (false, &n.value, n.span),
            // `location =/x`, `location ^~/x`: the modifier attached
            [n] if n.value.starts_with('=') => (true, &n.value[1..], n.span),
            [n] if n.value.starts_with("^~") => (false, &n.value[2..], n.span),
            [n] if !n.value.starts_with('~') && !n.value.starts_with('@') => {
                (false, &n.value, n.span)
            }
            _ => return,
        };
        if name.contains('$') {
            return;
        }
        let parent = ancestors.last().map_or(d.span(), |a| a.span());
        if !self.locations.insert((parent, exact, name)) {
            self.err(
                DUPLICATE_DIRECTIVE,
                format!("duplicate location \"{name}\""),
                span,
                "this block already has this location",
                "merge the two location blocks into one",
            );
        }
    }

    /// `listen` address syntax nginx refuses (bracketed IPv6 only); the
    /// normalised address when it is known.
    pub(super) fn listen_syntax(&mut self, d: &Directive) -> Option<String> {
        let w = d.args.first()?;
        match listen_address(d) {
            Ok(addr) => addr,
            Err(why) => {
                self.err(
                    INVALID_VALUE,
                    format!("{why} in \"{}\" of the \"listen\" directive", w.value),
                    w.span,
                    "nginx cannot parse this address",
                    "write an IPv6 address as [addr] or [addr]:port, e.g. [::]:80",
                );
                None
            }
        }
    }

    pub(super) fn listen(&mut self, d: &Directive, ancestors: &[&Directive]) {
        let Some(mut addr) = self.listen_syntax(d) else {
            return;
        };
        // `quic` sockets are UDP: apart from the TCP ones on the same port
        let quic = d.args.iter().skip(1).any(|w| w.value == "quic");
        if quic {
            addr.push_str(" quic");
        }
        let Some(server) = ancestors.iter().rev().find(|a| a.name() == "server") else {
            return;
        };
        let default = d
            .args
            .iter()
            .skip(1)
            .any(|w| w.value == "default_server" || w.value == "default");
        if default && !self.default_servers.insert(addr.clone()) {
            let w = &d.args[0];
            let msg = format!(
                "a duplicate default server for {}",
                addr.trim_end_matches(" quic")
            );
            self.err(
                DUPLICATE_DIRECTIVE,
                msg,
                w.span,
                "another server is already the default for this address",
                "keep `default_server` on one server per address and port",
            );
        }
        let list = self.listens.entry(server.span()).or_default();
        if list.contains(&addr) {
            let w = &d.args[0];
            let msg = format!("a duplicate listen {}", addr.trim_end_matches(" quic"));
            self.err(
                DUPLICATE_DIRECTIVE,
                msg,
                w.span,
                "this server already listens here",
                "remove one of the two `listen` lines",
            );
        } else {
            list.push(addr);
        }
    }

    /// The optional third argument of `add_header` (`always`) and
    /// `*_param` (`if_not_empty`).
    pub(super) fn third_flag(&mut self, d: &Directive, flag: &str) {
        let Some(w) = d.args.get(2) else { return };
        if w.value != flag {
            self.err(
                INVALID_VALUE,
                format!("invalid parameter \"{}\"", w.value),
                w.span,
                "not a parameter of this directive",
                &format!("the only third argument is `{flag}`; quote a value with spaces"),
            );
        }
    }

    /// `allow`/`deny`: `all`, `unix:`, an address or address/prefix.
    pub(super) fn access_rule(&mut self, d: &Directive) {
        let Some(w) = d.args.first() else { return };
        let v = w.value.as_str();
        if d.args.len() == 1 && v != "all" && v != "unix:" && !valid_cidr(v) {
            self.err(
                INVALID_VALUE,
                format!("invalid parameter \"{v}\""),
                w.span,
                "not an address, a network or `all`",
                "write an address or network (10.0.0.0/8, 2001:db8::/32), `unix:` or `all`",
            );
        }
    }

    pub(super) fn sub_filter(&mut self, d: &Directive) {
        if let Some(w) = d.args.first() {
            if w.value.is_empty() && d.args.len() == 2 {
                self.err(
                    INVALID_VALUE,
                    "empty search pattern".into(),
                    w.span,
                    "nothing to search for",
                    "give the text to replace as the first argument",
                );
            }
        }
    }

    /// `ngx_http_headers_expires`: `[modified] TIME`, `epoch`, `max`, `off`,
    /// `@TIME` (daily), or a value with variables (compiled).
    pub(super) fn expires(&mut self, d: &Directive) {
        if d.args.len() == 2 && d.args[0].value != "modified" {
            self.err(
                INVALID_VALUE,
                "\"expires\" directive invalid value".into(),
                d.args[0].span,
                "two arguments only as `modified TIME`",
                "write `expires TIME;`, `expires modified TIME;`, `expires epoch|max|off;`",
            );
            return;
        }
        let Some(w) = d.args.last() else { return };
        if w.value.contains('$') {
            // compiled as a value with variables (`references`)
            return;
        }
        let modified = d.args.len() == 2;
        let v = w.value.as_str();
        if !modified && matches!(v, "epoch" | "max" | "off") {
            return;
        }
        let (daily, t) = match v.as_bytes().first() {
            Some(b'@') => (true, &v[1..]),
            Some(b'+' | b'-') => (false, &v[1..]),
            _ => (false, v),
        };
        let why = if daily && modified {
            "daily time cannot be used with \"modified\" parameter"
        } else {
            match parse_time_sec(t) {
                None => "invalid value",
                Some(ms) if daily && ms > 24 * 3600 * 1000 => {
                    "daily time value must be less than 24 hours"
                }
                Some(_) => return,
            }
        };
        self.err(
            INVALID_VALUE,
            format!("\"expires\" directive {why}"),
            w.span,
            "not a time nginx reads here",
            "write a time (`30d`, `1h 30m`, `-1`), `@HH:MM`-style daily time (`@15h30m`), `epoch`, `max` or `off`",
        );
    }

    /// `ngx_http_core_error_page`: codes, an optional `=code`, the URI.
    /// Plain codes out of range are the grammar's; this reports what it
    /// does not see: `=` misplaced or bad, a variable or 499 among the
    /// codes.
    pub(super) fn error_page(&mut self, d: &Directive) {
        let n = d.args.len();
        if n < 2 {
            return;
        }
        let i = n - 2;
        let mut codes_end = i + 1;
        let w = &d.args[i];
        if let Some(rest) = w.value.strip_prefix('=') {
            if i == 0 || (!rest.is_empty() && atoi(rest).is_none()) {
                return self.bad_error_page(w);
            }
            codes_end = i;
        }
        for w in &d.args[..codes_end] {
            let v = w.value.as_str();
            let reported_by_grammar = !v.contains('$') && !v.starts_with('=');
            match atoi(v) {
                Some(499) => return self.bad_error_page(w),
                Some(_) => {}
                None if reported_by_grammar => return,
                None => return self.bad_error_page(w),
            }
        }
    }

    fn bad_error_page(&mut self, w: &Word) {
        self.err(
            INVALID_VALUE,
            format!("invalid value \"{}\"", w.value),
            w.span,
            "not a status code here",
            "write the status codes (300 to 599, not 499), then an optional `=code`, then the URI: `error_page 502 504 =503 /50x.html;`",
        );
    }

    /// `keepalive N;` of an `upstream`: one positive number.
    pub(super) fn upstream_keepalive(&mut self, d: &Directive) {
        let Some(w) = d.args.first() else { return };
        if d.args.len() != 1 {
            return self.err(
                INVALID_ARGUMENT_COUNT,
                "invalid number of arguments in \"keepalive\" directive".into(),
                d.head_span(),
                "one number only",
                "write `keepalive 16;` (the idle connections kept per worker)",
            );
        }
        if atoi(&w.value).is_none_or(|n| n == 0) {
            self.err(
                INVALID_VALUE,
                format!("invalid value \"{}\" in \"keepalive\" directive", w.value),
                w.span,
                "not a positive number",
                "the number of idle connections to keep per worker, e.g. `keepalive 16;`",
            );
        }
    }

    /// `ngx_http_ssl_session_cache`: `off`, `none`, `builtin[:N]`,
    /// `shared:NAME:SIZE` (at least 8 pages).
    pub(super) fn ssl_session_cache(&mut self, d: &Directive) {
        for w in &d.args {
            let v = w.value.as_str();
            let bad = if matches!(v, "off" | "none" | "builtin") {
                None
            } else if let Some(n) = v.strip_prefix("builtin:").filter(|n| !n.is_empty()) {
                atoi(n).is_none().then_some("invalid session cache")
            } else if let Some(rest) = v.strip_prefix("shared:").filter(|r| !r.is_empty()) {
                match rest.split_once(':') {
                    // no size: left alone (nginx reads past the value)
                    None => None,
                    Some(("", _)) => Some("invalid session cache"),
                    Some((_, size)) => match parse_size(size) {
                        None => Some("invalid session cache"),
                        Some(n) if n < 8 * 4096 => Some("too small"),
                        Some(_) => None,
                    },
                }
            } else {
                Some("invalid session cache")
            };
            let Some(why) = bad else { continue };
            let msg = if why == "too small" {
                format!("session cache \"{v}\" is too small")
            } else {
                format!("invalid session cache \"{v}\"")
            };
            return self.err(
                INVALID_VALUE,
                msg,
                w.span,
                "not a session cache nginx reads",
                "write `off`, `none`, `builtin[:SIZE]` or `shared:NAME:SIZE` (e.g. `shared:SSL:10m`, at least 32k)",
            );
        }
    }

    /// `ngx_log_set_levels`: after the file, one level and `debug_*`
    /// masks (these only alone or after `debug`).
    pub(super) fn error_log_levels(&mut self, d: &Directive) {
        const LEVELS: &[&str] = &[
            "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
        ];
        const DEBUG: &[&str] = &[
            "debug_core",
            "debug_alloc",
            "debug_mutex",
            "debug_event",
            "debug_http",
            "debug_mail",
            "debug_stream",
        ];
        // (a level was set, a level other than the debug masks was set)
        let (mut any, mut main) = (false, false);
        for w in d.args.iter().skip(1) {
            let v = w.value.as_str();
            let why = if LEVELS.contains(&v) {
                if any {
                    "duplicate log level"
                } else {
                    (any, main) = (true, true);
                    continue;
                }
            } else if DEBUG.contains(&v) && !main {
                any = true;
                continue;
            } else {
                "invalid log level"
            };
            return self.err(
                INVALID_VALUE,
                format!("{why} \"{v}\""),
                w.span,
                "not a log level here",
                "give one level after the file: debug, info, notice, warn, error, crit, alert or emerg",
            );
        }
    }

    /// A bracketed IPv6 address of an upstream (`server`, `*_pass`) that
    /// `ngx_parse_url` refuses: `invalid host in upstream "[::1"`.
    pub(super) fn upstream_address(&mut self, d: &Directive, uri_part: bool) {
        let Some(w) = d.args.first() else { return };
        if w.value.contains('$') {
            return;
        }
        let v = w.value.as_str();
        let v = v.split_once("://").map_or(v, |(_, r)| r);
        if let Err(why) = inet6_url(v, uri_part) {
            self.err(
                INVALID_VALUE,
                format!("{why} in upstream \"{v}\""),
                w.span,
                "nginx cannot parse this address",
                "write an IPv6 address as [addr]:port, e.g. [::1]:8080",
            );
        }
    }

    /// A `proxy_pass` URL with a URI part (even a lone `/`) where nginx
    /// cannot replace the matched part of the request URI: in a location
    /// given by a regular expression or a name, and in `if` and
    /// `limit_except` blocks. A URL with variables is built per request
    /// and not checked here.
    pub(super) fn proxy_pass_uri(&mut self, d: &Directive, ancestors: &[&Directive]) {
        let Some(w) = d.args.first() else { return };
        if w.value.contains('$') {
            return;
        }
        let Some(block) = ancestors.last() else {
            return;
        };
        let where_ = match block.name() {
            "if" | "limit_except" => true,
            "location" => match &block.args[..] {
                [m, _] => m.value == "~" || m.value == "~*",
                [n] => n.value.starts_with('~') || n.value.starts_with('@'),
                _ => false,
            },
            _ => false,
        };
        if !where_ {
            return;
        }
        let rest = w
            .value
            .split_once("://")
            .map_or(w.value.as_str(), |(_, r)| r);
        let uri = match rest.strip_prefix("unix:") {
            // `http://unix:/path/to.sock:/uri`
            Some(path) => path.split_once(':').is_some_and(|(_, u)| !u.is_empty()),
            None => rest.contains('/'),
        };
        if uri {
            self.err(
                INVALID_VALUE,
                "\"proxy_pass\" cannot have URI part in location given by regular expression, or inside named location, or inside \"if\" statement, or inside \"limit_except\" block".into(),
                w.span,
                "a URI part here",
                "drop the URI part (nginx then passes the request URI as it came), or rewrite the URI first with `rewrite ... break;` and pass without a URI",
            );
        }
    }

    /// The parameters after `access_log PATH FORMAT`: `buffer=SIZE`,
    /// `gzip[=LEVEL]`, `flush=TIME` (only with a buffer) and `if=COND`.
    pub(super) fn access_log_params(&mut self, d: &Directive) {
        let Some(path) = d.args.first() else { return };
        if path.value.starts_with("syslog:") {
            return;
        }
        let mut buffered = false;
        let mut flush = None;
        for w in d.args.iter().skip(2) {
            let v = w.value.as_str();
            if v.contains('$') && !v.starts_with("if=") {
                return;
            }
            let bad = if let Some(size) = v.strip_prefix("buffer=") {
                buffered = true;
                (!crate::model::values::is_size(size))
                    .then(|| format!("invalid buffer size \"{size}\""))
            } else if v == "gzip" {
                buffered = true;
                None
            } else if let Some(level) = v.strip_prefix("gzip=") {
                buffered = true;
                (!atoi(level).is_some_and(|n| (1..=9).contains(&n)))
                    .then(|| format!("invalid compression level \"{level}\""))
            } else if let Some(time) = v.strip_prefix("flush=") {
                flush = Some(w.span);
                (!crate::model::values::is_time(time, false))
                    .then(|| format!("invalid flush time \"{time}\""))
            } else if v.starts_with("if=") {
                None
            } else {
                Some(format!("invalid parameter \"{v}\""))
            };
            if let Some(msg) = bad {
                return self.err(
                    INVALID_VALUE,
                    msg,
                    w.span,
                    "nginx cannot read this parameter",
                    "the parameters are buffer=SIZE, gzip[=1..9], flush=TIME and if=CONDITION",
                );
            }
        }
        if let (Some(span), false) = (flush, buffered) {
            self.err(
                INVALID_VALUE,
                format!("no buffer is defined for access_log \"{}\"", path.value),
                span,
                "flush without a buffer",
                "add buffer=SIZE (or gzip) before flush=, or drop flush=",
            );
        }
    }

    /// `proxy_cache_valid [code ...] time` (and fastcgi, uwsgi, scgi): the
    /// time (last) and then each code (`any`, or 100 to 599).
    pub(super) fn cache_valid(&mut self, d: &Directive) {
        let Some((time, codes)) = d.args.split_last() else {
            return;
        };
        if time.value.contains('$') {
            return;
        }
        if !crate::model::values::is_time(&time.value, true) {
            return self.err(
                INVALID_VALUE,
                format!("invalid time value \"{}\"", time.value),
                time.span,
                "not a time",
                "a time such as 10m, 1h or 30s, after the status codes",
            );
        }
        for w in codes {
            if w.value != "any" && !atoi(&w.value).is_some_and(|n| (100..=599).contains(&n)) {
                return self.err(
                    INVALID_VALUE,
                    format!("invalid status \"{}\"", w.value),
                    w.span,
                    "not a status code",
                    "status codes from 100 to 599, or `any`, then the time",
                );
            }
        }
    }

    /// A `backup` server in an upstream whose balancer (`hash`, `ip_hash`,
    /// `random`, given before it) has no backup servers.
    pub(super) fn backup_with_balancer(&mut self, d: &Directive, ancestors: &[&Directive]) {
        let Some(u) = ancestors.last() else { return };
        if !self.no_backup.contains(&u.span()) {
            return;
        }
        if let Some(w) = d.args.iter().skip(1).find(|w| w.value == "backup") {
            self.err(
                INVALID_VALUE,
                "balancing method does not support parameter \"backup\"".into(),
                w.span,
                "not with this balancer",
                "hash, ip_hash and random have no backup servers: drop `backup`, or balance with round-robin or least_conn",
            );
        }
    }

    /// `fastcgi_pass name;` (and uwsgi, scgi, grpc, memcached): a name
    /// without a port is an `upstream` name, checked once all are known.
    pub(super) fn portless_pass(&mut self, d: &Directive) {
        let Some(w) = d.args.first() else { return };
        if w.value.contains('$') {
            return;
        }
        let v = w.value.as_str();
        let v = v
            .strip_prefix("grpc://")
            .or_else(|| v.strip_prefix("grpcs://"))
            .unwrap_or(v);
        if v.starts_with("unix:") || v.starts_with('[') || v.contains(':') || v.contains('/') {
            return;
        }
        self.portless.push((v.to_string(), w.span));
    }

    /// `ngx_http_rewrite_if_condition`.
    pub(super) fn if_condition(&mut self, d: &Directive) {
        let n = d.args.len();
        if n == 0 {
            return;
        }
        let bad = |this: &mut Self, msg: String, w: &Word| {
            this.err(
                INVALID_VALUE,
                msg,
                w.span,
                "nginx cannot read this condition",
                "write `if ($var)`, `if ($var OP value)` with OP one of = != ~ ~* !~ !~*, or `if (-f $path)` (and -d -e -x, with an optional !)",
            );
        };
        let first = &d.args[0];
        let last = &d.args[n - 1];
        if !first.value.starts_with('(') {
            return bad(
                self,
                format!("invalid condition \"{}\"", first.value),
                first,
            );
        }
        if !last.value.ends_with(')') {
            return bad(self, format!("invalid condition \"{}\"", last.value), last);
        }
        // the tokens between the parentheses (nginx strips one from each end)
        let mut toks: Vec<(String, &Word)> =
            d.args.iter().map(|w| (w.value.to_string(), w)).collect();
        if toks[0].0 == "(" {
            toks.remove(0);
        } else {
            toks[0].0.remove(0);
        }
        if toks.is_empty() {
            return;
        }
        let li = toks.len() - 1;
        if toks[li].0 == ")" {
            toks.pop();
        } else {
            toks[li].0.pop();
        }
        let Some((cur, w)) = toks.first().cloned() else {
            return;
        };
        let last = toks.len() - 1;
        if cur.len() > 1 && cur.starts_with('$') {
            if last != 0 && last != 2 {
                return bad(self, format!("invalid condition \"{cur}\""), w);
            }
            if last == 0 {
                return;
            }
            let (op, ow) = &toks[1];
            if !matches!(op.as_str(), "=" | "!=" | "~" | "~*" | "!~" | "!~*") {
                bad(self, format!("unexpected \"{op}\" in condition"), ow);
            } else if op.contains('~') {
                let (pattern, pw) = &toks[2];
                self.regex(pw, pattern, op.ends_with('*'));
            }
            return;
        }
        let b = cur.as_bytes();
        let file_op =
            (b.len() == 2 && b[0] == b'-') || (b.len() == 3 && b[0] == b'!' && b[1] == b'-');
        if file_op {
            if last != 1 {
                return bad(self, format!("invalid condition \"{cur}\""), w);
            }
            if matches!(b[b.len() - 1], b'f' | b'd' | b'e' | b'x') {
                return;
            }
        }
        bad(self, format!("invalid condition \"{cur}\""), w);
    }
}
