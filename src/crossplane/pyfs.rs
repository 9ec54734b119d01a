//! The few Python file-system behaviours crossplane's include handling
//! depends on: `os.path.dirname/join`, `glob.glob` (non-recursive, hidden
//! files only for patterns starting with `.`), `fnmatch`, `open()` checks
//! and the text of an `OSError` (`[Errno 2] No such file or directory:
//! 'x'`). Paths are handled as strings, as crossplane does.

use std::fs;
use std::io;

/// `os.path.dirname` (POSIX).
pub fn dirname(p: &str) -> String {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    let head = &p[..i];
    if !head.is_empty() && head.bytes().any(|b| b != b'/') {
        head.trim_end_matches('/').to_string()
    } else {
        head.to_string()
    }
}

/// `os.path.split` (POSIX).
fn split(p: &str) -> (String, String) {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    (dirname(p), p[i..].to_string())
}

/// `os.path.join(a, b)` (POSIX, two parts).
pub fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') {
        b.to_string()
    } else if a.is_empty() || a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// `glob.has_magic`.
pub fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Python's `repr()` of a string, as used in `OSError` messages.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `str(OSError)` for an error about `path`.
pub fn os_error(e: &io::Error, path: &str) -> String {
    match e.raw_os_error() {
        Some(code) => {
            let text = io::Error::from_raw_os_error(code).to_string();
            let suffix = format!(" (os error {code})");
            let text = text.strip_suffix(&suffix).unwrap_or(&text);
            format!("[Errno {code}] {text}: {}", py_repr(path))
        }
        None => format!("{e}: {}", py_repr(path)),
    }
}

fn is_dir_error(path: &str) -> String {
    os_error(&io::Error::from_raw_os_error(21), path)
}

/// Read a file as Python's `open(path)` would, with its error text.
pub fn read(path: &str) -> Result<Vec<u8>, String> {
    if path.contains('\0') {
        return Err("embedded null byte".to_string());
    }
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err(is_dir_error(path)),
        _ => {}
    }
    fs::read(path).map_err(|e| os_error(&e, path))
}

/// `open(path).close()`: can the file be opened for reading?
pub fn check_open(path: &str) -> Result<(), String> {
    if path.contains('\0') {
        return Err("embedded null byte".to_string());
    }
    match fs::File::open(path) {
        Ok(f) => match f.metadata() {
            Ok(m) if m.is_dir() => Err(is_dir_error(path)),
            _ => Ok(()),
        },
        Err(e) => Err(os_error(&e, path)),
    }
}

fn lexists(path: &str) -> bool {
    !path.contains('\0') && fs::symlink_metadata(path).is_ok()
}

fn is_dir(path: &str) -> bool {
    !path.contains('\0') && fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false)
}

/// `glob.glob(pattern)` (not recursive, `include_hidden=False`), unsorted
/// like Python's.
pub fn glob(pattern: &str) -> Vec<String> {
    iglob(pattern, false)
}

fn iglob(pattern: &str, dironly: bool) -> Vec<String> {
    let (dir, base) = split(pattern);
    if !has_magic(pattern) {
        let ok = if base.is_empty() {
            is_dir(&dir)
        } else {
            lexists(pattern)
        };
        return if ok {
            vec![pattern.to_string()]
        } else {
            vec![]
        };
    }
    if dir.is_empty() {
        return glob1("", &base, dironly);
    }
    let dirs = if dir != pattern && has_magic(&dir) {
        iglob(&dir, true)
    } else {
        vec![dir]
    };
    let mut out = Vec::new();
    for d in dirs {
        let names = if has_magic(&base) {
            glob1(&d, &base, dironly)
        } else {
            glob0(&d, &base)
        };
        for n in names {
            out.push(join(&d, &n));
        }
    }
    out
}

fn glob0(dir: &str, base: &str) -> Vec<String> {
    let ok = if base.is_empty() {
        is_dir(dir)
    } else {
        lexists(&join(dir, base))
    };
    if ok {
        vec![base.to_string()]
    } else {
        vec![]
    }
}

fn glob1(dir: &str, pattern: &str, dironly: bool) -> Vec<String> {
    let d = if dir.is_empty() { "." } else { dir };
    if d.contains('\0') {
        return vec![];
    }
    let Ok(rd) = fs::read_dir(d) else {
        return vec![];
    };
    let hidden_ok = pattern.starts_with('.');
    let pat: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    for entry in rd.flatten() {
        if dironly
            && !fs::metadata(entry.path())
                .map(|m| m.is_dir())
                .unwrap_or(false)
        {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if !hidden_ok && name.starts_with('.') {
            continue;
        }
        let n: Vec<char> = name.chars().collect();
        if fnmatch(&n, &pat) {
            out.push(name);
        }
    }
    out
}

/// A `[...]` set at `pat[i]` (just after `[`): its end index (after `]`),
/// or `None` when unclosed (then `[` is literal).
fn set_end(pat: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if pat.get(j) == Some(&'!') {
        j += 1;
    }
    if pat.get(j) == Some(&']') {
        j += 1;
    }
    while j < pat.len() && pat[j] != ']' {
        j += 1;
    }
    (j < pat.len()).then_some(j + 1)
}

fn set_matches(set: &[char], c: char) -> bool {
    let (neg, items) = match set.split_first() {
        Some(('!', rest)) => (true, rest),
        _ => (false, set),
    };
    let mut hit = false;
    let mut k = 0;
    while k < items.len() {
        if k + 2 < items.len() && items[k + 1] == '-' {
            if items[k] <= c && c <= items[k + 2] {
                hit = true;
            }
            k += 3;
        } else {
            if items[k] == c {
                hit = true;
            }
            k += 1;
        }
    }
    if neg && items.is_empty() {
        return true;
    }
    hit != neg
}

/// `fnmatch.fnmatchcase(name, pat)`.
fn fnmatch(name: &[char], pat: &[char]) -> bool {
    // Iterative matcher with backtracking to the last `*`.
    let (mut n, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pat.len() {
            match pat[p] {
                '*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                '?' => {
                    n += 1;
                    p += 1;
                    continue;
                }
                '[' => {
                    if let Some(end) = set_end(pat, p + 1) {
                        if set_matches(&pat[p + 1..end - 1], name[n]) {
                            n += 1;
                            p = end;
                            continue;
                        }
                    } else if name[n] == '[' {
                        n += 1;
                        p += 1;
                        continue;
                    }
                }
                c => {
                    if c == name[n] {
                        n += 1;
                        p += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, sn)) => {
                p = sp + 1;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    while p < pat.len() && pat[p] == '*' {
        p += 1;
    }
    p == pat.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, pat: &str) -> bool {
        let n: Vec<char> = name.chars().collect();
        let p: Vec<char> = pat.chars().collect();
        fnmatch(&n, &p)
    }

    #[test]
    fn python_paths() {
        assert_eq!(dirname("nginx.conf"), "");
        assert_eq!(dirname("/etc/nginx/nginx.conf"), "/etc/nginx");
        assert_eq!(dirname("a//b"), "a");
        assert_eq!(dirname("/x"), "/");
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("d", "/abs"), "/abs");
        assert_eq!(join("d/", "a"), "d/a");
        assert_eq!(join("d", "a"), "d/a");
    }

    #[test]
    fn fnmatch_cases() {
        assert!(m("a.conf", "*.conf"));
        assert!(!m("a.conf.bak", "*.conf"));
        assert!(m("abc", "a?c"));
        assert!(m("b", "[abc]"));
        assert!(!m("b", "[!abc]"));
        assert!(m("q", "[a-z]"));
        assert!(m("[x", "[x"));
        assert!(m("", "*"));
    }

    #[test]
    fn repr_and_errors() {
        assert_eq!(py_repr("a'b"), "\"a'b\"");
        assert_eq!(py_repr("ab"), "'ab'");
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(
            os_error(&e, "x.conf"),
            "[Errno 2] No such file or directory: 'x.conf'"
        );
    }
}
