//! Reporters of a diagnosis: text for people, JSON (`ngxray/diagnose/v1`,
//! see docs/schema/diagnose.schema.json) and one self-contained HTML page
//! (no network: inline CSS and an inline SVG timeline of final statuses per
//! upstream group and failures per finding).

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Finding, Report};

fn where_(d: &super::attr::DirectiveRef) -> String {
    match (&d.file, d.line) {
        (Some(f), Some(l)) => format!("{f}:{l}"),
        _ => "default".to_string(),
    }
}

fn statuses(m: &std::collections::BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}×{v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text report.
pub fn text(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    let _ = writeln!(s, "ngxray diagnose — {}", r.config);
    for i in &r.inputs {
        let _ = writeln!(
            s,
            "  {} ({}{}): {} lines, {} parsed, {} unparsable",
            i.path,
            match i.kind {
                super::LogKind::Error => "error log",
                super::LogKind::Access => "access log",
            },
            i.format
                .as_deref()
                .map(|f| format!(", log_format {f}"))
                .unwrap_or_default(),
            i.lines,
            i.parsed,
            i.unparsable
        );
        if i.other_format > 0 {
            let _ = writeln!(
                s,
                "    ({} of them in another of the config's formats)",
                i.other_format
            );
        }
    }
    let _ = writeln!(
        s,
        "\nWhat clients got (access.log): {} requests — {}",
        r.access.parsed,
        statuses(&r.access.status)
    );
    let _ = writeln!(
        s,
        "  {} went upstream, {} retried, {} served after a failed attempt",
        r.access.upstream_requests, r.access.retried, r.access.retried_ok
    );
    if r.errors.lines > 0 {
        let _ = writeln!(
            s,
            "error.log: {} lines, {} per-attempt failures ({} joined to access.log requests)",
            r.errors.lines, r.errors.failures, r.errors.joined
        );
    }
    for u in &r.access.unparsable_samples {
        let _ = writeln!(s, "  unparsable {}:{}: {}", u.file, u.line, u.text);
    }
    if !r.groups.is_empty() {
        let _ = writeln!(s, "\nUpstream groups:");
        for g in &r.groups {
            let lat = g
                .latency
                .as_ref()
                .map(|l| {
                    format!(
                        "; upstream time p50 {}s p95 {}s p99 {}s{}",
                        l.p50,
                        l.p95,
                        l.p99,
                        l.read_timeout
                            .map(|t| format!(" (read timeout {t}s)"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {}: {} requests, {} attempts, final {}, {} served after retry{lat}",
                g.name,
                g.requests,
                g.attempts,
                statuses(&g.final_status),
                g.retried_ok
            );
        }
    }
    if r.findings.is_empty() {
        let _ = writeln!(s, "\nNo upstream failures found.");
    }
    for f in &r.findings {
        finding_text(f, &mut s);
    }
    w.write_all(s.as_bytes())
}

fn finding_text(f: &Finding, s: &mut String) {
    let _ = writeln!(
        s,
        "\n#{} {} — {} [{}]",
        f.rank,
        f.cause,
        f.title,
        f.upstream.as_deref().unwrap_or("no upstream")
    );
    if !f.peers.is_empty() {
        let _ = writeln!(s, "   peers: {}", f.peers.join(", "));
    }
    if f.stream {
        if let Some(server) = &f.server {
            let _ = writeln!(s, "   server {server}");
        }
    } else if f.server.is_some() || f.location.is_some() {
        let _ = writeln!(
            s,
            "   server {} location {}",
            f.server.as_deref().unwrap_or("?"),
            f.location.as_deref().unwrap_or("?")
        );
    }
    let _ = writeln!(
        s,
        "   {} failures ({} error.log lines, {} access.log attempts); {} requests: final {}, {} retried and served",
        f.count,
        f.error_lines,
        f.attempts,
        f.requests,
        statuses(&f.final_status),
        f.retried_ok
    );
    if let (Some(a), Some(b)) = (&f.first, &f.last) {
        let _ = writeln!(s, "   first {a}, last {b}");
    }
    if let Some(o) = &f.onset {
        let _ = writeln!(
            s,
            "   onset {} ({} failures vs baseline {}; {} requests then, {} before){}",
            o.time,
            o.failures,
            o.baseline,
            o.requests,
            o.requests_before,
            if o.steady {
                "; steady since the first failure"
            } else {
                ""
            }
        );
    }
    if let Some(l) = &f.latency {
        let _ = writeln!(
            s,
            "   upstream time p50 {}s p95 {}s p99 {}s max {}s{}",
            l.p50,
            l.p95,
            l.p99,
            l.max,
            l.read_timeout
                .map(|t| format!(" vs read timeout {t}s"))
                .unwrap_or_default()
        );
    }
    if !f.directives.is_empty() {
        let _ = writeln!(s, "   governing directives:");
        for d in &f.directives {
            let _ = writeln!(s, "     {} {}   ({})", d.name, d.value, where_(d));
        }
    }
    if !f.lint.is_empty() {
        let _ = writeln!(s, "   lint: {}", f.lint.join(", "));
    }
    let _ = writeln!(s, "   why: {}", f.explanation);
    let _ = writeln!(s, "   fix: {}", f.fix);
    for x in &f.samples {
        let _ = writeln!(s, "   e.g. {}:{}: {}", x.file, x.line, x.text);
    }
}

/// JSON report.
pub fn json(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, r).map_err(io::Error::other)?;
    w.write_all(b"\n")
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn color(status: &str) -> &'static str {
    match status.as_bytes().first() {
        Some(b'2') => "#3a9d5d",
        Some(b'3') => "#5b8def",
        Some(b'4') => "#d9a441",
        _ if status == "504" => "#b03a8f",
        _ => "#d9534f",
    }
}

/// Stacked bars of final statuses per bucket, one row per group.
/// Every bucket of the report, in order (the shared x axis of the charts).
fn all_buckets(r: &Report) -> Vec<&String> {
    let mut buckets: Vec<&String> = r
        .groups
        .iter()
        .flat_map(|g| g.timeline.keys())
        .chain(r.findings.iter().flat_map(|f| f.timeline.keys()))
        .collect();
    buckets.sort();
    buckets.dedup();
    buckets
}

/// Failures per bucket of one finding, on the report's x axis.
fn svg_failures(f: &Finding, buckets: &[&String]) -> String {
    let n = buckets.len().max(1);
    let (width, h) = (900.0_f64, 50.0_f64);
    let bw = (width - 120.0) / n as f64;
    let max = f.timeline.values().copied().max().unwrap_or(1).max(1) as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{h}\" role=\"img\" aria-label=\"failures over time\"><text x=\"0\" y=\"30\" font-size=\"11\">failures</text>"
    );
    for (bi, b) in buckets.iter().enumerate() {
        let Some(c) = f.timeline.get(*b) else {
            continue;
        };
        let bh = (*c as f64 / max) * (h - 10.0);
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#d9534f\"><title>{}: {c}</title></rect>",
            110.0 + bi as f64 * bw,
            h - bh,
            (bw - 1.0).max(1.0),
            esc(b)
        );
    }
    s.push_str("</svg>");
    s
}

fn svg_timeline(r: &Report) -> String {
    let buckets = all_buckets(r);
    if buckets.is_empty() {
        return String::from("<p>No timed access-log lines.</p>");
    }
    let n = buckets.len();
    let width = 900.0_f64;
    let row_h = 90.0_f64;
    let bw = (width - 120.0) / n as f64;
    let mut s = String::new();
    let h = row_h * r.groups.len() as f64 + 30.0;
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{h}\" role=\"img\" aria-label=\"final statuses per upstream group over time\">"
    );
    for (gi, g) in r.groups.iter().enumerate() {
        let y0 = gi as f64 * row_h;
        let max = g
            .timeline
            .values()
            .map(|m| m.values().sum::<u64>())
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            y0 + row_h / 2.0,
            esc(&g.name)
        );
        for (bi, b) in buckets.iter().enumerate() {
            let Some(m) = g.timeline.get(*b) else {
                continue;
            };
            let mut y = y0 + row_h - 10.0;
            for (st, c) in m {
                let bh = (*c as f64 / max) * (row_h - 20.0);
                y -= bh;
                let _ = write!(
                    s,
                    "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{} {}: {st} × {c}</title></rect>",
                    110.0 + bi as f64 * bw,
                    (bw - 1.0).max(1.0),
                    color(st),
                    esc(&g.name),
                    esc(b)
                );
            }
        }
    }
    let _ = write!(
        s,
        "<text x=\"110\" y=\"{:.1}\" font-size=\"11\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text></svg>",
        h - 5.0,
        esc(buckets[0]),
        width,
        h - 5.0,
        esc(buckets[n - 1])
    );
    s
}

/// Self-contained HTML page.
pub fn html(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ngxray diagnose</title><style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}.f{border:1px solid #ddd;border-radius:6px;padding:1em;margin:1em 0}code{background:#f6f6f6;padding:1px 3px}.s{font-family:monospace;font-size:12px;white-space:pre-wrap;color:#555}</style></head><body>");
    let _ = write!(
        s,
        "<h1>ngxray diagnose</h1><p>Config: <code>{}</code></p>",
        esc(&r.config)
    );
    s.push_str("<h2>What clients got</h2><table><tr><th>status</th><th>requests</th></tr>");
    for (k, v) in &r.access.status {
        let _ = write!(s, "<tr><td>{}</td><td>{v}</td></tr>", esc(k));
    }
    let _ = write!(
        s,
        "</table><p>{} parsed access-log lines ({} unparsable); {} went upstream, {} retried, {} served after a failed attempt. error.log: {} per-attempt failures.</p>",
        r.access.parsed, r.access.unparsable, r.access.upstream_requests, r.access.retried, r.access.retried_ok, r.errors.failures
    );
    s.push_str("<h2>Timeline: final statuses per upstream group</h2>");
    s.push_str(&svg_timeline(r));
    s.push_str("<p>");
    for (st, label) in [
        ("200", "2xx"),
        ("301", "3xx"),
        ("404", "4xx"),
        ("502", "5xx"),
        ("504", "504"),
    ] {
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\" fill=\"{}\"/></svg> {label} &nbsp; ",
            color(st)
        );
    }
    s.push_str("</p>");
    let buckets = all_buckets(r);
    s.push_str("<h2>Upstream groups</h2><table><tr><th>group</th><th>requests</th><th>attempts</th><th>final</th><th>served after retry</th><th>p50/p95/p99 (s)</th><th>read timeout</th></tr>");
    for g in &r.groups {
        let (lat, rt) = match &g.latency {
            Some(l) => (
                format!("{} / {} / {}", l.p50, l.p95, l.p99),
                l.read_timeout.map(|t| format!("{t}s")).unwrap_or_default(),
            ),
            None => (String::new(), String::new()),
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{lat}</td><td>{rt}</td></tr>",
            esc(&g.name),
            g.requests,
            g.attempts,
            esc(&statuses(&g.final_status)),
            g.retried_ok
        );
    }
    s.push_str("</table><h2>Explanations, most client-visible first</h2>");
    for f in &r.findings {
        let _ = write!(
            s,
            "<div class=\"f\"><h3>#{} {} — {}</h3><p>upstream <b>{}</b> {} {}</p><p>{} failures; {} requests, final {}, {} retried and served{}</p>",
            f.rank,
            esc(&f.cause),
            esc(&f.title),
            esc(f.upstream.as_deref().unwrap_or("none")),
            esc(&f.peers.join(", ")),
            esc(&match (&f.server, &f.location) {
                (Some(a), Some(b)) => format!("server {a}, location {b}"),
                (Some(a), None) if f.stream => format!("server {a}"),
                _ => String::new(),
            }),
            f.count,
            f.requests,
            esc(&statuses(&f.final_status)),
            f.retried_ok,
            esc(&match (&f.first, &f.last) {
                (Some(a), Some(b)) => format!("; first {a}, last {b}"),
                _ => String::new(),
            })
        );
        if !f.timeline.is_empty() {
            s.push_str(&svg_failures(f, &buckets));
        }
        if let Some(o) = &f.onset {
            let _ = write!(
                s,
                "<p>Onset {} ({} failures vs baseline {}; {} requests then, {} before).</p>",
                esc(&o.time),
                o.failures,
                o.baseline,
                o.requests,
                o.requests_before
            );
        }
        if !f.directives.is_empty() {
            s.push_str("<table><tr><th>directive</th><th>value</th><th>where</th></tr>");
            for d in &f.directives {
                let _ = write!(
                    s,
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(&d.name),
                    esc(&d.value),
                    esc(&where_(d))
                );
            }
            s.push_str("</table>");
        }
        if !f.lint.is_empty() {
            let _ = write!(s, "<p>Lint: {}</p>", esc(&f.lint.join(", ")));
        }
        let _ = write!(
            s,
            "<p><b>Why:</b> {}</p><p><b>Fix:</b> {}</p>",
            esc(&f.explanation),
            esc(&f.fix)
        );
        for x in &f.samples {
            let _ = write!(
                s,
                "<div class=\"s\">{}:{}: {}</div>",
                esc(&x.file),
                x.line,
                esc(&x.text)
            );
        }
        s.push_str("</div>");
    }
    s.push_str("</body></html>\n");
    w.write_all(s.as_bytes())
}
