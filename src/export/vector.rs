//! `ngxray export vector`: a VRL program for Vector's `remap` transform
//! that adds ngxray's fields (`ngxray_cause`, `ngxray_status`, …) to each
//! event whose `.message` is one error.log line, and a sample vector.toml.
//!
//! The parsing part follows [`crate::logs::line`] step by step (VRL has no
//! user functions, so repeated steps are written out by the generator); the
//! classification is one `else if` per signature of the cause table, in
//! table order. The text is converted to UTF-8 the way `ngxray logs` prints
//! it (invalid bytes become U+FFFD) before anything is matched.

use std::fmt::Write;

use super::{
    levels_of, taxonomy_version, CANONICAL_ERRNO, LEVELS, MAX_CONTINUATION, MAX_LINE, SCHEMA,
    TAIL_KEYS, WINDOWS_ERRNO,
};
use crate::logs::causes::{Levels, Phase, Sig, Text, CAUSES};

/// A VRL string literal.
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '{' => out.push_str("\\{"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A VRL regex literal (`r'…'`); the patterns here have no `'`.
fn re(pattern: &str) -> String {
    debug_assert!(!pattern.contains('\''));
    format!("r'{pattern}'")
}

fn lits(items: &[&str]) -> String {
    let v: Vec<String> = items.iter().map(|s| lit(s)).collect();
    format!("[{}]", v.join(", "))
}

/// VRL statements that set `{out}` to the value of a context field whose
/// raw text (quotes included) is in `{v}`.
fn val(out: &str, v: &str) -> String {
    format!(
        "{out} = {v}\n    if starts_with({v}, \"\\\"\") {{ if match({v}, r'^\"(?s:.*)\"$') {{ {out} = slice!({v}, 1, -1) }} else {{ {out} = slice!({v}, 1) }} }}"
    )
}

/// Statements that tokenise the tail from key index `{start}` (0-based) of
/// `ngx_ks`/`ngx_sg` into `{tk}` (keys) and `{tv}` (raw values).
fn tokens(start: &str, tk: &str, tv: &str) -> String {
    format!(
        "{tk} = []\n  {tv} = []\n  for_each(slice!(ngx_ks, {start})) -> |ngx_j, ngx_k2| {{\n    \
         ngx_v = string!(get!(ngx_sg, [{start} + ngx_j + 1]))\n    \
         ngx_n = length({tv})\n    \
         ngx_last = if ngx_n > 0 {{ string!(get!({tv}, [ngx_n - 1])) }} else {{ \"\" }}\n    \
         ngx_lastk = if ngx_n > 0 {{ string!(get!({tk}, [ngx_n - 1])) }} else {{ \"\" }}\n    \
         if ngx_n > 0 && ((starts_with(ngx_last, \"\\\"\") && !(strlen(ngx_last) >= 2 && ends_with(ngx_last, \"\\\"\"))) \
         || ngx_lastk == \"referrer: \" || int!(get!(ngx_rank, [ngx_k2])) <= int!(get!(ngx_rank, [ngx_lastk]))) {{\n      \
         {tv} = set!({tv}, [ngx_n - 1], ngx_last + \", \" + ngx_k2 + ngx_v)\n    \
         }} else {{\n      {tk} = push({tk}, ngx_k2)\n      {tv} = push({tv}, ngx_v)\n    }}\n  }}"
    )
}

/// Statements that set `{out}` to a context upstream/peer key of `{u}`
/// (`line::split_upstream`).
fn peer(out: &str, u: &str) -> String {
    format!(
        "ngx_pu = {u}\n  ngx_pm = parse_regex({u}, {scheme}) ?? null\n  \
         if ngx_pm != null {{ ngx_pu = string!(ngx_pm.r) }}\n  \
         if starts_with(ngx_pu, \"unix:\") {{ {out} = parse_regex!(ngx_pu, {unix}).x }} \
         else if starts_with(ngx_pu, \"[\") {{ if contains(ngx_pu, \"]\") {{ {out} = parse_regex!(ngx_pu, {v6}).x }} else {{ {out} = ngx_pu }} }} \
         else {{ {out} = parse_regex!(ngx_pu, {plain}).x }}",
        scheme = re(r"^[^:]{0,15}://(?P<r>(?s:.*))$"),
        unix = re(r"^(?P<x>unix:[^:]*)"),
        v6 = re(r"^(?P<x>\[[^\]]*\](?::[0-9]*)?)"),
        plain = re(r"^(?P<x>[^/]*)"),
    )
}

fn sig_condition(sig: &Sig) -> String {
    let mut parts: Vec<String> = Vec::new();
    match sig.text {
        Text::Any => {}
        Text::Prefix(p) => parts.push(format!("starts_with(ngx_msg, {})", lit(p))),
        Text::PrefixContains(p, c) => parts.push(format!(
            "starts_with(ngx_msg, {}) && contains(slice!(ngx_msg, {}), {})",
            lit(p),
            p.len(),
            lit(c)
        )),
        Text::Contains(c) => parts.push(format!("contains(ngx_msg, {})", lit(c))),
    }
    if !sig.errno.is_empty() {
        let codes: Vec<String> = sig.errno.iter().map(|c| c.to_string()).collect();
        parts.push(format!(
            "ngx_canon != null && includes([{}], ngx_canon)",
            codes.join(", ")
        ));
    }
    if let Phase::OneOf(actions) = sig.phase {
        parts.push(format!(
            "ngx_action != null && includes({}, ngx_action)",
            lits(actions)
        ));
    }
    if let Some(levels) = levels_of(sig.levels) {
        parts.push(format!("includes({}, ngx_lvc)", lits(levels)));
        if sig.levels == Levels::NoticeWithoutConnection {
            parts.push("ngx_cid == null".to_string());
        }
    }
    if sig.config_location {
        parts.push("ngx_loc".to_string());
    }
    if parts.is_empty() {
        "true".to_string()
    } else {
        parts.join(" && ")
    }
}

/// Statements that parse the bytes in `ngx_r0` (one line or one record,
/// without its trailing CR) up to the context tail: `ngx_hp` (an nginx
/// header), `ngx_parsed`, `ngx_time`, `ngx_lv`, `ngx_pid`, `ngx_cid`,
/// `ngx_body`, `ngx_at` (where the tail starts, 0 for none), `ngx_head` and
/// the tail's keys and values (`ngx_ftk`, `ngx_ftv`).
fn header_tail(o: &mut String) {
    let lv = format!("(?:{})", LEVELS.join("|"));
    let lt = super::looks_like_time();
    let lt = lt.as_str();
    let keys: Vec<String> = TAIL_KEYS.iter().map(|k| regex::escape(k)).collect();
    let keys = keys.join("|");
    // Header start (behind paste prefixes), found on the bytes as ngxray
    // finds it: when the first 360 bytes are not all ASCII, each byte from
    // 0x80 up stands for itself as \x01 (one byte, never part of a header),
    // so that offsets are byte offsets. The text from the header on is
    // then read as UTF-8 (invalid bytes become U+FFFD, as ngxray prints
    // them): `replace` with a pattern that never matches a non-empty
    // string is VRL's lossy conversion.
    let _ = write!(
        o,
        "ngx_s = replace(ngx_r0, r'\\A\\z', \"\")\n\
         ngx_h = slice!(ngx_r0, 0, 360)\n\
         if !match(ngx_h, r'^[\\x00-\\x7f]*$') {{\n  \
         ngx_h = decode_base16!(replace_with(encode_base16(ngx_h), r'[0-9a-f]{{2}}') -> |ngx_bm| {{ \
         if match(ngx_bm.string, r'^[89a-f]') {{ \"01\" }} else {{ ngx_bm.string }} }})\n}}\n\
         ngx_st = -1\n\
         if match(ngx_h, {at0}) {{\n  ngx_st = 0\n}} else {{\n  \
         ngx_m = parse_regex(ngx_h, {t}) ?? null\n  \
         if ngx_m == null {{ ngx_m = parse_regex(ngx_h, {ng}) ?? null }}\n  \
         if ngx_m == null {{ ngx_m = parse_regex(ngx_h, {l}) ?? null }}\n  \
         if ngx_m != null {{ ngx_st = strlen(string!(ngx_m.p)) }}\n}}\n\
         ngx_rest = null\n\
         if ngx_st >= 0 {{ ngx_rest = replace(slice!(ngx_r0, ngx_st), r'\\A\\z', \"\") }}\n",
        at0 = re(&format!(r"^(?:{lt}|nginx: |\[{lv}\] )")),
        t = re(&format!(r"^(?P<p>(?s:.{{0,315}}?)){lt}")),
        ng = re(r"^(?P<p>(?s:.{0,312}?))nginx: \["),
        l = re(&format!(r"^(?P<p>(?s:.{{0,319}}?))\[{lv}\] ")),
    );
    // Time, `nginx: `, level, pid#tid, *cid.
    let _ = write!(
        o,
        "ngx_hp = false\nngx_time = null\nngx_lv = null\nngx_pid = null\nngx_cid = null\nngx_body = \"\"\n\
         if ngx_rest != null {{\n  ngx_r = string!(ngx_rest)\n  ngx_se = false\n  ngx_ht = false\n  \
         ngx_tm = parse_regex(ngx_r, {time}) ?? null\n  \
         if ngx_tm != null {{\n    \
         ngx_mo = to_int(ngx_tm.mo) ?? 0\n    ngx_d = to_int(ngx_tm.d) ?? 0\n    \
         ngx_h = to_int(ngx_tm.h) ?? 99\n    ngx_mi = to_int(ngx_tm.mi) ?? 99\n    ngx_sec = to_int(ngx_tm.sec) ?? 99\n    \
         if ngx_mo >= 1 && ngx_mo <= 12 && ngx_d >= 1 && ngx_d <= 31 && ngx_h <= 23 && ngx_mi <= 59 && ngx_sec <= 60 {{\n      \
         ngx_day = parse_timestamp(string!(ngx_tm.y) + \"-\" + string!(ngx_tm.mo) + \"-01 00:00:00 +0000\", \"%Y-%m-%d %H:%M:%S %z\") ?? null\n      \
         if ngx_day != null {{\n        \
         ngx_secs = to_unix_timestamp(timestamp!(ngx_day)) + (ngx_d - 1) * 86400 + ngx_h * 3600 + ngx_mi * 60 + ngx_sec\n        \
         ngx_time = format_timestamp!(from_unix_timestamp!(ngx_secs), \"%Y-%m-%dT%H:%M:%S\", timezone: \"UTC\")\n      }}\n      \
         ngx_r = string!(ngx_tm.r)\n      ngx_ht = true\n    }}\n  }}\n  \
         if !ngx_ht && starts_with(ngx_r, \"nginx: \") {{\n    ngx_se = true\n    ngx_r = slice!(ngx_r, 7)\n  }}\n  \
         ngx_lm = parse_regex(ngx_r, {level}) ?? null\n  \
         if ngx_lm != null {{\n    ngx_lv = string!(ngx_lm.lv)\n    ngx_r = string!(ngx_lm.r)\n  }}\n  \
         ngx_hp = ngx_lv != null || ngx_se\n  \
         if ngx_hp {{ ngx_body = ngx_r }}\n}}\n\
         # A line without the nginx header (a pasted message) is read from its first word.\n\
         ngx_bare = false\n\
         if !ngx_hp && match(ngx_s, r'^[ \\t\\n\\f\\r]*[A-Za-z0-9*\"]') {{\n  \
         ngx_bare = true\n  ngx_time = null\n  ngx_lv = null\n  ngx_body = replace(ngx_s, r'^[ \\t\\n\\f\\r]+', \"\")\n}}\n\
         ngx_parsed = ngx_hp || ngx_bare\n\
         if ngx_parsed {{\n  ngx_r = ngx_body\n  \
         ngx_pm = parse_regex(ngx_r, {pid}) ?? null\n  \
         if ngx_pm != null {{\n    \
         ngx_p = to_int(ngx_pm.p) ?? null\n    if ngx_p != null && int!(ngx_p) <= 4294967295 {{ ngx_pid = ngx_p }}\n    \
         ngx_r = string!(ngx_pm.r)\n  }}\n  \
         ngx_cm = parse_regex(ngx_r, {cid}) ?? null\n  \
         if ngx_cm != null {{\n    ngx_cid = to_int(ngx_cm.c) ?? null\n    ngx_r = string!(ngx_cm.r)\n  }}\n  \
         ngx_body = ngx_r\n}}\n",
        time = re(r"^(?P<y>[0-9]{4})/(?P<mo>[0-9]{2})/(?P<d>[0-9]{2}) (?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<sec>[0-9]{2}) (?P<r>(?s:.*))$"),
        level = re(&format!(r"^\[(?P<lv>{lv})\] ?(?P<r>(?s:.*))$")),
        pid = re(r"^(?P<p>[0-9]{1,19})#(?P<t>[0-9]{1,19})(?:: |:|$)(?P<r>(?s:.*))$"),
        cid = re(r"^\*(?P<c>[0-9]{1,19}) (?P<r>(?s:.*))$"),
    );
    // The context tail: cut at every `, KEY`, join quoted values back,
    // take the first strict tail from a `client:` key, else the last
    // `client:` key, else the last `resolver:` key.
    let _ = write!(
        o,
        "ngx_rank = {{ \"client: \": 0, \"udp client: \": 0, \"resolver: \": 0, \"server: \": 1, \"request: \": 2, \
         \"subrequest: \": 3, \"login: \": 3, \"upstream: \": 4, \"host: \": 5, \"referrer: \": 6, \
         \"bytes from/to client:\": 7, \"bytes from/to upstream:\": 8 }}\n\
         ngx_ks = []\n\
         for_each(parse_regex_all(ngx_body, {k1}) ?? []) -> |_i, ngx_km| {{ ngx_ks = push(ngx_ks, string!(ngx_km.k)) }}\n\
         ngx_sg = split(ngx_body, {k0})\n\
         ngx_at = 0\nngx_lastc = 0\n\
         for_each(ngx_ks) -> |ngx_i, ngx_k| {{\n  \
         if ngx_at == 0 && (ngx_k == \"client: \" || ngx_k == \"udp client: \") {{\n  \
         ngx_lastc = ngx_i + 1\n  {toks}\n  \
         ngx_ok = length(unique(ngx_tk)) == length(ngx_tk)\n  \
         for_each(ngx_tk) -> |ngx_x, ngx_kk| {{\n    \
         if ngx_kk == \"client: \" || ngx_kk == \"udp client: \" || ngx_kk == \"server: \" {{\n    \
         ngx_raw = string!(get!(ngx_tv, [ngx_x]))\n    {val}\n    \
         if contains(ngx_vv, \" \") {{ ngx_ok = false }}\n    }}\n  }}\n  \
         if ngx_ok {{ ngx_at = ngx_i + 1 }}\n  }}\n}}\n\
         if ngx_at == 0 {{\n  if ngx_lastc > 0 {{\n    ngx_at = ngx_lastc\n  }} else {{\n    \
         for_each(ngx_ks) -> |ngx_i, ngx_k| {{ if ngx_k == \"resolver: \" {{ ngx_at = ngx_i + 1 }} }}\n  }}\n}}\n\
         ngx_head = ngx_body\nngx_ftk = []\nngx_ftv = []\n\
         if ngx_at > 0 {{\n  ngx_head = string!(get!(ngx_sg, [0]))\n  \
         for_each(ngx_ks) -> |ngx_i, ngx_k| {{ if ngx_i + 1 < ngx_at {{ ngx_head = ngx_head + \", \" + ngx_k + string!(get!(ngx_sg, [ngx_i + 1])) }} }}\n  \
         {ftoks}\n}}\n",
        k1 = re(&format!(", (?P<k>{keys})")),
        k0 = re(&format!(", (?:{keys})")),
        toks = tokens("ngx_i", "ngx_tk", "ngx_tv"),
        val = val("ngx_vv", "ngx_raw"),
        ftoks = tokens("ngx_at - 1", "ngx_ftk", "ngx_ftv"),
    );
}

/// Statements that read the fields, errno, action and upstream of the
/// parsed text and classify it, ending with `ngx_ev`: the `ngxray_*`
/// fields of the record.
fn rest(o: &mut String) {
    // Fields of the tail (the last of a key wins).
    o.push_str(
        "ngx_client = null\nngx_server = null\nngx_request = null\nngx_host = null\nngx_up = null\nngx_res = null\n\
         ngx_login = null\nngx_sub = null\nngx_bc = null\nngx_bu = null\nngx_udp = false\n",
    );
    let _ = write!(
        o,
        "for_each(ngx_ftk) -> |ngx_x, ngx_kk| {{\n  ngx_raw = string!(get!(ngx_ftv, [ngx_x]))\n  {val}\n  \
         if ngx_kk == \"client: \" || ngx_kk == \"udp client: \" {{ ngx_client = ngx_vv }}\n  \
         if ngx_kk == \"server: \" {{ ngx_server = ngx_vv }}\n  \
         if ngx_kk == \"request: \" {{ ngx_request = ngx_vv }}\n  \
         if ngx_kk == \"host: \" {{ ngx_host = ngx_vv }}\n  \
         if ngx_kk == \"upstream: \" {{ ngx_up = ngx_vv }}\n  \
         if ngx_kk == \"resolver: \" {{ ngx_res = ngx_vv }}\n  \
         if ngx_kk == \"login: \" {{ ngx_login = ngx_vv }}\n  \
         if ngx_kk == \"subrequest: \" {{ ngx_sub = ngx_vv }}\n  \
         if ngx_kk == \"bytes from/to client:\" {{ ngx_bc = ngx_vv }}\n  \
         if ngx_kk == \"bytes from/to upstream:\" {{ ngx_bu = ngx_vv }}\n  \
         if ngx_kk == \"udp client: \" {{ ngx_udp = true }}\n}}\n",
        val = val("ngx_vv", "ngx_raw"),
    );
    // ` while ACTION`, errno, configuration location.
    let canon: Vec<String> = CANONICAL_ERRNO
        .iter()
        .map(|(t, c)| format!("{}: {c}", lit(t)))
        .collect();
    let _ = write!(
        o,
        "ngx_action = null\nngx_text = ngx_head\n\
         ngx_wp = split(ngx_head, \" while \")\nngx_wn = length(ngx_wp)\n\
         if ngx_wn >= 2 {{\n  ngx_lastp = string!(get!(ngx_wp, [ngx_wn - 1]))\n  \
         if ngx_lastp != \"\" && !match(ngx_lastp, r'[,\")]') {{\n    ngx_action = ngx_lastp\n    \
         ngx_text = join(slice!(ngx_wp, 0, ngx_wn - 1), \" while \")\n  }}\n}}\n\
         ngx_msg = ngx_text\nngx_errno = null\nngx_canon = null\n\
         ngx_em = parse_regex(ngx_text, {errno}) ?? null\n\
         if ngx_em != null {{\n  ngx_code = to_int(ngx_em.n) ?? null\n  \
         if ngx_code != null && int!(ngx_code) <= 2147483647 {{\n    ngx_msg = string!(ngx_em.m)\n    ngx_errno = ngx_code\n    \
         ngx_canon = get!({{ {canon} }}, [string!(ngx_em.t)])\n    \
         if ngx_canon == null {{ ngx_canon = get!({{ {win} }}, [to_string(ngx_code)]) }}\n    \
         if ngx_canon == null {{ ngx_canon = ngx_code }}\n  }}\n}}\n\
         ngx_loc = false\n\
         if match(ngx_msg, r'[0-9]$') {{\n  ngx_lm1 = parse_regex(ngx_msg, {loc1}) ?? null\n  \
         if ngx_lm1 != null {{\n    ngx_lm2 = parse_regex(string!(ngx_lm1.l), {loc2}) ?? null\n    \
         if ngx_lm2 != null {{\n      ngx_ln = to_int(ngx_lm2.n) ?? 9999999999\n      \
         ngx_loc = !(contains(string!(ngx_lm2.p), \" \") && !starts_with(string!(ngx_lm2.p), \"/\")) && ngx_ln <= 4294967295\n    }}\n  }}\n}}\n",
        errno = re(r"^(?P<m>(?s:.*)) \((?P<n>[0-9]{1,19}): (?P<t>[^(]*)\)$"),
        canon = canon.join(", "),
        win = WINDOWS_ERRNO
            .iter()
            .map(|(w, l)| format!("\"{w}\": {l}"))
            .collect::<Vec<_>>()
            .join(", "),
        loc1 = re(r"^(?s:.*) in (?P<l>(?s:.*))$"),
        loc2 = re(r"^(?P<p>(?s:.+)):(?P<n>[0-9]{1,19})$"),
    );
    // Upstream key (`line::upstream_key`).
    let _ = write!(
        o,
        "ngx_ukey = \"\"\n\
         if ngx_up != null {{\n  {peer_up}\n}} \
         else if contains(ngx_msg, \" could not be resolved\") {{\n  ngx_ukey = parse_regex!(ngx_msg, {res}).x\n}} \
         else if starts_with(ngx_msg, \"no resolver defined to resolve \") {{\n  ngx_ukey = slice!(ngx_msg, 31)\n}} \
         else if starts_with(ngx_msg, \"connect() to \") && contains(slice!(ngx_msg, 13), \" failed\") {{\n  \
         ngx_cx = parse_regex!(ngx_msg, {conn}).x\n  {peer_cx}\n}} \
         else if ngx_res != null {{\n  ngx_ukey = string!(ngx_res)\n}} \
         else {{\n  ngx_hm = parse_regex(ngx_msg, {hnf}) ?? null\n  if ngx_hm != null {{ ngx_ukey = string!(ngx_hm.x) }}\n}}\n",
        peer_up = peer("ngx_ukey", "string!(ngx_up)"),
        res = re(r"^(?P<x>(?s:.*?)) could not be resolved"),
        conn = re(r"^connect\(\) to (?P<x>(?s:.*?)) failed"),
        peer_cx = peer("ngx_ukey", "ngx_cx"),
        hnf = re(r#"host not found in upstream "(?P<x>[^"]*)""#),
    );
    // Classification, generated from the cause table.
    o.push_str("# Classification: one condition per signature of the cause table, in\n# table order (the first match wins).\n");
    let mut ids: Vec<&str> = vec!["unparsable"];
    let mut statuses: Vec<String> = vec!["null".to_string()];
    o.push_str("ngx_lvc = if ngx_lv == null { \"error\" } else { string!(ngx_lv) }\nngx_sig = 0\nif !ngx_parsed {\n  ngx_sig = 0\n}");
    let mut n = 0;
    for cause in CAUSES {
        for sig in cause.sigs {
            n += 1;
            let _ = write!(o, " else if {} {{\n  ngx_sig = {n}\n}}", sig_condition(sig));
            ids.push(cause.id);
            statuses.push(sig.status.map_or("null".to_string(), |s| s.to_string()));
        }
    }
    let _ = writeln!(o, " else {{\n  ngx_sig = {}\n}}", n + 1);
    // A line without the header counts only when the table knows it.
    let _ = writeln!(
        o,
        "if ngx_bare && ngx_sig == {} {{\n  ngx_sig = 0\n}}",
        n + 1
    );
    ids.push("unclassified");
    statuses.push("null".to_string());
    let _ = writeln!(o, "ngx_cause = get!({}, [ngx_sig])", lits(&ids));
    let _ = writeln!(o, "ngx_st = get!([{}], [ngx_sig])", statuses.join(", "));
    // Stream sessions and lines that are not a request's final failure
    // (mirror of `classify::stream_status`).
    o.push_str(
        "if ngx_st != null {\n  \
         if ngx_lv != null && ngx_client == null {\n    ngx_st = null\n  } \
         else if ngx_sub != null {\n    ngx_st = null\n  } \
         else if ngx_action == null && ngx_up == null && ngx_request != null && ngx_errno != null \
         && (starts_with(ngx_msg, \"connect()\") || starts_with(ngx_msg, \"recv()\") || starts_with(ngx_msg, \"send()\") \
         || starts_with(ngx_msg, \"writev()\") || starts_with(ngx_msg, \"readv()\")) {\n    ngx_st = null\n  } \
         else if ngx_request == null && ngx_login == null && (ngx_bc != null || ngx_bu != null || ngx_udp \
         || (ngx_up != null && !contains(string!(ngx_up), \"://\")) \
         || (ngx_server != null && match(string!(ngx_server), r'[0-9]$') && contains(string!(ngx_server), \":\"))) {\n    \
         if ngx_cause == \"dns-failure\" || ngx_cause == \"no-resolver\" {\n      ngx_st = 500\n    } \
         else if ngx_st == 504 {\n      ngx_st = 502\n    }\n  }\n}\n",
    );
    o.push_str(
        "ngx_ev = { \"ngxray_cause\": ngx_cause, \"ngxray_status\": ngx_st, \"ngxray_level\": null, \"ngxray_time\": null, \
         \"ngxray_upstream\": null, \"ngxray_server\": null, \"ngxray_client\": null, \"ngxray_request\": null, \
         \"ngxray_message\": ngx_s, \"ngxray_action\": null, \"ngxray_errno\": null, \"ngxray_pid\": null, \
         \"ngxray_connection\": null, \"ngxray_host\": null }\n\
         if ngx_sig != 0 {\n  \
         ngx_upv = if ngx_ukey == \"\" { null } else { ngx_ukey }\n  \
         ngx_ev = { \"ngxray_cause\": ngx_cause, \"ngxray_status\": ngx_st, \"ngxray_level\": ngx_lv, \"ngxray_time\": ngx_time, \
         \"ngxray_upstream\": ngx_upv, \"ngxray_server\": ngx_server, \
         \"ngxray_client\": ngx_client, \"ngxray_request\": ngx_request, \"ngxray_message\": ngx_text, \
         \"ngxray_action\": ngx_action, \"ngxray_errno\": ngx_errno, \"ngxray_pid\": ngx_pid, \
         \"ngxray_connection\": ngx_cid, \"ngxray_host\": ngx_host }\n}\n",
    );
}

/// The VRL program.
pub fn render() -> String {
    let mut o = String::new();
    let version = taxonomy_version();
    let _ = writeln!(o, "# Generated by `ngxray export vector` ({SCHEMA}).");
    let _ = writeln!(o, "# Taxonomy: {version}");
    o.push_str(
        "# Do not edit: regenerate from the cause table. Input: .message is one\n\
         # nginx error.log line, or several (the sample vector.toml groups each\n\
         # header line with the lines after it that have none). Adds .ngxray_cause,\n\
         # .ngxray_status, .ngxray_level, .ngxray_upstream, .ngxray_server,\n\
         # .ngxray_client, .ngxray_request, .ngxray_time, .ngxray_message,\n\
         # .ngxray_action, .ngxray_errno, .ngxray_pid, .ngxray_connection,\n\
         # .ngxray_host and .ngxray_taxonomy (as `ngxray logs --format ndjson`\n\
         # would print them). A group that holds several records of `ngxray logs`\n\
         # (a multi-line message and the lines after it) becomes one event per\n\
         # record, .message set to the record's text.\n\n",
    );
    let _ = writeln!(
        o,
        ".ngxray_taxonomy = {}",
        lit(&format!("{SCHEMA} {version}"))
    );
    // Records, as `logs::record::records` joins them: a header line that
    // opens (no context tail; an odd number of quotes, `lua` or `runtime
    // error`) takes the lines after it that have no header, up to the one
    // carrying `, client: ` or `, context: `, at most MAX_CONTINUATION.
    // Every line is cut at MAX_LINE bytes; the record keeps its inner
    // lines whole and cuts its last one (as a slice of the file would).
    let _ = write!(
        o,
        "ngx_all = to_string(.message) ?? \"\"\n\
         ngx_recs = [slice!(ngx_all, 0, {max})]\n\
         if contains(ngx_all, \"\\n\") {{\n\
         # The lines, as bytes: split on the newline byte (hex pairs, so that\n\
         # invalid UTF-8 stays as it is).\n\
         ngx_lines = []\n\
         ngx_hexall = replace_with(encode_base16(ngx_all), r'[0-9a-f]{{2}}') -> |ngx_bm| {{ \
         if ngx_bm.string == \"0a\" {{ \",\" }} else {{ ngx_bm.string }} }}\n\
         for_each(split(ngx_hexall, \",\")) -> |_ngx_hi, ngx_hl| {{ ngx_lines = push(ngx_lines, decode_base16!(ngx_hl)) }}\n\
         ngx_recs = []\nngx_base = \"\"\nngx_lastfull = \"\"\nngx_lastcut = \"\"\nngx_open = false\nngx_n = 0\n\
         for_each(ngx_lines) -> |ngx_li, ngx_line| {{\n\
         ngx_lb = ngx_line\n\
         ngx_cut = slice!(ngx_lb, 0, {max})\n\
         ngx_r0 = if ends_with(ngx_cut, \"\\r\") {{ slice!(ngx_cut, 0, -1) }} else {{ ngx_cut }}\n",
        max = MAX_LINE
    );
    header_tail(&mut o);
    let _ = write!(
        o,
        "if ngx_li > 0 && ngx_open && !ngx_hp && ngx_n <= {maxc} {{\n\
         ngx_base = ngx_base + ngx_lastfull + \"\\n\"\n\
         ngx_lastfull = ngx_lb\nngx_lastcut = ngx_cut\nngx_n = ngx_n + 1\n\
         if contains(ngx_cut, \", client: \") || contains(ngx_cut, \", context: \") {{ ngx_open = false }}\n\
         }} else {{\n\
         if ngx_li > 0 {{ ngx_recs = push(ngx_recs, ngx_base + ngx_lastcut) }}\n\
         ngx_base = \"\"\nngx_lastfull = ngx_lb\nngx_lastcut = ngx_cut\nngx_n = 1\n\
         ngx_open = ngx_hp && ngx_at == 0 && (mod(length(split(ngx_head, \"\\\"\")), 2) == 0 \
         || contains(ngx_head, \"lua\") || contains(ngx_head, \"runtime error\"))\n\
         }}\n}}\n\
         ngx_recs = push(ngx_recs, ngx_base + ngx_lastcut)\n\
         }}\n",
        maxc = MAX_CONTINUATION
    );
    // Each record parsed and classified.
    o.push_str(
        "ngx_evs = []\nfor_each(ngx_recs) -> |_ngx_ri, ngx_rec| {\n\
         ngx_rb = ngx_rec\n\
         ngx_r0 = if ends_with(ngx_rb, \"\\r\") { slice!(ngx_rb, 0, -1) } else { ngx_rb }\n",
    );
    header_tail(&mut o);
    rest(&mut o);
    o.push_str(
        "if length(ngx_recs) > 1 { ngx_ev.message = ngx_rb }\n\
         ngx_evs = push(ngx_evs, ngx_ev)\n}\n\
         if length(ngx_evs) == 1 {\n  . = merge(., object!(get!(ngx_evs, [0])))\n} else {\n  \
         ngx_event = .\n  ngx_out = []\n  \
         for_each(ngx_evs) -> |_ngx_ei, ngx_e| { ngx_out = push(ngx_out, merge(ngx_event, ngx_e)) }\n  \
         . = ngx_out\n}\n",
    );
    o
}

/// A sample vector.toml: tail error logs, classify, ship to ClickHouse and
/// Loki.
pub fn config() -> String {
    format!(
        "# Sample Vector configuration generated by `ngxray export vector --config` ({SCHEMA}).\n\
         # Taxonomy: {version}\n\
         # Save the program next to it: ngxray export vector > /etc/vector/ngxray.vrl\n\n\
         [sources.nginx_error]\n\
         type = \"file\"\n\
         include = [\"/var/log/nginx/error.log\"]\n\
         read_from = \"end\"\n\
         # Lines up to 1 MiB (Vector drops longer ones; ngxray cuts a line at\n\
         # {max_line} bytes, and so does the program).\n\
         max_line_bytes = 1048576\n\n\
         # Multi-line messages (PHP stack traces, Lua tracebacks): each line that\n\
         # starts with nginx's header ends the group before it, every other line\n\
         # joins the group. The program then splits a group into the records of\n\
         # `ngxray logs` (a head that leaves its message open takes the lines\n\
         # after it up to the one with the context tail), one event each.\n\
         [sources.nginx_error.multiline]\n\
         start_pattern = '^'\n\
         condition_pattern = '{header}'\n\
         mode = \"halt_before\"\n\
         timeout_ms = 1000\n\n\
         [transforms.ngxray]\n\
         type = \"remap\"\n\
         inputs = [\"nginx_error\"]\n\
         file = \"/etc/vector/ngxray.vrl\"\n\
         drop_on_error = false\n\n\
         # Raw lines (and the edge classification) into the table of\n\
         # `ngxray export clickhouse`; its view classifies again in SQL.\n\
         [sinks.clickhouse]\n\
         type = \"clickhouse\"\n\
         inputs = [\"ngxray\"]\n\
         endpoint = \"http://clickhouse:8123\"\n\
         database = \"default\"\n\
         table = \"nginx_error_log\"\n\
         skip_unknown_fields = true\n\
         encoding.timestamp_format = \"unix\"\n\n\
         # Failures only, labelled by cause and status, into Loki.\n\
         [transforms.failures]\n\
         type = \"filter\"\n\
         inputs = [\"ngxray\"]\n\
         condition = '.ngxray_status != null'\n\n\
         [sinks.loki]\n\
         type = \"loki\"\n\
         inputs = [\"failures\"]\n\
         endpoint = \"http://loki:3100\"\n\
         encoding.codec = \"json\"\n\
         labels.job = \"nginx-error\"\n\
         labels.host = \"{{{{ host }}}}\"\n\
         labels.cause = \"{{{{ ngxray_cause }}}}\"\n\
         labels.status = \"{{{{ ngxray_status }}}}\"\n",
        version = taxonomy_version(),
        max_line = MAX_LINE,
        header = HEADER_LINE,
    )
}

/// A line that starts with nginx's header, `YYYY/MM/DD HH:MM:SS [level]`
/// with a valid date and clock: a line `ngxray logs` never takes as a
/// continuation line, so a group may end before it. (Lines whose header
/// this does not match, such as pasted ones, stay in the group and the
/// program splits them off exactly.)
pub const HEADER_LINE: &str = r"^[0-9]{4}/(?:0[1-9]|1[0-2])/(?:0[1-9]|[12][0-9]|3[01]) (?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60) \[(?:emerg|alert|crit|error|warn|notice|info|debug)\]";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signature_is_one_branch() {
        let p = render();
        let sigs: usize = CAUSES.iter().map(|c| c.sigs.len()).sum();
        let branches = p
            .lines()
            .filter(|l| l.trim_start().starts_with("ngx_sig = "))
            .count();
        // `ngx_sig = 0` three times (init, unparsed, unknown line without
        // header), one per signature, the fallback.
        assert_eq!(branches, sigs + 4);
        assert!(p.contains(&taxonomy_version()));
        assert_eq!(p, render());
    }

    #[test]
    fn config_names_the_program_and_sinks() {
        let c = config();
        assert!(c.contains("type = \"remap\""));
        assert!(c.contains("table = \"nginx_error_log\""));
        assert!(c.contains("{{ ngxray_cause }}"));
    }
}
