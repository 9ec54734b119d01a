//! `upstream/unused-upstream`: an `upstream {}` block no `*_pass` uses (in a
//! configuration where every `*_pass` is visible and none picks its
//! upstream through a variable ngxray cannot evaluate). Often a leftover or
//! a typo on the using side.

use crate::lint::Findings;
use crate::lint::rule::RuleContext;
use crate::lint::rule::{Rule, RuleMeta};
use crate::lint::rules::diag;
use crate::model::Host;
use crate::rule;

pub const RULE: Rule = rule! {
    id: "upstream/unused-upstream",
    severity: Info,
    summary: "an `upstream {}` block that no `*_pass` uses",
    check: check,
};

const META: RuleMeta = RULE.meta;

fn check(cx: &RuleContext<'_>, out: &mut Findings) {
    let m = cx.model;
    // names a variable pass can produce; None = cannot tell (then stay quiet)
    let mut dynamic: Vec<String> = Vec::new();
    for p in &m.passes {
        if !p.target.has_variables {
            continue;
        }
        match &p.target.host {
            Host::Name(n) => dynamic.push(n.to_ascii_lowercase()),
            Host::Variable(expr) => {
                for v in crate::model::target::variables(expr) {
                    let Some(vals) = m.variable_values(v) else {
                        return;
                    };
                    for val in vals {
                        let t = crate::model::target::parse_pass(val, p.module);
                        match &t.host {
                            Host::Name(n) => dynamic.push(n.to_ascii_lowercase()),
                            Host::Variable(_) => return,
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // a Lua balancer picks upstreams ngxray cannot see: asked (one scan)
    // only once there is something to report
    let mut lua_balancer = None;
    for (_, u) in m.upstreams.explicit() {
        let (Some(d), Some(scope)) = (u.directive, u.scope) else {
            continue;
        };
        let twin_used = m
            .upstreams
            .find_all(&u.name, u.stream)
            .iter()
            .any(|o| !m.upstreams.get(*o).used_by.is_empty());
        if twin_used || dynamic.iter().any(|n| n.eq_ignore_ascii_case(&u.name)) {
            continue;
        }
        // every file of the configuration must be visible
        if !m.is_complete(scope) || m.scopes.iter().any(|s| s.unknown_include.is_some()) {
            continue;
        }
        if *lua_balancer.get_or_insert_with(|| {
            m.entries.iter().any(|e| {
                matches!(
                    e.directive.name(),
                    "balancer_by_lua_block" | "balancer_by_lua_file"
                )
            })
        }) {
            return;
        }
        out.push(
            diag(
                &META,
                format!("upstream \"{}\" is not used by any *_pass", u.name),
            )
            .with_span(d.head_span())
            .with_label("never used")
            .with_help("remove the block, or check the `*_pass` that should use it for a typo"),
        );
    }
}
