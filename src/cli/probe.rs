//! `ngxray probe`: run the first steps of the 502 runbook (resolve,
//! connect, TLS, a protocol request) against every backend the
//! configuration names, with nginx's effective settings.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};

use crate::model::values::parse_time;
use crate::probe::via::{self, Gateway};
use crate::probe::{self, report, ProbeOptions};

fn parse_via(s: &str) -> Result<Gateway, String> {
    Gateway::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProbeFormat {
    /// A table per upstream group.
    Text,
    /// One `ngxray/probe/v1` JSON document.
    Json,
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    match parse_time(s) {
        Some(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
        _ => Err(format!(
            "invalid time \"{s}\" (expected an nginx time such as 20s, 1m or 500ms)"
        )),
    }
}

fn parse_path(s: &str) -> Result<String, String> {
    if s.starts_with('/') && !s.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        Ok(s.to_string())
    } else {
        Err(format!(
            "invalid path \"{s}\" (expected an absolute path such as /health)"
        ))
    }
}

/// The long description of `ngxray probe --help` and its man page.
pub const LONG_ABOUT: &str =
    "Probe every backend the configuration names, the way nginx would reach it: \
every server of every upstream{} group and every literal *_pass target (proxy, fastcgi, uwsgi, \
scgi, grpc, memcached; TCP and unix: sockets). Names resolve through the system resolver (what \
nginx did at load) and through the config's `resolver` (what it does per request); then \
connect, TLS (SNI, verification and CA file as *_ssl_* set them) and a protocol request \
(HTTP with the Host nginx sends, FastCGI FCGI_GET_VALUES, the HTTP/2 preface for gRPC, \
memcached `version`), each within the effective timeout of the location that uses the target. \
Failures carry the cause id `ngxray logs` gives the same failure in error.log. Only the \
addresses the configuration names are contacted.\n\n\
Exit status: 0 every probed target is ok, 1 some failed, 2 bad input.";

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The main configuration file (`-` for stdin, which may be an `nginx -T` dump).
    pub config: PathBuf,
    /// Only the upstream groups (or implicit `host:port` targets) with these names (repeatable).
    #[arg(long = "upstream", value_name = "NAME")]
    pub upstreams: Vec<String>,
    /// Request this path with GET (default: `HEAD /`).
    #[arg(long, value_parser = parse_path)]
    pub path: Option<String>,
    #[arg(long, value_enum, default_value_t = ProbeFormat::Text)]
    pub format: ProbeFormat,
    /// Global deadline of the whole run (nginx time). Each step also stops at
    /// its effective nginx timeout.
    #[arg(long, value_parser = parse_timeout, default_value = "20s")]
    pub timeout: Duration,
    /// At most this many connections to one peer address at a time.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub per_peer: u16,
    /// At most this many probes at a time.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// Also request each location's path through this gateway
    /// (`http://HOST[:PORT]`, `https://…`) and directly from its backends,
    /// and say which side fails.
    #[arg(long, value_name = "URL", value_parser = parse_via)]
    pub via: Option<Gateway>,
    /// nginx's conf prefix: relative paths (includes, CA files) resolve
    /// against it (default: the main file's directory).
    #[arg(long)]
    pub prefix: Option<PathBuf>,
}

pub fn run(args: ProbeArgs) -> u8 {
    let start = Instant::now();
    let plan = match probe::load_plan(&args.config, args.prefix.as_deref(), &args.upstreams) {
        Ok(p) => p,
        Err(e) => return super::fail(e),
    };
    let opts = ProbeOptions {
        path: args.path.clone(),
        timeout: args.timeout,
        per_peer: usize::from(args.per_peer),
        jobs: usize::from(args.jobs),
    };
    // with --via every location's backends are probed with its own path
    let (results, compared) = match &args.via {
        Some(g) => {
            let v = via::run(&plan.locations, g, &opts);
            let rows: Vec<probe::ProbeResult> =
                v.iter().flat_map(|l| l.direct.iter().cloned()).collect();
            (rows, Some(v))
        }
        None => (probe::run(&plan.targets, &opts), None),
    };
    let summary = report::ProbeCounts::of(
        &results,
        start.elapsed().as_millis() as u64,
        args.timeout.as_millis() as u64,
    );
    let mut w = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error of ours.
    let _ = match args.format {
        ProbeFormat::Json => report::write_json(&mut w, &results, compared.as_deref(), summary),
        ProbeFormat::Text => match &compared {
            Some(v) => report::write_via_text(&mut w, v)
                .and_then(|()| report::write_text(&mut w, &results, summary)),
            None => report::write_text(&mut w, &results, summary),
        },
    };
    let via_failed = compared
        .as_ref()
        .is_some_and(|v| v.iter().any(|l| l.failed()));
    if probe::any_failed(&results) || via_failed {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}
