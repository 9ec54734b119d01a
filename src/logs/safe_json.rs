//! JSON that is safe to print on a terminal.
//!
//! serde_json escapes the C0 controls (ESC, BEL, CR, …) of log content but
//! writes DEL and the C1 controls (U+0080–U+009F; U+009B is an 8-bit CSI)
//! as they are. A hostile client can put them in a request line or header
//! that nginx logs; here they are written as `\u00XX` escapes too, so no
//! output of `ngxray logs` can drive the reader's terminal.

use std::io::{self, Write};

use serde::Serialize;

/// A compact formatter that also escapes DEL and C1 controls.
struct Formatter;

impl serde_json::ser::Formatter for Formatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // DEL is the byte 0x7f and every C1 control starts with the byte
        // 0xc2 in UTF-8: text with neither (nearly all) is written as is.
        if memchr::memchr2(0x7f, 0xc2, fragment.as_bytes()).is_none() {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Serialise `value` as compact JSON into `writer`.
pub fn to_writer<W: Write, T: ?Sized + Serialize>(writer: W, value: &T) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, Formatter);
    value.serialize(&mut ser)
}

#[cfg(test)]
mod tests {
    #[test]
    fn controls_are_escaped() {
        let mut out = Vec::new();
        super::to_writer(&mut out, &"a\u{1b}[31mb\u{9b}c\u{7f}d\u{7}é").unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "\"a\\u001b[31mb\\u009bc\\u007fd\\u0007é\"");
        assert!(s.bytes().all(|b| b >= 0x20 && b != 0x7f));
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\u{1b}[31mb\u{9b}c\u{7f}d\u{7}é");
        // Other text, with or without the lead byte of the C1 controls.
        for text in ["é x", "£\u{a0}é", "\u{100}\u{9f}"] {
            let mut out = Vec::new();
            super::to_writer(&mut out, &text).unwrap();
            let escaped = text.replace('\u{9f}', "\\u009f");
            assert_eq!(String::from_utf8(out).unwrap(), format!("\"{escaped}\""));
        }
    }
}
