//! Access-log formats compiled from the configuration's own `log_format`
//! definitions, so that an access.log is read with the exact layout nginx
//! wrote it in (any variables, `escape=default|json|none`, the built-in
//! `combined`), plus JSON lines whose keys name common variables.
//!
//! A format compiles into literal and variable segments. A line is matched
//! left to right: a literal must appear where expected; a variable runs up
//! to the next literal. Escapes written by nginx (`\xHH` for `default`,
//! `\"`/`\\`/`\uXXXX` for `json`) never hide a delimiter, so the scan skips
//! a backslash and the byte after it. List-valued `$upstream_*` variables
//! (`10.0.0.1:80, 10.0.0.2:80 : grp`) may hold spaces: a space delimiter
//! after one of them is not taken inside `, ` or ` : `.

use std::borrow::Cow;

/// nginx's built-in `combined` format.
pub const COMBINED: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

/// How variable values were escaped when written (`log_format … escape=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    Default,
    Json,
    None,
}

/// One piece of a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Lit(Vec<u8>),
    /// A variable name without `$`.
    Var(String),
}

/// A compiled `log_format`.
#[derive(Debug, Clone)]
pub struct LogFormat {
    pub name: String,
    pub escape: Escape,
    pub segs: Vec<Seg>,
    /// Where it is defined (`file:line`), `None` for `combined`.
    pub defined_at: Option<String>,
}

/// The variables a line yields, by name, borrowed from the line.
pub type Captures<'a> = Vec<(&'a str, &'a [u8])>;

impl LogFormat {
    /// Compile a format from its (already concatenated) text.
    pub fn compile(name: &str, escape: Escape, text: &str) -> LogFormat {
        let b = text.as_bytes();
        let mut segs: Vec<Seg> = Vec::new();
        let mut lit: Vec<u8> = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'$' {
                let (name, next) = if b.get(i + 1) == Some(&b'{') {
                    match b[i + 2..].iter().position(|&c| c == b'}') {
                        Some(p) => (&text[i + 2..i + 2 + p], i + 3 + p),
                        None => ("", i + 1),
                    }
                } else {
                    let end = b[i + 1..]
                        .iter()
                        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                        .map_or(b.len(), |p| i + 1 + p);
                    (&text[i + 1..end], end)
                };
                if !name.is_empty() {
                    if !lit.is_empty() {
                        segs.push(Seg::Lit(std::mem::take(&mut lit)));
                    }
                    segs.push(Seg::Var(name.to_string()));
                    i = next;
                    continue;
                }
            }
            lit.push(b[i]);
            i += 1;
        }
        if !lit.is_empty() {
            segs.push(Seg::Lit(lit));
        }
        LogFormat {
            name: name.to_string(),
            escape,
            segs,
            defined_at: None,
        }
    }

    /// The built-in `combined` format.
    pub fn combined() -> LogFormat {
        LogFormat::compile("combined", Escape::Default, COMBINED)
    }

    /// Does the format log this variable?
    pub fn has(&self, var: &str) -> bool {
        self.segs
            .iter()
            .any(|s| matches!(s, Seg::Var(v) if v == var))
    }

    /// Match one line (without newline). `None` when it does not fit.
    pub fn parse<'a>(&'a self, line: &'a [u8]) -> Option<Captures<'a>> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut out: Captures<'a> = Vec::with_capacity(self.segs.len());
        let mut pos = 0;
        for (i, seg) in self.segs.iter().enumerate() {
            match seg {
                Seg::Lit(l) => {
                    if !line[pos..].starts_with(l) {
                        return None;
                    }
                    pos += l.len();
                }
                Seg::Var(v) => {
                    let end = match self.segs.get(i + 1) {
                        None => line.len(),
                        Some(Seg::Lit(l)) => {
                            pos + find_delim(&line[pos..], l, v.starts_with("upstream_"))?
                        }
                        // Two variables with nothing between: the first
                        // ends at a space (nginx writes no separator).
                        Some(Seg::Var(_)) => line[pos..]
                            .iter()
                            .position(|&c| c == b' ')
                            .map_or(line.len(), |p| pos + p),
                    };
                    out.push((v.as_str(), &line[pos..end]));
                    pos = end;
                }
            }
        }
        (pos == line.len()).then_some(out)
    }
}

/// Position of the next `lit` in `s`, skipping escapes (`\` and the next
/// byte) and, for list values, the separators `, ` and ` : `.
fn find_delim(s: &[u8], lit: &[u8], list: bool) -> Option<usize> {
    let first = *lit.first()?;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'\\' && first != b'\\' {
            i += 2;
            continue;
        }
        if c == first && s[i..].starts_with(lit) {
            let inside_list = list
                && first == b' '
                && ((i > 0 && s[i - 1] == b',')
                    || (s[i..].starts_with(b" : ") && lit != b" : ")
                    || (i >= 2 && &s[i - 2..i] == b" :"));
            if !inside_list {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// Undo nginx's escaping of a value (and the `-` of an empty value stays).
pub fn unescape(v: &[u8], escape: Escape) -> Cow<'_, [u8]> {
    if escape == Escape::None || !v.contains(&b'\\') {
        return Cow::Borrowed(v);
    }
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] != b'\\' || i + 1 == v.len() {
            out.push(v[i]);
            i += 1;
            continue;
        }
        let n = v[i + 1];
        let hex = |s: &[u8]| {
            std::str::from_utf8(s)
                .ok()
                .and_then(|h| u32::from_str_radix(h, 16).ok())
        };
        match (escape, n) {
            (Escape::Default, b'x') if i + 4 <= v.len() => match hex(&v[i + 2..i + 4]) {
                Some(c) => {
                    out.push(c as u8);
                    i += 4;
                }
                None => {
                    out.push(b'\\');
                    i += 1;
                }
            },
            (Escape::Json, b'u') if i + 6 <= v.len() => match hex(&v[i + 2..i + 6]) {
                Some(c) => {
                    let ch = char::from_u32(c).unwrap_or('\u{fffd}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    i += 6;
                }
                None => {
                    out.push(b'\\');
                    i += 1;
                }
            },
            (Escape::Json, b'n') => {
                out.push(b'\n');
                i += 2;
            }
            (Escape::Json, b't') => {
                out.push(b'\t');
                i += 2;
            }
            (Escape::Json, b'r') => {
                out.push(b'\r');
                i += 2;
            }
            (Escape::Json, b'"' | b'\\' | b'/') => {
                out.push(n);
                i += 2;
            }
            _ => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// Keys of common JSON access logs → the nginx variable they hold.
pub fn json_key_var(key: &str) -> Option<&'static str> {
    Some(match key {
        "status" | "http_status" | "response_status" | "status_code" => "status",
        "request" | "request_line" => "request",
        "request_method" | "method" => "request_method",
        "request_uri" | "uri" | "path" | "url" => "request_uri",
        "host" | "http_host" | "hostname" | "vhost" => "host",
        "server_name" => "server_name",
        "upstream_addr" | "upstream" | "upstream_address" => "upstream_addr",
        "upstream_status" => "upstream_status",
        "request_time" | "duration" => "request_time",
        "upstream_response_time" => "upstream_response_time",
        "upstream_connect_time" => "upstream_connect_time",
        "upstream_header_time" => "upstream_header_time",
        "time_local" => "time_local",
        "time_iso8601" | "time" | "timestamp" | "@timestamp" => "time_iso8601",
        "msec" => "msec",
        "connection" => "connection",
        "pid" => "pid",
        "remote_addr" | "client" | "client_ip" => "remote_addr",
        _ => return None,
    })
}

/// Parse a JSON access-log line into (variable, value) pairs, keeping the
/// known keys (see [`json_key_var`]); `None` when it is not a JSON object.
/// Keys that match a `log_format`'s own variable names (`"st": "$status"`)
/// come through `keys`.
pub fn parse_json(line: &[u8], keys: &[(String, String)]) -> Option<Vec<(String, String)>> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    let obj = v.as_object()?;
    let mut out = Vec::new();
    for (k, val) in obj {
        let var = keys
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .or_else(|| json_key_var(k));
        let Some(var) = var else { continue };
        let s = match val {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Null => "-".to_string(),
            other => other.to_string(),
        };
        out.push((var.to_string(), s));
    }
    Some(out)
}

/// For a JSON-shaped format (`{"status":"$status", …}`): key → variable.
pub fn json_keys_of(fmt: &LogFormat) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for w in fmt.segs.windows(2) {
        if let (Seg::Lit(l), Seg::Var(v)) = (&w[0], &w[1]) {
            // …"key":" or …"key":
            let t = String::from_utf8_lossy(l);
            let t = t.trim_end().trim_end_matches('"').trim_end();
            if let Some(t) = t.strip_suffix(':') {
                let t = t.trim_end().strip_suffix('"').unwrap_or(t);
                if let Some(start) = t.rfind('"') {
                    out.push((t[start + 1..].to_string(), v.clone()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(c: &Captures<'a>, k: &str) -> &'a str {
        std::str::from_utf8(c.iter().find(|(n, _)| *n == k).expect(k).1).expect("utf8")
    }

    #[test]
    fn combined_line() {
        let f = LogFormat::combined();
        let line = br#"127.0.0.1 - - [06/Dec/2026:23:10:18 +0000] "GET /a?b=1 HTTP/1.1" 502 157 "-" "curl/8.5 \x22x\x22""#;
        let c = f.parse(line).expect("parses");
        assert_eq!(get(&c, "status"), "502");
        assert_eq!(get(&c, "request"), "GET /a?b=1 HTTP/1.1");
        assert_eq!(get(&c, "time_local"), "06/Dec/2026:23:10:18 +0000");
        assert_eq!(
            unescape(
                c.iter().find(|x| x.0 == "http_user_agent").unwrap().1,
                Escape::Default
            )
            .as_ref(),
            b"curl/8.5 \"x\""
        );
        assert!(f.parse(b"garbage line").is_none());
    }

    #[test]
    fn upstream_lists_with_space_delimiters() {
        let f = LogFormat::compile(
            "up",
            Escape::Default,
            "$status $upstream_addr $upstream_status ${request_time}s \"$request\"",
        );
        let c = f
            .parse(b"200 127.0.0.1:1, 127.0.0.1:2 : grp 502, 200 : 502 0.004s \"GET / HTTP/1.1\"")
            .expect("parses");
        assert_eq!(get(&c, "upstream_addr"), "127.0.0.1:1, 127.0.0.1:2 : grp");
        assert_eq!(get(&c, "upstream_status"), "502, 200 : 502");
        assert_eq!(get(&c, "request_time"), "0.004");
    }

    #[test]
    fn json_escape() {
        let f = LogFormat::compile(
            "j",
            Escape::Json,
            r#"{"s":"$status","r":"$request","ua":"$http_user_agent"}"#,
        );
        let c = f
            .parse(br#"{"s":"504","r":"GET /x HTTP/1.1","ua":"a\"b\\"}"#)
            .expect("parses");
        assert_eq!(get(&c, "status"), "504");
        assert_eq!(unescape(c[2].1, Escape::Json).as_ref(), br#"a"b\"#);
        let keys = json_keys_of(&f);
        assert_eq!(keys[0], ("s".to_string(), "status".to_string()));
        let j = parse_json(br#"{"s":"504","r":"GET /x HTTP/1.1","ua":"a\"b\\"}"#, &keys).unwrap();
        assert!(j.contains(&("status".to_string(), "504".to_string())));
    }
}
