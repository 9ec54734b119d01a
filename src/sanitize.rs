//! Text from configs and logs made harmless for a terminal. Configs come
//! from pull requests and logs from clients: neither may drive the reader's
//! terminal with escape sequences. Both the lint and the logs reports use
//! this one sanitiser.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Log content made harmless for a terminal: control characters (C0 such
/// as ESC, BEL, CR, LF and TAB, DEL, and C1 such as U+009B CSI) are shown
/// as escapes (`\x1b`, `\n`, `\u{9b}`), so a hostile client cannot drive
/// the reader's terminal through a logged request line or header.
pub fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if !has_control(s) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

pub fn is_control(c: char) -> bool {
    (c as u32) < 0x20 || ('\u{7f}'..='\u{9f}').contains(&c)
}

/// Whether `s` holds a control character ([`is_control`]). Reports ask
/// this of every text of every finding, and nearly all have none: a
/// byte test first (a fold without early exit, which the compiler turns
/// into wide compares), then the exact test on characters only for a text
/// with a C0 byte, DEL or 0xC2 (the lead byte of C1, and of U+00A0–U+00BF).
pub fn has_control(s: &str) -> bool {
    let may = s
        .bytes()
        .fold(false, |may, b| may | (b < 0x20) | (b == 0x7f) | (b == 0xc2));
    may && s.chars().any(is_control)
}

/// Source text for a snippet, with the same byte length and offsets:
/// control bytes (C0 but TAB and LF, CR not before LF, DEL) become `?`,
/// and a C1 character (two bytes in UTF-8) becomes `??`.
pub fn mask_controls(text: &[u8]) -> Cow<'_, [u8]> {
    let bad = |i: usize, b: u8| match b {
        b'\t' | b'\n' => false,
        b'\r' => text.get(i + 1) != Some(&b'\n'),
        0..=0x1f | 0x7f => true,
        0xc2 => text.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)),
        _ => false,
    };
    // The same two steps as [`has_control`]: a byte test over the whole
    // file (TAB and LF are fine; CR, usually before LF, sends it to the
    // exact test), then the exact one.
    let may = text.iter().fold(false, |may, &b| {
        may | ((b < 0x20) & (b != b'\t') & (b != b'\n')) | (b == 0x7f) | (b == 0xc2)
    });
    if !may || !text.iter().enumerate().any(|(i, &b)| bad(i, b)) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_vec();
    let mut i = 0;
    while i < text.len() {
        if bad(i, text[i]) {
            out[i] = b'?';
            if text[i] == 0xc2 {
                out[i + 1] = b'?';
                i += 1;
            }
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// A finding with its texts cleaned (see [`clean`]), for the text, concise
/// and GitHub reports; borrowed when there is nothing to clean.
pub fn diagnostic(d: &crate::diag::Diagnostic) -> Cow<'_, crate::diag::Diagnostic> {
    let dirty = has_control;
    if !dirty(&d.message)
        && !d.label.as_deref().is_some_and(dirty)
        && !d.help.as_deref().is_some_and(dirty)
        && !d.related.iter().any(|l| dirty(&l.message))
    {
        return Cow::Borrowed(d);
    }
    let mut c = d.clone();
    c.message = clean(&d.message).as_ref().into();
    c.label = d.label.as_deref().map(|s| clean(s).as_ref().into());
    c.help = d.help.as_deref().map(|s| clean(s).as_ref().into());
    for l in &mut c.related {
        l.message = clean(&l.message).as_ref().into();
    }
    Cow::Owned(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_past_the_byte_test() {
        for c in [
            '\u{0}', '\u{1b}', '\n', '\u{7f}', '\u{80}', '\u{9b}', '\u{9f}',
        ] {
            assert!(
                has_control(&format!("a long enough text {c} and more")),
                "{c:?}"
            );
        }
        // 0xC2 leads these too, and they are not controls
        for s in ["plain", "", "© ® ¿ \u{a0}", "é → 😀"] {
            assert!(!has_control(s), "{s:?}");
        }
    }

    #[test]
    fn masks_keep_offsets() {
        let t = b"a\x1b[31mb\r\nc\xc2\x9bd\te";
        let m = mask_controls(t);
        assert_eq!(m.len(), t.len());
        assert_eq!(&m[..], b"a?[31mb\r\nc??d\te");
        assert!(matches!(mask_controls(b"plain\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn cleans_escapes() {
        assert_eq!(clean("a\u{1b}[2Jb\u{7}"), "a\\x1b[2Jb\\x07");
    }
}
