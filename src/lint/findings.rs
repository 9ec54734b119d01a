//! Where the model rules put their findings: a packed list that costs a
//! third of the findings it holds, unpacked once the model is gone.
//!
//! Why: the peak of a lint is reached when the rules end, with the syntax
//! tree, the model and every finding alive at once. A [`Diagnostic`] is a
//! boxed [`Details`](crate::diag::Details) of about 160 bytes plus one
//! allocation for its related spans and one for its fix's edits (about 230
//! bytes in all), while what differs from one finding to the next is a few
//! spans: the texts are shared ([`Text`]). Packed, a finding is 44 bytes
//! plus 16 per related span or edit, its texts numbered in a table of the
//! list. [`crate::lint::rules::check`] drops the model (about as large as
//! the findings of a config that fires on every location) before it unpacks
//! them, so the findings' full size never adds to the model's.
//!
//! Unpacking gives back equal findings (the same shared texts), in push
//! order.

use rustc_hash::FxHashMap;

use crate::diag::{Applicability, Diagnostic, Edit, Fix, Label, Severity, Text};
use crate::source::Span;

/// Items per chunk: the lists grow a chunk at a time, so they never hold
/// more than one chunk of unused room (a doubling buffer holds up to half).
const CHUNK: usize = 4096;

/// No text (a `None` label, help or fix message).
const NONE: u32 = u32::MAX;

/// One finding, packed. Texts are indices into [`Findings::texts`]; its
/// related spans, then its fix's edits, follow those of the findings
/// before it in [`Findings::spans`].
#[derive(Debug, Clone, Copy)]
struct Packed {
    span: Option<Span>,
    message: u32,
    label: u32,
    help: u32,
    fix_message: u32,
    related: u32,
    edits: u32,
    rule: u16,
    severity: Severity,
    /// 0: no fix, 1: unsafe fix, 2: safe fix.
    fix: u8,
}

/// A list that grows by fixed chunks.
#[derive(Debug)]
struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(item),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(item);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }

    /// The items in order, each chunk freed once read.
    fn into_items(self) -> impl Iterator<Item = T> {
        self.chunks.into_iter().flatten()
    }
}

/// The findings of one rule over the model (see the module documentation).
#[derive(Debug, Default)]
pub struct Findings {
    items: Chunked<Packed>,
    /// Related spans and edits: (span, text).
    spans: Chunked<(Span, u32)>,
    texts: Vec<Text>,
    /// Address of a text's shared allocation → its index in `texts` (which
    /// keeps it alive, so an address is never reused while listed).
    ids: FxHashMap<usize, u32>,
    /// Rule ids seen (one, for a rule's own list).
    rules: Vec<&'static str>,
}

impl Findings {
    pub fn new() -> Self {
        Findings::default()
    }

    pub fn len(&self) -> usize {
        self.items.len
    }

    pub fn is_empty(&self) -> bool {
        self.items.len == 0
    }

    fn text(&mut self, t: &Text) -> u32 {
        let next = self.texts.len() as u32;
        let id = *self.ids.entry(t.addr()).or_insert(next);
        if id == next {
            self.texts.push(t.clone());
        }
        id
    }

    fn opt_text(&mut self, t: Option<&Text>) -> u32 {
        t.map_or(NONE, |t| self.text(t))
    }

    fn rule(&mut self, rule: &'static str) -> u16 {
        match self.rules.iter().position(|r| *r == rule) {
            Some(i) => i as u16,
            None => {
                self.rules.push(rule);
                (self.rules.len() - 1) as u16
            }
        }
    }

    /// Add a finding.
    pub fn push(&mut self, d: Diagnostic) {
        for l in &d.related {
            let t = self.text(&l.message);
            self.spans.push((l.span, t));
        }
        let (fix, fix_message, edits) = match &d.fix {
            None => (0, NONE, 0),
            Some(f) => {
                for e in &f.edits {
                    let t = self.text(&e.replacement);
                    self.spans.push((e.span, t));
                }
                let kind = match f.applicability {
                    Applicability::Unsafe => 1,
                    Applicability::Safe => 2,
                };
                (kind, self.text(&f.message), f.edits.len() as u32)
            }
        };
        let packed = Packed {
            span: d.span,
            message: self.text(&d.message),
            label: self.opt_text(d.label.as_ref()),
            help: self.opt_text(d.help.as_ref()),
            fix_message,
            related: d.related.len() as u32,
            edits,
            rule: self.rule(d.rule),
            severity: d.severity,
            fix,
        };
        self.items.push(packed);
    }

    /// Add findings made elsewhere (emptying `v`).
    pub fn append(&mut self, v: &mut Vec<Diagnostic>) {
        for d in v.drain(..) {
            self.push(d);
        }
    }

    /// The findings, unpacked, in the order they were pushed.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        let Findings {
            items,
            spans,
            texts,
            rules,
            ..
        } = self;
        let text = |i: u32| texts.get(i as usize).cloned().unwrap_or_default();
        let opt = |i: u32| (i != NONE).then(|| text(i));
        let mut out = Vec::with_capacity(items.len);
        let mut spans = spans.into_items();
        for p in items.into_items() {
            let rule = rules.get(p.rule as usize).copied().unwrap_or_default();
            let mut d = Diagnostic::new(rule, p.severity, text(p.message));
            d.span = p.span;
            d.label = opt(p.label);
            d.help = opt(p.help);
            d.related = Vec::with_capacity(p.related as usize);
            for (span, t) in spans.by_ref().take(p.related as usize) {
                d.related.push(Label {
                    span,
                    message: text(t),
                });
            }
            if p.fix != 0 {
                // Exactly sized: `collect` from this iterator would keep
                // room for four edits.
                let mut edits = Vec::with_capacity(p.edits as usize);
                for (span, t) in spans.by_ref().take(p.edits as usize) {
                    edits.push(Edit {
                        span,
                        replacement: text(t),
                    });
                }
                let applicability = if p.fix == 2 {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                };
                d.fix = Some(Fix::new(applicability, text(p.fix_message), edits));
            }
            out.push(d);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn span(a: usize, b: usize) -> Span {
        Span::new(FileId(1), a, b)
    }

    #[test]
    fn packed_findings_stay_small() {
        assert!(std::mem::size_of::<Packed>() <= 44);
        assert!(std::mem::size_of::<(Span, u32)>() <= 16);
    }

    #[test]
    fn unpacking_gives_back_equal_findings_in_order() {
        let shared = "proxy_read_timeout 1s is below 5s";
        let all = vec![
            Diagnostic::warning("timeout/aggressive-read-timeout", shared)
                .with_span(span(10, 30))
                .with_label("1s")
                .with_related(span(2, 5), "inherited from here")
                .with_help("raise it")
                .with_fix(Fix::new(
                    Applicability::Safe,
                    "set 60s",
                    vec![Edit {
                        span: span(29, 31),
                        replacement: Text::verbatim("60s"),
                    }],
                )),
            Diagnostic::info("dns/other", "no span, nothing else"),
            Diagnostic::error("timeout/aggressive-read-timeout", shared)
                .with_span(span(40, 60))
                .with_related(span(1, 2), "a")
                .with_related(span(3, 4), "b")
                .with_fix(Fix::new(
                    Applicability::Unsafe,
                    "two edits",
                    vec![
                        Edit {
                            span: span(5, 6),
                            replacement: Text::verbatim(""),
                        },
                        Edit {
                            span: span(7, 8),
                            replacement: Text::verbatim("x"),
                        },
                    ],
                )),
            Diagnostic::warning("tls/x", "empty fix").with_fix(Fix::new(
                Applicability::Safe,
                "nothing",
                Vec::new(),
            )),
        ];
        let mut f = Findings::new();
        assert!(f.is_empty());
        // Enough to fill several chunks.
        for _ in 0..CHUNK {
            for d in &all {
                f.push(d.clone());
            }
        }
        assert_eq!(f.len(), all.len() * CHUNK);
        let back = f.into_vec();
        assert_eq!(back.len(), all.len() * CHUNK);
        for (i, d) in back.iter().enumerate() {
            assert_eq!(d, &all[i % all.len()], "finding {i}");
        }
        // Texts are shared, not copied.
        assert_eq!(back[0].message.addr(), back[2].message.addr());
    }

    #[test]
    fn a_finding_may_have_more_related_spans_than_a_u16_counts() {
        // One finding per server, its other locations related: a server
        // can have 70,000 of them.
        let mut d = Diagnostic::warning("timeout/websocket-idle-timeout", "x");
        for i in 0..70_000 {
            d = d.with_related(span(i, i + 1), "another");
        }
        let after = Diagnostic::info("a/b", "after").with_span(span(1, 2));
        let mut f = Findings::new();
        f.push(d.clone());
        f.push(after.clone());
        assert_eq!(f.into_vec(), vec![d, after]);
    }

    #[test]
    fn append_empties_the_source() {
        let mut v = vec![
            Diagnostic::info("a/b", "one"),
            Diagnostic::info("a/b", "two"),
        ];
        let mut f = Findings::new();
        f.append(&mut v);
        assert!(v.is_empty());
        let back = f.into_vec();
        assert_eq!(back[1].message.as_str(), "two");
    }
}
