//! nginx's inheritance of scalar settings, the one resolver of it:
//! [`Model::effective`]. A rule asks for one name at many scopes that share
//! their outer levels (every location of a server, every server of `http`),
//! so each answer is remembered per (name, scope) and an outer level is
//! resolved once. Rules run in parallel over one model: the memo is
//! lock-free (a fixed table of names set once, and one atomic word per
//! scope).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use super::{defaults, name_key, Context, Effective, EntryId, Model, ScopeId};

/// How many distinct names are remembered; further names are resolved
/// without a memo (same answers).
const NAMES: usize = 256;

/// Per scope: `COMPUTED | (unknown scope + 1) << 32 | (entry + 1)`, 0
/// while not computed.
const COMPUTED: u64 = 1 << 63;

struct NameMemo {
    name: Box<str>,
    at: Box<[AtomicU64]>,
}

/// The answers of [`Model::effective`] computed so far.
pub(super) struct Memo {
    names: Box<[OnceLock<NameMemo>]>,
}

impl Default for Memo {
    fn default() -> Self {
        Memo {
            names: (0..NAMES).map(|_| OnceLock::new()).collect(),
        }
    }
}

impl Memo {
    /// The memo of a name (made on first use), `None` when the table is full.
    fn of(&self, name: &str, scopes: usize) -> Option<&NameMemo> {
        let h = name_key(name) as usize;
        for i in 0..NAMES {
            let slot = &self.names[(h + i) % NAMES];
            let m = slot.get_or_init(|| NameMemo {
                name: name.into(),
                at: (0..scopes).map(|_| AtomicU64::new(0)).collect(),
            });
            if &*m.name == name {
                return Some(m);
            }
        }
        None
    }
}

fn pack(entry: Option<EntryId>, unknown: Option<ScopeId>) -> u64 {
    COMPUTED
        | (u64::from(unknown.map_or(0, |s| s.0 + 1)) << 32)
        | u64::from(entry.map_or(0, |e| e.0 + 1))
}

fn unpack(v: u64) -> (Option<EntryId>, Option<ScopeId>) {
    let e = (v & 0xFFFF_FFFF) as u32;
    let u = ((v >> 32) & 0x7FFF_FFFF) as u32;
    (e.checked_sub(1).map(EntryId), u.checked_sub(1).map(ScopeId))
}

impl<'a> Model<'a> {
    /// Effective value of a scalar directive at `scope`: nearest level that
    /// sets it (the scope itself first), else nginx's default. Upstream
    /// scopes do not inherit from `http`. [`Effective::unknown`] is the
    /// innermost unreadable `include` on the way.
    pub fn effective(&self, scope: ScopeId, name: &str) -> Effective<'a> {
        let Some(memo) = self.memo.of(name, self.scopes.len()) else {
            return self.effective_unmemoised(scope, name);
        };
        let (entry, unknown) = unpack(self.resolve(memo, scope, name));
        let unknown = unknown.and_then(|s| self.scope(s).unknown_include);
        match entry {
            Some(e) => {
                let e = self.entry(e);
                Effective {
                    directive: Some(e.directive),
                    set_in: Some(e.scope),
                    default: None,
                    unknown,
                }
            }
            None => Effective {
                directive: None,
                set_in: None,
                default: defaults::default_of(name, self.scope(scope).kind),
                unknown,
            },
        }
    }

    /// Walk up from `scope` to the first level that is remembered, sets the
    /// name, or does not inherit; then remember the way back down.
    fn resolve(&self, memo: &NameMemo, scope: ScopeId, name: &str) -> u64 {
        let mut path: Vec<ScopeId> = Vec::new();
        let mut s = scope;
        let mut found = loop {
            let v = memo.at[s.0 as usize].load(Ordering::Relaxed);
            if v != 0 {
                break v;
            }
            if let Some(e) = self.first_entry(s, name) {
                let v = pack(Some(e), None);
                memo.at[s.0 as usize].store(v, Ordering::Relaxed);
                break v;
            }
            path.push(s);
            let sc = self.scope(s);
            match sc.parent {
                Some(p) if !matches!(sc.kind, Context::Upstream | Context::StreamUpstream) => s = p,
                _ => break pack(None, None),
            }
        };
        for &s in path.iter().rev() {
            let (entry, unknown) = unpack(found);
            let unknown = if self.scope(s).unknown_include.is_some() {
                Some(s)
            } else {
                unknown
            };
            found = pack(entry, unknown);
            memo.at[s.0 as usize].store(found, Ordering::Relaxed);
        }
        found
    }

    /// [`Model::effective`] by walking the chain (when the memo is full).
    fn effective_unmemoised(&self, scope: ScopeId, name: &str) -> Effective<'a> {
        let mut unknown = None;
        for s in self.chain(scope) {
            if let Some(d) = self.local_first(s, name) {
                return Effective {
                    directive: Some(d),
                    set_in: Some(s),
                    default: None,
                    unknown,
                };
            }
            let sc = self.scope(s);
            unknown = unknown.or(sc.unknown_include);
            if matches!(sc.kind, Context::Upstream | Context::StreamUpstream) {
                break;
            }
        }
        Effective {
            directive: None,
            set_in: None,
            default: defaults::default_of(name, self.scope(scope).kind),
            unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, Loaded};

    #[test]
    fn memoised_answers_match_the_chain_walk() {
        let text = "http {\n proxy_read_timeout 30s;\n include missing.conf;\n upstream u { server 127.0.0.1; keepalive 8; include nope.conf; }\n server {\n  proxy_connect_timeout 3s;\n  location / { proxy_pass http://u; location /in { proxy_read_timeout 1s; include gone.conf; location /deep { } } }\n  location /b { if ($x) { return 404; } }\n }\n server { location / { proxy_send_timeout 9s; } }\n}\nstream { server { proxy_pass u; } }\n";
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
            // innermost first, then outermost first: both orders fill the memo
            for order in [true, false] {
                let m2 = Model::build(&l, &[(ids[0], Context::Main)]);
                let mut scopes: Vec<usize> = (0..m.scopes.len()).collect();
                if order {
                    scopes.reverse();
                }
                for i in scopes {
                    let s = ScopeId(i as u32);
                    let (a, b) = (m2.effective(s, name), m.effective_unmemoised(s, name));
                    assert_eq!(a.directive.map(|d| d.span()), b.directive.map(|d| d.span()));
                    assert_eq!(a.set_in, b.set_in, "{name} at {i}");
                    assert_eq!(a.default, b.default, "{name} at {i}");
                    assert_eq!(
                        a.unknown.map(|d| d.span()),
                        b.unknown.map(|d| d.span()),
                        "{name} at {i}"
                    );
                }
            }
        }
    }
}
