//! Walking a configuration the way nginx reads it: from a root file in a
//! starting context, descending into blocks and expanding each `include` in
//! place (the included file's statements are in the include's context).
//! Iterative, so nesting depth costs heap, not stack.

use crate::load::Loaded;
use crate::model::Context;
use crate::syntax::{Directive, FileId};

/// What the visitor sees for each directive.
pub struct Visit<'a, 'b> {
    pub directive: &'a Directive,
    /// The context the directive appears in.
    pub context: Context,
    /// Enclosing block directives, outermost first (includes are transparent).
    pub ancestors: &'b [&'a Directive],
    /// The `include` directives this directive was reached through, outermost first.
    pub via: &'b [&'a Directive],
}

enum Frame<'a> {
    Block {
        iter: std::slice::Iter<'a, Directive>,
        context: Context,
        /// The block directive (None for a file's top level).
        owner: Option<&'a Directive>,
    },
    Include {
        files: std::vec::IntoIter<FileId>,
        context: Context,
        directive: &'a Directive,
    },
}

/// Visit every directive reachable from `root` in `context`, in nginx's read
/// order. Return `false` from the visitor to skip the directive's block.
pub fn walk<'a>(
    loaded: &'a Loaded,
    root: FileId,
    context: Context,
    mut visit: impl FnMut(&Visit<'a, '_>) -> bool,
) {
    let mut stack: Vec<Frame<'a>> = vec![Frame::Block {
        iter: loaded.file(root).root.directives.iter(),
        context,
        owner: None,
    }];
    let mut ancestors: Vec<&'a Directive> = Vec::new();
    let mut via: Vec<&'a Directive> = Vec::new();
    while let Some(top) = stack.last_mut() {
        match top {
            Frame::Block { iter, context, .. } => {
                let ctx = *context;
                let Some(d) = iter.next() else {
                    if let Some(Frame::Block { owner: Some(_), .. }) = stack.pop() {
                        ancestors.pop();
                    }
                    continue;
                };
                let descend = visit(&Visit {
                    directive: d,
                    context: ctx,
                    ancestors: &ancestors,
                    via: &via,
                });
                if d.name() == "include" {
                    let files = loaded.included_by(d).to_vec();
                    if !files.is_empty() {
                        via.push(d);
                        stack.push(Frame::Include {
                            files: files.into_iter(),
                            context: ctx,
                            directive: d,
                        });
                    }
                    continue;
                }
                if let (true, Some(b)) = (descend, d.block()) {
                    let child = ctx.child(d.name()).unwrap_or(Context::Unknown);
                    ancestors.push(d);
                    stack.push(Frame::Block {
                        iter: b.directives.iter(),
                        context: child,
                        owner: Some(d),
                    });
                }
            }
            Frame::Include { files, context, .. } => {
                let ctx = *context;
                match files.next() {
                    Some(f) => stack.push(Frame::Block {
                        iter: loaded.file(f).root.directives.iter(),
                        context: ctx,
                        owner: None,
                    }),
                    None => {
                        if let Some(Frame::Include { directive, .. }) = stack.pop() {
                            debug_assert!(std::ptr::eq(
                                via.last().copied().unwrap_or(directive),
                                directive
                            ));
                            via.pop();
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::LoadOptions;

    #[test]
    fn walks_through_includes_with_contexts() {
        let dump = b"# configuration file /e/nginx.conf:\nevents {}\nhttp {\n include /e/s.conf;\n}\n\n# configuration file /e/s.conf:\nserver { location / { proxy_pass http://a; } }\n\n";
        let mut l = Loaded::default();
        let roots = l.load_text(
            "-".into(),
            dump.to_vec(),
            &LoadOptions {
                follow_includes: true,
                ..Default::default()
            },
        );
        let mut seen = Vec::new();
        walk(&l, roots[0], Context::Main, |v| {
            seen.push((
                v.directive.name().to_string(),
                v.context,
                v.ancestors.len(),
                v.via.len(),
            ));
            true
        });
        let names: Vec<_> = seen.iter().map(|s| (s.0.as_str(), s.1, s.2, s.3)).collect();
        assert_eq!(
            names,
            [
                ("events", Context::Main, 0, 0),
                ("http", Context::Main, 0, 0),
                ("include", Context::Http, 1, 0),
                ("server", Context::Http, 1, 1),
                ("location", Context::Server, 2, 1),
                ("proxy_pass", Context::Location, 3, 1),
            ]
        );
    }
}
