//! Printing a syntax tree back to nginx text. Used by `ngxray parse` users
//! who rewrite configs and by the round-trip property tests: parsing the
//! printed text gives the same tree (names, argument values, nesting).

use super::ast::{Block, Directive, Item};

/// Does this value need quotes to survive nginx's lexer unchanged?
fn needs_quotes(v: &str) -> bool {
    v.is_empty()
        || v.bytes().any(|b| {
            matches!(
                b,
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}' | b'#' | b'"' | b'\'' | b'\\'
            )
        })
}

/// One word, quoted (with `\"` and `\\` escapes) only when needed.
pub fn word(v: &str) -> String {
    if !needs_quotes(v) {
        return v.to_string();
    }
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            _ => s.push(c),
        }
    }
    s.push('"');
    s
}

/// A directive's name and arguments, indented.
fn head(out: &mut String, d: &Directive, depth: usize) {
    out.push_str(&"    ".repeat(depth));
    out.push_str(&word(d.name()));
    for a in &d.args {
        out.push(' ');
        out.push_str(&word(&a.value));
    }
}

/// Print a block (a file's top level) as nginx configuration text. Open
/// blocks wait on an explicit stack, so nesting depth costs heap, not stack.
pub fn print(b: &Block, comments: bool) -> String {
    let mut out = String::new();
    // the items of each open block still to print, and its depth
    let mut stack = vec![(b.items(), 0usize)];
    while let Some((items, depth)) = stack.last_mut() {
        let depth = *depth;
        let Some(item) = items.next() else {
            stack.pop();
            if depth > 0 {
                out.push_str(&"    ".repeat(depth - 1));
                out.push_str("}\n");
            }
            continue;
        };
        match item {
            Item::Directive(d) => {
                head(&mut out, d, depth);
                if let Some(raw) = &d.raw {
                    out.push_str(" {");
                    out.push_str(&raw.text);
                    out.push_str("}\n");
                } else if let Some(b) = &d.block {
                    out.push_str(" {\n");
                    stack.push((b.items(), depth + 1));
                } else {
                    out.push_str(";\n");
                }
            }
            Item::Comment(c) => {
                if comments {
                    out.push_str(&"    ".repeat(depth));
                    out.push('#');
                    out.push_str(&c.text);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{parse, FileId};

    #[test]
    fn round_trip_tricky_values() {
        let src = "a \"\" 'x y' \"q\\\"\" b\\\\c \"#h\" ${v}x;\nhttp { s { l \"a;b\" '{' ; } }\n";
        let f = parse(src.as_bytes(), FileId(0));
        assert!(f.errors.is_empty());
        let printed = print(&f.root, true);
        let g = parse(printed.as_bytes(), FileId(0));
        assert!(g.errors.is_empty(), "{printed}");
        assert_eq!(print(&g.root, true), printed);
    }

    #[test]
    fn deep_nesting_prints_without_recursion() {
        // (indentation makes the text quadratic in depth: a modest depth,
        // on a stack far too small for a walk recursing once per level)
        let n = 2_000;
        let f = parse(
            format!("{}{}", "a {".repeat(n), "}".repeat(n)).as_bytes(),
            FileId(0),
        );
        let out = std::thread::Builder::new()
            .stack_size(128 << 10)
            .spawn(move || print(&f.root, false).len())
            .unwrap()
            .join()
            .unwrap();
        // "a {\n" and "}\n" per level, indented by four spaces a level
        assert_eq!(out, 6 * n + 2 * 4 * (n * (n - 1) / 2));
    }
}
