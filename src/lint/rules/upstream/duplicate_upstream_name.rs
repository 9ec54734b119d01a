//! `upstream/duplicate-upstream-name`: two `upstream {}` blocks with the same
//! name in one configuration; nginx stops with `duplicate upstream "name"`.

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "upstream/duplicate-upstream-name",
    severity: Error,
    summary: "two `upstream {}` blocks with the same name",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    for (id, u) in m.upstreams.explicit() {
        let (Some(d), Some(scope)) = (u.directive, u.scope) else {
            continue;
        };
        let root = super::root_of(m, scope);
        // the first earlier block of the same name in the same configuration
        let first = m
            .upstreams
            .find_all(&u.name, u.stream)
            .iter()
            .copied()
            .take_while(|o| *o != id)
            .map(|o| m.upstreams.get(o))
            .find(|o| o.scope.is_some_and(|s| super::root_of(m, s) == root));
        let Some(first) = first.and_then(|f| f.directive) else {
            continue;
        };
        out.push(
            diag(
                &META,
                format!(
                    "upstream \"{}\" is defined twice; nginx stops with: duplicate upstream \"{}\"",
                    u.name, u.name
                ),
            )
            .with_span(d.head_span())
            .with_label("second definition")
            .with_related(first.head_span(), "first defined here")
            .with_help("rename one of the blocks (and the `*_pass` that should use it), or merge their servers"),
        );
    }
}
