//! Per-directive value checks of `nginx -t` that the directive table does
//! not express: `return` codes, `rewrite` flags, `location` modifiers,
//! `listen` addresses (and duplicates in one `server`), `if` conditions,
//! `allow`/`deny` networks, `expires`, `*_pass` names without a port.

use super::values::{atoi, listen_address, valid_cidr};
use super::Checker;
use crate::lint::grammar::{DUPLICATE_DIRECTIVE, INVALID_VALUE};
use crate::syntax::{Directive, Word};

impl Checker<'_> {
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
    pub(super) fn listen_syntax(&mut self, d: &Directive) {
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

    pub(super) fn listen(&mut self, d: &Directive, ancestors: &[&Directive]) {
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

    /// `expires modified TIME`: two arguments only after `modified`.
    pub(super) fn expires(&mut self, d: &Directive) {
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
