//! crossplane's statement parser and payload, reproduced on top of
//! [`super::lexer`].
//!
//! Behaviour kept from crossplane 0.5.8 (`parser.py`), with its context and
//! argument checks off:
//! * a statement's arguments run to the next unquoted `{`, `;` or `}`; a
//!   `}` ending a statement is swallowed as its terminator, so the enclosing
//!   block stays open;
//! * an unquoted `#…` token in argument position becomes a comment node
//!   after the statement, even without `--include-comments`;
//! * `if` arguments lose their outer parentheses;
//! * `include` is resolved against the main file's directory (globs are
//!   sorted, a missing literal file is an error on the include's line), and
//!   every file found is parsed once, in discovery order;
//! * any error that escapes the parser (lexer error, end of tokens in the
//!   middle of a statement, `include` without argument) empties the file's
//!   `parsed` and is reported with crossplane's text (an empty text and a
//!   null line for the end of tokens).
//!
//! Rendering is two-pass so that large configs stream: pass 1 lexes and
//! parses every file to learn statuses, errors and include targets; pass 2
//! re-lexes and writes JSON directly, never building a tree.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};

use super::json::JsonOut;
use super::lexer::{decode, py_isspace, Lexer, Tok};
use super::pyfs;

/// Nesting depth at which parsing stops (crossplane itself would hit
/// Python's recursion limit around here).
const MAX_DEPTH: usize = 900;
/// Include depth at which `--combine` gives up (an include cycle makes
/// crossplane recurse forever).
const MAX_COMBINE_DEPTH: usize = 200;

/// What to parse and how, as crossplane's `parse()` keyword arguments.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--single-file`: do not follow `include`.
    pub single: bool,
    /// `--include-comments`.
    pub comments: bool,
    /// `--combine`: one config with includes inlined.
    pub combine: bool,
    /// Directory relative includes resolve against (crossplane: the main
    /// file's directory).
    pub config_dir: Option<String>,
}

/// One error of one file: crossplane's text and line (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub error: String,
    pub line: Option<u32>,
}

struct FileRec {
    name: String,
    text: String,
    errors: Vec<ConfigError>,
    /// An error escaped the parser: `parsed` is empty.
    aborted: bool,
    /// Include targets (indices into the file list), one entry per
    /// `include` statement in order.
    includes: Vec<Vec<usize>>,
}

/// The result of crossplane's `parse()`: every file with its status and
/// errors; render it with [`Payload::write_json`].
pub struct Payload {
    files: Vec<FileRec>,
    opts: Options,
}

enum Stop {
    Abort(ConfigError),
    Io(io::Error),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Io(e)
    }
}

fn abort(error: impl Into<String>, line: Option<u32>) -> Stop {
    Stop::Abort(ConfigError {
        error: error.into(),
        line,
    })
}

/// What the parser does with what it finds: pass 1 resolves includes, pass
/// 2 writes JSON.
trait Handler {
    fn include(&mut self, arg: &str, line: u32) -> Vec<usize>;
    fn comment(&mut self, line: u32, text: &str, in_args: bool) -> io::Result<()>;
    fn stmt(
        &mut self,
        directive: &str,
        line: u32,
        args: &[Cow<'_, str>],
        includes: Option<&[usize]>,
        block: bool,
    ) -> Result<(), Stop>;
    fn end_stmt(&mut self, block: bool) -> io::Result<()>;
}

struct Parser<'a, H> {
    lex: Lexer<'a>,
    h: H,
    comments: bool,
    single: bool,
    args: Vec<Cow<'a, str>>,
}

impl<'a, H: Handler> Parser<'a, H> {
    fn next(&mut self) -> Result<Option<Tok<'a>>, Stop> {
        self.lex.next().map_err(|e| abort(e.message, Some(e.line)))
    }

    /// `next(tokens)` inside a statement: running out is a StopIteration,
    /// which crossplane reports as an empty error without a line.
    fn next_required(&mut self) -> Result<Tok<'a>, Stop> {
        self.next()?.ok_or_else(|| abort("", None))
    }

    fn block(&mut self, depth: usize) -> Result<(), Stop> {
        loop {
            let Some(tok) = self.next()? else {
                return Ok(());
            };
            if tok.is("}") {
                return Ok(());
            }
            if !tok.quoted && tok.text.starts_with('#') {
                if self.comments {
                    self.h.comment(tok.line, &tok.text[1..], false)?;
                }
                continue;
            }
            let directive = tok.text;
            let line = tok.line;
            self.args.clear();
            let mut comments_in_args: Vec<Cow<'a, str>> = Vec::new();
            let term = loop {
                let t = self.next_required()?;
                if t.is("{") || t.is(";") || t.is("}") {
                    break t;
                }
                if !t.quoted && t.text.starts_with('#') {
                    comments_in_args.push(t.text);
                } else {
                    self.args.push(t.text);
                }
            };
            if directive == "if" {
                prepare_if_args(&mut self.args);
            }
            let includes = if !self.single && directive == "include" {
                let Some(first) = self.args.first() else {
                    return Err(abort("list index out of range", None));
                };
                Some(self.h.include(first, line))
            } else {
                None
            };
            let is_block = term.is("{");
            self.h
                .stmt(&directive, line, &self.args, includes.as_deref(), is_block)?;
            if is_block {
                if depth >= MAX_DEPTH {
                    return Err(abort("maximum recursion depth exceeded", None));
                }
                self.block(depth + 1)?;
            }
            self.h.end_stmt(is_block)?;
            for c in &comments_in_args {
                self.h.comment(line, &c[1..], true)?;
            }
        }
    }
}

fn lstrip(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim_start_matches(py_isspace)),
        Cow::Owned(o) => Cow::Owned(o.trim_start_matches(py_isspace).to_string()),
    }
}

fn rstrip(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim_end_matches(py_isspace)),
        Cow::Owned(o) => Cow::Owned(o.trim_end_matches(py_isspace).to_string()),
    }
}

/// Drop the first character (`s[1:]`).
fn skip_first(s: Cow<'_, str>) -> Cow<'_, str> {
    let n = s.chars().next().map_or(0, char::len_utf8);
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[n..]),
        Cow::Owned(o) => Cow::Owned(o[n..].to_string()),
    }
}

/// Drop the last character (`s[:-1]`).
fn drop_last(s: Cow<'_, str>) -> Cow<'_, str> {
    let n = s.len() - s.chars().next_back().map_or(0, char::len_utf8);
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[..n]),
        Cow::Owned(mut o) => {
            o.truncate(n);
            Cow::Owned(o)
        }
    }
}

/// crossplane's `_prepare_if_args`: strip the outer parentheses.
fn prepare_if_args(args: &mut Vec<Cow<'_, str>>) {
    let (Some(first), Some(last)) = (args.first(), args.last()) else {
        return;
    };
    if !(first.starts_with('(') && last.ends_with(')')) {
        return;
    }
    let a0 = std::mem::take(&mut args[0]);
    args[0] = lstrip(skip_first(a0));
    let li = args.len() - 1;
    let al = std::mem::take(&mut args[li]);
    args[li] = rstrip(drop_last(al));
    let start = usize::from(args[0].is_empty());
    let end = args.len() - usize::from(args[li].is_empty());
    if start >= end {
        args.clear();
    } else {
        args.truncate(end);
        args.drain(..start);
    }
}

/// Pass 1: resolve includes, record where they point, discard output.
struct Scan<'s> {
    names: &'s mut Vec<String>,
    index: &'s mut HashMap<String, usize>,
    config_dir: &'s str,
    errors: &'s mut Vec<ConfigError>,
    records: &'s mut Vec<Vec<usize>>,
}

impl Handler for Scan<'_> {
    fn include(&mut self, arg: &str, line: u32) -> Vec<usize> {
        let pattern = pyfs::join(self.config_dir, arg);
        let fnames = if pyfs::has_magic(&pattern) {
            let mut v = pyfs::glob(&pattern);
            v.sort();
            v
        } else {
            match pyfs::check_open(&pattern) {
                Ok(()) => vec![pattern],
                Err(error) => {
                    self.errors.push(ConfigError {
                        error,
                        line: Some(line),
                    });
                    Vec::new()
                }
            }
        };
        let mut out = Vec::with_capacity(fnames.len());
        for f in fnames {
            let i = match self.index.get(&f) {
                Some(&i) => i,
                None => {
                    let i = self.names.len();
                    self.index.insert(f.clone(), i);
                    self.names.push(f);
                    i
                }
            };
            out.push(i);
        }
        self.records.push(out.clone());
        out
    }
    fn comment(&mut self, _: u32, _: &str, _: bool) -> io::Result<()> {
        Ok(())
    }
    fn stmt(
        &mut self,
        _: &str,
        _: u32,
        _: &[Cow<'_, str>],
        _: Option<&[usize]>,
        _: bool,
    ) -> Result<(), Stop> {
        Ok(())
    }
    fn end_stmt(&mut self, _: bool) -> io::Result<()> {
        Ok(())
    }
}

/// Pass 2: write one file's `parsed` statements as JSON array elements.
struct Emit<'p, 'o, W: Write> {
    payload: &'p Payload,
    file: usize,
    out: &'o mut JsonOut<W>,
    cursor: usize,
    /// For each open block statement: whether it is hidden.
    hidden: Vec<bool>,
    /// For each open block (the file itself first): the file named in the
    /// `"file"` key of `--combine`. crossplane's `_parse` reuses its `fname`
    /// variable as the loop variable over an include's matches, so after an
    /// `include` the rest of that block is attributed to the last file the
    /// include matched.
    frame_file: Vec<usize>,
    combine_depth: usize,
}

impl<W: Write> Emit<'_, '_, W> {
    /// Update the `"file"` attribution after a statement's head is out.
    fn after_stmt(&mut self, includes: Option<&[usize]>, block: bool) {
        if let Some(&last) = includes.and_then(|i| i.last()) {
            if let Some(top) = self.frame_file.last_mut() {
                *top = last;
            }
        }
        if block {
            self.frame_file.push(self.file);
        }
    }

    fn is_hidden(&self) -> bool {
        self.hidden.last().copied().unwrap_or(false)
    }

    fn file_key(&mut self) -> io::Result<()> {
        if self.payload.opts.combine {
            let f = self.frame_file.last().copied().unwrap_or(self.file);
            let name = self.payload.files.get(f).map_or("", |r| r.name.as_str());
            self.out.raw("\"file\":")?;
            self.out.string(name)?;
            self.out.raw(",")?;
        }
        Ok(())
    }
}

impl<W: Write> Handler for Emit<'_, '_, W> {
    fn include(&mut self, _: &str, _: u32) -> Vec<usize> {
        let rec = &self.payload.files[self.file].includes;
        let v = rec.get(self.cursor).cloned().unwrap_or_default();
        self.cursor += 1;
        v
    }

    fn comment(&mut self, line: u32, text: &str, in_args: bool) -> io::Result<()> {
        if self.is_hidden() {
            return Ok(());
        }
        let out = &mut *self.out;
        out.element()?;
        out.raw("{")?;
        if !in_args {
            self.file_key()?;
        }
        let out = &mut *self.out;
        out.raw("\"directive\":\"#\",\"line\":")?;
        out.uint(u64::from(line))?;
        out.raw(",\"args\":[],\"comment\":")?;
        out.string(text)?;
        out.raw("}")
    }

    fn stmt(
        &mut self,
        directive: &str,
        line: u32,
        args: &[Cow<'_, str>],
        includes: Option<&[usize]>,
        block: bool,
    ) -> Result<(), Stop> {
        let mut hide = self.is_hidden();
        if !hide && self.payload.opts.combine {
            if let Some(inc) = includes {
                // The include statement is replaced by the included files.
                for &i in inc {
                    self.payload
                        .emit_parsed(i, self.out, self.combine_depth + 1)?;
                }
                hide = true;
            }
        }
        if block {
            self.hidden.push(hide);
        }
        if hide {
            self.after_stmt(includes, block);
            return Ok(());
        }
        self.out.element()?;
        self.out.raw("{")?;
        self.file_key()?;
        self.after_stmt(includes, block);
        let out = &mut *self.out;
        out.raw("\"directive\":")?;
        out.string(directive)?;
        out.raw(",\"line\":")?;
        out.uint(u64::from(line))?;
        out.raw(",\"args\":[")?;
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                out.raw(",")?;
            }
            out.string(a)?;
        }
        out.raw("]")?;
        if let Some(inc) = includes {
            out.raw(",\"includes\":[")?;
            for (k, i) in inc.iter().enumerate() {
                if k > 0 {
                    out.raw(",")?;
                }
                out.uint(*i as u64)?;
            }
            out.raw("]")?;
        }
        if block {
            out.raw(",\"block\":")?;
            out.open_array()?;
        } else {
            out.raw("}")?;
        }
        Ok(())
    }

    fn end_stmt(&mut self, block: bool) -> io::Result<()> {
        if !block {
            return Ok(());
        }
        self.frame_file.pop();
        if self.hidden.pop().unwrap_or(false) {
            return Ok(());
        }
        self.out.close_array()?;
        self.out.raw("}")
    }
}

impl Payload {
    /// Parse `path` (and, unless `single`, everything it includes) like
    /// `crossplane.parse(path, check_ctx=False, check_args=False)`.
    pub fn parse_path(path: &str, opts: Options) -> Payload {
        Self::parse_impl(path, None, opts)
    }

    /// Like [`Payload::parse_path`], with the main file's bytes given
    /// (stdin, benchmarks). Includes are still read from disk.
    pub fn parse_bytes(name: &str, bytes: Vec<u8>, opts: Options) -> Payload {
        Self::parse_impl(name, Some(bytes), opts)
    }

    fn parse_impl(main: &str, mut main_bytes: Option<Vec<u8>>, opts: Options) -> Payload {
        let config_dir = opts
            .config_dir
            .clone()
            .unwrap_or_else(|| pyfs::dirname(main));
        let mut names = vec![main.to_string()];
        let mut index = HashMap::from([(main.to_string(), 0usize)]);
        let mut files = Vec::new();
        let mut i = 0;
        while i < names.len() {
            let name = names[i].clone();
            let bytes = match main_bytes.take() {
                Some(b) if i == 0 => Ok(b),
                _ => pyfs::read(&name),
            };
            let mut rec = FileRec {
                name,
                text: String::new(),
                errors: Vec::new(),
                aborted: false,
                includes: Vec::new(),
            };
            match bytes {
                Err(error) => {
                    rec.errors.push(ConfigError { error, line: None });
                    rec.aborted = true;
                }
                Ok(b) => {
                    rec.text = decode(b);
                    let result = {
                        let mut p = Parser {
                            lex: Lexer::new(&rec.text, &rec.name),
                            h: Scan {
                                names: &mut names,
                                index: &mut index,
                                config_dir: &config_dir,
                                errors: &mut rec.errors,
                                records: &mut rec.includes,
                            },
                            comments: opts.comments,
                            single: opts.single,
                            args: Vec::new(),
                        };
                        p.block(0)
                    };
                    if let Err(stop) = result {
                        rec.aborted = true;
                        rec.text = String::new();
                        match stop {
                            Stop::Abort(e) => rec.errors.push(e),
                            Stop::Io(e) => rec.errors.push(ConfigError {
                                error: e.to_string(),
                                line: None,
                            }),
                        }
                    }
                }
            }
            files.push(rec);
            i += 1;
        }
        Payload { files, opts }
    }

    /// `"ok"` or `"failed"`.
    pub fn failed(&self) -> bool {
        self.files.iter().any(|f| !f.errors.is_empty())
    }

    /// The files in `config[]` order with their errors.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[ConfigError])> {
        self.files
            .iter()
            .map(|f| (f.name.as_str(), f.errors.as_slice()))
    }

    fn status(failed: bool) -> &'static str {
        if failed {
            "failed"
        } else {
            "ok"
        }
    }

    fn write_errors<W: Write>(
        out: &mut JsonOut<W>,
        file: Option<&str>,
        errors: &[ConfigError],
    ) -> io::Result<()> {
        for e in errors {
            out.element()?;
            out.raw("{")?;
            if let Some(f) = file {
                out.raw("\"file\":")?;
                out.string(f)?;
                out.raw(",")?;
            }
            out.raw("\"error\":")?;
            out.string(&e.error)?;
            out.raw(",\"line\":")?;
            out.opt_uint(e.line)?;
            out.raw("}")?;
        }
        Ok(())
    }

    /// Write file `i`'s statements as elements of the open array.
    fn emit_parsed<W: Write>(
        &self,
        i: usize,
        out: &mut JsonOut<W>,
        combine_depth: usize,
    ) -> Result<(), Stop> {
        let Some(f) = self.files.get(i) else {
            return Ok(());
        };
        if f.aborted {
            return Ok(());
        }
        if combine_depth > MAX_COMBINE_DEPTH {
            return Err(Stop::Io(io::Error::other(format!(
                "includes nested more than {MAX_COMBINE_DEPTH} deep while combining (include cycle at {})",
                f.name
            ))));
        }
        let mut p = Parser {
            lex: Lexer::new(&f.text, &f.name),
            h: Emit {
                payload: self,
                file: i,
                out,
                cursor: 0,
                hidden: Vec::new(),
                frame_file: vec![i],
                combine_depth,
            },
            comments: self.opts.comments,
            single: self.opts.single,
            args: Vec::new(),
        };
        p.block(0)
    }

    /// Write crossplane's JSON (compact, one line, newline-terminated).
    pub fn write_json<W: Write>(&self, w: W) -> io::Result<W> {
        let mut out = JsonOut::new(w);
        let failed = self.failed();
        out.raw("{\"status\":")?;
        out.string(Self::status(failed))?;
        out.raw(",\"errors\":")?;
        out.open_array()?;
        for f in &self.files {
            Self::write_errors(&mut out, Some(&f.name), &f.errors)?;
        }
        out.close_array()?;
        out.raw(",\"config\":")?;
        out.open_array()?;
        let configs: Vec<usize> = if self.opts.combine {
            vec![0]
        } else {
            (0..self.files.len()).collect()
        };
        for i in configs {
            let f = &self.files[i];
            out.element()?;
            out.raw("{\"file\":")?;
            out.string(&f.name)?;
            out.raw(",\"status\":")?;
            if self.opts.combine {
                out.string(Self::status(failed))?;
                out.raw(",\"errors\":")?;
                out.open_array()?;
                for g in &self.files {
                    Self::write_errors(&mut out, None, &g.errors)?;
                }
            } else {
                out.string(Self::status(!f.errors.is_empty()))?;
                out.raw(",\"errors\":")?;
                out.open_array()?;
                Self::write_errors(&mut out, None, &f.errors)?;
            }
            out.close_array()?;
            out.raw(",\"parsed\":")?;
            out.open_array()?;
            match self.emit_parsed(i, &mut out, 0) {
                Ok(()) => {}
                Err(Stop::Io(e)) => return Err(e),
                Err(Stop::Abort(e)) => {
                    return Err(io::Error::other(format!(
                        "{}: second pass disagreed with the first: {}",
                        f.name, e.error
                    )))
                }
            }
            out.close_array()?;
            out.raw("}")?;
        }
        out.close_array()?;
        out.raw("}\n")?;
        out.finish()
    }

    /// The JSON as a string (tests, small inputs).
    pub fn to_json(&self) -> io::Result<String> {
        let v = self.write_json(Vec::new())?;
        String::from_utf8(v).map_err(io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str, comments: bool) -> String {
        let opts = Options {
            single: true,
            comments,
            ..Options::default()
        };
        Payload::parse_bytes("t.conf", src.as_bytes().to_vec(), opts)
            .to_json()
            .unwrap_or_default()
    }

    fn parsed(src: &str) -> serde_json::Value {
        let v: serde_json::Value =
            serde_json::from_str(&parse(src, true)).unwrap_or(serde_json::Value::Null);
        v["config"][0]["parsed"].clone()
    }

    #[test]
    fn simple_tree() {
        assert_eq!(
            parse("http {\n  server { listen 80; }\n}\n", false),
            concat!(
                r#"{"status":"ok","errors":[],"config":[{"file":"t.conf","status":"ok","errors":[],"parsed":["#,
                r#"{"directive":"http","line":1,"args":[],"block":[{"directive":"server","line":2,"args":[],"block":["#,
                r#"{"directive":"listen","line":2,"args":["80"]}]}]}]}]}"#,
                "\n"
            )
        );
    }

    #[test]
    fn brace_after_args_is_swallowed() {
        let v = parsed("a {\n b x }\n c {\n}\n");
        assert_eq!(v[0]["block"][1]["directive"], "c");
    }

    #[test]
    fn comments_in_args_always_kept() {
        let out = parse("a b # c\n d;\n", false);
        assert!(out.contains(r##"{"directive":"#","line":1,"args":[],"comment":" c"}"##));
    }

    #[test]
    fn if_parentheses() {
        let v = parsed("if ( $a = b ) { }\nif ($x) {}\nif () {}\n");
        assert_eq!(v[0]["args"], serde_json::json!(["$a", "=", "b"]));
        assert_eq!(v[1]["args"], serde_json::json!(["$x"]));
        assert_eq!(v[2]["args"], serde_json::json!([]));
    }

    #[test]
    fn stop_iteration_is_empty_error() {
        let out = parse("a b\n", false);
        assert!(out.contains(r#""errors":[{"file":"t.conf","error":"","line":null}]"#));
        assert!(out.ends_with("\"parsed\":[]}]}\n"));
    }

    #[test]
    fn stray_brace_at_top_stops_file() {
        let v = parsed("{ a; }\nb;\n");
        assert_eq!(v.as_array().map(Vec::len), Some(1));
        assert_eq!(v[0]["directive"], "{");
    }
}
