//! `diagnose`: join the configuration with its logs into one answer —
//! which directive, which upstream group, since when, what to change.
//!
//! Neither side alone can say it: the config knows upstream groups and
//! effective timeouts but not what happened; error.log knows per-attempt
//! failures but not which of them clients saw (a failure retried onto a
//! healthy peer looks like a final one there); access.log has the truth
//! about statuses (`$status`, `$upstream_status`) but no causes.
//!
//! Pipeline, one module per step: the config is loaded and linted
//! ([`crate::lint`]) and modelled ([`crate::model`]); [`attr`] indexes
//! servers, locations and upstream peers. `read_error` reads error logs with
//! the [`crate::logs`] line parser and classifier into failure events.
//! `read_access` reads access logs with parsers compiled from the config's
//! own `log_format`s ([`format`]) into [`access::Record`]s; each failed
//! upstream attempt is joined to the error-log event of the same peer and
//! request (and connection, when both logs carry it) in a time window,
//! which gives it its cause. Both fill one `tally`. `rank` turns it into
//! findings (cause × upstream group × server × location) with the final
//! statuses clients got, the retried-and-served split, onset, latency
//! percentiles against the effective read timeout, the governing directives
//! with the lint findings on them, an explanation and a fix ([`explain`]).
//! Reporters: [`report`] (text, JSON `ngxray/diagnose/v1`, HTML).

pub mod access;
pub mod attr;
pub mod explain;
pub mod format;
pub mod report;

mod document;
mod inputs;
mod rank;
mod read_access;
mod read_error;
mod tally;

use std::path::PathBuf;

use crate::lint::{lint_paths, LintOptions};
use crate::model::Model;
use attr::Attributor;
pub use document::*;
pub use inputs::formats;
use inputs::{head_lines, is_error_log, resolve_default_logs};
use rank::LintIndex;
use read_access::Formats;
use tally::Join;

/// One log to read: its path, whether it is an error log, its first lines.
struct LogFile {
    path: PathBuf,
    is_error: bool,
    head: Vec<Vec<u8>>,
}

/// Run a diagnosis: load and lint the config, read the error logs into
/// failure events, read the access logs and join their failed attempts to
/// those events, then rank the findings.
pub fn diagnose(opts: &Options) -> Result<Report, DiagnoseError> {
    let outcome =
        lint_paths(std::slice::from_ref(&opts.config), &LintOptions::default()).map_err(|e| {
            DiagnoseError::Io {
                path: opts.config.display().to_string(),
                message: e.to_string(),
            }
        })?;
    let roots: Vec<_> = outcome.roots.iter().map(|r| (r.file, r.context)).collect();
    let model = Model::build(&outcome.loaded, &roots);
    let at = Attributor::new(&model);
    let lint = LintIndex::new(&outcome);
    let all_formats = formats(&model, &at);
    let (declared, _) = at.log_paths();
    let logs = gather_logs(opts, &at)?;

    let mut join = Join::new(&at, opts.bucket.max(1), logs.iter().any(|l| l.is_error));
    join.read_error_logs(logs.iter().filter(|l| l.is_error).map(|l| l.path.as_path()))?;
    let formats = Formats {
        all: &all_formats,
        declared: &declared,
        forced: opts.log_format.as_deref(),
    };
    for l in logs.iter().filter(|l| !l.is_error) {
        join.read_access_log(&l.path, &l.head, &formats)?;
    }
    Ok(join.into_report(opts.config.display().to_string(), &lint))
}

/// The logs given (or, without any, those the config names that can be
/// read), each sniffed: error log or access log.
fn gather_logs(opts: &Options, at: &Attributor<'_, '_>) -> Result<Vec<LogFile>, DiagnoseError> {
    let logs = if opts.logs.is_empty() {
        resolve_default_logs(at, &opts.config)
    } else {
        opts.logs.clone()
    };
    if logs.is_empty() {
        return Err(DiagnoseError::Usage(
            "no logs: give access.log and error.log files (the config names none that can be read)"
                .into(),
        ));
    }
    logs.into_iter()
        .map(|path| {
            let head = head_lines(&path, 32)?;
            Ok(LogFile {
                is_error: is_error_log(&head),
                path,
                head,
            })
        })
        .collect()
}
