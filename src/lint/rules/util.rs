//! Small helpers that keep rules cheap on large configurations (thousands
//! of servers, one finding per location): `&'static str` names of a pass
//! module's settings instead of `format!("{prefix}_read_timeout")` per pass,
//! strings built in one allocation instead of `format!`'s growth, and a fast
//! hash set for "reported once" bookkeeping. Effective values are memoised
//! by the model itself ([`crate::model::Model::effective`]).

use crate::model::PassModule;
pub use rustc_hash::FxHashSet;

macro_rules! settings {
    ($($variant:ident = $suffix:literal,)*) => {
        /// A per-module setting, named `<prefix>_<suffix>`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Setting {
            $($variant,)*
        }

        /// `[setting][module prefix]`, prefixes in [`prefix_index`] order.
        const NAMES: &[[&str; 6]] = &[
            $([
                concat!("proxy_", $suffix),
                concat!("fastcgi_", $suffix),
                concat!("uwsgi_", $suffix),
                concat!("scgi_", $suffix),
                concat!("grpc_", $suffix),
                concat!("memcached_", $suffix),
            ],)*
        ];
    };
}

settings! {
    ReadTimeout = "read_timeout",
    SendTimeout = "send_timeout",
    ConnectTimeout = "connect_timeout",
    NextUpstream = "next_upstream",
    NextUpstreamTries = "next_upstream_tries",
    NextUpstreamTimeout = "next_upstream_timeout",
}

/// Index of a module prefix in the name table (`proxy` first).
fn prefix_index(module: PassModule) -> usize {
    match module {
        PassModule::Proxy | PassModule::StreamProxy => 0,
        PassModule::Fastcgi => 1,
        PassModule::Uwsgi => 2,
        PassModule::Scgi => 3,
        PassModule::Grpc => 4,
        PassModule::Memcached => 5,
    }
}

/// `<module prefix>_<suffix>`: what `format!("{}_{suffix}", module.prefix())` gives.
pub fn setting(module: PassModule, s: Setting) -> &'static str {
    NAMES[s as usize][prefix_index(module)]
}

/// Does `name` end with `suffix`? The last bytes are compared first: in a
/// scan over every directive, most names already differ there.
#[inline]
pub fn ends_with(name: &str, suffix: &str) -> bool {
    let (n, s) = (name.as_bytes(), suffix.as_bytes());
    match s.last() {
        None => true,
        Some(last) => n.last() == Some(last) && n.ends_with(s),
    }
}

/// The parts joined, in one allocation.
pub fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// Append a number in decimal.
pub fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Append a time exactly as [`crate::model::values::format_time`] writes it.
pub use crate::model::values::write_time as push_time;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::values::format_time;

    #[test]
    fn names_match_format() {
        for m in [
            PassModule::Proxy,
            PassModule::StreamProxy,
            PassModule::Fastcgi,
            PassModule::Uwsgi,
            PassModule::Scgi,
            PassModule::Grpc,
            PassModule::Memcached,
        ] {
            assert_eq!(
                setting(m, Setting::ReadTimeout),
                format!("{}_read_timeout", m.prefix())
            );
            assert_eq!(
                setting(m, Setting::NextUpstreamTries),
                format!("{}_next_upstream_tries", m.prefix())
            );
        }
    }

    #[test]
    fn times_and_numbers_match_format() {
        for ms in [
            0,
            1,
            999,
            1000,
            5000,
            59_000,
            60_000,
            90_000,
            120_000,
            599_000,
            600_000,
            3_600_000,
            5_400_500,
            86_400_000,
            u64::MAX,
        ] {
            // appends, keeping what is there
            let mut s = String::from("after ");
            push_time(&mut s, ms);
            assert_eq!(s, format!("after {}", format_time(ms)), "{ms}");
        }
        for n in [0, 7, 10, 12345, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        assert_eq!(cat(&["a", "", "bc"]), "abc");
        assert!(ends_with("proxy_read_timeout", "_timeout"));
        assert!(ends_with("x", ""));
        assert!(!ends_with("timeout", "_timeout"));
        assert!(!ends_with("proxy_buffers", "_buffer_size"));
    }
}
