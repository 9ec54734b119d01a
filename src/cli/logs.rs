//! `ngxray logs`: read error logs, classify and group every line.
//! Thin: flags → [`crate::logs::Options`] → run → reporter → exit code.

use std::io::{IsTerminal, Write};

use clap::{Args, ValueEnum};

use crate::logs::{self, causes, input, line::Level, time, Filters, LogsError, Options};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogsFormat {
    /// Summary, per-cause tables, timelines (colour on a terminal).
    Text,
    /// One `ngxray/logs/v1` JSON document.
    Json,
    /// One JSON object per input line.
    Ndjson,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log files, globs or directories; `-` (or nothing, with piped input) reads stdin.
    pub paths: Vec<String>,
    #[arg(long, value_enum, default_value_t = LogsFormat::Text)]
    pub format: LogsFormat,
    /// Only lines at or after this time: a duration back from now (30m, 2h, 1d),
    /// a time of day (21:41, today in the log's time zone) or a date and time
    /// (2024-05-01 13:45[:00], 2024/05/01 13:45:00), read in the --tz zone.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only lines before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only lines at this level or more severe (emerg, alert, crit, error, warn, notice, info, debug).
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// Only these causes (comma-separated ids; see docs/logs.md).
    #[arg(long, value_name = "CAUSE[,…]", value_delimiter = ',')]
    pub cause: Vec<String>,
    /// Only lines whose upstream (host:port, unix:/path or group) contains this text.
    #[arg(long, value_name = "TEXT")]
    pub upstream: Option<String>,
    /// Only lines whose server name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub server: Option<String>,
    /// Time zone of the machine that wrote the log (nginx writes local time
    /// without a zone): local, UTC, +09:00, or an IANA name like Asia/Tokyo.
    /// "now" for --since/--until is taken in it. Default: local (this machine's).
    #[arg(long, value_name = "ZONE", default_value = "local")]
    pub tz: String,
    /// Timeline bucket width (30s, 1m, 5m, 1h, 1d), or auto: chosen from the
    /// span of the lines (about 30–60 cells).
    #[arg(long, value_name = "DURATION", default_value = "auto")]
    pub bucket: String,
    /// Follow the files like `tail -F` (across rename and truncate rotation):
    /// their lines so far, then new lines as they are written, until Ctrl-C.
    /// NDJSON events are written live; on a terminal the text format shows a
    /// refreshing summary.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Exit 1 when lines of these causes are found (comma-separated ids).
    #[arg(long, value_name = "CAUSE[,…]", value_delimiter = ',')]
    pub fail_on_cause: Vec<String>,
    /// Exit 1 when more than N lines of the --fail-on-cause causes (or, without
    /// it, lines at level error or worse) are found.
    #[arg(long, value_name = "N")]
    pub max_count: Option<u64>,
    /// File-name globs looked for inside directories (repeatable).
    #[arg(long = "name", value_name = "GLOB")]
    pub names: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Merge `--format json` documents (files, or stdin) of many hosts into one
    /// fleet report (text, or `ngxray/fleet/v1` JSON); each file is one host.
    #[arg(long)]
    pub merge: bool,
    /// Reference time for relative --since/--until (tests).
    #[arg(long, hide = true)]
    pub now: Option<String>,
}

fn cause_ids(values: &[String], flag: &str) -> Result<Vec<causes::CauseId>, LogsError> {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(|v| {
            causes::find(v).ok_or_else(|| {
                let ids: Vec<&str> = causes::CAUSES.iter().map(|c| c.id).collect();
                LogsError::Usage(format!(
                    "{flag}: unknown cause \"{v}\" (known: {})",
                    ids.join(", ")
                ))
            })
        })
        .collect()
}

fn options(args: &LogsArgs) -> Result<(Options, Vec<causes::CauseId>), LogsError> {
    let now = match &args.now {
        Some(n) => time::parse_when(n, 0).map_err(LogsError::Usage)?,
        None => time::now_in(&args.tz).map_err(|e| LogsError::Usage(format!("--tz: {e}")))?,
    };
    let when = |v: &Option<String>, flag: &str| -> Result<Option<i64>, LogsError> {
        v.as_deref()
            .map(|s| time::parse_when(s, now).map_err(|e| LogsError::Usage(format!("{flag}: {e}"))))
            .transpose()
    };
    let level = match &args.level {
        Some(l) => Some(Level::parse(l.trim().as_bytes()).ok_or_else(|| {
            LogsError::Usage(format!(
                "--level: unknown level \"{l}\" (emerg, alert, crit, error, warn, notice, info, debug)"
            ))
        })?),
        None => None,
    };
    let selected = cause_ids(&args.cause, "--cause")?;
    let causes = (!selected.is_empty()).then(|| {
        let mut v = vec![false; causes::CAUSES.len()];
        for c in &selected {
            v[*c as usize] = true;
        }
        v
    });
    // 0: chosen from the span once it is known.
    let bucket = if args.bucket.trim() == "auto" {
        if args.follow {
            60
        } else {
            0
        }
    } else {
        time::parse_duration(&args.bucket)
            .filter(|b| *b > 0)
            .ok_or_else(|| {
                LogsError::Usage(format!(
                    "--bucket: invalid duration \"{}\" (auto, 30s, 1m, 5m, 1h, 1d)",
                    args.bucket
                ))
            })?
    };
    let names: Vec<String> = if args.names.is_empty() {
        input::DEFAULT_NAMES.iter().map(|s| s.to_string()).collect()
    } else {
        args.names.clone()
    };
    let inputs = input::resolve(&args.paths, &names, std::io::stdin().is_terminal())?;
    let filters = Filters {
        since: when(&args.since, "--since")?,
        until: when(&args.until, "--until")?,
        level,
        causes,
        upstream: args.upstream.clone(),
        server: args.server.clone(),
    };
    let fail_on = cause_ids(&args.fail_on_cause, "--fail-on-cause")?;
    Ok((
        Options {
            inputs,
            bucket,
            filters,
            threads: args.threads,
            progress: std::io::stderr().is_terminal(),
        },
        fail_on,
    ))
}

/// Ctrl-C stops reading and prints what was aggregated; a second one
/// exits at once.
fn install_interrupt() {
    let _ = ctrlc::set_handler(|| {
        if logs::interrupted() {
            std::process::exit(130);
        }
        logs::interrupt();
    });
}

pub fn run(args: LogsArgs) -> u8 {
    if args.merge {
        return super::logs_merge::run(&args);
    }
    let (opts, fail_on) = match options(&args) {
        Ok(o) => o,
        Err(e) => return super::fail(e),
    };
    install_interrupt();
    let stdout = std::io::stdout();
    let live = logs::live::wanted(&opts.inputs, args.follow);
    let outcome = if live {
        let live_opts = logs::live::LiveOptions {
            follow: args.follow,
            ..logs::live::LiveOptions::default()
        };
        let dashboard = args.follow && args.format == LogsFormat::Text && stdout.is_terminal();
        let mut tick = |agg: &logs::aggregate::Aggregate| {
            if dashboard {
                let mut out = stdout.lock();
                let _ = out.write_all(b"\x1b[H\x1b[2J");
                let _ = out.write_all(logs::report_text::render_live(agg, 10).as_bytes());
                let _ = out.flush();
            }
        };
        match args.format {
            LogsFormat::Ndjson => {
                let mut lock = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
                logs::live::run_live(&opts, &live_opts, Some(&mut lock), &mut tick)
            }
            _ => logs::live::run_live(&opts, &live_opts, None, &mut tick),
        }
    } else {
        match args.format {
            LogsFormat::Ndjson => {
                let mut lock = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
                logs::analyze_ndjson(&opts, &mut lock)
            }
            _ => logs::analyze(&opts),
        }
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return super::fail(e),
    };
    for w in outcome.warnings.iter().chain(&outcome.skipped) {
        eprintln!("ngxray: warning: {}", logs::report_text::clean(w));
    }
    let mut lock = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = match args.format {
        LogsFormat::Text => {
            let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
            lock.write_all(logs::report_text::render(&outcome, color).as_bytes())
        }
        LogsFormat::Json => logs::report_json::write(&outcome, &mut lock),
        LogsFormat::Ndjson => Ok(()),
    };
    if let Err(e) = written.and_then(|_| lock.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return super::fail(format!("cannot write output: {e}"));
        }
    }
    if let Some(code) = empty_stdin(&args, &fail_on, &outcome) {
        return code;
    }
    if !outcome.skipped.is_empty() {
        eprintln!(
            "ngxray: {} of {} inputs not read to the end; the report covers the rest",
            outcome.skipped.len(),
            outcome.inputs.len()
        );
        return super::EXIT_ERROR;
    }
    match logs::gate(&outcome.aggregate, &fail_on, args.max_count) {
        Some(reason) => {
            eprintln!("ngxray: {reason}");
            super::EXIT_FINDINGS
        }
        None => super::EXIT_OK,
    }
}

/// An empty standard input when filters or a gate (`--fail-on-cause`,
/// `--max-count`) were given: `cmd 2>/dev/null | ngxray logs --fail-on-cause …`
/// when `cmd` failed must not pass silently. Exit 2 with a message.
fn empty_stdin(
    args: &LogsArgs,
    fail_on: &[causes::CauseId],
    outcome: &logs::Outcome,
) -> Option<u8> {
    let gated = !fail_on.is_empty()
        || args.max_count.is_some()
        || !args.cause.is_empty()
        || [
            &args.since,
            &args.until,
            &args.level,
            &args.upstream,
            &args.server,
        ]
        .iter()
        .any(|o| o.is_some());
    let empty = outcome.inputs.iter().any(|i| i.name == "-" && i.lines == 0);
    (gated && empty && !args.follow).then(|| {
        super::fail(
            "no log lines on standard input (did the command before `|` fail?): \
             the filters and --fail-on-cause had nothing to check",
        )
    })
}
