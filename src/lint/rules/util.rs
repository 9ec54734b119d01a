//! Small helpers that keep rules cheap on large configurations (thousands
//! of servers, one finding per location): `&'static str` names of a pass
//! module's settings instead of `format!("{prefix}_read_timeout")` per pass,
//! strings built in one allocation instead of `format!`'s growth, a fast
//! hash set for "reported once" bookkeeping, and effective values memoized
//! per level ([`Inherited`]).

use crate::model::defaults;
pub use rustc_hash::FxHashSet;
use crate::model::{Context, Effective, Model, PassModule, ScopeId};

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

/// One [`Inherited`] per pass module for a per-module [`Setting`]
/// (`proxy_connect_timeout`, `fastcgi_connect_timeout`, …), made on first
/// use.
pub struct PerModule<'m, 'a> {
    m: &'m Model<'a>,
    which: Setting,
    by_module: Vec<(PassModule, Inherited<'m, 'a>)>,
}

impl<'m, 'a> PerModule<'m, 'a> {
    pub fn new(m: &'m Model<'a>, which: Setting) -> Self {
        PerModule {
            m,
            which,
            by_module: Vec::new(),
        }
    }

    /// The effective value of the module's setting at `scope`.
    pub fn at(&mut self, module: PassModule, scope: ScopeId) -> Effective<'a> {
        let i = match self.by_module.iter().position(|(k, _)| *k == module) {
            Some(i) => i,
            None => {
                let name = setting(module, self.which);
                self.by_module.push((module, Inherited::new(self.m, name)));
                self.by_module.len() - 1
            }
        };
        self.by_module[i].1.at(scope)
    }
}

/// [`Model::effective`] of one directive name for many scopes that share
/// their outer levels (every location of a server, every server of `http`):
/// the outer levels' answers are computed once. Same answers as
/// [`Model::effective`].
pub struct Inherited<'m, 'a> {
    m: &'m Model<'a>,
    name: &'m str,
    /// Per scope: index in `known`, `u32::MAX` while not computed.
    slot: Vec<u32>,
    known: Vec<Effective<'a>>,
    defaults: Vec<(Context, Option<&'static str>)>,
}

impl<'m, 'a> Inherited<'m, 'a> {
    pub fn new(m: &'m Model<'a>, name: &'m str) -> Self {
        Inherited {
            m,
            name,
            slot: vec![u32::MAX; m.scopes.len()],
            known: Vec::new(),
            defaults: Vec::new(),
        }
    }

    /// The effective value of the name at `scope`.
    pub fn at(&mut self, scope: ScopeId) -> Effective<'a> {
        self.compute(scope, false)
    }

    fn default_for(&mut self, kind: Context) -> Option<&'static str> {
        if let Some((_, d)) = self.defaults.iter().find(|(k, _)| *k == kind) {
            return *d;
        }
        let d = defaults::default_of(self.name, kind);
        self.defaults.push((kind, d));
        d
    }

    fn compute(&mut self, s: ScopeId, memo: bool) -> Effective<'a> {
        if memo {
            let i = self.slot[s.0 as usize];
            if i != u32::MAX {
                return self.known[i as usize];
            }
        }
        let m = self.m;
        let sc = m.scope(s);
        let e = if let Some(d) = m.local_first(s, self.name) {
            Effective {
                directive: Some(d),
                set_in: Some(s),
                default: None,
                unknown: None,
            }
        } else {
            match sc.parent {
                Some(parent) if !matches!(sc.kind, Context::Upstream | Context::StreamUpstream) => {
                    let outer = self.compute(parent, true);
                    let unknown = sc.unknown_include.or(outer.unknown);
                    if outer.directive.is_some() {
                        Effective { unknown, ..outer }
                    } else {
                        Effective {
                            directive: None,
                            set_in: None,
                            default: self.default_for(sc.kind),
                            unknown,
                        }
                    }
                }
                _ => m.effective(s, self.name),
            }
        };
        if memo {
            self.slot[s.0 as usize] = self.known.len() as u32;
            self.known.push(e);
        }
        e
    }
}

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
    fn inherited_matches_effective() {
        use crate::load::{LoadOptions, Loaded};
        let text = "http {\n proxy_read_timeout 30s;\n include missing.conf;\n upstream u { server 127.0.0.1; keepalive 8; }\n server {\n  proxy_connect_timeout 3s;\n  location / { proxy_pass http://u; location /in { proxy_read_timeout 1s; } }\n  location /b { if ($x) { return 404; } }\n }\n server { location / { proxy_send_timeout 9s; } }\n}\nstream { server { proxy_pass u; } }\n";
        let mut l = Loaded::default();
        let ids = l.load_text(
            std::path::PathBuf::from("t.conf"),
            text.as_bytes().to_vec(),
            &LoadOptions::default(),
        );
        let m = Model::build(&l, &[(ids[0], Context::Main)]);
        for name in [
            "proxy_read_timeout",
            "proxy_connect_timeout",
            "proxy_send_timeout",
            "keepalive",
            "proxy_next_upstream",
            "no_such_directive",
        ] {
            let mut inh = Inherited::new(&m, name);
            for i in 0..m.scopes.len() {
                let s = ScopeId(i as u32);
                let (a, b) = (inh.at(s), m.effective(s, name));
                assert_eq!(a.directive.map(|d| d.span), b.directive.map(|d| d.span));
                assert_eq!(a.set_in, b.set_in, "{name} at {i}");
                assert_eq!(a.default, b.default, "{name} at {i}");
                assert_eq!(a.unknown.map(|d| d.span), b.unknown.map(|d| d.span));
            }
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
