//! `--format text`: the summary first (top causes with counts and share, the
//! 502/504 totals, the time range), then one section per cause with its
//! upstream × server table, a timeline sparkline, the explanation, related
//! lint rules and sample lines. Colour only when asked (a TTY without
//! `NO_COLOR`); the layout is the same either way.

use std::fmt::Write as _;

use super::aggregate::{Aggregate, Group, StatusCounts, Timeline};
use super::causes::{self, Kind};
use super::time::{format_human, format_iso};
use super::Outcome;

/// Groups listed per cause before "… N more".
const MAX_GROUPS_SHOWN: usize = 10;
/// Columns of a sparkline.
const SPARK_WIDTH: usize = 60;

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn kind(&self, kind: Kind, s: &str) -> String {
        match kind {
            Kind::UpstreamFailure | Kind::Config => self.paint("1;31", s),
            Kind::UpstreamWarning | Kind::RequestFailure => self.paint("33", s),
            Kind::Noise => self.paint("2", s),
            Kind::Unknown => self.paint("35", s),
        }
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(n: u64, of: u64) -> String {
    if of == 0 {
        "0%".to_string()
    } else {
        let p = n as f64 * 100.0 / of as f64;
        if p > 0.0 && p < 0.1 {
            "<0.1%".to_string()
        } else {
            format!("{p:.1}%")
        }
    }
}

fn duration(secs: i64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

fn statuses(s: &StatusCounts) -> String {
    let parts: Vec<String> = s
        .by_status
        .iter()
        .rev()
        .map(|(k, n)| format!("{k:03}×{}", thousands(*n)))
        .collect();
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(" ")
    }
}

/// A time, shortened to HH:MM:SS when the whole log is within one day.
fn when(t: Option<i64>, same_day: bool) -> String {
    match t {
        None => "-".to_string(),
        Some(t) if same_day => format_iso(t)[11..].to_string(),
        Some(t) => format_human(t),
    }
}

pub use crate::sanitize::clean;

/// Log content cleaned (see [`clean`]) and cut to `width` characters.
fn truncate(s: &str, width: usize) -> String {
    let s = clean(s);
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A sparkline of `t` over [first, last] in at most [`SPARK_WIDTH`] columns.
pub fn sparkline(t: &Timeline, first: i64, last: i64) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let bucket = t.width.max(1);
    let start = first.div_euclid(bucket) * bucket;
    let buckets = ((last.div_euclid(bucket) * bucket - start) / bucket + 1).max(1) as usize;
    let width = buckets.min(SPARK_WIDTH);
    let mut cols = vec![0u64; width];
    for &(b, n) in &t.buckets {
        let i = ((b - start) / bucket).clamp(0, buckets as i64 - 1) as usize;
        cols[i * width / buckets] += n;
    }
    let max = cols.iter().copied().max().unwrap_or(0);
    cols.iter()
        .map(|&n| {
            if n == 0 || max == 0 {
                ' '
            } else {
                BARS[((n * 8).div_ceil(max) - 1).min(7) as usize]
            }
        })
        .collect()
}

fn bucket_name(bucket: i64) -> String {
    match bucket {
        b if b % 86_400 == 0 => format!("{}d", b / 86_400),
        b if b % 3600 == 0 => format!("{}h", b / 3600),
        b if b % 60 == 0 => format!("{}m", b / 60),
        b => format!("{b}s"),
    }
}

/// Render the report. `color` adds ANSI colours.
pub fn render(outcome: &Outcome, color: bool) -> String {
    let st = Style { color };
    let agg: &Aggregate = &outcome.aggregate;
    let counted = agg.counted();
    let mut o = String::new();

    // Summary.
    let names: Vec<String> = outcome
        .inputs
        .iter()
        .map(|i| clean(&i.name).into_owned())
        .collect();
    let inputs = if names.len() <= 3 {
        names.join(", ")
    } else {
        format!("{}, … ({} files)", names[..2].join(", "), names.len())
    };
    let _ = writeln!(
        o,
        "{} {} lines from {}",
        st.bold("ngxray logs:"),
        thousands(agg.lines()),
        inputs
    );
    if agg.filtered > 0 {
        let _ = writeln!(
            o,
            "  filters kept {} lines, dropped {}",
            thousands(counted),
            thousands(agg.filtered)
        );
    }
    if agg.continuation > 0 {
        let _ = writeln!(
            o,
            "  multi-line   {} continuation lines joined to their messages",
            thousands(agg.continuation)
        );
    }
    if !outcome.skipped.is_empty() {
        let _ = writeln!(
            o,
            "  incomplete   {} of {} inputs not read to the end (see the warnings)",
            outcome.skipped.len(),
            outcome.inputs.len()
        );
    }
    let same_day = match (agg.first, agg.last) {
        (Some(a), Some(b)) => a.div_euclid(86_400) == b.div_euclid(86_400),
        _ => true,
    };
    match (agg.first, agg.last) {
        (Some(a), Some(b)) => {
            let _ = writeln!(
                o,
                "  time range   {} → {} ({})",
                format_human(a),
                format_human(b),
                duration(b - a)
            );
        }
        _ => {
            let _ = writeln!(o, "  time range   - (no timestamps)");
        }
    }
    let all = agg.statuses();
    // 502 and 504 first: they are what the log is read for.
    let mut five: Vec<(u16, u64)> = all
        .by_status
        .iter()
        .copied()
        .filter(|(s, _)| *s >= 500)
        .collect();
    five.sort_by_key(|(s, _)| (!matches!(s, 502 | 504), *s));
    let failures: Vec<String> = five
        .iter()
        .map(|(s, n)| st.paint("1;31", &format!("{} × {s}", thousands(*n))))
        .collect();
    let others: Vec<String> = all
        .by_status
        .iter()
        .rev()
        .filter(|(s, _)| *s < 500)
        .map(|(s, n)| format!("{} × {s:03}", thousands(*n)))
        .collect();
    let _ = writeln!(
        o,
        "  explains     {}",
        if failures.is_empty() {
            "no 5xx responses".to_string()
        } else {
            failures.join(", ")
        }
    );
    if !others.is_empty() {
        let _ = writeln!(o, "               {}", others.join(", "));
    }
    let truncated = causes::find("body-truncated").map_or(0, |c| agg.per_cause[c as usize]);
    if truncated > 0 {
        let _ = writeln!(
            o,
            "               {} {} cut short after the status was sent",
            thousands(truncated),
            if truncated == 1 {
                "response"
            } else {
                "responses"
            }
        );
    }

    let by_count = agg.causes_by_count();
    if by_count.is_empty() {
        let _ = writeln!(o, "\nNo lines.");
        return o;
    }
    let _ = writeln!(o, "\n{}", st.bold("Causes"));
    let _ = writeln!(
        o,
        "  {:<22} {:>9} {:>7}  {:<18} WHAT",
        "CAUSE", "LINES", "SHARE", "STATUS"
    );
    for &(id, n) in &by_count {
        let c = causes::cause(id);
        let _ = writeln!(
            o,
            "  {} {:>9} {:>7}  {:<18} {}",
            st.kind(c.kind, &format!("{:<22}", c.id)),
            thousands(n),
            pct(n, counted),
            truncate(&statuses(&agg.cause_statuses(id)), 18),
            c.title
        );
    }
    let noise: Vec<String> = by_count
        .iter()
        .filter(|(id, _)| causes::cause(*id).kind == Kind::Noise)
        .map(|(id, _)| causes::cause(*id).id.to_string())
        .collect();

    // Per-cause sections, upstream failures first (noise causes are only in
    // the summary table).
    let mut sections = by_count.clone();
    sections.sort_by_key(|(id, n)| {
        (
            kind_rank(causes::cause(*id).kind),
            std::cmp::Reverse(*n),
            *id,
        )
    });
    for &(id, n) in &sections {
        let c = causes::cause(id);
        if c.kind == Kind::Noise {
            continue;
        }
        let groups = agg.groups_of(id);
        let _ = writeln!(
            o,
            "\n{} · {} · {} lines · {}",
            st.kind(c.kind, c.id),
            st.bold(c.title),
            thousands(n),
            statuses(&agg.cause_statuses(id))
        );
        let tw = if same_day { 8 } else { 19 };
        let _ = writeln!(
            o,
            "  {:<28} {:<24} {:>8} {:>7}  {:<tw$} {:<tw$} {:<12} TOP REQUEST",
            "UPSTREAM", "SERVER", "LINES", "SHARE", "FIRST", "LAST", "STATUS"
        );
        for g in groups.iter().take(MAX_GROUPS_SHOWN) {
            group_row(&mut o, g, n, same_day);
        }
        if groups.len() > MAX_GROUPS_SHOWN {
            let rest: u64 = groups[MAX_GROUPS_SHOWN..].iter().map(|g| g.count).sum();
            let _ = writeln!(
                o,
                "  … {} more groups, {} lines",
                groups.len() - MAX_GROUPS_SHOWN,
                thousands(rest)
            );
        }
        if let (Some(a), Some(b)) = (agg.first, agg.last) {
            let t = agg.cause_timeline(id);
            if !t.buckets.is_empty() {
                let _ = writeln!(
                    o,
                    "  timeline  │{}│ {} buckets, {} → {}",
                    sparkline(&t, a, b),
                    bucket_name(t.width),
                    when(Some(a), same_day),
                    when(Some(b), same_day)
                );
            }
        }
        let mut hints: Vec<&str> = groups.iter().filter_map(|g| g.hint.as_deref()).collect();
        hints.sort_unstable();
        hints.dedup();
        for h in hints.iter().take(3) {
            let _ = writeln!(o, "  decoded   {}", clean(h));
        }
        let _ = writeln!(o, "  why       {}", c.explanation);
        if !c.rules.is_empty() {
            let _ = writeln!(
                o,
                "  rules     {}  (ngxray explain RULE)",
                c.rules.join(", ")
            );
        }
        let mut samples: Vec<(&str, u64, &str)> = groups
            .iter()
            .take(3)
            .filter_map(|g| g.samples.first())
            .map(|s| {
                (
                    outcome
                        .inputs
                        .get(s.input as usize)
                        .map_or("-", |i| i.name.as_str()),
                    s.line,
                    s.text.as_str(),
                )
            })
            .collect();
        samples.sort_by_key(|s| s.1);
        for (file, line, text) in samples {
            let _ = writeln!(
                o,
                "  {} {}",
                st.dim(&format!("{}:{line}", clean(file))),
                truncate(text, 400)
            );
        }
    }
    if !noise.is_empty() {
        let _ = writeln!(
            o,
            "\n{}",
            st.dim(&format!(
                "Not shown in detail (normal operation): {}. Use --cause ID --format json for them.",
                noise.join(", ")
            ))
        );
    }
    o
}

/// The refreshing summary of `--follow` on a terminal: the top causes ×
/// upstreams of the last `minutes` minutes of log time, with their counts
/// per minute (oldest first).
pub fn render_live(agg: &Aggregate, minutes: i64) -> String {
    let mut o = String::new();
    let Some(now) = agg.last else {
        let _ = writeln!(
            o,
            "ngxray logs --follow: {} lines, none with a time yet; waiting… (Ctrl-C for the full report)",
            thousands(agg.lines())
        );
        return o;
    };
    let minutes = minutes.max(1);
    let from = (now.div_euclid(60) - minutes + 1) * 60;
    let mut rows: Vec<(u64, &Group, Vec<u64>)> = Vec::new();
    for g in agg.groups.values() {
        let mut per = vec![0u64; minutes as usize];
        for &(b, n) in &g.timeline.buckets {
            let end = b + g.timeline.width.max(1) - 1;
            if end < from {
                continue;
            }
            let i = ((b.max(from) - from) / 60).clamp(0, minutes - 1) as usize;
            per[i] += n;
        }
        let total: u64 = per.iter().sum();
        if total > 0 && causes::cause(g.cause).kind != Kind::Noise {
            rows.push((total, g, per));
        }
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cause.cmp(&b.1.cause)));
    let _ = writeln!(
        o,
        "ngxray logs --follow · {} lines · last {minutes} min of log time up to {} · Ctrl-C for the full report",
        thousands(agg.lines()),
        format_human(now)
    );
    let _ = writeln!(
        o,
        "  {:<22} {:<28} {:<20} {:>7}  PER MINUTE (oldest → newest)",
        "CAUSE", "UPSTREAM", "SERVER", "LINES"
    );
    if rows.is_empty() {
        let _ = writeln!(o, "  (no failures in this window)");
    }
    for (total, g, per) in rows.iter().take(15) {
        let cols: Vec<String> = per.iter().map(|n| format!("{n:>4}")).collect();
        let _ = writeln!(
            o,
            "  {:<22} {:<28} {:<20} {:>7}  {}",
            causes::cause(g.cause).id,
            truncate(
                if g.upstream.is_empty() {
                    "-"
                } else {
                    &g.upstream
                },
                28
            ),
            truncate(if g.server.is_empty() { "-" } else { &g.server }, 20),
            thousands(*total),
            cols.join("")
        );
    }
    o
}

fn kind_rank(kind: Kind) -> u8 {
    match kind {
        Kind::UpstreamFailure => 0,
        Kind::Config => 1,
        Kind::UpstreamWarning => 2,
        Kind::RequestFailure => 3,
        Kind::Unknown => 4,
        Kind::Noise => 5,
    }
}

fn group_row(o: &mut String, g: &Group, of: u64, same_day: bool) {
    let top = g
        .top_requests(1)
        .into_iter()
        .next()
        .map(|(r, n)| format!("{} ({})", truncate(&r, 48), thousands(n)))
        .unwrap_or_else(|| "-".to_string());
    let up = if g.upstream.is_empty() {
        "-".to_string()
    } else {
        truncate(&g.upstream, 28)
    };
    let srv = if g.server.is_empty() {
        "-".to_string()
    } else {
        truncate(&g.server, 24)
    };
    let tw = if same_day { 8 } else { 19 };
    let _ = writeln!(
        o,
        "  {:<28} {:<24} {:>8} {:>7}  {:<tw$} {:<tw$} {:<12} {}",
        up,
        srv,
        thousands(g.count),
        pct(g.count, of),
        when(g.first, same_day),
        when(g.last, same_day),
        truncate(&statuses(&g.statuses), 12),
        top
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(pct(1, 3), "33.3%");
        assert_eq!(pct(1, 10_000), "<0.1%");
        assert_eq!(duration(157), "2m 37s");
        assert_eq!(duration(7300), "2h 01m");
        assert_eq!(bucket_name(300), "5m");
    }

    #[test]
    fn live_summary_counts_per_minute() {
        use crate::logs::{classify, line};
        let mut agg = Aggregate::new(60);
        let mut scratch = Vec::new();
        for (i, m) in [0, 1, 1, 3, 9, 9, 9].iter().enumerate() {
            let raw = format!("2026/11/25 15:{m:02}:10 [error] 1#1: *{i} connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.1:80/\"");
            let l = line::parse(raw.as_bytes()).unwrap();
            agg.add(
                0,
                i as u64 + 1,
                raw.as_bytes(),
                Some(&l),
                &classify::classify(&l),
                &mut scratch,
            );
            agg.read_lines(0, 1);
        }
        let out = render_live(&agg, 10);
        let row = out
            .lines()
            .find(|l| l.contains("connect-refused"))
            .expect(&out);
        assert!(row.contains("10.0.0.1:80"), "{row}");
        // 15:00 … 15:09, oldest first.
        assert!(
            row.ends_with("   1   2   0   1   0   0   0   0   0   3"),
            "{row}"
        );
        assert!(render_live(&Aggregate::new(60), 10).contains("waiting"));
    }

    #[test]
    fn control_characters_are_shown_as_escapes() {
        assert_eq!(
            clean("GET /\x1b[2J\u{9b}\r\n\t\x07"),
            "GET /\\x1b[2J\\u{9b}\\r\\n\\t\\x07"
        );
        assert!(matches!(clean("plain é"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn sparkline_scales() {
        let mut t = Timeline::default();
        t.add(0, 1, 60);
        t.add(120, 8, 60);
        assert_eq!(sparkline(&t, 0, 179), "▁ █");
        let mut big = Timeline::default();
        for i in 0..1000 {
            big.add(i * 60, 1, 60);
        }
        assert_eq!(sparkline(&big, 0, 999 * 60).chars().count(), SPARK_WIDTH);
    }
}
