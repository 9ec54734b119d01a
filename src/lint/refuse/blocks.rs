//! Entries of the data blocks nginx parses itself (`map`, `geo`,
//! `charset_map`): their arity and values.

use super::values::{named_captures, valid_cidr};
use super::Checker;
use crate::lint::grammar::{INVALID_ARGUMENT_COUNT, INVALID_VALUE};
use crate::syntax::Directive;

impl Checker<'_> {
    pub(super) fn map_entry(&mut self, d: &Directive) {
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
        if d.args.len() != 1 || d.block.is_some() {
            self.err(
                INVALID_ARGUMENT_COUNT,
                "invalid number of the map parameters".into(),
                d.head_span(),
                "a map entry is one key and one value",
                "write `key value;` (quote a value with spaces)",
            );
        }
    }

    /// A `charset_map` line: two hexadecimal codes.
    pub(super) fn charset_entry(&mut self, d: &Directive, owner: &Directive) {
        if d.args.len() != 1 || d.block.is_some() {
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
            let ok = match hex(v) {
                Some(n) => i == 1 && utf8 || n <= 0xff,
                None => false,
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
                self.geo_ranges.insert(owner.span);
            }
            return;
        }
        if d.args.len() != 1 || d.block.is_some() {
            self.err(
                INVALID_ARGUMENT_COUNT,
                "invalid number of the geo parameters".into(),
                d.head_span(),
                "a geo entry is one network and one value",
                "write `network value;` (quote a value with spaces)",
            );
            return;
        }
        if matches!(name, "include" | "proxy" | "default") || self.geo_ranges.contains(&owner.span)
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
