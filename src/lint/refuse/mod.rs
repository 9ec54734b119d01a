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

use super::grammar::table::{table, ModuleKind};
use super::grammar::{DUPLICATE_DIRECTIVE, INVALID_ARGUMENT_COUNT, INVALID_VALUE};
use super::variables::UNKNOWN_VARIABLE;
use super::{infer_context, LintOptions, LintOutcome};
use crate::diag::Diagnostic;
use crate::load::Loaded;
use crate::model::{walk, Context};
use crate::syntax::{Directive, FileId, Span, Word};

mod known;
mod values;
use known::is_known;
use values::{atoi, listen_address, named_captures, valid_cidr};

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

    /// `ngx_http_rewrite_return`: a number up to 999, or one URL argument
    /// (`http://`, `https://`, `$scheme`).
    fn return_code(&mut self, d: &Directive) {
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

    fn rewrite_flag(&mut self, d: &Directive) {
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

    fn map_entry(&mut self, d: &Directive) {
        let name = d.name();
        if name.contains("(?") {
            named_captures(name, &mut self.defined);
        }
        if let Some(v) = d.args.first() {
            if d.args.len() == 1 && v.value.contains('$') && name != "include" {
                self.compile(v);
            }
        }
        if d.args.is_empty() && matches!(name, "hostnames" | "volatile") {
            return;
        }
        if d.args.len() != 1 || d.block.is_some() {
            self.err(
                INVALID_ARGUMENT_COUNT,
                "invalid number of the map parameters".into(),
                d.head_span(),
                "a map entry is one key and one value",
                "write `key value;` (quote a value with spaces)",
            );
        }
    }

    fn location_modifier(&mut self, d: &Directive) {
        if d.args.len() != 2 {
            return;
        }
        let m = &d.args[0];
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

    /// `listen` address syntax nginx refuses (bracketed IPv6 only).
    fn listen_syntax(&mut self, d: &Directive) {
        let Some(w) = d.args.first() else { return };
        if let Err(why) = listen_address(d) {
            self.err(
                INVALID_VALUE,
                format!("{why} in \"{}\" of the \"listen\" directive", w.value),
                w.span,
                "nginx cannot parse this address",
                "write an IPv6 address as [addr] or [addr]:port, e.g. [::]:80",
            );
        }
    }

    fn listen(&mut self, d: &Directive, ancestors: &[&Directive]) {
        self.listen_syntax(d);
        let Ok(Some(mut addr)) = listen_address(d) else {
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
        let list = self.listens.entry(server.span).or_default();
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

    /// The optional third argument of `add_header` (`always`) and
    /// `*_param` (`if_not_empty`).
    fn third_flag(&mut self, d: &Directive, flag: &str) {
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
    fn access_rule(&mut self, d: &Directive) {
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

    fn sub_filter(&mut self, d: &Directive) {
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

    /// `expires modified TIME`: two arguments only after `modified`.
    fn expires(&mut self, d: &Directive) {
        if d.args.len() == 2 && d.args[0].value != "modified" {
            self.err(
                INVALID_VALUE,
                "\"expires\" directive invalid value".into(),
                d.args[0].span,
                "two arguments only as `modified TIME`",
                "write `expires TIME;`, `expires modified TIME;`, `expires epoch|max|off;`",
            );
        }
    }

    /// `fastcgi_pass name;` (and uwsgi, scgi, grpc, memcached): a name
    /// without a port is an `upstream` name, checked once all are known.
    fn portless_pass(&mut self, d: &Directive) {
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

    /// A `charset_map` line: two hexadecimal codes.
    fn charset_entry(&mut self, d: &Directive, owner: &Directive) {
        if d.args.len() != 1 || d.block.is_some() {
            self.err(
                INVALID_ARGUMENT_COUNT,
                "invalid parameters number".into(),
                d.head_span(),
                "a charset_map line is two codes",
                "write `SRC DST;` in hexadecimal (e.g. `C0 D18E;`)",
            );
            return;
        }
        let utf8 = owner
            .args
            .get(1)
            .is_some_and(|a| a.value.eq_ignore_ascii_case("utf-8"));
        let hex = |s: &str| {
            (!s.is_empty() && s.len() <= 8 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(s, 16).ok())
                .flatten()
        };
        let src = (d.name(), d.name.span);
        let dst = (d.args[0].value.as_str(), d.args[0].span);
        for (i, (v, span)) in [src, dst].into_iter().enumerate() {
            let ok = match hex(v) {
                Some(n) => i == 1 && utf8 || n <= 0xff,
                None => false,
            };
            if !ok {
                self.err(
                    INVALID_VALUE,
                    format!("invalid value \"{v}\""),
                    span,
                    "not a hexadecimal code",
                    "codes are hexadecimal bytes (UTF-8 sequences on the utf-8 side)",
                );
                return;
            }
        }
    }

    /// `ngx_http_rewrite_if_condition`.
    fn if_condition(&mut self, d: &Directive) {
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

    /// A `geo` entry: `network value;`, or `default`, `include`, `proxy`,
    /// `delete`, `ranges;`, `proxy_recursive;`.
    fn geo_entry(&mut self, d: &Directive, owner: &Directive) {
        let name = d.name();
        if d.args.is_empty() && matches!(name, "ranges" | "proxy_recursive") {
            if name == "ranges" {
                self.geo_ranges.insert(owner.span);
            }
            return;
        }
        if d.args.len() != 1 || d.block.is_some() {
            self.err(
                INVALID_ARGUMENT_COUNT,
                "invalid number of the geo parameters".into(),
                d.head_span(),
                "a geo entry is one network and one value",
                "write `network value;` (quote a value with spaces)",
            );
            return;
        }
        if matches!(name, "include" | "proxy" | "default") || self.geo_ranges.contains(&owner.span)
        {
            return;
        }
        let net = if name == "delete" {
            d.arg(0).unwrap_or_default()
        } else {
            name
        };
        if !valid_cidr(net) {
            self.err(
                INVALID_VALUE,
                format!("invalid network \"{net}\""),
                d.name.span,
                "not an address or address/prefix",
                "write an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8)",
            );
        }
    }

    /// Arguments nginx takes as a variable name.
    fn variable_names(&mut self, d: &Directive, name: &str) {
        let which: Option<&Word> = match name {
            "set" | "auth_request_set" => d.args.first(),
            "map" | "split_clients" => d.args.get(1),
            "geo" => d.args.last(),
            _ => None,
        };
        let Some(w) = which else { return };
        let v = w.value.as_str();
        match v.strip_prefix('$') {
            Some(n) if !n.is_empty() => {
                self.defined.insert(n.to_string());
            }
            _ => self.err(
                INVALID_VALUE,
                format!("invalid variable name \"{v}\""),
                w.span,
                "not a $variable",
                "name the variable with a leading $, e.g. `set $name value;`",
            ),
        }
    }

    /// References in the arguments nginx compiles as values with
    /// variables.
    fn references(&mut self, d: &Directive, name: &str) {
        if !d
            .args
            .iter()
            .any(|w| w.value.contains('$') || w.value.contains('('))
        {
            return;
        }
        for w in &d.args {
            if w.value.contains("(?") {
                named_captures(&w.value, &mut self.defined);
            }
        }
        let compiled: Vec<&Word> = match name {
            "return" => match d.args.len() {
                1 => d.args.first().into_iter().collect(),
                _ => d.args.get(1).into_iter().collect(),
            },
            // (`*_param`, `proxy_set_header`: compiled only where a
            // `*_pass` uses them, so not checked here)
            "rewrite" | "set" | "add_header" | "add_trailer" | "auth_request_set" => {
                d.args.get(1).into_iter().collect()
            }
            "proxy_pass" | "fastcgi_pass" | "uwsgi_pass" | "scgi_pass" | "grpc_pass"
            | "proxy_cache_key" | "fastcgi_cache_key" | "uwsgi_cache_key" | "scgi_cache_key"
            | "root" | "alias" | "limit_req_zone" | "limit_conn_zone" | "map" => {
                d.args.first().into_iter().collect()
            }
            "try_files" | "index" | "sub_filter" => d.args.iter().collect(),
            "error_page" => d.args.last().into_iter().collect(),
            "auth_basic" | "auth_basic_user_file" => d.args.first().into_iter().collect(),
            "access_log" => d
                .args
                .first()
                .filter(|w| !w.value.starts_with("syslog:"))
                .into_iter()
                .collect(),
            "log_format" => d
                .args
                .iter()
                .skip(1)
                .filter(|w| !w.value.starts_with("escape="))
                .collect(),
            "if" => {
                // `if ($var)`, `if ($var = value)`: the variable, and the
                // value of `=`/`!=` (regex operands are not compiled)
                let toks: Vec<&Word> = d
                    .args
                    .iter()
                    .filter(|w| w.value != "(" && w.value != ")")
                    .collect();
                let mut v: Vec<&Word> = Vec::new();
                if let Some(first) = toks.first() {
                    if first.value.trim_start_matches('(').starts_with('$') {
                        self.if_variable(first);
                    }
                }
                if toks.len() >= 3 && matches!(toks[1].value.as_str(), "=" | "!=") {
                    v.push(toks[2]);
                }
                v
            }
            _ => Vec::new(),
        };
        for w in compiled {
            if w.value.contains('$') {
                self.compile(w);
            }
        }
    }

    fn if_variable(&mut self, w: &Word) {
        let v = w.value.trim_start_matches('(').trim_end_matches(')');
        let n: String = v
            .get(1..)
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !n.is_empty() {
            self.uses.push((n, w.span));
        }
    }

    /// `ngx_http_script_compile`: every `$` starts a capture (`$1`…`$9`), a
    /// name, or `${name}`.
    fn compile(&mut self, w: &Word) {
        let b = w.value.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'$' {
                i += 1;
                continue;
            }
            i += 1;
            if i == b.len() {
                self.invalid_name(w);
                return;
            }
            if (b'1'..=b'9').contains(&b[i]) {
                i += 1;
                continue;
            }
            let bracket = b[i] == b'{';
            if bracket {
                i += 1;
            }
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let name = &w.value[start..i];
            if bracket {
                if b.get(i) == Some(&b'}') {
                    i += 1;
                } else {
                    self.err(
                        INVALID_VALUE,
                        format!("the closing bracket in \"{name}\" variable is missing"),
                        w.span,
                        "unclosed ${",
                        "close the name with `}`, e.g. `${name}suffix`",
                    );
                    return;
                }
            }
            if name.is_empty() {
                self.invalid_name(w);
                return;
            }
            self.uses.push((name.to_string(), w.span));
        }
    }

    fn invalid_name(&mut self, w: &Word) {
        self.err(
            INVALID_VALUE,
            "invalid variable name".into(),
            w.span,
            "a $ without a variable name",
            "nginx reads every $ in this value as the start of a variable: remove it, or take a literal $ from a variable (e.g. `geo $dollar { default \"$\"; }`)",
        );
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

    #[test]
    fn known_names() {
        assert!(is_known("host"));
        assert!(is_known("ssl_anything"));
        assert!(is_known("1"));
        assert!(is_known("ENV_STYLE"));
        assert!(!is_known("nosuch"));
        assert!(!is_known("foo_bar"));
    }
}
