//! `ngxray export clickhouse`: SQL user-defined functions that parse and
//! classify a raw error.log line exactly as `ngxray logs` does, a table for
//! raw lines, a view over it and example queries.
//!
//! Everything is plain `CREATE FUNCTION name AS (args) -> expr` lambdas, so
//! the same text runs on a ClickHouse server and in chDB. The parsing
//! functions (`ngxray__*`) follow [`crate::logs::line`] step by step; the
//! classification (`ngxray__cause_index`, `ngxray_status`) is generated from
//! the cause table, one condition per signature in table order, and never
//! edited by hand. Strings are made valid UTF-8 first (`toValidUTF8`) so
//! that the regular expressions see what `ngxray logs` prints.

use std::fmt::Write;

use super::{
    levels_of, taxonomy_version, CANONICAL_ERRNO, LEVELS, SCHEMA, TAIL_KEYS, WINDOWS_ERRNO,
};
use crate::logs::causes::{Phase, Sig, Text, CAUSES};

/// Names used by the generated objects.
#[derive(Debug, Clone)]
pub struct Options {
    /// Table of raw lines (`host`, `file`, `line_no`, `timestamp`, `message`).
    pub table: String,
    /// View with one column per event field, one row per row of the table.
    pub view: String,
}

impl Options {
    /// The view with one row per physical line (`VIEW_by_line`).
    pub fn line_view(&self) -> String {
        format!("{}_by_line", self.view)
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            table: "nginx_error_log".to_string(),
            view: "ngxray_events".to_string(),
        }
    }
}

/// A ClickHouse string literal.
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// An array literal of strings.
fn lits(items: &[&str]) -> String {
    let v: Vec<String> = items.iter().map(|s| lit(s)).collect();
    format!("[{}]", v.join(", "))
}

/// `regex` escaped for RE2.
fn re_escape(s: &str) -> String {
    regex::escape(s)
}

fn levels_re() -> String {
    format!("(?:{})", LEVELS.join("|"))
}

fn keys_re() -> String {
    let k: Vec<String> = TAIL_KEYS.iter().map(|k| re_escape(k)).collect();
    k.join("|")
}

/// One `CREATE FUNCTION`.
fn func(out: &mut String, name: &str, args: &str, body: &str) {
    let _ = writeln!(
        out,
        "CREATE OR REPLACE FUNCTION {name} AS ({args}) ->\n    {body};\n"
    );
}

/// `let NAME = VALUE in BODY` for ClickHouse: a one-element `arrayMap`.
/// SQL functions are expanded like macros, so a parameter used twice would
/// copy its argument twice (and nested calls grow exponentially); a lambda
/// variable is computed once and referenced by name.
fn lets(bindings: &[(&str, String)], body: &str) -> String {
    let mut out = body.to_string();
    for (name, value) in bindings.iter().rev() {
        out = format!("arrayMap({name} -> {out}, [{value}])[1]");
    }
    out
}

/// The parsed line as a tuple; [`PARTS`] names its elements.
const PARTS: &[&str] = &[
    "parsed", "level", "time", "pid", "tid", "cid", "text", "message", "errno", "canon", "action",
    "loc", "client", "server", "request", "host", "referrer", "upstream", "resolver", "hp",
    "upfield", "login", "bclient", "bup", "udp", "opens", "subreq",
];

/// `p.N` for a part name.
fn part(name: &str) -> String {
    let i = PARTS
        .iter()
        .position(|p| *p == name)
        .unwrap_or_else(|| unreachable!("unknown part {name}"));
    format!("p.{}", i + 1)
}

/// The parser: a raw line to its parts. Mirrors `logs::line::parse`.
fn parser(out: &mut String) {
    let lv = levels_re();
    let lt = super::looks_like_time();
    let lt = lt.as_str();
    out.push_str("-- Line layout (mirror of ngxray's logs::line parser).\n\n");
    // A line longer than ngxray keeps is cut (bytes); in a row that holds
    // a whole multi-line record, only its last line is.
    func(
        out,
        "ngxray__cut",
        "m",
        &format!(
            "if(length(m) <= {max}, m, arrayMap(nl -> concat(substring(m, 1, nl), substring(m, nl + 1, {max})), \
             [if(position(reverse(m), '\\n') = 0, 0, length(m) - position(reverse(m), '\\n') + 1)])[1])",
            max = super::MAX_LINE
        ),
    );
    // Where the nginx header starts (0-based), -1 for none.
    let at0 = lit(&format!(r"^(?:{lt}|nginx: |\[{lv}\] )"));
    let t_re = lit(&format!(r"(?s)^(.{{0,315}}?){lt}"));
    let l_re = lit(&format!(r"(?s)^(.{{0,319}}?)\[{lv}\] "));
    func(
        out,
        "ngxray__start",
        "s",
        &format!(
            "multiIf(match(s, {at0}), 0, match(s, {t_re}), toInt64(length(extract(s, {t_re}))), \
             position(substring(s, 1, 320), 'nginx: [') > 0, toInt64(position(substring(s, 1, 320), 'nginx: [')) - 1, \
             match(s, {l_re}), toInt64(length(extract(s, {l_re}))), -1)"
        ),
    );
    // The context tail. The body is cut at every `, KEY` (keys of
    // TAIL_KEYS); quoted values that contain such a boundary are joined
    // back, as the parser's value scan does.
    func(
        out,
        "ngxray__open",
        "v",
        "startsWith(v, '\"') AND NOT (length(v) >= 2 AND endsWith(v, '\"'))",
    );
    func(
        out,
        "ngxray__val",
        "v",
        "if(startsWith(v, '\"'), if(length(v) >= 2 AND endsWith(v, '\"'), substring(v, 2, length(v) - 2), substring(v, 2)), v)",
    );
    // (keys, raw values) of the tail starting at key ks[1].
    // Keys in the order nginx writes them: a value ends at `, KEY` only
    // when KEY comes later in that order (a referrer runs to the end).
    func(
        out,
        "ngxray__rank",
        "k",
        "multiIf(k IN ('client: ', 'udp client: ', 'resolver: '), 0, k = 'server: ', 1, k = 'request: ', 2, \
         k IN ('subrequest: ', 'login: '), 3, k = 'upstream: ', 4, k = 'host: ', 5, k = 'referrer: ', 6, \
         k = 'bytes from/to client:', 7, 8)",
    );
    func(
        out,
        "ngxray__toks",
        "ks, vs",
        "arrayFold((acc, k, v) -> if(length(acc.2) > 0 AND (ngxray__open(acc.2[-1]) OR acc.1[-1] = 'referrer: ' \
         OR ngxray__rank(k) <= ngxray__rank(acc.1[-1])), \
         (acc.1, arrayPushBack(arrayPopBack(acc.2), concat(acc.2[-1], ', ', k, v))), \
         (arrayPushBack(acc.1, k), arrayPushBack(acc.2, v))), ks, vs, \
         (CAST([], 'Array(String)'), CAST([], 'Array(String)')))",
    );
    // Strict: a key once, no space in client/server values.
    func(
        out,
        "ngxray__strict",
        "tt",
        &lets(
            &[("t", "tt".to_string())],
            "length(arrayDistinct(t.1)) = length(t.1) AND NOT arrayExists((k, v) -> k IN ('client: ', 'udp client: ', 'server: ') \
             AND position(ngxray__val(v), ' ') > 0, t.1, t.2)",
        ),
    );
    func(
        out,
        "ngxray__field",
        "t, keys",
        "if(arrayLastIndex(k -> has(keys, k), t.1) = 0, NULL, ngxray__val(t.2[arrayLastIndex(k -> has(keys, k), t.1)]))",
    );
    // Upstream key: scheme split off and URI stripped.
    func(
        out,
        "ngxray__peer",
        "uu",
        &lets(
            &[(
                "u",
                format!(
                    "if(match(uu, {re}), replaceRegexpOne(uu, {re}, ''), uu)",
                    re = lit(r"^[^:]{0,15}://")
                ),
            )],
            &format!(
                "multiIf(startsWith(u, 'unix:'), extract(u, {}), \
                 startsWith(u, '['), if(position(u, ']') > 0, extract(u, {}), u), extract(u, {}))",
                lit(r"^(unix:[^:]*)"),
                lit(r"^(\[[^\]]*\](?::[0-9]*)?)"),
                lit(r"^([^/]*)")
            ),
        ),
    );

    let time_re = lit(r"^([0-9]{4})/([0-9]{2})/([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ");
    let lv_re = lit(&format!(r"^\[({lv})\]"));
    let lv_strip = lit(&format!(r"^\[{lv}\] ?"));
    let pid_re = lit(r"^([0-9]{1,19})#([0-9]{1,19})(?:: |:|$)");
    let cid_re = lit(r"^\*([0-9]{1,19}) ");
    let keys = keys_re();
    let keys_re1 = lit(&format!(", ({keys})"));
    let keys_re0 = lit(&format!(", (?:{keys})"));
    let errno_re = lit(r"(?s)^(.*) \(([0-9]{1,19}): ([^(]*)\)$");
    let loc_re = lit(r"(?s)^.* in (.*)$");
    let loc2_re = lit(r"(?s)^(.+):([0-9]{1,19})$");
    let (texts, codes): (Vec<&str>, Vec<String>) = CANONICAL_ERRNO
        .iter()
        .map(|(t, c)| (*t, c.to_string()))
        .unzip();
    let hnf_g = lit(r#"host not found in upstream "([^"]*)""#);
    let steps: Vec<(&str, String)> = vec![
        ("c", "ngxray__cut(raw)".to_string()),
        ("r0", "if(endsWith(c, '\\r'), substring(c, 1, length(c) - 1), c)".to_string()),
        ("s", "toValidUTF8(r0)".to_string()),
        // The header is found on the bytes, as ngxray finds it: where the
        // first 360 bytes are not all ASCII, each byte from 0x80 up stands
        // for itself as \x01 (one byte, and never part of a header), so
        // that offsets are byte offsets.
        ("h0", "substring(r0, 1, 360)".to_string()),
        ("st", "ngxray__start(if(isValidUTF8(h0) AND lengthUTF8(h0) = length(h0), h0, arrayStringConcat(arrayMap(i -> if(reinterpretAsUInt8(substring(h0, i, 1)) >= 128, char(1), substring(h0, i, 1)), range(1, length(h0) + 1)))))".to_string()),
        ("rest", "if(st < 0, '', toValidUTF8(substring(r0, st + 1)))".to_string()),
        ("tp", format!("arrayMap(x -> toInt64OrZero(x), extractGroups(rest, {time_re}))")),
        ("hast", "length(tp) = 6 AND tp[2] BETWEEN 1 AND 12 AND tp[3] BETWEEN 1 AND 31 AND tp[4] <= 23 AND tp[5] <= 59 AND tp[6] <= 60".to_string()),
        ("se", "NOT hast AND startsWith(rest, 'nginx: ')".to_string()),
        ("r2", "multiIf(hast, substring(rest, 21), se, substring(rest, 8), rest)".to_string()),
        ("lv", format!("extract(r2, {lv_re})")),
        ("hp", "st >= 0 AND (lv != '' OR se)".to_string()),
        ("bare", "NOT hp AND match(s, '^[ \\t\\n\\f\\r]*[A-Za-z0-9*\"]')".to_string()),
        ("r3", format!("if(hp, if(lv != '', replaceRegexpOne(r2, {lv_strip}, ''), r2), replaceRegexpOne(s, '^[ \\t\\n\\f\\r]+', ''))")),
        ("pt", format!("extractGroups(r3, {pid_re})")),
        ("r4", format!("replaceRegexpOne(r3, {pid_re}, '')")),
        ("cm", format!("extractGroups(r4, {cid_re})")),
        ("body", format!("replaceRegexpOne(r4, {cid_re}, '')")),
        ("ks", format!("extractAll(body, {keys_re1})")),
        ("sg", format!("splitByRegexp({keys_re0}, body)")),
        ("cands", "arrayFilter(i -> ks[i] IN ('client: ', 'udp client: '), arrayEnumerate(ks))".to_string()),
        ("strict", "arrayFirst(i -> ngxray__strict(ngxray__toks(arraySlice(ks, i), arraySlice(sg, i + 1))), cands)".to_string()),
        ("at", "if(strict > 0, strict, if(length(cands) > 0, cands[-1], arrayLastIndex(k -> k = 'resolver: ', ks)))".to_string()),
        ("tail", "if(at = 0, (CAST([], 'Array(String)'), CAST([], 'Array(String)')), ngxray__toks(arraySlice(ks, at), arraySlice(sg, at + 1)))".to_string()),
        ("head", "if(at = 0, body, substring(body, 1, length(sg[1]) + arraySum(arrayMap(i -> 2 + length(ks[i]) + length(sg[i + 1]), range(1, at)))))".to_string()),
        ("wp", "splitByString(' while ', head)".to_string()),
        ("action", "if(length(wp) >= 2 AND wp[-1] != '' AND NOT match(wp[-1], '[,\")]'), wp[-1], NULL)".to_string()),
        ("text", "if(action IS NULL, head, substring(head, 1, length(head) - length(assumeNotNull(action)) - 7))".to_string()),
        ("eg", format!("extractGroups(text, {errno_re})")),
        ("he", "length(eg) = 3 AND toUInt64OrZero(eg[2]) <= 2147483647".to_string()),
        ("msg", "if(he, eg[1], text)".to_string()),
        ("errno", "if(he, toInt32(toUInt64OrZero(eg[2])), NULL)".to_string()),
        ("canon", format!("if(he, toInt32(transform(eg[3], {}, [{}], transform(toInt64(toUInt64OrZero(eg[2])), [{}], [{}], toInt64(toUInt64OrZero(eg[2]))))), NULL)", lits(&texts), codes.join(", "), WINDOWS_ERRNO.iter().map(|(w, _)| w.to_string()).collect::<Vec<_>>().join(", "), WINDOWS_ERRNO.iter().map(|(_, l)| l.to_string()).collect::<Vec<_>>().join(", "))),
        ("lg", format!("extractGroups(extract(msg, {loc_re}), {loc2_re})")),
        ("loc", "match(msg, '[0-9]$') AND length(lg) = 2 AND NOT (position(lg[1], ' ') > 0 AND NOT startsWith(lg[1], '/')) AND toUInt64OrZero(lg[2]) <= 4294967295".to_string()),
        ("up", "ngxray__field(tail, ['upstream: '])".to_string()),
        ("res", "ngxray__field(tail, ['resolver: '])".to_string()),
        ("ukey", format!(
            "multiIf(up IS NOT NULL, ngxray__peer(assumeNotNull(up)), \
             position(msg, ' could not be resolved') > 0, substring(msg, 1, position(msg, ' could not be resolved') - 1), \
             startsWith(msg, 'no resolver defined to resolve '), substring(msg, 32), \
             startsWith(msg, 'connect() to ') AND position(substring(msg, 14), ' failed') > 0, \
             ngxray__peer(substring(msg, 14, position(substring(msg, 14), ' failed') - 1)), \
             res IS NOT NULL, assumeNotNull(res), \
             match(msg, {hnf_g}), extract(msg, {hnf_g}), '')"
        )),
    ];
    let tuple = "(hp OR bare, if(hp AND lv != '', lv, NULL), \
        if(hp AND hast AND tp[1] BETWEEN 1970 AND 2105, toDateTime(toInt64(toInt32(makeDate32(tp[1], tp[2], 1)) + tp[3] - 1) * 86400 + tp[4] * 3600 + tp[5] * 60 + tp[6], 'UTC'), NULL), \
        if(length(pt) = 2 AND toUInt64OrZero(pt[1]) <= 4294967295, toUInt32(toUInt64OrZero(pt[1])), NULL), \
        if(length(pt) = 2 AND toUInt64OrZero(pt[2]) <= 4294967295, toUInt32(toUInt64OrZero(pt[2])), NULL), \
        if(length(cm) = 1, toUInt64OrZero(cm[1]), NULL), \
        text, msg, errno, canon, action, loc, \
        ngxray__field(tail, ['client: ', 'udp client: ']), ngxray__field(tail, ['server: ']), \
        ngxray__field(tail, ['request: ']), ngxray__field(tail, ['host: ']), ngxray__field(tail, ['referrer: ']), \
        if(ukey != '', ukey, NULL), res, hp, up, ngxray__field(tail, ['login: ']), \
        ngxray__field(tail, ['bytes from/to client:']), ngxray__field(tail, ['bytes from/to upstream:']), has(tail.1, 'udp client: '), \
        hp AND at = 0 AND (countSubstrings(head, '\"') % 2 = 1 OR position(head, 'lua') > 0 OR position(head, 'runtime error') > 0), \
        ngxray__field(tail, ['subrequest: ']))";
    func(out, "ngxray__parse", "raw", &lets(&steps, tuple));
}

/// Per-line fields, each from the parsed tuple (NULL for an unparsable
/// line).
fn accessors(out: &mut String) {
    out.push_str("-- Event fields.\n\n");
    let field = |out: &mut String, name: &str, expr: &str| {
        func(
            out,
            &format!("ngxray_{name}"),
            "raw",
            &lets(
                &[
                    ("p", "ngxray__parse(raw)".to_string()),
                    ("sig", "ngxray__sig_p(p)".to_string()),
                ],
                expr,
            ),
        );
    };
    for name in [
        "level", "time", "pid", "tid", "action", "errno", "client", "server", "request", "host",
        "referrer", "upstream",
    ] {
        field(out, name, &format!("if(sig != 0, {}, NULL)", part(name)));
    }
    field(
        out,
        "connection",
        &format!("if(sig != 0, {}, NULL)", part("cid")),
    );
    field(
        out,
        "message",
        &format!(
            "if(sig != 0, {}, toValidUTF8(if(endsWith(ngxray__cut(raw), '\\r'), substring(ngxray__cut(raw), 1, length(ngxray__cut(raw)) - 1), ngxray__cut(raw))))",
            part("text")
        ),
    );
}

/// One signature as a condition over the parsed line.
fn sig_condition(sig: &Sig) -> String {
    let msg = part("message");
    let m = msg.as_str();
    let mut parts: Vec<String> = Vec::new();
    match sig.text {
        Text::Any => {}
        Text::Prefix(p) => parts.push(format!("startsWith({m}, {})", lit(p))),
        Text::PrefixContains(p, c) => {
            parts.push(format!("startsWith({m}, {})", lit(p)));
            parts.push(format!(
                "position(substring({m}, {}), {}) > 0",
                p.len() + 1,
                lit(c)
            ));
        }
        Text::Contains(c) => parts.push(format!("position({m}, {}) > 0", lit(c))),
    }
    if !sig.errno.is_empty() {
        let codes: Vec<String> = sig.errno.iter().map(|c| c.to_string()).collect();
        parts.push(format!(
            "ifNull({} IN ({}), 0)",
            part("canon"),
            codes.join(", ")
        ));
    }
    if let Phase::OneOf(actions) = sig.phase {
        parts.push(format!(
            "ifNull({} IN ({}), 0)",
            part("action"),
            actions
                .iter()
                .map(|a| lit(a))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(levels) = levels_of(sig.levels) {
        parts.push(format!(
            "coalesce({}, 'error') IN ({})",
            part("level"),
            levels.iter().map(|l| lit(l)).collect::<Vec<_>>().join(", ")
        ));
        if sig.levels == crate::logs::causes::Levels::NoticeWithoutConnection {
            parts.push(format!("{} IS NULL", part("cid")));
        }
    }
    if sig.config_location {
        parts.push(part("loc"));
    }
    if parts.is_empty() {
        "1".to_string()
    } else {
        parts.join(" AND ")
    }
}

/// The classification, generated from the cause table.
fn classification(out: &mut String) {
    out.push_str("-- Classification: generated from the cause table, one condition per\n");
    out.push_str("-- signature in table order (the first match wins).\n\n");
    let mut index = format!("multiIf(NOT {}, 0", part("parsed"));
    // Signature number → cause id and status (0: unparsable, last: unclassified).
    let mut ids: Vec<&str> = vec!["unparsable"];
    let mut statuses: Vec<String> = vec!["NULL".to_string()];
    let mut n = 0;
    for cause in CAUSES {
        for sig in cause.sigs {
            n += 1;
            let _ = write!(index, ",\n        {}, {n}", sig_condition(sig));
            ids.push(cause.id);
            statuses.push(sig.status.map_or("NULL".to_string(), |s| s.to_string()));
        }
    }
    index.push_str(&format!(", {})", n + 1));
    ids.push("unclassified");
    statuses.push("NULL".to_string());
    // On a parsed tuple (the view computes it once per row).
    // A line without the nginx header counts only when the table knows
    // its message (else it stays unparsable).
    func(
        out,
        "ngxray__sig_p",
        "pp",
        &lets(
            &[("p", "pp".to_string()), ("rs", index.clone())],
            &format!("if(NOT {} AND rs = {}, 0, rs)", part("hp"), n + 1),
        ),
    );
    // The status of stream (TCP/UDP) sessions and of lines that are not
    // a request's final failure (mirror of `classify::stream_status`).
    let f = |name: &str| part(name);
    let is_stream = format!(
        "({req} IS NULL AND {login} IS NULL AND ({bc} IS NOT NULL OR {bu} IS NOT NULL OR {udp} \
         OR ({up} IS NOT NULL AND position(assumeNotNull({up}), '://') = 0) \
         OR ({srv} IS NOT NULL AND match(assumeNotNull({srv}), '[0-9]$') AND position(assumeNotNull({srv}), ':') > 0)))",
        req = f("request"),
        login = f("login"),
        bc = f("bclient"),
        bu = f("bup"),
        udp = f("udp"),
        up = f("upfield"),
        srv = f("server"),
    );
    func(
        out,
        "ngxray__status_p",
        "pp, sig",
        &lets(
            &[("p", "pp".to_string()), ("st", "ngxray__status_of(sig)".to_string())],
            &format!(
                "multiIf(st IS NULL, NULL, \
                 {lv} IS NOT NULL AND {cl} IS NULL, NULL, \
                 {sub} IS NOT NULL, NULL, \
                 {act} IS NULL AND {up} IS NULL AND {req} IS NOT NULL AND {er} IS NOT NULL \
                 AND (startsWith({m}, 'connect()') OR startsWith({m}, 'recv()') OR startsWith({m}, 'send()') \
                 OR startsWith({m}, 'writev()') OR startsWith({m}, 'readv()')), NULL, \
                 NOT {is_stream}, st, \
                 ngxray__cause_of(sig) IN ('dns-failure', 'no-resolver'), toNullable(toUInt16(500)), \
                 st = 504, toNullable(toUInt16(502)), st)",
                lv = f("level"),
                cl = f("client"),
                sub = f("subreq"),
                act = f("action"),
                up = f("upfield"),
                req = f("request"),
                er = f("errno"),
                m = f("message"),
            ),
        ),
    );
    func(
        out,
        "ngxray__cause_of",
        "sig",
        &format!("{}[sig + 1]", lits(&ids)),
    );
    func(
        out,
        "ngxray__status_of",
        "sig",
        &format!(
            "CAST([{}], 'Array(Nullable(UInt16))')[sig + 1]",
            statuses.join(", ")
        ),
    );
    // A line for the line view: 0 without nginx's header (it may continue a
    // record), 1 a header line, 2 a header line that opens a record (a row
    // holding several lines already is a whole record).
    func(
        out,
        "ngxray__head",
        "raw",
        &lets(
            &[("p", "ngxray__parse(raw)".to_string())],
            &format!(
                "if(NOT {hp}, 0, if({opens} AND position(ngxray__cut(raw), '\\n') = 0, 2, 1))",
                hp = part("hp"),
                opens = part("opens")
            ),
        ),
    );
    func(
        out,
        "ngxray_cause",
        "raw",
        "ngxray__cause_of(ngxray__sig_p(ngxray__parse(raw)))",
    );
    func(
        out,
        "ngxray_status",
        "raw",
        &lets(
            &[("p", "ngxray__parse(raw)".to_string())],
            "ngxray__status_p(p, ngxray__sig_p(p))",
        ),
    );
    // Cause metadata for reports.
    let kinds: Vec<String> = CAUSES
        .iter()
        .map(|c| {
            serde_json::to_value(c.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    let ids: Vec<&str> = CAUSES.iter().map(|c| c.id).collect();
    let titles: Vec<&str> = CAUSES.iter().map(|c| c.title).collect();
    let kind_refs: Vec<&str> = kinds.iter().map(String::as_str).collect();
    func(
        out,
        "ngxray_cause_kind",
        "cause",
        &format!("transform(cause, {}, {}, '')", lits(&ids), lits(&kind_refs)),
    );
    func(
        out,
        "ngxray_cause_title",
        "cause",
        &format!("transform(cause, {}, {}, '')", lits(&ids), lits(&titles)),
    );
}

/// The whole SQL script: functions, raw table, view.
pub fn render(opts: &Options) -> String {
    let mut out = String::new();
    let version = taxonomy_version();
    let _ = writeln!(
        out,
        "-- Generated by `ngxray export clickhouse` ({SCHEMA})."
    );
    let _ = writeln!(out, "-- Taxonomy: {version}");
    out.push_str(
        "-- Do not edit: regenerate from the cause table. Runs on a ClickHouse server\n\
         -- (clickhouse-client --multiquery < this.sql) and in chDB.\n\n",
    );
    func(
        &mut out,
        "ngxray_taxonomy",
        "",
        &lit(&format!("{SCHEMA} {version}")),
    );
    parser(&mut out);
    classification(&mut out);
    accessors(&mut out);
    let t = &opts.table;
    let v = &opts.view;
    let _ = write!(
        out,
        "-- Raw lines as shipped (Vector's file source: host, file, timestamp, message).\n\n\
         CREATE TABLE IF NOT EXISTS {t}\n(\n    host LowCardinality(String),\n    file String,\n    \
         line_no UInt64 DEFAULT 0,\n    timestamp DateTime64(3) DEFAULT now64(3),\n    message String\n)\n\
         ENGINE = MergeTree\nORDER BY (host, timestamp);\n\n\
         -- One row per line with ngxray's fields (computed at query time; the\n\
         -- line is parsed once per row).\n\n"
    );
    let parsed = "sig != 0";
    let f = |name: &str| format!("if({parsed}, {}, NULL)", part(name));
    let cols: Vec<(String, &str)> = vec![
        (f("time"), "time"),
        (f("level"), "level"),
        ("ngxray__cause_of(sig)".to_string(), "cause"),
        ("ngxray__status_p(p, sig)".to_string(), "status"),
        (f("upstream"), "upstream"),
        (f("server"), "server"),
        (f("client"), "client"),
        (f("request"), "request"),
        (f("host"), "request_host"),
        (
            format!(
                "if({parsed}, {}, toValidUTF8(if(endsWith(c, '\\r'), substring(c, 1, length(c) - 1), c)))",
                part("text")
            ),
            "text",
        ),
        (f("action"), "action"),
        (f("errno"), "errno"),
        (f("pid"), "pid"),
        (f("cid"), "connection"),
        ("ngxray_taxonomy()".to_string(), "taxonomy"),
        ("message".to_string(), "raw"),
    ];
    let _ = write!(
        out,
        "CREATE OR REPLACE VIEW {v} AS\nSELECT\n    host,\n    file,\n    line_no,\n    timestamp"
    );
    for (expr, name) in &cols {
        let _ = write!(out, ",\n    {expr} AS {name}");
    }
    let _ = write!(
        out,
        "\nFROM\n(\n    SELECT host, file, line_no, timestamp, message, c, p, ngxray__sig_p(p) AS sig\n    \
         FROM (SELECT host, file, line_no, timestamp, message, ngxray__cut(message) AS c, ngxray__parse(message) AS p FROM {t})\n);\n\n"
    );
    line_view(&mut out, opts, &cols);
    out
}

/// The view over rows of physical lines (a shipper that sends every line
/// as it is, with its line number in `line_no`): multi-line records are
/// joined back as `ngxray logs` joins them. Rows are grouped per host and
/// file from each nginx header line to the next one (a running count over
/// `line_no`); in a group whose first line opens a record (no context
/// tail; an odd number of quotes, `lua` or `runtime error`), the lines up to
/// the first one with `, client: ` or `, context: `, at most
/// MAX_CONTINUATION, are its continuation lines. The head row gets the
/// record's fields and `lines`; a continuation row gets NULL fields, cause
/// NULL and `continuation_of`, the line number of its head.
fn line_view(out: &mut String, opts: &Options, cols: &[(String, &str)]) {
    let t = &opts.table;
    let lv = opts.line_view();
    let maxc = super::MAX_CONTINUATION + 1;
    let _ = write!(
        out,
        "-- One row per physical line, for tables of single lines in file order\n\
         -- (line_no ascending per host and file): a multi-line message (PHP stack\n\
         -- trace, Lua traceback) is classified on its first row, as `ngxray logs`\n\
         -- joins it; its continuation rows have no cause and name their head in\n\
         -- continuation_of. `lines` is the number of lines of the record.\n\n\
         CREATE OR REPLACE VIEW {lv} AS\nSELECT\n    host,\n    file,\n    line_no,\n    timestamp"
    );
    for (expr, name) in cols {
        if *name == "raw" {
            continue;
        }
        let _ = write!(out, ",\n    if(cont, NULL, {expr}) AS {name}");
    }
    let _ = write!(
        out,
        ",\n    lines,\n    continuation_of,\n    message AS raw\nFROM\n(\n    \
         SELECT host, file, line_no, timestamp, message, cont, lines, continuation_of, c, p, ngxray__sig_p(p) AS sig\n    \
         FROM\n    (\n        \
         SELECT host, file, r.1 AS line_no, r.2 AS timestamp, r.3 AS message,\n            \
         ghd = 2 AND gi >= 2 AND gi <= k AS cont,\n            \
         multiIf(cont, toUInt64(0), ghd = 2 AND gi = 1, toUInt64(k), toUInt64(1)) AS lines,\n            \
         if(cont, toNullable(rows[1].1), NULL) AS continuation_of,\n            \
         multiIf(cont, '', ghd = 2 AND gi = 1, arrayStringConcat(arrayPushBack(arrayMap(x -> x.3, arraySlice(rows, 1, k - 1)), ngxray__cut(rows[k].3)), '\\n'), ngxray__cut(r.3)) AS c,\n            \
         ngxray__parse(c) AS p\n        \
         FROM\n        (\n            \
         SELECT host, file, rows, rows[1].4 AS ghd,\n                \
         least(if(arrayFirstIndex((x, i) -> i >= 2 AND x.5, rows, arrayEnumerate(rows)) > 0, \
         arrayFirstIndex((x, i) -> i >= 2 AND x.5, rows, arrayEnumerate(rows)), length(rows)), {maxc}) AS k\n            \
         FROM\n            (\n                \
         SELECT host, file, g, arraySort(x -> x.1, groupArray((line_no, timestamp, message, hd, closes))) AS rows\n                \
         FROM\n                (\n                    \
         SELECT host, file, line_no, timestamp, message, hd, closes,\n                        \
         sum(toUInt64(hd > 0)) OVER (PARTITION BY host, file ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS g\n                    \
         FROM\n                    (\n                        \
         SELECT host, file, line_no, timestamp, message, ngxray__head(message) AS hd,\n                            \
         position(ngxray__cut(message), ', client: ') > 0 OR position(ngxray__cut(message), ', context: ') > 0 AS closes\n                        \
         FROM {t}\n                    )\n                )\n                \
         GROUP BY host, file, g\n            )\n        )\n        \
         ARRAY JOIN rows AS r, arrayEnumerate(rows) AS gi\n    )\n);\n"
    );
}

/// Example queries over the view (each one statement).
pub fn queries(opts: &Options) -> String {
    let v = &opts.view;
    format!(
        "-- 502/504 per upstream per minute.\n\
         SELECT toStartOfMinute(coalesce(time, toDateTime(timestamp, 'UTC'))) AS minute, upstream, status, count() AS lines\n\
         FROM {v}\nWHERE status IN (502, 504)\nGROUP BY minute, upstream, status\nORDER BY minute, lines DESC;\n\n\
         -- Onset of each cause: first and last line, hosts, lines.\n\
         SELECT cause, ngxray_cause_kind(cause) AS kind, min(coalesce(time, toDateTime(timestamp, 'UTC'))) AS first_seen,\n       \
         max(coalesce(time, toDateTime(timestamp, 'UTC'))) AS last_seen, uniqExact(host) AS hosts, count() AS lines\n\
         FROM {v}\nGROUP BY cause\nORDER BY first_seen;\n\n\
         -- Which upstreams returned 502 fleet-wide since the deploy (set the time).\n\
         SELECT upstream, uniqExact(host) AS hosts, count() AS lines, groupUniqArray(5)(cause) AS causes\n\
         FROM {v}\nWHERE status = 502 AND timestamp >= toDateTime64('2000-01-01 00:00:00', 3)\n\
         GROUP BY upstream\nORDER BY lines DESC\nLIMIT 20;\n\n\
         -- Lines the table does not recognise yet (report them).\n\
         SELECT text, count() AS lines FROM {v}\nWHERE cause = 'unclassified'\nGROUP BY text\nORDER BY lines DESC\nLIMIT 20;\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape() {
        assert_eq!(lit(r#"a'b\c"#), r#"'a\'b\\c'"#);
        assert_eq!(lit("x\ny"), "'x\\ny'");
    }

    #[test]
    fn every_signature_is_one_condition() {
        let sql = render(&Options::default());
        let sigs: usize = CAUSES.iter().map(|c| c.sigs.len()).sum();
        let body = sql
            .split("CREATE OR REPLACE FUNCTION ngxray__sig_p AS")
            .nth(1)
            .unwrap();
        let body = body.split(";\n").next().unwrap();
        assert_eq!(body.matches(",\n        ").count(), sigs);
        for c in CAUSES {
            if !c.sigs.is_empty() {
                assert!(sql.contains(&lit(c.id)), "{}", c.id);
            }
        }
        assert!(sql.contains(&taxonomy_version()));
    }

    #[test]
    fn reproducible() {
        assert_eq!(render(&Options::default()), render(&Options::default()));
    }
}
