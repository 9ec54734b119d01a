//! Byte searches for the short distances of the line parser.
//!
//! Most searches in an error.log line end within a few dozen bytes (the end
//! of a field value, the errno before the action). For those, the fixed cost
//! of a call into a vectorised searcher (feature dispatch, alignment set-up)
//! is larger than the search itself; these inline word-at-a-time (SWAR)
//! loops look at 8 bytes per step and have no set-up. Long scans (newlines
//! over a block) keep using `memchr`.

use std::borrow::Cow;

/// Bytes as text, invalid UTF-8 replaced by U+FFFD. `str::from_utf8` checks
/// ASCII a word at a time where `String::from_utf8_lossy` goes a byte at a
/// time, and log text is almost always valid: the lossy pass only runs for
/// text that needs it.
pub fn text(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bytes `s[i..i + 8]` as a little-endian word.
#[inline(always)]
fn word(s: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&s[i..i + 8]);
    u64::from_le_bytes(a)
}

/// High bit set in each byte of `w` equal to the byte in `pat` (every
/// byte of `pat` the same). Bits above the first match may be false
/// positives (borrows), the lowest one never is.
#[inline(always)]
fn eq_mask(w: u64, pat: u64) -> u64 {
    let x = w ^ pat;
    x.wrapping_sub(LO) & !x & HI
}

/// Exact variant of [`eq_mask`]: no false positives anywhere (needed when
/// reading the highest match).
#[inline(always)]
fn eq_mask_exact(w: u64, pat: u64) -> u64 {
    let x = w ^ pat;
    !(((x & !HI).wrapping_add(!HI)) | x | !HI)
}

/// First `b` in `s`.
#[inline]
pub fn find(s: &[u8], b: u8) -> Option<usize> {
    let pat = LO * u64::from(b);
    let mut i = 0;
    while i + 8 <= s.len() {
        let m = eq_mask(word(s, i), pat);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    if i < s.len() && s.len() >= 8 {
        // The last word, overlapping bytes already looked at: none of
        // them matched, so the lowest match in it is the first in `s`.
        let last = s.len() - 8;
        let m = eq_mask(word(s, last), pat);
        return (m != 0).then(|| last + (m.trailing_zeros() / 8) as usize);
    }
    s[i..].iter().position(|&c| c == b).map(|p| i + p)
}

/// First `a` or `b` in `s`.
#[inline]
pub fn find2(s: &[u8], a: u8, b: u8) -> Option<usize> {
    let (pa, pb) = (LO * u64::from(a), LO * u64::from(b));
    let mut i = 0;
    while i + 8 <= s.len() {
        let w = word(s, i);
        let m = eq_mask(w, pa) | eq_mask(w, pb);
        if m != 0 {
            // Each mask's lowest bit is exact, so the lowest of both is.
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    if i < s.len() && s.len() >= 8 {
        // The last word, overlapping bytes that did not match (see `find`).
        let last = s.len() - 8;
        let w = word(s, last);
        let m = eq_mask(w, pa) | eq_mask(w, pb);
        return (m != 0).then(|| last + (m.trailing_zeros() / 8) as usize);
    }
    s[i..].iter().position(|&c| c == a || c == b).map(|p| i + p)
}

/// Last `b` in `s`.
#[inline]
pub fn rfind(s: &[u8], b: u8) -> Option<usize> {
    let pat = LO * u64::from(b);
    let mut end = s.len();
    while end >= 8 {
        let m = eq_mask_exact(word(s, end - 8), pat);
        if m != 0 {
            return Some(end - 8 + (7 - (m.leading_zeros() / 8) as usize));
        }
        end -= 8;
    }
    s[..end].iter().rposition(|&c| c == b)
}

/// Is any of `a`, `b`, `c` in `s`?
#[inline]
pub fn any3(s: &[u8], a: u8, b: u8, c: u8) -> bool {
    let (pa, pb, pc) = (LO * u64::from(a), LO * u64::from(b), LO * u64::from(c));
    let mut i = 0;
    while i + 8 <= s.len() {
        let w = word(s, i);
        if eq_mask(w, pa) | eq_mask(w, pb) | eq_mask(w, pc) != 0 {
            return true;
        }
        i += 8;
    }
    if i < s.len() && s.len() >= 8 {
        // The last word, overlapping bytes already looked at.
        let w = word(s, s.len() - 8);
        return eq_mask(w, pa) | eq_mask(w, pb) | eq_mask(w, pc) != 0;
    }
    s[i..].iter().any(|&x| x == a || x == b || x == c)
}

/// High bit set in each byte of `w` that is an ASCII digit. Per byte, with
/// no carry between bytes: `0xb9 - low` has its high bit set when
/// low <= 0x39, `low + 0x50` when low >= 0x30, and `!w` when the byte is
/// ASCII. Exact in every byte.
#[inline(always)]
fn digit_mask(w: u64) -> u64 {
    let low = w & (LO * 0x7f);
    (LO * 0xb9).wrapping_sub(low) & (low + LO * 0x50) & !w & HI
}

/// The leading ASCII digits of `s[..8]`: `(value, count)`, the count 8
/// when all eight are digits; `None` when `s` is shorter than 8 bytes.
/// Read as one word: header numbers (pid, tid, connection) are a few
/// digits each, on every line.
#[inline]
pub fn leading_digits8(s: &[u8]) -> Option<(u32, usize)> {
    let w = u64::from_le_bytes(s.get(..8)?.try_into().ok()?);
    let n = ((!digit_mask(w) & HI).trailing_zeros() / 8) as usize;
    if n == 0 {
        return Some((0, 0));
    }
    // Digit values; the bytes from `n` on (which may have borrowed) are
    // shifted out, and the zero bytes shifted in act as leading zeros.
    let d = w.wrapping_sub(LO * u64::from(b'0')) << (8 * (8 - n));
    // Pairs, then fours, then all eight (first digit in the low byte).
    let d = d.wrapping_mul(10).wrapping_add(d >> 8);
    let d = ((d & 0x0000_00ff_0000_00ff).wrapping_mul(100 + (1_000_000 << 32))
        + ((d >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    Some((d as u32, n))
}

/// `s` with every ASCII digit replaced by `0`, written to `out` (of the
/// same length).
pub fn zero_digits(s: &[u8], out: &mut [u8]) {
    let mut i = 0;
    while i + 8 <= s.len() {
        let w = word(s, i);
        // Every bit of a digit byte, from its high bit.
        let digits = (digit_mask(w) >> 7) * 0xff;
        let zeroed = (w & !digits) | (digits & (LO * u64::from(b'0')));
        out[i..i + 8].copy_from_slice(&zeroed.to_le_bytes());
        i += 8;
    }
    for (o, &b) in out[i..].iter_mut().zip(&s[i..]) {
        *o = if b.is_ascii_digit() { b'0' } else { b };
    }
}

/// Start of the last occurrence of `needle` in `hay`, found from the
/// occurrences of its byte at `anchor` (pick a rare one).
#[inline]
pub fn rfind_seq(hay: &[u8], needle: &[u8], anchor: usize) -> Option<usize> {
    let mut end = hay.len();
    let tail = needle.len() - anchor;
    while let Some(p) = rfind(&hay[..end], needle[anchor]) {
        if p >= anchor && hay.len() - p >= tail && hay[p - anchor..].starts_with(needle) {
            return Some(p - anchor);
        }
        end = p;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn same_as_memchr(s in proptest::collection::vec(proptest::sample::select(vec![b'a', b',', b' ', b'w', 0x80, 0xac, 0x2b, 0x2d, 0]), 0..70), b in proptest::sample::select(vec![b',', b' ', b'w', 0x80, 0xac, 0])) {
            proptest::prop_assert_eq!(find(&s, b), memchr::memchr(b, &s));
            proptest::prop_assert_eq!(rfind(&s, b), memchr::memrchr(b, &s));
            proptest::prop_assert_eq!(find2(&s, b, b'a'), memchr::memchr2(b, b'a', &s));
            proptest::prop_assert_eq!(any3(&s, b, b'a', 0x2d), memchr::memchr3(b, b'a', 0x2d, &s).is_some());
            for (needle, anchor) in [(&b", w"[..], 0), (&b"w,w"[..], 1), (&b"a a"[..], 2)] {
                proptest::prop_assert_eq!(rfind_seq(&s, needle, anchor), memchr::memmem::rfind(&s, needle));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn zero_digits_zeroes_exactly_the_digits(s in proptest::collection::vec(proptest::sample::select(vec![b'a', b'/', b'0', b'5', b'9', 0x2f, 0x3a, 0xb0, 0xb9, 0xff, 0]), 0..40)) {
            let mut out = vec![1; s.len()];
            zero_digits(&s, &mut out);
            let plain: Vec<u8> = s.iter().map(|&b| if b.is_ascii_digit() { b'0' } else { b }).collect();
            proptest::prop_assert_eq!(out, plain);
        }
    }

    #[test]
    fn leading_digits8_reads_up_to_eight_digits() {
        for s in [
            "12345678x",
            "1#2",
            "0: *",
            "99999999",
            "00000001",
            "7",
            "1234567 ",
            "x1234567",
            "123\u{b0}4567",
            "98765432109",
        ] {
            let b = s.as_bytes();
            let n = b.iter().take(8).take_while(|c| c.is_ascii_digit()).count();
            let v = b[..n]
                .iter()
                .fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
            let want = (b.len() >= 8).then_some((v, n));
            assert_eq!(leading_digits8(b), want, "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn leading_digits8_same_as_a_loop(s in proptest::collection::vec(proptest::sample::select(vec![b'0', b'1', b'5', b'9', b'/', b':', b' ', b'#', 0xb0, 0xff, 0]), 0..12)) {
            let n = s.iter().take(8).take_while(|c| c.is_ascii_digit()).count();
            let v = s[..n].iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
            proptest::prop_assert_eq!(leading_digits8(&s), (s.len() >= 8).then_some((v, n)));
        }
    }

    #[test]
    fn edges() {
        assert_eq!(find(b"", b','), None);
        assert_eq!(find(b"abcdefgh,", b','), Some(8));
        assert_eq!(find(b"\x2d,\x2d\x2d\x2d\x2d\x2d\x2d", b','), Some(1));
        assert_eq!(rfind(b",abcdefgh", b','), Some(0));
        assert_eq!(rfind(b"a,,bcdefgh,,", b','), Some(11));
        assert_eq!(rfind(b"\x2c\x2d\x2d\x2d\x2d\x2d\x2d\x2d", b','), Some(0));
        assert_eq!(find2(b"GET /a/b?x#y", b'?', b'#'), Some(8));
        let mut out = [0; 23];
        zero_digits(b"\xb0\xb9/:\x30 GET /a1/b23456789", &mut out);
        assert_eq!(&out, b"\xb0\xb9/:0 GET /a0/b00000000");
    }
}
