//! JSON text exactly as Python's `json.dumps(obj, separators=(',', ':'))`
//! writes it (crossplane's CLI without `--indent`): `ensure_ascii` escapes,
//! lowercase `\uXXXX`, surrogate pairs above the BMP, `\u007f` for DEL.
//!
//! Output is streamed through a small buffer so that rendering a large
//! config never holds the whole document in memory.

use std::io::{self, Write};

const FLUSH_AT: usize = 64 * 1024;

/// A buffered writer with Python-compatible string escaping and comma
/// bookkeeping for nested arrays.
pub struct JsonOut<W: Write> {
    inner: W,
    buf: Vec<u8>,
    /// One entry per open array: true until its first element is written.
    first: Vec<bool>,
}

impl<W: Write> JsonOut<W> {
    pub fn new(inner: W) -> Self {
        JsonOut {
            inner,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            first: Vec::new(),
        }
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Write raw JSON text (punctuation, keys).
    pub fn raw(&mut self, s: &str) -> io::Result<()> {
        self.buf.extend_from_slice(s.as_bytes());
        self.maybe_flush()
    }

    pub fn uint(&mut self, n: u64) -> io::Result<()> {
        self.raw(&n.to_string())
    }

    pub fn opt_uint(&mut self, n: Option<u32>) -> io::Result<()> {
        match n {
            Some(n) => self.uint(u64::from(n)),
            None => self.raw("null"),
        }
    }

    /// A JSON string with Python's `ensure_ascii=True` escaping.
    pub fn string(&mut self, s: &str) -> io::Result<()> {
        escape_into(&mut self.buf, s);
        self.maybe_flush()
    }

    /// Open an array (`[`).
    pub fn open_array(&mut self) -> io::Result<()> {
        self.first.push(true);
        self.raw("[")
    }

    /// Close the innermost array (`]`).
    pub fn close_array(&mut self) -> io::Result<()> {
        self.first.pop();
        self.raw("]")
    }

    /// Start an element of the innermost array (writes `,` when needed).
    pub fn element(&mut self) -> io::Result<()> {
        if let Some(f) = self.first.last_mut() {
            if *f {
                *f = false;
                return Ok(());
            }
        }
        self.raw(",")
    }

    /// Flush everything and give the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.inner.flush()?;
        Ok(self.inner)
    }
}

fn hex4(out: &mut Vec<u8>, u: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((u >> shift) & 0xf) as usize]);
    }
}

/// ASCII bytes written as they are.
static PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0x20;
    while i < 0x7f {
        t[i] = i != b'"' as usize && i != b'\\' as usize;
        i += 1;
    }
    t
};

/// Append `s` as a quoted JSON string, escaped like Python's `json`.
pub fn escape_into(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if PLAIN[b as usize] {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[run..i]);
        let c = if b < 0x80 {
            b as char
        } else {
            s[i..].chars().next().unwrap_or('\u{fffd}')
        };
        i += c.len_utf8();
        run = i;
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            _ => {
                let u = c as u32;
                if u >= 0x10000 {
                    let v = u - 0x10000;
                    hex4(out, 0xd800 | (v >> 10));
                    hex4(out, 0xdc00 | (v & 0x3ff));
                } else {
                    hex4(out, u);
                }
            }
        }
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut v = Vec::new();
        escape_into(&mut v, s);
        String::from_utf8(v).unwrap_or_default()
    }

    #[test]
    fn python_ensure_ascii() {
        assert_eq!(esc("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            esc("\n\r\t\u{8}\u{c}\u{1}\u{7f}"),
            r#""\n\r\t\b\f\u0001\u007f""#
        );
        assert_eq!(esc("é€"), r#""\u00e9\u20ac""#);
        assert_eq!(esc("😀"), r#""\ud83d\ude00""#);
    }

    #[test]
    fn arrays_get_commas() {
        let mut j = JsonOut::new(Vec::new());
        j.open_array()
            .and_then(|_| {
                for n in 1..=3 {
                    j.element()?;
                    j.uint(n)?;
                }
                j.close_array()
            })
            .unwrap_or_default();
        assert_eq!(j.finish().unwrap_or_default(), b"[1,2,3]");
    }
}
