//! Reading diagnose's inputs: which log is which (error.log or an access
//! log in which `log_format`), opening plain and compressed files, the
//! default logs a config names, and latency figures of a group.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::access::Record;
use super::attr::{Attributor, DirectiveRef};
use super::format::{self, Escape, LogFormat};
use super::{DiagnoseError, Latency};
use crate::logs::input::Input;
use crate::model::Model;

/// Which `log_format` names exist, compiled (`combined` always).
pub fn formats(model: &Model<'_>, at: &Attributor<'_, '_>) -> Vec<LogFormat> {
    let mut out = vec![LogFormat::combined()];
    for e in model.directives_named("log_format") {
        let d = e.directive;
        let Some(name) = d.arg(0) else { continue };
        let mut escape = Escape::Default;
        let mut text = String::new();
        for (i, w) in d.args.iter().enumerate().skip(1) {
            let s = w.as_str();
            if i == 1 {
                if let Some(v) = s.strip_prefix("escape=") {
                    escape = match v {
                        "json" => Escape::Json,
                        "none" => Escape::None,
                        _ => Escape::Default,
                    };
                    continue;
                }
            }
            text.push_str(s);
        }
        let mut f = LogFormat::compile(name, escape, &text);
        let (file, line) = at.position(d);
        f.defined_at = Some(format!("{file}:{line}"));
        out.retain(|o| o.name != name);
        out.push(f);
    }
    out
}

pub(super) fn open_lines(path: &Path) -> Result<Box<dyn BufRead>, DiagnoseError> {
    let input = if path == Path::new("-") {
        Input::Stdin
    } else {
        Input::File(path.to_path_buf())
    };
    let (r, _) = crate::logs::reader::open(&input, Arc::new(AtomicU64::new(0))).map_err(|e| {
        DiagnoseError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    })?;
    Ok(Box::new(BufReader::with_capacity(1 << 20, r)))
}

pub(super) fn io_err(path: &Path, e: std::io::Error) -> DiagnoseError {
    DiagnoseError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The first lines of a file (for sniffing).
pub(super) fn head_lines(path: &Path, n: usize) -> Result<Vec<Vec<u8>>, DiagnoseError> {
    let mut r = open_lines(path)?;
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while out.len() < n {
        buf.clear();
        if r.read_until(b'\n', &mut buf).map_err(|e| io_err(path, e))? == 0 {
            break;
        }
        let l = trim_nl(&buf);
        if !l.is_empty() {
            out.push(l.to_vec());
        }
    }
    Ok(out)
}

pub(super) fn trim_nl(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// How to read an access log: a compiled format, or JSON lines.
pub(super) enum Reader<'f> {
    Format(&'f LogFormat),
    Json(Vec<(String, String)>),
}

pub(super) fn parse_access(reader: &Reader<'_>, line: &[u8]) -> Option<Record> {
    match reader {
        Reader::Format(f) => {
            if let Some(c) = f.parse(line) {
                return Some(Record::from_vars(c, f.escape));
            }
            None
        }
        Reader::Json(keys) => {
            let pairs = format::parse_json(line, keys)?;
            Some(Record::from_vars(
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_bytes())),
                Escape::None,
            ))
        }
    }
}

pub(super) fn pick_reader<'f>(
    path: &Path,
    head: &[Vec<u8>],
    formats: &'f [LogFormat],
    declared: &[(String, String)],
    forced: Option<&str>,
) -> Result<(Reader<'f>, String), DiagnoseError> {
    if let Some(name) = forced {
        let f = formats.iter().find(|f| f.name == name).ok_or_else(|| {
            DiagnoseError::Usage(format!(
                "--log-format {name}: no such log_format in the config (known: {})",
                formats
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        return Ok((Reader::Format(f), f.name.clone()));
    }
    // the access_log directive that writes this file
    let fname = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut order: Vec<&LogFormat> = Vec::new();
    for (p, name) in declared {
        let base = Path::new(p)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !base.is_empty() && (fname == base || fname.starts_with(&format!("{base}."))) {
            if let Some(f) = formats.iter().find(|f| &f.name == name) {
                order.push(f);
            }
        }
    }
    // then the others, the most specific (most variables) first: on a tie
    // the earlier one wins
    let declared_n = order.len();
    for f in formats {
        if !order.iter().any(|o| std::ptr::eq(*o, f)) {
            order.push(f);
        }
    }
    let vars = |f: &LogFormat| {
        f.segs
            .iter()
            .filter(|s| matches!(s, format::Seg::Var(_)))
            .count()
    };
    order[declared_n..].sort_by_key(|f| std::cmp::Reverse(vars(f)));
    let score = |f: &LogFormat| head.iter().filter(|l| f.parse(l).is_some()).count();
    let mut best: Option<(&LogFormat, usize)> = None;
    for f in order {
        let s = score(f);
        if s > best.map_or(0, |b| b.1) {
            best = Some((f, s));
        }
    }
    let json_score = head
        .iter()
        .filter(|l| l.first() == Some(&b'{') && format::parse_json(l, &[]).is_some())
        .count();
    match best {
        Some((f, s)) if s >= json_score => Ok((Reader::Format(f), f.name.clone())),
        _ if json_score > 0 => {
            // keys of a JSON-shaped log_format, when one fits
            let keys = formats
                .iter()
                .map(format::json_keys_of)
                .find(|k| {
                    !k.is_empty()
                        && head.iter().any(|l| {
                            format::parse_json(l, k)
                                .is_some_and(|p| p.iter().any(|(v, _)| v == "status"))
                        })
                })
                .unwrap_or_default();
            Ok((Reader::Json(keys), "json".to_string()))
        }
        // nothing fits: the first candidate, lines count as unparsable
        _ => {
            let f = formats
                .first()
                .ok_or_else(|| DiagnoseError::Usage("no log formats".into()))?;
            Ok((Reader::Format(f), f.name.clone()))
        }
    }
}

pub(super) fn is_error_log(head: &[Vec<u8>]) -> bool {
    let n = head
        .iter()
        .filter(|l| crate::logs::line::parse(l).is_some())
        .count();
    n > 0 && n * 2 >= head.len()
}

pub(super) fn resolve_default_logs(at: &Attributor<'_, '_>, config: &Path) -> Vec<PathBuf> {
    let (access, errors) = at.log_paths();
    // relative paths are relative to nginx's prefix, which the config does
    // not say: try the directory above the config's, then its own
    let dir = config.parent().unwrap_or(Path::new("."));
    let bases = [dir.parent().unwrap_or(dir), dir];
    let mut out: Vec<PathBuf> = Vec::new();
    for p in errors.iter().chain(access.iter().map(|(p, _)| p)) {
        if p.contains('$') {
            continue;
        }
        let candidates: Vec<PathBuf> = if Path::new(p).is_absolute() {
            vec![PathBuf::from(p)]
        } else {
            bases.iter().map(|b| b.join(p)).collect()
        };
        if let Some(path) = candidates
            .into_iter()
            .find(|c| std::fs::File::open(c).is_ok())
        {
            if !out.contains(&path) {
                out.push(path);
            }
        }
    }
    out
}

/// Nearest-rank percentile of sorted values.
pub(super) fn percentile(sorted: &[f32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1])
}

pub(super) fn latency(mut v: Vec<f32>, rt: Option<(u64, DirectiveRef)>) -> Option<Latency> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let r = |x: f64| (x * 1000.0).round() / 1000.0;
    let near = rt.as_ref().map_or(0, |(ms, _)| {
        let at = 0.8 * *ms as f32 / 1000.0;
        v.len() - v.partition_point(|&x| x < at)
    }) as u64;
    Some(Latency {
        samples: v.len() as u64,
        p50: r(percentile(&v, 50.0)),
        p95: r(percentile(&v, 95.0)),
        p99: r(percentile(&v, 99.0)),
        max: r(f64::from(*v.last().unwrap_or(&0.0))),
        read_timeout: rt.as_ref().map(|(ms, _)| *ms as f64 / 1000.0),
        read_timeout_directive: rt.map(|(_, d)| d),
        near_timeout: near,
    })
}
