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
//!   0.0.0.0:80`;
//! * an unknown variable — `unknown "x" variable` — only where that is
//!   certain: a complete main configuration (every include read, no syntax
//!   error) that uses only directives of stock nginx modules, so no module,
//!   `perl_set`, `js_set`, Lua, `map`, `geo`, `set`, … can define it unseen.
//!   Names of stock module families (`ssl_*`, `upstream_*`, `geoip_*`, …)
//!   are never reported. Elsewhere this check says nothing: a false error is
//!   worse than a miss.
//!
//! A comment-only (or empty) `nginx.conf` is a main configuration
//! ([`root_context`]), so it gets nginx's `no "events" section in
//! configuration`.
//!
//! Everything runs in one iterative walk per root ([`crate::model::walk`]).

use std::collections::{HashMap, HashSet};

use super::grammar::table::{table, Kind};
use super::grammar::{DUPLICATE_DIRECTIVE, INVALID_VALUE};
use super::variables::UNKNOWN_VARIABLE;
use super::{infer_context, LintOptions, LintOutcome};
use crate::diag::Diagnostic;
use crate::load::Loaded;
use crate::model::{walk, Context};
use crate::syntax::{Directive, FileId, Span};

mod blocks;
mod directives;
mod known;
mod values;
mod vars;
use known::is_known;
use values::atoi;

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
    let mut seen: HashSet<(&'static str, Span)> = HashSet::new();
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
    /// `events`, `http`, … blocks seen at the top level.
    main_blocks: HashSet<String>,
    /// `upstream` names of `http`.
    upstreams: HashSet<String>,
    /// `*_pass NAME;` without a port: (name, where); nginx needs an
    /// `upstream NAME` then.
    portless: Vec<(String, Span)>,
    /// `geo` blocks (by span) that declared `ranges`.
    geo_ranges: HashSet<Span>,
    out: Vec<Diagnostic>,
    _d: std::marker::PhantomData<&'a Directive>,
}

impl<'a> Checker<'a> {
    fn new(whole: bool) -> Self {
        Checker {
            whole,
            open_world: false,
            defined: HashSet::new(),
            uses: Vec::new(),
            listens: HashMap::new(),
            main_blocks: HashSet::new(),
            geo_ranges: HashSet::new(),
            upstreams: HashSet::new(),
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
                    "map" => self.map_entry(d),
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
            "location" => self.location_modifier(d),
            "listen" if ctx == Context::Server => {
                self.listen(d, ancestors);
            }
            "listen" if ctx == Context::StreamServer => self.listen_syntax(d),
            "if" if http => self.if_condition(d),
            "fastcgi_param" | "scgi_param" | "uwsgi_param" if http => {
                self.third_flag(d, "if_not_empty")
            }
            "add_header" | "add_trailer" if http => self.third_flag(d, "always"),
            "allow" | "deny" => self.access_rule(d),
            "sub_filter" if http => self.sub_filter(d),
            "expires" if http => self.expires(d),
            // a number slot the directive table gives no unit
            "gzip_comp_level" if http => {
                if let Some(w) = d.args.first() {
                    if atoi(&w.value).is_none() {
                        self.err(
                            INVALID_VALUE,
                            "\"gzip_comp_level\" directive invalid number".into(),
                            w.span,
                            "not a number",
                            "a compression level from 1 to 9",
                        );
                    }
                }
            }
            "upstream" if ctx == Context::Http => {
                if let Some(n) = d.arg(0) {
                    self.upstreams.insert(n.to_string());
                }
            }
            "fastcgi_pass" | "uwsgi_pass" | "scgi_pass" | "grpc_pass" | "memcached_pass"
                if http =>
            {
                self.portless_pass(d)
            }
            "events" | "http" | "stream" | "mail" if ctx == Context::Main => self.main_block(d),
            _ => {}
        }
        self.variable_names(d, name);
        self.references(d, name);
    }

    /// Note whatever can define variables this check cannot see.
    fn world(&mut self, d: &Directive, name: &str) {
        if name.contains("lua") || name.starts_with("perl") || name.starts_with("js_") {
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
        if !rows.iter().any(|r| matches!(r.kind, Kind::Oss)) {
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

    fn finish(&mut self) {
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
        if self.open_world {
            return;
        }
        let uses = std::mem::take(&mut self.uses);
        let mut reported = HashSet::new();
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
