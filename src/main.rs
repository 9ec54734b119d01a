//! The `ngxray` binary: parse flags, run one command, turn the outcome into an
//! exit code. Everything else lives in the library.

use std::alloc::{GlobalAlloc, Layout};
use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the syntax trees, models and findings are many small
/// allocations; with glibc's allocator a lint run spent a fifth of its
/// instructions in malloc and free. mimalloc also asks for transparent
/// huge pages, which spares a lint of a big config some 20,000 page faults
/// (a quarter of its CPU time).
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: OutOfMemoryExit<mimalloc::MiMalloc> = OutOfMemoryExit(mimalloc::MiMalloc);

/// The system allocator, for heap profilers (heaptrack, massif) that see
/// only malloc and free: `--features system-alloc`.
#[cfg(feature = "system-alloc")]
#[global_allocator]
static GLOBAL: OutOfMemoryExit<std::alloc::System> = OutOfMemoryExit(std::alloc::System);

/// The allocator, with one difference from Rust's default: when memory runs
/// out (a config too large for the machine, or a `ulimit -v` / container
/// limit), the run ends with a message saying so and exit status 2, not
/// with "memory allocation of N bytes failed" and SIGABRT.
struct OutOfMemoryExit<A>(A);

impl<A> OutOfMemoryExit<A> {
    #[cold]
    fn exit() -> ! {
        // One thread reports and exits; any other that runs out meanwhile
        // waits for the exit.
        static ENDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if ENDING.swap(true, std::sync::atomic::Ordering::SeqCst) {
            loop {
                std::thread::park();
            }
        }
        // Nothing here allocates: a fixed message, unbuffered standard error.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"ngxray: error: out of memory: the input is too large for the memory this process \
              may use (the machine's, a container's or a `ulimit -v` limit); check a smaller \
              part of it, or raise the limit\n",
        );
        std::process::exit(2)
    }
}

// SAFETY: every call is forwarded to the inner allocator; a null result
// never returns.
unsafe impl<A: GlobalAlloc> GlobalAlloc for OutOfMemoryExit<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc(layout);
        if p.is_null() {
            Self::exit();
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc_zeroed(layout);
        if p.is_null() {
            Self::exit();
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.0.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = self.0.realloc(ptr, layout, new_size);
        if p.is_null() {
            Self::exit();
        }
        p
    }
}

fn main() -> ExitCode {
    // Run on a thread with a large stack: configs nest arbitrarily deep; the
    // library walks them with explicit stacks, and this is a margin for
    // recursion in dependencies. The stack is address space, not memory,
    // but under an address-space limit
    // (`ulimit -v`) it counts: then it takes at most an eighth of the limit,
    // and the main thread's own when even that cannot be had.
    let size = match address_space_limit() {
        Some(limit) => (limit / 8).clamp(8 << 20, 512 << 20),
        None => 512 << 20,
    };
    match std::thread::Builder::new().stack_size(size).spawn(run) {
        Ok(handle) => ExitCode::from(handle.join().unwrap_or(2)),
        Err(_) => ExitCode::from(run()),
    }
}

fn run() -> u8 {
    ngxray::cli::run(ngxray::cli::Cli::parse())
}

/// The process's address-space limit (`ulimit -v`), when there is one.
#[cfg(target_os = "linux")]
fn address_space_limit() -> Option<usize> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut r) } == 0;
    (ok && r.rlim_cur != libc::RLIM_INFINITY)
        .then(|| usize::try_from(r.rlim_cur).unwrap_or(usize::MAX))
}

#[cfg(not(target_os = "linux"))]
fn address_space_limit() -> Option<usize> {
    None
}
