//! `buffer/header-buffer-too-small`: `proxy_buffer_size` (and its fastcgi,
//! uwsgi, scgi, grpc twins) holds the whole response header of the backend.
//! Set below one memory page (4k, nginx's default), a large `Set-Cookie`, JWT
//! or redirect URL overflows it: "upstream sent too big header", 502.

use serde::Deserialize;

use super::{format_size, HEADER_BUFFER_PREFIXES};
use crate::diag::{Diagnostic, Severity};
use crate::lint::registry::RuleMeta;
use crate::lint::rules::util::ends_with;
use crate::lint::rules::{diag, validate, OptionError, Rule, RuleContext, RuleOptions};
use crate::model::values::parse_size;
use crate::model::Context;

pub const META: RuleMeta = RuleMeta {
    id: "buffer/header-buffer-too-small",
    severity: Severity::Warning,
    summary:
        "`*_buffer_size` below 4k (or the `min-size` option): \"upstream sent too big header\"",
    doc: Some(include_str!(
        "../../../../docs/rules/buffer/header-buffer-too-small.md"
    )),
};

pub const RULE: Rule = Rule {
    meta: META,
    check,
    options: Some(validate::<Options>),
};

/// `[rules."buffer/header-buffer-too-small"]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Smallest acceptable `*_buffer_size` (default `4k`).
    pub min_size: Option<String>,
}

impl RuleOptions for Options {
    fn validate(&self) -> Result<(), OptionError> {
        match &self.min_size {
            Some(s) if parse_size(s).is_none() => Err(OptionError::new(
                "min-size",
                format!("\"{s}\" is not an nginx size (e.g. 4k, 16k, 1m)"),
            )),
            _ => Ok(()),
        }
    }
}

const DEFAULT_MIN: u64 = 4096;

fn check(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let m = cx.model;
    let opts: Options = cx.options(META.id);
    let min = opts
        .min_size
        .as_deref()
        .and_then(parse_size)
        .unwrap_or(DEFAULT_MIN);
    for e in &m.entries {
        let name = e.directive.name();
        if !ends_with(name, "_buffer_size") {
            continue;
        }
        let Some(prefix) = name
            .strip_suffix("_buffer_size")
            .filter(|p| HEADER_BUFFER_PREFIXES.contains(p))
        else {
            continue;
        };
        // the stream module's proxy_buffer_size is a different buffer
        if matches!(
            m.scope(e.scope).kind,
            Context::Stream | Context::StreamServer
        ) {
            continue;
        }
        let d = e.directive;
        let Some(v) = d.arg(0).and_then(parse_size) else {
            continue;
        };
        if v >= min {
            continue;
        }
        let why = if min == DEFAULT_MIN {
            "below one memory page (4k), nginx's own default".to_string()
        } else {
            format!("below {} (option min-size)", format_size(min))
        };
        let scheme = match prefix {
            "proxy" => "http://".to_string(),
            other => format!("{other}://"),
        };
        out.push(
                diag(
                    &META,
                    format!(
                        "{name} {} is {why}: a backend response header larger than {} (cookies, JWTs, long redirect URLs) fails with \"upstream sent too big header while reading response header from upstream\" (502, upstream: \"{scheme}…\")",
                        d.arg(0).unwrap_or_default(),
                        format_size(v)
                    ),
                )
                .with_span(d.head_span())
                .with_label("header buffer too small")
                .with_help(format!(
                    "raise it: `{name} 16k;` (32k for single-sign-on callbacks); if it gets larger than 4k, also size {prefix}_buffers/{prefix}_busy_buffers_size so nginx accepts the combination (see buffer/busy-buffers-invalid)"
                )),
            );
    }
}
