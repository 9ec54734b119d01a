//! `ngxray parse`: print the parsed configuration as JSON.

use std::path::PathBuf;

use std::io::Write;

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
        ParseFormat::Crossplane => crate::report::crossplane::run_cli(&args),
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
