//! `ngxray diagnose`: join the config with its access and error logs.
//! Thin: flags → [`crate::diagnose::Options`] → run → reporter → exit code.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::diagnose::{self, report, DiagnoseError, Options};
use crate::logs::{input, time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnoseFormat {
    /// Ranked explanations for people.
    Text,
    /// One `ngxray/diagnose/v1` JSON document.
    Json,
    /// One self-contained HTML page (inline SVG timeline, no network).
    Html,
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// nginx.conf, a config directory, or `-` for an `nginx -T` dump on stdin.
    #[arg(long, short = 'c', value_name = "PATH")]
    pub config: PathBuf,
    /// access.log and error.log files, globs or directories (rotations and
    /// .gz included); default: the access_log/error_log paths the config names.
    pub logs: Vec<String>,
    #[arg(long, value_enum, default_value_t = DiagnoseFormat::Text)]
    pub format: DiagnoseFormat,
    /// Read every access log with this log_format (default: the format of the
    /// access_log directive that writes it, else the one that fits).
    #[arg(long, value_name = "NAME")]
    pub log_format: Option<String>,
    /// Onset and timeline bucket width (1s, 10s, 1m, 5m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "1m")]
    pub bucket: String,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn options(args: &DiagnoseArgs) -> Result<Options, DiagnoseError> {
    let bucket = time::parse_duration(&args.bucket)
        .filter(|b| *b > 0)
        .ok_or_else(|| {
            DiagnoseError::Usage(format!(
                "--bucket: invalid duration \"{}\" (1s, 10s, 1m, 5m, 1h)",
                args.bucket
            ))
        })?;
    if args.logs.iter().any(|l| l == "-") {
        return Err(DiagnoseError::Usage(
            "logs cannot be read from stdin; give them as files".into(),
        ));
    }
    let logs = if args.logs.is_empty() {
        Vec::new()
    } else {
        let names = vec!["*.log".to_string(), "*.log.*".to_string()];
        input::resolve(&args.logs, &names, true)
            .map_err(|e| DiagnoseError::Usage(e.to_string()))?
            .into_iter()
            .filter_map(|i| match i {
                input::Input::File(p) => Some(p),
                input::Input::Stdin => None,
            })
            .collect()
    };
    Ok(Options {
        config: args.config.clone(),
        logs,
        log_format: args.log_format.clone(),
        bucket,
    })
}

pub fn run(args: DiagnoseArgs) -> u8 {
    let opts = match options(&args) {
        Ok(o) => o,
        Err(e) => return super::fail(e),
    };
    let rep = match diagnose::diagnose(&opts) {
        Ok(r) => r,
        Err(e) => return super::fail(e),
    };
    let mut buf: Vec<u8> = Vec::new();
    let written = match args.format {
        DiagnoseFormat::Text => report::text(&rep, &mut buf),
        DiagnoseFormat::Json => report::json(&rep, &mut buf),
        DiagnoseFormat::Html => report::html(&rep, &mut buf),
    };
    if let Err(e) = written {
        return super::fail(format!("cannot write output: {e}"));
    }
    match &args.output {
        Some(p) => {
            if let Err(e) = crate::fix::create_output(p).and_then(|mut f| f.write_all(&buf)) {
                return super::fail(format!("{}: {e}", p.display()));
            }
        }
        None => super::out(String::from_utf8_lossy(&buf)),
    }
    super::EXIT_OK
}
