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

fn directive(out: &mut String, d: &Directive, depth: usize, comments: bool) {
    let indent = "    ".repeat(depth);
    out.push_str(&indent);
    out.push_str(&word(d.name()));
    for a in &d.args {
        out.push(' ');
        out.push_str(&word(&a.value));
    }
    if let Some(raw) = &d.raw {
        out.push_str(" {");
        out.push_str(&raw.text);
        out.push_str("}\n");
    } else if let Some(b) = &d.block {
        out.push_str(" {\n");
        block(out, b, depth + 1, comments);
        out.push_str(&indent);
        out.push_str("}\n");
    } else {
        out.push_str(";\n");
    }
}

fn block(out: &mut String, b: &Block, depth: usize, comments: bool) {
    for item in b.items() {
        match item {
            Item::Directive(d) => directive(out, d, depth, comments),
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
}

/// Print a block (a file's top level) as nginx configuration text.
pub fn print(b: &Block, comments: bool) -> String {
    let mut out = String::new();
    block(&mut out, b, 0, comments);
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
}
