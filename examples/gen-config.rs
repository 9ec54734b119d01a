//! Write the benchmark configuration (`bench/gen_config.rs`) to a file:
//! `cargo run --release --example gen-config -- [SERVERS] [OUT]`
//! (defaults: 5000 servers, stdout).

#[path = "../bench/gen_config.rs"]
mod gen_config;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let servers = match args.next() {
        Some(n) => match n.parse() {
            Ok(v) => v,
            Err(_) => {
                eprintln!("gen-config: SERVERS must be a number, got {n:?}");
                std::process::exit(2);
            }
        },
        None => 5000,
    };
    let text = gen_config::generate(servers);
    match args.next() {
        Some(path) => std::fs::write(path, text),
        None => std::io::stdout().lock().write_all(text.as_bytes()),
    }
}
