//! Template files: configs that need a rendering step before nginx can load
//! them (Jinja2/Liquid `{% %}`, Go/Mustache/Jinja `{{ }}`, ERB/EPP `<% %>`,
//! envsubst `${VAR}`, sed-style `%var%` and `!VAR!` tokens). Linted as
//! nginx, their template syntax produces a cascade of syntax and grammar
//! errors that says nothing about the rendered config. This module replaces
//! that cascade with one `syntax/template` finding per file and keeps the
//! rule findings that do not touch a placeholder.
//!
//! envsubst also replaces a bare `$NAME`, which nginx would read as a
//! variable. In a file recognised as a template (by the markers above, or
//! by its `.template` name, the nginx Docker image's convention), an
//! upper-case `$NAME` is a placeholder unless nginx knows the name: a stock
//! variable (`$HOST` is `$host`: nginx looks names up in lower case) or one
//! the configuration defines (`set`, `map`, `geo`, …). So
//! `client_max_body_size $MAX_BODY_SIZE;` in a template is a template line,
//! while `client_max_body_size $host;` is the error nginx prints.
//!
//! `--env-subst` ([`crate::load::env_subst`]) renders envsubst templates the way the
//! official nginx Docker image does before linting them.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::diag::Diagnostic;
use crate::lint::refuse::is_stock_name;
use crate::lint::variables::{defining_arg, DefArg};
use crate::load::Loaded;
use crate::syntax::FileId;

/// The rule id of the one finding a template file gets.
pub const TEMPLATE: &str = "syntax/template";

/// Block syntax of template engines: the file does not tokenise as nginx.
static BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\{%-?[ \t][^\n]*%\}|\{\{[-#^/!&>]?[ \t]*[A-Za-z_.$][^\n{}]*\}\}|<%[=#-]?[ \t][^\n]*%>",
    )
    .unwrap_or_else(|_| unreachable!())
});

/// Placeholders that tokenise as nginx words but are not values.
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\$\{[A-Z][A-Z0-9_]*(?::?[-=?+][^}\n]*)?\}|%[a-z][a-z0-9_]*%|@[A-Z][A-Z0-9_]+@|![A-Z][A-Z0-9_]+!|\{\{[ \t]*[A-Za-z_.$][^\n{}]*\}\}",
    )
    .unwrap_or_else(|_| unreachable!())
});

/// What makes a file a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The engine's syntax breaks nginx tokenising (`{% %}`, `<% %>`, …).
    pub block: bool,
    /// Byte offset of the first template marker.
    pub first: usize,
    /// Distinct placeholders, in order of appearance (at most 5 kept).
    pub placeholders: Vec<String>,
}

/// Is this text a template? Markers inside nginx comments count too: a
/// commented `{% if %}` still changes what the rendered file holds.
pub fn detect(text: &[u8]) -> Option<Template> {
    // A NUL byte makes a binary file (an included executable, an image),
    // never a template: its syntax errors must stay, not be hidden as
    // template lines because it happens to hold `{{ x }}`.
    if !may_hold_marker(text) || memchr::memchr(0, text).is_some() {
        return None;
    }
    let block = BLOCK.find(text);
    let mut placeholders: Vec<String> = Vec::new();
    let mut first = block.as_ref().map(|m| m.start());
    for m in PLACEHOLDER.find_iter(text) {
        first = Some(first.map_or(m.start(), |f| f.min(m.start())));
        let p = String::from_utf8_lossy(m.as_bytes()).into_owned();
        if !placeholders.contains(&p) && placeholders.len() < 5 {
            placeholders.push(p);
        }
    }
    Some(Template {
        block: block.is_some(),
        first: first?,
        placeholders,
    })
}

/// Can the text hold a template marker at all? Every pattern above starts
/// with `{%`, `{{`, `<%`, `${`, or `%` before a lowercase letter or `@`/`!`
/// before an uppercase one. Most configs have none of these, and then the
/// two regexes are never compiled: their compilation is a third of the
/// instructions of a whole small lint.
fn may_hold_marker(text: &[u8]) -> bool {
    ["{%", "{{", "<%", "${"]
        .iter()
        .any(|p| memchr::memmem::find(text, p.as_bytes()).is_some())
        || memchr::memchr3_iter(b'%', b'@', b'!', text).any(|i| {
            text.get(i + 1).is_some_and(|&next| match text[i] {
                b'%' => next.is_ascii_lowercase(),
                _ => next.is_ascii_uppercase(),
            })
        })
}

/// The upper-case `$NAME` references of `text` (a whole identifier after
/// `$`, no lower-case letter): (offset of the `$`, name).
fn upper_refs(text: &[u8]) -> impl Iterator<Item = (usize, &str)> {
    memchr::memchr_iter(b'$', text).filter_map(move |i| {
        let rest = &text[i + 1..];
        if !rest.first().is_some_and(u8::is_ascii_uppercase) {
            return None;
        }
        let n = rest
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .unwrap_or(rest.len());
        let name = std::str::from_utf8(&rest[..n]).ok()?;
        (!name.bytes().any(|b| b.is_ascii_lowercase())).then_some((i, name))
    })
}

/// Variable names the configuration defines (`set`, `map`, `geo`, …), in
/// lower case as nginx looks them up.
fn defined_names(loaded: &Loaded) -> HashSet<String> {
    let mut names = HashSet::new();
    for f in &loaded.files {
        for (_, d) in f.root.walk() {
            let arg = match defining_arg(d.name()) {
                Some(DefArg::First) => d.args.first(),
                Some(DefArg::Second) => d.args.get(1),
                Some(DefArg::Last) => d.args.last(),
                None => None,
            };
            if let Some(n) = arg.and_then(|w| w.value.strip_prefix('$')) {
                names.insert(n.to_ascii_lowercase());
            }
        }
    }
    names
}

/// envsubst placeholders of a template: upper-case `$NAME`s nginx does not
/// know (see the module documentation).
fn envsubst_refs<'t>(
    text: &'t [u8],
    defined: &'t HashSet<String>,
) -> impl Iterator<Item = (usize, &'t str)> + 't {
    upper_refs(text).filter(|(_, name)| {
        let lower = name.to_ascii_lowercase();
        !is_stock_name(&lower) && !defined.contains(&lower)
    })
}

/// Does the line(s) of this byte range of a template hold a placeholder?
fn has_placeholder(text: &[u8], start: usize, end: usize, defined: &HashSet<String>) -> bool {
    let line_start = text[..start.min(text.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line_end = text[end.min(text.len())..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| end + i);
    let line = &text[line_start..line_end];
    PLACEHOLDER.is_match(line)
        || BLOCK.is_match(line)
        || envsubst_refs(line, defined).next().is_some()
}

/// A `.template` file (the nginx Docker image's envsubst input) that
/// [`detect`] does not see as one: a template if it holds a bare `$NAME`
/// placeholder.
fn named_template(
    path: &std::path::Path,
    text: &[u8],
    defined: &HashSet<String>,
) -> Option<Template> {
    if path.extension().is_none_or(|e| e != "template") || memchr::memchr(0, text).is_some() {
        return None;
    }
    let mut placeholders: Vec<String> = Vec::new();
    let mut first = None;
    for (at, name) in envsubst_refs(text, defined) {
        first.get_or_insert(at);
        let p = format!("${name}");
        if !placeholders.contains(&p) && placeholders.len() < 5 {
            placeholders.push(p);
        }
    }
    Some(Template {
        block: false,
        first: first?,
        placeholders,
    })
}

/// Replace the cascade template syntax causes with one finding per
/// template file: in a file with block syntax every syntax and grammar
/// finding goes; elsewhere, findings on a line with a placeholder go.
pub fn apply(loaded: &Loaded, diags: &mut Vec<Diagnostic>) {
    let mut templates: HashMap<FileId, Template> = HashMap::new();
    let mut defined: Option<HashSet<String>> = None;
    for (id, f) in loaded.sources.files() {
        if let Some(t) = detect(&f.text) {
            templates.insert(id, t);
        } else if f.path.extension().is_some_and(|e| e == "template") {
            let defined = defined.get_or_insert_with(|| defined_names(loaded));
            if let Some(t) = named_template(&f.path, &f.text, defined) {
                templates.insert(id, t);
            }
        }
    }
    if templates.is_empty() {
        return;
    }
    let defined = defined.unwrap_or_else(|| defined_names(loaded));
    let mut hidden: HashMap<FileId, usize> = HashMap::new();
    diags.retain(|d| {
        let Some(span) = d.span else { return true };
        let Some(t) = templates.get(&span.file) else {
            return true;
        };
        let text = &loaded.sources.get(span.file).text;
        let loading = d.rule.starts_with("syntax/") || d.rule.starts_with("grammar/");
        let drop =
            (t.block && loading) || has_placeholder(text, span.start(), span.end(), &defined);
        if drop {
            *hidden.entry(span.file).or_default() += 1;
        }
        !drop
    });
    let mut ids: Vec<&FileId> = templates.keys().collect();
    ids.sort();
    for id in ids {
        let t = &templates[id];
        let n = hidden.get(id).copied().unwrap_or(0);
        let what = if t.block {
            "template syntax nginx cannot load as is"
        } else {
            "template placeholders"
        };
        let list = if t.placeholders.is_empty() {
            String::new()
        } else {
            format!(" ({})", t.placeholders.join(", "))
        };
        let message = if n == 0 {
            format!(
                "this file has {what}{list}: lint the rendered file to check what nginx will load"
            )
        } else {
            format!(
                "this file has {what}{list}: {n} finding{} on template lines not shown; lint the rendered file to check what nginx will load",
                if n == 1 { "" } else { "s" }
            )
        };
        let start = t.first;
        let end = loaded.sources.get(*id).text[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(loaded.sources.get(*id).text.len(), |i| start + i);
        diags.push(
            Diagnostic::info(TEMPLATE, message)
                .with_span(crate::syntax::Span::new(*id, start, end))
                .with_label("first template marker")
                .with_help("render the template first (for envsubst templates: `ngxray lint --env-subst`, which substitutes the defined environment variables as the nginx Docker image does)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_passes_every_marker() {
        assert!(!may_hold_marker(
            b"location @php { if (!-f $uri) { return 404; } }\nlog_format x '$host';\n"
        ));
        for m in [
            &b"{% if %}"[..],
            b"{{ x }}",
            b"<% x %>",
            b"${X}",
            b"%ip%",
            b"@PORT@",
            b"!HOST!",
        ] {
            assert!(may_hold_marker(m), "{}", String::from_utf8_lossy(m));
        }
    }

    #[test]
    fn detects_engines() {
        assert!(detect(b"server {\n  listen 80;\n}\n").is_none());
        assert!(detect(b"{% if x %}\nlisten 80;\n{% endif %}\n").is_some_and(|t| t.block));
        // a doubled brace in a broken config is not a template
        assert!(detect(b"server {{\n    listen 80;\n}\n").is_none());
        assert!(detect(b"location = /x {{\n  return 204;\n}}\n").is_none());
        assert!(detect(b"listen {{ port }};\n").is_some());
        assert!(detect(b"listen <%= @port %>;\n").is_some_and(|t| t.block));
        let t = detect(b"server_name ${NGINX_HOST};\nset $x ${y};\n");
        assert_eq!(
            t,
            Some(Template {
                block: false,
                first: 12,
                placeholders: vec!["${NGINX_HOST}".into()]
            })
        );
        assert!(detect(b"listen %ip%:%web_port%;\n").is_some());
        assert!(detect(b"rewrite_log ${NGINX_REWRITE_LOG:-off};\n").is_some());
        assert!(detect(b"client_max_body_size @UPLOAD_MAX_SIZE@;\n").is_some());
        // a binary file holding template-like strings is no template
        assert!(detect(b"\x7fELF\x00\x00 {{ host }} {% if %}\n").is_none());
        // nginx's own `${var}` and a plain `$request_uri` are not placeholders
        assert!(detect(b"return 301 https://${host}$request_uri;\n").is_none());
    }

    #[test]
    fn envsubst_names_are_placeholders_unless_nginx_knows_them() {
        let defined: HashSet<String> = ["limit".to_string()].into();
        let refs: Vec<&str> = envsubst_refs(
            b"a $MAX_BODY $HOST $Host $host $LIMIT $REQUEST_URI $X1_Y ${NOT} $",
            &defined,
        )
        .map(|(_, n)| n)
        .collect();
        assert_eq!(refs, ["MAX_BODY", "X1_Y"]);
        let path = std::path::Path::new("default.conf.template");
        let t = named_template(path, b"listen 80;\nresolver $RESOLVER;\n", &defined);
        assert_eq!(
            t,
            Some(Template {
                block: false,
                first: 20,
                placeholders: vec!["$RESOLVER".into()]
            })
        );
        assert!(named_template(path, b"return 200 $HOST;\n", &defined).is_none());
        let plain = std::path::Path::new("default.conf");
        assert!(named_template(plain, b"resolver $RESOLVER;\n", &defined).is_none());
    }

    #[test]
    fn substitutes_defined_variables_only() {
        std::env::set_var("NGXRAY_TEST_PORT", "8080");
        let out = crate::load::env_subst(
            b"listen ${NGXRAY_TEST_PORT}; proxy_pass http://$host:$NGXRAY_TEST_PORT/$NGXRAY_UNSET;",
        );
        assert_eq!(
            out,
            b"listen 8080; proxy_pass http://$host:8080/$NGXRAY_UNSET;".to_vec()
        );
    }
}
