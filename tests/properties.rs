//! Property tests of the parser and the lint pipeline: arbitrary bytes never
//! panic; printed trees parse back to the same tree.

use ngxray::lint::{lint_loaded, LintOptions};
use ngxray::load::{LoadOptions, Loaded};
use ngxray::syntax::{parse, print::print, Block, FileId};
use proptest::prelude::*;

/// (name, args, children) — a structural view of a tree for comparison.
#[derive(Debug, Clone, PartialEq)]
struct Node(String, Vec<String>, Option<Vec<Node>>);

fn shape(b: &Block) -> Vec<Node> {
    b.directives
        .iter()
        .map(|d| {
            Node(
                d.name().to_string(),
                d.args.iter().map(|a| a.value.to_string()).collect(),
                d.block().map(shape),
            )
        })
        .collect()
}

fn arb_word() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}",
        "[ -~]{0,16}",
        "\\PC{0,8}",
        Just(String::new()),
        Just("${var}".to_string()),
        Just("a\\b".to_string()),
        Just("\"'".to_string()),
    ]
}

fn arb_tree() -> impl Strategy<Value = Vec<Node>> {
    let leaf = ("[a-z_]{1,10}", prop::collection::vec(arb_word(), 0..4))
        .prop_filter("not a lua block", |(n, _)| !n.ends_with("_by_lua_block"))
        .prop_map(|(n, a)| Node(n, a, None));
    let tree = leaf.prop_recursive(4, 48, 6, |inner| {
        (
            "[a-z_]{1,10}",
            prop::collection::vec(arb_word(), 0..3),
            prop::collection::vec(inner, 0..5),
        )
            .prop_filter("not a lua block", |(n, _, _)| !n.ends_with("_by_lua_block"))
            .prop_map(|(n, a, c)| Node(n, a, Some(c)))
    });
    prop::collection::vec(tree, 0..6)
}

fn to_text(nodes: &[Node], out: &mut String) {
    for Node(n, args, children) in nodes {
        out.push_str(&ngxray::syntax::print::word(n));
        for a in args {
            out.push(' ');
            out.push_str(&ngxray::syntax::print::word(a));
        }
        match children {
            Some(c) => {
                out.push_str(" {\n");
                to_text(c, out);
                out.push_str("}\n");
            }
            None => out.push_str(";\n"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let f = parse(&bytes, FileId(0));
        // every error has a span inside the file
        for e in &f.errors {
            prop_assert!(e.span.start() <= bytes.len() && e.span.end() <= bytes.len());
        }
        let mut loaded = Loaded::default();
        loaded.load_text("fuzz.conf".into(), bytes, &LoadOptions::default());
        let out = lint_loaded(loaded, &LintOptions::default());
        for d in &out.diagnostics {
            let _ = d.locate(&out.loaded.sources);
        }
    }

    #[test]
    fn random_token_soup_never_panics(parts in prop::collection::vec(
        prop_oneof![Just("{"), Just("}"), Just(";"), Just("\""), Just("'"), Just("#"), Just("\\"), Just("\n"), Just(" "), Just("${"), Just("a"), Just("content_by_lua_block"), Just("[["), Just("]]"), Just("--")], 0..200)) {
        let s: String = parts.concat();
        let _ = parse(s.as_bytes(), FileId(0));
    }

    #[test]
    fn printed_trees_parse_back(tree in arb_tree()) {
        let mut text = String::new();
        to_text(&tree, &mut text);
        let f = parse(text.as_bytes(), FileId(0));
        prop_assert!(f.errors.is_empty(), "errors {:?} in\n{}", f.errors, text);
        prop_assert_eq!(&shape(&f.root), &tree);
        // and printing the parsed tree again is stable
        let again = print(&f.root, false);
        let g = parse(again.as_bytes(), FileId(0));
        prop_assert_eq!(shape(&g.root), tree);
    }
}
