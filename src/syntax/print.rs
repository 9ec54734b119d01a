//! Printing a syntax tree back to nginx text. Used by `ngxray parse` users
//! who rewrite configs and by the round-trip property tests: parsing the
//! printed text gives the same tree (names, argument values, nesting).

use super::ast::{Block, Item, Word};
use crate::source::Span;

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

/// The source bytes of a piece whose text lossy UTF-8 decoding changed
/// (it holds U+FFFD): printing them instead keeps the bytes as written.
fn lossy<'s>(src: Option<&'s [u8]>, span: Span, text: &str) -> Option<&'s [u8]> {
    if !text.contains('\u{FFFD}') {
        return None;
    }
    src?.get(span.start()..span.end())
}

fn push_word(out: &mut Vec<u8>, w: &Word, src: Option<&[u8]>) {
    match lossy(src, w.span, &w.value) {
        // the word as written, quotes included: it lexes to the same bytes
        Some(raw) => out.extend_from_slice(raw),
        None => out.extend_from_slice(word(&w.value).as_bytes()),
    }
}

fn indent(out: &mut Vec<u8>, depth: usize) {
    for _ in 0..depth {
        out.extend_from_slice(b"    ");
    }
}

/// Print with an explicit stack (no recursion on nesting depth).
fn write(root: &Block, src: Option<&[u8]>, comments: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack: Vec<Box<dyn Iterator<Item = Item<'_>> + '_>> = vec![Box::new(root.items())];
    loop {
        let depth = stack.len().saturating_sub(1);
        let Some(top) = stack.last_mut() else { break };
        let Some(item) = top.next() else {
            stack.pop();
            if !stack.is_empty() {
                indent(&mut out, depth - 1);
                out.extend_from_slice(b"}\n");
            }
            continue;
        };
        match item {
            Item::Comment(c) => {
                if comments {
                    indent(&mut out, depth);
                    match lossy(src, c.span, &c.text) {
                        Some(raw) => {
                            if !raw.starts_with(b"#") {
                                out.push(b'#');
                            }
                            out.extend_from_slice(raw);
                        }
                        None => {
                            out.push(b'#');
                            out.extend_from_slice(c.text.as_bytes());
                            // the lexer takes one `\r` before the line end
                            // as part of a CRLF: give it one to take, so a
                            // comment ending in `\r` keeps it
                            if c.text.ends_with('\r') {
                                out.push(b'\r');
                            }
                        }
                    }
                    out.push(b'\n');
                }
            }
            Item::Directive(d) => {
                indent(&mut out, depth);
                push_word(&mut out, &d.name, src);
                for a in &d.args {
                    out.push(b' ');
                    push_word(&mut out, a, src);
                }
                if let Some(raw) = d.raw() {
                    out.push(b' ');
                    match lossy(src, raw.span, &raw.text) {
                        Some(bytes) => out.extend_from_slice(bytes),
                        None => {
                            out.push(b'{');
                            out.extend_from_slice(raw.text.as_bytes());
                            out.push(b'}');
                        }
                    }
                    out.push(b'\n');
                } else if let Some(b) = d.block() {
                    out.extend_from_slice(b" {\n");
                    stack.push(Box::new(b.items()));
                } else {
                    out.extend_from_slice(b";\n");
                }
            }
        }
    }
    out
}

/// Print a block (a file's top level) as nginx configuration text. Values
/// that were not valid UTF-8 come out as U+FFFD: use [`print_bytes`] with
/// the source to keep their bytes.
pub fn print(b: &Block, comments: bool) -> String {
    // without a source every piece is a Rust string: always UTF-8
    String::from_utf8(write(b, None, comments))
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Print a block parsed from `src`, keeping the bytes of words, comments
/// and raw bodies that are not valid UTF-8 as written: parsing the output
/// gives the same bytes.
pub fn print_bytes(b: &Block, src: &[u8], comments: bool) -> Vec<u8> {
    write(b, Some(src), comments)
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

    #[test]
    fn bytes_round_trip() {
        let src: &[u8] =
            b"# c\xff\nname\xfe a\xff \"b \xc3\" c;\nh { x_by_lua_block { \xff } y; }\n";
        let f = parse(src, FileId(0));
        assert!(f.errors.is_empty());
        let out = print_bytes(&f.root, src, true);
        for piece in [
            &b"c\xff"[..],
            b"name\xfe",
            b"a\xff",
            b"\"b \xc3\"",
            b"{ \xff }",
        ] {
            assert!(out.windows(piece.len()).any(|w| w == piece), "{out:?}");
        }
        let g = parse(&out, FileId(0));
        assert!(g.errors.is_empty());
        assert_eq!(print_bytes(&g.root, &out, true), out);
        // without the source: replacement characters
        assert!(print(&f.root, true).contains('\u{FFFD}'));
    }
}
