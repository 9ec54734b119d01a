//! Rendering probe results: the `ngxray/probe/v1` JSON document (schema in
//! docs/schema/probe.schema.json) and the text table grouped by upstream.
//! Both write to any `io::Write`; only `cli::probe` picks stdout.

use std::io::{self, Write};

use super::via::ViaResult;
use super::{ProbeResult, Verdict, SCHEMA};

/// Counts of the run.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ProbeCounts {
    pub ok: usize,
    pub failed: usize,
    pub not_probed: usize,
    pub elapsed_ms: u64,
    pub timeout_ms: u64,
}

impl ProbeCounts {
    pub fn of(results: &[ProbeResult], elapsed_ms: u64, timeout_ms: u64) -> ProbeCounts {
        let n = |o: Verdict| results.iter().filter(|r| r.outcome == o).count();
        ProbeCounts {
            ok: n(Verdict::Ok),
            failed: n(Verdict::Failed),
            not_probed: n(Verdict::NotProbed),
            elapsed_ms,
            timeout_ms,
        }
    }
}

#[derive(serde::Serialize)]
struct Document<'a> {
    schema: &'static str,
    results: &'a [ProbeResult],
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<&'a [ViaResult]>,
    summary: ProbeCounts,
}

/// Write the JSON document (pretty, with a final newline); `via` with
/// `--via`.
pub fn write_json(
    w: &mut impl Write,
    results: &[ProbeResult],
    via: Option<&[ViaResult]>,
    summary: ProbeCounts,
) -> io::Result<()> {
    let doc = Document {
        schema: SCHEMA,
        results,
        via,
        summary,
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    w.write_all(b"\n")?;
    w.flush()
}

fn dns_cell(r: &ProbeResult) -> String {
    let Some(d) = &r.dns else {
        return "-".into();
    };
    let used = if d.used == "resolver" {
        &d.resolver
    } else {
        &d.system
    };
    let mut s = match used {
        Some(l) if l.error.is_none() => format!("{} {}", d.used, l.addresses.len()),
        Some(_) => format!("{} failed", d.used),
        None => format!("{} -", d.used),
    };
    if d.differ == Some(true) {
        s.push_str(" (views differ)");
    }
    s
}

fn connect_cell(r: &ProbeResult) -> String {
    match (r.connect_ms, r.failed_step) {
        (Some(ms), _) => format!("ok {ms}ms"),
        (None, Some("connect")) => "failed".into(),
        _ => "-".into(),
    }
}

fn tls_cell(r: &ProbeResult) -> String {
    match &r.tls {
        None => "-".into(),
        Some(t) if t.error.is_some() => "failed".into(),
        Some(t) => t.version.clone().unwrap_or_else(|| "ok".into()),
    }
}

fn proto_cell(r: &ProbeResult) -> String {
    if let Some(resp) = &r.response {
        return resp.clone();
    }
    match r.failed_step {
        Some("send" | "read") => "failed".into(),
        _ if r.connect_ms.is_some() && r.request.is_none() => "connect only".into(),
        _ => "-".into(),
    }
}

fn verdict_cell(r: &ProbeResult) -> String {
    match (r.outcome, r.cause) {
        (Verdict::Ok, _) => "ok".into(),
        (Verdict::Failed, Some(c)) => format!("FAILED {c}"),
        (Verdict::Failed, None) => "FAILED".into(),
        (Verdict::NotProbed, _) => "not probed".into(),
    }
}

/// The text table: one block per upstream group.
pub fn write_text(
    w: &mut impl Write,
    results: &[ProbeResult],
    summary: ProbeCounts,
) -> io::Result<()> {
    const HEAD: [&str; 8] = [
        "PEER", "ADDRESS", "DNS", "CONNECT", "TLS", "RESPONSE", "LATENCY", "VERDICT",
    ];
    let mut order: Vec<&str> = Vec::new();
    for r in results {
        if !order.contains(&r.upstream.as_str()) {
            order.push(&r.upstream);
        }
    }
    for (gi, group) in order.iter().enumerate() {
        let rows: Vec<&ProbeResult> = results.iter().filter(|r| r.upstream == *group).collect();
        let first = rows[0];
        if gi > 0 {
            writeln!(w)?;
        }
        let kind = if first.implicit { "target" } else { "upstream" };
        writeln!(w, "{kind} {group}")?;
        let cells: Vec<[String; 8]> = rows
            .iter()
            .map(|r| {
                let mut peer = r.server.clone();
                if r.backup {
                    peer.push_str(" backup");
                }
                if r.down {
                    peer.push_str(" down");
                }
                if let Some(wt) = r.weight {
                    peer.push_str(&format!(" weight={wt}"));
                }
                [
                    peer,
                    r.address.clone().unwrap_or_else(|| "-".into()),
                    dns_cell(r),
                    connect_cell(r),
                    tls_cell(r),
                    proto_cell(r),
                    if r.outcome == Verdict::NotProbed {
                        "-".into()
                    } else {
                        format!("{}ms", r.elapsed_ms)
                    },
                    verdict_cell(r),
                ]
            })
            .collect();
        let mut width = HEAD.map(str::len);
        for c in &cells {
            for (i, v) in c.iter().enumerate() {
                width[i] = width[i].max(v.chars().count());
            }
        }
        let line = |w: &mut dyn Write, c: [&str; 8]| -> io::Result<()> {
            let mut s = String::from("  ");
            for (i, v) in c.iter().enumerate() {
                s.push_str(v);
                if i + 1 < c.len() {
                    s.push_str(&" ".repeat(width[i] - v.chars().count() + 2));
                }
            }
            writeln!(w, "{}", s.trim_end())
        };
        line(w, HEAD)?;
        for (r, c) in rows.iter().zip(&cells) {
            line(w, c.each_ref().map(String::as_str))?;
            let at = match &r.pass {
                Some(p) if (p.file.as_str(), p.line) != (r.file.as_str(), r.line) => {
                    format!("{}:{} (via {}:{})", r.file, r.line, p.file, p.line)
                }
                _ => format!("{}:{}", r.file, r.line),
            };
            if r.outcome != Verdict::Ok {
                if let Some(d) = &r.detail {
                    writeln!(w, "      {d}")?;
                }
                writeln!(w, "      at {at}")?;
            }
            if let Some(t) = &r.tls {
                if let Some(c) = &t.certificate {
                    writeln!(
                        w,
                        "      certificate: {} (names: {}), expires {} ({} days)",
                        c.subject,
                        if c.names.is_empty() {
                            "-".to_string()
                        } else {
                            c.names.join(", ")
                        },
                        c.not_after,
                        c.days_left
                    )?;
                }
                for n in &t.notes {
                    writeln!(w, "      note: {n}")?;
                }
            }
            if let Some(d) = &r.dns {
                if d.differ == Some(true) {
                    let show = |l: &Option<super::Lookup>| {
                        l.as_ref()
                            .map(|l| {
                                l.addresses
                                    .iter()
                                    .map(|a| a.to_string())
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            })
                            .unwrap_or_default()
                    };
                    writeln!(
                        w,
                        "      dns: system {} / resolver {}",
                        show(&d.system),
                        show(&d.resolver)
                    )?;
                }
            }
            for n in &r.notes {
                writeln!(w, "      note: {n}")?;
            }
        }
    }
    if !results.is_empty() {
        writeln!(w)?;
    }
    writeln!(
        w,
        "ngxray: {} ok, {} failed, {} not probed in {} ms (deadline {} ms)",
        summary.ok, summary.failed, summary.not_probed, summary.elapsed_ms, summary.timeout_ms
    )?;
    w.flush()
}

/// The `--via` comparison, one line per location.
pub fn write_via_text(w: &mut impl Write, via: &[ViaResult]) -> io::Result<()> {
    writeln!(w, "through the gateway vs directly")?;
    let rows: Vec<[String; 5]> = via
        .iter()
        .map(|v| {
            let gw = match &v.gateway {
                Some(g) => match g.status {
                    Some(s) => format!("{s} {}ms", g.elapsed_ms),
                    None => format!("failed {}", g.cause.unwrap_or(""))
                        .trim()
                        .to_string(),
                },
                None => "-".into(),
            };
            let ok = v.direct.iter().filter(|r| r.outcome == Verdict::Ok).count();
            let probed = v
                .direct
                .iter()
                .filter(|r| r.outcome != Verdict::NotProbed)
                .count();
            let direct = if v.gateway.is_none() {
                "-".into()
            } else {
                format!("{ok}/{probed} ok")
            };
            [
                format!("location {}", v.location),
                format!("{}:{}", v.file, v.line),
                gw,
                direct,
                v.verdict.to_string(),
            ]
        })
        .collect();
    let head = ["LOCATION", "PASS", "GATEWAY", "DIRECT", "VERDICT"];
    let mut width = head.map(str::len);
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |w: &mut dyn Write, c: [&str; 5]| -> io::Result<()> {
        let mut s = String::from("  ");
        for (i, v) in c.iter().enumerate() {
            s.push_str(v);
            if i + 1 < c.len() {
                s.push_str(&" ".repeat(width[i] - v.chars().count() + 2));
            }
        }
        writeln!(w, "{}", s.trim_end())
    };
    line(w, head)?;
    for (v, r) in via.iter().zip(&rows) {
        line(w, r.each_ref().map(String::as_str))?;
        if v.verdict != "ok" && !v.explanation.is_empty() {
            writeln!(w, "      {}", v.explanation)?;
        }
    }
    writeln!(w)?;
    w.flush()
}
