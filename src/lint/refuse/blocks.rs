//! Entries of the data blocks nginx parses itself (`map`, `geo`,
//! `charset_map`): their arity and values.

use super::values::valid_cidr;
use super::Checker;
use crate::lint::grammar::{DUPLICATE_DIRECTIVE, INVALID_ARGUMENT_COUNT, INVALID_VALUE};
use crate::lint::variables::named_captures;
use crate::syntax::Directive;

impl Checker<'_> {
    pub(super) fn map_entry(&mut self, d: &Directive, owner: &Directive) {
        let name = d.name();
        if name.contains("(?") {
            named_captures(name, &mut self.defined);
        }
        if let Some(v) = d.args.first() {
            if d.args.len() == 1 && v.value.contains('$') && name != "include" {
                self.compile(v);
            }
        }
        if d.args.is_empty() && matches!(name, "hostnames" | "volatile") {
            return;
        }
        if d.args.len() != 1 || d.block().is_some() {
            self.err(
                INVALID_ARGUMENT_COUNT,
                "invalid number of the map parameters".into(),
                d.head_span(),
                "a map entry is one key and one value",
                "write `key value;` (quote a value with spaces)",
            );
            return;
        }
        if name == "default" {
            if !self.map_defaults.insert(owner.span()) {
                self.err(
                    DUPLICATE_DIRECTIVE,
                    "duplicate default map parameter".into(),
                    d.name.span,
                    "a second default",
                    "keep one `default` entry per map",
                );
            }
        } else if let Some(p) = name.strip_prefix('~') {
            match p.strip_prefix('*') {
                Some(p) => self.regex(&d.name, p, true),
                None => self.regex(&d.name, p, false),
            }
        }
    }

    /// A `charset_map` line: two hexadecimal codes.
    pub(super) fn charset_entry(&mut self, d: &Directive, owner: &Directive) {
        if d.args.len() != 1 || d.block().is_some() {
            self.err(
                INVALID_ARGUMENT_COUNT,
                "invalid parameters number".into(),
                d.head_span(),
                "a charset_map line is two codes",
                "write `SRC DST;` in hexadecimal (e.g. `C0 D18E;`)",
            );
            return;
        }
        let utf8 = owner
            .args
            .get(1)
            .is_some_and(|a| a.value.eq_ignore_ascii_case("utf-8"));
        let hex = |s: &str| {
            (!s.is_empty() && s.len() <= 8 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(s, 16).ok())
                .flatten()
        };
        let src = (d.name(), d.name.span);
        let dst = (d.args[0].value.as_str(), d.args[0].span);
        for (i, (v, span)) in [src, dst].into_iter().enumerate() {
            let ok = if i == 1 && utf8 {
                utf8_code(v)
            } else {
                hex(v).is_some_and(|n| n <= 0xff)
            };
            if !ok {
                self.err(
                    INVALID_VALUE,
                    format!("invalid value \"{v}\""),
                    span,
                    "not a hexadecimal code",
                    "codes are hexadecimal bytes (UTF-8 sequences on the utf-8 side)",
                );
                return;
            }
        }
    }

    /// A `geo` entry: `network value;`, or `default`, `include`, `proxy`,
    /// `delete`, `ranges;`, `proxy_recursive;`.
    pub(super) fn geo_entry(&mut self, d: &Directive, owner: &Directive) {
        let name = d.name();
        if d.args.is_empty() && matches!(name, "ranges" | "proxy_recursive") {
            if name == "ranges" {
                self.geo_ranges.insert(owner.span());
            }
            return;
        }
        if d.args.len() != 1 || d.block().is_some() {
            self.err(
                INVALID_ARGUMENT_COUNT,
                "invalid number of the geo parameters".into(),
                d.head_span(),
                "a geo entry is one network and one value",
                "write `network value;` (quote a value with spaces)",
            );
            return;
        }
        if matches!(name, "include" | "proxy" | "default")
            || self.geo_ranges.contains(&owner.span())
        {
            return;
        }
        let net = if name == "delete" {
            d.arg(0).unwrap_or_default()
        } else {
            name
        };
        if !valid_cidr(net) {
            self.err(
                INVALID_VALUE,
                format!("invalid network \"{net}\""),
                d.name.span,
                "not an address or address/prefix",
                "write an IPv4 or IPv6 address, optionally with /prefix (e.g. 10.0.0.0/8)",
            );
        }
    }
}

/// The utf-8 side of a `charset_map` line: hexadecimal byte pairs that
/// `ngx_utf8_decode` reads as one character up to U+FFFF (a lead byte of
/// 0xC2 or more, its continuation bytes, not overlong).
fn utf8_code(v: &str) -> bool {
    let b = v.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(2) || !b.iter().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    let bytes: Vec<u32> = b
        .chunks(2)
        .filter_map(|p| std::str::from_utf8(p).ok())
        .filter_map(|p| u32::from_str_radix(p, 16).ok())
        .collect();
    let (mut u, valid, len) = match bytes[0] {
        c if c >= 0xf0 => (c & 0x07, 0xffff, 3),
        c if c >= 0xe0 => (c & 0x0f, 0x7ff, 2),
        c if c >= 0xc2 => (c & 0x1f, 0x7f, 1),
        _ => return false,
    };
    if bytes.len() - 1 < len {
        return false;
    }
    for &c in &bytes[1..=len] {
        if c < 0x80 {
            return false;
        }
        u = (u << 6) | (c & 0x3f);
    }
    u > valid && u <= 0xffff
}
