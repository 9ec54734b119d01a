//! The cause table's "related lint rules" point at real, registered rules, so
//! `ngxray logs` never sends a user to a rule that does not exist.

use ngxray::lint::registry;
use ngxray::logs::causes::CAUSES;

#[test]
fn cause_table_links_registered_rules() {
    let mut missing = Vec::new();
    for c in CAUSES {
        for r in c.rules {
            if registry::find(r).is_none() {
                missing.push(format!("{} -> {r}", c.id));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "unregistered rule ids in the cause table: {missing:?}"
    );
    // the causes that config rules can prevent do name at least one rule
    for id in [
        "no-resolver",
        "no-live-upstreams",
        "read-timeout",
        "header-too-big",
        "connect-timeout",
    ] {
        let c = CAUSES.iter().find(|c| c.id == id).expect(id);
        assert!(!c.rules.is_empty(), "{id} names no rule");
    }
}
