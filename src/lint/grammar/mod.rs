//! Directive grammar validation, as `nginx -t` does it: known names,
//! contexts, argument counts, terminators, values, versions, and the
//! load-time semantic errors a linter can see (no `events`, empty upstreams,
//! unknown log formats, undefined zones, `listen ... ssl` without a
//! certificate). The directive table lives in `grammar/directives.tsv`
//! ([`table`]); messages use nginx's own wording so they can be compared with
//! `nginx -t` output line by line.

use std::collections::{HashMap, HashSet};

use super::{LintOptions, LintOutcome};
use crate::diag::Diagnostic;
use crate::load::Loaded;
use crate::model::{walk, Context};
use crate::syntax::Span;

mod checker;
mod lookup;
mod semantic;
pub mod table;
#[cfg(test)]
mod tsv;
mod values;

use super::variables::Variables;
pub(crate) use checker::Checker;
use table::table;

pub const UNKNOWN_DIRECTIVE: &str = "grammar/unknown-directive";
pub const NOT_ALLOWED_HERE: &str = "grammar/not-allowed-here";
pub const INVALID_ARGUMENT_COUNT: &str = "grammar/invalid-argument-count";
pub const INVALID_TERMINATOR: &str = "grammar/invalid-terminator";
pub const INVALID_FLAG_VALUE: &str = "grammar/invalid-flag-value";
pub const INVALID_VALUE: &str = "grammar/invalid-value";
pub const DUPLICATE_DIRECTIVE: &str = "grammar/duplicate-directive";
pub const UNAVAILABLE_IN_VERSION: &str = "grammar/unavailable-in-version";
pub const THIRD_PARTY_DIRECTIVE: &str = "grammar/third-party-directive";
pub const MISSING_EVENTS: &str = "grammar/missing-events";
pub const EMPTY_UPSTREAM: &str = "grammar/empty-upstream";
pub const UNKNOWN_LOG_FORMAT: &str = "grammar/unknown-log-format";
pub const UNDEFINED_ZONE: &str = "grammar/undefined-zone";
pub const SSL_WITHOUT_CERTIFICATE: &str = "grammar/ssl-without-certificate";
pub const DUPLICATE_VARIABLE: &str = "grammar/duplicate-variable";

/// Every id grammar validation reports (each is registered in
/// [`super::registry::ALL`]).
pub const IDS: &[&str] = &[
    UNKNOWN_DIRECTIVE,
    NOT_ALLOWED_HERE,
    INVALID_ARGUMENT_COUNT,
    INVALID_TERMINATOR,
    INVALID_FLAG_VALUE,
    INVALID_VALUE,
    DUPLICATE_DIRECTIVE,
    UNAVAILABLE_IN_VERSION,
    THIRD_PARTY_DIRECTIVE,
    MISSING_EVENTS,
    EMPTY_UPSTREAM,
    UNKNOWN_LOG_FORMAT,
    UNDEFINED_ZONE,
    SSL_WITHOUT_CERTIFICATE,
    DUPLICATE_VARIABLE,
];

/// Validate every directive reachable from the roots: one walk per root
/// ([`walk`]) does all of it, `grammar/unknown-variable` included (reported
/// after the other findings, once every root is walked).
pub fn check(outcome: &LintOutcome, opts: &LintOptions, out: &mut Vec<Diagnostic>) {
    let loaded = &outcome.loaded;
    let start = out.len();
    let mut seen: HashSet<(&'static str, Option<Span>, crate::diag::Text)> = HashSet::new();
    let mut info_modules: HashSet<&'static str> = HashSet::new();
    let mut vars = Variables::default();
    let table = table();
    for root in &outcome.roots {
        let modules = loaded_modules(loaded, root.file, root.context, opts);
        let mut c = Checker::new(
            opts,
            loaded,
            table,
            modules,
            &mut vars,
            root.context,
            root.context == Context::Main && opts.context.is_none(),
        );
        walk(loaded, root.file, root.context, |v| {
            let group = table.lookup(v.directive.name());
            c.visit(v, group);
            // Rejected blocks are still walked, for `grammar/unknown-variable`.
            true
        });
        c.settle_infos(&mut info_modules);
        c.finish(root.file);
        c.list_unlisted();
        for d in c.out {
            if seen.insert((d.rule, d.span, d.message.clone())) {
                out.push(d);
            }
        }
    }
    group_unknown(out, start);
    vars.finish(out);
}

/// Label of a name no row of the table has (not "module not loaded").
pub(super) const UNKNOWN_LABEL: &str = "unknown directive";
/// Start of the help of an unknown name close to a known one.
pub(super) const DID_YOU_MEAN: &str = "did you mean";

/// Unknown names that share a module prefix (`foo_` of `foo_bar`,
/// `foo_baz`) are one finding: one module missing from the build (or from
/// the directive table) is one cause, not one error per line. The first in
/// read order stays, with the other lines as related spans. Names with a
/// spelling suggestion stay apart (a typo of a known directive is its own
/// cause), and so do names without `_`.
fn group_unknown(out: &mut Vec<Diagnostic>, start: usize) {
    fn prefix(d: &Diagnostic) -> Option<(&str, &str)> {
        if d.rule != UNKNOWN_DIRECTIVE
            || d.label.as_deref() != Some(UNKNOWN_LABEL)
            || d.span.is_none()
            || d.help
                .as_deref()
                .is_some_and(|h| h.starts_with(DID_YOU_MEAN))
        {
            return None;
        }
        let name = d
            .message
            .strip_prefix("unknown directive \"")?
            .strip_suffix('"')?;
        let (p, rest) = name.split_once('_')?;
        (!p.is_empty() && !rest.is_empty()).then_some((&name[..=p.len()], name))
    }
    /// The index of the first finding, the distinct names, the others.
    type Group = (usize, Vec<String>, Vec<(Span, String)>);
    let mut groups: HashMap<String, Group> = HashMap::new();
    let mut drop = HashSet::new();
    for (i, d) in out.iter().enumerate().skip(start) {
        let (Some((p, name)), Some(span)) = (prefix(d), d.span) else {
            continue;
        };
        match groups.get_mut(p) {
            None => {
                groups.insert(p.to_string(), (i, vec![name.to_string()], Vec::new()));
            }
            Some((_, names, others)) => {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
                others.push((span, name.to_string()));
                drop.insert(i);
            }
        }
    }
    for (p, (first, names, others)) in groups {
        if others.is_empty() {
            continue;
        }
        let Some(d) = out.get_mut(first) else {
            continue;
        };
        const SHOWN: usize = 6;
        let mut list: Vec<String> = names
            .iter()
            .take(SHOWN)
            .map(|n| format!("\"{n}\""))
            .collect();
        if names.len() > SHOWN {
            list.push(format!("and {} more", names.len() - SHOWN));
        }
        d.message = format!(
            "unknown directives with prefix \"{p}\": {}",
            list.join(", ")
        )
        .into();
        d.label = Some(format!("unknown directive (1 of {})", others.len() + 1).into());
        d.help = Some(format!(
            "{} lines use unknown \"{p}*\" directives, most likely one third-party module this nginx lacks: build it in (`--add-module`) or load it with `load_module`, or remove its directives",
            others.len() + 1
        ).into());
        for (span, name) in others {
            d.related.push(crate::diag::Label {
                span,
                message: format!("also unknown: \"{name}\"").into(),
            });
        }
    }
    if !drop.is_empty() {
        let mut i = 0;
        out.retain(|_| {
            i += 1;
            !drop.contains(&(i - 1))
        });
    }
}

/// The `.so` files `load_module` lines (or `--load-module`) load: `None` when
/// the config says nothing about dynamic modules.
fn loaded_modules(
    loaded: &Loaded,
    file: crate::syntax::FileId,
    ctx: Context,
    opts: &LintOptions,
) -> Option<HashSet<String>> {
    let mut set: HashSet<String> = opts.modules.iter().map(|m| so_name(m)).collect();
    let mut any = !opts.modules.is_empty();
    if ctx == Context::Main {
        walk(loaded, file, ctx, |v| {
            if v.context == Context::Main && v.directive.name() == "load_module" {
                any = true;
                if let Some(a) = v.directive.arg(0) {
                    set.insert(so_name(a));
                }
            }
            false
        });
    }
    any.then_some(set)
}

/// `modules/ngx_http_lua_module.so` → `ngx_http_lua_module.so`.
fn so_name(s: &str) -> String {
    let base = s.rsplit('/').next().unwrap_or(s);
    if base.ends_with(".so") {
        base.to_string()
    } else {
        format!("{base}.so")
    }
}

#[cfg(test)]
mod tests {
    use super::lookup::suggest;
    use super::*;
    use crate::lint::variables;
    use crate::load::LoadOptions;

    /// Grammar findings (rule, line) for an `nginx -T` style dump.
    fn findings(dump: &str) -> Vec<(&'static str, usize)> {
        let mut loaded = Loaded::default();
        let roots = loaded.load_text(
            "-".into(),
            dump.as_bytes().to_vec(),
            &LoadOptions {
                follow_includes: true,
                ..Default::default()
            },
        );
        let outcome = LintOutcome {
            roots: vec![super::super::Root {
                file: roots[0],
                context: Context::Main,
            }],
            loaded,
            diagnostics: Vec::new(),
        };
        let mut out = Vec::new();
        check(&outcome, &LintOptions::default(), &mut out);
        out.iter()
            .map(|d| {
                let span = d.span.expect("grammar findings have a span");
                let file = outcome.loaded.sources.get(span.file);
                (d.rule, file.position(span.start()).line)
            })
            .collect()
    }

    #[test]
    fn duplicates_are_per_block_even_through_shared_includes() {
        // nginx -t accepts one file of locations included by two servers.
        let dump = "# configuration file /e/nginx.conf:\nevents {}\nhttp {\n server { listen 81; include /e/loc.conf; }\n server { listen 82; include /e/loc.conf; }\n}\n\n# configuration file /e/loc.conf:\nlocation / { root /a; }\n\n";
        assert_eq!(findings(dump), []);
        // Twice in one block, also through an include: nginx says duplicate.
        let dump = "# configuration file /e/nginx.conf:\nevents {}\nhttp {\n server { include /e/r.conf; include /e/r.conf; }\n server { root /a; location / { root /b; } root /c; }\n}\n\n# configuration file /e/r.conf:\nroot /a;\n\n";
        assert_eq!(
            findings(dump),
            [(DUPLICATE_DIRECTIVE, 1), (DUPLICATE_DIRECTIVE, 4)]
        );
    }

    #[test]
    fn unknown_variables_are_found_inside_rejected_blocks() {
        // Grammar stops at the unknown block directive and in data blocks;
        // the variable check still sees every word.
        let dump = "events {}\nhttp {\n server { foo { return 200 $arg; } }\n map $x $y { default $http; }\n server { location / { return 200 $cookie; } }\n}\n";
        assert_eq!(
            findings(dump),
            [
                (UNKNOWN_DIRECTIVE, 3),
                (variables::UNKNOWN_VARIABLE, 3),
                (variables::UNKNOWN_VARIABLE, 4),
                (variables::UNKNOWN_VARIABLE, 5),
            ]
        );
    }

    #[test]
    fn suggests_in_context() {
        let o = LintOptions::default();
        assert_eq!(
            suggest("proxy_pas", Context::Location, &o, &None),
            Some("proxy_pass")
        );
        assert_eq!(
            suggest("Server_Name", Context::Server, &o, &None),
            Some("server_name")
        );
        assert_eq!(suggest("zzzzzzzzzz", Context::Server, &o, &None), None);
    }
}
