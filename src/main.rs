//! The `ngxray` binary: parse flags, run one command, turn the outcome into an
//! exit code. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the syntax trees, models and findings are many small
/// allocations; with glibc's allocator a lint run spent a fifth of its
/// instructions in malloc and free. mimalloc also asks for transparent
/// huge pages, which spares a lint of a big config some 20,000 page faults
/// (a quarter of its CPU time).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = ngxray::cli::Cli::parse();
    // Run on a thread with a large stack: configs nest arbitrarily deep and
    // some walks (JSON output) recurse once per level.
    let worker = std::thread::Builder::new()
        .stack_size(512 * 1024 * 1024)
        .spawn(move || ngxray::cli::run(cli));
    let code = match worker {
        Ok(handle) => handle.join().unwrap_or(2),
        Err(e) => {
            eprintln!("error: cannot start worker thread: {e}");
            2
        }
    };
    ExitCode::from(code)
}
