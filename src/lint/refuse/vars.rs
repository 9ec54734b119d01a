//! Variables: names nginx refuses (`set a 1;`), values it compiles
//! (`ngx_http_script_compile`: `$`, `${name`), and the references that
//! [`Checker::finish`] reports as unknown in a complete configuration.

use super::Checker;
use crate::lint::grammar::INVALID_VALUE;
use crate::lint::variables::named_captures;
use crate::model::Context;
use crate::syntax::{Directive, Word};

impl Checker<'_> {
    /// Arguments nginx takes as a variable name.
    pub(super) fn variable_names(&mut self, d: &Directive, name: &str) {
        let which: Option<&Word> = match name {
            "set" | "auth_request_set" => d.args.first(),
            "map" | "split_clients" => d.args.get(1),
            "geo" => d.args.last(),
            _ => None,
        };
        // `geo $address $name`: the address is a variable too
        if name == "geo" && d.args.len() == 2 && !d.args[0].value.starts_with('$') {
            let v = &d.args[0].value;
            return self.err(
                INVALID_VALUE,
                format!("invalid variable name \"{v}\""),
                d.args[0].span,
                "not a $variable",
                "write `geo $address_variable $name { … }` or `geo $name { … }`",
            );
        }
        if name == "charset" {
            // `charset $var;`: the name after `$`, whatever it is
            if let Some(n) = d.arg(0).and_then(|v| v.strip_prefix('$')) {
                if let Some(w) = d.args.first() {
                    if n.is_empty() {
                        return self.invalid_name(w);
                    }
                    self.uses.push((n.to_string(), w.span));
                }
            }
            return;
        }
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
    pub(super) fn references(&mut self, d: &Directive, name: &str, ctx: Context) {
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
            // `*_param`, `*_set_header`: compiled when merged into a
            // `server` or `location` (with or without a `*_pass`); those of
            // `http` only if some `server` inherits them (`finish`)
            "proxy_set_header" | "grpc_set_header" | "fastcgi_param" | "scgi_param"
            | "uwsgi_param" => {
                if let Some(w) = d.args.get(1) {
                    if ctx == Context::Http {
                        self.http_params.push((d.name().to_string(), w.clone()));
                        return;
                    }
                }
                d.args.get(1).into_iter().collect()
            }
            "rewrite" | "set" | "add_header" | "add_trailer" | "auth_request_set" => {
                d.args.get(1).into_iter().collect()
            }
            "proxy_pass" | "fastcgi_pass" | "uwsgi_pass" | "scgi_pass" | "grpc_pass"
            | "proxy_cache_key" | "fastcgi_cache_key" | "uwsgi_cache_key" | "scgi_cache_key"
            | "root" | "alias" | "limit_req_zone" | "limit_conn_zone" | "map" => {
                d.args.first().into_iter().collect()
            }
            "try_files" | "index" | "sub_filter" => d.args.iter().collect(),
            "error_page" | "expires" => d.args.last().into_iter().collect(),
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

    pub(super) fn if_variable(&mut self, w: &Word) {
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
    pub(super) fn compile(&mut self, w: &Word) {
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

    pub(super) fn invalid_name(&mut self, w: &Word) {
        self.err(
            INVALID_VALUE,
            "invalid variable name".into(),
            w.span,
            "a $ without a variable name",
            "nginx reads every $ in this value as the start of a variable: remove it, or take a literal $ from a variable (e.g. `geo $dollar { default \"$\"; }`)",
        );
    }
}
