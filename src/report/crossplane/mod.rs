//! `parse --format crossplane`: crossplane's `parse` JSON, byte for byte.
//!
//! Tools built on crossplane (nginx amplify-style agents, config builders,
//! CI scripts) read its JSON. crossplane does not parse like nginx, so this
//! output cannot come from ngxray's nginx-exact parser: [`lexer`] and
//! [`parser`] reproduce crossplane 0.5.8's own lexer, Lua block extension,
//! parser and include handling, working from the file bytes. The output is
//! what `crossplane.parse(path, check_ctx=False, check_args=False)` returns,
//! dumped as the crossplane CLI dumps it (compact JSON, ASCII escapes):
//! crossplane's directive-table checks (`"x" directive is not allowed
//! here`, argument counts) are left to `ngxray lint`, which knows nginx's
//! real tables.

pub mod json;
pub mod lexer;
pub mod parser;
pub mod pyfs;

use std::io::{self, Read, Write};

use crate::cli::parse::ParseArgs;
use crate::cli::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

pub use parser::{ConfigError, Options, Payload};

/// Parse one path (`-` reads the main file from stdin).
pub fn parse_path(path: &str, opts: Options) -> io::Result<Payload> {
    if path == "-" {
        let mut bytes = Vec::new();
        io::stdin().lock().read_to_end(&mut bytes)?;
        Ok(Payload::parse_bytes(path, bytes, opts))
    } else {
        Ok(Payload::parse_path(path, opts))
    }
}

/// Entry point for `ngxray parse --format crossplane`: one JSON document
/// (one line) per path. Exit 1 when a payload has `"status": "failed"`.
pub fn run_cli(args: &ParseArgs) -> u8 {
    let opts = Options {
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
        let payload = match parse_path(&name, opts.clone()) {
            Ok(pl) => pl,
            Err(e) => return crate::cli::fail(format!("{name}: {e}")),
        };
        failed |= payload.failed();
        match payload.write_json(&mut out) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return EXIT_ERROR,
            Err(e) => return crate::cli::fail(format!("{name}: {e}")),
        }
    }
    if let Err(e) = out.flush() {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return crate::cli::fail(e);
        }
        return EXIT_ERROR;
    }
    if failed {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
