//! `buffer/busy-buffers-invalid`: the buffer combinations nginx rejects when
//! it merges each server and location configuration (`ngx_http_*_merge_loc_conf`):
//! fewer than 2 `*_buffers`, `*_busy_buffers_size` outside
//! [max(buffer_size, one buffer), all buffers minus one], and the same
//! floor for `*_temp_file_write_size` and `*_max_temp_file_size`. The
//! derived defaults count: busy and temp-write default to twice the larger of
//! `*_buffer_size` and one buffer, so raising `proxy_buffer_size` alone to 16k
//! with the default `proxy_buffers 8 4k` stops nginx from loading.

use serde::Deserialize;

use super::{format_size, BUFFERED_PREFIXES};
use crate::lint::Findings;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rule::{RuleContext, Size};
use crate::lint::rules::diag;
use crate::lint::rules::util::{ends_with, FxHashSet};
use crate::model::stock;
use crate::model::values::parse_size;
use crate::model::{Context, Model, ScopeId};
use crate::rule;
use crate::syntax::{Directive, Span};

pub const RULE: Rule = rule! {
    id: "buffer/busy-buffers-invalid",
    severity: Error,
    summary: "`*_buffer_size` / `*_buffers` / `*_busy_buffers_size` combination nginx refuses to load",
    options: Options,
    check: check,
};

const META: RuleMeta = RULE.meta;

/// `[rules."buffer/busy-buffers-invalid"]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Options {
    /// The memory page size of the target machine (default `4k`; 16k or 64k
    /// on some ARM64 kernels): nginx's default buffer size.
    pub page_size: Option<Size>,
}

/// The settings nginx checks together (after the `<module>_` prefix).
const SETTINGS: &[&str] = &[
    "buffer_size",
    "buffers",
    "busy_buffers_size",
    "temp_file_write_size",
    "max_temp_file_size",
];

/// One effective setting: its value and the directive that sets it (`None`
/// when defaulted), with the depth of the scope it is set in (deeper =
/// closer to the merged level).
#[derive(Clone, Copy)]
struct Setting<'a> {
    directive: Option<&'a Directive>,
    depth: usize,
}

/// The five effective settings of one module at one scope.
struct Buffers<'a> {
    buffer_size: (u64, Setting<'a>),
    num: u64,
    buf: u64,
    buffers: Setting<'a>,
    busy: (u64, Setting<'a>),
    temp_write: (u64, Setting<'a>),
    max_temp: (u64, Setting<'a>),
}

fn depth(m: &Model<'_>, s: ScopeId) -> usize {
    m.chain(s).count()
}

/// Effective settings, `None` when any may hide in an unreadable include or
/// does not parse (grammar rules report those).
fn buffers_at<'a>(m: &Model<'a>, scope: ScopeId, p: &str, page: u64) -> Option<Buffers<'a>> {
    let get = |suffix: &str| {
        let e = m.effective(scope, &format!("{p}_{suffix}"));
        if stock::hidden(m, scope, &e) {
            return Err(());
        }
        Ok((
            e.directive,
            Setting {
                directive: e.directive,
                depth: e.set_in.map(|s| depth(m, s)).unwrap_or(0),
            },
        ))
    };
    let size_of = |d: Option<&Directive>| -> Result<Option<u64>, ()> {
        match d {
            None => Ok(None),
            Some(d) => d.arg(0).and_then(parse_size).map(Some).ok_or(()),
        }
    };
    let (bs_d, bs) = get("buffer_size").ok()?;
    let (bufs_d, bufs) = get("buffers").ok()?;
    let (busy_d, busy) = get("busy_buffers_size").ok()?;
    let (tw_d, tw) = get("temp_file_write_size").ok()?;
    let (mt_d, mt) = get("max_temp_file_size").ok()?;
    if [bs_d, bufs_d, busy_d, tw_d, mt_d]
        .iter()
        .all(Option::is_none)
    {
        return None;
    }
    let buffer_size = size_of(bs_d).ok()?.unwrap_or(page);
    let (num, buf) = match bufs_d {
        Some(d) => (d.arg(0)?.parse::<u64>().ok()?, parse_size(d.arg(1)?)?),
        None => (8, page),
    };
    let size = buffer_size.max(buf);
    Some(Buffers {
        buffer_size: (buffer_size, bs),
        num,
        buf,
        buffers: bufs,
        busy: (size_of(busy_d).ok()?.unwrap_or(2 * size), busy),
        temp_write: (size_of(tw_d).ok()?.unwrap_or(2 * size), tw),
        max_temp: (size_of(mt_d).ok()?.unwrap_or(1 << 30), mt),
    })
}

/// Levels whose configuration nginx merges and checks: servers, locations,
/// `if` and `limit_except` blocks, and an `http` level with no server under
/// it (a fragment: every real config has servers that inherit it).
fn checked_scopes(m: &Model<'_>) -> Vec<ScopeId> {
    (0..m.scopes.len() as u32)
        .map(ScopeId)
        .filter(|s| {
            let sc = m.scope(*s);
            match sc.kind {
                Context::Server
                | Context::Location
                | Context::IfInServer
                | Context::IfInLocation
                | Context::LimitExcept => true,
                Context::Http => !sc
                    .children
                    .iter()
                    .any(|c| m.scope(*c).kind == Context::Server),
                _ => false,
            }
        })
        .collect()
}

fn shown(name: &str, value: u64, s: &Setting<'_>) -> String {
    match s.directive {
        Some(d) => format!(
            "{name} {}",
            d.args
                .iter()
                .map(|w| w.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        None => format!("{name} {} (default)", format_size(value)),
    }
}

fn check(cx: &RuleContext<'_, Options>, out: &mut Findings) {
    let m = cx.model;
    let opts = &cx.options;
    let page = opts.page_size.map(|s| s.0).unwrap_or(4096);
    // scopes that set any of a module's five settings, in one scan
    let mut setters: Vec<FxHashSet<ScopeId>> = vec![FxHashSet::default(); BUFFERED_PREFIXES.len()];
    for e in &m.entries {
        let name = e.directive.name();
        // every setting ends so: skip the rest without looking further
        if !ends_with(name, "size") && !ends_with(name, "buffers") {
            continue;
        }
        for (i, p) in BUFFERED_PREFIXES.iter().enumerate() {
            if name
                .strip_prefix(p)
                .and_then(|r| r.strip_prefix('_'))
                .is_some_and(|r| SETTINGS.contains(&r))
            {
                setters[i].insert(e.scope);
            }
        }
    }
    if setters.iter().all(|s| s.is_empty()) {
        return;
    }
    let scopes = checked_scopes(m);
    let checked: FxHashSet<ScopeId> = scopes.iter().copied().collect();
    let mut seen: FxHashSet<(Span, &'static str)> = FxHashSet::default();
    for (i, p) in BUFFERED_PREFIXES.iter().enumerate() {
        let set = &setters[i];
        if set.is_empty() {
            continue;
        }
        for &scope in &scopes {
            // a level that sets nothing itself has its parent's verdict when
            // the parent is checked too; otherwise it matters only if some
            // outer level sets something
            let parent = m.scope(scope).parent;
            let evaluate = set.contains(&scope)
                || (!parent.is_some_and(|p| checked.contains(&p))
                    && m.chain(scope).any(|s| set.contains(&s)));
            if !evaluate {
                continue;
            }
            let Some(b) = buffers_at(m, scope, p, page) else {
                continue;
            };
            let size = b.buffer_size.0.max(b.buf);
            let bufs_text = match b.buffers.directive {
                Some(_) => format!("{p}_buffers {} {}", b.num, format_size(b.buf)),
                None => format!("{p}_buffers {} {} (default)", b.num, format_size(b.buf)),
            };
            let bs_text = shown(
                &format!("{p}_buffer_size"),
                b.buffer_size.0,
                &b.buffer_size.1,
            );
            let derived = |s: &Setting<'_>, name: &str, v: u64| {
                match s.directive {
                Some(_) => shown(name, v, s),
                None => format!(
                    "the default {name} of 2 × {} = {} (twice the larger of {bs_text} and one buffer of {bufs_text})",
                    format_size(size),
                    format_size(v)
                ),
            }
            };
            let busy_name = format!("{p}_busy_buffers_size");
            let tw_name = format!("{p}_temp_file_write_size");
            let mt_name = format!("{p}_max_temp_file_size");
            // (key, involved settings, message, nginx's words, help)
            let (key, involved, msg, emerg, help): (
                &'static str,
                Vec<Setting<'_>>,
                String,
                String,
                String,
            ) = if b.num < 2 {
                (
                    "num",
                    vec![b.buffers],
                    format!("{bufs_text} has fewer than 2 buffers"),
                    format!("there must be at least 2 \"{p}_buffers\""),
                    format!(
                        "use at least 2 buffers: `{p}_buffers 8 {};`",
                        format_size(b.buf)
                    ),
                )
            } else if b.busy.0 < size {
                (
                    "busy-low",
                    vec![b.busy.1, b.buffer_size.1, b.buffers],
                    format!(
                        "{} is smaller than the larger of {bs_text} and one buffer of {bufs_text} ({})",
                        derived(&b.busy.1, &busy_name, b.busy.0),
                        format_size(size)
                    ),
                    format!("\"{busy_name}\" must be equal to or greater than the maximum of the value of \"{p}_buffer_size\" and one of the \"{p}_buffers\""),
                    format!(
                        "set `{busy_name}` between {} and {}, or remove it to get 2 × {}",
                        format_size(size),
                        format_size((b.num - 1) * b.buf),
                        format_size(size)
                    ),
                )
            } else if b.busy.0 > (b.num - 1) * b.buf {
                let fix = if b.busy.1.directive.is_none() {
                    format!(
                        "give it room: `{p}_buffers {} {};` (or set `{busy_name}` between {} and {})",
                        b.num.max(8),
                        format_size(size),
                        format_size(size),
                        format_size((b.num - 1) * b.buf)
                    )
                } else if size <= (b.num - 1) * b.buf {
                    format!(
                        "set `{busy_name}` between {} and {}",
                        format_size(size),
                        format_size((b.num - 1) * b.buf)
                    )
                } else {
                    format!(
                        "enlarge the buffers: `{p}_buffers {} {};`",
                        b.num.max(8),
                        format_size(size)
                    )
                };
                (
                    "busy-high",
                    vec![b.busy.1, b.buffer_size.1, b.buffers],
                    format!(
                        "{} is more than all {p}_buffers minus one buffer ({} × {} = {}{})",
                        derived(&b.busy.1, &busy_name, b.busy.0),
                        b.num - 1,
                        format_size(b.buf),
                        format_size((b.num - 1) * b.buf),
                        if b.busy.1.directive.is_some() {
                            format!(", {bufs_text}")
                        } else {
                            String::new()
                        }
                    ),
                    format!("\"{busy_name}\" must be less than the size of all \"{p}_buffers\" minus one buffer"),
                    fix,
                )
            } else if b.temp_write.0 < size {
                (
                    "temp-write",
                    vec![b.temp_write.1, b.buffer_size.1, b.buffers],
                    format!(
                        "{} is smaller than the larger of {bs_text} and one buffer of {bufs_text} ({})",
                        derived(&b.temp_write.1, &tw_name, b.temp_write.0),
                        format_size(size)
                    ),
                    format!("\"{tw_name}\" must be equal to or greater than the maximum of the value of \"{p}_buffer_size\" and one of the \"{p}_buffers\""),
                    format!("set `{tw_name}` to at least {}, or remove it", format_size(size)),
                )
            } else if b.max_temp.0 != 0 && b.max_temp.0 < size {
                (
                    "max-temp",
                    vec![b.max_temp.1, b.buffer_size.1, b.buffers],
                    format!(
                        "{} is smaller than the larger of {bs_text} and one buffer of {bufs_text} ({})",
                        shown(&mt_name, b.max_temp.0, &b.max_temp.1),
                        format_size(size)
                    ),
                    format!("\"{mt_name}\" must be equal to zero to disable temporary files usage or must be equal to or greater than the maximum of the value of \"{p}_buffer_size\" and one of the \"{p}_buffers\""),
                    format!("set `{mt_name} 0;` to disable temporary files, or at least {}", format_size(size)),
                )
            } else {
                continue;
            };
            // the innermost explicit directive among those involved is the
            // change that broke the combination
            let explicit: Vec<&Setting<'_>> =
                involved.iter().filter(|s| s.directive.is_some()).collect();
            let Some(culprit) = explicit
                .iter()
                .max_by_key(|s| s.depth)
                .and_then(|s| s.directive)
            else {
                continue;
            };
            if !seen.insert((culprit.head_span(), key)) {
                continue;
            }
            let mut d = diag(
                &META,
                format!("{msg}: nginx refuses to load the configuration: {emerg}"),
            )
            .with_span(culprit.head_span())
            .with_label("buffer combination nginx rejects");
            for s in explicit {
                if let Some(o) = s.directive {
                    if o.head_span() != culprit.head_span() {
                        d = d.with_related(o.head_span(), "also part of the combination");
                    }
                }
            }
            if let Some(block) = m.scope(scope).block {
                let (b, c) = (block.span(), culprit.head_span());
                let inside = b.file == c.file && b.start() <= c.start() && c.end() <= b.end();
                if !inside {
                    d = d.with_related(
                        block.head_span(),
                        "inherited by this block, where nginx checks it",
                    );
                }
            }
            out.push(d.with_help(help));
        }
    }
}
