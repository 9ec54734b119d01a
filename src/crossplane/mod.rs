//! crossplane's `parse` JSON, byte for byte (`parse --format crossplane`).
//!
//! A front end of its own beside `syntax`: it depends only on file bytes,
//! never on ngxray's tree, so the two parsers cannot leak into each other.
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

use std::io::{self, Read};

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
