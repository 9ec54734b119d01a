//! `buffer/header-buffer-too-small`: `proxy_buffer_size` (and its fastcgi,
//! uwsgi, scgi, grpc twins) holds the whole response header of the backend.
//! Set below one memory page (4k, nginx's default), a large `Set-Cookie`, JWT
//! or redirect URL overflows it: "upstream sent too big header", 502.

use serde::Deserialize;

use super::{format_size, HEADER_BUFFER_PREFIXES};
use crate::lint::Findings;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rule::{RuleContext, Size};
use crate::lint::rules::diag;
use crate::lint::rules::util::ends_with;
use crate::model::values::parse_size;
use crate::model::Context;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "buffer/header-buffer-too-small",
    severity: Warning,
    summary: "`*_buffer_size` below 4k (or the `min-size` option): \"upstream sent too big header\"",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."buffer/header-buffer-too-small"]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// Smallest acceptable `*_buffer_size` (default `4k`).
    pub min_size: Option<Size>,
}

const DEFAULT_MIN: u64 = 4096;

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    let min = opts.min_size.map(|s| s.0).unwrap_or(DEFAULT_MIN);
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
