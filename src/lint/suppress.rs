//! Inline suppressions: `# ngxray: ignore[rule-id, category] reason…`, and
//! file-level ones: `# ngxray: ignore-file[rule-id, category] reason…`
//! anywhere in a file silences those ids in the whole file (as ruff's
//! `# ruff: noqa: CODE`). Neither can hide a `syntax/*` error.
//!
//! A suppression comment targets one directive: the directive on the same
//! line (a trailing comment, also after a block's `{`), else the next
//! directive when only comment lines stand between them. It silences
//! diagnostics of the named ids (or categories) whose primary span lies in
//! that directive — for a block directive, its whole body. Ids that name no
//! rule are reported as `suppress/unknown-rule`, and suppressions that
//! silenced nothing (for rules that ran) as `suppress/unused`.

use super::{config, registry, LintOptions, LintOutcome};
use crate::diag::Diagnostic;
use crate::syntax::{Block, Comment, Directive, SourceFile, Span};

/// One `# ngxray: ignore[…]` comment.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// The comment.
    pub span: Span,
    /// Ids or categories with the span of each in the comment.
    pub ids: Vec<(String, Span)>,
    /// The directive it covers (`None`: nothing follows it). For a
    /// file-level suppression, the whole file.
    pub target: Option<Span>,
    /// `ignore-file[…]`: covers every finding in the comment's file.
    pub file_wide: bool,
    pub reason: String,
}

/// Parse the text of a comment (without `#`): the ids and reason, with the
/// byte offset of each id in the text.
pub fn parse_comment(text: &str) -> Option<(Vec<(String, usize)>, String)> {
    parse_any(text)
        .filter(|p| !p.2)
        .map(|(ids, reason, _)| (ids, reason))
}

/// Ids with their offsets, the reason, and whether it is file-wide.
pub type Parsed = (Vec<(String, usize)>, String, bool);

/// [`parse_comment`] for both kinds: the third item is true for
/// `ignore-file[…]`.
pub fn parse_any(text: &str) -> Option<Parsed> {
    let t = text.trim_start();
    let lead = text.len() - t.len();
    let rest = t.strip_prefix("ngxray:")?;
    let r2 = rest.trim_start();
    let (body, head, file_wide) = match r2.strip_prefix("ignore[") {
        Some(b) => (b, "ignore[", false),
        None => (r2.strip_prefix("ignore-file[")?, "ignore-file[", true),
    };
    let close = body.find(']')?;
    let list = &body[..close];
    let base = lead + "ngxray:".len() + (rest.len() - r2.len()) + head.len();
    let mut ids = Vec::new();
    let mut off = 0;
    for part in list.split(',') {
        let trimmed = part.trim();
        if !trimmed.is_empty() {
            let inner = part.find(trimmed).unwrap_or(0);
            ids.push((trimmed.to_string(), base + off + inner));
        }
        off += part.len() + 1;
    }
    Some((ids, body[close + 1..].trim().to_string(), file_wide))
}

struct Finder<'a> {
    file: &'a SourceFile,
    out: Vec<Suppression>,
}

impl Finder<'_> {
    /// Only comment lines between the end of a comment and a directive
    /// (no blank line, no other text)?
    fn only_comments_between(&self, from: usize, to: usize) -> bool {
        let text = &self.file.text[from.min(to)..to];
        let segs: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        let [first, middle @ .., last] = segs.as_slice() else {
            return false;
        };
        first.trim_ascii().is_empty()
            && last.trim_ascii().is_empty()
            && middle.iter().all(|l| l.trim_ascii().starts_with(b"#"))
    }

    fn block(&mut self, block: &Block, owner: Option<&Directive>) {
        for c in &block.comments {
            self.comment(c, block, owner);
        }
    }

    fn comment(&mut self, c: &Comment, block: &Block, owner: Option<&Directive>) {
        let Some((ids, reason, file_wide)) = parse_any(&c.text) else {
            return;
        };
        let line = self.file.line_of(c.span.start());
        let text_start = c.span.start() + 1; // after '#'
        let ids: Vec<(String, Span)> = ids
            .into_iter()
            .map(|(id, off)| {
                let s = text_start + off;
                (id.clone(), Span::new(c.span.file, s, s + id.len()))
            })
            .collect();
        if file_wide {
            self.out.push(Suppression {
                span: c.span,
                ids,
                target: Some(Span::new(c.span.file, 0, self.file.text.len())),
                file_wide,
                reason,
            });
            return;
        }
        // trailing: a directive of this block on the comment's line, before it
        let trailing = block.directives.iter().find(|d| {
            d.span().start() < c.span.start()
                && self.file.line_of(d.span().start()) <= line
                && self.file.line_of(d.end().start()) >= line
        });
        let trailing = trailing.or_else(|| {
            owner.filter(|o| {
                o.span().start() < c.span.start() && self.file.line_of(o.end().start()) == line
            })
        });
        let target = match trailing {
            Some(d) => Some(d.span()),
            None => block
                .directives
                .iter()
                .find(|d| d.span().start() > c.span.start())
                .filter(|d| self.only_comments_between(c.span.end(), d.span().start()))
                .map(|d| d.span()),
        };
        self.out.push(Suppression {
            span: c.span,
            ids,
            target,
            file_wide,
            reason,
        });
    }
}

/// Every suppression comment in every loaded file.
pub fn collect(outcome: &LintOutcome) -> Vec<Suppression> {
    let mut out = Vec::new();
    for (i, f) in outcome.loaded.files.iter().enumerate() {
        let src = outcome.loaded.sources.get(crate::syntax::FileId(i as u32));
        let mut finder = Finder {
            file: src,
            out: Vec::new(),
        };
        // iterative over blocks: (block, owner)
        let mut stack: Vec<(&Block, Option<&Directive>)> = vec![(&f.root, None)];
        while let Some((b, owner)) = stack.pop() {
            finder.block(b, owner);
            for d in &b.directives {
                if let Some(inner) = d.block() {
                    stack.push((inner, Some(d)));
                }
            }
        }
        out.append(&mut finder.out);
    }
    out
}

fn covers(id: &str, rule: &str) -> bool {
    id == rule || rule.strip_prefix(id).is_some_and(|r| r.starts_with('/'))
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start() <= inner.start() && inner.end() <= outer.end()
}

/// Did any rule covered by this selector run?
fn ran(id: &str, opts: &LintOptions) -> bool {
    registry::all().iter().any(|r| {
        covers(id, r.id)
            && config::is_selected(r.id, opts)
            && (r.id != "dns/unresolvable-host" || opts.resolve)
    })
}

/// Remove suppressed diagnostics and report unknown/unused suppressions.
pub fn apply(outcome: &mut LintOutcome, opts: &LintOptions) {
    let sups = collect(outcome);
    if sups.is_empty() {
        return;
    }
    let mut used: Vec<Vec<bool>> = sups.iter().map(|s| vec![false; s.ids.len()]).collect();
    outcome.diagnostics.retain(|d| {
        let Some(span) = d.span else {
            return true;
        };
        // nginx refuses to load a config with a syntax error: no comment
        // can make that pass (as `--ignore syntax` cannot)
        if d.rule.starts_with("syntax/") && d.severity == crate::diag::Severity::Error {
            return true;
        }
        let mut keep = true;
        for (si, s) in sups.iter().enumerate() {
            let Some(t) = s.target else { continue };
            if !contains(t, span) {
                continue;
            }
            for (ii, (id, _)) in s.ids.iter().enumerate() {
                if covers(id, d.rule) {
                    used[si][ii] = true;
                    keep = false;
                }
            }
        }
        keep
    });
    let mut found = Vec::new();
    for (si, s) in sups.iter().enumerate() {
        for (ii, (id, span)) in s.ids.iter().enumerate() {
            if !config::is_known_selector(id) {
                let names = registry::all();
                let hint = super::rules::did_you_mean(id, names.iter().map(|r| r.id));
                let mut d = Diagnostic::warning(
                    "suppress/unknown-rule",
                    format!(
                        "unknown rule \"{id}\" in ngxray: {}[…]",
                        if s.file_wide { "ignore-file" } else { "ignore" }
                    ),
                )
                .with_span(*span)
                .with_label("no rule or category has this id");
                d = d.with_help(match hint {
                    Some(h) => format!("did you mean \"{h}\"? (see `ngxray rules`)"),
                    None => "use a rule id or category listed by `ngxray rules`".into(),
                });
                found.push(d);
            } else if !used[si][ii] && ran(id, opts) {
                let what = if s.file_wide {
                    "the file has no such finding"
                } else if s.target.is_some() {
                    "the directive it covers has no such finding"
                } else {
                    "no directive follows it"
                };
                found.push(
                    Diagnostic::info(
                        "suppress/unused",
                        format!("suppression of \"{id}\" matched nothing: {what}"),
                    )
                    .with_span(*span)
                    .with_label("unused suppression")
                    .with_help("remove it, or move it onto (or just above) the directive that has the finding"),
                );
            }
        }
    }
    config::apply(&mut found, opts);
    outcome.diagnostics.append(&mut found);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comments() {
        let (ids, reason) =
            parse_comment(" ngxray: ignore[dns/a, upstream] because reasons").unwrap();
        assert_eq!(
            ids.iter().map(|(i, _)| i.as_str()).collect::<Vec<_>>(),
            ["dns/a", "upstream"]
        );
        let text = " ngxray: ignore[dns/a, upstream] because reasons";
        assert_eq!(&text[ids[0].1..ids[0].1 + 5], "dns/a");
        assert_eq!(&text[ids[1].1..ids[1].1 + 8], "upstream");
        assert_eq!(reason, "because reasons");
        assert!(parse_comment(" just a comment").is_none());
        assert!(parse_comment("ngxray:ignore[x]").is_some());
        assert!(parse_comment(" ngxray: ignore-file[x] r").is_none());
        let (ids, reason, file_wide) = parse_any(" ngxray: ignore-file[dns, x/y] legacy").unwrap();
        assert!(file_wide);
        assert_eq!(reason, "legacy");
        let text = " ngxray: ignore-file[dns, x/y] legacy";
        assert_eq!(&text[ids[1].1..ids[1].1 + 3], "x/y");
    }
}
