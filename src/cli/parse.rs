//! `ngxray parse`: print the parsed configuration as JSON.

use std::path::PathBuf;

use std::io::{self, Write};

use clap::{Args, ValueEnum};

use crate::load::{LoadOptions, Loaded};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ParseFormat {
    /// ngxray's own tree with byte spans (`ngxray/parse/v1`).
    Json,
    /// Exactly crossplane's `parse` JSON.
    Crossplane,
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Configuration files (`-` for stdin, which may be an `nginx -T` dump).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ParseFormat::Json)]
    pub format: ParseFormat,
    /// Do not follow `include` directives.
    #[arg(long)]
    pub single_file: bool,
    /// Keep comments in the output.
    #[arg(long)]
    pub include_comments: bool,
    /// Crossplane format: merge all files into one config (includes inlined).
    #[arg(long)]
    pub combine: bool,
    /// Directory relative includes resolve against (default: the main file's).
    #[arg(long)]
    pub prefix: Option<PathBuf>,
}

pub fn run(args: ParseArgs) -> u8 {
    match args.format {
        ParseFormat::Crossplane => run_crossplane(&args),
        ParseFormat::Json => {
            let opts = LoadOptions {
                prefix: args.prefix.clone(),
                follow_includes: !args.single_file,
                ..Default::default()
            };
            let mut loaded = Loaded::default();
            for p in &args.paths {
                if let Err(e) = loaded.load_path(p, &opts) {
                    return super::fail(e);
                }
            }
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            let written = crate::report::tree::write(&mut w, &loaded, args.include_comments)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(w))
                .and_then(|()| w.flush());
            if let Err(e) = written {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return super::fail(e);
                }
            }
            let failed = loaded.files.iter().any(|f| !f.errors.is_empty());
            if failed {
                super::EXIT_FINDINGS
            } else {
                super::EXIT_OK
            }
        }
    }
}

/// Entry point for `ngxray parse --format crossplane`: one JSON document
/// (one line) per path. Exit 1 when a payload has `"status": "failed"`.
fn run_crossplane(args: &ParseArgs) -> u8 {
    let opts = crate::crossplane::Options {
        single: args.single_file,
        comments: args.include_comments,
        combine: args.combine,
        config_dir: args
            .prefix
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for p in &args.paths {
        let name = p.to_string_lossy();
        let payload = match crate::crossplane::parse_path(&name, opts.clone()) {
            Ok(pl) => pl,
            Err(e) => return super::fail(format!("{name}: {e}")),
        };
        failed |= payload.failed();
        match payload.write_json(&mut out) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return super::EXIT_ERROR,
            Err(e) => return super::fail(format!("{name}: {e}")),
        }
    }
    if let Err(e) = out.flush() {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return super::fail(e);
        }
        return super::EXIT_ERROR;
    }
    if failed {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_OK
    }
}
