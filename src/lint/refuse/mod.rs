//! Load-time errors of `nginx -t` that directive grammar alone does not see,
//! each in nginx's own wording (a mutation study found configs nginx refuses
//! that passed `lint --select syntax,grammar`):
//!
//! * `return` with an invalid code — `invalid return code "X"`;
//! * `rewrite` with an unknown flag — `invalid parameter "X"`;
//! * a `map` entry without exactly one value — `invalid number of the map
//!   parameters`;
//! * `location` with an invalid modifier — `invalid location modifier "X"`;
//! * a `listen` IPv6 address nginx cannot parse — `invalid host in "X" of
//!   the "listen" directive` (and `invalid port`, `invalid IPv6 address`);
//! * a variable name nginx refuses: `set a 1;` (`invalid variable name
//!   "a"`), a `$` not followed by a name in a value nginx compiles
//!   (`invalid variable name`), `${name` (`the closing bracket in "name"
//!   variable is missing`);
//! * the same `listen` address twice in one `server` — `a duplicate listen
//!   0.0.0.0:80` — and `default_server` on one address in two servers —
//!   `a duplicate default server for 0.0.0.0:80`;
//! * two exact or two prefix locations with one name in one block —
//!   `duplicate location "/a"`;
//! * a `proxy_pass` URL with a URI part in a regex or named location, or
//!   in `if` or `limit_except` — `"proxy_pass" cannot have URI part in
//!   location given by regular expression, ...`;
//! * `access_log` parameters — `invalid buffer size "X"`, `invalid
//!   compression level "X"`, `invalid flush time "X"`, `invalid parameter
//!   "X"`, `no buffer is defined for access_log "PATH"`;
//! * `fastcgi_split_path_info` without two captures — `pattern "X" must
//!   have 2 captures`;
//! * `proxy_cache_valid` (and the other caches) with a time or status
//!   nginx cannot read — `invalid time value "X"`, `invalid status "X"`;
//! * a `backup` server after `hash`, `ip_hash` or `random` — `balancing
//!   method does not support parameter "backup"`;
//! * an unknown variable — `unknown "x" variable` — only where that is
//!   certain: a complete main configuration (every include read, no syntax
//!   error) that uses only directives of stock nginx modules, so no module,
//!   `perl_set`, `js_set`, Lua, `map`, `geo`, `set`, … can define it unseen.
//!   Names of stock module families (`ssl_*`, `upstream_*`, `geoip_*`, …)
//!   are never reported. Elsewhere this check says nothing: a false error is
//!   worse than a miss.
//!
//! * values nginx parses in its handlers: `expires` times, `error_page`
//!   codes (`=`, 499, variables), upstream `keepalive`, `error_log` levels,
//!   `ssl_session_cache`, bracketed
//!   IPv6 upstream addresses (`invalid host in upstream "[::1"`),
//!   `charset_map` utf-8 codes, `map` with two `default`s, `geo` with a
//!   source that is not a variable;
//! * regular expressions (`location ~`, `rewrite`, `if (… ~ …)`, `map`
//!   keys) compiled with PCRE2 as nginx does ([`regex`]): `pcre2_compile()
//!   failed: …`;
//! * a server whose certificates outnumber its keys — `no
//!   "ssl_certificate_key" is defined for certificate "X"`;
//! * values nginx compiles at merge time (`*_param`, `*_set_header`,
//!   `ssl_certificate` with variables), only where nginx does compile them
//!   (in a `server` or `location`, or in `http` when a server inherits
//!   them).
//!
//! A comment-only (or empty) `nginx.conf` is a main configuration
//! ([`root_context`]), so it gets nginx's `no "events" section in
//! configuration`.
//!
//! Everything runs in one iterative walk per root ([`crate::model::walk`]).
//! The checks live by concern: [`directives`] (per-directive values),
//! [`blocks`] (`map`, `geo`, `charset_map` entries), [`vars`] (variable
//! names and references), [`regex`]; this file dispatches and reports.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::grammar::table::{table, ModuleKind};
use super::grammar::{DUPLICATE_DIRECTIVE, INVALID_VALUE};
use super::variables::UNKNOWN_VARIABLE;
use super::{infer_context, LintOptions, LintOutcome};
use crate::diag::Diagnostic;
use crate::load::Loaded;
use crate::model::{walk, Context};
use crate::syntax::{Directive, FileId, Span, Word};

mod blocks;
mod directives;
mod known;
mod regex;
mod values;
mod vars;
use known::is_known;
pub(crate) use known::is_stock_name;

/// The context a root file is linted in when `--context` is not given: an
/// `nginx.conf` without any directive is a main configuration (nginx
/// refuses it: no `events`), else [`infer_context`].
pub fn root_context(loaded: &Loaded, file: FileId) -> Context {
    let f = loaded.file(file);
    let named_main = loaded
        .sources
        .get(file)
        .path
        .file_name()
        .is_some_and(|n| n == "nginx.conf");
    if f.root.directives.is_empty() && f.errors.is_empty() && named_main {
        Context::Main
    } else {
        infer_context(&f.root)
    }
}

/// Run the checks on every root.
pub fn check(outcome: &LintOutcome, opts: &LintOptions, out: &mut Vec<Diagnostic>) {
    let loaded = &outcome.loaded;
    let clean = loaded.files.iter().all(|f| f.errors.is_empty())
        && loaded.missing.is_empty()
        && loaded.diagnostics.is_empty();
    let mut seen: HashSet<(&'static str, Span)> = HashSet::default();
    for root in &outcome.roots {
        let whole = root.context == Context::Main && opts.context.is_none() && clean;
        let mut c = Checker::new(whole);
        walk::walk(loaded, root.file, root.context, |v| {
            // an include that brought no file (a glob matching nothing
            // here) may define variables where the config is installed
            if v.directive.name() == "include" && loaded.included_by(v.directive).is_empty() {
                c.open_world = true;
            }
            c.visit(v.directive, v.context, v.ancestors);
            true
        });
        c.finish();
        for d in c.out {
            if let Some(s) = d.span {
                if !seen.insert((d.rule, s)) {
                    continue;
                }
            }
            out.push(d);
        }
    }
}

/// Directives whose values nginx compiles when it merges them into a
/// `server` or `location`.
const PARAMS: &[&str] = &[
    "proxy_set_header",
    "grpc_set_header",
    "fastcgi_param",
    "scgi_param",
    "uwsgi_param",
];

/// `ssl_certificate` and `ssl_certificate_key` of one block.
#[derive(Default)]
struct Certs {
    certs: usize,
    keys: usize,
    /// (file, where) of the last `ssl_certificate`.
    last: Option<(String, Span)>,
    /// Values with variables (compiled when the server has certificates).
    vars: Vec<Word>,
}

struct Checker<'a> {
    /// A complete main configuration: unknown variables can be reported.
    whole: bool,
    /// Something can define variables unseen (third-party or unknown
    /// directives, scripting modules, templates).
    open_world: bool,
    defined: HashSet<String>,
    /// Variable references (name, where), in read order.
    uses: Vec<(String, Span)>,
    /// `listen` addresses per `server` block (keyed by its span).
    listens: HashMap<Span, Vec<String>>,
    /// Addresses some http `server` listens on as `default_server`.
    default_servers: HashSet<String>,
    /// `upstream` blocks (by span) whose balancer (`hash`, `ip_hash`,
    /// `random`) has no backup servers.
    no_backup: HashSet<Span>,
    /// Exact and prefix locations: (parent block's span, exact, name).
    locations: HashSet<(Span, bool, &'a str)>,
    /// `events`, `http`, … blocks seen at the top level.
    main_blocks: HashSet<String>,
    /// `upstream` names of `http`.
    upstreams: HashSet<String>,
    /// `*_pass NAME;` without a port: (name, where); nginx needs an
    /// `upstream NAME` then.
    portless: Vec<(String, Span)>,
    /// `geo` blocks (by span) that declared `ranges`.
    geo_ranges: HashSet<Span>,
    /// `map` blocks (by span) that have a `default` entry.
    map_defaults: HashSet<Span>,
    /// The http `server` blocks, in read order.
    servers: Vec<Span>,
    /// Per `http` or `server` block (by span): `ssl_certificate` and
    /// `ssl_certificate_key` counts, and the last certificate.
    certs: HashMap<Span, Certs>,
    /// `ssl on;` somewhere (certificate checks are off).
    ssl_on: bool,
    /// `*_param`/`*_set_header` values of `http`: (directive, value).
    http_params: Vec<(String, Word)>,
    /// (server, index in [`PARAMS`]): the server sets its own.
    server_params: HashSet<(Span, usize)>,
    /// PCRE2's verdict per (pattern, caseless): configs repeat the same
    /// patterns (static-asset locations in every server).
    regexes: HashMap<(String, bool), Option<String>>,
    out: Vec<Diagnostic>,
    _d: std::marker::PhantomData<&'a Directive>,
}

impl<'a> Checker<'a> {
    fn new(whole: bool) -> Self {
        Checker {
            whole,
            open_world: false,
            defined: HashSet::default(),
            uses: Vec::new(),
            listens: HashMap::default(),
            default_servers: HashSet::default(),
            locations: HashSet::default(),
            no_backup: HashSet::default(),
            main_blocks: HashSet::default(),
            geo_ranges: HashSet::default(),
            map_defaults: HashSet::default(),
            servers: Vec::new(),
            certs: HashMap::default(),
            ssl_on: false,
            http_params: Vec::new(),
            server_params: HashSet::default(),
            regexes: HashMap::default(),
            upstreams: HashSet::default(),
            portless: Vec::new(),
            out: Vec::new(),
            _d: std::marker::PhantomData,
        }
    }

    fn visit(&mut self, d: &'a Directive, ctx: Context, ancestors: &[&'a Directive]) {
        let name = d.name();
        if ctx == Context::Data {
            if let Some(owner) = ancestors.last() {
                match owner.name() {
                    "map" => self.map_entry(d, owner),
                    "geo" => self.geo_entry(d, owner),
                    "charset_map" => self.charset_entry(d, owner),
                    _ => {}
                }
            }
            return;
        }
        if ctx == Context::Unknown {
            self.open_world = true;
            return;
        }
        self.world(d, name);
        let http = !matches!(
            ctx,
            Context::Stream
                | Context::StreamServer
                | Context::StreamUpstream
                | Context::Mail
                | Context::MailServer
                | Context::Main
                | Context::Events
        );
        match name {
            "return" if http => self.return_code(d),
            "rewrite" if http => self.rewrite_flag(d),
            "location" => {
                self.location_modifier(d);
                self.duplicate_location(d, ancestors);
            }
            "listen" if ctx == Context::Server => {
                self.listen(d, ancestors);
            }
            "listen" if ctx == Context::StreamServer => {
                self.listen_syntax(d);
            }
            "if" if http => self.if_condition(d),
            "fastcgi_param" | "scgi_param" | "uwsgi_param" if http => {
                self.third_flag(d, "if_not_empty")
            }
            "add_header" | "add_trailer" if http => self.third_flag(d, "always"),
            "allow" | "deny" => self.access_rule(d),
            "sub_filter" if http => self.sub_filter(d),
            "expires" if http => self.expires(d),
            "error_page" if http => self.error_page(d),
            "keepalive" if ctx == Context::Upstream => self.upstream_keepalive(d),
            "error_log" => self.error_log_levels(d),
            "server" if matches!(ctx, Context::Upstream | Context::StreamUpstream) => {
                if ctx == Context::Upstream {
                    self.upstream_address(d, false);
                }
                self.backup_with_balancer(d, ancestors);
            }
            "hash" | "ip_hash" | "random"
                if matches!(ctx, Context::Upstream | Context::StreamUpstream) =>
            {
                if let Some(u) = ancestors.last() {
                    self.no_backup.insert(u.span());
                }
            }
            "access_log" => self.access_log_params(d),
            "fastcgi_split_path_info" if http => {
                if let Some(w) = d.args.first() {
                    self.split_path_info(w);
                }
            }
            "proxy_cache_valid"
            | "fastcgi_cache_valid"
            | "uwsgi_cache_valid"
            | "scgi_cache_valid"
                if http =>
            {
                self.cache_valid(d)
            }
            "proxy_pass" if http => {
                self.upstream_address(d, true);
                self.proxy_pass_uri(d, ancestors);
            }
            "ssl_session_cache" if matches!(ctx, Context::Http | Context::Server) => {
                self.ssl_session_cache(d)
            }
            "ssl" if http => self.ssl_on = true,
            "ssl_certificate" | "ssl_certificate_key"
                if matches!(ctx, Context::Http | Context::Server) =>
            {
                self.certificate(d, ancestors)
            }
            "server" if ctx == Context::Http => self.servers.push(d.span()),
            "upstream" if ctx == Context::Http => {
                if let Some(n) = d.arg(0) {
                    self.upstreams.insert(n.to_string());
                }
            }
            "fastcgi_pass" | "uwsgi_pass" | "scgi_pass" | "grpc_pass" | "memcached_pass"
                if http =>
            {
                self.upstream_address(d, false);
                self.portless_pass(d)
            }
            "events" | "http" | "stream" | "mail" if ctx == Context::Main => self.main_block(d),
            _ => {}
        }
        self.variable_names(d, name);
        if ctx == Context::Server && PARAMS.contains(&name) {
            if let Some(server) = ancestors.last() {
                self.server_params.insert((
                    server.span(),
                    PARAMS.iter().position(|p| *p == name).unwrap_or(0),
                ));
            }
        }
        self.references(d, name, ctx);
    }

    /// Note whatever can define variables this check cannot see.
    fn world(&mut self, d: &Directive, name: &str) {
        // (a byte-window scan: `str::contains` sets up a substring searcher
        // for every directive, the most expensive step of this walk)
        let lua = name.as_bytes().windows(3).any(|w| w == b"lua");
        if lua || name.starts_with("perl") || name.starts_with("js_") {
            self.open_world = true;
            return;
        }
        if name == "load_module" {
            let m = d.arg(0).unwrap_or_default();
            let stock = [
                "ngx_stream_module",
                "ngx_mail_module",
                "ngx_http_geoip_module",
                "ngx_stream_geoip_module",
                "ngx_http_image_filter_module",
                "ngx_http_xslt_filter_module",
            ];
            if !stock.iter().any(|s| m.ends_with(&format!("{s}.so"))) {
                self.open_world = true;
            }
            return;
        }
        let rows = table().get(name);
        if !rows.iter().any(|r| matches!(r.kind, ModuleKind::Oss)) {
            self.open_world = true;
        }
    }

    fn err(&mut self, id: &'static str, msg: String, span: Span, label: &str, help: &str) {
        self.out.push(
            Diagnostic::error(id, msg)
                .with_span(span)
                .with_label(label.to_string())
                .with_help(help.to_string()),
        );
    }

    /// `events {}` twice: `"events" directive is duplicate`.
    fn main_block(&mut self, d: &Directive) {
        if !self.main_blocks.insert(d.name().to_string()) {
            self.err(
                DUPLICATE_DIRECTIVE,
                format!("\"{}\" directive is duplicate", d.name()),
                d.name.span,
                "a second block of this name",
                "merge the two blocks into one",
            );
        }
    }

    /// Count `ssl_certificate`/`ssl_certificate_key` per `http`/`server`.
    fn certificate(&mut self, d: &Directive, ancestors: &[&Directive]) {
        let Some(block) = ancestors
            .iter()
            .rev()
            .find(|a| matches!(a.name(), "server" | "http"))
        else {
            return;
        };
        let c = self.certs.entry(block.span()).or_default();
        if let Some(w) = d.args.first().filter(|w| w.value.contains('$')) {
            c.vars.push(w.clone());
        }
        if d.name() == "ssl_certificate" {
            c.certs += 1;
            c.last = d.args.first().map(|w| (w.value.to_string(), w.span));
        } else {
            c.keys += 1;
        }
    }

    /// `ngx_http_ssl_merge_srv_conf`: a server's certificates (its own,
    /// else those of `http`) each need a key (its own, else those of
    /// `http`): `no "ssl_certificate_key" is defined for certificate "X"`.
    fn finish_certificates(&mut self) {
        if self.ssl_on {
            // `ssl on;` (deprecated): other messages, not checked
            return;
        }
        let servers: HashSet<Span> = self.servers.iter().copied().collect();
        let http = self.certs.iter().find(|(span, _)| !servers.contains(span));
        let (http_certs, http_keys, http_last) = match http {
            Some((_, c)) => (c.certs, c.keys, c.last.clone()),
            None => (0, 0, None),
        };
        let mut found = Vec::new();
        let mut compile = Vec::new();
        for s in &self.servers {
            let own = self.certs.get(s);
            let (certs, last) = match own {
                Some(c) if c.certs > 0 => (c.certs, c.last.clone()),
                _ => (http_certs, http_last.clone()),
            };
            let keys = match own {
                Some(c) if c.keys > 0 => c.keys,
                _ => http_keys,
            };
            if certs > keys {
                if let Some(last) = last {
                    if !found.contains(&last) {
                        found.push(last);
                    }
                }
            } else if certs > 0 {
                // `ngx_http_ssl_compile_certificates`; those of `http` are
                // compiled as well when inherited, not checked here
                if let Some(c) = own {
                    compile.extend(c.vars.iter().cloned());
                }
            }
        }
        for w in compile {
            self.compile(&w);
        }
        for (file, span) in found {
            self.err(
                INVALID_VALUE,
                format!("no \"ssl_certificate_key\" is defined for certificate \"{file}\""),
                span,
                "no key for this certificate",
                "add `ssl_certificate_key` with the certificate's private key, one per `ssl_certificate`",
            );
        }
    }

    fn finish(&mut self) {
        // `http`-level params a server inherits (one without its own)
        for (name, w) in std::mem::take(&mut self.http_params) {
            let i = PARAMS.iter().position(|p| *p == name).unwrap_or(0);
            if self
                .servers
                .iter()
                .any(|s| !self.server_params.contains(&(*s, i)))
            {
                self.compile(&w);
            }
        }
        if !self.whole {
            return;
        }
        for (name, span) in std::mem::take(&mut self.portless) {
            if !self.upstreams.contains(&name) {
                self.err(
                    INVALID_VALUE,
                    format!("no port in upstream \"{name}\""),
                    span,
                    "no upstream of this name, and no port",
                    "define `upstream NAME { server host:port; }` or give host:port",
                );
            }
        }
        self.finish_certificates();
        if self.open_world {
            return;
        }
        let uses = std::mem::take(&mut self.uses);
        let mut reported = HashSet::default();
        for (name, span) in uses {
            if self.defined.contains(&name) || is_known(&name) || !reported.insert(name.clone()) {
                continue;
            }
            self.err(
                UNKNOWN_VARIABLE,
                format!("unknown \"{name}\" variable"),
                span,
                "no module and no directive of this configuration defines it",
                "define it (`set`, `map`, `geo`, …) or fix the name; nginx refuses to start",
            );
        }
    }
}
